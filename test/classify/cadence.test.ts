// HA cadence statistics: median / nearest-rank p99 with few samples, gaps longer than three
// median intervals (merged across the peers' series), echo matching by identifier and sequence.
import { describe, expect, it } from 'vitest';
import { cadence, flowHeartbeat, gapDetail, intervalStats, nearestRank } from '../../src/classify/cadence.js';
import { BEAT_PLAIN, BEAT_REPLY, BEAT_REQUEST, type BeatFacts } from '../../src/flow/heartbeats.js';

const S = 1e6; // one second in µs

function beats(list: [number, number, number, number][]): BeatFacts {
  // [time µs, side, kind, echo]
  return {
    times: Float64Array.from(list.map((b) => b[0])),
    flags: Uint8Array.from(list.map((b) => b[1] | (b[2] << 1))),
    echo: Uint32Array.from(list.map((b) => b[3])),
    dropped: 0,
  };
}

describe('intervalStats', () => {
  it('is null without intervals', () => {
    expect(intervalStats([])).toBeNull();
  });
  it('takes the one interval for everything', () => {
    expect(intervalStats([1000])).toEqual({ median: 1000, p99: 1000, max: 1000 });
  });
  it('averages the two middle values of an even count; p99 is the nearest rank (the max below 100 samples)', () => {
    expect(intervalStats([1000, 1200])).toEqual({ median: 1100, p99: 1200, max: 1200 });
    expect(intervalStats([900, 6000, 1000, 1100])).toEqual({ median: 1050, p99: 6000, max: 6000 });
    expect(intervalStats([3, 1, 2])).toEqual({ median: 2, p99: 3, max: 3 });
  });
  it('p99 of 200 samples is the 198th smallest', () => {
    const v = Array.from({ length: 200 }, (_, i) => i + 1);
    expect(nearestRank(v, 0.99)).toBe(198);
    expect(intervalStats(v)).toEqual({ median: 100.5, p99: 198, max: 200 });
  });
  it('selects what a sort would give, duplicates and unordered input included', () => {
    let seed = 1;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let t = 0; t < 2000; t++) {
      const n = 1 + Math.floor(rnd() * (t < 1000 ? 10 : 400));
      const dup = rnd() < 0.5;
      const a = Array.from({ length: n }, () => (dup ? Math.floor(rnd() * 4) * 250 : rnd() * 2000 - (rnd() < 0.1 ? 500 : 0)));
      const s = Float64Array.from(a).sort();
      const median = n % 2 === 1 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
      const expected = { median, p99: s[Math.max(0, Math.ceil(0.99 * n) - 1)], max: s[n - 1] };
      expect(intervalStats(a)).toEqual(expected);
      expect(intervalStats(Float64Array.from(a))).toEqual(expected);
    }
  });
});

describe('cadence', () => {
  it('finds a silence longer than three median intervals, from the last heartbeat before to the first after', () => {
    const t = [0, 1, 2, 3, 9, 10, 11].map((x) => x * S);
    const c = cadence([t]);
    expect(c.intervalMs).toEqual({ median: 1000, p99: 6000, max: 6000 });
    expect(c.gaps).toEqual([{ startUs: 3 * S, endUs: 9 * S, missed: 5 }]);
  });
  it('does not count a silence of exactly three intervals', () => {
    expect(cadence([[0, 1, 2, 5, 6].map((x) => x * S)]).gaps).toEqual([]);
  });
  it('never counts a silence of a second or less (a pause in a burst of sync traffic)', () => {
    const t = [0, 0.01, 0.02, 0.03, 1.03, 1.04, 2.1, 2.11].map((x) => x * S);
    expect(cadence([t]).gaps).toEqual([{ startUs: 1.04 * S, endUs: 2.1 * S, missed: 105 }]);
  });
  it('merges the overlapping silences of two peers into one gap', () => {
    const a = [0, 1, 2, 3, 10, 11].map((x) => x * S);
    const b = [0.5, 1.5, 2.5, 9.5, 10.5, 11.5].map((x) => x * S);
    expect(cadence([a, b]).gaps).toEqual([{ startUs: 2.5 * S, endUs: 10 * S, missed: 7 }]);
  });
  it('has no gaps and no statistics with a single heartbeat', () => {
    expect(cadence([[5 * S]])).toEqual({ intervalMs: null, gaps: [] });
  });
  // the rare paths (gaps: heartbeatGaps, beat7): several, across series, out of order, empty
  it('gives several gaps of one series in time order, each with its missed beats', () => {
    const t = [0, 1, 2, 3, 8, 9, 10, 11, 12, 20, 21, 22, 23, 24, 25].map((x) => x * S);
    expect(cadence([Float64Array.from(t)]).gaps).toEqual([
      { startUs: 3 * S, endUs: 8 * S, missed: 4 },
      { startUs: 12 * S, endUs: 20 * S, missed: 7 },
    ]);
  });
  it('sorts the gaps of several series by start, merges those that touch, with the least median', () => {
    // a: every 1 s, silent 3-8 and 30-40; b: every 2 s, silent 8-20 (touches a's first) and 50-70
    const a = [0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 40, 41];
    const b = [0, 2, 4, 6, 8, 20, 22, 24, 26, 28, 30, 32, 34, 36, 38, 40, 42, 44, 46, 48, 50, 70, 72];
    const c = cadence([b.map((x) => x * S), [], a.map((x) => x * S)]);
    expect(c.gaps).toEqual([
      { startUs: 3 * S, endUs: 20 * S, missed: 16 }, // merged: 17 s at a's 1 s
      { startUs: 30 * S, endUs: 40 * S, missed: 9 },
      { startUs: 50 * S, endUs: 70 * S, missed: 9 }, // b's own 2 s
    ]);
  });
  it('counts only forward jumps of a series out of time order, and empty series count for nothing', () => {
    const t = [0, 1, 2, 3, 2.5, 10, 11, 12, 11.5, 12.5, 30].map((x) => x * S);
    const c = cadence([[], t, []]);
    expect(c.gaps).toEqual([
      { startUs: 2.5 * S, endUs: 10 * S, missed: 7 },
      { startUs: 12.5 * S, endUs: 30 * S, missed: 17 },
    ]);
    expect(cadence([[], []])).toEqual({ intervalMs: null, gaps: [] });
    expect(cadence([])).toEqual({ intervalMs: null, gaps: [] });
  });
});

describe('flowHeartbeat', () => {
  it('measures an echo heartbeat between answered requests and counts the unanswered ones', () => {
    const list: [number, number, number, number][] = [];
    for (let seq = 1; seq <= 10; seq++) {
      const t = seq * S;
      list.push([t, 0, BEAT_REQUEST, (7 << 16) | seq]);
      // requests 4-6 get no reply (the outage)
      if (seq < 4 || seq > 6) list.push([t + 300, 1, BEAT_REPLY, (7 << 16) | seq]);
    }
    // a reply that answers no request of the flow does not count
    list.push([10.5 * S, 1, BEAT_REPLY, (9 << 16) | 1]);
    const h = flowHeartbeat('icmp', 'ha.heartbeat-icmp.1', beats(list), 0);
    expect(h.unanswered).toBe(3);
    expect(Array.from(h.series[0])).toEqual([1, 2, 3, 7, 8, 9, 10].map((s) => s * S + 300));
    expect(h.gaps).toEqual([{ startUs: 3 * S + 300, endUs: 7 * S + 300, missed: 3 }]);
    expect(gapDetail(h)).toBe('heartbeat silent for 4.0 s (about 3 missed at a 1.00 s median interval)');
  });
  it('keeps a series per peer for other transports, the client first', () => {
    const h = flowHeartbeat('tcp', 'ha.ha1-clear.28769', beats([[1 * S, 1, BEAT_PLAIN, 0], [1.1 * S, 0, BEAT_PLAIN, 0], [2 * S, 1, BEAT_PLAIN, 0], [2.1 * S, 0, BEAT_PLAIN, 0]]), 1);
    expect(h.series.map((s) => Array.from(s))).toEqual([[1 * S, 2 * S], [1.1 * S, 2.1 * S]]);
    expect(h.unanswered).toBe(0);
    expect(h.intervalMs).toEqual({ median: 1000, p99: 1000, max: 1000 });
  });
  it('says whether every series is in time order (a late packet of either peer is not)', () => {
    const inOrder = flowHeartbeat('udp', 'ha.ha2-udp.29281', beats([[1 * S, 0, BEAT_PLAIN, 0], [1.5 * S, 1, BEAT_PLAIN, 0], [2 * S, 0, BEAT_PLAIN, 0], [2.5 * S, 1, BEAT_PLAIN, 0]]), 0);
    expect(inOrder.ordered).toBe(true);
    const late = flowHeartbeat('udp', 'ha.ha2-udp.29281', beats([[1 * S, 0, BEAT_PLAIN, 0], [2.5 * S, 1, BEAT_PLAIN, 0], [2 * S, 0, BEAT_PLAIN, 0], [1.5 * S, 1, BEAT_PLAIN, 0]]), 0);
    expect(late.ordered).toBe(false);
    expect(late.series.map((s) => Array.from(s))).toEqual([[1 * S, 2 * S], [2.5 * S, 1.5 * S]]);
  });
  it('gives the cadence of its series, whatever the sides, order and sizes (one pass over the log against cadence())', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    for (let round = 0; round < 300; round++) {
      const n = Math.floor(rnd() * (round < 50 ? 6 : 400));
      const list: [number, number, number, number][] = [];
      let t = 1_790_000_000 * S;
      for (let k = 0; k < n; k++) {
        // Mostly 1 s apart, some long silences, some packets out of order, some equal times.
        t += rnd() < 0.05 ? 5 * S * rnd() : rnd() < 0.05 ? -0.3 * S : rnd() < 0.05 ? 0 : S * (0.9 + 0.2 * rnd());
        const side = round % 7 === 0 ? 0 : rnd() < 0.5 ? 0 : 1;
        list.push([t, side, BEAT_PLAIN, 0]);
      }
      const client = (round & 1) as 0 | 1;
      const h = flowHeartbeat('udp', 'ha.ha2-udp.29281', beats(list), client);
      const mine = list.filter((b) => b[1] === client).map((b) => b[0]);
      const peer = list.filter((b) => b[1] !== client).map((b) => b[0]);
      expect(h.series.map((x) => Array.from(x))).toEqual([mine, peer]);
      const want = cadence([mine, peer]);
      expect(h.intervalMs).toEqual(want.intervalMs);
      expect(h.gaps).toEqual(want.gaps);
      const inOrder = (x: number[]) => x.every((v, i) => i === 0 || x[i - 1] <= v);
      expect(h.ordered).toBe(inOrder(mine) && inOrder(peer));
    }
  });
  it('takes each series against its own median and the pooled statistics over all (3 series)', () => {
    const a = [0, 1, 2, 3, 4, 5, 6, 7].map((x) => x * S);
    const b = [0, 0.1, 0.2, 0.3, 2.3, 2.4].map((x) => x * S);
    const c = [0.05, 1.05, 9.05].map((x) => x * S);
    const got = cadence([a, b, c]);
    expect(got.intervalMs).toEqual({ median: 1000, p99: 8000, max: 8000 });
    // b's median is 100 ms: its 2 s silence is a gap; c's is 4.5 s, so its 8 s is not; a's none.
    expect(got.gaps).toEqual([{ startUs: 0.3 * S, endUs: 2.3 * S, missed: 19 }]);
  });
});
