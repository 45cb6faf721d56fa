// One place that makes an @clickhouse/client for a store URL, with the settings every pantap
// connection uses: the library's own logging off (pantap renders errors once, at the CLI
// edge), no request compression (plain JSONEachRow bodies; 18.16 and current releases both
// take them), and a bounded request timeout. connectStore() also checks the server answers
// (/ping, then a SELECT that checks the credentials), so an unreachable server is one
// StoreError naming the URL without its password, before anything else happens.
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { StoreError } from '../errors.js';
import { scrub, type StoreUrl } from './clickhouse-url.js';

export interface StoreClientOptions {
  /** Per-request timeout (ms); default 30 s. */
  requestTimeoutMs?: number;
}

/** A client for the store; no request is made yet. */
export function storeClient(url: StoreUrl, o: StoreClientOptions = {}): ClickHouseClient {
  return createClient({
    url: url.httpUrl,
    username: url.username,
    password: url.password,
    application: 'pantap',
    request_timeout: o.requestTimeoutMs ?? 30_000,
    compression: { request: false, response: false },
    log: { level: ClickHouseLogLevel.OFF },
    // pantap sends its batches one at a time: a small pool, and no keep-alive socket
    // lingers after a run (keeps the process's exit prompt).
    max_open_connections: 2,
    keep_alive: { enabled: false },
  });
}

/** The reason of a failed request as one line, the password removed. */
export function storeReason(err: unknown, url: StoreUrl): string {
  const e = err as { message?: unknown; code?: unknown; cause?: { code?: unknown; message?: unknown } };
  let m = typeof e?.message === 'string' && e.message !== '' ? e.message : String(err);
  const sys = typeof e?.code === 'string' && /^E[A-Z]+$/.test(e.code) ? e.code : typeof e?.cause?.code === 'string' ? e.cause.code : '';
  if (sys !== '' && !m.includes(sys)) m = `${sys} ${m}`;
  return scrub(m.replace(/\s+/g, ' ').trim(), url).slice(0, 400);
}

/** A StoreError for `what` failing against `url`: `clickhouse://…/db: what: reason`. */
export function storeError(url: StoreUrl, what: string, err: unknown): StoreError {
  return new StoreError(`${url.shown}: ${what}: ${storeReason(err, url)}`);
}

/**
 * A client after the server has answered /ping and a SELECT (credentials checked); throws
 * StoreError `clickhouse://HOST:PORT/DB: cannot reach the ClickHouse server: …` otherwise.
 */
export async function connectStore(url: StoreUrl, o: StoreClientOptions = {}): Promise<ClickHouseClient> {
  const client = storeClient(url, { requestTimeoutMs: o.requestTimeoutMs ?? 10_000 });
  let what = 'cannot reach the ClickHouse server';
  try {
    const p = await client.ping();
    if (!p.success) throw p.error;
    // /ping does not check the user: a SELECT does.
    what = 'the ClickHouse server refused pantap';
    await client.command({ query: 'SELECT 1' });
  } catch (err) {
    await client.close().catch(() => undefined);
    throw storeError(url, what, err);
  }
  return client;
}
