// What the decoder saw, as counters that are all sums (or minima/maxima), so partial
// statistics from several aggregators and hand-overs merge by addition.
import { REASON_COUNT } from './fields.js';

/** Counters of what the decoder saw; all sums, so they merge by addition. */
export interface DecodeStats {
  packets: number;
  /** Wire bytes (original lengths). */
  bytes: number;
  capturedBytes: number;
  malformed: number;
  /** Per malformation reason code (index = code). */
  reasons: number[];
  /** [linktype, packets] for every link type seen. */
  linktypes: [number, number][];
  /** [linktype, packets] for link types not decoded. */
  unsupported: [number, number][];
  /** NULL/LOOP frames of families other than IPv4/IPv6. */
  otherFamily: number;
  /** Earliest and latest timestamps (microseconds), or 0 when no packets. */
  firstTs: number;
  lastTs: number;
}

/** Statistics of nothing: the start of a running sum. */
export function emptyStats(): DecodeStats {
  return { packets: 0, bytes: 0, capturedBytes: 0, malformed: 0, reasons: new Array<number>(REASON_COUNT).fill(0), linktypes: [], unsupported: [], otherFamily: 0, firstTs: 0, lastTs: 0 };
}

/** Sums decode statistics from several aggregators. */
export function mergeStats(list: DecodeStats[]): DecodeStats {
  const sum = (f: (s: DecodeStats) => number): number => list.reduce((a, s) => a + f(s), 0);
  const pairs = (f: (s: DecodeStats) => [number, number][]): [number, number][] => {
    const m = new Map<number, number>();
    for (const s of list) for (const [k, v] of f(s)) m.set(k, (m.get(k) ?? 0) + v);
    return [...m.entries()].sort((x, y) => x[0] - y[0]);
  };
  const reasons = new Array<number>(REASON_COUNT).fill(0);
  for (const s of list) s.reasons.forEach((v, i) => (reasons[i] += v));
  const withPackets = list.filter((s) => s.packets > 0);
  return {
    packets: sum((s) => s.packets),
    bytes: sum((s) => s.bytes),
    capturedBytes: sum((s) => s.capturedBytes),
    malformed: sum((s) => s.malformed),
    reasons,
    linktypes: pairs((s) => s.linktypes),
    unsupported: pairs((s) => s.unsupported),
    otherFamily: sum((s) => s.otherFamily),
    firstTs: withPackets.length ? Math.min(...withPackets.map((s) => s.firstTs)) : 0,
    lastTs: withPackets.length ? Math.max(...withPackets.map((s) => s.lastTs)) : 0,
  };
}
