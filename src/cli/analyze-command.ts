// `pantap analyze FILE...`: read captures, classify, render. Exit codes: 0 done, 1 when a
// --fail-on condition holds, 2 usage or input error (rendered by main.ts).
import { analyzeCaptures } from '../analyze.js';
import { expandInputs, type InputSet } from '../capture/inputs.js';
import { openBpf } from '../capture/bpf.js';
import { ArgumentError, CaptureError, InterruptedError, PantapError, UsageError, signalExitCode } from '../errors.js';
import type { FilterSpec, HostRange, TimeBound } from '../pipeline/filter.js';
import type { NdjsonWriter } from '../report/ndjson.js';
import type { Summary } from '../report/model.js';
import { chunksOf, type Rendered } from './rendered.js';
import { checkOutputs, inheritedFd } from './outputs.js';
// What only runs after the read (the NDJSON file, the input problems, -o) or on a terminal
// (the progress bar) loads when used: start-up is what stands before the first batch
// (bench/README.md "Issue 13").

import { INTERVAL_NAMES } from '../report/intervals.js';
import type { ProgressBar } from './progress.js';
import { statSync } from 'node:fs';
import type { ExportTarget } from '../export/run.js';
import { sensorName, type ExportCliOptions } from './export-options.js';

export interface AnalyzeCliOptions extends ExportCliOptions {
  format: string;
  output?: string;
  flows?: boolean;
  maxListed: number;
  maxChannels: number;
  flowsNdjson?: string;
  catalog?: string;
  roles?: string;
  workers: number;
  maxFlows: number;
  top: number;
  failOn: string[];
  /** Text and Markdown: list catalog entries never seen as rows. */
  allEntries?: boolean;
  progress: boolean;
  color: boolean;
  /** -f: BPF expression (compiled by libpcap through the pantap-live addon). */
  filter?: string;
  /** --host: addresses and CIDR blocks. */
  host?: HostRange[];
  since?: TimeBound;
  until?: TimeBound;
  /** -c: stop after N packets kept. */
  count?: number;
  /** --interval: timeline width (1s, 10s, 1m, 10m, 1h); absent: chosen from the capture's duration. */
  interval?: string;
  /** --dedup, --dedup-window (ms). */
  dedup?: boolean;
  dedupWindow?: number;
}

export interface CliIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  stdin: NodeJS.ReadableStream;
  warn(message: string): void;
}

const FAIL_ON = ['unexpected', 'failed', 'degraded'];

/** Formats whose report shows no flow's Community ID or TCP facts (text.ts, markdown.ts, html.ts). */
const FORMATS_WITHOUT_FLOW_FACTS = ['text', 'markdown', 'html'];

/** --fail-on values (analyze, merge, report): ArgumentError on one it does not know. */
export function checkFailOn(failOn: readonly string[]): void {
  for (const f of failOn) if (!FAIL_ON.includes(f)) throw new ArgumentError(`--fail-on takes unexpected, failed or degraded (got '${f}')`);
}

/** Runs the command; returns the exit code. Typed errors propagate to main.ts. */
export async function runAnalyze(files: string[], opts: AnalyzeCliOptions, io: CliIo, signal: AbortSignal): Promise<number> {
  if (files.length === 0) throw new ArgumentError('no capture to read: name capture files (- reads stdin) or give -r FILE');
  checkFailOn(opts.failOn);
  if (files.filter((f) => f === '-').length > 1) throw new ArgumentError("stdin ('-') can be read only once");
  checkWindow(opts.since, opts.until);
  checkOutput(opts, io);
  // Directories and globs become the capture files they hold (files named twice are read
  // once): the outputs are checked against those.
  const inputs = await expandInputs(files);
  checkOutputs([{ option: '-o', path: opts.output, replace: true }, { option: '--flows-ndjson', path: opts.flowsNdjson }], [...files, ...inputs.paths]);
  // Reading a terminal would wait for typed-in bytes: say what to do instead.
  if (files.includes('-') && (io.stdin as { isTTY?: boolean }).isTTY === true) {
    throw new UsageError('stdin is a terminal: pipe a capture in (tcpdump -w - | pantap analyze -) or name a file');
  }

  // Compiled before reading (a bad expression should not cost a long run), as are outputs.
  const filter = filterSpec(opts);
  // --export (issue 12): the store is reached and its tables made before reading, so an
  // unreachable server or a bad URL is one line and exit 2 now, not after a long run.
  const store = opts.export !== undefined ? await (await import('../export/run.js')).openExport(opts.export, sensorName(opts)) : null;
  try {
    // Opened before reading: a bad path should not cost a long run.
    const ndjson = opts.flowsNdjson ? await openNdjson(opts.flowsNdjson, io, signal) : null;
    if (ndjson === null && opts.flowsNdjson) return waitInterrupted(`--flows-ndjson ${opts.flowsNdjson}`, io, signal);
    try {
      return await analyzeAndReport(inputs, opts, io, signal, ndjson, filter, store);
    } finally {
      // Closed already unless something failed: then the first error is the one reported.
      ndjson?.abandon();
    }
  } finally {
    if (store !== null) await (await import('../export/run.js')).closeExport(store);
  }
}

/**
 * --export: every flow, the channel health and the run's row into the store. A failure is
 * said on stderr (one line, no password) and returns false: the summary is still printed,
 * and the exit code is 2.
 */
async function exportToStore(store: ExportTarget, analysis: Awaited<ReturnType<typeof analyzeCaptures>>, io: CliIo): Promise<boolean> {
  const { exportAnalysis } = await import('../export/run.js');
  const { read, summary } = analysis;
  // The file of each flow's first packet: files are read merged by time (capture sets), and
  // the record-number map says which file each record came from.
  const { sourceFile } = await import('../session/files.js');
  const fileOf = (seq: number): string => sourceFile(read, seq);
  try {
    await exportAnalysis(store, { flows: analysis.flows, catalog: analysis.catalog, summary, fileOf, files: summary.input.files });
    return true;
  } catch (err) {
    if (!(err instanceof PantapError)) throw err;
    io.warn(err.message);
    return false;
  }
}

/** The filters asked for; -f is compiled here (FilterError when it cannot be). */
function filterSpec(o: AnalyzeCliOptions): FilterSpec {
  return { bpf: o.filter === undefined ? null : openBpf(o.filter), hosts: o.host ?? [], since: o.since ?? null, until: o.until ?? null, count: o.count ?? null };
}

/** --since must come before --until when both are absolute or both relative. */
function checkWindow(since: TimeBound | undefined, until: TimeBound | undefined): void {
  if (since === undefined || until === undefined || since.relative !== until.relative) return;
  if (since.sec > until.sec || (since.sec === until.sec && since.nsec >= until.nsec)) throw new ArgumentError('--since must be before --until');
}

async function analyzeAndReport(inputs: InputSet, opts: AnalyzeCliOptions, io: CliIo, signal: AbortSignal, ndjson: NdjsonWriter | null, filter: FilterSpec, store: ExportTarget | null): Promise<number> {
  const paths = inputs.paths;
  // Several files are read together (merged by time): one bar for the set.
  const bar = opts.progress && io.stderr.isTTY ? await (await import('./progress.js')).progressBar(io.stderr, paths.length > 1 ? [`${paths.length} files`] : paths) : null;
  const onProgress = bar === null ? undefined : paths.length > 1 ? setProgress(bar, paths) : bar.update;
  let analysis;
  try {
    analysis = await analyzeCaptures(inputs.paths, {
      workers: opts.workers,
      maxFlows: opts.maxFlows,
      allFlows: opts.flows ?? false,
      maxListed: opts.maxListed,
      maxChannels: opts.maxChannels,
      topPairs: opts.top,
      interval: opts.interval === undefined ? null : INTERVAL_NAMES[opts.interval],
      catalogFile: opts.catalog,
      rolesFile: opts.roles,
      signal,
      stdin: io.stdin,
      onProgress,
      filter,
      inputs,
      dedup: opts.dedup || opts.dedupWindow !== undefined ? { windowMs: opts.dedupWindow } : undefined,
      // Only --flows-ndjson and --export read every flow.
      keepFlows: ndjson !== null || store !== null,
      // `analyze` exits once its report is out.
      exitsAfterReport: true,
      // Listed flows' Community IDs and TCP facts only for the formats that show them.
      listedFacts: !FORMATS_WITHOUT_FLOW_FACTS.includes(opts.format),
    });
  } finally {
    bar?.stop();
  }
  const { summary, read } = analysis;

  await reportInputProblemsUnlessShown(summary, opts, io);
  if (ndjson !== null) {
    await (await import('../report/ndjson.js')).writeFlows(ndjson, analysis.flows, analysis.catalog);
    await ndjson.close();
  }
  // --export: the rows go to the store before the summary is printed (a failure is said first).
  const exported = store === null || (await exportToStore(store, analysis, io));
  // An input the signal cut off before its header is not a bad input: the signal sets the code.
  const unreadable = read.failed.filter((e) => !(e instanceof InterruptedError)).length;
  if (read.files.length === 0 && unreadable > 0) return 2;
  if (!(await emit(summary, opts, io, signal))) return waitInterrupted(`-o ${opts.output}`, io, signal);

  if (unreadable > 0 || !exported) return 2;
  if (read.interrupted) return signalExitCode(signal.reason);
  return failOnHolds(summary, opts.failOn) ? 1 : 0;
}

/**
 * The progress of files merged by time as one bar: bytes read and packets summed over the
 * files, against their total size (none when one is a stream: no bar, as for stdin).
 */
function setProgress(bar: ProgressBar, paths: string[]): ProgressBar['update'] {
  const sizes = paths.map((p) => {
    try {
      const st = p === '-' ? null : statSync(p);
      return st?.isFile() ? st.size : null;
    } catch {
      return null;
    }
  });
  const total = sizes.some((x) => x === null) ? null : sizes.reduce<number>((a, b) => a + (b ?? 0), 0);
  const read = new Float64Array(paths.length);
  const packets = new Float64Array(paths.length);
  let gzip = false;
  return (i, r, _size, n, gz) => {
    read[i] = r;
    packets[i] = n;
    gzip ||= gz;
    let sumRead = 0;
    let sumPackets = 0;
    for (let k = 0; k < read.length; k++) {
      sumRead += read[k];
      sumPackets += packets[k];
    }
    bar.update(0, sumRead, total, sumPackets, gzip);
  };
}

/**
 * Problems with inputs: one line each, on stderr, whatever the format — unless the text
 * report, which lists them in the same words, is going to the same terminal.
 */
export async function reportInputProblemsUnlessShown(summary: Summary, opts: { format: string; output?: string }, io: CliIo): Promise<void> {
  if (!(opts.format === 'text' && summaryOnStdout(opts) && io.stdout.isTTY && io.stderr.isTTY)) await reportInputProblems(summary, io);
}

/** Each input problem as one `pantap: ...` line on stderr. */
export async function reportInputProblems(summary: Summary, io: CliIo): Promise<void> {
  const { inputProblems } = await import('../report/build.js');
  for (const p of inputProblems(summary.input, { interruption: false })) io.warn(p.message);
}

/**
 * Renders in the chosen format; each renderer (protobufjs, cli-table3, the HTML page) loads only when used.
 * `allEntries` (--all-entries) is for text and Markdown: JSON and protobuf list every entry.
 */
export async function renderSummary(summary: Summary, format: string, color: boolean, width: number | undefined, allEntries = false): Promise<Rendered> {
  if (format === 'protobuf') return (await import('../report/protobuf.js')).encodeSummary(summary);
  if (format === 'json') return { chunks: (await import('../report/json.js')).renderJsonChunks(summary) };
  if (format === 'markdown') return (await import('../report/markdown.js')).renderMarkdown(summary, { allEntries });
  if (format === 'html') return (await import('../report/html.js')).renderHtml(summary);
  return (await import('../report/text.js')).renderText(summary, { color, width, allEntries });
}

/** The format/output checks `analyze` and `live` share (the format's values are commander choices). */
export function checkOutput(opts: { format: string; output?: string }, io: CliIo): void {
  if (opts.format === 'protobuf' && summaryOnStdout(opts) && io.stdout.isTTY) throw new UsageError('--format protobuf writes binary: give -o FILE or redirect stdout');
}

/** Whether the summary goes to stdout: without -o, or with -o /dev/stdout. */
function summaryOnStdout(opts: { output?: string }): boolean {
  return !opts.output || inheritedFd(opts.output) === 1;
}

/**
 * Renders the summary and writes it to -o FILE or stdout (EPIPE-safe). Resolves false, having
 * written nothing, when a signal ended the wait for the reader of an -o FIFO.
 */
export async function emit(summary: Summary, opts: { format: string; output?: string; color: boolean; allEntries?: boolean }, io: CliIo, signal?: AbortSignal): Promise<boolean> {
  const out = await renderSummary(summary, opts.format, opts.color, io.stdout.columns, opts.allEntries ?? false);
  if (!opts.output) {
    await writeStream(io.stdout, out, (err) => new PantapError('INPUT', `stdout: ${err.message}`));
    return true;
  }
  // -o /dev/stdout (or /dev/stderr) is the stream stdout is: written as without -o.
  const fd = inheritedFd(opts.output);
  if (fd === 1 || fd === 2) {
    const path = opts.output;
    await writeStream(fd === 1 ? io.stdout : io.stderr, out, (err) => new CaptureError('OUTPUT', path, `cannot write output (${(err as { code?: string }).code ?? err.message})`));
    return true;
  }
  return (await import('./atomic-write.js')).writeOutput(opts.output, out, signal);
}

/**
 * Opens the NDJSON flow file up front, so a bad path is one clear error. /dev/stdout and
 * /dev/stderr are written through their streams, /dev/fd/N through that descriptor, a FIFO
 * once its reader is there (see open-output.ts). Resolves null when a signal ended that wait.
 */
export async function openNdjson(path: string, io: CliIo, signal?: AbortSignal): Promise<NdjsonWriter | null> {
  const { NdjsonWriter } = await import('../report/ndjson.js');
  const fd = inheritedFd(path);
  if (fd === 1 || fd === 2) return new NdjsonWriter(fd === 1 ? io.stdout : io.stderr, { name: path, end: false });
  if (fd !== null) return new NdjsonWriter(fd, { name: path });
  const opened = await (await import('./open-output.js')).openOutput(path, 'cannot write flows', signal);
  return opened === null ? null : new NdjsonWriter(opened, { name: path, closeFd: true });
}

/** A signal ended the wait for a FIFO's reader: nothing was written; the signal sets the code. */
export function waitInterrupted(label: string, io: CliIo, signal: AbortSignal): number {
  io.warn(`${label}: interrupted while waiting for a process to read it; nothing was written`);
  return signalExitCode(signal.reason);
}

/**
 * Writes chunk by chunk, each once the stream is done with the one before (chunks may share
 * one buffer, rendered.ts; a chunk of 256 KiB fills the stream's buffer anyway, so this is
 * the wait for a slow pipe as well); the first error decides (EPIPE: the reader left, not an error).
 */
async function writeStream(out: NodeJS.WriteStream, data: Rendered, error: (err: Error) => Error): Promise<void> {
  let failure: Error | null = null;
  for (const chunk of chunksOf(data)) {
    await new Promise<void>((resolve) => {
      out.write(chunk, (err) => {
        failure ??= err ?? null;
        resolve();
      });
    });
    if (failure !== null) break;
  }
  if (failure !== null && (failure as { code?: string }).code !== 'EPIPE') throw error(failure);
}

/**
 * `--fail-on unexpected`: some flow matched no catalog entry; `--fail-on failed`: some flow's
 * verdict is failed, whatever the reason (refused, unanswered, a TLS alert...), as the
 * sections' `failed` counts them; `--fail-on degraded`: degraded or worse, some flow's verdict
 * is warning or failed (a health line that is not up, or such a flow matching no entry).
 */
export function failOnHolds(s: Summary, failOn: string[]): boolean {
  const unexpected = s.sections.find((x) => x.id === 'unexpected')?.flows ?? 0;
  const failed = s.sections.reduce((a, x) => a + x.failed, 0);
  const degraded = s.sections.reduce((a, x) => a + x.degraded, 0);
  return (failOn.includes('unexpected') && unexpected > 0) || (failOn.includes('failed') && failed > 0) || (failOn.includes('degraded') && failed + degraded > 0);
}
