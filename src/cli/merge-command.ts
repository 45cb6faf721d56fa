// `pantap merge FILE.pb...`: protobuf summaries (`analyze -F protobuf`, `live -F protobuf`,
// an earlier merge) in, one summary out in any format. Exit codes: 0 done, 1 when a
// --fail-on condition holds, 2 usage errors and any unreadable input (missing, not a pantap
// protobuf summary, cut short, another schema): nothing is merged then, as a merge of some
// of the inputs would read as the merge of all of them.
import { readFileSync } from 'node:fs';
import { loadCatalog } from '../catalog/load.js';
import { ArgumentError, CaptureError, UsageError } from '../errors.js';
import { mergeSummaries } from '../report/merge.js';
import type { Summary } from '../report/model.js';
import { summaryFromProtobuf } from '../report/protobuf.js';
import { INTERVAL_NAMES } from '../report/timeline.js';
import { checkFailOn, checkOutput, emit, failOnHolds, waitInterrupted, type CliIo } from './analyze-command.js';
import { checkOutputs } from './outputs.js';

export interface MergeCliOptions {
  format: string;
  output?: string;
  top: number;
  maxListed: number;
  maxChannels: number;
  failOn: string[];
  interval?: string;
  catalog?: string;
  allEntries?: boolean;
  color: boolean;
}

export async function runMerge(files: string[], opts: MergeCliOptions, io: CliIo, signal: AbortSignal): Promise<number> {
  if (files.length === 0) throw new ArgumentError('no summary to merge: name protobuf summaries written by `pantap analyze -F protobuf -o FILE.pb`');
  checkFailOn(opts.failOn);
  if (files.filter((f) => f === '-').length > 1) throw new ArgumentError("stdin ('-') can be read only once");
  if (files.includes('-') && (io.stdin as { isTTY?: boolean }).isTTY === true) throw new UsageError('stdin is a terminal: pipe a protobuf summary in or name a file');
  checkOutput(opts, io);
  checkOutputs([{ option: '-o', path: opts.output, replace: true }], files);
  // The catalog gives the order of entries (and so of the health list and the timeline).
  const catalog = loadCatalog(opts.catalog);
  const summaries: Summary[] = [];
  for (const f of files) summaries.push(readSummary(f, f === '-' ? await readStdin(io.stdin) : null));
  const merged = mergeSummaries(summaries, {
    topPairs: opts.top,
    maxListed: opts.maxListed,
    maxChannels: opts.maxChannels,
    interval: opts.interval === undefined ? null : INTERVAL_NAMES[opts.interval],
    entryOrder: catalog.entries.map((e) => e.id),
  });
  if (!(await emit(merged, opts, io, signal))) return waitInterrupted(`-o ${opts.output}`, io, signal);
  return failOnHolds(merged, opts.failOn) ? 1 : 0;
}

/** One input as a Summary, or a CaptureError naming it and what is wrong. */
function readSummary(file: string, stdin: Buffer | null): Summary {
  const name = file === '-' ? 'stdin' : file;
  let buf: Buffer;
  try {
    buf = stdin ?? readFileSync(file);
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new CaptureError('INPUT', name, code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, not a summary' : `cannot read (${code ?? String(err)})`);
  }
  if (buf.length === 0) throw new CaptureError('FORMAT', name, 'is empty, not a pantap protobuf summary');
  let s: Summary;
  try {
    s = summaryFromProtobuf(buf);
  } catch (err) {
    const m = (err as Error).message;
    // protobufjs's framing errors ("index out of range", "invalid wire type") say the bytes are not a summary, or one cut short.
    const why = err instanceof TypeError && !/index out of range|wire type/.test(m) ? m : `not a pantap protobuf summary, or one cut short (${m})`;
    throw new CaptureError('FORMAT', name, why);
  }
  // A summary is input like a capture: one whose values make no sense (a timestamp that is
  // not one, an interval off the ladder) is refused here, by name, not met mid-merge.
  try {
    mergeSummaries([s], { topPairs: 1, maxListed: 0 });
  } catch (err) {
    if (err instanceof RangeError || err instanceof TypeError) throw new CaptureError('FORMAT', name, `not a valid pantap summary (${err.message})`);
    throw err;
  }
  return s;
}

async function readStdin(stdin: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(chunks);
}
