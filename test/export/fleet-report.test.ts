// The fleet summary against a real ClickHouse (Debian's 18.16 in CI): the pan-lab captures
// stored as two sensors give the section, entry, pair, failure, health and timeline figures
// of analysing all of them at once; --sensor and --since/--until narrow to exact counts;
// literals are escaped; an empty store is an empty summary.
//
// The store is filled from `analyze --flows` summaries by test/helpers/store-rows.ts (the rows
// the export writes, as JSONEachRow); test/cli/report.test.ts goes through `analyze --export`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { analyzeCaptures } from '../../src/analyze.js';
import { loadCatalog } from '../../src/catalog/load.js';
import { parseStoreUrl } from '../../src/export/clickhouse-url.js';
import { connectStore } from '../../src/export/client.js';
import { fleetSummary, flowCondition, sqlLiteral, unknownEntries, unknownSensors, type FleetFilter, type StoreReader } from '../../src/export/fleet-report.js';
import { ensureSchema } from '../../src/export/schema.js';
import { microsFromIso } from '../../src/report/format.js';
import type { FlowRecord, Summary } from '../../src/report/model.js';
import { clickHouseMissing, startClickHouse, type ClickHouse } from '../helpers/clickhouse.js';
import { REPO } from '../helpers/shared.js';
import { insertRows, storeRows } from '../helpers/store-rows.js';
import type { ClickHouseClient } from '@clickhouse/client';

const LAB = resolve(REPO, 'fixtures/pan-lab');
const ROLES = resolve(LAB, 'lab-roles.yaml');
const lab = (...names: string[]) => names.map((n) => resolve(LAB, `${n}.pcap`));
// Sensor s1 and s2 see disjoint captures. Both use the lab's inventory: roles inferred from
// one sensor's traffic would not narrow the other's flows (README). The HA2-over-Ethernet
// heartbeat of a02 and a07 is one flow analysed at once: both files stay with s2.
const S1 = lab('a01_management', 'a03_panorama', 'a04_userid', 'a05_unexpected');
const S2 = lab('a02_ha', 'a06_failures', 'a07_mixed');

const catalog = loadCatalog();
const analyze = async (paths: string[], allFlows = true): Promise<Summary> =>
  (await analyzeCaptures(paths, { workers: 0, allFlows, rolesFile: ROLES, catalogFile: undefined })).summary;

let ch: ClickHouse | null = null;
let client: ClickHouseClient | null = null;
let store: StoreReader;
let all: Summary;
let s1: Summary;
let s2: Summary;

beforeAll(async () => {
  ch = await startClickHouse();
  if (!ch) {
    console.warn(`test/export/fleet-report: skipped, ${clickHouseMissing}`);
    return;
  }
  const url = parseStoreUrl(ch.chUrl('fleet'), {});
  client = await connectStore(url);
  await ensureSchema(client, url);
  await ensureSchema(client, parseStoreUrl(ch.chUrl('empty'), {}));
  for (const db of ['odd', 'widths', 'live']) await ensureSchema(client, parseStoreUrl(ch.chUrl(db), {}));
  const c = client;
  store = {
    async select(sql) {
      return (await c.query({ query: sql, format: 'JSONEachRow' })).json<Record<string, unknown>>();
    },
  };
  s1 = await analyze(S1);
  s2 = await analyze(S2);
  all = await analyze([...S1, ...S2]);
  await insertRows(ch.url, 'fleet', storeRows(s1, 's1', 'run-1'));
  await insertRows(ch.url, 'fleet', storeRows(s2, 's2', 'run-2'));
}, 60_000);

afterAll(async () => {
  await client?.close();
  await ch?.stop();
});

const NONE: FleetFilter = { sensors: [], sinceUs: null, untilUs: null };
const OPTS = { topPairs: 5, maxListed: 10_000 };
const totals = (x: { id: string; flows: number; packets: number; bytes: number; failed: number; degraded: number; firstSeen: string | null; lastSeen: string | null }) => ({
  id: x.id,
  flows: x.flows,
  packets: x.packets,
  bytes: x.bytes,
  failed: x.failed,
  degraded: x.degraded,
  firstSeen: x.firstSeen,
  lastSeen: x.lastSeen,
});
const byVolume = (a: FlowRecord, b: FlowRecord) => b.bytes - a.bytes || microsFromIso(a.firstSeen) - microsFromIso(b.firstSeen);

describe.skipIf(clickHouseMissing !== '')(`fleet summary from ClickHouse (needs clickhouse-server${clickHouseMissing ? `: ${clickHouseMissing}` : ''})`, () => {
  it('two sensors stored = all captures analysed at once: sections, entries, pairs, failures, health, timeline', async () => {
    const f = await fleetSummary(store, 'fleet', catalog, NONE, OPTS);
    expect(f.sections.map(totals)).toEqual(all.sections.map(totals));
    expect(f.sections.map((s) => s.flows)).toEqual([18, 9, 15, 19, 4]);
    expect(f.sections.map((s) => s.failed)).toEqual([2, 1, 3, 2, 0]);
    expect(f.entries.map((e) => ({ ...totals(e), status: e.status }))).toEqual(all.entries.map((e) => ({ ...totals(e), status: e.status })));
    expect(f.entries.map((e) => [e.pairs, e.pairCount])).toEqual(all.entries.map((e) => [e.pairs, e.pairCount]));
    expect(f.entries.map((e) => [e.failures, e.failureCount])).toEqual(all.entries.map((e) => [e.failures, e.failureCount]));
    expect(f.health).toEqual(all.health);
    expect(f.health.map((h) => h.status).join(' ')).toMatch(/^(failing ){4}(partial ){4}degraded( up){40}$/);
    expect(f.timeline).toEqual(all.timeline);
    expect([f.input.packets, f.input.bytes, f.input.firstSeen, f.input.lastSeen]).toEqual([1437, all.input.bytes, all.input.firstSeen, all.input.lastSeen]);
    expect(f.input.details.map((d) => [d.file, d.packets])).toEqual([
      ['sensor s1, 1 run: fixtures/pan-lab/a01_management.pcap, fixtures/pan-lab/a03_panorama.pcap, fixtures/pan-lab/a04_userid.pcap, fixtures/pan-lab/a05_unexpected.pcap'.replace(/fixtures\/pan-lab/g, LAB), 990],
      ['sensor s2, 1 run: fixtures/pan-lab/a02_ha.pcap, fixtures/pan-lab/a06_failures.pcap, fixtures/pan-lab/a07_mixed.pcap'.replace(/fixtures\/pan-lab/g, LAB), 447],
    ]);
    // The listed flows: the stored records of the unexpected, failed and warning flows, most bytes first.
    const listed = all.flows.filter((x) => x.section === 'unexpected' || x.verdict !== 'ok').sort(byVolume);
    expect(f.flows).toEqual(listed);
    expect(f.flows).toHaveLength(13);
    expect(f.flowsOmitted).toBe(0);
    // Non-IP frames: ARP flows of one MAC pair are one flow at once, one per sensor stored (flows are not joined across sensors).
    expect(f.nonIp).toEqual([{ ethertype: 0x0806, name: 'ARP', flows: 41, packets: 68, bytes: 2856 }]);
    expect(f.roles).toEqual([]);
    expect(f.ha.heartbeats).toEqual([]);
  });

  it('--max-listed cuts the listed flows and counts the rest; --top cuts pairs and failures', async () => {
    const f = await fleetSummary(store, 'fleet', catalog, NONE, { topPairs: 1, maxListed: 3 });
    expect(f.flows.map((x) => x.bytes)).toEqual(all.flows.filter((x) => x.section === 'unexpected' || x.verdict !== 'ok').sort(byVolume).slice(0, 3).map((x) => x.bytes));
    expect(f.flowsOmitted).toBe(10);
    const dm = f.entries.find((e) => e.id === 'panorama.device-mgmt.3978')!;
    expect([dm.pairs.length, dm.pairCount, dm.failures.length, dm.failureCount]).toEqual([1, 4, 1, 2]);
    expect(dm.pairs[0]).toEqual(all.entries.find((e) => e.id === 'panorama.device-mgmt.3978')!.pairs[0]);
  });

  it('--max-channels lists the worst channels (health and timeline) and counts the rest per status, as analyze does', async () => {
    const full = await fleetSummary(store, 'fleet', catalog, NONE, OPTS);
    expect(full.healthOmitted).toBeUndefined();
    expect(full.health.length).toBeGreaterThan(3);
    const f = await fleetSummary(store, 'fleet', catalog, NONE, { ...OPTS, maxChannels: 3 });
    expect(f.health).toEqual(full.health.slice(0, 3));
    const rest = full.health.slice(3);
    const per = (st: string) => rest.filter((h) => h.status === st).length;
    expect(f.healthOmitted).toEqual({ channels: rest.length, failing: per('failing'), partial: per('partial'), degraded: per('degraded'), up: per('up') });
    const key = (c: { entry: string; client: string; server: string }) => `${c.entry} ${c.client} ${c.server}`;
    const kept = new Set(f.health.map(key));
    expect(f.timeline.channels).toEqual(full.timeline.channels.filter((c) => kept.has(key(c))));
    expect(f.timeline.channelsOmitted).toBe(rest.length);
  });

  it('--sensor s1 = analysing s1 captures alone', async () => {
    const f = await fleetSummary(store, 'fleet', catalog, { ...NONE, sensors: ['s1'] }, OPTS);
    expect(f.sections.map(totals)).toEqual(s1.sections.map(totals));
    expect(f.entries.map(totals)).toEqual(s1.entries.map(totals));
    expect(f.health).toEqual(s1.health);
    expect(f.input.packets).toBe(990);
    expect(f.input.details).toHaveLength(1);
    const both = await fleetSummary(store, 'fleet', catalog, { ...NONE, sensors: ['s2', 's1'] }, OPTS);
    expect(both.sections.map(totals)).toEqual(all.sections.map(totals));
    expect(await unknownSensors(store, 'fleet', ['s1', 'nope', "o'x"])).toEqual(['nope', "o'x"]);
  });

  it('--since/--until: the flows overlapping the window (last packet at or after since, first before until), exact counts', async () => {
    const since = '2026-11-25T16:14:30Z';
    const until = '2026-11-25T16:15:10Z';
    const [lo, hi] = [microsFromIso(since), microsFromIso(until)];
    const f = await fleetSummary(store, 'fleet', catalog, { sensors: [], sinceUs: lo, untilUs: hi }, OPTS);
    // What is stored: the sensors' flows (ARP of one MAC pair is one flow per sensor).
    const stored = [...s1.flows, ...s2.flows];
    const inWindow = stored.filter((x) => microsFromIso(x.lastSeen) >= lo && microsFromIso(x.firstSeen) < hi);
    const per = (section: string) => inWindow.filter((x) => x.section === section);
    expect(f.sections.map((s) => [s.id, s.flows, s.packets, s.failed])).toEqual(
      f.sections.map((s) => [s.id, per(s.id).length, per(s.id).reduce((a, x) => a + x.packets, 0), per(s.id).filter((x) => x.verdict === 'failed').length]),
    );
    expect(f.sections.map((s) => s.flows)).toEqual([0, 1, 11, 17, 2]);
    expect(f.input.packets).toBe(inWindow.reduce((a, x) => a + x.packets, 0));
    expect(f.input.filter!.filteredOut).toBe(stored.filter((x) => !inWindow.includes(x)).reduce((a, x) => a + x.packets, 0));
    expect([f.input.filter!.since, f.input.filter!.until]).toEqual(['2026-11-25T16:14:30.000000Z', '2026-11-25T16:15:10.000000Z']);
    // Window and sensor together.
    const g = await fleetSummary(store, 'fleet', catalog, { sensors: ['s2'], sinceUs: lo, untilUs: null }, OPTS);
    const s2Since = s2.flows.filter((x) => microsFromIso(x.lastSeen) >= lo);
    expect(g.sections.map((s) => s.flows)).toEqual(g.sections.map((s) => s2Since.filter((x) => x.section === s.id).length));
    expect(g.input.details.map((d) => d.packets)).toEqual([447]);
    // A window with nothing in it: every count 0, every entry not seen.
    const none = await fleetSummary(store, 'fleet', catalog, { sensors: [], sinceUs: microsFromIso('2030-01-01T00:00:00Z'), untilUs: null }, OPTS);
    expect(none.sections.every((s) => s.flows === 0 && s.firstSeen === null)).toBe(true);
    expect(none.entries.every((e) => e.status === 'not-seen')).toBe(true);
    expect([none.health, none.timeline.channels, none.input.details, none.input.packets]).toEqual([[], [], [], 0]);
  });

  it('sensor names are SQL literals escaped by the client library (quotes, backslashes, newlines)', async () => {
    const odd = "o'brien\\x\n' OR 1=1 --";
    expect(sqlLiteral(odd)).toBe("'o\\'brien\\\\x\\n\\' OR 1=1 --'");
    expect(flowCondition({ sensors: [odd], sinceUs: 1, untilUs: 2_500_000 })).toBe(
      "sensor IN ('o\\'brien\\\\x\\n\\' OR 1=1 --') AND last_seen_us >= 1 AND first_seen_us < 2500000 AND first_seen <= toDateTime(2)",
    );
    await insertRows(ch!.url, 'odd', storeRows(await analyze(lab('a06_failures')), odd, 'run-odd'));
    await insertRows(ch!.url, 'odd', storeRows(await analyze(lab('a07_mixed')), 'other', 'run-other'));
    const f = await fleetSummary(store, 'odd', catalog, { ...NONE, sensors: [odd] }, OPTS);
    expect(f.sections.reduce((a, s) => a + s.flows, 0)).toBe(6);
    expect(f.input.details.map((d) => d.file)).toEqual([`sensor ${odd}, 1 run: ${LAB}/a06_failures.pcap`]);
    // Entries of a catalog override the report was not given: named, so the CLI can say so.
    const rows = storeRows(await analyze(lab('a01_management')), 'custom', 'run-custom');
    rows.flows[0].entries = ["custom.it's-ours.8443", 'management.ssh.22'];
    await insertRows(ch!.url, 'odd', rows);
    expect(await unknownEntries(store, 'odd', catalog, NONE)).toEqual(["custom.it's-ours.8443"]);
    expect(await unknownEntries(store, 'odd', catalog, { ...NONE, sensors: [odd] })).toEqual([]);
  });

  it('timelines stored at different widths are re-bucketed to the widest: = analysing all at once at that width', async () => {
    const w1 = await analyzeCaptures(S1, { workers: 0, allFlows: true, rolesFile: ROLES, interval: 1 });
    const w10 = await analyzeCaptures(S2, { workers: 0, allFlows: true, rolesFile: ROLES, interval: 10 });
    await insertRows(ch!.url, 'widths', storeRows(w1.summary, 's1', 'run-1'));
    await insertRows(ch!.url, 'widths', storeRows(w10.summary, 's2', 'run-2'));
    const at10 = (await analyzeCaptures([...S1, ...S2], { workers: 0, rolesFile: ROLES, interval: 10 })).summary;
    const f = await fleetSummary(store, 'widths', catalog, NONE, OPTS);
    expect(f.timeline.intervalSeconds).toBe(10);
    expect(f.timeline).toEqual(at10.timeline);
    expect(f.timeline.channels.reduce((a, c) => a + c.buckets.length, 0)).toBe(at10.timeline.channels.reduce((a, c) => a + c.buckets.length, 0));
    // --interval 1m re-buckets further.
    const at60 = (await analyzeCaptures([...S1, ...S2], { workers: 0, rolesFile: ROLES, interval: 60 })).summary;
    expect((await fleetSummary(store, 'widths', catalog, NONE, { ...OPTS, interval: 60 })).timeline).toEqual(at60.timeline);
  });

  it("a live sensor's periodic run rows (counters so far) count once", async () => {
    const rows = storeRows(s2, 'live-1', 'run-live');
    const final = rows.runs[0];
    const early = { ...final, packets: 100, bytes: 1000, flows: 3, ended: Number(final.ended) - 20 };
    await insertRows(ch!.url, 'live', { ...rows, runs: [early, { ...early, packets: 300, bytes: 5000, ended: Number(final.ended) - 10 }, final] });
    const f = await fleetSummary(store, 'live', catalog, NONE, OPTS);
    expect([f.input.packets, f.input.bytes, f.input.details.map((d) => [d.file.split(':')[0], d.packets])]).toEqual([447, s2.input.bytes, [['sensor live-1, 1 run', 447]]]);
  });

  it('an empty store is an empty summary', async () => {
    const f = await fleetSummary(store, 'empty', catalog, NONE, OPTS);
    expect(f.sections.map((s) => s.flows)).toEqual([0, 0, 0, 0, 0]);
    expect([f.health, f.flows, f.input.files, f.input.packets, f.timeline.intervalSeconds, f.flowsOmitted]).toEqual([[], [], [], 0, 1, 0]);
  });
});

describe('fleet summary queries (no server)', () => {
  it('use nothing 18.16 lacks: no query parameters, DateTime64, LowCardinality; every value a number or an escaped literal', async () => {
    const sql: string[] = [];
    const fake: StoreReader = {
      async select(q) {
        sql.push(q);
        return [];
      },
    };
    const f = await fleetSummary(fake, 'pantap', catalog, { sensors: ["it's"], sinceUs: 1_795_623_270_000_000, untilUs: 1_795_623_310_000_000 }, OPTS);
    expect(sql.length).toBe(15);
    for (const q of sql) {
      expect(q).not.toMatch(/\{[a-z_]+:[A-Za-z]/);
      expect(q).not.toMatch(/DateTime64|LowCardinality|toStartOf|JSONExtract/);
      expect(q).toContain("sensor IN ('it\\'s')");
    }
    expect(f.sections.map((s) => s.flows)).toEqual([0, 0, 0, 0, 0]);
    expect(f.input.filter).toMatchObject({ since: '2026-11-25T16:14:30.000000Z', until: '2026-11-25T16:15:10.000000Z', filteredOut: 0 });
  });
});
