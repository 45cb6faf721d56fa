// `pantap report --from clickhouse://HOST:PORT/DATABASE`: the summary of what sensors
// exported (analyze/live --export), aggregated by ClickHouse (export/fleet-report.ts) and
// rendered by the renderers `analyze` uses. Exit codes: 0 done, 1 when a --fail-on condition
// holds, 2 usage error or a store that cannot be read (unreachable, no pantap tables, a newer
// schema): one line naming the URL without its password.
import type { ClickHouseClient } from '@clickhouse/client';
import { loadCatalog } from '../catalog/load.js';
import { ArgumentError, StoreError } from '../errors.js';
import { parseStoreUrl, type StoreUrl } from '../export/clickhouse-url.js';
import { connectStore, storeClient, storeError } from '../export/client.js';
import { fleetSummary, unknownEntries, unknownSensors, type StoreReader } from '../export/fleet-report.js';
import { checkSchemaReadable } from '../export/schema.js';
import type { TimeBound } from '../pipeline/filter.js';
import { INTERVAL_NAMES } from '../report/timeline.js';
import { checkFailOn, checkOutput, emit, failOnHolds, waitInterrupted, type CliIo } from './analyze-command.js';

export interface ReportCliOptions {
  from: string;
  sensor: string[];
  since?: TimeBound;
  until?: TimeBound;
  format: string;
  output?: string;
  top: number;
  maxListed: number;
  maxChannels: number;
  interval?: string;
  catalog?: string;
  failOn: string[];
  allEntries?: boolean;
  color: boolean;
}

/** How long one aggregate query may keep the socket silent (ms). */
const QUERY_TIMEOUT_MS = 600_000;

/** An absolute --since/--until in µs since the epoch; `+SECONDS` (relative to a capture's first packet) has no meaning for a store. */
function boundUs(option: string, b: TimeBound | undefined): number | null {
  if (b === undefined) return null;
  if (b.relative) throw new ArgumentError(`${option} +SECONDS counts from a capture's first packet; a store has none: give an ISO-8601 time with a zone (2026-11-24T10:15:00Z)`);
  return b.sec * 1e6 + Math.floor(b.nsec / 1000);
}

/** A StoreReader over the client: every failed query is one StoreError naming the URL. */
function reader(client: ClickHouseClient, url: StoreUrl): StoreReader {
  return {
    async select(sql) {
      try {
        const rs = await client.query({ query: sql, format: 'JSONEachRow' });
        return await rs.json<Record<string, unknown>>();
      } catch (err) {
        throw storeError(url, 'query failed', err);
      }
    },
  };
}

export async function runReport(opts: ReportCliOptions, io: CliIo, signal: AbortSignal): Promise<number> {
  checkFailOn(opts.failOn);
  const sinceUs = boundUs('--since', opts.since);
  const untilUs = boundUs('--until', opts.until);
  if (sinceUs !== null && untilUs !== null && sinceUs >= untilUs) throw new ArgumentError('--since must be before --until');
  checkOutput(opts, io);
  const url = parseStoreUrl(opts.from);
  const catalog = loadCatalog(opts.catalog);
  // Reached with the short timeout (an unreachable server is said at once), then queried with
  // a long one: a GROUP BY over a large store sends nothing until it has its first rows.
  await (await connectStore(url)).close();
  const client = storeClient(url, { requestTimeoutMs: QUERY_TIMEOUT_MS });
  let summary;
  try {
    await checkSchemaReadable(client, url);
    const store = reader(client, url);
    for (const s of await unknownSensors(store, url.database, opts.sensor)) io.warn(`${url.shown}: no run of sensor '${s}' in the store`);
    const filter = { sensors: opts.sensor, sinceUs, untilUs };
    const unknown = await unknownEntries(store, url.database, catalog, filter);
    if (unknown.length > 0) io.warn(`${url.shown}: flows matched catalog entries this catalog does not have (${unknown.join(', ')}): they count in their sections only; give --catalog as the sensors did`);
    summary = await fleetSummary(store, url.database, catalog, filter, {
      topPairs: opts.top,
      maxListed: opts.maxListed,
      maxChannels: opts.maxChannels,
      interval: opts.interval === undefined ? null : INTERVAL_NAMES[opts.interval],
    });
  } catch (err) {
    if (err instanceof StoreError) throw err;
    throw storeError(url, 'cannot build the report', err);
  } finally {
    await client.close().catch(() => undefined);
  }
  if (!(await emit(summary, opts, io, signal))) return waitInterrupted(`-o ${opts.output}`, io, signal);
  return failOnHolds(summary, opts.failOn) ? 1 : 0;
}
