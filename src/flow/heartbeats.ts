// The packet times of flows that can be HA heartbeats (issue 11, HA cadence): ICMP echo
// between two hosts (the HA1 heartbeat when they turn out to be HA peers), HA1 hellos on
// TCP 28769/28260, HA2 keep-alives on UDP 29281, IP protocol 99 and ethertype 0x7261.
// Whether two hosts are HA peers is known only after classification, so every flow that
// can be one keeps a small time log in the aggregator that owns it (the same routing as
// TCP health and UDP datagrams: identical for any worker count). A log's entries are the
// time and (side, kind, echo identifier and sequence) as two doubles, its room grown by
// doubling up to MAX_BEATS entries; past that, or when the store's payload budget (shared
// with the streams and datagrams: an ICMP flood makes many such flows) has no room for the
// next growth, it counts what it did not keep (capHit). A store keeps all its flows' logs in
// one BeatRows.
import type { PayloadBudget } from './stream.js';
import type { Side } from './table.js';

/** TCP ports of HA1 (clear text, and its alternative port): their payload segments are hellos and heartbeats. */
export const HEARTBEAT_TCP_PORTS: readonly number[] = [28769, 28260];
/** UDP port of HA2 over UDP (keep-alives travel with the sync traffic). */
export const HEARTBEAT_UDP_PORT = 29281;
/** IP protocol of HA2 over IP. */
export const HEARTBEAT_IP_PROTOCOL = 99;
/** Ethertype of HA2 over Ethernet. */
export const HEARTBEAT_ETHERTYPE = 0x7261;

/** Entries kept per flow: 9 h of one echo request and reply a second, at 12 bytes each (786 KB). */
export const MAX_BEATS = 65536;

/** What a logged packet is: a plain heartbeat packet, or one half of an ICMP echo. */
export const BEAT_PLAIN = 0;
export const BEAT_REQUEST = 1;
export const BEAT_REPLY = 2;

/** The logged packets of one flow, in capture order. */
export interface BeatFacts {
  /** Capture time of each packet, µs since the epoch. */
  times: Float64Array;
  /** Per packet: canonical side | kind << 1 (BEAT_*). */
  flags: Uint8Array;
  /** Per packet: echo identifier << 16 | sequence number (0 for plain packets). */
  echo: Uint32Array;
  /** Packets the per-flow cap turned away (their times are not in the log). */
  dropped: number;
}

/** Whether a TCP or UDP flow with these ports can carry heartbeats. */
export function heartbeatTcp(sport: number, dport: number): boolean {
  return HEARTBEAT_TCP_PORTS.includes(sport) || HEARTBEAT_TCP_PORTS.includes(dport);
}

/** Bytes one log entry takes (time, flags, echo). */
const ENTRY_BYTES = 8 + 1 + 4;
/** Entries a log holds before it first grows (free of charge). */
const FIRST_ENTRIES = 16;

/** A log entry's second double: flags + 8 × echo (below 2^35: exact). */
function beatCode(side: Side, kind: number, echo: number): number {
  return (side | (kind << 1)) + 8 * (echo >>> 0);
}

/**
 * A log of `n` entries is full (n is FIRST_ENTRIES or a later doubling of it) and would grow
 * to twice n: false when it may not (MAX_BEATS reached, or no room in the budget), else
 * true, the growth charged to the budget.
 */
function mayGrow(n: number, b: PayloadBudget | null): boolean {
  const more = (Math.min(MAX_BEATS, n * 2) - n) * ENTRY_BYTES;
  if (n >= MAX_BEATS || (b !== null && more > b.limit - b.used)) return false;
  if (b !== null) b.used += more;
  return true;
}

/** What a log of `n` entries was charged for (its room past FIRST_ENTRIES), given back when it ends. */
function chargedFor(n: number): number {
  let room = FIRST_ENTRIES;
  while (room < n) room *= 2;
  return (room - FIRST_ENTRIES) * ENTRY_BYTES;
}

/** Entries per chunk of a BeatRows store (a chunk is 256 bytes: a log's first room, free of charge). */
const CHUNK = FIRST_ENTRIES;
/** Words per log in BeatRows.d: first chunk + 1 (0: no log), last chunk + 1, entries, dropped. */
const D_WORDS = 4;

/**
 * The time logs of many flows, by flow id: each a chain of chunks of CHUNK entries (pairs of
 * doubles: the time, then flags + 8 × echo, below 2^35: exact) in one array, and four words
 * per id in another. A packet reaches its id's words and the entry it writes, not a log
 * object, its typed array and that array's store (which missed the cache for most logged
 * packets). A log's room is FIRST_ENTRIES, then doubles (mayGrow) up to MAX_BEATS entries;
 * the budget is charged ENTRY_BYTES per entry of room past the first, as for the three
 * arrays handed out (chargedFor), and gets them back when the log is taken.
 */
export class BeatRows {
  /** Chunk c's entries from e[c * 2 * CHUNK] on. */
  private e = new Float64Array(0);
  /** Per chunk: 1 + the next chunk of its log (0: its log's last). */
  private next = new Int32Array(0);
  private chunks = 0;
  private readonly freeChunks: number[] = [];
  /** D_WORDS per id (made at the first log: most stores log nothing). */
  private d = new Int32Array(0);

  constructor(private readonly budget: PayloadBudget | null = null) {}

  /** Whether flow `id` has a log. */
  has(id: number): boolean {
    return id * D_WORDS < this.d.length && this.d[id * D_WORDS] !== 0;
  }

  /** Logs a packet of flow `id` (made at its first); counts it as dropped when its log may not grow. */
  add(id: number, tsUs: number, side: Side, kind: number, echo: number): void {
    const o = id * D_WORDS;
    if (o >= this.d.length) this.growIds(id);
    const d = this.d;
    const n = d[o + 2];
    if (n >= FIRST_ENTRIES && (n & (n - 1)) === 0 && !mayGrow(n, this.budget)) {
      d[o + 3]++;
      return;
    }
    let c = d[o + 1] - 1;
    if ((n & (CHUNK - 1)) === 0) {
      const at = this.chunk();
      if (c < 0) d[o] = at + 1;
      else this.next[c] = at + 1;
      d[o + 1] = at + 1;
      c = at;
    }
    const e = this.e;
    const x = c * 2 * CHUNK + 2 * (n & (CHUNK - 1));
    e[x] = tsUs;
    e[x + 1] = beatCode(side, kind, echo);
    d[o + 2] = n + 1;
  }

  /**
   * Flow `id`'s log so far (null: none); `final`: the flow leaves (its chunks and budget bytes
   * go back). Read from its chunks straight into the three arrays: no copy of the log first, no
   * view per chunk (mixed-2M: 168,020 entries in 10,500 chunks, read in code not yet optimised).
   */
  facts(id: number, final: boolean): BeatFacts | null {
    if (!this.has(id)) return null;
    const o = id * D_WORDS;
    const n = this.d[o + 2];
    const times = new Float64Array(n);
    const flags = new Uint8Array(n);
    const echo = new Uint32Array(n);
    const e = this.e;
    const next = this.next;
    let c = this.d[o] - 1;
    for (let i = 0; i < n; i += CHUNK, c = next[c] - 1) readEntries(e, c * 2 * CHUNK, Math.min(CHUNK, n - i), times, flags, echo, i);
    const dropped = this.d[o + 3];
    if (final) this.release(id);
    return { times, flags, echo, dropped };
  }

  /**
   * Flow `id`'s log as it is kept, for a worker's hand-over (beatFacts reads it on the other
   * side): `n` entries of two doubles from 0 of `log` (null: none). The flow leaves.
   */
  take(id: number): { log: Float64Array; n: number; dropped: number } | null {
    if (!this.has(id)) return null;
    const d = this.d;
    const o = id * D_WORDS;
    const n = d[o + 2];
    const log = new Float64Array(2 * n);
    let c = d[o] - 1;
    for (let i = 0; i < n; i += CHUNK) {
      const k = Math.min(CHUNK, n - i);
      log.set(this.e.subarray(c * 2 * CHUNK, c * 2 * CHUNK + 2 * k), 2 * i);
      c = this.next[c] - 1;
    }
    const dropped = d[o + 3];
    this.release(id);
    return { log, n, dropped };
  }

  /** Flow `id` leaves: its chunks go back to the free list, its budget bytes to the budget, its words to 0. */
  private release(id: number): void {
    const d = this.d;
    const o = id * D_WORDS;
    const n = d[o + 2];
    let c = d[o] - 1;
    for (let i = 0; i < n; i += CHUNK) {
      const was = c;
      c = this.next[c] - 1;
      this.next[was] = 0;
      this.freeChunks.push(was);
    }
    if (this.budget !== null) this.budget.used -= chargedFor(n);
    d.fill(0, o, o + D_WORDS);
  }

  /** A free chunk. */
  private chunk(): number {
    const c = this.freeChunks.pop();
    if (c !== undefined) return c;
    if (this.chunks === this.next.length) {
      const chunks = Math.max(64, this.chunks * 2);
      const next = new Int32Array(chunks);
      next.set(this.next);
      this.next = next;
      const e = new Float64Array(chunks * 2 * CHUNK);
      e.set(this.e);
      this.e = e;
    }
    return this.chunks++;
  }

  private growIds(id: number): void {
    let n = Math.max(1024 * D_WORDS, this.d.length);
    while (n <= id * D_WORDS) n *= 2;
    const d = new Int32Array(n);
    d.set(this.d);
    this.d = d;
  }
}

/** The BeatFacts of `n` log entries (pairs of doubles: the time, flags + 8 × echo) from `at` of `log`. */
export function beatFacts(log: Float64Array, at: number, n: number, dropped: number): BeatFacts {
  const times = new Float64Array(n);
  const flags = new Uint8Array(n);
  const echo = new Uint32Array(n);
  readEntries(log, at, n, times, flags, echo, 0);
  return { times, flags, echo, dropped };
}

/** Decodes `count` log entries from log[at] on into the three arrays from index `i` on: the one reading of an entry. */
function readEntries(log: Float64Array, at: number, count: number, times: Float64Array, flags: Uint8Array, echo: Uint32Array, i: number): void {
  for (let x = at, end = i + count; i < end; i++, x += 2) {
    times[i] = log[x];
    const v = log[x + 1];
    // v - 8·floor(v / 8), not v % 8: optimised code does a double's % as a call to C's fmod
    // (small-4M: 507,823 entries). Exact: v is an integer below 2^35.
    const k = Math.floor(v / 8);
    flags[i] = v - 8 * k;
    echo[i] = k;
  }
}
