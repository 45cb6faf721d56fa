// The store's tables against a real ClickHouse (Debian's 18.16 in CI): created on first use,
// the version recorded once, a newer version refused, several creators at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectStore } from '../../src/export/client.js';
import { parseStoreUrl } from '../../src/export/clickhouse-url.js';
import { SCHEMA_VERSION, checkSchemaReadable, ensureSchema, schemaStatements } from '../../src/export/schema.js';
import { clickHouseMissing, startClickHouse, type ClickHouse } from '../helpers/clickhouse.js';

let ch: ClickHouse | null = null;
beforeAll(async () => {
  ch = await startClickHouse();
  if (!ch) console.warn(`test/export/schema: skipped, ${clickHouseMissing}`);
});
afterAll(async () => {
  await ch?.stop();
});

describe.skipIf(clickHouseMissing !== '')(`store schema (needs clickhouse-server${clickHouseMissing ? `: ${clickHouseMissing}` : ''})`, () => {
  it('creates the database and tables on first use and records version 1 once', async () => {
    const url = parseStoreUrl(ch!.chUrl('first_use'), {});
    const client = await connectStore(url);
    try {
      expect((await ch!.query("SELECT count() FROM system.databases WHERE name = 'first_use'")).trim()).toBe('0');
      await ensureSchema(client, url);
      await ensureSchema(client, url);
      expect((await ch!.query("SELECT name FROM system.tables WHERE database = 'first_use' ORDER BY name")).trim().split('\n')).toEqual(['channel_health', 'flows', 'runs', 'schema_version']);
      expect((await ch!.query('SELECT version, count() FROM first_use.schema_version GROUP BY version')).trim()).toBe(`${SCHEMA_VERSION}\t1`);
      expect(await checkSchemaReadable(client, url)).toBe(1);
    } finally {
      await client.close();
    }
  });

  it('the flows table is ordered by sensor, then time', async () => {
    const create = (await ch!.query('SHOW CREATE TABLE first_use.flows')).replace(/\\n/g, ' ');
    expect(create).toContain('ORDER BY (sensor, first_seen)');
    expect(create).toContain('MergeTree');
    expect((await ch!.query('SHOW CREATE TABLE first_use.channel_health'))).toContain('ORDER BY (sensor, interval_start)');
  });

  it('refuses a store of a newer schema version, naming both versions and not the password', async () => {
    await ch!.query('CREATE DATABASE IF NOT EXISTS newer');
    for (const sql of schemaStatements('newer')) await ch!.query(sql);
    await ch!.query('INSERT INTO newer.schema_version VALUES (2, now())');
    const url = parseStoreUrl(ch!.chUrl('newer').replace('clickhouse://', 'clickhouse://default:@'), {});
    const client = await connectStore(url);
    try {
      await expect(ensureSchema(client, url)).rejects.toThrow(/schema version 2, written by a newer pantap; this pantap knows version 1/);
      await expect(checkSchemaReadable(client, url)).rejects.toThrow(/schema version 2/);
    } finally {
      await client.close();
    }
  });

  it('a reader of an empty database is told to export first', async () => {
    await ch!.query('CREATE DATABASE IF NOT EXISTS empty_db');
    const url = parseStoreUrl(ch!.chUrl('empty_db'), {});
    const client = await connectStore(url);
    try {
      await expect(checkSchemaReadable(client, url)).rejects.toThrow(`${url.shown}: no pantap tables in database empty_db`);
    } finally {
      await client.close();
    }
  });

  it('eight creators at once all succeed', async () => {
    const url = parseStoreUrl(ch!.chUrl('racing'), {});
    const clients = await Promise.all(Array.from({ length: 8 }, () => connectStore(url)));
    try {
      await Promise.all(clients.map((c) => ensureSchema(c, url)));
      expect((await ch!.query('SELECT max(version) FROM racing.schema_version')).trim()).toBe('1');
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });
});
