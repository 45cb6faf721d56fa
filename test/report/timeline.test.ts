// The timeline's arithmetic: epoch-aligned intervals (times before 1970 and odd starts
// too), the default width, the buckets of a channel, and re-bucketing to a coarser width.
import { describe, expect, it } from 'vitest';
import { isoMicros } from '../../src/report/format.js';
import { ChannelTimeline, INTERVAL_LADDER, MAX_CHANNEL_BUCKETS, INTERVAL_NAMES, bucketCount, bucketStartUs, defaultInterval, oneFlowBuckets, rebucket } from '../../src/report/timeline.js';
import { analyze } from '../../src/analyze.js';
import { renderJson, renderJsonChunks } from '../../src/report/json.js';
import { isAsWritten } from '../../src/report/json-parts.js';

const S = 1e6;
const T = 1_795_725_940 * S; // 2026-11-26T20:45:40Z

describe('bucketStartUs', () => {
  it('aligns to multiples of the width since the epoch', () => {
    expect(bucketStartUs(T + 0.745 * S, 1)).toBe(T);
    expect(bucketStartUs(T + 0.745 * S, 10)).toBe(T);
    expect(bucketStartUs(T + 19.9 * S, 10)).toBe(T + 10 * S);
    expect(bucketStartUs(T, 60)).toBe(1_795_725_900 * S);
    expect(bucketStartUs(T, 3600)).toBe(1_795_723_200 * S);
    expect(bucketStartUs(7 * S + 3, 10)).toBe(0);
    expect(bucketStartUs(10 * S, 10)).toBe(10 * S); // a start is in its own interval
    expect(bucketStartUs(10 * S - 1, 10)).toBe(0);
  });

  it('floors times before 1970', () => {
    expect(bucketStartUs(-1, 1)).toBe(-S);
    expect(bucketStartUs(-0.5 * S, 10)).toBe(-10 * S);
    expect(bucketStartUs(-10 * S, 10)).toBe(-10 * S);
    expect(bucketStartUs(-10 * S - 1, 10)).toBe(-20 * S);
    expect(isoMicros(bucketStartUs(-61 * S, 60))).toBe('1969-12-31T23:58:00.000000Z');
  });
});

describe('defaultInterval', () => {
  it('is the smallest width giving at most 120 intervals', () => {
    expect(INTERVAL_LADDER).toEqual([1, 10, 60, 600, 3600]);
    expect(Object.values(INTERVAL_NAMES)).toEqual([...INTERVAL_LADDER]);
    expect(defaultInterval(T, T)).toBe(1);
    expect(defaultInterval(T + 0.5 * S, T + 119.9 * S)).toBe(1); // intervals 40 … 159: 120 of them
    expect(bucketCount(T + 0.5 * S, T + 120 * S, 1)).toBe(121);
    expect(defaultInterval(T + 0.5 * S, T + 120 * S)).toBe(10);
    expect(defaultInterval(T, T + 1199 * S)).toBe(10);
    expect(defaultInterval(T, T + 1200 * S)).toBe(60); // 20:45:40 → 21:05:40 is 121 ten-second intervals
    expect(defaultInterval(T, T + 3 * 3600 * S)).toBe(600);
    expect(defaultInterval(T, T + 50 * 3600 * S)).toBe(3600);
    expect(defaultInterval(T, T + 500 * 3600 * S)).toBe(3600); // beyond 120 h: still 1 h
    expect(defaultInterval(NaN, NaN)).toBe(1);
    // an odd start: 2 s of capture across a 10 s boundary is still 3 one-second intervals
    expect(bucketCount(T + 9.9 * S, T + 11.1 * S, 1)).toBe(3);
    expect(bucketCount(T + 9.9 * S, T + 11.1 * S, 10)).toBe(2);
  });
});

/** A channel of four flows: a long one, two short ones, a failed one, one with a warning. */
function channel(): ChannelTimeline {
  const c = new ChannelTimeline();
  c.add(T + 2 * S, T + 95 * S, 'ok'); // open 20:45:42 → 20:47:15
  c.add(T + 3 * S, T + 4 * S, 'failed');
  c.add(T + 15 * S, T + 15.5 * S, 'warning');
  c.add(T + 80 * S, T + 125 * S, 'ok');
  return c;
}

describe('ChannelTimeline', () => {
  it('counts flows open, started, failed and warned per 10 s', () => {
    const at = (s: number) => isoMicros(T + s * S);
    expect(channel().buckets(10).buckets).toEqual([
      { start: at(0), flows: 2, started: 2, failed: 1, warnings: 0 },
      { start: at(10), flows: 2, started: 1, failed: 0, warnings: 1 },
      { start: at(20), flows: 1, started: 0, failed: 0, warnings: 0 },
      { start: at(30), flows: 1, started: 0, failed: 0, warnings: 0 },
      { start: at(40), flows: 1, started: 0, failed: 0, warnings: 0 },
      { start: at(50), flows: 1, started: 0, failed: 0, warnings: 0 },
      { start: at(60), flows: 1, started: 0, failed: 0, warnings: 0 },
      { start: at(70), flows: 1, started: 0, failed: 0, warnings: 0 },
      { start: at(80), flows: 2, started: 1, failed: 0, warnings: 0 },
      { start: at(90), flows: 2, started: 0, failed: 0, warnings: 0 },
      { start: at(100), flows: 1, started: 0, failed: 0, warnings: 0 },
      { start: at(110), flows: 1, started: 0, failed: 0, warnings: 0 },
      { start: at(120), flows: 1, started: 0, failed: 0, warnings: 0 },
    ]);
  });

  it('leaves out intervals with nothing in them', () => {
    const c = new ChannelTimeline();
    c.add(T, T + 1, 'ok');
    c.add(T + 3600 * S, T + 3600 * S, 'failed');
    expect(c.buckets(1).buckets).toEqual([
      { start: isoMicros(T), flows: 1, started: 1, failed: 0, warnings: 0 },
      { start: isoMicros(T + 3600 * S), flows: 1, started: 1, failed: 1, warnings: 0 },
    ]);
  });

  it('merges gaps of a channel and keeps them in time order', () => {
    const c = new ChannelTimeline();
    c.addGaps([{ startUs: T + 10 * S, endUs: T + 20 * S }]);
    c.addGaps([{ startUs: T + 15 * S, endUs: T + 25 * S }, { startUs: T, endUs: T + 2 * S }]);
    expect(c.gapList()).toEqual([
      { start: isoMicros(T), end: isoMicros(T + 2 * S), seconds: 2 },
      { start: isoMicros(T + 10 * S), end: isoMicros(T + 25 * S), seconds: 15 },
    ]);
  });
});

describe('rebucket', () => {
  it('turns 10 s buckets into the 1 min buckets counted directly', () => {
    const c = channel();
    const ten = c.buckets(10).buckets;
    const minute = c.buckets(60).buckets;
    expect(rebucket(ten, 10, 60)).toEqual(minute);
    // started, failed and warnings add up; flows open do not (the long flow is in 6 of the 10 s buckets)
    expect(minute).toEqual([
      { start: isoMicros(1_795_725_900 * S), flows: 3, started: 3, failed: 1, warnings: 1 },
      { start: isoMicros(1_795_725_960 * S), flows: 1, started: 0, failed: 0, warnings: 0 },
      { start: isoMicros(1_795_726_020 * S), flows: 2, started: 1, failed: 0, warnings: 0 },
    ]);
    expect(ten.slice(0, 2).reduce((a, b) => a + b.flows, 0)).toBe(4);
  });

  it('matches direct counting for every pair of ladder widths', () => {
    const c = channel();
    c.add(T - 3599 * S, T - 1, 'warning');
    c.add(T + 5000 * S, T + 5060 * S, 'failed'); // within MAX_CHANNEL_BUCKETS seconds: nothing clipped at 1 s
    for (const [i, from] of INTERVAL_LADDER.entries())
      for (const to of INTERVAL_LADDER.slice(i)) expect(rebucket(c.buckets(from).buckets, from, to), `${from} → ${to}`).toEqual(c.buckets(to).buckets);
  });

  it('refuses a width that is not a multiple', () => {
    expect(() => rebucket([], 60, 10)).toThrow(RangeError);
    expect(() => rebucket([], 60, 90)).toThrow(RangeError);
  });

  it('lists at most MAX_CHANNEL_BUCKETS intervals, the latest, and counts the earlier ones (a capture spanning decades)', () => {
    const c = new ChannelTimeline();
    const t0 = 1_700_000_000e6;
    // one flow open for 40 years, and one failed flow at its end
    c.add(t0, t0 + 40 * 365 * 86400e6, 'ok');
    c.add(t0 + 40 * 365 * 86400e6, t0 + 40 * 365 * 86400e6, 'failed');
    const started = performance.now();
    const { buckets, clipped } = c.buckets(3600);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(buckets.length).toBe(MAX_CHANNEL_BUCKETS);
    expect(clipped).toBe(40 * 365 * 24 + 1 - MAX_CHANNEL_BUCKETS);
    expect(buckets.at(-1)).toMatchObject({ flows: 2, started: 1, failed: 1 });
    expect(buckets[0].flows).toBe(1);
  });
});

describe('oneFlowBuckets', () => {
  it('is what a ChannelTimeline of that one flow gives, clipped or not', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const base = 1_700_000_000e6;
    for (let t = 0; t < 3000; t++) {
      const first = base + Math.floor(rnd() * 7200e6);
      const last = first + Math.floor(rnd() < 0.5 ? rnd() * 3e6 : rnd() * 4000e6);
      const verdict = (['ok', 'warning', 'failed'] as const)[Math.floor(rnd() * 3)];
      const width = INTERVAL_LADDER[Math.floor(rnd() * INTERVAL_LADDER.length)];
      const max = [0, 1, 2, 3, 50, MAX_CHANNEL_BUCKETS][Math.floor(rnd() * 6)];
      const ct = new ChannelTimeline();
      ct.add(first, last, verdict);
      expect(oneFlowBuckets(first, last, verdict, width, max)).toEqual(ct.buckets(width, max));
    }
    expect(oneFlowBuckets(base + 500_000, base + 2_400_000, 'failed', 1)).toEqual({
      buckets: [
        { start: '2023-11-14T22:13:20.000000Z', flows: 1, started: 1, failed: 0, warnings: 0 },
        { start: '2023-11-14T22:13:21.000000Z', flows: 1, started: 0, failed: 0, warnings: 0 },
        { start: '2023-11-14T22:13:22.000000Z', flows: 1, started: 0, failed: 1, warnings: 0 },
      ],
      clipped: 0,
    });
  });
});

describe('timelineChannel', () => {
  // A run's channels are marked as in the JSON's key order and written without a copy
  // (json.ts): held to what the copy writes, so a key moved in timelineChannel's, a bucket's
  // or a gap's literal, or one left out, fails.
  it('writes the channels of a run as the rebuild in order writes them', async () => {
    let marked = 0;
    let withGaps = 0;
    for (const f of ['pan-lab/a01_management.pcap', 'pan-lab/a02_ha.pcap', 'pan-lab/a06_failures.pcap', 'ha-outage/h01_ha_outage.pcap']) {
      const s = await analyze([new URL(`../../fixtures/${f}`, import.meta.url).pathname], { workers: 0 });
      const channels = s.timeline.channels;
      marked += channels.filter(isAsWritten).length;
      withGaps += channels.filter((c) => isAsWritten(c) && c.gaps.length > 0).length;
      // Copies are not marked: json.ts rebuilds them (and their buckets and gaps) key by key.
      const copied = { ...s, timeline: { ...s.timeline, channels: channels.map((c) => ({ ...c })) } };
      expect(copied.timeline.channels.some(isAsWritten)).toBe(false);
      // The CLI's writer takes the shortcut; renderJson (a caller's summary) never does.
      const cli = Buffer.concat([...renderJsonChunks(s)].map((c) => Buffer.from(c))).toString('utf8');
      expect(cli, f).toBe(renderJson(copied));
      expect(renderJson(s), f).toBe(renderJson(copied));
      // And every key there, none dropped as undefined.
      const doc = JSON.parse(renderJson(s)) as { timeline: { channels: { buckets: object[]; gaps: object[] }[] } };
      for (const c of doc.timeline.channels) {
        expect(Object.keys(c)).toEqual(['entry', 'client', 'server', 'buckets', 'gaps', 'clipped']);
        for (const b of c.buckets) expect(Object.keys(b)).toEqual(['start', 'flows', 'started', 'failed', 'warnings']);
        for (const g of c.gaps) expect(Object.keys(g)).toEqual(['start', 'end', 'seconds']);
      }
    }
    expect(marked).toBeGreaterThanOrEqual(30);
    expect(withGaps).toBeGreaterThanOrEqual(1);
  });
});
