// The per-flow silence state of long-lived sessions: half-octave bins, the K longest
// silences per side, nothing kept at or under 1 s.
import { describe, expect, it } from 'vitest';
import { SILENCE_BINS, SILENCE_K, SILENCE_WORDS, SilenceLog, SilenceRows, longLivedTcp, silenceAdd, silenceBin } from '../../src/flow/silences.js';

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

  it('splits every octave at 2^o·√2 exactly (the table against the formula)', () => {
    for (let o = 0; o < 32; o++) {
      const split = 2 ** o * Math.SQRT2;
      // the integers on either side of the split, and the octave's ends
      for (const dt of [2 ** o, Math.floor(split), Math.ceil(split), 2 ** (o + 1) - 1]) {
        if (dt < 2 ** o || dt >= 2 ** (o + 1)) continue;
        expect(silenceBin(dt)).toBe(1 + 2 * o + (dt >= split ? 1 : 0));
      }
    }
    expect(silenceBin(1_048_575)).toBe(1 + 2 * 19 + 1);
    expect(silenceBin(1_048_576)).toBe(1 + 2 * 20);
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

  it('orders kept silences of equal length by start, earliest first, whatever order they came in', () => {
    let seed = 11;
    for (let round = 0; round < 200; round++) {
      const log = new SilenceLog();
      const all: [number, number, number][] = [];
      let t = 1e12;
      for (let side = 0 as 0 | 1; side < 2; side = (side + 1) as 0 | 1) log.add(t, side);
      for (let k = 0; k < 2 + (round % 14); k++) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        const side = (seed >>> 3) & 1 ? 1 : 0;
        // few distinct lengths: ties; some 1 s or less (never kept)
        const len = [0.5, 1, 2, 3, 3, 5][(seed >>> 8) % 6] * 1e6;
        t += 1e7;
        log.add(t, side as 0 | 1);
        log.add(t + len, side as 0 | 1);
        if (len > 1e6) all.push([side, t, len]);
        t += len;
      }
      const f = log.facts();
      for (const side of [0, 1]) {
        // The K longest, longest first, then earliest; each side's own longer intervals between rounds count too.
        const mine: [number, number][] = [];
        for (let k = 0; k < SILENCE_K; k++) if (f.gaps[side * 2 * SILENCE_K + 2 * k + 1] > 0) mine.push([f.gaps[side * 2 * SILENCE_K + 2 * k], f.gaps[side * 2 * SILENCE_K + 2 * k + 1]]);
        const sorted = [...mine].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
        expect(mine).toEqual(sorted);
      }
    }
  });

  it('knows the long-lived ports', () => {
    expect([3978, 28769, 28260, 28770, 28771, 28270].map((p) => longLivedTcp(50000, p))).toEqual(Array(6).fill(true));
    expect(longLivedTcp(28769, 50000)).toBe(true);
    expect(longLivedTcp(443, 50000)).toBe(false);
  });
});

describe('SilenceRows', () => {
  it('keeps many flows apart, a row each, as one SilenceLog per flow would', () => {
    const rows = new SilenceRows();
    const logs: SilenceLog[] = [];
    const ids: number[] = [];
    // 150 flows (the store grows past its first 64 rows), packets interleaved across flows
    for (let f = 0; f < 150; f++) {
      ids.push(rows.open());
      logs.push(new SilenceLog());
    }
    expect(new Set(ids).size).toBe(150);
    let seed = 7;
    const clock = new Array<number>(150).fill(1e12);
    for (let p = 0; p < 6000; p++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const f = seed % 150;
      const side = (seed >>> 8) & 1 ? 1 : 0;
      // intervals from 0 µs to 16 s: histograms and kept silences both fill
      const t = (clock[f] += ((seed >>> 12) % 5) * 250_000 + ((seed >>> 4) % 9) * 1e6 * (f % 3));
      silenceAdd(rows.s, ids[f] * SILENCE_WORDS, t, side);
      logs[f].add(t, side);
    }
    for (let f = 0; f < 150; f++) expect(rows.facts(ids[f])).toEqual(logs[f].facts());
  });

  it('starts a reused row afresh', () => {
    const rows = new SilenceRows();
    const a = rows.open();
    silenceAdd(rows.s, a * SILENCE_WORDS, 1e12, 0);
    silenceAdd(rows.s, a * SILENCE_WORDS, 1e12 + 5e6, 0);
    expect(rows.facts(a).gaps[1]).toBe(5e6);
    rows.release(a);
    const b = rows.open();
    expect(b).toBe(a);
    expect(rows.facts(b)).toEqual(new SilenceLog().facts());
    // the first packet of the new flow is not an interval from the former flow's last one
    silenceAdd(rows.s, b * SILENCE_WORDS, 2e12, 1);
    expect(Array.from(rows.facts(b).hist).reduce((x, y) => x + y, 0)).toBe(0);
  });
});
