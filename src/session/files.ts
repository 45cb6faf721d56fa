// The file adapter: reads capture files (and stdin) into one session as one stream: the
// files of a run merged packet by packet in timestamp order (capture/merge.ts), global
// record numbers running in merged order. Files that cannot be read at all are collected,
// not thrown, so the others are still analysed. --dedup and then the offline filters (-f,
// --host, --since, --until, -c: they see one copy of each packet) drop records here,
// between the reader and the session: before aggregation, on the main thread, one call per
// batch.
import type { SkippedInput } from '../capture/inputs.js';
import { FileMap, readMerged } from '../capture/merge.js';
import type { FileReport } from '../capture/reader.js';
import type { RecordBatch } from '../capture/records.js';
import { CaptureError, FilterError } from '../errors.js';
import type { DedupFacts, Deduplicator } from '../pipeline/dedup.js';
import type { FilterFacts, RecordFilter } from '../pipeline/filter.js';
import type { FlowSession } from './session.js';

export interface FeedFilesOptions {
  signal?: AbortSignal;
  /** Per file: bytes consumed (compressed for gzip) of its size (null for streams), packets so far, gzip or not. */
  onProgress?(fileIndex: number, bytesRead: number, size: number | null, packets: number, gzip: boolean): void;
  stdin?: NodeJS.ReadableStream;
  /** Offline filters; reading stops once its -c limit is reached. */
  filter?: RecordFilter;
  /** --dedup: drops copies of a packet (before the filters, so -c counts packets, not copies). */
  dedup?: Deduplicator;
}

export interface FilesRead {
  files: FileReport[];
  failed: CaptureError[];
  interrupted: boolean;
  /** What the filters did (null without any). */
  filter: FilterFacts | null;
  /** What --dedup dropped (null without it). */
  dedup?: DedupFacts | null;
  /** Files of directories and globs that are not captures, and files named twice (set by the caller that expanded the arguments). */
  skipped?: SkippedInput[];
  /**
   * Global record number → index into `paths` (the list fed): which file each record of the
   * merged stream came from (see capture/merge.ts FileMap).
   */
  map: FileMap;
  /** The files fed, in the order the map's file indexes refer to. */
  paths: string[];
}

export async function feedFiles(session: FlowSession, paths: string[], opts: FeedFilesOptions = {}): Promise<FilesRead> {
  const { filter, dedup } = opts;
  // -c reached: the readers stop as at a signal (what they framed already is dropped here).
  const limit = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, limit.signal]) : limit.signal;
  let examined = 0;
  const name = (i: number) => (paths[i] === '-' ? 'stdin' : (paths[i] ?? 'input'));
  const submit = async (b: RecordBatch): Promise<void> => {
    // -c was reached: what the readers still hand over is dropped unseen.
    if (filter?.stopped) {
      session.buffers.release(b);
      return;
    }
    // Records of the merged stream this batch holds, before --dedup drops any.
    const read = b.count;
    if (dedup !== undefined) dedup.apply(b);
    const unique = b.count;
    const uniqueSeqs = b.seqs;
    if (filter !== undefined && b.count > 0) {
      try {
        filter.apply(b);
      } catch (err) {
        session.buffers.release(b);
        throw err instanceof FilterError ? new FilterError(`${name(b.fileIndex)}: ${err.message}`) : err;
      }
      if (filter.stopped) {
        // -c reached in this batch, at its last kept record: the records read end there, and
        // copies after it were not read either
        const cut = b.seqs === undefined ? b.seqBase + b.count - 1 : b.seqs[b.count - 1];
        const prefix = cut - b.seqBase + 1;
        examined += prefix;
        if (dedup !== undefined && uniqueSeqs !== undefined) {
          let uniqueBefore = 0;
          for (let i = 0; i < unique; i++) if (uniqueSeqs[i] <= cut) uniqueBefore++;
          dedup.dropped -= read - unique - (prefix - uniqueBefore);
        }
        limit.abort();
      } else examined += read;
    } else examined += read;
    if (b.count === 0) {
      session.buffers.release(b);
      return;
    }
    await session.add(b);
  };
  // One large plain file is read ahead (capture/ahead.ts), inline and with workers alike.
  const merged = await readMerged(paths, { pool: session.buffers, submit, onProgress: opts.onProgress, signal, stdin: opts.stdin, readAhead: true });
  // With -c, the records read are those up to the last one kept, counted per file.
  const counts = filter !== undefined ? merged.map.countsUpTo(examined, paths.length) : null;
  const files: FileReport[] = [];
  const failed: CaptureError[] = [];
  merged.results.forEach((r, i) => {
    if (r instanceof CaptureError) failed.push(r);
    else if (r !== null) {
      if (counts !== null) r.records = counts[i];
      files.push(r);
    }
  });
  return {
    files,
    failed,
    interrupted: opts.signal?.aborted ?? false,
    filter: filter?.facts() ?? null,
    dedup: dedup?.facts() ?? null,
    map: merged.map,
    paths,
  };
}

/**
 * The file a global record number came from, as the summary names inputs (`stdin` for
 * '-'); '' when there is none (no record, or a number before the first). The ClickHouse
 * export names a flow's source file this way, by its first record (ClassifiedFlow.firstSeq).
 */
export function sourceFile(read: Pick<FilesRead, 'map' | 'paths'>, seq: number): string {
  const i = read.map.fileOf(seq);
  if (i < 0) return '';
  const p = read.paths[i];
  return p === '-' ? 'stdin' : p;
}
