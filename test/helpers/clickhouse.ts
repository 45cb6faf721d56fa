// A throwaway ClickHouse server for tests: Debian's clickhouse-server (18.16 here) started on
// free loopback ports with a config written to a temporary folder, removed again on stop().
// Returns null (with the reason in `clickHouseMissing`) when the binary is not installed, so
// tests skip visibly: `it.skipIf(!ch)(`… (skipped: ${clickHouseMissing})`)`.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CLICKHOUSE_BIN = process.env.PANTAP_CLICKHOUSE_SERVER ?? '/usr/sbin/clickhouse-server';

/** Why startClickHouse() returned null, or '' when the binary is there. */
export const clickHouseMissing = existsSync(CLICKHOUSE_BIN) ? '' : `no ClickHouse server at ${CLICKHOUSE_BIN} (install Debian's clickhouse-server)`;

export interface ClickHouse {
  /** `http://127.0.0.1:PORT` — the HTTP interface. */
  readonly url: string;
  /** The HTTP port (what `clickhouse://127.0.0.1:PORT/DB` names). */
  readonly httpPort: number;
  /** Same as httpPort (the name the common brief uses). */
  readonly port: number;
  /** `clickhouse://127.0.0.1:PORT/DATABASE` for pantap's --export / --from. */
  chUrl(database?: string): string;
  /** Runs one SQL statement over HTTP; returns the response body (throws on a non-200). */
  query(sql: string): Promise<string>;
  /** Stops the server (SIGKILL: 18.16 takes ~8 s to shut down gracefully, and its data is thrown away) and removes the temp folder. */
  stop(): Promise<void>;
  /** SIGKILL, waits for exit; the data folder stays so restart() brings the data back. */
  kill(): Promise<void>;
  /** Starts the server again on the same ports and data folder (stopping it first if it runs); waits for /ping. */
  restart(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function writeConfig(dir: string, httpPort: number, tcpPort: number, interserverPort: number): string {
  const config = `<?xml version="1.0"?>
<yandex>
  <logger>
    <level>warning</level>
    <log>${dir}/server.log</log>
    <errorlog>${dir}/server.err.log</errorlog>
    <size>10M</size>
    <count>1</count>
  </logger>
  <http_port>${httpPort}</http_port>
  <tcp_port>${tcpPort}</tcp_port>
  <interserver_http_port>${interserverPort}</interserver_http_port>
  <listen_host>127.0.0.1</listen_host>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <user_files_path>${dir}/user_files/</user_files_path>
  <format_schema_path>${dir}/format_schemas/</format_schema_path>
  <users_config>users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>5368709120</mark_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
</yandex>
`;
  const users = `<?xml version="1.0"?>
<yandex>
  <profiles><default><log_queries>0</log_queries></default></profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`;
  writeFileSync(join(dir, 'config.xml'), config);
  writeFileSync(join(dir, 'users.xml'), users);
  return join(dir, 'config.xml');
}

/**
 * POSTs one statement on a connection of its own (no keep-alive: 18.16 closes idle
 * connections after 3 s, and a reused one then fails with "other side closed").
 */
function post(port: number, sql: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', agent: false, headers: { 'content-length': Buffer.byteLength(sql) } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`ClickHouse ${res.statusCode}: ${body.trim()}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(sql);
  });
}

async function ping(url: string): Promise<boolean> {
  try {
    const r = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) });
    return r.ok && (await r.text()).startsWith('Ok.');
  } catch {
    return false;
  }
}

/**
 * Where the server's folder goes: tmpfs (/dev/shm) when it has room, else the temp folder.
 * Each partition an INSERT touches is a new part, a folder of dozens of files: on the disk
 * (ext4 here), one INSERT over 50 months took 3.5–7.5 s at load 5–8 and 41 s at load 12
 * (1–5.6 s of the server's kernel time, most of it opening files), past connectStore's 10 s
 * request timeout; on tmpfs 0.2–0.3 s (0.14 s of kernel time).
 */
function serverDir(): string {
  try {
    const s = statfsSync('/dev/shm');
    // (a container's default /dev/shm is 64 MiB: the temp folder then, a server took ≈ 51 MB)
    if (s.bavail * s.bsize >= 512 * 1024 * 1024) return mkdtempSync(join('/dev/shm', 'pantap-ch-'));
  } catch {
    // no /dev/shm, or not writable by this user: the temp folder
  }
  return mkdtempSync(join(tmpdir(), 'pantap-ch-'));
}

/** Starts a fresh server (well under a second here), or null when the binary is missing. `httpPort` pins the HTTP port (README examples). */
export async function startClickHouse(o: { httpPort?: number } = {}): Promise<ClickHouse | null> {
  if (clickHouseMissing) return null;
  const dir = serverDir();
  // A test process that exits without stop() (a failed test, a torn-down worker) would leave
  // ≈ 50 MB in RAM (tmpfs) until a reboot; a SIGKILL still does (no exit handler runs).
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const [httpPort, tcpPort, interserverPort] = [o.httpPort ?? (await freePort()), await freePort(), await freePort()];
  const configFile = writeConfig(dir, httpPort, tcpPort, interserverPort);
  const url = `http://127.0.0.1:${httpPort}`;
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();

  const launch = async (): Promise<void> => {
    const c = spawn(CLICKHOUSE_BIN, [`--config-file=${configFile}`], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    c.stderr?.on('data', (d: Buffer) => {
      if (stderr.length < 4000) stderr += d.toString();
    });
    let gone = false;
    exited = new Promise((resolve) => c.once('exit', () => {
      gone = true;
      resolve();
    }));
    child = c;
    const deadline = Date.now() + 30_000;
    while (!(await ping(url))) {
      if (gone) throw new Error(`clickhouse-server exited at start: ${stderr.trim().slice(0, 500)} (log: ${dir}/server.err.log)`);
      if (Date.now() > deadline) {
        c.kill('SIGKILL');
        throw new Error(`clickhouse-server did not answer /ping on ${url} within 30 s`);
      }
      await sleep(50);
    }
  };

  const signal = async (sig: NodeJS.Signals): Promise<void> => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    c.kill(sig);
    const t = sig === 'SIGKILL' ? null : setTimeout(() => c.kill('SIGKILL'), 15_000);
    await exited;
    if (t) clearTimeout(t);
  };

  try {
    await launch();
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }

  return {
    url,
    httpPort,
    port: httpPort,
    chUrl: (database = 'pantap') => `clickhouse://127.0.0.1:${httpPort}/${database}`,
    query: (sql: string) => post(httpPort, sql),
    async stop() {
      await signal('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
    async kill() {
      await signal('SIGKILL');
    },
    async restart() {
      await signal('SIGKILL');
      await launch();
    },
  };
}
