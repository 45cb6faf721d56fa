// Rows of the ClickHouse schema (src/export/schema.ts) built from an `analyze --flows -F json`
// summary, inserted as JSONEachRow over HTTP: lets the fleet report be tested against a store
// filled without the export sink.
import { microsFromIso as us } from '../../src/report/format.js';
import type { Summary } from '../../src/report/model.js';

const sec = (microsTs: number) => Math.floor(microsTs / 1e6);

export interface StoreRows {
  runs: Record<string, unknown>[];
  flows: Record<string, unknown>[];
  channel_health: Record<string, unknown>[];
}

/** The rows one sensor's run writes; `s` must list every flow (--flows). */
export function storeRows(s: Summary, sensor: string, runId: string): StoreRows {
  if (!s.allFlows) throw new Error('storeRows needs a summary made with --flows');
  const first = s.input.firstSeen === null ? 0 : sec(us(s.input.firstSeen));
  const last = s.input.lastSeen === null ? 0 : sec(us(s.input.lastSeen));
  const runs = [
    {
      sensor,
      run_id: runId,
      started: first,
      ended: last,
      files: s.input.files,
      packets: s.input.packets,
      bytes: s.input.bytes,
      malformed: s.input.malformed,
      flows: s.flows.length,
      overflow_flows: s.input.flowTable.overflowFlows,
      overflow_packets: s.input.flowTable.overflowPackets,
      max_flows: s.input.flowTable.maxFlows,
    },
  ];
  const flows = s.flows.map((f) => ({
    sensor,
    run_id: runId,
    file: s.input.files[0] ?? '',
    first_seen: sec(us(f.firstSeen)),
    first_seen_us: us(f.firstSeen),
    last_seen: sec(us(f.lastSeen)),
    last_seen_us: us(f.lastSeen),
    transport: f.transport,
    client: f.client,
    server: f.server,
    client_port: f.clientPort,
    server_port: f.serverPort,
    ip_protocol: f.ipProtocol,
    ethertype: f.ethertype,
    packets: f.packets,
    bytes: f.bytes,
    client_packets: f.clientPackets,
    server_packets: f.serverPackets,
    client_bytes: f.clientBytes,
    server_bytes: f.serverBytes,
    icmp_errors: f.icmpErrors,
    state: f.state,
    section: f.section,
    entries: f.entries,
    direction: f.direction,
    app: f.app,
    verdict: f.verdict,
    reason: f.reason,
    detail: f.detail,
    community_id: f.communityId,
    record: JSON.stringify(f),
  }));
  const channel_health = s.timeline.channels.flatMap((c) =>
    c.buckets.map((b) => ({
      sensor,
      run_id: runId,
      interval_start: sec(us(b.start)),
      interval_start_us: us(b.start),
      interval_seconds: s.timeline.intervalSeconds,
      entry: c.entry,
      client: c.client,
      server: c.server,
      flows: b.flows,
      started: b.started,
      failed: b.failed,
      warnings: b.warnings,
    })),
  );
  return { runs, flows, channel_health };
}

/** Inserts the rows into DATABASE over ClickHouse's HTTP interface at `httpUrl`. */
export async function insertRows(httpUrl: string, database: string, rows: StoreRows): Promise<void> {
  for (const [table, list] of Object.entries(rows) as [string, Record<string, unknown>[]][]) {
    if (list.length === 0) continue;
    const query = encodeURIComponent(`INSERT INTO ${database}.${table} FORMAT JSONEachRow`);
    const r = await fetch(`${httpUrl}/?query=${query}`, { method: 'POST', body: list.map((x) => JSON.stringify(x)).join('\n') });
    if (!r.ok) throw new Error(`insert into ${table}: ${r.status} ${await r.text()}`);
  }
}
