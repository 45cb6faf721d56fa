// The live adapter: pulls record batches from a capture source (libpcap through the addon,
// or anything with the same read()) into a session until a packet count, a deadline or a
// signal ends it. The caller sees each batch before the session takes it (to write it out)
// and the flows that expired after it (to stream them).
import { emptyFileReport, type FileReport } from '../capture/reader.js';
import type { RecordBatch } from '../capture/records.js';
import type { ClassifiedFlow } from '../classify/classify.js';
import type { FlowSession } from './session.js';

/** A source of record batches in the file reader's layout (LiveSource is one). */
export interface BatchSource {
  readonly linktype: number;
  /** Fills a batch; resolves with 0 records after a quiet timeout, or at the end of a finite source. */
  read(data: ArrayBuffer, index: ArrayBuffer, maxRecords: number): Promise<{ count: number }>;
  /** Whether a finite source (a replay in tests) has nothing more to give. */
  ended?(): boolean;
}

export interface FeedLiveOptions {
  /** Display name of the input, e.g. `live:eth0`. */
  name: string;
  snaplen: number;
  /** Stop after this many packets. */
  count?: number;
  /** Stop at this wall-clock time (ms since the epoch). */
  deadlineMs?: number;
  signal?: AbortSignal;
  /** Sees each batch before the session takes it over (a worker's batch is transferred). */
  onBatch?(batch: RecordBatch): void;
  /** After each batch: the flows that expired with it (often none). */
  onFlows?(flows: ClassifiedFlow[]): void | Promise<void>;
  /** About once per read: for a refreshing screen. */
  onTick?(packets: number): void;
}

/** Captures until told to stop; returns the input's report (the session is not finished). */
export async function feedLive(session: FlowSession, src: BatchSource, opts: FeedLiveOptions): Promise<FileReport> {
  const pool = session.buffers;
  const deadline = opts.deadlineMs ?? Infinity;
  let seq = 0;
  while (!opts.signal?.aborted && Date.now() < deadline && (opts.count === undefined || seq < opts.count) && !(src.ended?.() ?? false)) {
    const bufs = pool.acquire();
    const { count } = await src.read(bufs.data, bufs.index, pool.maxRecords);
    const n = opts.count === undefined ? count : Math.min(count, opts.count - seq);
    if (n > 0) {
      const batch: RecordBatch = { data: bufs.data, index: bufs.index, count: n, seqBase: seq, fileIndex: 0, fileOffset: 0 };
      opts.onBatch?.(batch);
      seq += n;
      const expired = await session.add(batch);
      if (expired.length > 0) await opts.onFlows?.(expired);
    } else pool.release(bufs);
    opts.onTick?.(seq);
  }
  return { ...emptyFileReport(opts.name, 'live'), records: seq, bytesRead: 0, linktypes: [src.linktype], snaplen: opts.snaplen };
}
