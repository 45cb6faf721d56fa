// The rows of the store built from classified flows: channel health equals the summary's
// timeline and adds up over disjoint sets of flows (how live exports it, period by period,
// and how sensors add up); flow rows carry the record as JSON; source files by record number.
import { describe, expect, it } from 'vitest';
import { analyzeCaptures } from '../../src/analyze.js';
import { flowRow, HealthCounter, healthRows, runRow, type HealthRow } from '../../src/export/rows.js';
import { flowRecord, orderedFlow } from '../../src/report/flow-record.js';
import { microsFromIso } from '../../src/report/format.js';
import { REPO } from '../helpers/shared.js';

const LAB = `${REPO}/fixtures/pan-lab`;
const ctx = { sensor: 's', runId: 'r' };

/** Sums of rows per channel and interval, as a store query would give them. */
function summed(rows: readonly HealthRow[]): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const r of rows) {
    const k = `${r.entry} ${r.client} ${r.server} ${r.interval_start_us}`;
    const c = m.get(k) ?? [0, 0, 0, 0];
    c[0] += r.flows;
    c[1] += r.started;
    c[2] += r.failed;
    c[3] += r.warnings;
    m.set(k, c);
  }
  return m;
}

describe('store rows', async () => {
  const a = await analyzeCaptures([`${LAB}/a03_panorama.pcap`, `${LAB}/a06_failures.pcap`], { workers: 0, rolesFile: `${LAB}/lab-roles.yaml`, interval: 1 });

  it("channel health equals the summary's timeline, interval for interval", () => {
    const rows = healthRows(ctx, a.flows, a.catalog, a.summary.timeline.intervalSeconds);
    const timeline = new Map<string, number[]>();
    for (const c of a.summary.timeline.channels) for (const b of c.buckets) timeline.set(`${c.entry} ${c.client} ${c.server} ${microsFromIso(b.start)}`, [b.flows, b.started, b.failed, b.warnings]);
    expect(timeline.size).toBeGreaterThan(20);
    expect(summed(rows)).toEqual(timeline);
    expect(rows.every((r) => r.interval_seconds === 1 && r.interval_start === Math.floor(r.interval_start_us / 1e6))).toBe(true);
  });

  it('adds up over disjoint sets of flows: three periods of a live run sum to the whole', () => {
    const h = new HealthCounter(a.catalog);
    const parts: HealthRow[] = [];
    const third = Math.ceil(a.flows.length / 3);
    for (let i = 0; i < a.flows.length; i += third) {
      h.add(a.flows.slice(i, i + third));
      parts.push(...h.take(ctx, 1));
    }
    expect(summed(parts)).toEqual(summed(healthRows(ctx, a.flows, a.catalog, 1)));
    expect(h.take(ctx, 1)).toEqual([]); // take() starts over
  });

  it('a flow row carries the record as the JSON output renders it, and its scalars', () => {
    const f = a.flows[0];
    const row = flowRow(ctx, f, a.catalog, () => 'x.pcap');
    const rec = flowRecord(f, a.catalog);
    expect(row.record).toBe(JSON.stringify(orderedFlow(rec)));
    expect(row).toMatchObject({ sensor: 's', run_id: 'r', file: 'x.pcap', client: rec.client, server: rec.server, packets: rec.packets, bytes: rec.bytes, entries: rec.entries, first_seen_us: f.firstTs, first_seen: Math.floor(f.firstTs / 1e6) });
    expect(runRow(ctx, a.summary, 5_000, 7_999, ['a', 'b'])).toEqual({
      sensor: 's', run_id: 'r', started: 5, ended: 7, files: ['a', 'b'], packets: a.summary.input.packets, bytes: a.summary.input.bytes, malformed: 0,
      flows: a.flows.length, overflow_flows: 0, overflow_packets: 0, max_flows: a.summary.input.flowTable.maxFlows,
    });
  });

  it("times outside DateTime's range (1970–2106) are held to it; the microsecond column keeps them", () => {
    const early = flowRow(ctx, { ...a.flows[0], firstTs: -5_000_000, lastTs: 5_000_000_000 * 1e6 }, a.catalog, () => '');
    expect([early.first_seen, early.first_seen_us, early.last_seen, early.last_seen_us]).toEqual([0, -5_000_000, 4_294_967_295, 5e15]);
  });
});
