// The rows pantap writes to the store (schema.ts): one per flow, one per channel and
// interval of the timeline, one per run (or per live flush). Built from classified flows
// with the same functions the other outputs use: a flow row's `record` is the flow record
// exactly as JSON `flows[]` and --flows-ndjson render it (orderedFlow); channel health is
// counted with the timeline's ChannelTimeline, so it equals the summary's timeline.
import type { Catalog } from '../catalog/schema.js';
import type { ClassifiedFlow } from '../classify/classify.js';
import { flowRecord, orderedFlow } from '../report/flow-record.js';
import { microsFromIso } from '../report/format.js';
import type { Summary } from '../report/model.js';
import { ChannelTimeline } from '../report/timeline.js';

/** Who wrote a row: the sensor (--sensor) and the run (a random id per analyze or live run). */
export interface RowContext {
  sensor: string;
  runId: string;
}

/** The source file of a flow (the file of its first packet), from its first record number. */
export type FileOfSeq = (seq: number) => string;

export interface FlowRow {
  sensor: string;
  run_id: string;
  file: string;
  first_seen: number;
  first_seen_us: number;
  last_seen: number;
  last_seen_us: number;
  transport: string;
  client: string;
  server: string;
  client_port: number | null;
  server_port: number | null;
  ip_protocol: number | null;
  ethertype: number | null;
  packets: number;
  bytes: number;
  client_packets: number;
  server_packets: number;
  client_bytes: number;
  server_bytes: number;
  icmp_errors: number;
  state: string | null;
  section: string;
  entries: string[];
  direction: string;
  app: string | null;
  verdict: string;
  reason: string | null;
  detail: string | null;
  community_id: string | null;
  record: string;
  /** ICMPv6 neighbour/router discovery or MLD (ClassifiedFlow.infrastructure), else null. */
  infrastructure: string | null;
}

export interface HealthRow {
  sensor: string;
  run_id: string;
  interval_start: number;
  interval_start_us: number;
  interval_seconds: number;
  entry: string;
  client: string;
  server: string;
  flows: number;
  started: number;
  failed: number;
  warnings: number;
}

export interface RunRow {
  sensor: string;
  run_id: string;
  started: number;
  ended: number;
  files: string[];
  packets: number;
  bytes: number;
  malformed: number;
  flows: number;
  overflow_flows: number;
  overflow_packets: number;
  /** The flow table bound of the run (--max-flows). */
  max_flows: number;
}

/** The range of ClickHouse's DateTime (UInt32 seconds): 1970 to 2106. */
const DATETIME_MAX = 4_294_967_295;

/**
 * DateTime columns take whole seconds since the epoch (JSONEachRow numbers; no time zone
 * involved), held to DateTime's range: a hostile capture's timestamps would wrap around
 * (18.16) or be refused. The exact time is in the Int64 microsecond column beside.
 */
const seconds = (us: number): number => Math.min(DATETIME_MAX, Math.max(0, Math.floor(us / 1e6)));

export function flowRow(ctx: RowContext, f: ClassifiedFlow, catalog: Catalog, fileOf: FileOfSeq): FlowRow {
  const r = flowRecord(f, catalog);
  return {
    sensor: ctx.sensor,
    run_id: ctx.runId,
    file: fileOf(f.firstSeq),
    first_seen: seconds(f.firstTs),
    first_seen_us: f.firstTs,
    last_seen: seconds(f.lastTs),
    last_seen_us: f.lastTs,
    transport: r.transport,
    client: r.client,
    server: r.server,
    client_port: r.clientPort,
    server_port: r.serverPort,
    ip_protocol: r.ipProtocol,
    ethertype: r.ethertype,
    packets: r.packets,
    bytes: r.bytes,
    client_packets: r.clientPackets,
    server_packets: r.serverPackets,
    client_bytes: r.clientBytes,
    server_bytes: r.serverBytes,
    icmp_errors: r.icmpErrors,
    state: r.state,
    section: r.section,
    entries: r.entries,
    direction: r.direction,
    app: r.app ?? null,
    verdict: r.verdict,
    reason: r.reason ?? null,
    detail: r.detail ?? null,
    community_id: r.communityId ?? null,
    record: JSON.stringify(orderedFlow(r)),
    infrastructure: f.infrastructure ?? null,
  };
}

/**
 * Channel health of flows at `widthS`-second intervals: per catalog entry × client →
 * server, flows active, started, failed and with warnings per interval, as the summary's
 * timeline counts them (ChannelTimeline). The counts add up over disjoint sets of flows
 * (live exports each period's flows; several sensors export theirs), so the store's sum
 * per channel and interval is the timeline of all of them.
 */
export class HealthCounter {
  private channels = new Map<string, { entry: string; client: string; server: string; t: ChannelTimeline }>();

  constructor(private readonly catalog: Catalog) {}

  add(flows: readonly ClassifiedFlow[]): void {
    for (const f of flows) {
      for (const i of f.entries) {
        const entry = this.catalog.entries[i].id;
        const key = `${entry}\u0000${f.client}\u0000${f.server}`;
        let c = this.channels.get(key);
        if (c === undefined) this.channels.set(key, (c = { entry, client: f.client, server: f.server, t: new ChannelTimeline() }));
        c.t.add(f.firstTs, f.lastTs, f.verdict);
      }
    }
  }

  /** The rows of what was added since the last take(), which starts over. */
  take(ctx: RowContext, widthS: number): HealthRow[] {
    const rows: HealthRow[] = [];
    for (const c of this.channels.values()) {
      // The latest MAX_CHANNEL_BUCKETS intervals per channel, as the summary lists (a hostile
      // capture spanning decades must not become billions of rows).
      for (const b of c.t.buckets(widthS).buckets) {
        const us = microsFromIso(b.start);
        rows.push({ sensor: ctx.sensor, run_id: ctx.runId, interval_start: seconds(us), interval_start_us: us, interval_seconds: widthS, entry: c.entry, client: c.client, server: c.server, flows: b.flows, started: b.started, failed: b.failed, warnings: b.warnings });
      }
    }
    this.channels = new Map();
    return rows;
  }
}

/** Channel health rows of these flows (HealthCounter once). */
export function healthRows(ctx: RowContext, flows: readonly ClassifiedFlow[], catalog: Catalog, widthS: number): HealthRow[] {
  const h = new HealthCounter(catalog);
  h.add(flows);
  return h.take(ctx, widthS);
}

/** What a run counted (its summary's input totals, or a live capture's so far). */
export interface RunCounters {
  packets: number;
  bytes: number;
  malformed: number;
  flows: number;
  overflowFlows: number;
  overflowPackets: number;
  maxFlows: number;
}

/** The run's row from its counters: totals of its input, wall-clock start and end. */
export function runRowOf(ctx: RowContext, c: RunCounters, startedMs: number, endedMs: number, files: readonly string[]): RunRow {
  return {
    sensor: ctx.sensor,
    run_id: ctx.runId,
    started: Math.floor(startedMs / 1000),
    ended: Math.floor(endedMs / 1000),
    files: [...files],
    packets: c.packets,
    bytes: c.bytes,
    malformed: c.malformed,
    flows: c.flows,
    overflow_flows: c.overflowFlows,
    overflow_packets: c.overflowPackets,
    max_flows: c.maxFlows,
  };
}

/** The run's row from its summary: totals of its input, wall-clock start and end. */
export function runRow(ctx: RowContext, summary: Summary, startedMs: number, endedMs: number, files: readonly string[]): RunRow {
  const i = summary.input;
  const t = i.flowTable;
  return runRowOf(ctx, { packets: i.packets, bytes: i.bytes, malformed: i.malformed, flows: t.flows, overflowFlows: t.overflowFlows, overflowPackets: t.overflowPackets, maxFlows: t.maxFlows }, startedMs, endedMs, files);
}
