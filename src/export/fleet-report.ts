// The fleet summary: `pantap report --from clickhouse://…` reads what `analyze`/`live
// --export` stored (schema.ts) and fills the same Summary the renderers print, aggregated in
// ClickHouse: sections GROUP BY section, entries and channels over ARRAY JOIN entries,
// failures GROUP BY entry × pair × reason × outcome with LIMIT … BY, the timeline from
// channel_health re-bucketed to one width. Node receives aggregates, never every flow: only
// the listed flows (unexpected, failed, warning; most bytes first, LIMIT --max-listed) come
// back as their stored records. Health lines are made by report/health.ts from the channels'
// counts, so their status and reason rules are the ones `analyze` uses.
//
// What the store cannot give is filled honestly, never invented: input.details has one line
// per sensor (its runs, files and packets), not files with their formats; link types,
// malformed reasons, fragments and payload inspection are not stored (0 / empty); the flow
// table's bound is the largest of the runs' --max-flows; HA cadence (heartbeat series),
// roles evidence and the gaps of long-lived sessions are not stored (empty lists).
//
// Every query runs on ClickHouse 18.16 and current releases: no query parameters (values are
// literals escaped by @clickhouse/client's own formatter, or numbers), no DateTime64 (times
// are the Int64 microsecond columns), no LowCardinality, no newer functions. The formatter
// (formatQueryParams, what the library itself uses for query parameters) is not re-exported by
// the package's index: it is imported from its file, and test/export/fleet-report.test.ts
// pins what it makes of quotes, backslashes and newlines.
import { formatQueryParams } from '@clickhouse/client/dist/common/data_formatter/format_query_params.js';
import type { Catalog } from '../catalog/schema.js';
import { channelStatus, REASON_RANK, REASONS, SECTION_ORDER, type FlowState, type ReasonCode } from '../classify/vocabulary.js';
import { entryIdentity, pairOrder, pairSummary, topN } from '../report/accumulate.js';
import { cmp, isoMicros, microsFromIso } from '../report/format.js';
import { DEFAULT_MAX_CHANNELS, healthLine, healthOmitted, sortHealth, statusRank, type PairHealth } from '../report/health.js';
import type { EntrySummary, FlowRecord, HealthLine, InputSummary, PairSummary, SectionSummary, Summary, TimelineBucket, TimelineChannel } from '../report/model.js';
import { ethertypeName } from '../report/names.js';
import { defaultInterval, MAX_CHANNEL_BUCKETS, MAX_TIMELINE_BUCKETS } from '../report/timeline.js';
import { q, TABLES } from './schema.js';

/** Runs one SELECT (no FORMAT clause) and resolves its rows as JSON objects (UInt64/Int64 may come as strings). */
export interface StoreReader {
  select(sql: string): Promise<Record<string, unknown>[]>;
}

/** Which flows the report covers. */
export interface FleetFilter {
  /** --sensor names; empty: every sensor. */
  sensors: readonly string[];
  /** --since (µs since the epoch, inclusive): flows whose last packet is at or after it. */
  sinceUs: number | null;
  /** --until (µs, exclusive): flows whose first packet is before it. */
  untilUs: number | null;
}

export interface FleetOptions {
  /** Client → server pairs (and failures) listed per entry. */
  topPairs: number;
  /** Unexpected/failed/warning flows listed at most (most bytes first). */
  maxListed: number;
  /** Channels listed in the health list and timeline at most (--max-channels; the worst kept); absent: DEFAULT_MAX_CHANNELS. */
  maxChannels?: number;
  /** Timeline width in seconds (a ladder width); null: the default over the flows' span, at least the widest stored. */
  interval?: number | null;
}

/** A literal for SQL, escaped by the client library's own formatter (strings quoted). */
export function sqlLiteral(v: string | number | readonly string[]): string {
  return formatQueryParams({ value: v, wrapStringInQuotes: true, printNullAsKeyword: true });
}

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v));

/** The flows the filter selects, as a WHERE condition (always true without one). */
export function flowCondition(f: FleetFilter): string {
  const parts: string[] = [];
  if (f.sensors.length > 0) parts.push(`sensor IN (${f.sensors.map((s) => sqlLiteral(s)).join(', ')})`);
  if (f.sinceUs !== null) parts.push(`last_seen_us >= ${Math.floor(f.sinceUs)}`);
  // first_seen (seconds, in the sort key and the partition key) lets ClickHouse skip parts.
  if (f.untilUs !== null) parts.push(`first_seen_us < ${Math.floor(f.untilUs)} AND first_seen <= toDateTime(${Math.floor(f.untilUs / 1e6)})`);
  return parts.length === 0 ? '1' : parts.join(' AND ');
}

/** channel_health rows of the selected sensors whose interval overlaps the window. */
function healthCondition(f: FleetFilter): string {
  const parts: string[] = [];
  if (f.sensors.length > 0) parts.push(`sensor IN (${f.sensors.map((s) => sqlLiteral(s)).join(', ')})`);
  if (f.sinceUs !== null) parts.push(`interval_start_us + toInt64(interval_seconds) * 1000000 > ${Math.floor(f.sinceUs)}`);
  if (f.untilUs !== null) parts.push(`interval_start_us < ${Math.floor(f.untilUs)}`);
  return parts.length === 0 ? '1' : parts.join(' AND ');
}

/** Counts of a group of flows, as every aggregate query below returns them. */
const COUNTS = `count() AS n_flows, sum(packets) AS n_packets, sum(bytes) AS n_bytes, countIf(verdict = 'failed') AS n_failed, countIf(verdict = 'warning') AS n_degraded, min(first_seen_us) AS lo, max(last_seen_us) AS hi`;

/** A group's counts, as a section has them. */
type Counts = Pick<SectionSummary, 'flows' | 'packets' | 'bytes' | 'failed' | 'degraded' | 'firstSeen' | 'lastSeen'>;

function counts(r: Record<string, unknown> | undefined): Counts {
  if (r === undefined || num(r.n_flows) === 0) return { flows: 0, packets: 0, bytes: 0, failed: 0, degraded: 0, firstSeen: null, lastSeen: null };
  return { flows: num(r.n_flows), packets: num(r.n_packets), bytes: num(r.n_bytes), failed: num(r.n_failed), degraded: num(r.n_degraded), firstSeen: isoMicros(num(r.lo)), lastSeen: isoMicros(num(r.hi)) };
}

/** ipv6Infrastructure's kinds, in the summary's order. */
const INFRASTRUCTURE = ['neighbor-discovery', 'router-discovery', 'mld'] as const;


/** Of `names`, those no run in the store's database `db` was exported under. */
export async function unknownSensors(store: StoreReader, db: string, names: readonly string[]): Promise<string[]> {
  if (names.length === 0) return [];
  const rows = await store.select(`SELECT DISTINCT sensor FROM ${q(db)}.${TABLES.runs} WHERE sensor IN (${names.map((n) => sqlLiteral(n)).join(', ')})`);
  const known = new Set(rows.map((r) => str(r.sensor)));
  return names.filter((n) => !known.has(n));
}

/**
 * Entries the selected flows matched that `catalog` does not have (the sensors used a
 * --catalog override the report was not given): their flows count in the sections but in no
 * entry or health line.
 */
export async function unknownEntries(store: StoreReader, db: string, catalog: Catalog, filter: FleetFilter): Promise<string[]> {
  const ids = catalog.entries.map((e) => e.id);
  const rows = await store.select(
    `SELECT DISTINCT entry FROM ${q(db)}.${TABLES.flows} ARRAY JOIN entries AS entry WHERE ${flowCondition(filter)} AND NOT has(${sqlLiteral(ids)}, entry) ORDER BY entry LIMIT 20`,
  );
  return rows.map((r) => str(r.entry));
}

/** The whole fleet summary from the store's database `db` (checked readable: schema.ts checkSchemaReadable). */
export async function fleetSummary(store: StoreReader, db: string, catalog: Catalog, filter: FleetFilter, opts: FleetOptions): Promise<Summary> {
  const d = q(db);
  const where = flowCondition(filter);
  const flowsFrom = `FROM ${d}.${TABLES.flows} WHERE ${where}`;
  const entryFrom = `FROM ${d}.${TABLES.flows} ARRAY JOIN entries AS entry WHERE ${where}`;
  const listedWhere = `(section = 'unexpected' OR verdict != 'ok')`;

  const [totals, sectionRows, entryRows, pairRows, reasonRows, failureRows, failureCounts, listedRows, otherRows, nonIpRows, infraRows] = await Promise.all([
    store.select(`SELECT ${COUNTS}, countIf(${listedWhere}) AS selected ${flowsFrom}`),
    store.select(`SELECT section, ${COUNTS} ${flowsFrom} GROUP BY section`),
    store.select(`SELECT entry, ${COUNTS} ${entryFrom} GROUP BY entry`),
    // Every channel (entry × client → server): the health list is exact, and pairs are its top N.
    store.select(
      `SELECT entry, client, server, ${COUNTS}, maxIf(last_seen_us, verdict != 'failed') AS last_success, maxIf(last_seen_us, verdict = 'failed') AS last_failure ` +
        `${entryFrom} GROUP BY entry, client, server`,
    ),
    store.select(`SELECT entry, client, server, assumeNotNull(reason) AS why, count() AS n_flows ${entryFrom} AND verdict != 'ok' AND isNotNull(reason) GROUP BY entry, client, server, why`),
    // The top failures per entry in the order of analyze's list (flows, client, server, reason's rank, outcome).
    store.select(
      `SELECT entry, client, server, assumeNotNull(reason) AS why, ifNull(state, '') AS outcome, count() AS n_flows ${entryFrom} AND verdict = 'failed' AND isNotNull(reason) ` +
        `GROUP BY entry, client, server, why, outcome ORDER BY entry, n_flows DESC, client, server, indexOf(${sqlLiteral(REASONS)}, why), outcome LIMIT ${opts.topPairs} BY entry`,
    ),
    store.select(
      `SELECT entry, count() AS n FROM (SELECT entry, client, server, reason, ifNull(state, '') AS outcome ${entryFrom} AND verdict = 'failed' GROUP BY entry, client, server, reason, outcome) GROUP BY entry`,
    ),
    store.select(`SELECT record ${flowsFrom} AND ${listedWhere} ORDER BY bytes DESC, first_seen_us, sensor, client, server LIMIT ${opts.maxListed}`),
    store.select(`SELECT ${COUNTS} ${flowsFrom} AND section = 'other' AND transport != 'ethertype' AND isNull(infrastructure)`),
    store.select(`SELECT assumeNotNull(ethertype) AS et, ${COUNTS} ${flowsFrom} AND transport = 'ethertype' AND empty(entries) AND isNotNull(ethertype) GROUP BY et ORDER BY et`),
    store.select(`SELECT assumeNotNull(infrastructure) AS kind, ${COUNTS} ${flowsFrom} AND isNotNull(infrastructure) GROUP BY kind`),
  ]);
  const all = counts(totals[0]);
  const input = await fleetInput(store, d, filter, all);

  // Sections, in report order.
  const sectionTitles = new Map(catalog.sections.map((s) => [s.id as string, s.title]));
  sectionTitles.set('unexpected', 'Unexpected (matches no catalog entry)');
  const bySection = new Map(sectionRows.map((r) => [str(r.section), r]));
  const sections: SectionSummary[] = SECTION_ORDER.map((id) => ({ id, title: sectionTitles.get(id) ?? id, ...counts(bySection.get(id)) }));

  // Channels: per entry, every pair with its health counts and reasons.
  const reasonsOf = new Map<string, Uint32Array>();
  const key = (r: Record<string, unknown>) => `${str(r.entry)}\u0000${str(r.client)}\u0000${str(r.server)}`;
  for (const r of reasonRows) {
    const i = REASON_RANK.get(str(r.why));
    if (i === undefined) continue; // a reason of a newer release: not one this one can name
    let a = reasonsOf.get(key(r));
    if (a === undefined) reasonsOf.set(key(r), (a = new Uint32Array(REASONS.length)));
    a[i] += num(r.n_flows);
  }
  interface Channel {
    client: string;
    server: string;
    packets: number;
    bytes: number;
    health: PairHealth;
  }
  const channels = new Map<string, Channel[]>();
  for (const r of pairRows) {
    const flows = num(r.n_flows);
    const failed = num(r.n_failed);
    const health: PairHealth = {
      flows,
      failed,
      degraded: num(r.n_degraded),
      lastSuccess: flows > failed ? num(r.last_success) : -Infinity,
      lastFailure: failed > 0 ? num(r.last_failure) : -Infinity,
      reasons: reasonsOf.get(key(r)) ?? null,
    };
    const entry = str(r.entry);
    let list = channels.get(entry);
    if (list === undefined) channels.set(entry, (list = []));
    list.push({ client: str(r.client), server: str(r.server), packets: num(r.n_packets), bytes: num(r.n_bytes), health });
  }

  const byEntry = new Map(entryRows.map((r) => [str(r.entry), r]));
  const failuresBy = new Map<string, EntrySummary['failures']>();
  for (const r of failureRows) {
    const entry = str(r.entry);
    let list = failuresBy.get(entry);
    if (list === undefined) failuresBy.set(entry, (list = []));
    const outcome = str(r.outcome);
    list.push({ client: str(r.client), server: str(r.server), reason: str(r.why) as ReasonCode, state: outcome === '' ? null : (outcome as FlowState), flows: num(r.n_flows) });
  }
  const failureCount = new Map(failureCounts.map((r) => [str(r.entry), num(r.n)]));
  const entries: EntrySummary[] = catalog.entries.map((e) => {
    const c = counts(byEntry.get(e.id));
    const list = channels.get(e.id) ?? [];
    const pairs: PairSummary[] = topN(list, opts.topPairs, pairOrder).map(pairSummary);
    return {
      ...entryIdentity(e),
      flows: c.flows,
      packets: c.packets,
      bytes: c.bytes,
      failed: c.failed,
      status: channelStatus(c.flows, c.failed, c.degraded),
      degraded: c.degraded,
      firstSeen: c.firstSeen,
      lastSeen: c.lastSeen,
      pairs,
      pairCount: list.length,
      failures: failuresBy.get(e.id) ?? [],
      failureCount: failureCount.get(e.id) ?? 0,
    };
  });

  // The health list: every channel of a known entry, by health.ts's own rules and order.
  const entryRank = new Map(catalog.entries.map((e, i) => [e.id, i]));
  const health: HealthLine[] = [];
  for (const [entry, list] of channels) if (entryRank.has(entry)) for (const p of list) health.push(healthLine(entry, p.client, p.server, p.health));
  sortHealth(health, entryRank);
  // --max-channels: the worst are listed (health and timeline), the rest counted per status.
  const maxChannels = opts.maxChannels ?? DEFAULT_MAX_CHANNELS;
  const byRank = [0, 0, 0, 0];
  for (const h of health.slice(maxChannels)) byRank[statusRank(h.flows, h.failed, h.degraded)]++;
  const omitted = healthOmitted(byRank);
  health.length = Math.min(health.length, maxChannels);
  const listedChannels = new Set(health.map((h) => `${h.entry}\u0000${h.client}\u0000${h.server}`));

  const timeline = await fleetTimeline(store, d, filter, catalog, input, opts.interval ?? null, listedChannels, omitted?.channels ?? 0);
  const listed = listedRows.map((r) => JSON.parse(str(r.record)) as FlowRecord);
  const other = counts(otherRows[0]);
  return {
    schema: 'pantap.summary.v1',
    input,
    sections,
    entries,
    health,
    ...(omitted ? { healthOmitted: omitted } : {}),
    flows: listed,
    other: { flows: other.flows, packets: other.packets, bytes: other.bytes },
    nonIp: nonIpRows.map((r) => ({ ethertype: num(r.et), name: ethertypeName(num(r.et)), flows: num(r.n_flows), packets: num(r.n_packets), bytes: num(r.n_bytes) })),
    ipv6Infrastructure: INFRASTRUCTURE.flatMap((kind) => {
      const r = infraRows.find((x) => str(x.kind) === kind);
      return r === undefined ? [] : [{ kind, flows: num(r.n_flows), packets: num(r.n_packets), bytes: num(r.n_bytes) }];
    }),
    roles: [],
    allFlows: false,
    flowsOmitted: num(totals[0]?.selected ?? 0) - listed.length,
    ha: { heartbeats: [] },
    timeline,
  };
}

/** Files named per sensor in `input.details` before "+N more". */
const FILES_SHOWN = 5;

/**
 * The `input` part, one `details` line per sensor (its runs, files and packets): the runs of
 * the selected sensors, with a window those with flows in it. Without a window, packets,
 * bytes and malformed are the runs' totals; with one, packets and bytes are those of the
 * flows in the window, `filter.filteredOut` the packets of the sensors' flows outside it, and
 * malformed and overflow counts those of the runs with flows in it.
 */
async function fleetInput(store: StoreReader, d: string, filter: FleetFilter, all: Counts): Promise<InputSummary> {
  const windowed = filter.sinceUs !== null || filter.untilUs !== null;
  const sensorCond = filter.sensors.length > 0 ? `sensor IN (${filter.sensors.map((s) => sqlLiteral(s)).join(', ')})` : '1';
  const runCond = windowed ? `${sensorCond} AND (sensor, run_id) IN (SELECT DISTINCT sensor, run_id FROM ${d}.${TABLES.flows} WHERE ${flowCondition(filter)})` : sensorCond;
  const [sensors, outside] = await Promise.all([
    // A live run writes a row of its counters so far every few seconds: counters only grow, so
    // each run's max is its latest row; then the runs add up per sensor.
    store.select(
      `SELECT sensor, count() AS n_runs, groupUniqArrayArray(run_files) AS all_files, sum(run_packets) AS n_packets, sum(run_bytes) AS n_bytes, sum(run_malformed) AS n_malformed, ` +
        `sum(run_overflow_flows) AS n_overflow_flows, sum(run_overflow_packets) AS n_overflow_packets, max(run_max_flows) AS n_max_flows FROM (` +
        `SELECT sensor, run_id, groupUniqArrayArray(files) AS run_files, max(packets) AS run_packets, max(bytes) AS run_bytes, max(malformed) AS run_malformed, ` +
        `max(overflow_flows) AS run_overflow_flows, max(overflow_packets) AS run_overflow_packets, max(max_flows) AS run_max_flows FROM ${d}.${TABLES.runs} WHERE ${runCond} GROUP BY sensor, run_id` +
        `) GROUP BY sensor ORDER BY sensor`,
    ),
    windowed ? store.select(`SELECT sum(packets) AS n_packets FROM ${d}.${TABLES.flows} WHERE ${sensorCond} AND NOT (${flowCondition({ ...filter, sensors: [] })})`) : Promise.resolve([]),
  ]);
  const sum = (k: string) => sensors.reduce((a, r) => a + num(r[k]), 0);
  const packets = windowed ? all.packets : sum('n_packets');
  const bytes = windowed ? all.bytes : sum('n_bytes');
  const filesOf = (r: Record<string, unknown>) => [...(r.all_files as string[])].sort(cmp);
  return {
    files: sensors.flatMap((r) => filesOf(r).map((f) => `${str(r.sensor)}:${f}`)),
    packets,
    bytes,
    malformed: sum('n_malformed'),
    truncated: false,
    capturedBytes: bytes,
    firstSeen: all.firstSeen,
    lastSeen: all.lastSeen,
    details: sensors.map((r) => {
      const files = filesOf(r);
      const more = files.length > FILES_SHOWN ? `, +${files.length - FILES_SHOWN} more` : '';
      const runs = num(r.n_runs);
      return {
        file: `sensor ${str(r.sensor)}, ${runs} run${runs === 1 ? '' : 's'}${files.length > 0 ? `: ${files.slice(0, FILES_SHOWN).join(', ')}${more}` : ''}`,
        format: null,
        gzip: false,
        packets: num(r.n_packets),
        truncatedAt: null,
        error: null,
        warnings: [],
      };
    }),
    linktypes: [],
    malformedReasons: [],
    fragments: { attributed: 0, orphans: 0, dropped: 0 },
    flowTable: { flows: all.flows, maxFlows: sensors.reduce((a, r) => Math.max(a, num(r.n_max_flows)), 0), overflowFlows: sum('n_overflow_flows'), overflowPackets: sum('n_overflow_packets') },
    inspection: { flows: 0, bytesKept: 0, capHit: 0 },
    ...(windowed
      ? {
          filter: {
            bpf: null,
            hosts: [],
            since: filter.sinceUs === null ? null : isoMicros(filter.sinceUs),
            until: filter.untilUs === null ? null : isoMicros(filter.untilUs),
            count: null,
            filteredOut: num(outside[0]?.n_packets ?? 0),
            stoppedEarly: false,
          },
        }
      : {}),
  };
}

/**
 * The timeline from channel_health: each run's buckets re-bucketed to one width W (the
 * default over the report's span, and at least the widest width stored), as rebucket() does:
 * flows active in a W interval are those active in its first stored interval plus those that
 * started in its later ones; started, failed and warnings add up.
 */
async function fleetTimeline(
  store: StoreReader,
  d: string,
  filter: FleetFilter,
  catalog: Catalog,
  input: InputSummary,
  interval: number | null,
  listed: ReadonlySet<string>,
  omitted: number,
): Promise<Summary['timeline']> {
  const where = healthCondition(filter);
  const widest = await store.select(`SELECT max(interval_seconds) AS widest FROM ${d}.${TABLES.channelHealth} WHERE ${where}`);
  const lo = input.firstSeen === null ? NaN : microsFromIso(input.firstSeen);
  const hi = input.lastSeen === null ? NaN : microsFromIso(input.lastSeen);
  const w = Math.max(interval ?? defaultInterval(lo, hi), num(widest[0]?.widest ?? 0));
  const wUs = w * 1_000_000;
  const rows = await store.select(
    `SELECT entry, client, server, intDiv(interval_start_us, ${wUs}) * ${wUs} AS bucket, sum(if(interval_start_us = bucket, flows, started)) AS b_flows, ` +
      `sum(started) AS b_started, sum(failed) AS b_failed, sum(warnings) AS b_warnings FROM ${d}.${TABLES.channelHealth} WHERE ${where} ` +
      `GROUP BY entry, client, server, bucket ORDER BY entry, client, server, bucket`,
  );
  const byChannel = new Map<string, { entry: string; client: string; server: string; buckets: TimelineBucket[] }>();
  for (const r of rows) {
    const k = `${str(r.entry)}\u0000${str(r.client)}\u0000${str(r.server)}`;
    let c = byChannel.get(k);
    if (c === undefined) byChannel.set(k, (c = { entry: str(r.entry), client: str(r.client), server: str(r.server), buckets: [] }));
    c.buckets.push({ start: isoMicros(num(r.bucket)), flows: num(r.b_flows), started: num(r.b_started), failed: num(r.b_failed), warnings: num(r.b_warnings) });
  }
  const rank = new Map(catalog.entries.map((e, i) => [e.id, i]));
  const list = [...byChannel.entries()]
    .filter(([k, c]) => rank.has(c.entry) && listed.has(k))
    .map(([, c]) => c)
    .sort((a, b) => rank.get(a.entry)! - rank.get(b.entry)! || cmp(a.client, b.client) || cmp(a.server, b.server));
  const channels: TimelineChannel[] = [];
  let budget = MAX_TIMELINE_BUCKETS;
  for (const c of list) {
    const max = Math.min(MAX_CHANNEL_BUCKETS, budget);
    const kept = c.buckets.length > max ? c.buckets.slice(c.buckets.length - max) : c.buckets;
    budget -= kept.length;
    channels.push({ entry: c.entry, client: c.client, server: c.server, buckets: kept, gaps: [], clipped: c.buckets.length - kept.length });
  }
  return { intervalSeconds: w, channels, ...(omitted > 0 ? { channelsOmitted: omitted } : {}) };
}
