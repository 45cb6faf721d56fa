// `pantap merge` in-process (report/merge.ts): the pan-lab summaries merged in every order
// and grouping give the same bytes; merged equals analysed at once for disjoint flows;
// lower bounds are marked where an input was cut; the overflow sketch merges by maximum;
// other schemas and summaries cut short are refused.
import { resolve } from 'node:path';
import protobuf from 'protobufjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyze, type AnalyzeOptions } from '../../src/analyze.js';
import { loadCatalog } from '../../src/catalog/load.js';
import { renderJson } from '../../src/report/json.js';
import { mergeSummaries, type MergeOptions } from '../../src/report/merge.js';
import type { Summary } from '../../src/report/model.js';
import { encodeSummary, summaryFromProtobuf } from '../../src/report/protobuf.js';
import { renderText } from '../../src/report/text.js';
import { HAVE_SHARED, REPO, SHARED, SKIP_REASON } from '../helpers/shared.js';
import { differences } from '../helpers/json-diff.js';

const LAB = resolve(REPO, 'fixtures/pan-lab');
const ROLES = resolve(LAB, 'lab-roles.yaml');
const NAMES = ['a01_management', 'a02_ha', 'a03_panorama', 'a04_userid', 'a05_unexpected', 'a06_failures', 'a07_mixed'];
const OPTS: MergeOptions = { topPairs: 5, maxListed: 10_000, entryOrder: loadCatalog().entries.map((e) => e.id) };

/** Analysed, written as protobuf and read back: what `pantap merge` gets. */
async function pb(files: string[], o: AnalyzeOptions = {}): Promise<Summary> {
  return summaryFromProtobuf(encodeSummary(await analyze(files, { workers: 0, rolesFile: ROLES, ...o })));
}

/** Both renderings that must be byte-identical: JSON and protobuf (text too, no colors). */
function bytes(s: Summary): string {
  return `${renderJson(s)}\n${Buffer.from(encodeSummary(s)).toString('base64')}\n${renderText(s, { color: false })}`;
}

/** A merge as `pantap merge` does it: through protobuf. */
const merge = (xs: Summary[], o: Partial<MergeOptions> = {}): Summary => summaryFromProtobuf(encodeSummary(mergeSummaries(xs, { ...OPTS, ...o })));

/** Top-level field number → offset of its first tag. */
function fieldStarts(buf: Uint8Array): Map<number, number> {
  const r = protobuf.Reader.create(buf);
  const out = new Map<number, number>();
  while (r.pos < r.len) {
    const at = r.pos;
    const tag = r.uint32();
    if (!out.has(tag >>> 3)) out.set(tag >>> 3, at);
    r.skipType(tag & 7);
  }
  return out;
}

function permutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}

/** Every binary grouping of a sequence: ((a+b)+c), (a+(b+c)), ... */
function groupings(xs: Summary[]): Summary[] {
  if (xs.length === 1) return xs;
  const out: Summary[] = [];
  for (let i = 1; i < xs.length; i++) for (const l of groupings(xs.slice(0, i))) for (const r of groupings(xs.slice(i))) out.push(merge([l, r]));
  return out;
}

describe('merge: pan-lab summaries', () => {
  const s: Record<string, Summary> = {};
  beforeAll(async () => {
    for (const n of NAMES) s[n] = await pb([resolve(LAB, `${n}.pcap`)]);
  }, 60_000);

  it('one summary merged alone is itself, plus `merge` (every pan-lab capture)', () => {
    for (const n of NAMES) {
      const alone = JSON.parse(renderJson(merge([s[n]])));
      expect(differences(alone, JSON.parse(renderJson(s[n]))), n).toEqual(['.merge']);
      expect(alone.merge).toEqual({ summaries: 1, lowerBound: [] });
    }
  });

  it('every ordering of four summaries (24) gives the same bytes, HA cadence side by side included', () => {
    const four = [s.a01_management, s.a02_ha, s.a06_failures, s.a07_mixed];
    const want = bytes(merge(four));
    for (const p of permutations(four)) expect(bytes(merge(p))).toBe(want);
    const m = merge(four);
    expect(m.merge).toEqual({ summaries: 4, lowerBound: [] });
    // HA2 over Ethernet is in a02 and a07: its cadence is not merged but kept per input.
    const ether = m.ha.heartbeats.find((h) => h.entry === 'ha.ha2-ether.7261')!;
    const single = (x: Summary) => x.ha.heartbeats.find((h) => h.entry === 'ha.ha2-ether.7261')!;
    expect([ether.flows, ether.intervalMs, ether.gaps]).toEqual([2, null, []]);
    expect(ether.parts!.map((p) => p.intervalMs!.median).sort()).toEqual([single(s.a02_ha).intervalMs!.median, single(s.a07_mixed).intervalMs!.median].sort());
    expect(ether.heartbeats).toBe(single(s.a02_ha).heartbeats + single(s.a07_mixed).heartbeats);
  });

  it('every grouping of five summaries, in two orders, gives the same bytes', () => {
    const five = [s.a01_management, s.a02_ha, s.a03_panorama, s.a05_unexpected, s.a07_mixed];
    const want = bytes(merge(five));
    for (const order of [five, [...five].reverse()]) {
      const all = groupings(order);
      expect(all).toHaveLength(14); // Catalan(4)
      for (const g of all) expect(bytes(g)).toBe(want);
    }
  });

  it('all seven, in a shuffled order and nested groups, equals all seven merged in one call', () => {
    const seven = NAMES.map((n) => s[n]);
    const want = bytes(merge(seven));
    const [a1, a2, a3, a4, a5, a6, a7] = seven;
    expect(bytes(merge([merge([a7, a3]), merge([a1, merge([a6, a2]), a4]), a5]))).toBe(want);
    expect(merge(seven).merge!.summaries).toBe(7);
  });

  it('merged equals analysed at once for captures with disjoint flows (a01..a06, roles from the inventory)', async () => {
    const six = NAMES.slice(0, 6);
    const once = JSON.parse(renderJson(await analyze(six.map((n) => resolve(LAB, `${n}.pcap`)), { workers: 0, rolesFile: ROLES })));
    const merged = JSON.parse(renderJson(merge(six.map((n) => s[n]))));
    // What legitimately differs: ARP frames between the same two hosts are one flow over
    // the whole run but one per capture when merged (flows are not joined across summaries),
    // and a merged summary says it is one.
    expect(differences(merged, once).sort()).toEqual(['.input.flowTable.flows', '.merge', '.nonIp.0.flows']);
    expect([merged.input.flowTable.flows, once.input.flowTable.flows, merged.nonIp[0].flows, once.nonIp[0].flows]).toEqual([105, 95, 41, 31]);
    expect(merged.merge).toEqual({ summaries: 6, lowerBound: [] });
  });

  it('pairs and failures cut by --top in the inputs are exact after merging (the merge state has every channel)', async () => {
    const files = ['a01_management', 'a03_panorama', 'a06_failures'].map((n) => resolve(LAB, `${n}.pcap`));
    const top1 = await Promise.all(files.map((f) => pb([f], { topPairs: 1 })));
    const once = await analyze(files, { workers: 0, rolesFile: ROLES, topPairs: 5 });
    const merged = merge(top1, { topPairs: 5 });
    expect(merged.entries).toEqual(once.entries);
    expect(merged.health).toEqual(once.health);
    expect(merged.entries.some((e) => e.pairCount > 1)).toBe(true);
  });

  it('timelines of different widths merge at the coarsest, as analysing at that width', async () => {
    const [a, b] = [resolve(LAB, 'a02_ha.pcap'), resolve(LAB, 'a03_panorama.pcap')];
    const merged = merge([await pb([a], { interval: 1 }), await pb([b], { interval: 10 })]);
    const once = await analyze([a, b], { workers: 0, rolesFile: ROLES, interval: 10 });
    expect(merged.timeline.intervalSeconds).toBe(10);
    expect(merged.timeline).toEqual(once.timeline);
    // --interval may coarsen further, never split an input's intervals.
    expect(merge([merged], { interval: 60 }).timeline).toEqual((await analyze([a, b], { workers: 0, rolesFile: ROLES, interval: 60 })).timeline);
    expect(() => mergeSummaries([merged], { ...OPTS, interval: 1 })).toThrow("--interval 1 s is finer than an input's timeline (10 s): intervals cannot be split");
  });

  it('the default width is the one analysing at once chooses: two 1 s timelines a day apart merge at 1 h, as at once', async () => {
    const [h01, a06] = [resolve(REPO, 'fixtures/ha-outage/h01_ha_outage.pcap'), resolve(LAB, 'a06_failures.pcap')];
    const parts = [await pb([h01], { rolesFile: undefined }), await pb([a06], { rolesFile: undefined })];
    expect(parts.map((x) => x.timeline.intervalSeconds)).toEqual([1, 1]);
    const once = JSON.parse(renderJson(await analyze([h01, a06], { workers: 0 })));
    const merged = JSON.parse(renderJson(merge(parts)));
    expect(merged.timeline.intervalSeconds).toBe(3600);
    expect(differences(merged, once)).toEqual(['.merge']);
  });
});

describe('merge: lower bounds', () => {
  it('an input whose --max-listed cut its flow list makes the merged listing a lower bound, unless the cut cannot matter', async () => {
    const files = ['a05_unexpected', 'a06_failures'].map((n) => resolve(LAB, `${n}.pcap`));
    const cut = await Promise.all(files.map((f) => pb([f], { maxListed: 2 })));
    expect(cut.map((x) => [x.flows.length, x.flowsOmitted])).toEqual([
      [2, 2],
      [2, 4],
    ]);
    const m = merge(cut, { maxListed: 10 });
    expect(m.merge!.lowerBound).toEqual(['flows']);
    expect([m.flows.length, m.flowsOmitted]).toEqual([4, 6]);
    expect(JSON.parse(renderJson(m)).merge).toEqual({ summaries: 2, lowerBound: ['flows'] });
    expect(renderText(m, { color: false })).toContain("warning: an input's flow list was cut (--max-listed): the flows listed may miss some of the largest (the counts are exact)");
    // Listing at most 2: each input's 2 largest are there, so the 2 largest of all are too.
    const exact = merge(cut, { maxListed: 2 });
    expect(exact.merge!.lowerBound).toEqual([]);
    expect(exact.flows).toEqual((await analyze(files, { workers: 0, rolesFile: ROLES, maxListed: 2 })).flows);
  });

  it('an input without merge state (written before it existed) marks entries whose pairs were cut', async () => {
    const legacy = await pb(['a01_management', 'a03_panorama', 'a06_failures'].map((n) => resolve(LAB, `${n}.pcap`)), { topPairs: 1 });
    delete legacy.mergeState;
    const other = await pb([resolve(LAB, 'a02_ha.pcap')]);
    const m = merge([legacy, other]);
    expect(m.merge!.lowerBound).toEqual(['entries']);
    const marked = m.entries.filter((e) => e.lowerBound).map((e) => e.id);
    expect(marked).toEqual(legacy.entries.filter((e) => e.pairCount > e.pairs.length || e.failureCount > e.failures.length).map((e) => e.id));
    expect(marked.length).toBeGreaterThan(0);
    expect(JSON.parse(renderJson(m)).entries.find((e: { id: string }) => e.id === marked[0]).lowerBound).toBe(true);
    // The health list is exact all the same: every channel is in it.
    expect(m.health.reduce((n, h) => n + h.flows, 0)).toBe([legacy, other].reduce((n, x) => n + x.health.reduce((k, h) => k + h.flows, 0), 0));
  });
});

describe('merge: clipped timelines', () => {
  it("an input's clipped channel is a lower bound in the merged timeline, and stays one when merged again", async () => {
    const a06 = await pb([resolve(LAB, 'a06_failures.pcap')]);
    const a01 = await pb([resolve(LAB, 'a01_management.pcap')]);
    // As a run over more than 10,000 intervals would have written it: earlier intervals left out.
    const i = a06.timeline.channels.findIndex((c) => c.entry === 'panorama.device-mgmt.3978');
    const clipped: Summary = { ...a06, timeline: { ...a06.timeline, channels: a06.timeline.channels.map((c, j) => (j === i ? { ...c, clipped: 3 } : c)) } };
    const m = merge([clipped, a01]);
    expect(m.merge!.lowerBound).toEqual(['timeline']);
    const marked = m.timeline.channels.filter((c) => c.lowerBound);
    expect(marked.map((c) => [c.entry, c.client, c.server, c.clipped])).toEqual([[a06.timeline.channels[i].entry, a06.timeline.channels[i].client, a06.timeline.channels[i].server, 3]]);
    expect(JSON.parse(renderJson(m)).timeline.channels.filter((c: { lowerBound?: boolean }) => c.lowerBound === true)).toHaveLength(1);
    expect(renderText(m, { color: false })).toContain('warning: an input clipped a timeline channel or left it out (--max-channels): the intervals of channels marked "at least" are lower bounds');
    expect(merge([m, a01]).timeline.channels.filter((c) => c.lowerBound)).toHaveLength(1);
  });
});

describe('merge: live captures and filters', () => {
  it('interfaces are listed together, kernel counts summed; filters kept where every input agrees, in any grouping', async () => {
    const base = await pb([resolve(LAB, 'a06_failures.pcap')]);
    const live = (iface: string, received: number | null, bpf: string | null): Summary => ({
      ...base,
      capture: { interface: iface, backend: 'native', filter: null, received, dropped: 1, ifDropped: 0 },
      input: { ...base.input, filter: { bpf, hosts: [], since: null, until: null, count: null, filteredOut: 10, stoppedEarly: false } },
    });
    const [a, b, c] = [live('eth1', 100, 'tcp'), live('eth0', 50, 'tcp'), live('eth1', 7, 'udp')];
    const ab = merge([a, b]);
    expect(ab.capture).toEqual({ interface: 'eth0, eth1', backend: 'native', filter: null, received: 150, dropped: 2, ifDropped: 0 });
    expect(ab.input.filter).toEqual({ bpf: 'tcp', hosts: [], since: null, until: null, count: null, filteredOut: 20, stoppedEarly: false });
    const all = bytes(merge([a, b, c]));
    expect(bytes(merge([ab, c]))).toBe(all);
    expect(bytes(merge([a, merge([c, b])]))).toBe(all);
    const abc = merge([a, b, c]);
    expect([abc.capture!.interface, abc.capture!.received, abc.input.filter!.bpf, abc.input.filter!.filteredOut]).toEqual(['eth0, eth1', 157, null, 30]);
    // One input that could not tell its kernel counts: the sum cannot be told either.
    expect(merge([a, live('lo', null, 'tcp')]).capture!.received).toBeNull();
  });
});

describe('merge: overflow sketch', () => {
  it('registers merge by maximum: a summary merged with itself keeps its overflow flows, its packets add up', async () => {
    const x = await pb([resolve(LAB, 'a03_panorama.pcap')], { maxFlows: 4 });
    expect(x.input.flowTable.overflowFlows).toBeGreaterThan(0);
    const m = merge([x, x]);
    expect(m.input.flowTable.overflowFlows).toBe(x.input.flowTable.overflowFlows);
    expect(m.input.flowTable.overflowPackets).toBe(2 * x.input.flowTable.overflowPackets);
    expect(Buffer.from(m.mergeState!.overflowSketch).equals(Buffer.from(x.mergeState!.overflowSketch))).toBe(true);
  });
});

describe('merge: unreadable summaries', () => {
  it('refuses another schema version with one clear line, and a summary cut short at a field boundary', async () => {
    const x = await analyze([resolve(LAB, 'a06_failures.pcap')], { workers: 0 });
    const v2 = encodeSummary({ ...x, schema: 'pantap.summary.v2' as 'pantap.summary.v1' });
    expect(() => summaryFromProtobuf(v2)).toThrow(/^summary schema pantap\.summary\.v2 is not pantap\.summary\.v1, the one this pantap reads$/);
    // Cut before any top-level field, the framing is intact and protobuf decodes it without a word: still refused.
    const whole = encodeSummary(x);
    const starts = fieldStarts(whole);
    // Fields go out by number: revision (19) before ha and timeline, complete (127) last.
    expect([...starts.keys()]).toEqual([1, 2, 3, 4, 5, 6, 7, 13, 19, 20, 21, 30, 127]);
    for (const [field, at] of starts) if (field > 1) expect(() => summaryFromProtobuf(whole.subarray(0, at)), `cut before field ${field}`).toThrow(/^ends early: the summary was cut short$/);
    expect(() => summaryFromProtobuf(Buffer.from('not a summary at all'))).toThrow();
  });
});

describe.skipIf(!HAVE_SHARED)(`merge: ../shared/captures/pan-lab ${HAVE_SHARED ? '' : `(${SKIP_REASON})`}`, () => {
  it('the shared pan-lab summaries merge to the same bytes in every order of three and every grouping', async () => {
    const dir = resolve(SHARED, 'captures/pan-lab');
    const three = await Promise.all(['a02_ha', 'a04_userid', 'a07_mixed'].map((n) => pb([resolve(dir, `${n}.pcap`)])));
    const want = bytes(merge(three));
    for (const p of permutations(three)) {
      expect(bytes(merge(p))).toBe(want);
      for (const g of groupings(p)) expect(bytes(g)).toBe(want);
    }
  }, 60_000);
});
