// Streaming outputs of `pantap live` are written as the capture goes: the -W pcapng file
// and the --flows-ndjson lines of expired flows are in their files while pantap still runs,
// so a capture killed with SIGKILL keeps what it had written; a --flows-ndjson FIFO gets them
// as they expire too. Needs root (namespaces), the pantap-live addon and a build (npm run build).
// That each group of expired flows is in the kernel before the capture goes on (written with
// one write(2), nothing left queued in memory) is a matter of microseconds that a kill from
// outside cannot hit reliably: test/report/ndjson.test.ts checks it on the writer live uses,
// reading the file with no turn of the event loop in between.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowRecord, Summary } from '../../src/report/model.js';
import { IP_B, clientScript, createPair, netnsUnavailable, type NetnsPair, type Proc, startEchoServers } from '../helpers/netns.js';
import { REPO } from '../helpers/shared.js';

const BIN = resolve(REPO, 'dist/cli/bin.js');
const NODE = process.execPath;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function addonError(): string | null {
  try {
    createRequire(import.meta.url)('pantap-live');
    return null;
  } catch (err) {
    return `the pantap-live addon does not load: ${(err as Error).message.split('\n')[0]}`;
  }
}
const skipReason = netnsUnavailable() ?? addonError() ?? (existsSync(BIN) ? null : `${BIN} not found: run npm run build first`);
if (skipReason !== null) console.warn(`[test/cli/live-streams] SKIPPED: ${skipReason}`);

const TRAFFIC = { tcp: [3978], refused: [3979], udp: 29281, datagrams: 2 };

describe.skipIf(skipReason !== null)('pantap live streaming outputs survive SIGKILL', () => {
  let net: NetnsPair;
  let server: Proc;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pantap-streams-'));
    net = createPair();
    server = await startEchoServers(net, [3978], [29281], 60_000);
  });

  afterAll(() => {
    server?.child.stdin?.end();
    net?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const traffic = async (): Promise<void> => {
    const r = await net.run(net.a, NODE, ['-e', clientScript(IP_B, TRAFFIC)], 15_000);
    expect(r.code, `traffic: ${r.stdout}${r.stderr}`).toBe(0);
  };
  const size = (f: string): number => (existsSync(f) ? statSync(f).size : 0);
  const completeLines = (f: string): string[] => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').slice(0, -1) : []);

  it('-W packets and expired --flows-ndjson flows are on disk while it runs, and stay after kill -9', async () => {
    const pcap = join(dir, 'c.pcapng');
    const ndjson = join(dir, 'f.ndjson');
    const p = net.spawn(net.a, NODE, [BIN, 'live', '-i', net.ifA, '-F', 'json', '-W', pcap, '--flows-ndjson', ndjson, '--tcp-timeout', '1', '--udp-timeout', '1', '--other-timeout', '1']);
    p.child.stdin!.end();
    const killer = setTimeout(() => p.child.kill('SIGKILL'), 40_000);
    try {
      await net.waitForCapture(net.a, 10_000);
      await sleep(150);
      await traffic();
      // Expiry runs on capture time: later packets move it past the first flows' timeout.
      await sleep(2500);
      await traffic();
      const end = Date.now() + 8000;
      while (Date.now() < end && (size(pcap) <= 60 || completeLines(ndjson).length === 0)) await sleep(100);
      expect(p.child.exitCode, `pantap live ended early: ${p.stderr()}`).toBeNull();
      expect(size(pcap), 'the -W file holds only its headers while pantap runs').toBeGreaterThan(60);
      expect(completeLines(ndjson).length, 'no expired flow reached --flows-ndjson while pantap runs').toBeGreaterThan(0);
      p.child.kill('SIGKILL');
      expect(await p.exited).toEqual({ code: null, signal: 'SIGKILL' });
    } finally {
      clearTimeout(killer);
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    }

    // The killed capture's file reads cleanly: pantap and, where installed, tshark agree.
    const an = spawnSync(NODE, [BIN, 'analyze', pcap, '-F', 'json', '--flows'], { encoding: 'utf8', timeout: 30_000 });
    expect(an.status, an.stderr).toBe(0);
    expect(an.stderr).toBe('');
    const s = JSON.parse(an.stdout) as Summary;
    expect(s.input.truncated).toBe(false);
    expect(s.flows.some((f) => f.serverPort === 3978 && f.transport === 'tcp')).toBe(true);
    const tshark = spawnSync('tshark', ['-n', '-r', pcap, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8', timeout: 30_000 });
    if (tshark.error) console.warn('[test/cli/live-streams] tshark not installed: -W not cross-checked');
    else expect(tshark.stdout.split('\n').filter((l) => l.trim() !== '').length).toBe(s.input.packets);

    // Every complete NDJSON line is a whole flow; the first round's 3978 exchange expired into it.
    const flows = completeLines(ndjson).map((l) => JSON.parse(l) as FlowRecord);
    expect(flows.some((f) => f.serverPort === 3978 && f.section === 'panorama')).toBe(true);
    expect(readFileSync(ndjson, 'utf8').endsWith('\n')).toBe(true);
  });

  it('--flows-ndjson FIFO: pantap waits for its reader, which gets the expired flows while pantap runs, and keeps them after kill -9', async () => {
    const fifo = join(dir, 'f.fifo');
    const copy = join(dir, 'from-fifo.ndjson');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const p = net.spawn(net.a, NODE, [BIN, 'live', '-i', net.ifA, '-F', 'json', '--flows-ndjson', fifo, '--tcp-timeout', '1', '--udp-timeout', '1', '--other-timeout', '1']);
    p.child.stdin!.end();
    const killer = setTimeout(() => p.child.kill('SIGKILL'), 40_000);
    // The reader comes after pantap, as `pantap live ... --flows-ndjson f.fifo & jq . f.fifo` would.
    await net.waitForCapture(net.a, 10_000);
    await sleep(300);
    expect(p.child.exitCode, `pantap live ended early: ${p.stderr()}`).toBeNull();
    const reader = spawn('sh', ['-c', 'exec cat "$1" > "$2"', 'sh', fifo, copy], { stdio: 'ignore' });
    const readerDone = new Promise((r) => reader.on('close', r));
    try {
      await sleep(300);
      await traffic();
      await sleep(2500);
      await traffic();
      const end = Date.now() + 8000;
      while (Date.now() < end && completeLines(copy).length === 0) await sleep(100);
      expect(p.child.exitCode, `pantap live ended early: ${p.stderr()}`).toBeNull();
      expect(completeLines(copy).length, 'no expired flow reached the FIFO reader while pantap runs').toBeGreaterThan(0);
      p.child.kill('SIGKILL');
      expect(await p.exited).toEqual({ code: null, signal: 'SIGKILL' });
      await readerDone; // the write end closed with pantap: the reader sees the end
    } finally {
      clearTimeout(killer);
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      reader.kill();
    }
    const flows = completeLines(copy).map((l) => JSON.parse(l) as FlowRecord);
    expect(flows.some((f) => f.serverPort === 3978 && f.section === 'panorama')).toBe(true);
    expect(readFileSync(copy, 'utf8').endsWith('\n')).toBe(true);
  });
});
