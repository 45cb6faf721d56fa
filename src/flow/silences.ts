// Silences of long-lived sessions (issue 11, timeline): Panorama's 3978, HA1 on 28769/28260,
// the backup HA1 and heartbeat links (28770, 28771) and the collector group (28270). These
// flows are busy and last for hours, so their packet times are not logged: per flow and
// per side, a log-scale histogram of the intervals between the side's packets (its usual
// cadence: the median) and the K longest silences over MIN_SILENCE_US (start, length).
// The state is made once per flow and updated with a few array writes per packet; the
// flow's packets reach one aggregator in capture order (as TCP health), so it is identical
// for any worker count. What counts is each side's payload segments sent for the first
// time (as for HA cadence, flow/heartbeats.ts): a pure ACK follows the peer's segment
// within microseconds and would make the median that of a reply time, not of the cadence,
// and a side that repeats one segment during an outage is silent as far as the channel goes.
import type { Side } from './table.js';
import { HEARTBEAT_TCP_PORTS } from './heartbeats.js';

/** TCP ports of the long-lived sessions whose silences are kept. */
export const LONG_LIVED_TCP_PORTS: readonly number[] = [3978, ...HEARTBEAT_TCP_PORTS, 28770, 28771, 28270];

/** Whether a TCP flow with these ports is a long-lived session. */
export function longLivedTcp(sport: number, dport: number): boolean {
  return LONG_LIVED_TCP_PORTS.includes(sport) || LONG_LIVED_TCP_PORTS.includes(dport);
}

/** Silences kept per side (the longest). */
export const SILENCE_K = 8;
/**
 * Silences at or under this (µs) are not kept: a gap must be longer than 1 s anyway
 * (classify/silences.ts), and the top-K test then runs only on the rare long intervals.
 */
export const MIN_SILENCE_US = 1e6;
/**
 * Histogram bins per side: bin 0 holds intervals of 0 µs, bin 1 + 2·o + h those in
 * [2^(o + h/2), 2^(o + (h+1)/2)) µs (half-octaves, o < 32), the last one everything from
 * 2^32 µs (71 minutes) on.
 */
export const SILENCE_BINS = 66;

/** What a flow's silences say (ConversationFacts.silences). */
export interface SilenceFacts {
  /** Per side, interval counts by half-octave (SILENCE_BINS each: side 0 first). */
  hist: Uint32Array;
  /** Per side, up to SILENCE_K silences as (start µs, length µs) pairs, longest first; lengths 0 are unused. */
  gaps: Float64Array;
}

/**
 * 2^o·√2 for each octave o < 32, where its upper half starts: a table, because `2 ** o` with
 * a variable o is a call of V8's pow per payload segment of every long-lived session.
 */
const HALF_OCTAVE = Float64Array.from({ length: 32 }, (_, o) => 2 ** o * Math.SQRT2);

/** The histogram bin of an interval of dt µs (an integer ≥ 0). */
export function silenceBin(dt: number): number {
  if (dt < 1) return 0;
  if (dt >= 4294967296) return SILENCE_BINS - 1;
  const o = 31 - Math.clz32(dt);
  const half = dt >= HALF_OCTAVE[o] ? 1 : 0;
  return 1 + 2 * o + half;
}

// One flow's state is one row of SILENCE_WORDS doubles (in a SilenceRows store, or a
// SilenceLog's own array): last packet time per side, the shortest kept silence per side,
// the K (start, length) pairs per side, then the histograms (counts as doubles: exact).
const S_LAST = 0;
const S_FLOOR = 2;
const S_GAPS = 4;
const S_HIST = S_GAPS + 2 * SILENCE_K * 2;
/** Doubles per flow. */
export const SILENCE_WORDS = S_HIST + 2 * SILENCE_BINS;

/** Starts the row at `base` of `s` (all of it: a reused row holds a former flow's state). */
function silenceOpen(s: Float64Array, base: number): void {
  s.fill(0, base, base + SILENCE_WORDS);
  s[base + S_LAST] = s[base + S_LAST + 1] = -1;
}

/** A payload segment of `side` at tsUs (not a retransmission), for the row at `base` of `s`. */
export function silenceAdd(s: Float64Array, base: number, tsUs: number, side: Side): void {
  const prev = s[base + S_LAST + side];
  s[base + S_LAST + side] = tsUs;
  if (prev >= 0) silenceAfter(s, base, prev, tsUs, side);
}

/**
 * The interval from the side's last payload segment at `prev` (>= 0) to this one at tsUs,
 * for the row at `base` of `s`, whose own last times are not used: for a caller that keeps
 * them in a line its packet reaches anyway (a conversation's TCP block), where the row's
 * first line would be one more miss, and one the histogram's line must wait for.
 */
export function silenceAfter(s: Float64Array, base: number, prev: number, tsUs: number, side: Side): void {
  const dt = tsUs - prev;
  s[base + S_HIST + side * SILENCE_BINS + silenceBin(dt)]++;
  if (dt > MIN_SILENCE_US && dt > s[base + S_FLOOR + side]) keepSilence(s, base, side, prev, dt);
}

/** Replaces the side's shortest kept silence (or a free pair) with this one. */
function keepSilence(g: Float64Array, row: number, side: Side, start: number, len: number): void {
  const base = row + S_GAPS + side * SILENCE_K * 2;
  let at = base;
  for (let i = base + 2; i < base + SILENCE_K * 2; i += 2) if (g[i + 1] < g[at + 1]) at = i;
  g[at] = start;
  g[at + 1] = len;
  let min = Infinity;
  for (let i = base; i < base + SILENCE_K * 2; i += 2) if (g[i + 1] < min) min = g[i + 1];
  g[row + S_FLOOR + side] = min;
}

/**
 * The state of the row at `row` of `g` so far (copies; gaps sorted longest first per side,
 * then earliest first). Indexed loops and an insertion sort of the K pairs in place: no pair
 * arrays, closures or iterators per flow (mixed-2M: 1,767 long-lived sessions, judged once
 * each, mostly before V8 has optimised this).
 */
function silenceFacts(g: Float64Array, row: number): SilenceFacts {
  const gaps = new Float64Array(2 * SILENCE_K * 2);
  for (let side = 0; side < 2; side++) {
    const base = side * SILENCE_K * 2;
    const from = row + S_GAPS + base;
    let n = 0;
    for (let i = from; i < from + SILENCE_K * 2; i += 2) {
      const start = g[i];
      const len = g[i + 1];
      if (!(len > 0)) continue;
      // Past the kept pairs that are shorter, or as long and later (a stable sort's order).
      let j = base + 2 * n;
      while (j > base && (gaps[j - 1] < len || (gaps[j - 1] === len && gaps[j - 2] > start))) {
        gaps[j] = gaps[j - 2];
        gaps[j + 1] = gaps[j - 1];
        j -= 2;
      }
      gaps[j] = start;
      gaps[j + 1] = len;
      n++;
    }
  }
  const hist = new Uint32Array(2 * SILENCE_BINS);
  // One copy in C++ (counts are integers: exact), not a loop of 132 run in code V8 has not optimised yet.
  hist.set(g.subarray(row + S_HIST, row + S_HIST + 2 * SILENCE_BINS));
  return { hist, gaps };
}

/** One flow's silence state: last packet time per side, the histograms, the longest silences. */
export class SilenceLog {
  private readonly s = new Float64Array(SILENCE_WORDS);

  constructor() {
    silenceOpen(this.s, 0);
  }

  /** A payload segment of `side` at tsUs (not a retransmission). */
  add(tsUs: number, side: Side): void {
    silenceAdd(this.s, 0, tsUs, side);
  }

  /** The state so far (copies; gaps sorted longest first per side). */
  facts(): SilenceFacts {
    return silenceFacts(this.s, 0);
  }
}

/**
 * The silence state of many flows, a row each in one array: a packet reaches its row, not
 * a log object, its typed array and that array's store (three dependent loads that missed
 * the cache for most packets of the long-lived sessions). Rows are reused once released.
 */
export class SilenceRows {
  /** Row r is s[r * SILENCE_WORDS, (r + 1) * SILENCE_WORDS) (silenceAdd's `base`). */
  s = new Float64Array(0);
  private readonly free: number[] = [];
  private next = 0;

  /** A row for a new flow, started. */
  open(): number {
    let row = this.free.pop();
    if (row === undefined) {
      row = this.next++;
      if (this.next * SILENCE_WORDS > this.s.length) {
        const s = new Float64Array(Math.max(64, this.next * 2) * SILENCE_WORDS);
        s.set(this.s);
        this.s = s;
      }
    }
    silenceOpen(this.s, row * SILENCE_WORDS);
    return row;
  }

  /** The state of row `row` so far (copies). */
  facts(row: number): SilenceFacts {
    return silenceFacts(this.s, row * SILENCE_WORDS);
  }

  /** Row `row`'s flow is gone: the row may be reused. */
  release(row: number): void {
    this.free.push(row);
  }
}
