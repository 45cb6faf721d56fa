// Network namespaces for live-capture tests: two namespaces joined by a veth pair
// (10.77.0.1/24 in a, 10.77.0.2/24 in b), IPv6 off so the link stays quiet. Traffic only
// ever goes between those two addresses. Everything is torn down by destroy(), and, as a
// last resort, when the test process exits.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

export const IP_A = '10.77.0.1';
export const IP_B = '10.77.0.2';

/** Why namespace tests cannot run here, or null when they can. */
export function netnsUnavailable(): string | null {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'not root (creating network namespaces needs root)';
  const r = spawnSync('ip', ['-V'], { encoding: 'utf8' });
  if (r.error) return `the ip command (iproute2) is missing: ${r.error.message}`;
  return null;
}

function ip(args: string[], tolerate = false): void {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
  if (!tolerate && (r.error || r.status !== 0)) throw new Error(`ip ${args.join(' ')} failed: ${r.error?.message ?? r.stderr.trim()}`);
}

export interface Proc {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface NetnsPair {
  a: string;
  b: string;
  /** veth end inside namespace a (the capture interface). */
  ifA: string;
  ifB: string;
  /** Starts `cmd args` inside namespace `ns` (ip netns exec execs it, so the pid is the command's). */
  spawn(ns: string, cmd: string, args: string[]): Proc;
  /** Runs to completion, killing the process after timeoutMs. */
  run(ns: string, cmd: string, args: string[], timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  /** Resolves once a packet socket (a live capture) is open in namespace `ns`. */
  waitForCapture(ns: string, timeoutMs: number): Promise<void>;
  destroy(): void;
}

const live = new Set<ChildProcess>();
const namespaces = new Set<string>();

function cleanupAll(): void {
  for (const c of live) if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) c.kill('SIGKILL');
  live.clear();
  for (const ns of namespaces) ip(['netns', 'del', ns], true);
  namespaces.clear();
}
process.once('exit', cleanupAll);

function spawnIn(ns: string, cmd: string, args: string[]): Proc {
  const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  live.add(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
    child.on('error', () => {
      live.delete(child);
      resolve({ code: null, signal: null });
    });
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Creates pt-a-<pid> and pt-b-<pid> (removing stale ones of the same name first). */
export function createPair(): NetnsPair {
  const pid = process.pid;
  const a = `pt-a-${pid}`;
  const b = `pt-b-${pid}`;
  const ifA = `pta${pid}`;
  const ifB = `ptb${pid}`;
  const destroy = (): void => {
    for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    ip(['netns', 'del', a], true);
    ip(['netns', 'del', b], true);
    ip(['link', 'del', ifA], true); // only left in the root namespace if setup failed half-way
    namespaces.delete(a);
    namespaces.delete(b);
  };
  destroy();
  try {
    namespaces.add(a);
    namespaces.add(b);
    ip(['netns', 'add', a]);
    ip(['netns', 'add', b]);
    ip(['link', 'add', ifA, 'type', 'veth', 'peer', 'name', ifB]);
    ip(['link', 'set', ifA, 'netns', a]);
    ip(['link', 'set', ifB, 'netns', b]);
    for (const ns of [a, b]) {
      const r = spawnSync('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'], { encoding: 'utf8' });
      if (r.status !== 0) console.warn(`[netns] could not disable IPv6 in ${ns}: ${r.stderr?.trim() ?? r.error?.message}`);
    }
    ip(['-n', a, 'addr', 'add', `${IP_A}/24`, 'dev', ifA]);
    ip(['-n', b, 'addr', 'add', `${IP_B}/24`, 'dev', ifB]);
    for (const [ns, dev] of [
      [a, ifA],
      [b, ifB],
      [a, 'lo'],
      [b, 'lo'],
    ]) {
      ip(['-n', ns, 'link', 'set', dev, 'up']);
    }
  } catch (err) {
    destroy();
    throw err;
  }

  return {
    a,
    b,
    ifA,
    ifB,
    spawn: spawnIn,
    async run(ns, cmd, args, timeoutMs) {
      const p = spawnIn(ns, cmd, args);
      p.child.stdin!.end();
      const timer = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
      const r = await p.exited;
      clearTimeout(timer);
      return { ...r, stdout: p.stdout(), stderr: p.stderr() };
    },
    async waitForCapture(ns, timeoutMs) {
      const end = Date.now() + timeoutMs;
      while (Date.now() < end) {
        // /proc/net is per namespace: a row after the header is an open AF_PACKET socket.
        const r = spawnSync('ip', ['netns', 'exec', ns, 'cat', '/proc/net/packet'], { encoding: 'utf8' });
        if (r.status === 0 && r.stdout.trim().split('\n').length > 1) return;
        await sleep(50);
      }
      throw new Error(`no capture socket opened in ${ns} within ${timeoutMs} ms`);
    },
    destroy,
  };
}

/**
 * Node script for namespace b: TCP servers that echo what they receive and close, UDP
 * sockets that answer every datagram. Prints "ready" once all are bound; exits when its
 * stdin closes (the test process went away) or after `lifetimeMs`.
 */
export function echoServerScript(host: string, tcp: number[], udp: number[], lifetimeMs: number): string {
  return `
const net = require('node:net'), dgram = require('node:dgram');
let pending = ${tcp.length + udp.length};
const ready = () => { if (--pending === 0) process.stdout.write('ready\\n'); };
for (const port of ${JSON.stringify(tcp)}) {
  net.createServer((s) => { s.on('error', () => {}); s.on('data', (d) => s.end(d)); }).listen(port, ${JSON.stringify(host)}, ready);
}
for (const port of ${JSON.stringify(udp)}) {
  const u = dgram.createSocket('udp4');
  u.on('message', (m, r) => u.send(m, r.port, r.address));
  u.bind(port, ${JSON.stringify(host)}, ready);
}
process.stdin.on('end', () => process.exit(0)).resume();
setTimeout(() => process.exit(0), ${lifetimeMs}).unref();
`;
}

/**
 * Node script for namespace a: one TCP exchange per port in `tcp` (send, read the echo,
 * close), one connect per port in `refused` (expects ECONNREFUSED), `datagrams` UDP
 * round trips to `udp`. Every step has a timeout; prints a JSON result and exits 0 only
 * when everything went as expected.
 */
export function clientScript(host: string, o: { tcp: number[]; refused: number[]; udp: number; datagrams: number }): string {
  return `
const net = require('node:net'), dgram = require('node:dgram');
const host = ${JSON.stringify(host)};
const withTimeout = (p, ms, what) => Promise.race([p, new Promise((_, rej) => setTimeout(() => rej(new Error(what + ': timeout')), ms).unref())]);
const exchange = (port) => withTimeout(new Promise((resolve, reject) => {
  let echoed = '';
  const s = net.connect(port, host, () => s.write('pantap-' + port));
  s.setEncoding('utf8');
  s.on('data', (d) => (echoed += d));
  s.on('error', reject);
  s.on('close', () => (echoed === 'pantap-' + port ? resolve() : reject(new Error(port + ': echo ' + JSON.stringify(echoed)))));
}), 3000, 'tcp ' + port);
const refused = (port) => withTimeout(new Promise((resolve, reject) => {
  const s = net.connect(port, host, () => { s.destroy(); reject(new Error(port + ': connected, expected a reset')); });
  s.on('error', (e) => (e.code === 'ECONNREFUSED' ? resolve() : reject(e)));
}), 3000, 'refused ' + port);
(async () => {
  for (const p of ${JSON.stringify(o.tcp)}) await exchange(p);
  for (const p of ${JSON.stringify(o.refused)}) await refused(p);
  const u = dgram.createSocket('udp4');
  for (let i = 0; i < ${o.datagrams}; i++) {
    await withTimeout(new Promise((resolve) => { u.once('message', resolve); u.send('pantap-udp-' + i, ${o.udp}, host); }), 2000, 'udp ' + i);
  }
  u.close();
  process.stdout.write(JSON.stringify({ ok: true }) + '\\n');
})().catch((e) => { process.stdout.write(JSON.stringify({ ok: false, error: String(e && e.message || e) }) + '\\n'); process.exit(1); });
`;
}

/** Starts echoServerScript in namespace b of `net` and waits (10 s at most) until it is ready. */
export async function startEchoServers(net: NetnsPair, tcp: number[], udp: number[], lifetimeMs: number): Promise<Proc> {
  const server = net.spawn(net.b, process.execPath, ['-e', echoServerScript(IP_B, tcp, udp, lifetimeMs)]);
  const end = Date.now() + 10_000;
  while (!server.stdout().includes('ready')) {
    if (server.child.exitCode !== null || Date.now() > end) throw new Error(`echo servers did not start: ${server.stderr()}`);
    await sleep(20);
  }
  return server;
}
