// Capture sets read as one stream: the files of a run merged packet by packet in timestamp
// order, as mergecap does (overlapping files interleave; within a file, records keep their
// order; at equal times the earlier file goes first). A streaming k-way merge over each
// file's batches: a batch (or what is left of it) that comes entirely before every other
// file's next record is handed on as it is — only its index entries move — and records
// are copied into new batches only where files interleave, a run of consecutive records
// at a time. Rotated files (one after the other in time) thus cost nothing but a look at
// each file's first record: a file is opened when the merge reaches its first timestamp,
// so a ring buffer of a thousand files holds two batches of at most a few files at a time.
// One input is read straight through, with no merge at all.
import { statSync } from 'node:fs';
import { CaptureError } from '../errors.js';
import { BufferPool, readCapture, type BatchBuffers, type FileReport } from './reader.js';
import { REC_CAPLEN, REC_OFFSET, REC_TS_NSEC, REC_TS_SEC, REC_WORDS, type RecordBatch } from './records.js';

/**
 * Which input each global record number came from, as runs: records
 * [firstSeq[k], firstSeq[k+1]) come from input fileIndex[k]. A few entries for rotated files,
 * one per interleaved run otherwise. The ClickHouse export names a flow's source file by its
 * first record (ClassifiedFlow.firstSeq).
 */
export class FileMap {
  private readonly starts: number[] = [];
  private readonly files: number[] = [];

  /** Records from `seq` on come from input `file` (until the next add). */
  add(seq: number, file: number): void {
    const n = this.files.length;
    if (n > 0 && this.files[n - 1] === file) return;
    if (n > 0 && this.starts[n - 1] === seq) {
      // an empty run (nothing was added under it) is replaced
      this.files[n - 1] = file;
      if (n > 1 && this.files[n - 2] === file) {
        this.starts.pop();
        this.files.pop();
      }
      return;
    }
    this.starts.push(seq);
    this.files.push(file);
  }

  /** Input (index into the run's list of files) of global record `seq`; -1 before the first. */
  fileOf(seq: number): number {
    const s = this.starts;
    let lo = 0;
    let hi = s.length - 1;
    if (hi < 0 || seq < s[0]) return -1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (s[mid] <= seq) lo = mid;
      else hi = mid - 1;
    }
    return this.files[lo];
  }

  /** The runs, in record order. */
  runs(): { firstSeq: number; fileIndex: number }[] {
    return this.starts.map((firstSeq, k) => ({ firstSeq, fileIndex: this.files[k] }));
  }

  /** Records of each of `inputs` inputs among global records [0, n). */
  countsUpTo(n: number, inputs: number): number[] {
    const out = new Array<number>(inputs).fill(0);
    for (let k = 0; k < this.starts.length && this.starts[k] < n; k++) {
      const end = k + 1 < this.starts.length ? Math.min(n, this.starts[k + 1]) : n;
      out[this.files[k]] += end - this.starts[k];
    }
    return out;
  }
}

export interface MergeOptions {
  pool: BufferPool;
  /** Receives each merged batch, global record numbers running in merged order; owns its buffers. */
  submit(batch: RecordBatch): void | Promise<void>;
  onProgress?(fileIndex: number, bytesRead: number, size: number | null, packets: number, gzip: boolean): void;
  /** Stops reading: what is already read is still merged and handed over; files not opened yet are not. */
  signal?: AbortSignal;
  stdin?: NodeJS.ReadableStream;
  /** One large plain file may be read ahead (ReadOptions.readAhead); a set of files never is. */
  readAhead?: boolean;
}

export interface MergedRead {
  /** Per input, in order: its report, the error that kept it from being read, or null when never opened (interrupted first). */
  results: (FileReport | CaptureError | null)[];
  /** Global record number → input. */
  map: FileMap;
  /** Records handed over. */
  records: number;
  /** Of them, records copied into merged batches (where files interleave); the rest were handed on in their reader's batch. */
  copied: number;
}

/** Batch size of the look at a file's first record. */
const PROBE_BYTES = 64 << 10;
const PROBE_RECORDS = 16;

/**
 * Reads `paths` as one capture, merged by timestamp. Inputs that cannot be read at all are
 * returned as CaptureErrors; corruption inside a file ends that file only (its report says
 * so) and the others go on.
 */
export async function readMerged(paths: readonly string[], opts: MergeOptions): Promise<MergedRead> {
  const map = new FileMap();
  if (paths.length === 1) return readOne(paths[0], opts, map);
  const stop = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
  const results: (FileReport | CaptureError | null)[] = paths.map(() => null);
  const lanes: Lane[] = [];
  for (let i = 0; i < paths.length; i++) {
    const first = opts.signal?.aborted ? null : await firstStamp(paths[i], opts.stdin);
    lanes.push(new Lane(i, paths[i], first));
  }
  // Not opened yet, in the order of their first record.
  const pending = lanes.slice().sort((a, b) => (keyBefore(a.firstSec, a.firstNsec, a.file, b.firstSec, b.firstNsec, b.file) ? -1 : 1));
  const open: Lane[] = [];
  const out = new MergeOutput(opts, map);
  try {
    for (;;) {
      for (const l of open) {
        const w = l.ready();
        if (w !== null) await w;
      }
      for (let k = open.length - 1; k >= 0; k--) {
        const l = open[k];
        if (l.batch !== null || !l.ended) continue;
        if (l.failure !== null) throw l.failure;
        results[l.file] = l.result;
        open.splice(k, 1);
      }
      // The lane whose next record comes first, and the next record of any other lane.
      let best: Lane | null = null;
      for (const l of open) if (best === null || l.headBefore(best)) best = l;
      const next = pending[0];
      if (next !== undefined && (best === null || keyBefore(next.firstSec, next.firstNsec, next.file, best.headSec(), best.headNsec(), best.file))) {
        pending.shift();
        if (signal.aborted) {
          pending.length = 0;
          continue;
        }
        next.start(opts, signal);
        open.push(next);
        continue;
      }
      if (best === null) break;
      let bSec = Infinity;
      let bNsec = 0;
      let bFile = 0;
      for (const l of open) {
        if (l === best || !l.headBefore(null, bSec, bNsec, bFile)) continue;
        bSec = l.headSec();
        bNsec = l.headNsec();
        bFile = l.file;
      }
      if (next !== undefined && keyBefore(next.firstSec, next.firstNsec, next.file, bSec, bNsec, bFile)) {
        bSec = next.firstSec;
        bNsec = next.firstNsec;
        bFile = next.file;
      }
      const k = best.runBefore(bSec, bNsec, bFile);
      if (k === best.n - best.r) {
        await out.flush();
        await out.passThrough(best);
      } else {
        let left = k;
        while (left > 0) {
          left -= out.copyRun(best, left);
          if (out.full) await out.flush();
        }
      }
    }
    await out.flush();
  } catch (err) {
    stop.abort();
    out.abandon();
    for (const l of open) l.abandon(err);
    await Promise.allSettled(open.map((l) => l.running));
    throw err;
  }
  return { results, map, records: out.seq, copied: out.copied };
}

async function readOne(path: string, opts: MergeOptions, map: FileMap): Promise<MergedRead> {
  map.add(0, 0);
  try {
    const rep = await readCapture(path, {
      fileIndex: 0,
      seqBase: 0,
      pool: opts.pool,
      submit: opts.submit,
      onProgress: opts.onProgress && ((r, s, n, gz) => opts.onProgress!(0, r, s, n, gz)),
      signal: opts.signal,
      stdin: opts.stdin,
      readAhead: opts.readAhead,
    });
    return { results: [rep], map, records: rep.records, copied: 0 };
  } catch (err) {
    if (err instanceof CaptureError) return { results: [err], map, records: 0, copied: 0 };
    throw err;
  }
}

/** Whether record key (sec, nsec, file) a comes before b. */
function keyBefore(aSec: number, aNsec: number, aFile: number, bSec: number, bNsec: number, bFile: number): boolean {
  return aSec < bSec || (aSec === bSec && (aNsec < bNsec || (aNsec === bNsec && aFile < bFile)));
}

/**
 * The timestamp of a file's first record, from a read of its first 64 KiB (null when there
 * is none to tell: stdin, an empty or unreadable file, a first record larger than that —
 * such files are opened at the start).
 */
async function firstStamp(path: string, stdin: NodeJS.ReadableStream | undefined): Promise<[number, number] | null> {
  // A FIFO's bytes can be read once only: it is opened at the start instead.
  if (path === '-' || !isRegularFile(path)) return null;
  const pool = new BufferPool(PROBE_BYTES, PROBE_RECORDS);
  const done = new AbortController();
  let at: [number, number] | null = null;
  try {
    await readCapture(path, {
      fileIndex: 0,
      seqBase: 0,
      pool,
      signal: done.signal,
      stdin,
      submit: (b) => {
        if (at === null && b.count > 0) {
          const idx = new Uint32Array(b.index, 0, REC_WORDS);
          at = [idx[REC_TS_SEC], idx[REC_TS_NSEC]];
        }
        done.abort();
        pool.release(b);
      },
    });
  } catch {
    return null;
  }
  return at;
}

function isRegularFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** One input of the merge: the batch it has handed over and the merge's position in it. */
class Lane {
  batch: RecordBatch | null = null;
  idx = new Uint32Array(0);
  /** The batch's bytes, viewed once per batch for copying runs out of it. */
  bytes = Buffer.alloc(0);
  /** Next record of `batch` to merge, and its record count. */
  r = 0;
  n = 0;
  ended = false;
  result: FileReport | CaptureError | null = null;
  /** A failure that is not the input's (a bug, the sink's error): the merge fails with it. */
  failure: unknown = null;
  running: Promise<void> = Promise.resolve();
  readonly firstSec: number;
  readonly firstNsec: number;
  private taken: (() => void) | null = null;
  private refused: ((err: unknown) => void) | null = null;
  private wake: (() => void) | null = null;

  constructor(
    readonly file: number,
    readonly path: string,
    first: [number, number] | null,
  ) {
    // no first record known: open at the start
    this.firstSec = first === null ? -1 : first[0];
    this.firstNsec = first === null ? 0 : first[1];
  }

  start(opts: MergeOptions, signal: AbortSignal): void {
    const file = this.file;
    this.running = readCapture(this.path, {
      fileIndex: file,
      seqBase: 0,
      pool: opts.pool,
      submit: (b) => this.offer(b),
      onProgress: opts.onProgress && ((r, s, n, gz) => opts.onProgress!(file, r, s, n, gz)),
      signal,
      stdin: opts.stdin,
    }).then(
      (rep) => {
        this.result = rep;
      },
      (err: unknown) => {
        if (err instanceof CaptureError) this.result = err;
        else this.failure = err;
      },
    );
    this.running = this.running.finally(() => {
      this.ended = true;
      this.notify();
    });
  }

  /** The reader's sink: holds the batch until the merge has taken all of it. */
  private offer(b: RecordBatch): Promise<void> {
    this.batch = b;
    this.idx = new Uint32Array(b.index, 0, b.count * REC_WORDS);
    this.bytes = Buffer.from(b.data);
    this.r = 0;
    this.n = b.count;
    this.notify();
    return new Promise<void>((resolve, reject) => {
      this.taken = resolve;
      this.refused = reject;
    });
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** Null when the lane has a batch or has ended; else a promise of either. */
  ready(): Promise<void> | null {
    if (this.batch !== null || this.ended) return null;
    return new Promise<void>((resolve) => (this.wake = resolve));
  }

  headSec(): number {
    return this.idx[this.r * REC_WORDS + REC_TS_SEC];
  }

  headNsec(): number {
    return this.idx[this.r * REC_WORDS + REC_TS_NSEC];
  }

  /** Whether this lane's next record comes before `other`'s (or before the key given). */
  headBefore(other: Lane | null, sec = 0, nsec = 0, file = 0): boolean {
    if (other !== null) return keyBefore(this.headSec(), this.headNsec(), this.file, other.headSec(), other.headNsec(), other.file);
    return keyBefore(this.headSec(), this.headNsec(), this.file, sec, nsec, file);
  }

  /** Records from `r` on that come before key (sec, nsec, file). */
  runBefore(sec: number, nsec: number, file: number): number {
    const idx = this.idx;
    const n = this.n;
    const mine = this.file;
    let j = this.r;
    for (; j < n; j++) {
      const o = j * REC_WORDS;
      const s = idx[o + REC_TS_SEC];
      if (s < sec) continue;
      if (s > sec) break;
      const ns = idx[o + REC_TS_NSEC];
      if (ns < nsec || (ns === nsec && mine < file)) continue;
      break;
    }
    return j - this.r;
  }

  /** The merge is done with the batch: the reader goes on. */
  release(): void {
    this.batch = null;
    const t = this.taken;
    this.taken = null;
    this.refused = null;
    t?.();
  }

  abandon(err: unknown): void {
    const f = this.refused;
    this.taken = null;
    this.refused = null;
    this.batch = null;
    f?.(err);
  }
}

/** The merged stream: global record numbers, the file map, and the batch being filled where files interleave. */
class MergeOutput {
  seq = 0;
  copied = 0;
  private bufs: BatchBuffers | null = null;
  private u8 = Buffer.alloc(0);
  private idx = new Uint32Array(0);
  private count = 0;
  private fill = 0;
  private seqBase = 0;
  private fileIndex = 0;
  private fileOffset = 0;
  /** The batch's runs, for RecordBatch.origins: first record's global number, input, input offset of byte 0. */
  private origins: number[] = [];

  constructor(
    private readonly opts: MergeOptions,
    private readonly map: FileMap,
  ) {}

  /** Hands what is left of the lane's batch on as it is: its index entries move to the front. */
  async passThrough(l: Lane): Promise<void> {
    const b = l.batch!;
    if (l.r > 0) l.idx.copyWithin(0, l.r * REC_WORDS, l.n * REC_WORDS);
    const batch: RecordBatch = { data: b.data, index: b.index, count: l.n - l.r, seqBase: this.seq, fileIndex: l.file, fileOffset: b.fileOffset };
    this.map.add(this.seq, l.file);
    this.seq += batch.count;
    l.release();
    await this.opts.submit(batch);
  }

  /** Set when the merged batch is full: flush() before copying more. */
  full = false;

  /**
   * Copies the longest run of the lane's next `k` records that fits into the merged batch,
   * with one byte copy (their bytes lie in one span of the lane's batch); returns how many
   * (0 when the batch is full). Synchronous: no promise per run.
   */
  copyRun(l: Lane, k: number): number {
    const pool = this.opts.pool;
    const src = l.batch!;
    const sidx = l.idx;
    if (this.bufs === null) {
      this.bufs = pool.acquire();
      this.u8 = Buffer.from(this.bufs.data);
      this.idx = new Uint32Array(this.bufs.index);
      this.seqBase = this.seq;
      this.fileIndex = l.file;
      // its first record lands at offset 0: the batch's offset is that packet's in its input
      this.fileOffset = src.fileOffset + sidx[l.r * REC_WORDS + REC_OFFSET];
    }
    const room = this.u8.length - this.fill;
    const slots = pool.maxRecords - this.count;
    const start = sidx[l.r * REC_WORDS + REC_OFFSET];
    let end = start;
    let m = 0;
    while (m < k && m < slots) {
      const o = (l.r + m) * REC_WORDS;
      const off = sidx[o + REC_OFFSET];
      const e = off + sidx[o + REC_CAPLEN];
      if (off < end || e - start > room) break;
      end = e;
      m++;
    }
    if (m === 0) {
      // a fresh batch holds any record of a batch of the same size
      if (this.count === 0) throw new Error('merge: a record larger than a batch');
      this.full = true;
      return 0;
    }
    l.bytes.copy(this.u8, this.fill, start, end);
    const shift = this.fill - start;
    const base = src.fileOffset - shift;
    const os = this.origins;
    if (os.length === 0 || os[os.length - 2] !== l.file || os[os.length - 1] !== base) os.push(this.seq, l.file, base);
    const d = this.idx;
    for (let j = 0; j < m; j++) {
      const so = (l.r + j) * REC_WORDS;
      const dO = (this.count + j) * REC_WORDS;
      for (let w = 0; w < REC_WORDS; w++) d[dO + w] = sidx[so + w];
      d[dO + REC_OFFSET] = sidx[so + REC_OFFSET] + shift;
    }
    this.map.add(this.seq, l.file);
    this.seq += m;
    this.copied += m;
    this.count += m;
    this.fill += end - start;
    l.r += m;
    if (this.count === pool.maxRecords || this.fill === this.u8.length) this.full = true;
    if (l.r === l.n) {
      // all of the lane's batch copied: its buffers go back, its reader goes on
      pool.release(src);
      l.release();
    }
    return m;
  }

  async flush(): Promise<void> {
    const bufs = this.bufs;
    if (bufs === null) return;
    this.bufs = null;
    const batch: RecordBatch = { data: bufs.data, index: bufs.index, count: this.count, seqBase: this.seqBase, fileIndex: this.fileIndex, fileOffset: this.fileOffset };
    // one run: fileIndex and fileOffset say it all
    if (this.origins.length > 3) batch.origins = Float64Array.from(this.origins);
    this.origins.length = 0;
    this.count = 0;
    this.fill = 0;
    this.full = false;
    if (batch.count === 0) this.opts.pool.release(bufs);
    else await this.opts.submit(batch);
  }

  abandon(): void {
    if (this.bufs !== null) this.opts.pool.release(this.bufs);
    this.bufs = null;
    this.origins.length = 0;
  }
}
