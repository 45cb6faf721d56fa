// The running summary: folding flows in pieces, in any order, gives the summary that one
// pass over all of them gives (which is what file analysis does), and a clone is independent.
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeCaptures } from '../../src/analyze.js';
import type { Role } from '../../src/catalog/schema.js';
import type { RoleBook } from '../../src/classify/classify.js';
import { BestOf, channelKey, SummaryAccumulator, type AccumulateOptions } from '../../src/report/accumulate.js';
import { sortHealth } from '../../src/report/health.js';
import { cmp } from '../../src/report/format.js';
import { REPO } from '../helpers/shared.js';
import { mulberry32 } from '../helpers/random.js';

const lab = resolve(REPO, 'fixtures/pan-lab');
const files = readdirSync(lab)
  .filter((f) => f.endsWith('.pcap'))
  .sort()
  .map((f) => resolve(lab, f));

describe('SummaryAccumulator', () => {
  it('pieces in any order give the one-pass summary (listing limits, top pairs)', async () => {
    const optsList: AccumulateOptions[] = [
      { allFlows: false, maxListed: 10_000, topPairs: 5 },
      { allFlows: false, maxListed: 0, topPairs: 1 },
      { allFlows: false, maxListed: 3, topPairs: 2 },
      { allFlows: true, maxListed: 1, topPairs: 5 },
    ];
    for (const opts of optsList) {
      const a = await analyzeCaptures(files, { workers: 0, ...opts, topPairs: opts.topPairs });
      expect(a.flows.length).toBeGreaterThan(100);
      const input = a.summary.input;
      const roles: RoleBook = { roles: new Map(a.summary.roles.map((r) => [r.address, { roles: new Set(r.roles as Role[]), source: r.source, evidence: [...r.evidence], possible: new Set(r.possible as Role[]) }])) };
      const one = new SummaryAccumulator(a.catalog, opts);
      one.addFlows(a.flows);
      expect(one.summary(input, roles)).toEqual(a.summary);
      const rand = mulberry32(opts.maxListed + 17);
      for (const chunk of [1, 3, 7, 50]) {
        const shuffled = [...a.flows];
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = Math.floor(rand() * (i + 1));
          [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
        }
        const acc = new SummaryAccumulator(a.catalog, opts);
        for (let i = 0; i < shuffled.length; i += chunk) acc.addFlows(shuffled.slice(i, i + chunk));
        expect(acc.flowCount).toBe(a.flows.length);
        expect(acc.summary(input, roles)).toEqual(a.summary);
      }
    }
  });
});

describe('SummaryAccumulator.mayList', () => {
  it('never refuses a flow that ends up listed, whatever --max-listed, the order and the chunks flows are folded in', async () => {
    const optsList: AccumulateOptions[] = [
      { allFlows: false, maxListed: 10_000, topPairs: 5 },
      { allFlows: false, maxListed: 20, topPairs: 5 },
      { allFlows: false, maxListed: 3, topPairs: 5 },
      { allFlows: false, maxListed: 1, topPairs: 5 },
      { allFlows: false, maxListed: 0, topPairs: 5 },
      { allFlows: true, maxListed: 1, topPairs: 5 },
    ];
    for (const opts of optsList) {
      const a = await analyzeCaptures(files, { workers: 0, ...opts });
      const input = a.summary.input;
      const roles: RoleBook = { roles: new Map(a.summary.roles.map((r) => [r.address, { roles: new Set(r.roles as Role[]), source: r.source, evidence: [...r.evidence], possible: new Set(r.possible as Role[]) }])) };
      const rand = mulberry32(opts.maxListed + 29);
      for (const shuffle of [false, true]) {
        const flows = [...a.flows];
        if (shuffle) {
          for (let i = flows.length - 1; i > 0; i--) {
            const j = Math.floor(rand() * (i + 1));
            [flows[i], flows[j]] = [flows[j], flows[i]];
          }
        }
        for (const chunk of [1, 7, 50, 1024]) {
          const acc = new SummaryAccumulator(a.catalog, opts);
          // Selected by the listing rule and refused all the same (the listed flows were larger).
          let barred = 0;
          for (let i = 0; i < flows.length; i += chunk) {
            // As classification asks: each flow of a chunk once judged, before the chunk is folded in.
            const part = flows.slice(i, i + chunk).map((f) => {
              if (acc.mayList(f)) return f;
              if (f.section === 'unexpected' || f.verdict !== 'ok') barred++;
              return { ...f, communityId: null, tcp: null };
            });
            acc.addFlows(part);
          }
          expect(acc.summary(input, roles)).toEqual(a.summary);
          if (!opts.allFlows && opts.maxListed <= 3 && chunk < 50) expect(barred).toBeGreaterThan(0);
        }
      }
    }
  });
});

describe('channelKey', () => {
  it('is a small integer below 2^15 address numbers and distinct for every pair either side of it', () => {
    expect(channelKey(1, 2)).toBe(32770);
    expect(channelKey(32767, 32767)).toBe(2 ** 30 - 1);
    expect(channelKey(32768, 0)).toBe(2 ** 30 + 32768 * 2 ** 26);
    expect(channelKey(0, 32768)).toBe(2 ** 30 + 32768);
    const seen = new Set<number>();
    const ids = [0, 1, 2, 32766, 32767, 32768, 32769, 65536, 2 ** 20, 2 ** 26 - 1];
    for (const c of ids) for (const s of ids) seen.add(channelKey(c, s));
    expect(seen.size).toBe(ids.length * ids.length);
  });
});

describe('BestOf', () => {
  it('keeps the max best items of a total order, whatever the order they come in', () => {
    const rand = mulberry32(7);
    const order = (a: number, b: number) => a - b;
    for (const max of [0, 1, 2, 5, 100, 1000]) {
      for (const n of [0, 1, max - 1, max, max + 1, 3 * max + 7, 2000]) {
        if (n < 0) continue;
        // Distinct values (a total order), in random order, rising and falling.
        const values = Array.from({ length: n }, (_, i) => i * 3 + 1);
        const shuffled = values.map((v) => [rand(), v]).sort((a, b) => a[0] - b[0]).map((x) => x[1]);
        for (const input of [shuffled, values, [...values].reverse()]) {
          const best = new BestOf<number>(max, order);
          for (const v of input) best.add(v);
          expect(best.sorted()).toEqual(values.slice(0, max));
        }
      }
    }
  });

  it('mayKeep: false only for items it will not keep, and false for most once the kept items are a heap', () => {
    const rand = mulberry32(11);
    const order = (a: number, b: number) => a - b;
    for (const max of [0, 1, 5, 100]) {
      const values = Array.from({ length: 20 * max + 50 }, (_, i) => i);
      const input = values.map((v) => [rand(), v]).sort((a, b) => a[0] - b[0]).map((x) => x[1]);
      const best = new BestOf<number>(max, order);
      const refused: number[] = [];
      for (const v of input) {
        if (!best.mayKeep(v)) refused.push(v);
        best.add(v);
      }
      const kept = new Set(best.sorted());
      expect(kept.size).toBe(max);
      expect(refused.filter((v) => kept.has(v))).toEqual([]);
      // All of them with max 0; past the first max + 1 items, most (the bar rises fast on random input).
      if (max === 0) expect(refused).toHaveLength(input.length);
      else expect(refused.length).toBeGreaterThan(input.length / 2);
    }
  });
});

describe('SummaryAccumulator health list and timeline with every channel kept', () => {
  it('are in the health order and the timeline order, as the capped path and a view of unfolded flows give them', async () => {
    const opts: AccumulateOptions = { allFlows: false, maxListed: 10_000, topPairs: 5 };
    const a = await analyzeCaptures(files, { workers: 0, ...opts });
    const roles: RoleBook = { roles: new Map() };
    const acc = new SummaryAccumulator(a.catalog, opts);
    acc.addFlows(a.flows);
    const s = acc.summary(a.summary.input, roles);
    const n = s.health.length;
    expect(n).toBeGreaterThan(20);
    expect(new Set(s.health.map((h) => h.status)).size).toBeGreaterThan(1);
    const entryRank = new Map(a.catalog.entries.map((e, i) => [e.id, i]));
    expect(s.health).toEqual(sortHealth([...s.health], entryRank));
    const ends = (x: { entry: string; client: string; server: string }) => [x.entry, x.client, x.server] as const;
    const timelineOrder = [...s.health].sort((x, y) => entryRank.get(x.entry)! - entryRank.get(y.entry)! || cmp(x.client, y.client) || cmp(x.server, y.server));
    expect(s.timeline.channels.map(ends)).toEqual(timelineOrder.map(ends));
    // The same channels, all new to an empty accumulator (healthView's path through BestOf).
    expect(new SummaryAccumulator(a.catalog, opts).healthView(a.flows).health).toEqual(s.health);
    // Capped one below: the first n - 1 lines, through BestOf.
    const capped = new SummaryAccumulator(a.catalog, { ...opts, maxChannels: n - 1 });
    capped.addFlows(a.flows);
    const c = capped.summary(a.summary.input, roles);
    expect(c.health).toEqual(s.health.slice(0, n - 1));
    expect(c.timeline.channels.map(ends)).toEqual(timelineOrder.filter((x) => x !== s.health[n - 1]).map(ends));
  });
});

describe('SummaryAccumulator HA cadence', () => {
  it('joins the heartbeat flows of one channel (entry, client, server) and keeps channels apart', async () => {
    const opts: AccumulateOptions = { allFlows: false, maxListed: 10_000, topPairs: 5 };
    const a = await analyzeCaptures(files, { workers: 0, ...opts });
    const roles: RoleBook = { roles: new Map() };
    const one = a.summary.ha.heartbeats;
    expect(one.length).toBeGreaterThan(3);
    const twice = new SummaryAccumulator(a.catalog, opts);
    twice.addFlows(a.flows);
    twice.addFlows(a.flows);
    const got = twice.summary(a.summary.input, roles).ha.heartbeats;
    expect(got.map((h) => [h.entry, h.peers, h.flows, h.heartbeats])).toEqual(one.map((h) => [h.entry, h.peers, 2 * h.flows, 2 * h.heartbeats]));
    // Each time twice over: the same median interval; the joined series' intervals of 0 make no gaps.
    expect(got.map((h) => h.intervalMs === null)).toEqual(one.map((h) => h.intervalMs === null));
  });
});
