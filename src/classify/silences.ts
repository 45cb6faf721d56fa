// Gaps of long-lived sessions (issue 11, timeline): from a flow's silence state (per side,
// a half-octave histogram of the intervals between its packets and its SILENCE_K longest
// silences, flow/silences.ts), the silences longer than GAP_INTERVALS of that side's median
// interval and longer than MIN_GAP_US — the rule of HA cadence (cadence.ts), for the same
// reason: a session's keep-alives and hellos come every second or more, so a shorter
// silence is a pause in a burst, not an outage. The median is taken over the intervals of
// CADENCE_MIN_US and more: the segments of one burst (a TLS handshake, a record split over
// segments) follow each other within microseconds and would make the median that of the
// burst, so a 3978 session's keep-alives every 3 s would all count as gaps. Overlapping
// gaps of the two sides are one; gaps of one side that touch (a packet between two
// silences) stay two.
import { SILENCE_BINS, SILENCE_K, silenceBin, type SilenceFacts } from '../flow/silences.js';
import { GAP_INTERVALS, MIN_GAP_US } from './cadence.js';

/** One silence of a session, µs since the epoch: its side's last packet before, and first after. */
export interface SessionGap {
  startUs: number;
  endUs: number;
}

/** Intervals shorter than this (µs, 8.2 ms: a bin boundary) are within a burst: not the cadence. */
export const CADENCE_MIN_US = 2 ** 13;

/**
 * The median interval (µs) of a side's histogram (SILENCE_BINS counts from `at`), over the
 * bins from `fromBin` on: the geometric middle of the half-octave bin holding the middle
 * interval, so within a factor 2^(1/4) (19 %) of the exact median; 0 when the bin is that of
 * 0 µs; null without intervals.
 */
export function histogramMedian(hist: ArrayLike<number>, at = 0, fromBin = 0): number | null {
  let n = 0;
  for (let b = fromBin; b < SILENCE_BINS; b++) n += hist[at + b];
  if (n === 0) return null;
  const half = Math.ceil(n / 2);
  let seen = 0;
  for (let b = fromBin; b < SILENCE_BINS; b++) {
    seen += hist[at + b];
    if (seen >= half) return b === 0 ? 0 : 2 ** ((b - 1) / 2 + 0.25);
  }
  return null;
}

/** The gaps of a long-lived session, in time order. */
export function sessionGaps(s: SilenceFacts): SessionGap[] {
  const raw: SessionGap[] = [];
  for (let side = 0; side < 2; side++) {
    const median = histogramMedian(s.hist, side * SILENCE_BINS, silenceBin(CADENCE_MIN_US));
    if (median === null) continue;
    const limit = Math.max(GAP_INTERVALS * median, MIN_GAP_US);
    const base = side * SILENCE_K * 2;
    for (let i = base; i < base + SILENCE_K * 2; i += 2) {
      const len = s.gaps[i + 1];
      if (len > limit) raw.push({ startUs: s.gaps[i], endUs: s.gaps[i] + len });
    }
  }
  // Most sessions have none (mixed-2M: none of 1,767): no copy, sort or merge of an empty list.
  return raw.length === 0 ? raw : mergeGaps(raw);
}

/** Gaps sorted by start, overlapping ones made one (touching ones stay apart: a packet ended one and started the other). */
export function mergeGaps(gaps: readonly SessionGap[]): SessionGap[] {
  const sorted = [...gaps].sort((a, b) => a.startUs - b.startUs || a.endUs - b.endUs);
  const out: SessionGap[] = [];
  for (const g of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && g.startUs < last.endUs) last.endUs = Math.max(last.endUs, g.endUs);
    else out.push({ ...g });
  }
  return out;
}
