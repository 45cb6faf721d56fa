// The store's tables (the schema contract of issue 12; src/export and `report --from` both
// read it). Written for ClickHouse 18.16 and later: no DateTime64 (times are DateTime
// seconds plus an Int64 microsecond column), no LowCardinality, no JSON type (`record` is
// the flow record as JSON text), no query parameters (rows go as JSONEachRow data; the only
// identifier in SQL is the database name, checked by clickhouse-url.ts and backquoted).
// ensureSchema() creates the database and tables on first use and records SCHEMA_VERSION in
// `schema_version`; a store written by a newer pantap (a higher version) is refused.
// Beyond the contract's columns: flows.infrastructure (ICMPv6 neighbour/router discovery
// and MLD flows, which the flow record does not carry) and runs.max_flows (--max-flows).
import type { ClickHouseClient } from '@clickhouse/client';
import { StoreError } from '../errors.js';
import { storeError } from './client.js';
import type { StoreUrl } from './clickhouse-url.js';

/** The version of the tables below; bump it with a migration in ensureSchema(). */
export const SCHEMA_VERSION = 1;

/** Table names, for inserts and queries: `${q(db)}.${TABLES.flows}`. */
export const TABLES = { schemaVersion: 'schema_version', runs: 'runs', flows: 'flows', channelHealth: 'channel_health' } as const;

/** A backquoted identifier (names are checked before; backquotes doubled anyway). */
export const q = (name: string): string => `\`${name.replace(/`/g, '``')}\``;

/** The DDL, in order: database, then tables. Every statement is IF NOT EXISTS. */
export function schemaStatements(database: string): string[] {
  const db = q(database);
  return [
    `CREATE DATABASE IF NOT EXISTS ${db}`,
    `CREATE TABLE IF NOT EXISTS ${db}.${TABLES.schemaVersion} (
  version UInt32,
  applied DateTime
) ENGINE = MergeTree ORDER BY version`,
    `CREATE TABLE IF NOT EXISTS ${db}.${TABLES.runs} (
  sensor String,
  run_id String,
  started DateTime,
  ended DateTime,
  files Array(String),
  packets UInt64,
  bytes UInt64,
  malformed UInt64,
  flows UInt64,
  overflow_flows UInt64,
  overflow_packets UInt64,
  max_flows UInt64
) ENGINE = MergeTree PARTITION BY toYYYYMM(started) ORDER BY (sensor, started)`,
    `CREATE TABLE IF NOT EXISTS ${db}.${TABLES.flows} (
  sensor String,
  run_id String,
  file String,
  first_seen DateTime,
  first_seen_us Int64,
  last_seen DateTime,
  last_seen_us Int64,
  transport String,
  client String,
  server String,
  client_port Nullable(UInt16),
  server_port Nullable(UInt16),
  ip_protocol Nullable(UInt8),
  ethertype Nullable(UInt16),
  packets UInt64,
  bytes UInt64,
  client_packets UInt64,
  server_packets UInt64,
  client_bytes UInt64,
  server_bytes UInt64,
  icmp_errors UInt64,
  state Nullable(String),
  section String,
  entries Array(String),
  direction String,
  app Nullable(String),
  verdict String,
  reason Nullable(String),
  detail Nullable(String),
  community_id Nullable(String),
  record String,
  infrastructure Nullable(String)
) ENGINE = MergeTree PARTITION BY toYYYYMM(first_seen) ORDER BY (sensor, first_seen)`,
    `CREATE TABLE IF NOT EXISTS ${db}.${TABLES.channelHealth} (
  sensor String,
  run_id String,
  interval_start DateTime,
  interval_start_us Int64,
  interval_seconds UInt32,
  entry String,
  client String,
  server String,
  flows UInt64,
  started UInt64,
  failed UInt64,
  warnings UInt64
) ENGINE = MergeTree PARTITION BY toYYYYMM(interval_start) ORDER BY (sensor, interval_start)`,
  ];
}

/** ClickHouse's error code of a failed request ('' when none): the client parses it from current servers; 18.16 says `Code: 57, e.displayText() = …`. */
export function clickHouseCode(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  if (typeof e?.code === 'string' && /^\d+$/.test(e.code)) return e.code;
  return /Code: (\d+)/.exec(typeof e?.message === 'string' ? e.message : '')?.[1] ?? '';
}

/** The highest schema version recorded in the store, 0 when none is. */
export async function storedSchemaVersion(client: ClickHouseClient, database: string): Promise<number> {
  const rs = await client.query({ query: `SELECT max(version) AS v, count() AS n FROM ${q(database)}.${TABLES.schemaVersion}`, format: 'JSONEachRow' });
  const rows = await rs.json<{ v: number | string; n: number | string }>();
  return Number(rows[0]?.n ?? 0) === 0 ? 0 : Number(rows[0]?.v ?? 0);
}

/** Whether the database already has the schema_version table (a store pantap wrote). */
export async function schemaPresent(client: ClickHouseClient, database: string): Promise<boolean> {
  const rs = await client.query({ query: `EXISTS TABLE ${q(database)}.${TABLES.schemaVersion}`, format: 'TabSeparated' });
  return (await rs.text()).trim() === '1';
}

/**
 * Creates the database and tables when missing and records SCHEMA_VERSION; refuses a store
 * whose recorded version is newer than this pantap knows. Safe when several sensors start
 * at once (IF NOT EXISTS; a lost race on CREATE is retried; two version rows are harmless).
 */
export async function ensureSchema(client: ClickHouseClient, url: StoreUrl): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      for (const sql of schemaStatements(url.database)) await client.command({ query: sql });
      break;
    } catch (err) {
      // 18.16 can answer "already exists" (codes 57, 82) when two creators race.
      const code = clickHouseCode(err);
      if (attempt < 3 && (code === '57' || code === '82')) continue;
      throw storeError(url, 'cannot create the pantap tables', err);
    }
  }
  let version: number;
  try {
    version = await storedSchemaVersion(client, url.database);
  } catch (err) {
    throw storeError(url, 'cannot read the schema version', err);
  }
  if (version > SCHEMA_VERSION) {
    throw new StoreError(`${url.shown}: the store has schema version ${version}, written by a newer pantap; this pantap knows version ${SCHEMA_VERSION} (upgrade pantap or use another database)`);
  }
  if (version < SCHEMA_VERSION) {
    try {
      await client.insert({ table: `${q(url.database)}.${TABLES.schemaVersion}`, values: [{ version: SCHEMA_VERSION, applied: Math.floor(Date.now() / 1000) }], format: 'JSONEachRow' });
    } catch (err) {
      throw storeError(url, 'cannot record the schema version', err);
    }
  }
}

/**
 * For readers (report --from): throws StoreError unless the store exists and has a schema
 * version this pantap can read (1..SCHEMA_VERSION).
 */
export async function checkSchemaReadable(client: ClickHouseClient, url: StoreUrl): Promise<number> {
  let version: number;
  try {
    if (!(await schemaPresent(client, url.database))) throw new StoreError(`${url.shown}: no pantap tables in database ${url.database} (export to it first)`);
    version = await storedSchemaVersion(client, url.database);
  } catch (err) {
    if (err instanceof StoreError) throw err;
    throw storeError(url, 'cannot read the schema version', err);
  }
  if (version > SCHEMA_VERSION) throw new StoreError(`${url.shown}: the store has schema version ${version}, written by a newer pantap; this pantap knows version ${SCHEMA_VERSION}`);
  if (version < 1) throw new StoreError(`${url.shown}: no schema version recorded in database ${url.database}`);
  return version;
}
