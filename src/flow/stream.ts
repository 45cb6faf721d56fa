// TCP reassembly of the first bytes of one direction of a flow, for payload decoders.
//
// Segments arrive as (seq, a view of their payload, global record number, SYN flag); the
// view points into a packet buffer that will be reused, so what is kept is copied. The
// direction keeps the bytes of [start, start + maxBytes) in sequence space, where start
// is ISN + 1 when the SYN was seen, otherwise the seq of the earliest segment (lowest
// record number) — a "midstream" stream. Every byte position holds the copy of the
// lowest record number that covered it ("first copy wins", as most stacks and Zeek
// reassemble); overlapping copies that disagree mark the position inconsistent.
//
// Order guarantee. The result — bytes, marks, truncated, midstream, gaps, inconsistent,
// overlapBytes, cutBytes — is the same for every delivery of the same segments, in any
// order and grouped into calls in any way, in which the segment that fixes the start
// (the SYN with the lowest record number; without a SYN, the segment with the lowest
// record number) comes before the others, as long as no cap drops a segment
// (droppedSegments = 0, budgetBytes = 0). Delivery in record order — capture order, or
// per-worker batches merged by record number — always puts that segment first (unless a
// direction carries data before its SYN: ports reused within one flow, two streams the
// caller should split). The byte cap does not void the guarantee: whatever lies past
// start + maxBytes is cut the same way in every such order. Any other order gives the
// same bytes, marks, truncated, midstream, gaps and inconsistent too, unless
// lostOnReorder > 0: a segment with a lower record number than the start's moved the
// start over bytes that had already been dropped (before the old start) or cut (past the
// old start + maxBytes).
//
// Cost per segment: the in-order append (also the one cut at maxBytes) is a copy and one
// run written or extended; anything else (overlap, out-of-order, retransmission) walks the
// kept ranges, bounded by maxBytes. A direction is one object, one run array and its byte
// buffer from the slab. No strings, closures or exceptions; the buffer grows by doubling
// (amortised, and only up to maxBytes), and the global budget is charged for it. A
// segment that adds nothing (cut, before the start, or after close) allocates nothing.

import type { SegmentMark, StreamPrefix } from '../inspect/stream.js';

/** Bytes held by all flows' stream buffers together; shared, mutated in place. */
export interface PayloadBudget {
  /** Most bytes all directions may hold at once. */
  limit: number;
  /** Bytes held now (buffer capacity of every open direction). */
  used: number;
  /** Where buffers come from (newPayloadBudget gives one); without it each is allocated. */
  slab?: ByteSlab;
}

/**
 * Stream buffers carved from shared chunks in power-of-two sizes (512 B to 256 KiB), with
 * a free list per size: thousands of flows each keeping a few KiB would otherwise allocate
 * as many ArrayBuffers, each an allocation outside the JavaScript heap that the garbage
 * collector tracks one by one. Buffers are handed out dirty: a direction only reads the
 * positions it wrote.
 *
 * The first chunk is small (256 KiB: a small capture's whole payload), the later ones 4 MiB.
 * glibc's malloc maps a block that large on its own while its threshold (128 KiB, raised to
 * the size of the largest mapped block freed so far, at most 32 MiB) is below it — on mixed-2M
 * the largest are the 2 MiB batch buffers — so a chunk's pages go back to the system once its
 * flows are judged and a collection takes it, and only the pages written ever count. Chunks of
 * 256 KiB came from the brk heap, which keeps what is freed in it: mixed-2M's 27 MB of kept
 * payload stayed resident to the exit (bench/README.md, "peak RSS of mixed-2M, third pass").
 * Past the threshold a chunk comes from the brk heap as those did.
 */
export class ByteSlab {
  private readonly free: Uint8Array[][] = [];
  private chunk: ArrayBuffer | null = null;
  private used = 0;
  static readonly FIRST_CHUNK = 256 * 1024;
  static readonly CHUNK = 4 << 20;
  static readonly MIN = 512;
  static readonly MAX = 256 * 1024;

  /** A buffer of exactly `n` bytes when n is a size class (a power of two from MIN to MAX), else null. */
  alloc(n: number): Uint8Array | null {
    if (n < ByteSlab.MIN || n > ByteSlab.MAX || (n & (n - 1)) !== 0) return null;
    const c = 31 - Math.clz32(n);
    const list = this.free[c];
    if (list !== undefined && list.length > 0) return list.pop()!;
    if (this.chunk === null || this.used + n > this.chunk.byteLength) {
      this.chunk = new ArrayBuffer(this.chunk === null ? ByteSlab.FIRST_CHUNK : ByteSlab.CHUNK);
      this.used = 0;
    }
    const b = new Uint8Array(this.chunk, this.used, n);
    this.used += n;
    return b;
  }

  /** Takes back a buffer alloc() gave. */
  release(b: Uint8Array): void {
    const chunk = b.buffer.byteLength;
    if ((chunk === ByteSlab.CHUNK || chunk === ByteSlab.FIRST_CHUNK) && b.length <= ByteSlab.MAX && b.length < chunk && (b.length & (b.length - 1)) === 0 && b.length >= ByteSlab.MIN) {
      const c = 31 - Math.clz32(b.length);
      (this.free[c] ??= []).push(b);
    }
  }
}

export const DEFAULT_STREAM_MAX_BYTES = 16 * 1024;
export const DEFAULT_STREAM_MAX_SEGMENTS = 12;
/** A budget for many flows' first bytes: 64 MiB unless told otherwise. */
export const DEFAULT_PAYLOAD_BUDGET = 64 << 20;

export function newPayloadBudget(limit = DEFAULT_PAYLOAD_BUDGET): PayloadBudget {
  return { limit, used: 0, slab: new ByteSlab() };
}

export interface StreamLimits {
  /** Bytes kept from the start of the stream (default 16 KiB). */
  maxBytes?: number;
  /**
   * Out-of-order ranges held beyond a hole at once (default 12). When a new one would
   * exceed it, the farthest range is dropped (the new one if it is the farthest).
   */
  maxSegments?: number;
}

/** Where a contributing segment's bytes start in the prefix, and its record number. */
export type StreamMark = SegmentMark;

/** One direction's prefix; a StreamPrefix as the payload decoders (src/inspect) take it. */
export interface StreamResult extends StreamPrefix {
  /** The contiguous prefix from the start (a copy). */
  bytes: Uint8Array;
  /** One per run of bytes taken from one segment (the lowest record covering it), by offset. */
  marks: StreamMark[];
  /**
   * The prefix stops before the stream on the wire did: bytes were cut at maxBytes, a hole
   * stops it (gaps > 0), a cap dropped something, the snaplen kept only part of a segment
   * (or a segment's end is missing from the capture), or bytes were offered after the
   * direction held all that is kept of it (ignoredBytes).
   */
  truncated: boolean;
  /** No SYN seen: the stream starts at the earliest segment, not at ISN + 1. */
  midstream: boolean;
  /** Ranges held beyond a hole after the prefix (0: nothing seen past the prefix). */
  gaps: number;
  /** Positions where overlapping copies disagree (retransmissions with other bytes). */
  inconsistent: number;
  /** Bytes that arrived again over bytes already held (retransmissions, overlaps). */
  overlapBytes: number;
  /** Bytes offered at or beyond maxBytes (the byte cap). */
  cutBytes: number;
  /** Out-of-order ranges given up for the segment cap, and their bytes. */
  droppedSegments: number;
  droppedBytes: number;
  /** Bytes refused because the global budget was spent. */
  budgetBytes: number;
  /** Start moves (late lower-record segments) over bytes already cut or dropped: see the guarantee. */
  lostOnReorder: number;
  /**
   * Payload bytes offered after the direction held all that is kept of it: not looked at
   * (set by the conversation that stopped feeding the direction; 0 from the stream itself).
   */
  ignoredBytes: number;
  /**
   * The snaplen kept only part of a segment whose cut lies at or beyond the end of the
   * prefix: the prefix may stop there because of the capture, not because of the peers.
   */
  snapCut: boolean;
  /** close() was called: nothing is held any more. */
  closed: boolean;
}

/**
 * A StreamResult whose marks are built when read: most flows' results are read for their
 * bytes and counters only (TLS orders records by marks), and a mark object per segment of
 * every direction was a good part of a flow's hand-over cost.
 */
class KeptStream implements StreamResult {
  // Private fields (#): not own properties, so comparisons and JSON see the result only.
  #marks: StreamMark[] | null = null;
  /** Run i's offset at runs[i * stride], its record at runs[i * stride + stride - 1]. */
  readonly #runs: ArrayLike<number>;
  readonly #stride: number;
  readonly #n: number;
  constructor(
    readonly bytes: Uint8Array,
    runs: ArrayLike<number>,
    stride: number,
    n: number,
    readonly truncated: boolean,
    readonly midstream: boolean,
    readonly gaps: number,
    readonly inconsistent: number,
    readonly overlapBytes: number,
    readonly cutBytes: number,
    readonly droppedSegments: number,
    readonly droppedBytes: number,
    readonly budgetBytes: number,
    readonly lostOnReorder: number,
    readonly ignoredBytes: number,
    readonly snapCut: boolean,
    readonly closed: boolean,
  ) {
    this.#runs = runs;
    this.#stride = stride;
    this.#n = n;
  }

  get marks(): StreamMark[] {
    if (this.#marks === null) {
      // Runs are merged when adjacent and from the same record, so each is one mark.
      const out: StreamMark[] = [];
      const r = this.#runs;
      const w = this.#stride;
      for (let i = 0; i < this.#n; i++) out.push({ offset: r[i * w], record: r[i * w + w - 1] });
      this.#marks = out;
    }
    return this.#marks;
  }

  /** Its runs (see StreamRuns), without the mark objects (the hand-over from a worker). */
  static runsOf(k: KeptStream): StreamRuns {
    return { runs: k.#runs, stride: k.#stride, n: k.#n };
  }

  /** The result as plain data (the runs are internal; marks are included). */
  toJSON(): Omit<StreamResult, 'bytes'> & { bytes: Uint8Array } {
    const { bytes, truncated, midstream, gaps, inconsistent, overlapBytes, cutBytes, droppedSegments, droppedBytes, budgetBytes, lostOnReorder, ignoredBytes, snapCut, closed } = this;
    return { bytes, marks: this.marks, truncated, midstream, gaps, inconsistent, overlapBytes, cutBytes, droppedSegments, droppedBytes, budgetBytes, lostOnReorder, ignoredBytes, snapCut, closed };
  }
}

/** A result's marks as `n` runs of `stride` numbers each: the offset first, the record last. */
export interface StreamRuns {
  runs: ArrayLike<number>;
  stride: number;
  n: number;
}

/** A result's marks as runs; without building mark objects when it has them as runs. */
export function streamRuns(r: StreamResult): StreamRuns {
  if (r instanceof KeptStream) return KeptStream.runsOf(r);
  return { runs: r.marks.flatMap((x) => [x.offset, x.record]), stride: 2, n: r.marks.length };
}

/**
 * A result made of its parts: the bytes, the runs (offset, record pairs; n of them) and the
 * counters in STREAM_COUNTERS order (booleans as 0/1). The inverse of streamRuns and
 * STREAM_COUNTERS' fields.
 */
export function keptStream(bytes: Uint8Array, runs: ArrayLike<number>, n: number, c: Float64Array, at: number): StreamResult {
  return new KeptStream(bytes, runs, 2, n, c[at] === 1, c[at + 1] === 1, c[at + 2], c[at + 3], c[at + 4], c[at + 5], c[at + 6], c[at + 7], c[at + 8], c[at + 9], c[at + 10], c[at + 11] === 1, c[at + 12] === 1);
}

/** StreamResult's counters in keptStream's order. */
export const STREAM_COUNTERS = ['truncated', 'midstream', 'gaps', 'inconsistent', 'overlapBytes', 'cutBytes', 'droppedSegments', 'droppedBytes', 'budgetBytes', 'lostOnReorder', 'ignoredBytes', 'snapCut', 'closed'] as const satisfies readonly (keyof StreamResult)[];

const MIN_CAPACITY = 512;
/** Runs (segments' contributions) held per direction at most; further segments count as dropped. */
const MAX_RUNS = 512;
/** A direction's first buffer, unless maxBytes is smaller. */
const INITIAL_CAPACITY = 2048;

// Scratch for the runs that replace the overlapped ones during an insert: one set for all
// directions (an insert runs to its end before another starts).
let scratchLo = new Int32Array(64);
let scratchHi = new Int32Array(64);
let scratchRec = new Float64Array(64);

function growScratch(n: number): void {
  if (n <= scratchLo.length) return;
  let c = scratchLo.length * 2;
  while (c < n) c *= 2;
  scratchLo = new Int32Array(c);
  scratchHi = new Int32Array(c);
  scratchRec = new Float64Array(c);
}
const NONE = -1;

/** One direction of one flow. The caller owns it; nothing here is shared but the budget. */
export class StreamDirection {
  // Fields in the order the in-order append (add) reads them: it reaches the object's first
  // two cache lines (a direction is cold when its next segment comes).
  private closedFlag = false;
  private synSeen = false;
  private started = false;
  /** Sequence number of position 0 (as int32). */
  private start = 0;
  /** Record number of the segment that fixed `start` (the SYN, or the earliest segment). */
  private startRecord = 0;
  /** One past the highest position any segment covers on the wire (captured or not). */
  private wireEnd = 0;
  /** Highest position where the snaplen cut a segment short, or NONE. */
  private snapMax = NONE;
  private nRuns = 0;
  private prefixLen = 0;
  private islands = 0;
  readonly maxBytes: number;
  private buf: Uint8Array | null = null;
  /** 1 bit per position: overlapping copies disagreed there. Allocated on the first conflict. */
  private diff: Uint8Array | null = null;
  // Kept runs, sorted and disjoint, in positions relative to `start`: run i is [lo, hi)
  // from record rec at runs[3i], runs[3i + 1], runs[3i + 2]. One plain array: on the heap
  // (a direction costs no ArrayBuffer of its own), one object and one store for all three.
  private runs: number[] = [];
  readonly maxSegments: number;
  private readonly budget: PayloadBudget;

  // Counters (see StreamResult).
  private cut = 0;
  private overlap = 0;
  private dropped = 0;
  private droppedB = 0;
  private budgetB = 0;
  private lost = 0;
  /** Lowest position of a byte cut beyond the window, or NONE. */
  private cutLo = NONE;
  /** One past the highest position of a byte dropped before the start (<= 0), or 1 for none. */
  private preHi = 1;

  constructor(budget: PayloadBudget, limits: StreamLimits = {}) {
    this.budget = budget;
    this.maxBytes = Math.max(1, Math.floor(limits.maxBytes ?? DEFAULT_STREAM_MAX_BYTES));
    this.maxSegments = Math.max(0, Math.floor(limits.maxSegments ?? DEFAULT_STREAM_MAX_SEGMENTS));
  }

  /** Bytes of the contiguous prefix so far. */
  get length(): number {
    return this.prefixLen;
  }

  /** False once closed or once the prefix holds maxBytes (in record order nothing changes it then). */
  get wantsMore(): boolean {
    return !this.closedFlag && this.prefixLen < this.maxBytes;
  }

  get isClosed(): boolean {
    return this.closedFlag;
  }

  /**
   * Adds one segment: `len` payload bytes at data[off...] with sequence number `seq`
   * (for a SYN, the SYN's own seq: its payload starts at seq + 1), from global record
   * `record`. Zero-length segments only matter when they carry the SYN. Pass no RST
   * payload (it is not stream data). A `len` past `capturedEnd` (default: the end of
   * `data`; a snaplen cut the segment) keeps only the captured bytes: the stream stops at
   * the hole. Ignored after close().
   */
  add(seq: number, data: Uint8Array, off: number, len: number, record: number, syn: boolean, capturedEnd = data.length): void {
    if (this.closedFlag) return;
    // As int32 (the same modulo 2^32): a uint32 past 2^31 would be a heap number.
    seq |= 0;
    const wireLen = len;
    if (len > capturedEnd - off) len = capturedEnd - off;
    if (syn) {
      if (!this.synSeen || record < this.startRecord) {
        const s = (seq + 1) | 0;
        if (this.started) this.rebase(s);
        else this.start = s;
        this.started = true;
        this.synSeen = true;
        this.startRecord = record;
      }
      seq = (seq + 1) | 0;
    }
    if (wireLen <= 0) return;
    if (!this.started) {
      this.start = seq;
      this.startRecord = record;
      this.started = true;
    } else if (!this.synSeen && record < this.startRecord) {
      this.rebase(seq);
      this.startRecord = record;
    }
    const rel = (seq - this.start) | 0;
    if (rel + wireLen > this.wireEnd) this.wireEnd = rel + wireLen;
    if (len < wireLen && rel + Math.max(0, len) > this.snapMax) this.snapMax = rel + Math.max(0, len);
    if (len <= 0) return;
    if (this.nRuns >= MAX_RUNS) {
      // A cap on the segments held: with thousands of tiny ones every later insert would
      // walk them all (a hostile capture's way to make reassembly slow).
      this.dropped++;
      this.droppedB += len;
      return;
    }
    // The common case: the next bytes of an in-order stream with nothing held beyond, and
    // room in the buffer (or in the budget to grow it). What lies past maxBytes is cut here
    // as insert() would cut it: the segment that fills a direction is an in-order one too.
    const end = rel + len;
    if (rel === this.prefixLen && this.islands === 0 && rel < this.maxBytes) {
      const e = end <= this.maxBytes ? end : this.maxBytes;
      if (e <= (this.buf === null ? 0 : this.buf.length) || this.growWithin(e)) {
        if (e < end) {
          this.cut += end - e;
          if (this.cutLo === NONE || e < this.cutLo) this.cutLo = e;
        }
        const buf = this.buf!;
        copyBytes(buf, rel, data, off, e - rel);
        if (this.diff !== null) this.clearDiff(rel, e);
        this.appendRun(rel, e, record);
        this.prefixLen = e;
        return;
      }
    }
    this.insert(rel, data, off, len, record);
  }

  /** Frees the buffer (returned to the budget); later segments are ignored. */
  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    if (this.buf !== null) {
      this.budget.used -= this.buf.length;
      this.budget.slab?.release(this.buf);
    }
    this.buf = null;
    this.diff = null;
    this.nRuns = 0;
    this.prefixLen = 0;
    this.islands = 0;
  }

  /**
   * The result and the end of this direction in one step, without copying the prefix: its
   * bytes are a view of the direction's buffer, which is not reused for another flow (the
   * budget gets its bytes back). For a flow that leaves the session.
   */
  takeResult(ignoredBytes = 0): StreamResult {
    const r = this.resultWith(this.buf === null ? new Uint8Array(0) : this.buf.subarray(0, this.prefixLen), true, ignoredBytes);
    if (this.buf !== null) {
      // The result owns the buffer now: close() must not hand it back to the slab.
      this.budget.used -= this.buf.length;
      this.buf = null;
    }
    this.close();
    return r;
  }

  /** A view of the prefix so far (valid until the next add or close); no copy. */
  view(): Uint8Array {
    return this.buf === null ? new Uint8Array(0) : this.buf.subarray(0, this.prefixLen);
  }

  /** The prefix and what was seen and cut; allocates, so call it when a decoder needs it. */
  result(ignoredBytes = 0): StreamResult {
    return this.resultWith(this.buf === null ? new Uint8Array(0) : this.buf.slice(0, this.prefixLen), false, ignoredBytes);
  }

  /** `owned`: the direction is closing, and its run arrays go with the result (no copy). */
  private resultWith(bytes: Uint8Array, owned: boolean, ignored: number): StreamResult {
    let n = 0;
    while (n < this.nRuns && this.runs[3 * n] < this.prefixLen) n++;
    let inconsistent = 0;
    const diff = this.diff;
    if (diff !== null) {
      for (let i = 0; i < this.nRuns; i++) {
        for (let p = this.runs[3 * i]; p < this.runs[3 * i + 1]; p++) if (diff[p >> 3] & (1 << (p & 7))) inconsistent++;
      }
    }
    return new KeptStream(
      bytes,
      owned ? this.runs : this.runs.slice(0, 3 * n),
      3,
      n,
      this.cut > 0 || this.islands > 0 || this.dropped > 0 || this.budgetB > 0 || this.wireEnd > this.prefixLen || ignored > 0,
      this.started && !this.synSeen,
      this.islands,
      inconsistent,
      this.overlap,
      this.cut,
      this.dropped,
      this.droppedB,
      this.budgetB,
      this.lost,
      ignored,
      this.snapMax !== NONE && this.snapMax >= this.prefixLen,
      this.closedFlag,
    );
  }


  // -------------------------------------------------------------------------------------

  /**
   * The capacity the buffer grows to for `need` positions (need <= maxBytes), budget
   * aside: a first buffer of at least `first` bytes, then doubling.
   */
  private sizeFor(need: number, first: number): number {
    const cap = this.buf === null ? 0 : this.buf.length;
    let want = Math.min(this.maxBytes, Math.max(need, cap * 2, cap === 0 ? first : MIN_CAPACITY));
    // A size class of the slab when that stays within maxBytes.
    const pow = want <= MIN_CAPACITY ? MIN_CAPACITY : 2 ** (32 - Math.clz32(want - 1));
    if (pow <= this.maxBytes) want = pow;
    return want;
  }

  /** Grows the buffer for `need` positions when the budget has room for all of it; false otherwise (nothing changes). */
  private growWithin(need: number): boolean {
    // The in-order path starts big (all of maxBytes when that is small: one allocation
    // for most directions).
    const want = this.sizeFor(need, INITIAL_CAPACITY);
    if (want - (this.buf === null ? 0 : this.buf.length) > this.budget.limit - this.budget.used) return false;
    this.growTo(want);
    return true;
  }

  /**
   * Makes the buffer hold at least `need` positions if the budget allows (need <=
   * maxBytes); returns how many it can hold.
   */
  private capacityFor(need: number): number {
    const cap = this.buf === null ? 0 : this.buf.length;
    if (need <= cap) return cap;
    let want = this.sizeFor(need, MIN_CAPACITY);
    const room = this.budget.limit - this.budget.used;
    if (want - cap > room) want = Math.min(need, cap + Math.max(0, room));
    if (want <= cap) return cap;
    this.growTo(want);
    return want;
  }

  /** Replaces the buffer by one of `want` bytes (more than now), keeping what it held. */
  private growTo(want: number): void {
    const cap = this.buf === null ? 0 : this.buf.length;
    const slab = this.budget.slab;
    const nb = slab?.alloc(want) ?? new Uint8Array(want);
    if (this.buf !== null) {
      nb.set(this.buf);
      slab?.release(this.buf);
    }
    this.budget.used += want - cap;
    this.buf = nb;
    if (this.diff !== null && this.diff.length * 8 < want) {
      const nd = new Uint8Array((want + 7) >> 3);
      nd.set(this.diff);
      this.diff = nd;
    }
  }

  private growRuns(n: number): void {
    // copyWithin never lengthens an array: make room first.
    while (this.runs.length < 3 * n) this.runs.push(0, 0, 0);
  }

  private appendRun(lo: number, hi: number, rec: number): void {
    const n = this.nRuns;
    if (n > 0 && this.runs[3 * (n - 1) + 1] === lo && this.runs[3 * (n - 1) + 2] === rec) {
      this.runs[3 * (n - 1) + 1] = hi;
      return;
    }
    if (3 * n === this.runs.length) this.growRuns(n + 1);
    this.runs[3 * n] = lo;
    this.runs[3 * n + 1] = hi;
    this.runs[3 * n + 2] = rec;
    this.nRuns = n + 1;
  }

  /** Writes bytes into positions [lo, hi) that held nothing (clearing stale conflict marks). */
  private fresh(buf: Uint8Array, lo: number, hi: number, data: Uint8Array, from: number): void {
    copyBytes(buf, lo, data, from, hi - lo);
    if (this.diff !== null) this.clearDiff(lo, hi);
  }

  private clearDiff(lo: number, hi: number): void {
    const diff = this.diff!;
    for (let p = lo; p < hi; p++) diff[p >> 3] &= ~(1 << (p & 7));
  }

  private markDiff(p: number): void {
    if (this.diff === null) this.diff = new Uint8Array(((this.buf === null ? this.maxBytes : this.buf.length) + 7) >> 3);
    this.diff[p >> 3] |= 1 << (p & 7);
  }

  /** Recomputes the prefix length and the number of ranges held beyond a hole. */
  private recount(): void {
    const n = this.nRuns;
    let islands = 0;
    let prefix = 0;
    let i = 0;
    if (n > 0 && this.runs[0] === 0) {
      prefix = this.runs[1];
      i = 1;
      while (i < n && this.runs[3 * i] === prefix) prefix = this.runs[3 * i++ + 1];
    }
    for (; i < n; i++) if (i === 0 || this.runs[3 * i] !== this.runs[3 * (i - 1) + 1]) islands++;
    this.prefixLen = prefix;
    this.islands = islands;
  }

  /** The general insert: clip to the window, respect the caps, merge over kept runs. */
  private insert(rel: number, data: Uint8Array, off: number, len: number, record: number): void {
    let a = rel;
    let b = rel + len;
    if (a < 0) {
      // Before the start: useless unless the start later moves back (then it is a loss).
      const hi = Math.min(b, 0);
      if (hi > this.preHi || this.preHi === 1) this.preHi = hi;
      if (b <= 0) return;
      a = 0;
    }
    if (b > this.maxBytes) {
      const from = Math.max(a, this.maxBytes);
      this.cut += b - from;
      if (this.cutLo === NONE || from < this.cutLo) this.cutLo = from;
      b = this.maxBytes;
      if (b <= a) return;
    }
    // Segment cap: a range that touches nothing kept and does not start the prefix
    // would be one more island.
    if (a > 0 && this.islands >= this.maxSegments && !this.touches(a, b)) {
      const far = this.lastIslandStart();
      if (far === NONE || a > this.runs[3 * far]) {
        this.dropped++;
        this.droppedB += b - a;
        return;
      }
      this.evictFrom(far);
    }
    const cap = this.capacityFor(b);
    if (cap < b) {
      this.budgetB += b - Math.max(a, cap);
      b = cap;
      if (b <= a) return;
    }
    const buf = this.buf!;
    const n = this.nRuns;
    // Runs i0..i1-1 overlap or touch [a, b).
    let i0 = 0;
    while (i0 < n && this.runs[3 * i0 + 1] < a) i0++;
    let i1 = i0;
    while (i1 < n && this.runs[3 * i1] <= b) i1++;
    growScratch(2 * (i1 - i0) + 4);
    const sLo = scratchLo;
    const sHi = scratchHi;
    const sRec = scratchRec;
    let k = 0;
    let pos = a;
    for (let j = i0; j < i1; j++) {
      const lo = this.runs[3 * j];
      const hi = this.runs[3 * j + 1];
      const rec = this.runs[3 * j + 2];
      if (lo < a) {
        // the part of a kept run before the new segment stays as it is
        sLo[k] = lo;
        sHi[k] = Math.min(hi, a);
        sRec[k++] = rec;
      }
      if (pos < lo && pos < b) {
        const e = Math.min(lo, b);
        this.fresh(buf, pos, e, data, off + (pos - rel));
        sLo[k] = pos;
        sHi[k] = e;
        sRec[k++] = record;
        pos = e;
      }
      const ol = Math.max(pos, lo);
      const oh = Math.min(hi, b);
      if (ol < oh) {
        this.overlap += oh - ol;
        const replace = record < rec;
        for (let p = ol; p < oh; p++) {
          const v = data[off + (p - rel)];
          if (buf[p] !== v) {
            this.markDiff(p);
            if (replace) buf[p] = v;
          }
        }
        sLo[k] = ol;
        sHi[k] = oh;
        sRec[k++] = replace ? record : rec;
        pos = oh;
      }
      if (hi > b) {
        sLo[k] = Math.max(lo, b);
        sHi[k] = hi;
        sRec[k++] = rec;
      }
    }
    if (pos < b) {
      this.fresh(buf, pos, b, data, off + (pos - rel));
      sLo[k] = pos;
      sHi[k] = b;
      sRec[k++] = record;
    }
    // Merge neighbours that touch and come from the same record.
    let m = 0;
    for (let j = 0; j < k; j++) {
      if (sHi[j] <= sLo[j]) continue;
      if (m > 0 && sHi[m - 1] === sLo[j] && sRec[m - 1] === sRec[j]) sHi[m - 1] = sHi[j];
      else {
        sLo[m] = sLo[j];
        sHi[m] = sHi[j];
        sRec[m++] = sRec[j];
      }
    }
    // Splice: runs [i0, i1) become the m scratch runs.
    const newN = n - (i1 - i0) + m;
    this.growRuns(newN);
    if (m !== i1 - i0) {
      this.runs.copyWithin(3 * (i0 + m), 3 * i1, 3 * n);
    }
    for (let j = 0; j < m; j++) {
      this.runs[3 * (i0 + j)] = sLo[j];
      this.runs[3 * (i0 + j) + 1] = sHi[j];
      this.runs[3 * (i0 + j) + 2] = sRec[j];
    }
    this.nRuns = newN;
    this.recount();
  }

  /** Whether [a, b) overlaps or is adjacent to a kept run. */
  private touches(a: number, b: number): boolean {
    for (let i = 0; i < this.nRuns; i++) if (this.runs[3 * i] <= b && this.runs[3 * i + 1] >= a) return true;
    return false;
  }

  /** Index of the first run of the farthest island, or NONE. */
  private lastIslandStart(): number {
    let i = this.nRuns - 1;
    if (i < 0) return NONE;
    while (i > 0 && this.runs[3 * i] === this.runs[3 * (i - 1) + 1]) i--;
    return this.runs[3 * i] === 0 ? NONE : i;
  }

  private evictFrom(i: number): void {
    let bytes = 0;
    for (let j = i; j < this.nRuns; j++) bytes += this.runs[3 * j + 1] - this.runs[3 * j];
    this.dropped++;
    this.droppedB += bytes;
    this.nRuns = i;
    this.recount();
  }

  /**
   * Moves position 0 to sequence number `s` (a late lower-record SYN or earliest segment):
   * kept bytes shift, bytes that leave the window are cut, and bytes this needs that were
   * cut or dropped before are counted in lostOnReorder.
   */
  private rebase(s: number): void {
    const d = (s - this.start) | 0;
    this.start = s;
    if (d === 0) return;
    this.wireEnd -= d;
    if (this.snapMax !== NONE) this.snapMax -= d;
    const n = this.nRuns;
    if (d > 0) {
      // Later start: drop what is now before it.
      if (this.cutLo !== NONE) {
        this.cutLo -= d;
        if (this.cutLo < this.maxBytes) {
          this.lost++;
          this.cutLo = NONE;
        }
      }
      if (this.preHi !== 1) this.preHi -= d;
      let m = 0;
      for (let j = 0; j < n; j++) {
        const lo = this.runs[3 * j] - d;
        const hi = this.runs[3 * j + 1] - d;
        if (hi <= 0) {
          if (this.preHi === 1 || hi > this.preHi) this.preHi = hi;
          continue;
        }
        if (lo < 0) this.preHi = 0;
        this.runs[3 * m] = Math.max(lo, 0);
        this.runs[3 * m + 1] = hi;
        this.runs[3 * (m++) + 2] = this.runs[3 * j + 2];
      }
      this.nRuns = m;
      if (this.buf !== null) this.buf.copyWithin(0, Math.min(d, this.buf.length));
      if (this.diff !== null) this.shiftDiff(-d);
    } else {
      const e = -d;
      // Earlier start: what moves past maxBytes is cut; bytes dropped before the old start
      // that now fall inside the window are lost.
      if (this.preHi !== 1) {
        this.preHi += e;
        if (this.preHi > 0) {
          this.lost++;
          this.preHi = 1;
        }
      }
      if (this.cutLo !== NONE) this.cutLo += e;
      let maxHi = 0;
      let m = 0;
      for (let j = 0; j < n; j++) {
        const lo = this.runs[3 * j] + e;
        let hi = this.runs[3 * j + 1] + e;
        if (hi > this.maxBytes) {
          const from = Math.max(lo, this.maxBytes);
          this.cut += hi - from;
          if (this.cutLo === NONE || from < this.cutLo) this.cutLo = from;
          hi = this.maxBytes;
          if (hi <= lo) continue;
        }
        this.runs[3 * m] = lo;
        this.runs[3 * m + 1] = hi;
        this.runs[3 * (m++) + 2] = this.runs[3 * j + 2];
        maxHi = hi;
      }
      this.nRuns = m;
      if (m > 0) {
        const oldHi = maxHi - e;
        const cap = this.capacityFor(maxHi);
        if (cap < maxHi) {
          // The budget cannot hold the shifted bytes: keep what fits.
          let k = 0;
          for (let j = 0; j < m; j++) {
            if (this.runs[3 * j] >= cap) {
              this.budgetB += this.runs[3 * j + 1] - this.runs[3 * j];
              continue;
            }
            if (this.runs[3 * j + 1] > cap) {
              this.budgetB += this.runs[3 * j + 1] - cap;
              this.runs[3 * j + 1] = cap;
            }
            this.runs[3 * k] = this.runs[3 * j];
            this.runs[3 * k + 1] = this.runs[3 * j + 1];
            this.runs[3 * (k++) + 2] = this.runs[3 * j + 2];
          }
          this.nRuns = k;
        }
        this.buf!.copyWithin(e, 0, Math.min(oldHi, cap - e > 0 ? cap - e : 0));
        if (this.diff !== null) this.shiftDiff(e);
      }
    }
    this.recount();
  }

  /** Moves inconsistency bits by `by` positions (positive: towards higher positions). */
  private shiftDiff(by: number): void {
    const diff = this.diff!;
    const bits = diff.length * 8;
    if (by > 0) {
      for (let p = bits - 1; p >= 0; p--) {
        const q = p - by;
        const v = q >= 0 && (diff[q >> 3] & (1 << (q & 7))) !== 0;
        if (v) diff[p >> 3] |= 1 << (p & 7);
        else diff[p >> 3] &= ~(1 << (p & 7));
      }
    } else {
      for (let p = 0; p < bits; p++) {
        const q = p - by;
        const v = q < bits && (diff[q >> 3] & (1 << (q & 7))) !== 0;
        if (v) diff[p >> 3] |= 1 << (p & 7);
        else diff[p >> 3] &= ~(1 << (p & 7));
      }
    }
  }
}

/**
 * Short copies by hand; longer ones through TypedArray.set, which needs a subarray view:
 * one small short-lived object per kept segment (a dozen or so per inspected direction,
 * none once the direction is full or closed), for a copy ~10x faster than a byte loop.
 */
function copyBytes(dst: Uint8Array, at: number, src: Uint8Array, from: number, n: number): void {
  if (n < 64) {
    for (let i = 0; i < n; i++) dst[at + i] = src[from + i];
    return;
  }
  dst.set(from === 0 && n === src.length ? src : src.subarray(from, from + n), at);
}
