// The file adapter: reads capture files (and stdin) in turn into one session, with global
// record numbers running across them. Files that cannot be read at all are collected, not
// thrown, so the others are still analysed. Offline filters (-f, --host, --since,
// --until, -c) drop records here, between the reader and the session: before aggregation,
// on the main thread, one call per batch.
import { readCapture, type FileReport } from '../capture/reader.js';
import type { RecordBatch } from '../capture/records.js';
import { CaptureError, FilterError } from '../errors.js';
import type { FilterFacts, RecordFilter } from '../pipeline/filter.js';
import type { FlowSession } from './session.js';

export interface FeedFilesOptions {
  signal?: AbortSignal;
  /** Per file: bytes consumed (compressed for gzip) of its size (null for streams), packets so far, gzip or not. */
  onProgress?(fileIndex: number, bytesRead: number, size: number | null, packets: number, gzip: boolean): void;
  stdin?: NodeJS.ReadableStream;
  /** Offline filters; reading stops once its -c limit is reached. */
  filter?: RecordFilter;
}

export interface FilesRead {
  files: FileReport[];
  failed: CaptureError[];
  interrupted: boolean;
  /** What the filters did (null without any). */
  filter: FilterFacts | null;
}

export async function feedFiles(session: FlowSession, paths: string[], opts: FeedFilesOptions = {}): Promise<FilesRead> {
  const files: FileReport[] = [];
  const failed: CaptureError[] = [];
  const { filter } = opts;
  // -c reached: the reader stops as at a signal (what it framed already is dropped here).
  const limit = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, limit.signal]) : limit.signal;
  let seq = 0;
  for (let i = 0; i < paths.length; i++) {
    if (opts.signal?.aborted || filter?.stopped) break;
    let examined = 0;
    const submit = async (b: RecordBatch): Promise<void> => {
      if (filter !== undefined) {
        try {
          filter.apply(b);
        } catch (err) {
          session.buffers.release(b);
          throw err instanceof FilterError ? new FilterError(`${paths[i] === '-' ? 'stdin' : paths[i]}: ${err.message}`) : err;
        }
        examined += filter.examined;
        if (filter.stopped) limit.abort();
        if (b.count === 0) {
          session.buffers.release(b);
          return;
        }
      }
      await session.add(b);
    };
    try {
      const rep = await readCapture(paths[i], {
        fileIndex: i,
        seqBase: seq,
        pool: session.buffers,
        submit,
        onProgress: opts.onProgress && ((r, s, n, gz) => opts.onProgress!(i, r, s, n, gz)),
        signal,
        stdin: opts.stdin,
      });
      // With -c, the records read are those up to the last one kept.
      if (filter !== undefined) rep.records = examined;
      seq += rep.records;
      files.push(rep);
    } catch (err) {
      if (err instanceof CaptureError) failed.push(err);
      else throw err;
    }
  }
  return { files, failed, interrupted: opts.signal?.aborted ?? false, filter: filter?.facts() ?? null };
}
