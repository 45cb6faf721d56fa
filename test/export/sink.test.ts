// LiveExporter against a real ClickHouse the test kills and restarts: push() never waits,
// rows held while the server is away reach it once it is back (none lost under the buffer
// cap), rows beyond the cap are dropped and counted, and close() gives up after its grace.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectStore } from '../../src/export/client.js';
import { parseStoreUrl, type StoreUrl } from '../../src/export/clickhouse-url.js';
import type { FlowRow } from '../../src/export/rows.js';
import { ensureSchema } from '../../src/export/schema.js';
import { BatchWriter, LiveExporter, byMonths } from '../../src/export/sink.js';
import type { ClickHouseClient } from '@clickhouse/client';
import { clickHouseMissing, startClickHouse, type ClickHouse } from '../helpers/clickhouse.js';

if (clickHouseMissing) console.warn(`[test/export/sink] SKIPPED: ${clickHouseMissing}`);

let ch: ClickHouse | null = null;
let url: StoreUrl;
let client: ClickHouseClient;
beforeAll(async () => {
  ch = await startClickHouse();
  if (!ch) return;
  url = parseStoreUrl(ch.chUrl('sink'), {});
  client = await connectStore(url);
  await ensureSchema(client, url);
});
afterAll(async () => {
  await client?.close();
  await ch?.stop();
});

function flow(sensor: string, i: number): FlowRow {
  const us = 1_764_000_000_000_000 + i * 1000;
  return {
    sensor,
    run_id: 'r',
    file: 'live:test',
    first_seen: Math.floor(us / 1e6),
    first_seen_us: us,
    last_seen: Math.floor(us / 1e6),
    last_seen_us: us,
    transport: 'udp',
    client: '10.0.0.1',
    server: '10.0.0.2',
    client_port: 10000 + (i % 50000),
    server_port: 53,
    ip_protocol: 17,
    ethertype: null,
    packets: 1,
    bytes: 100,
    client_packets: 1,
    server_packets: 0,
    client_bytes: 100,
    server_bytes: 0,
    icmp_errors: 0,
    state: null,
    section: 'unexpected',
    entries: [],
    direction: 'port',
    app: null,
    verdict: 'ok',
    reason: null,
    detail: null,
    community_id: null,
    record: JSON.stringify({ i }),
    infrastructure: null,
  };
}

const count = async (sensor: string): Promise<number> => Number((await ch!.query(`SELECT count() FROM sink.flows WHERE sensor = '${sensor}'`)).trim());
const rowsOf = (sensor: string, from: number, n: number): FlowRow[] => Array.from({ length: n }, (_, k) => flow(sensor, from + k));
const until = async (cond: () => Promise<boolean> | boolean, ms: number): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe.skipIf(clickHouseMissing !== '')(`LiveExporter (needs clickhouse-server${clickHouseMissing ? `: ${clickHouseMissing}` : ''})`, () => {
  it('BatchWriter: batches of N rows, all of them written', async () => {
    const w = new BatchWriter(client, url, 1000);
    await w.add('flows', rowsOf('batch', 0, 2500));
    expect(await count('batch')).toBe(2000);
    await w.flush();
    expect(await count('batch')).toBe(2500);
    expect(w.written.flows).toBe(2500);
  });

  it('rows spread over 130 months go in several INSERTs of at most 50 months (current releases refuse over 100 partitions)', async () => {
    const month = (i: number): FlowRow => {
      const t = Date.UTC(2000, i, 15) / 1000;
      return { ...flow('months', i), first_seen: t, first_seen_us: t * 1e6, last_seen: t, last_seen_us: t * 1e6 };
    };
    const rows = Array.from({ length: 260 }, (_, i) => month(i % 130));
    const parts = byMonths(rows, (r) => (r as FlowRow).first_seen);
    expect(parts.map((p) => p.length)).toEqual([100, 100, 60]);
    expect(parts.map((p) => new Set(p.map((r) => (r as FlowRow).first_seen)).size)).toEqual([50, 50, 30]);
    expect(byMonths(rows.slice(0, 50), (r) => (r as FlowRow).first_seen)).toHaveLength(1);
    const w = new BatchWriter(client, url);
    await w.add('flows', rows);
    await w.flush();
    expect(await count('months')).toBe(260);
    expect((await ch!.query("SELECT uniqExact(toYYYYMM(first_seen)) FROM sink.flows WHERE sensor = 'months'")).trim()).toBe('130');
  });

  it('the server killed and restarted: push() never waits, nothing under the cap is lost, a note each way', async () => {
    const notes: string[] = [];
    const x = new LiveExporter(client, url, { bufferRows: 5000, batchRows: 1000, backoffMinMs: 50, backoffMaxMs: 200, onNote: (m) => notes.push(m) });
    x.push('flows', rowsOf('away', 0, 300));
    // Wait for the exporter to know its INSERT went through, not for the server's count: the
    // server commits before it answers, and under load the test can read 300 while the answer
    // is still on its way; killing the server then fails that INSERT, and its rows stay
    // buffered and are sent again (4,300 rows in the end).
    await until(() => x.snapshot().exported.flows === 300, 10_000);
    expect(await count('away')).toBe(300);
    await ch!.kill();
    const more = [rowsOf('away', 300, 1200), rowsOf('away', 1500, 2500)];
    // push() never waits: it returns nothing to wait on, and the rows are in the buffer when it
    // returns, before any I/O could have happened (no wall-clock bound: that flakes under load).
    expect(x.push('flows', more[0])).toBeUndefined();
    expect(x.push('flows', more[1])).toBeUndefined();
    expect(x.snapshot()).toMatchObject({ buffered: 3700, exported: { flows: 300 } });
    await until(() => x.snapshot().away, 5000);
    expect(x.snapshot()).toMatchObject({ buffered: 3700, away: true, dropped: { flows: 0, channel_health: 0, runs: 0 } });
    await ch!.restart();
    await until(() => x.snapshot().buffered === 0, 15_000);
    const s = await x.close(1000);
    expect(s).toMatchObject({ exported: { flows: 4000 }, dropped: { flows: 0 }, buffered: 0, away: false });
    expect(s.failures).toBeGreaterThan(0);
    expect(await count('away')).toBe(4000);
    expect(notes.length).toBe(2);
    expect(notes[0]).toMatch(new RegExp(`^clickhouse://127\\.0\\.0\\.1:${ch!.httpPort}/sink: export paused, the server does not take rows \\(.*ECONNREFUSED.*\\); retrying, up to 5000 rows are kept meanwhile$`));
    expect(notes[1]).toMatch(new RegExp(`^clickhouse://127\\.0\\.0\\.1:${ch!.httpPort}/sink: export resumed after \\d+\\.\\d s$`));
  });

  it('beyond the cap: rows dropped and counted, the rest delivered after the restart', async () => {
    const x = new LiveExporter(client, url, { bufferRows: 1000, batchRows: 400, backoffMinMs: 50, backoffMaxMs: 200 });
    await ch!.kill();
    x.push('flows', rowsOf('capped', 0, 700));
    x.push('flows', rowsOf('capped', 700, 700));
    x.push('channel_health', []);
    expect(x.snapshot()).toMatchObject({ buffered: 1000, dropped: { flows: 400 } });
    await ch!.restart();
    const s = await x.close(15_000);
    expect(s).toMatchObject({ exported: { flows: 1000 }, dropped: { flows: 400 }, buffered: 0 });
    expect(await count('capped')).toBe(1000);
    // The first 1000 pushed are those kept.
    expect((await ch!.query("SELECT min(client_port), max(client_port) FROM sink.flows WHERE sensor = 'capped'")).trim()).toBe('10000\t10999');
  });

  it('close() while the server stays away: gives up after its grace, what is left counted as buffered', async () => {
    const x = new LiveExporter(client, url, { bufferRows: 100, backoffMinMs: 50, backoffMaxMs: 100 });
    await ch!.kill();
    try {
      x.push('flows', rowsOf('gone', 0, 30));
      const t = Date.now();
      const s = await x.close(500);
      expect(Date.now() - t).toBeLessThan(1500);
      expect(s).toMatchObject({ exported: { flows: 0 }, buffered: 30, away: true });
      expect(s.lastError).toMatch(/ECONNREFUSED/);
    } finally {
      await ch!.restart();
    }
  });
});
