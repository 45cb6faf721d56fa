// One analysis run over a list of inputs: read and frame each in turn on this thread,
// aggregate on the sink (workers or inline), then merge the partial tables once.
import { BufferPool, readCapture, type FileReport } from '../capture/reader.js';
import { CaptureError } from '../errors.js';
import { resolveFragments, type FragmentResolution } from '../flow/fragments.js';
import { FlowTable } from '../flow/table.js';
import { mergeStats, type DecodeStats } from './aggregate.js';
import { InlineSink, WorkerPool, type BatchSink } from './pool.js';

export interface RunOptions {
  /** 0 decodes on the main thread. */
  workers: number;
  maxFlows: number;
  batchBytes?: number;
  batchRecords?: number;
  signal?: AbortSignal;
  onProgress?(fileIndex: number, bytesRead: number, size: number | null): void;
  stdin?: NodeJS.ReadableStream;
}

export interface RunResult {
  files: FileReport[];
  /** Inputs that could not be read at all (not a capture, cannot open). */
  failed: CaptureError[];
  stats: DecodeStats;
  table: FlowTable;
  fragments: FragmentResolution;
  interrupted: boolean;
}

export async function runAnalysis(paths: string[], opts: RunOptions): Promise<RunResult> {
  const buffers = new BufferPool(opts.batchBytes, opts.batchRecords);
  const sink: BatchSink =
    opts.workers > 0 ? new WorkerPool(opts.workers, buffers, opts.maxFlows, paths.map(displayName)) : new InlineSink(buffers, opts.maxFlows);
  const files: FileReport[] = [];
  const failed: CaptureError[] = [];
  let seq = 0;
  try {
    for (let i = 0; i < paths.length; i++) {
      if (opts.signal?.aborted) break;
      try {
        const rep = await readCapture(paths[i], {
          fileIndex: i,
          seqBase: seq,
          pool: buffers,
          submit: (b) => sink.submit(b),
          onProgress: opts.onProgress && ((r, s) => opts.onProgress!(i, r, s)),
          signal: opts.signal,
          stdin: opts.stdin,
        });
        seq += rep.records;
        files.push(rep);
      } catch (err) {
        if (err instanceof CaptureError) failed.push(err);
        else throw err;
      }
    }
    const parts = await sink.finish();
    // Sized up front: growing by rehash through a million flows costs more than the merge.
    const expected = Math.min(opts.maxFlows, parts.reduce((a, p) => a + p.flows.count, 0));
    const table = new FlowTable(opts.maxFlows, Math.max(1024, expected * 2));
    for (const p of parts) table.merge(p.flows);
    const fragments = resolveFragments(
      table,
      parts.map((p) => p.fragments),
    );
    return { files, failed, stats: mergeStats(parts.map((p) => p.stats)), table, fragments, interrupted: opts.signal?.aborted ?? false };
  } catch (err) {
    await sink.terminate();
    throw err;
  }
}

function displayName(p: string): string {
  return p === '-' ? 'stdin' : p;
}
