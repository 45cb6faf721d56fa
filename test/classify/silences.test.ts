// Gaps of long-lived sessions from the per-flow silence state: the histogram median and the
// rule (over three of the side's median intervals and over 1 s), the two sides merged.
import { describe, expect, it } from 'vitest';
import { SILENCE_BINS, SilenceLog, silenceBin } from '../../src/flow/silences.js';
import { CADENCE_MIN_US, histogramMedian, mergeGaps, sessionGaps } from '../../src/classify/silences.js';

describe('histogramMedian', () => {
  it('is the geometric middle of the bin of the middle interval', () => {
    const h = new Uint32Array(SILENCE_BINS);
    h[silenceBin(1_000_000)] += 3; // three intervals in [741,455, 1,048,576)
    h[silenceBin(10)] += 2;
    expect(histogramMedian(h)).toBeCloseTo(2 ** 19.75, 6); // 881,743 µs: within 19 % of 1 s
    h[silenceBin(10)] += 2; // 4 of 7 now short: the median moves to their bin [8, 11.3)
    expect(histogramMedian(h)).toBeCloseTo(2 ** 3.25, 6);
    expect(histogramMedian(new Uint32Array(SILENCE_BINS))).toBeNull();
    const zero = new Uint32Array(SILENCE_BINS);
    zero[0] = 1;
    expect(histogramMedian(zero)).toBe(0);
  });

  it('leaves bursts out from the cadence bin on', () => {
    const h = new Uint32Array(SILENCE_BINS);
    h[silenceBin(3_000_000)] += 3; // keep-alives every 3 s
    h[silenceBin(50)] += 5; // a handshake's segments
    expect(histogramMedian(h)).toBeCloseTo(2 ** 3.75 * 2 ** 2, 6);
    expect(histogramMedian(h, 0, silenceBin(CADENCE_MIN_US))).toBeCloseTo(2 ** 21.75, 6); // 3.53 s: the bin [2.97 s, 4.19 s)
    expect(silenceBin(CADENCE_MIN_US - 1)).toBe(silenceBin(CADENCE_MIN_US) - 1);
  });
});

describe('sessionGaps', () => {
  it('keeps silences over 3 median intervals and over 1 s, merging the sides', () => {
    const log = new SilenceLog();
    const T = 1.8e15;
    // side 0: hellos every 1 s, one 2.5 s silence (under 3 × 0.88 s) and one 5 s silence
    let t = T;
    for (let i = 0; i < 30; i++) log.add((t += 1e6), 0);
    log.add((t += 2.5e6), 0);
    for (let i = 0; i < 10; i++) log.add((t += 1e6), 0);
    const s0 = t;
    log.add((t += 5e6), 0);
    // side 1: answers 100 µs later, silent 7 s from just before side 0's silence
    for (let k = 0; k < 40; k++) log.add(T + (k + 1) * 1e6 + 100, 1);
    log.add(s0 - 1e6 + 100, 1);
    log.add(s0 + 6e6, 1);
    const gaps = sessionGaps(log.facts());
    expect(gaps).toEqual([{ startUs: s0 - 1e6 + 100, endUs: s0 + 6e6 }]);
  });

  it('needs more than 1 s when the cadence is fast', () => {
    const log = new SilenceLog();
    let t = 0;
    for (let i = 0; i < 100; i++) log.add((t += 100_000), 0); // every 100 ms
    log.add((t += 900_000), 0); // 0.9 s: over 300 ms, not over 1 s
    log.add((t += 1_200_000), 0);
    expect(sessionGaps(log.facts())).toEqual([{ startUs: t - 1_200_000, endUs: t }]);
  });

  it('judges keep-alives after a handshake burst by the keep-alives (a03: 314 bytes every 3 s)', () => {
    const log = new SilenceLog();
    for (const t of [3194, 3197, 12254, 12649, 887898, 3888287, 6888718, 9889017, 14534942]) log.add(1e15 + t, 1);
    expect(sessionGaps(log.facts())).toEqual([]);
    log.add(1e15 + 30_000_000, 1); // 15.5 s: over 3 × the 3 s median
    expect(sessionGaps(log.facts())).toEqual([{ startUs: 1e15 + 14534942, endUs: 1e15 + 30_000_000 }]);
  });

  it('gives no gaps, a fresh empty list, for a session without any (and none without intervals)', () => {
    const log = new SilenceLog();
    expect(sessionGaps(log.facts())).toEqual([]);
    let t = 0;
    for (let i = 0; i < 25; i++) {
      log.add((t += 1e6), 0);
      log.add(t + 500, 1);
    }
    const a = sessionGaps(log.facts());
    expect(a).toEqual([]);
    a.push({ startUs: 1, endUs: 2 });
    expect(sessionGaps(log.facts())).toEqual([]);
  });

  it('gives several gaps of both sides in time order, overlapping ones one', () => {
    const log = new SilenceLog();
    const T = 1e15;
    // side 0 every 1 s with silences at 20-30 s and 60-75 s; side 1 every 1 s, silent 25-40 s and 90-95 s
    for (let k = 0; k <= 100; k++) {
      if (!((k > 20 && k < 30) || (k > 60 && k < 75))) log.add(T + k * 1e6, 0);
      if (!((k > 25 && k < 40) || (k > 90 && k < 95))) log.add(T + k * 1e6 + 500, 1);
    }
    expect(sessionGaps(log.facts())).toEqual([
      { startUs: T + 20e6, endUs: T + 40e6 + 500 },
      { startUs: T + 60e6, endUs: T + 75e6 },
      { startUs: T + 90e6 + 500, endUs: T + 95e6 + 500 },
    ]);
  });

  it('merges overlapping gaps, not touching ones', () => {
    expect(mergeGaps([{ startUs: 5, endUs: 9 }, { startUs: 1, endUs: 3 }, { startUs: 3, endUs: 4 }, { startUs: 6, endUs: 12 }])).toEqual([
      { startUs: 1, endUs: 3 },
      { startUs: 3, endUs: 4 },
      { startUs: 5, endUs: 12 },
    ]);
  });
});
