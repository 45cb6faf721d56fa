// The per-flow silence state of long-lived sessions: half-octave bins, the K longest
// silences per side, nothing kept at or under 1 s.
import { describe, expect, it } from 'vitest';
import { SILENCE_BINS, SILENCE_K, SilenceLog, longLivedTcp, silenceBin } from '../../src/flow/silences.js';

describe('silenceBin', () => {
  it('puts intervals in half-octaves of µs', () => {
    expect(silenceBin(0)).toBe(0);
    expect(silenceBin(1)).toBe(1); // [1, 1.41)
    expect(silenceBin(2)).toBe(3); // [2, 2.83)
    expect(silenceBin(3)).toBe(4); // [2.83, 4)
    expect(silenceBin(1_000_000)).toBe(1 + 2 * 19 + 1); // 2^19·√2 = 741,455 ≤ 1 s < 2^20
    expect(silenceBin(741_455)).toBe(1 + 2 * 19 + 0);
    expect(silenceBin(741_456)).toBe(1 + 2 * 19 + 1);
    expect(silenceBin(2 ** 32 - 1)).toBe(SILENCE_BINS - 2);
    expect(silenceBin(2 ** 40)).toBe(SILENCE_BINS - 1);
  });
});

describe('SilenceLog', () => {
  it('counts each side apart and keeps its K longest silences over 1 s, longest first', () => {
    const log = new SilenceLog();
    let t = 1e12;
    // side 0: 20 silences of 2, 3, ... 21 s, in a shuffled order; side 1: one 1 s interval (not kept)
    const lengths = Array.from({ length: 20 }, (_, i) => (i + 2) * 1e6);
    const order = [7, 3, 19, 0, 12, 5, 18, 1, 9, 14, 2, 16, 6, 11, 4, 17, 8, 13, 10, 15];
    log.add(t, 0);
    const starts = new Map<number, number>();
    for (const i of order) {
      starts.set(lengths[i], t);
      t += lengths[i];
      log.add(t, 0);
    }
    log.add(5e12, 1);
    log.add(5e12 + 1e6, 1);
    const f = log.facts();
    expect(f.hist.length).toBe(2 * SILENCE_BINS);
    expect(f.hist.slice(0, SILENCE_BINS).reduce((a, b) => a + b, 0)).toBe(20);
    expect(f.hist[SILENCE_BINS + silenceBin(1e6)]).toBe(1);
    const kept = [];
    for (let k = 0; k < SILENCE_K; k++) kept.push([f.gaps[2 * k], f.gaps[2 * k + 1]]);
    expect(kept.map(([, l]) => l / 1e6)).toEqual([21, 20, 19, 18, 17, 16, 15, 14]);
    expect(kept.map(([s, l]) => s === starts.get(l))).toEqual(Array(SILENCE_K).fill(true));
    // side 1's 1 s interval is not over MIN_SILENCE_US: nothing kept
    expect(Array.from(f.gaps.slice(2 * SILENCE_K))).toEqual(Array(2 * SILENCE_K).fill(0));
  });

  it('knows the long-lived ports', () => {
    expect([3978, 28769, 28260, 28770, 28771, 28270].map((p) => longLivedTcp(50000, p))).toEqual(Array(6).fill(true));
    expect(longLivedTcp(28769, 50000)).toBe(true);
    expect(longLivedTcp(443, 50000)).toBe(false);
  });
});
