// --max-channels: a SYN flood or a scan makes a channel of every probe; the health list and
// the timeline keep the worst N channels and count the rest per status (healthOmitted,
// timeline.channelsOmitted), exactly what the uncapped run has beyond its first N lines; the
// text report's counts stay over every channel; merging capped summaries gives the exact
// omitted counts (the merge state carries every channel's health counts).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze, type AnalyzeOptions } from '../../src/analyze.js';
import { loadCatalog } from '../../src/catalog/load.js';
import { HEALTH_STATUS_ORDER } from '../../src/report/health.js';
import { renderJson } from '../../src/report/json.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { mergeSummaries, type MergeOptions } from '../../src/report/merge.js';
import type { HealthLine, HealthOmitted, Summary } from '../../src/report/model.js';
import { encodeSummary, summaryFromProtobuf } from '../../src/report/protobuf.js';
import { renderText } from '../../src/report/text.js';
import { cat, pcap, tempDir, u16, u32, type PcapRecord } from '../helpers/build.js';
import { REPO } from '../helpers/shared.js';

const LAB = resolve(REPO, 'fixtures/pan-lab');
const ROLES = resolve(LAB, 'lab-roles.yaml');
const schema = JSON.parse(readFileSync(new URL('../../src/report/summary.schema.json', import.meta.url), 'utf8')) as object;
const validate = new Ajv({ allowUnionTypes: true, allErrors: true }).compile(schema);
const MERGE: MergeOptions = { topPairs: 5, maxListed: 10_000, entryOrder: loadCatalog().entries.map((e) => e.id) };

/** One TCP SYN from 100.64.x.y:40000+i to 10.0.0.1:443 (Ethernet, IPv4, no options). */
function syn(i: number, tsUs: number): PcapRecord {
  const src = [100, 64, (i >> 8) & 0xff, i & 0xff];
  const tcp = cat(u16(40_000 + (i % 20_000)), u16(443), u32(1000 + i), u32(0), [0x50, 0x02], u16(64240), u16(0), u16(0));
  const ipNoSum = cat([0x45, 0, 0, 40], u16(i & 0xffff), [0x40, 0, 64, 6], [0, 0], src, [10, 0, 0, 1]);
  let sum = 0;
  for (let k = 0; k < 20; k += 2) sum += (ipNoSum[k] << 8) | ipNoSum[k + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const ip = Buffer.from(ipNoSum);
  ip.writeUInt16BE(~sum & 0xffff, 10);
  const eth = cat([2, 0, 0, 0, 0, 0x5e], [2, 0, 0, 0, 0, 0xc1], u16(0x0800));
  return { sec: Math.floor(tsUs / 1e6), frac: tsUs % 1e6, data: cat(eth, ip, tcp) };
}

const dir = tempDir('pantap-max-channels-');
afterAll(() => dir.remove());
const N_SYN = 3000;
const FLOOD = dir.file('flood.pcap', pcap(Array.from({ length: N_SYN }, (_, i) => syn(i, 1_700_000_000_000_000 + i * 1000))));
// Other clients, later: disjoint flows, so merging equals analysing both at once.
const FLOOD_B = dir.file('flood-b.pcap', pcap(Array.from({ length: 1000 }, (_, i) => syn(N_SYN + i, 1_700_000_010_000_000 + i * 1000))));

/** Per-status counts of health lines, as healthOmitted has them. */
function byStatus(lines: readonly HealthLine[]): HealthOmitted {
  const o: HealthOmitted = { channels: lines.length, failing: 0, partial: 0, degraded: 0, up: 0 };
  for (const h of lines) o[h.status]++;
  return o;
}

/** What a capped run must be: the uncapped run's first n lines, its other lines counted, the timeline of those channels. */
function expectCapOf(capped: Summary, full: Summary, n: number): void {
  const key = (c: { entry: string; client: string; server: string }) => `${c.entry} ${c.client} ${c.server}`;
  expect(full.healthOmitted).toBeUndefined();
  expect(capped.health).toEqual(full.health.slice(0, n));
  const rest = full.health.slice(n);
  if (rest.length === 0) {
    expect(capped.healthOmitted).toBeUndefined();
    expect(capped.timeline.channelsOmitted).toBeUndefined();
  } else {
    expect(capped.healthOmitted).toEqual(byStatus(rest));
    expect(capped.timeline.channelsOmitted).toBe(rest.length);
  }
  const kept = new Set(capped.health.map(key));
  expect(capped.timeline.channels).toEqual(full.timeline.channels.filter((c) => kept.has(key(c))));
  // Everything else is the same summary.
  const { health: _h, healthOmitted: _o, timeline: _t, mergeState: _m, ...restCapped } = capped;
  const { health: _h2, healthOmitted: _o2, timeline: _t2, mergeState: _m2, ...restFull } = full;
  expect(restCapped).toEqual(restFull);
}

describe('--max-channels', () => {
  it('a flood of 3,000 SYNs from distinct clients: the cap is listed, the rest counted exactly, in JSON and in words', async () => {
    const full = await analyze([FLOOD], { workers: 0 });
    const entries = full.health.length / N_SYN;
    expect(Number.isInteger(entries) && entries >= 1).toBe(true);
    expect(full.health.every((h) => h.status === 'failing')).toBe(true);
    const capped = await analyze([FLOOD], { workers: 0, maxChannels: 100 });
    expectCapOf(capped, full, 100);
    expect(capped.health).toHaveLength(100);
    const omitted = full.health.length - 100;
    expect(capped.healthOmitted).toEqual({ channels: omitted, failing: omitted, partial: 0, degraded: 0, up: 0 });

    const doc = JSON.parse(renderJson(capped)) as { health: unknown[]; healthOmitted: HealthOmitted; timeline: { channels: unknown[]; channelsOmitted: number } };
    expect(doc.health).toHaveLength(100);
    expect(doc.healthOmitted).toEqual({ channels: omitted, failing: omitted, partial: 0, degraded: 0, up: 0 });
    expect(doc.timeline.channels).toHaveLength(100);
    expect(doc.timeline.channelsOmitted).toBe(omitted);
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    // The schema knows the new keys: a wrong type is refused.
    expect(validate({ ...doc, healthOmitted: { ...doc.healthOmitted, failing: -1 } })).toBe(false);
    // Uncapped: no new key at all.
    const plain = JSON.parse(renderJson(full)) as Record<string, unknown>;
    expect('healthOmitted' in plain).toBe(false);
    expect('channelsOmitted' in (plain.timeline as object)).toBe(false);

    const n = (x: number) => x.toLocaleString('en-US');
    const text = renderText(capped, { color: false, width: 200 });
    // The header counts every channel seen, not only those listed.
    expect(text).toContain(`Health — ${n(full.health.length)} channels (entry × client → server): ${n(full.health.length)} FAILING`);
    expect(text).toContain(`warning: ${n(omitted)} more channels not listed in the health list and timeline (--max-channels; the worst 100 are): ${n(omitted)} FAILING`);
    expect(text).toContain(`(+${n(full.health.length - 40)} more: ${n(full.health.length - 40)} FAILING; -F json lists 100, --max-channels counts the rest)`);
    expect(renderMarkdown(capped)).toContain(`## Health — ${n(full.health.length)} channels: ${n(full.health.length)} FAILING`);

    // Through protobuf: the counts survive.
    const back = summaryFromProtobuf(encodeSummary(capped));
    expect(back.healthOmitted).toEqual(capped.healthOmitted);
    expect(back.timeline.channelsOmitted).toBe(omitted);
  });

  it.each([1, 2, 3, 5])('pan-lab captures with --max-channels %i: the worst first, the rest counted per status', async (n) => {
    for (const name of ['a06_failures', 'a07_mixed', 'a02_ha']) {
      const f = resolve(LAB, `${name}.pcap`);
      const o: AnalyzeOptions = { workers: 0, rolesFile: ROLES };
      const full = await analyze([f], o);
      const capped = await analyze([f], { ...o, maxChannels: n });
      expectCapOf(capped, full, n);
    }
  });

  it('merging capped summaries gives the exact omitted counts and the health list of the uncapped merge, capped', async () => {
    const pb = async (f: string, o: AnalyzeOptions) => summaryFromProtobuf(encodeSummary(await analyze([f], { workers: 0, ...o })));
    const a = await pb(FLOOD, { maxChannels: 50 });
    const b = await pb(FLOOD_B, { maxChannels: 50 });
    const fullA = await pb(FLOOD, {});
    const fullB = await pb(FLOOD_B, {});
    const merged = mergeSummaries([a, b], { ...MERGE, maxChannels: 70 });
    const exact = mergeSummaries([fullA, fullB], { ...MERGE, maxChannels: 70 });
    const uncapped = mergeSummaries([fullA, fullB], MERGE);
    const channels = fullA.health.length + fullB.health.length;
    expect(uncapped.health).toHaveLength(channels);
    expect(merged.health).toEqual(uncapped.health.slice(0, 70));
    expect(merged.healthOmitted).toEqual(byStatus(uncapped.health.slice(70)));
    expect(merged.healthOmitted).toEqual({ channels: channels - 70, failing: channels - 70, partial: 0, degraded: 0, up: 0 });
    expect(merged.timeline.channelsOmitted).toBe(channels - 70);
    expect(merged.health).toEqual(exact.health);
    expect(merged.healthOmitted).toEqual(exact.healthOmitted);
    expect(merged.entries).toEqual(exact.entries);
    // Analysed at once, with the same cap: the same health list and counts.
    const once = await analyze([FLOOD, FLOOD_B], { workers: 0, maxChannels: 70 });
    expect(merged.health).toEqual(once.health);
    expect(merged.healthOmitted).toEqual(once.healthOmitted);
    expect(HEALTH_STATUS_ORDER.reduce((x, st) => x + merged.healthOmitted![st], 0)).toBe(channels - 70);
    // A merged channel its input left out of its timeline has that input's intervals missing: marked a lower bound.
    const key = (c: { entry: string; client: string; server: string }) => `${c.entry} ${c.client} ${c.server}`;
    const listed = new Set([...a.timeline.channels, ...b.timeline.channels].map(key));
    expect(merged.timeline.channels).toHaveLength(70);
    expect(merged.timeline.channels.some((c) => !listed.has(key(c)))).toBe(true);
    for (const c of merged.timeline.channels) expect(c.lowerBound === true).toBe(!listed.has(key(c)));
    expect(merged.merge?.lowerBound).toContain('timeline');
    expect(exact.timeline.channels.every((c) => c.lowerBound === undefined)).toBe(true);
  });
});
