// The store URL of --export and report --from: clickhouse://[user[:password]@]HOST[:PORT]/DATABASE.
// PORT is ClickHouse's HTTP interface (default 8123); DATABASE defaults to `pantap`. A user
// or password missing from the URL comes from CLICKHOUSE_USER / CLICKHOUSE_PASSWORD (the
// names clickhouse-client reads), else ClickHouse's `default` user with no password. The
// password is never shown: messages use StoreUrl.shown / redactRaw(), and scrub() removes it
// from any text a server or library hands back.
import { StoreError } from '../errors.js';

export const DEFAULT_HTTP_PORT = 8123;
export const DEFAULT_DATABASE = 'pantap';

export interface StoreUrl {
  /** http://HOST:PORT — what @clickhouse/client is given (credentials apart). */
  readonly httpUrl: string;
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly username: string;
  readonly password: string;
  /** The URL as it may be shown: clickhouse://user:***@HOST:PORT/DATABASE. */
  readonly shown: string;
}

/** A database name ClickHouse accepts unquoted; names are still backquoted in SQL. */
const DATABASE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** The text as typed with any password replaced by ***, for messages about a bad URL. */
export function redactRaw(text: string): string {
  const scheme = text.indexOf('://');
  const rest = scheme < 0 ? text : text.slice(scheme + 3);
  const at = rest.lastIndexOf('@');
  if (at < 0) return text;
  const userinfo = rest.slice(0, at);
  const colon = userinfo.indexOf(':');
  if (colon < 0) return text;
  return `${scheme < 0 ? '' : text.slice(0, scheme + 3)}${userinfo.slice(0, colon)}:***${rest.slice(at)}`;
}

/** Removes the password from a message (library and server errors can quote requests). */
export function scrub(message: string, url: StoreUrl): string {
  let m = message;
  if (url.password.length > 0) m = m.split(url.password).join('***');
  const encoded = encodeURIComponent(url.password);
  if (encoded.length > 0 && encoded !== url.password) m = m.split(encoded).join('***');
  return m;
}

/**
 * Parses a clickhouse:// URL; throws StoreError (one line, password replaced) when it is
 * not one. `env` is process.env in the CLI, injectable in tests.
 */
export function parseStoreUrl(text: string, env: NodeJS.ProcessEnv = process.env): StoreUrl {
  const bad = (why: string): StoreError => new StoreError(`${redactRaw(text)}: ${why} (expected clickhouse://[user[:password]@]HOST[:PORT]/DATABASE)`);
  if (!/^clickhouse:\/\//i.test(text)) throw bad('not a clickhouse:// URL');
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw bad('not a valid URL');
  }
  if (u.hostname === '') throw bad('no host');
  if (u.search !== '' || u.hash !== '') throw bad('query strings and fragments are not supported');
  const port = u.port === '' ? DEFAULT_HTTP_PORT : Number(u.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad('port out of range');
  const path = u.pathname.replace(/^\/+/, '').replace(/\/+$/, '');
  const database = path === '' ? DEFAULT_DATABASE : decodeURIComponent(path);
  if (!DATABASE_NAME.test(database)) throw bad(`database name "${database}" is not [A-Za-z_][A-Za-z0-9_]*`);
  let username: string;
  let password: string;
  try {
    username = u.username !== '' ? decodeURIComponent(u.username) : (env.CLICKHOUSE_USER ?? 'default');
    password = u.password !== '' ? decodeURIComponent(u.password) : (env.CLICKHOUSE_PASSWORD ?? '');
  } catch {
    throw bad('bad percent-encoding in the user or password');
  }
  const host = u.hostname;
  const hostForUrl = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const userShown = u.username !== '' ? `${u.username}${password !== '' ? ':***' : ''}@` : '';
  return {
    httpUrl: `http://${hostForUrl}:${port}`,
    host,
    port,
    database,
    username,
    password,
    shown: `clickhouse://${userShown}${hostForUrl}:${port}/${database}`,
  };
}
