// The streaming reader: pulls a source into large recycled buffers, frames records in
// place and hands record batches to a sink. Buffers come back to the pool when the sink
// is done with them, so memory stays flat for any capture size.
import { CaptureError, InterruptedError } from '../errors.js';
import { detectFramer } from './detect.js';
import type { Framer } from './framer.js';
import { PcapngFramer } from './pcapng.js';
import { PCAP_HEADER_LEN, PcapFramer } from './pcap.js';
import { MAX_CAPLEN, REC_WORDS, type RecordBatch } from './records.js';
import type { ReadAhead, ReadAheadOptions, Taken } from './ahead.js';
import { openSource, type ByteSource } from './source.js';

function sharedBuffer(bytes: number): ArrayBuffer {
  return new SharedArrayBuffer(bytes) as unknown as ArrayBuffer;
}

/** Whether a batch buffer is a SharedArrayBuffer (from a shared BufferPool). */
export function isShared(b: ArrayBuffer): boolean {
  return (b as unknown) instanceof SharedArrayBuffer;
}

export interface BatchBuffers {
  data: ArrayBuffer;
  index: ArrayBuffer;
}

// 2 MiB batches stay in the shared cache between the reader's core and a worker's; 8 MiB
// batches measured slower (bench/README.md).
export const DEFAULT_BATCH_BYTES = 2 << 20;
export const DEFAULT_BATCH_RECORDS = 1 << 15;
/** Bytes read before framing them: small enough to be framed while still in cache. */
const READ_CHUNK = 1 << 20;
/**
 * The first batch of a file is handed over once this many bytes are framed: decoding it
 * runs on cold (not yet optimised) code, so a full 2 MiB batch would hold the first result
 * back by tens of milliseconds (start-up, bench/README.md "Issue 13"). The rest is the same.
 */
const FIRST_BATCH_BYTES = 64 << 10;
/** Files from this size on are read ahead (when asked for: ReadOptions.readAhead). */
const AHEAD_MIN_BYTES = 32 << 20;
/** Bytes free in front of a part read ahead: a cut pcap record (header and MAX_CAPLEN bytes) fits. */
const AHEAD_HEAD = MAX_CAPLEN + 4096;
/** Reads in flight: one more than the part being framed, so that it rarely waits. */
const AHEAD_DEPTH = 2;
/**
 * Bytes of a part read ahead, each a batch of its own (the rest of its 2 MiB buffer unused).
 * Small enough that the part's lines are likely still in a cache close by when they are
 * framed (the other core's L2 is 1 MiB, and its copy reads as much of the page cache), and
 * in this core's when they are decoded: mixed-2M's framing and decoding took about half the
 * on-CPU time they took with 1.75 MiB parts (bench/README.md, branch `frame7`).
 */
const AHEAD_PART = 512 << 10;

/** What touchLines read, kept so that its loads are not dropped as unused. */
let _touched = 0;

/**
 * Reads one byte of every 64-byte line of b[from, to): independent loads in a sequential
 * sweep, which the core overlaps and the prefetcher follows, so a part copied on the other
 * core is brought into this core's L2 at memory bandwidth. Framing alone reaches those lines
 * one record header at a time, each load waiting for the one before (the next header's
 * position is in it): mixed-2M's framing took ≈ 180-230 ms on-CPU with 512 KiB parts cold,
 * ≈ 25 ms after this sweep of ≈ 6-13 ms (bench/README.md, branch `frame7`).
 */
function touchLines(b: Uint8Array, from: number, to: number): number {
  let x = 0;
  for (let i = from; i < to; i += 64) x ^= b[i];
  return x;
}

/** Recycles batch buffers; allocUnsafeSlow avoids zero-filling and Node's shared pool. */
export class BufferPool {
  private readonly free: BatchBuffers[] = [];
  constructor(
    readonly dataBytes = DEFAULT_BATCH_BYTES,
    readonly maxRecords = DEFAULT_BATCH_RECORDS,
    /**
     * Batches in SharedArrayBuffers: a worker pool then hands one batch to several threads,
     * each aggregating its flows' records, instead of copying every record into a part per
     * worker (pipeline/pool.ts). Typed as ArrayBuffer (what readers, decoders and views take
     * of it is the same); `isShared` tells them apart.
     */
    readonly shared = false,
  ) {}
  acquire(): BatchBuffers {
    return this.free.pop() ?? (this.shared ? { data: sharedBuffer(this.dataBytes), index: sharedBuffer(this.maxRecords * REC_WORDS * 4) } : {
        data: Buffer.allocUnsafeSlow(this.dataBytes).buffer as ArrayBuffer,
        index: Buffer.allocUnsafeSlow(this.maxRecords * REC_WORDS * 4).buffer as ArrayBuffer,
      });
  }
  release(b: BatchBuffers): void {
    // Only buffers of this pool's sizes come back: a caller's own batch must not slip in.
    if (b.data.byteLength === this.dataBytes && b.index.byteLength === this.maxRecords * REC_WORDS * 4) this.free.push(b);
  }
  /** Lets go of the buffers kept for reuse (nothing more is read): acquire() makes new ones. */
  clear(): void {
    this.free.length = 0;
  }
}

export interface FileReport {
  file: string;
  format: 'pcap' | 'pcapng' | 'live';
  gzip: boolean;
  records: number;
  /** Bytes of the (decompressed) capture consumed. */
  bytesRead: number;
  /** Link types declared by the file (pcap header, or every pcapng IDB). */
  linktypes: number[];
  snaplen: number | null;
  /** pcapng sections seen. */
  sections: number | null;
  /** Byte offset where the file ends inside a record, when it does. */
  truncatedAt: number | null;
  /** Structural corruption that ended reading (records before it are kept). */
  error: string | null;
  warnings: string[];
  warningsSuppressed: number;
}

/** A report with nothing read yet; the reader and live capture fill in what they know. */
export function emptyFileReport(file: string, format: FileReport['format']): FileReport {
  return {
    file,
    format,
    gzip: false,
    records: 0,
    bytesRead: 0,
    linktypes: [],
    snaplen: null,
    sections: null,
    truncatedAt: null,
    error: null,
    warnings: [],
    warningsSuppressed: 0,
  };
}

export interface ReadOptions {
  fileIndex: number;
  /** Global sequence number of this file's first record. */
  seqBase: number;
  pool: BufferPool;
  /** Receives each batch; may return a promise to apply backpressure. Owns the buffers until it releases them to the pool. */
  submit(batch: RecordBatch): void | Promise<void>;
  /**
   * As reading goes: bytes of the file consumed (compressed bytes for gzip) against its size
   * (null for stdin and FIFOs), the packets framed so far, and whether the file is gzip.
   */
  onProgress?(bytesRead: number, size: number | null, packets: number, gzip: boolean): void;
  signal?: AbortSignal;
  stdin?: NodeJS.ReadableStream;
  /**
   * A large plain pcap file may be read ahead on libuv's threads (capture/ahead.ts): up to
   * AHEAD_DEPTH more of the pool's buffers are in use. Tests pass the sizes.
   */
  readAhead?: boolean | AheadTuning;
}

/** Read-ahead's sizes (defaults: AHEAD_MIN_BYTES, AHEAD_HEAD, AHEAD_DEPTH, AHEAD_PART), and a substitute fs.read for tests. */
export interface AheadTuning {
  minBytes?: number;
  head?: number;
  depth?: number;
  part?: number;
  read?: ReadAheadOptions['read'];
}

/**
 * Reads one capture. Throws CaptureError when it cannot be opened or is not a capture;
 * corruption later in the file ends reading and is reported in the FileReport instead.
 * After `signal` fires, the records already read are framed and handed over, and reading
 * stops (the input is then not reported as truncated: it was not seen to end).
 */
export async function readCapture(path: string, opts: ReadOptions): Promise<FileReport> {
  const src = await openSource(path, opts.stdin as never, opts.signal);
  try {
    return await readFrom(src, opts);
  } finally {
    await src.close().catch(() => undefined);
  }
}

interface Filled {
  fill: number;
  eof: boolean;
  err: CaptureError | null;
}

/**
 * One read into u8[fill, want): a stream hands over what has arrived, so records are framed
 * as they come. A source that fails (corrupt gzip) ends the data with `err`.
 */
async function readMore(src: ByteSource, u8: Uint8Array, fill: number, want: number): Promise<Filled> {
  let n: number;
  try {
    n = await src.read(u8, fill, want - fill);
  } catch (err) {
    if (err instanceof CaptureError) return { fill, eof: true, err };
    throw err;
  }
  return n === 0 ? { fill, eof: true, err: null } : { fill: fill + n, eof: false, err: null };
}

/**
 * Reads on past a full buffer, overwriting it, until `upto` bytes from its start have been
 * seen or the data ends; `seen` counts them.
 */
async function readPast(src: ByteSource, u8: Uint8Array, fill: number, upto: number): Promise<{ seen: number; eof: boolean; err: CaptureError | null }> {
  let seen = fill;
  while (seen < upto) {
    const r = await readMore(src, u8, 0, Math.min(u8.length, upto - seen));
    if (r.eof) return { seen, eof: true, err: r.err };
    seen += r.fill;
  }
  return { seen, eof: false, err: null };
}

async function readFrom(src: ByteSource, opts: ReadOptions): Promise<FileReport> {
  const { pool } = opts;
  let bufs = pool.acquire();
  let u8 = new Uint8Array(bufs.data);
  let dv = new DataView(bufs.data);
  let idx = new Uint32Array(bufs.index);
  const cap = u8.length;
  // Bytes the batch being filled takes before it is handed over: less for the first one.
  let room = Math.min(cap, FIRST_BATCH_BYTES);
  const maxRecs = pool.maxRecords;
  const stopped = (): boolean => opts.signal?.aborted === true;

  // A source error after the first bytes ends the data like a cut file: the records before
  // it are kept and the error is reported (readErr), as for structural corruption.
  let r = await readMore(src, u8, 0, Math.min(room, READ_CHUNK));
  // The format is told by four bytes; a stream may hand them over one at a time.
  while (!r.eof && r.fill < 4) r = await readMore(src, u8, r.fill, Math.min(room, READ_CHUNK));
  let { fill, eof, err: readErr } = r;
  let framer: Framer;
  try {
    if (fill < 4 && readErr === null && stopped()) throw new InterruptedError(src.name, `interrupted before a capture header arrived (${fill} bytes read)`);
    framer = detectFramer(src.name, u8.subarray(0, Math.min(fill, 4)));
  } catch (err) {
    pool.release(bufs);
    throw readErr ?? err;
  }
  const report: FileReport = { ...emptyFileReport(src.name, framer.format), gzip: src.gzip };
  let fatal: CaptureError | null = null;
  let base = 0; // file offset of u8[0]
  let pos = 0;
  let seq = opts.seqBase;
  let batchStart = 0;
  let inputEnd = -1; // where the data ended, once it has
  const tune: AheadTuning = typeof opts.readAhead === 'object' ? opts.readAhead : {};
  const head = tune.head ?? AHEAD_HEAD;
  // A large plain pcap file: its parts are read ahead from the third batch on. The first
  // (64 KiB, so start-up waits for no read of a whole part) and the second (a whole buffer:
  // read-ahead begins once records were handed over, report.records) are read here.
  let ahead: ReadAhead | null =
    opts.readAhead !== undefined && opts.readAhead !== false && framer instanceof PcapFramer && src.size !== null && src.size >= (tune.minBytes ?? AHEAD_MIN_BYTES) && cap >= 4 * head
      ? (src.readAhead?.(pool, { head, depth: tune.depth ?? AHEAD_DEPTH, part: tune.part ?? AHEAD_PART, read: tune.read }) ?? null)
      : null;
  let aheadWanted = ahead !== null;

  const emit = async (): Promise<void> => {
    const batch: RecordBatch = {
      data: bufs.data,
      index: bufs.index,
      count: framer.count,
      seqBase: seq,
      fileIndex: opts.fileIndex,
      fileOffset: batchStart,
    };
    seq += framer.count;
    report.records += framer.count;
    framer.count = 0;
    await opts.submit(batch);
  };

  for (;;) {
    try {
      pos = framer.frame(u8, dv, pos, fill, base, idx, maxRecs);
    } catch (err) {
      if (!(err instanceof CaptureError)) throw err;
      fatal = err;
      report.error = err.message;
      pos = fill;
      eof = true;
    }
    opts.onProgress?.(src.consumed(), src.size, report.records + framer.count, src.gzip);
    const indexFull = framer.count >= maxRecs;
    if (eof && !indexFull) {
      inputEnd = base + fill;
      if (readErr !== null) {
        report.error ??= readErr.message;
      } else if (fatal !== null || stopped()) {
        // corrupt: report.error says where; interrupted: the data did not end here
      } else if (framer.skipping > 0) {
        // the file ends inside a block that was being skipped (perhaps in its trailer): name
        // where that block starts
        report.truncatedAt = framer instanceof PcapngFramer ? framer.skipFrom : base + pos;
      } else if (pos < fill) {
        report.truncatedAt = base + pos;
      }
      break;
    }
    if (!indexFull && fill < room) {
      // Room left and no end yet: read more before handing the batch over. This thread
      // reading past a part read ahead (its batch grown to the whole buffer, below) reads the
      // bytes of the parts in flight: they are dropped, and it reads on itself from here.
      if (ahead?.active === true) void ahead.stop();
      ({ fill, eof, err: readErr } = await readMore(src, u8, fill, Math.min(room, fill + READ_CHUNK)));
      continue;
    }
    if (pos === 0 && framer.count === 0 && framer.skipping === 0 && room < cap) {
      // Nothing framed in the first batch's share, or in a part read ahead (a cut record
      // filling the head room, longer than it and the part together: only with a head room
      // tuned below MAX_CAPLEN): a large record (or block); use it all.
      room = cap;
      continue;
    }
    if (pos === 0 && framer.count === 0 && framer.skipping === 0) {
      // Nothing framed in a full buffer: what starts here claims more than the buffer holds.
      // Unless the data ends before that length (then it is cut, as a larger buffer would
      // show), it cannot be framed. Reading on to tell which keeps the outcome independent
      // of the buffer size.
      const past = framer.needed > fill ? await readPast(src, u8, fill, framer.needed) : { seen: fill, eof: false, err: null };
      if (past.eof) {
        inputEnd = base + past.seen;
        if (past.err !== null) report.error = past.err.message;
        else if (!stopped()) report.truncatedAt = base;
        readErr = past.err;
      } else {
        fatal = new CaptureError('FORMAT', src.name, `record at byte offset ${base} is larger than the ${cap}-byte read buffer`);
        report.error = fatal.message;
      }
      break;
    }
    // Hand the framed part over and carry the incomplete tail into a fresh buffer: the next
    // part read ahead (in front of its bytes), else one of the pool's (then read into).
    const carried = fill - pos;
    let part: Taken | null = null;
    if (ahead !== null && !eof && !stopped() && carried <= head) {
      if (!ahead.active && aheadWanted && report.records > 0) {
        ahead.begin(base + fill);
        aheadWanted = false;
      }
      if (ahead.active) part = await ahead.take();
    }
    if (part === null && ahead !== null && !aheadWanted) {
      // Not needed any more (the end, an abort) or cannot go on (a cut record longer than
      // the head room): this thread reads on itself, from where the parts ended (src.seek
      // below); the source waits for the reads in flight before it closes the file.
      void ahead.stop();
      ahead = null;
    }
    const next = part?.bufs ?? pool.acquire();
    const nu8 = new Uint8Array(next.data);
    const at = part === null ? 0 : head - carried;
    nu8.set(u8.subarray(pos, fill), at);
    // Start reading into the fresh buffer before handing the full one over, so the read
    // (on libuv's pool) overlaps decoding, whether that runs inline or waits for a worker.
    const reading = eof || part !== null ? null : readMore(src, nu8, carried, Math.min(cap, carried + READ_CHUNK));
    reading?.catch(() => undefined); // if emit throws first, the read's fate must not crash us
    if (framer.count > 0) await emit();
    else pool.release(bufs);
    // File reads are synchronous: give the event loop a turn per batch, so Ctrl-C, worker
    // messages and the progress bar are served during a long inline run.
    await new Promise<void>((resolve) => setImmediate(resolve));
    bufs = next;
    // A whole part is a batch of its own; after a short one (the file's end) this thread reads on.
    room = part !== null && part.err === null && part.length === part.want ? at + carried + part.length : cap;
    u8 = nu8;
    dv = new DataView(next.data);
    idx = new Uint32Array(next.index);
    // the batch's buffer starts `at` bytes before its first record (its head room unused)
    base += pos - at;
    batchStart = base;
    pos = at;
    fill = at + carried;
    if (part !== null) {
      // A short part (the file's end) is topped up, or its end seen, by reading here.
      fill += part.length;
      eof = part.err !== null;
      readErr = part.err;
      // progress, and where this thread reads on once the parts stop
      src.seek!(base + fill);
      // in this core's cache before framing and decoding reach it (touchLines)
      _touched ^= touchLines(u8, pos, fill);
    }
    if (reading !== null) ({ fill, eof, err: readErr } = await reading);
  }
  report.bytesRead = base + pos;
  void ahead?.stop();
  if (framer.count > 0) await emit();
  else pool.release(bufs);

  // A file whose header never parsed is not a capture we can read: a hard error.
  const headerOk = framer instanceof PcapFramer ? framer.headerDone : (framer as PcapngFramer).sections > 0;
  if (!headerOk) {
    if (fatal !== null) throw fatal;
    if (readErr !== null) throw readErr;
    // Nothing was consumed (a header comes first), so inputEnd counts the bytes there were.
    const what = framer.format === 'pcap' ? 'pcap file header' : 'pcapng section header block';
    // fewer than 12 bytes of a section header do not tell its byte order, hence its length
    const known = framer.format === 'pcap' || inputEnd >= 12;
    if (stopped()) {
      throw new InterruptedError(src.name, `interrupted before the ${what} was complete (${inputEnd}${known ? ` of ${framer.needed}` : ''} bytes read)`);
    }
    const why =
      framer.format === 'pcap'
        ? `needs ${PCAP_HEADER_LEN} bytes, the file ends after ${inputEnd}`
        : known
          ? `claims ${framer.needed} bytes, the file ends after ${inputEnd}`
          : `the file ends after ${inputEnd} bytes, before its length can be read`;
    throw new CaptureError('FORMAT', src.name, `truncated ${what}: ${why}`);
  }
  if (framer instanceof PcapFramer) {
    report.linktypes = [framer.linkWord & 0xffff];
    report.snaplen = framer.snaplen;
  } else if (framer instanceof PcapngFramer) {
    report.linktypes = framer.linktypes;
    report.sections = framer.sections;
  }
  report.warnings = framer.warnings.list;
  report.warningsSuppressed = framer.warnings.suppressed;
  return report;
}
