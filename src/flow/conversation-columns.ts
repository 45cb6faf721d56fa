// The conversations of many flows in a few flat arrays, to hand them from a worker to the
// session as they are kept: each TCP conversation's block of state (tcp-health.ts, 640
// bytes) as it is, its streams' bytes and runs, its PMTU bookkeeping, and the kept
// datagrams, heartbeat times and silences. The session builds each flow's facts from them
// when it judges the flow, with the same code that builds them from a store's own blocks
// (conversation.ts: factsOfColumns). Building report objects in the worker and cloning
// them cost more than the analysis of the flows; typed arrays transfer without a copy.
import type { DatagramFacts, KeptDatagram } from './datagrams.js';
import { beatFacts, type BeatFacts } from './heartbeats.js';
import { SILENCE_BINS, SILENCE_K, type SilenceFacts } from './silences.js';
import { STREAM_COUNTERS, keptStream, streamRuns, type StreamResult } from './stream.js';
import type { Side } from './table.js';
import { TCP_WORDS } from './tcp-health.js';

// Per flow, WORDS numbers in `num`. A TCP conversation (present 1): its block's number in
// `blocks`, 1 + its row in `pmtus` (0: none), 1 + its row in `silences` (0: none), then per
// stream: present, its bytes (buffer, byte offset, byte length: bytesAt), first run, run
// count, STREAM_COUNTERS.
const O_BLOCK = 0;
const O_PMTU = 1;
const O_SL = 2;
const O_STREAMS = 3;
const STREAM_WORDS = 6 + STREAM_COUNTERS.length;
const S_COUNTERS = 6;
// Any flow: its heartbeat log (present, first beat, beat count, dropped), BEAT_WORDS per
// beat in `beats` as the log keeps them (heartbeats.ts). A flow with only a heartbeat log is present 3.
const O_BT = O_STREAMS + 2 * STREAM_WORDS;
const BEAT_WORDS = 2;
const WORDS = O_BT + 4;
// A UDP flow (present 2) uses the first words of its row: originator, first datagram,
// datagram count, capHit; each datagram is DGRAM_WORDS in `datagrams`: side, its bytes
// (buffer, byte offset, byte length), wire length, capture time.
const O_ORIG = 0;
const O_DG_FIRST = 1;
const O_DG_COUNT = 2;
const O_DG_CAPHIT = 3;
const DGRAM_WORDS = 6;
const SL_HIST = 2 * SILENCE_BINS;
const SL_WORDS = SL_HIST + 4 * SILENCE_K;

/** A held first packet's option bytes at most (a TCP header's 40; conversation.ts). */
export const HELD_OPT = 40;

/** The column layout, for a check that columns come from the same build. */
export const COLUMNS_FORMAT = `columns ${WORDS}: blocks ${TCP_WORDS}; ${STREAM_COUNTERS.join(',')}; datagrams ${DGRAM_WORDS}; beats ${BEAT_WORDS}; silences ${SL_WORDS}; held ${HELD_OPT}`;

/**
 * TCP conversations that are only their held first packet (present 4), by row, as a store
 * holds them (ConversationStore.hold): flags, time and record, seq, ack, window, flags and
 * header length, option bytes. Rows without one are never written (address space only).
 */
export interface HeldColumns {
  flags: Uint8Array;
  /** 2 per row. */
  f: Float64Array;
  /** 4 per row. */
  i: Int32Array;
  /** HELD_OPT per row. */
  opt: Uint8Array;
}

export interface ConversationColumns {
  count: number;
  /** 1 when flow i has a TCP conversation, 2 when it has UDP datagrams, 3: only heartbeat times, 4: a held first packet (`held`), 0: none. */
  present: Uint8Array;
  num: Float64Array;
  /** TCP_WORDS per TCP conversation: its block of state as the store kept it. */
  blocks: Int32Array;
  /** `pmtuWords` per conversation with PMTU bookkeeping (conversation.ts). */
  pmtus: Float64Array;
  pmtuWords: number;
  /**
   * The streams' and datagrams' bytes: the buffers they were kept in, moved as they are
   * (a worker's final hand-over: its slab's chunks), or one copy of them all.
   */
  buffers: ArrayBuffer[];
  /** Every stream's runs as (offset in the stream, record) pairs, back to back. */
  runs: Float64Array;
  /** DGRAM_WORDS per kept UDP datagram, back to back. */
  datagrams: Float64Array;
  /** BEAT_WORDS per logged heartbeat packet, back to back. */
  beats: Float64Array;
  /** SL_WORDS per long-lived TCP session, back to back. */
  silences: Float64Array;
  /** The held first packets; null when there is none. */
  held: HeldColumns | null;
}

/** The buffers of the columns, for a transfer list. */
export function columnBuffers(c: ConversationColumns): ArrayBuffer[] {
  const held = c.held === null ? [] : [c.held.flags, c.held.f, c.held.i, c.held.opt];
  return [...[c.present, c.num, c.blocks, c.pmtus, c.runs, c.datagrams, c.beats, c.silences, ...held].map((a) => a.buffer as ArrayBuffer), ...c.buffers];
}

/** A typed array that doubles when full (the few rows of PMTU bookkeeping and silences). */
function grown(a: Float64Array, need: number): Float64Array {
  if (need <= a.length) return a;
  let n = Math.max(a.length * 2, 1024);
  while (n < need) n *= 2;
  const b = new Float64Array(n);
  b.set(a);
  return b;
}

/**
 * Writes the flows of a hand-over, any order; finish() gives the columns. The variable
 * parts (bytes, runs, datagrams, heartbeat times) are noted first and copied once into
 * arrays of their exact sizes: doubling arrays of tens of megabytes cost more than the copy.
 */
export class ColumnsWriter {
  private readonly present: Uint8Array;
  private readonly num: Float64Array;
  /** The base words of the TCP blocks, copied by finish(). */
  private readonly blockBases: number[] = [];
  private pmtus: Float64Array = new Float64Array(0);
  private nPmtus = 0;
  private silences: Float64Array = new Float64Array(0);
  private nSl = 0;
  // Noted for finish(): each with the row word (num) where its place goes.
  private readonly streams: StreamResult[] = [];
  private readonly streamAt: number[] = [];
  private readonly udps: DatagramFacts[] = [];
  private readonly udpAt: number[] = [];
  private readonly beatLogs: { log: Float64Array; n: number; dropped: number }[] = [];
  private readonly beatAt: number[] = [];
  private nBytes = 0;
  private nRuns = 0;
  private nDgrams = 0;
  private nBeats = 0;
  private held: HeldColumns | null = null;

  constructor(
    readonly count: number,
    private readonly pmtuWords: number,
  ) {
    this.present = new Uint8Array(count);
    this.num = new Float64Array(count * WORDS);
  }

  /** Flow i's heartbeat log as kept (BeatRows.take(); any kind of flow); only it, `only`. */
  beatLog(i: number, bl: { log: Float64Array; n: number; dropped: number }, only: boolean): void {
    this.beatLogs.push(bl);
    this.beatAt.push(i * WORDS + O_BT);
    this.nBeats += bl.n;
    if (only) this.present[i] = 3;
  }

  /**
   * Flow i's TCP conversation, only its held first packet: held flags `h`, f[fo, fo + 2),
   * i[io, io + 4) and opt[oo, oo + HELD_OPT) as the store holds them.
   */
  heldPacket(r: number, h: number, f: Float64Array, fo: number, i: Int32Array, io: number, opt: Uint8Array, oo: number): void {
    const n = this.count;
    const held = (this.held ??= { flags: new Uint8Array(n), f: new Float64Array(2 * n), i: new Int32Array(4 * n), opt: new Uint8Array(HELD_OPT * n) });
    this.present[r] = 4;
    held.flags[r] = h;
    held.f.set(f.subarray(fo, fo + 2), 2 * r);
    held.i.set(i.subarray(io, io + 4), 4 * r);
    held.opt.set(opt.subarray(oo, oo + HELD_OPT), HELD_OPT * r);
  }

  /** Flow i's TCP conversation is only its held first packet, row i of the arrays given to moveHeld(). */
  heldRow(i: number): void {
    this.present[i] = 4;
  }

  /** The held first packets of the rows heldRow() marked, in a store's own arrays (row = id), moved as they are. */
  moveHeld(held: HeldColumns): void {
    this.held = held;
  }

  /** Flow i's kept datagrams. */
  udp(i: number, f: DatagramFacts): void {
    const o = i * WORDS;
    this.present[i] = 2;
    this.num[o + O_ORIG] = f.originator;
    this.num[o + O_DG_CAPHIT] = f.capHit ? 1 : 0;
    this.udps.push(f);
    this.udpAt.push(o);
    this.nDgrams += f.datagrams.length;
    for (const d of f.datagrams) this.nBytes += d.bytes.length;
  }

  /** Flow i's TCP conversation: its block (from word `base` of the arena finish() is given), PMTU bookkeeping, silences and streams. */
  tcp(i: number, base: number, pmtu: Float64Array | null, silences: SilenceFacts | null, s0: StreamResult | null, s1: StreamResult | null): void {
    const o = i * WORDS;
    const num = this.num;
    this.present[i] = 1;
    num[o + O_BLOCK] = this.blockBases.length;
    this.blockBases.push(base);
    if (pmtu !== null) {
      this.pmtus = grown(this.pmtus, (this.nPmtus + 1) * this.pmtuWords);
      this.pmtus.set(pmtu.subarray(0, this.pmtuWords), this.nPmtus * this.pmtuWords);
      num[o + O_PMTU] = ++this.nPmtus;
    }
    if (silences !== null) {
      this.silences = grown(this.silences, (this.nSl + 1) * SL_WORDS);
      this.silences.set(silences.hist, this.nSl * SL_WORDS);
      this.silences.set(silences.gaps, this.nSl * SL_WORDS + SL_HIST);
      num[o + O_SL] = ++this.nSl;
    }
    for (let d = 0; d < 2; d++) {
      const s = d === 0 ? s0 : s1;
      if (s === null) continue;
      const so = o + O_STREAMS + d * STREAM_WORDS;
      num[so] = 1;
      for (let k = 0; k < STREAM_COUNTERS.length; k++) {
        const v = s[STREAM_COUNTERS[k]];
        num[so + S_COUNTERS + k] = typeof v === 'boolean' ? (v ? 1 : 0) : v;
      }
      this.streams.push(s);
      this.streamAt.push(so);
      this.nBytes += s.bytes.length;
      this.nRuns += streamRuns(s).n;
    }
  }

  /**
   * The columns; `I` holds the TCP blocks noted (their conversations not yet closed).
   * `move`: the bytes go in the buffers they are kept in (the columns' transfer detaches
   * them: every flow of the store must have been taken, and the store must not allocate from
   * them again); else they are copied into one.
   */
  finish(I: Int32Array, move: boolean): ConversationColumns {
    const num = this.num;
    const blocks = new Int32Array(this.blockBases.length * TCP_WORDS);
    for (let j = 0; j < this.blockBases.length; j++) blocks.set(I.subarray(this.blockBases[j], this.blockBases[j] + TCP_WORDS), j * TCP_WORDS);
    const copy = move ? null : new Uint8Array(this.nBytes);
    const buffers: ArrayBuffer[] = copy === null ? [] : [copy.buffer];
    const bufferAt = new Map<ArrayBufferLike, number>();
    let b = 0;
    // Where bytes `x` go: words w, w + 1, w + 2 of `to` (buffer, byte offset, byte length; buffer -1: none).
    const place = (x: Uint8Array, to: Float64Array, w: number): void => {
      to[w + 2] = x.length;
      if (x.length === 0) {
        to[w] = -1;
      } else if (copy !== null) {
        to[w] = 0;
        to[w + 1] = b;
        copy.set(x, b);
        b += x.length;
      } else {
        let k = bufferAt.get(x.buffer);
        if (k === undefined) {
          bufferAt.set(x.buffer, (k = buffers.length));
          buffers.push(x.buffer as ArrayBuffer);
        }
        to[w] = k;
        to[w + 1] = x.byteOffset;
      }
    };
    const runs = new Float64Array(2 * this.nRuns);
    let r = 0;
    for (let j = 0; j < this.streams.length; j++) {
      const s = this.streams[j];
      const so = this.streamAt[j];
      const sr = streamRuns(s);
      place(s.bytes, num, so + 1);
      num[so + 4] = r;
      num[so + 5] = sr.n;
      for (let k = 0; k < sr.n; k++, r++) {
        runs[2 * r] = sr.runs[k * sr.stride];
        runs[2 * r + 1] = sr.runs[k * sr.stride + sr.stride - 1];
      }
    }
    const datagrams = new Float64Array(this.nDgrams * DGRAM_WORDS);
    let g = 0;
    for (let j = 0; j < this.udps.length; j++) {
      const f = this.udps[j];
      const o = this.udpAt[j];
      num[o + O_DG_FIRST] = g;
      num[o + O_DG_COUNT] = f.datagrams.length;
      for (const d of f.datagrams) {
        const w = g++ * DGRAM_WORDS;
        datagrams[w] = d.side;
        place(d.bytes, datagrams, w + 1);
        datagrams[w + 4] = d.wireLength;
        datagrams[w + 5] = d.tsUs;
      }
    }
    const beats = new Float64Array(this.nBeats * BEAT_WORDS);
    let t = 0;
    for (let j = 0; j < this.beatLogs.length; j++) {
      const bl = this.beatLogs[j];
      const o = this.beatAt[j];
      num[o] = 1;
      num[o + 1] = t;
      num[o + 2] = bl.n;
      num[o + 3] = bl.dropped;
      beats.set(bl.log.subarray(0, bl.n * BEAT_WORDS), t * BEAT_WORDS);
      t += bl.n;
    }
    return { count: this.count, present: this.present, num, blocks, pmtus: this.pmtus, pmtuWords: this.pmtuWords, buffers, runs, datagrams, beats, silences: this.silences, held: this.held };
  }
}

/** The bytes at words w, w + 1, w + 2 of `from` (see ColumnsWriter.finish). */
function bytesAt(c: ConversationColumns, from: Float64Array, w: number): Uint8Array {
  return from[w] < 0 ? new Uint8Array(0) : new Uint8Array(c.buffers[from[w]], from[w + 1], from[w + 2]);
}

/** Flow i's TCP block in `columns.blocks` (its base word), its PMTU bookkeeping (null: none), silences and streams. */
export function columnTcp(c: ConversationColumns, i: number): { base: number; pmtu: Float64Array | null; silences: SilenceFacts | null; streams: [StreamResult | null, StreamResult | null] } {
  const num = c.num;
  const o = i * WORDS;
  const p = num[o + O_PMTU];
  const sl = num[o + O_SL];
  let silences: SilenceFacts | null = null;
  if (sl !== 0) {
    const at = (sl - 1) * SL_WORDS;
    silences = { hist: Uint32Array.from(c.silences.subarray(at, at + SL_HIST)), gaps: c.silences.slice(at + SL_HIST, at + SL_WORDS) };
  }
  const streams: [StreamResult | null, StreamResult | null] = [null, null];
  for (let d = 0; d < 2; d++) {
    const so = o + O_STREAMS + d * STREAM_WORDS;
    if (num[so] === 0) continue;
    const r0 = num[so + 4];
    const rn = num[so + 5];
    streams[d] = keptStream(bytesAt(c, num, so + 1), c.runs.subarray(2 * r0, 2 * (r0 + rn)), rn, num, so + S_COUNTERS);
  }
  return { base: num[o + O_BLOCK] * TCP_WORDS, pmtu: p === 0 ? null : c.pmtus.subarray((p - 1) * c.pmtuWords, p * c.pmtuWords), silences, streams };
}

/** The heartbeat log of flow i, or null. */
export function columnBeats(c: ConversationColumns, i: number): BeatFacts | null {
  const num = c.num;
  const o = i * WORDS;
  if (num[o + O_BT] === 0) return null;
  return beatFacts(c.beats, num[o + O_BT + 1] * BEAT_WORDS, num[o + O_BT + 2], num[o + O_BT + 3]);
}

/** The kept datagrams of UDP flow i. */
export function columnDatagrams(c: ConversationColumns, i: number): DatagramFacts {
  const num = c.num;
  const o = i * WORDS;
  const out: KeptDatagram[] = [];
  const first = num[o + O_DG_FIRST];
  for (let d = first; d < first + num[o + O_DG_COUNT]; d++) {
    const w = d * DGRAM_WORDS;
    out.push({ side: c.datagrams[w] as Side, bytes: bytesAt(c, c.datagrams, w + 1), wireLength: c.datagrams[w + 4], tsUs: c.datagrams[w + 5] });
  }
  return { kind: 'udp', originator: num[o + O_ORIG] as Side, datagrams: out, capHit: num[o + O_DG_CAPHIT] === 1 };
}
