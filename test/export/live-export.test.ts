// `pantap live --export` with the ClickHouse server killed mid-run and restarted: capture
// goes on, the flows that ended meanwhile wait in the buffer and reach the store once it is
// back (nothing lost under --export-buffer), those beyond it are dropped, counted, said on
// stderr, exit 2. Captures UDP on the loopback interface with a filter (root and the
// pantap-live addon needed; skipped visibly otherwise); the test's own datagrams, one
// socket per flow, are the traffic, and a ticker moves capture time on so flows expire.
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickHouseMissing, startClickHouse, type ClickHouse } from '../helpers/clickhouse.js';
import { REPO } from '../helpers/shared.js';

const BIN = resolve(REPO, 'dist/cli/bin.js');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function addonError(): string {
  try {
    createRequire(import.meta.url)('pantap-live');
    return '';
  } catch (err) {
    return `the pantap-live addon does not load: ${(err as Error).message.split('\n')[0]}`;
  }
}
const skip =
  clickHouseMissing ||
  (process.getuid?.() === 0 ? '' : 'not root (capturing on lo needs root)') ||
  addonError() ||
  (existsSync(BIN) ? '' : `${BIN} not found: run npm run build first`);
if (skip) console.warn(`[test/export/live-export] SKIPPED: ${skip}`);

/** A UDP port for this test file's traffic (the filter keeps only it and NETFLOW). */
const PORT = 41000 + (process.pid % 2000);
/** A catalog entry's port (management.netflow.2055): its flows make channel health rows. */
const NETFLOW = 2055;

let ch: ClickHouse | null = null;
beforeAll(async () => {
  if (!skip) ch = await startClickHouse();
});
afterAll(async () => {
  await ch?.stop();
});

interface Live {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function live(args: string[]): Live {
  const child = spawn(process.execPath, [BIN, 'live', '-i', 'lo', '-f', `udp port ${PORT} or udp port ${NETFLOW}`, '--udp-timeout', '1', '--duration', '60', '-F', 'json', ...args], {
    cwd: REPO,
    env: { ...process.env, NO_COLOR: '1', PANTAP_EXPORT_BACKOFF_MS: '50,200' },
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const exited = new Promise<number | null>((r) =>
    child.on('close', (code) => {
      clearTimeout(killer);
      r(code);
    }),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Resolves once process `pid` holds an AF_PACKET socket (its capture is open). */
async function captureOpen(pid: number): Promise<void> {
  const end = Date.now() + 15_000;
  while (Date.now() < end) {
    const inodes = new Set(
      readFileSync('/proc/net/packet', 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.trim().split(/\s+/).pop()),
    );
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        // The socket comes before the ring and the filter are set up: packets sent in
        // that moment are not captured (the netns tests wait likewise).
        if (m && inodes.has(m[1])) return sleep(500);
      }
    } catch {
      // not there yet
    }
    await sleep(50);
  }
  throw new Error('pantap never opened its capture');
}

/** Source ports of the flows: each used once (a random ephemeral port could repeat a flow's). */
let nextSport = 20000 + (process.pid % 5000) * 2;

/** `n` datagrams to `port` (default PORT), each from a port of its own (its own flow). */
async function flows(n: number, port = PORT): Promise<void> {
  for (let i = 0; i < n; i++) {
    const s = createSocket('udp4');
    for (;;) {
      const port = nextSport++;
      const bound = await new Promise<boolean>((r) => {
        s.once('error', () => r(false));
        s.bind(port, '127.0.0.1', () => r(true));
      });
      if (bound) break;
    }
    await new Promise<void>((r) => s.send(Buffer.alloc(40, 0x61), port, '127.0.0.1', () => r()));
    s.close();
    await sleep(2);
  }
}

/** One flow that sends every 200 ms: capture time moves on, so idle flows expire. */
function ticker(): () => void {
  const s = createSocket('udp4');
  const t = setInterval(() => s.send(Buffer.alloc(10), PORT, '127.0.0.1'), 200);
  return () => {
    clearInterval(t);
    s.close();
  };
}

const count = async (db: string): Promise<number> => Number((await ch!.query(`SELECT count() FROM ${db}.flows`)).trim());
async function until(cond: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond().catch(() => false))) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe.skipIf(skip !== '')(`live --export, the server killed mid-run (needs root, the addon and clickhouse-server${skip ? `: ${skip}` : ''})`, () => {
  it('under the buffer cap: capture goes on, every flow reaches the store after the restart, exit 0', async () => {
    const stop = ticker();
    const p = live(['--export', ch!.chUrl('live_a'), '--sensor', 'live-a']);
    try {
      await captureOpen(p.child.pid!);
      await flows(40);
      await until(async () => (await count('live_a')) === 40, 15_000, '40 flows in the store');
      await ch!.kill();
      await flows(60);
      await flows(10, NETFLOW);
      await sleep(2500); // they expire (1 s of capture time) into the buffer
      await ch!.restart();
      await until(async () => (await count('live_a')) === 110, 15_000, '110 flows in the store');
    } finally {
      stop();
      p.child.kill('SIGINT');
    }
    expect(await p.exited, p.stderr()).toBe(0);
    const s = JSON.parse(p.stdout());
    // Every flow of the capture (the ticker's too, exported at the end) is in the store.
    expect(s.input.flowTable.flows).toBe(111);
    expect(await count('live_a')).toBe(111);
    // Channel health of the NetFlow channel: the final summary's timeline counts, summed.
    const nf = (s.timeline.channels as { entry: string; buckets: { started: number; failed: number; warnings: number }[] }[]).filter((c) => c.entry === 'management.netflow.2055');
    const sum = (k: 'started' | 'failed' | 'warnings') => nf.reduce((a, c) => a + c.buckets.reduce((b, x) => b + x[k], 0), 0);
    expect(sum('started')).toBe(10);
    expect((await ch!.query("SELECT sum(started), sum(failed), sum(warnings), any(interval_seconds) FROM live_a.channel_health WHERE entry = 'management.netflow.2055'")).trim()).toBe(`10\t${sum('failed')}\t${sum('warnings')}\t60`);
    expect((await ch!.query("SELECT sum(packets), any(file), any(sensor) FROM live_a.flows")).trim()).toBe(`${s.input.packets}\tlive:lo\tlive-a`);
    const url = `clickhouse://127.0.0.1:${ch!.httpPort}/live_a`;
    expect(p.stderr()).toMatch(new RegExp(`^pantap: ${url}: export paused, the server does not take rows \\(.*\\); retrying, up to 100000 rows are kept meanwhile\\npantap: ${url}: export resumed after \\d+\\.\\d s\\n$`));
    // The run's last row has the final counters.
    expect((await ch!.query('SELECT argMax(packets, (ended, packets, flows)), argMax(flows, (ended, packets, flows)) FROM live_a.runs')).trim()).toBe(`${s.input.packets}\t111`);
  });

  it('beyond the buffer cap: the rows that did not fit are dropped, counted and said; exit 2 after the summary', async () => {
    const stop = ticker();
    const p = live(['--export', ch!.chUrl('live_b'), '--sensor', 'live-b', '--export-buffer', '20']);
    let killed = false;
    try {
      await captureOpen(p.child.pid!);
      await ch!.kill();
      killed = true;
      await flows(50);
      await sleep(2500);
      await ch!.restart();
      killed = false;
      await until(async () => (await count('live_b')) === 20, 15_000, '20 flows in the store');
    } finally {
      stop();
      p.child.kill('SIGINT');
      if (killed) await ch!.restart();
    }
    expect(await p.exited).toBe(2);
    const s = JSON.parse(p.stdout());
    expect(s.input.flowTable.flows).toBe(51);
    // 20 kept while the server was away, the ticker's flow at the end.
    expect(await count('live_b')).toBe(21);
    const lines = p.stderr().trim().split('\n');
    expect(lines[lines.length - 1]).toBe(`pantap: clickhouse://127.0.0.1:${ch!.httpPort}/live_b: export incomplete: 21 flow rows sent; 30 rows (30 flows, 0 channel health) dropped while the server was away and the buffer was full (raise --export-buffer)`);
  });

  it('an unreachable server at start: one line, exit 2, no capture', async () => {
    const p = live(['--export', 'clickhouse://u:pw@127.0.0.1:1/x']);
    expect(await p.exited).toBe(2);
    expect(p.stderr()).toBe('pantap: clickhouse://u:***@127.0.0.1:1/x: cannot reach the ClickHouse server: connect ECONNREFUSED 127.0.0.1:1\n');
    expect(p.stdout()).toBe('');
  });
});
