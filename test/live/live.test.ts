// End-to-end tests of `pantap live`: two network namespaces joined by a veth pair, real
// listeners in namespace b (TCP 3978 and 28769 that echo and close, UDP 29281 that
// answers), real traffic from namespace a, and the CLI (dist/cli/bin.js) capturing on
// a's veth end. Traffic only ever goes to 10.77.0.2 inside the test's own namespace.
// Needs root, iproute2, the pantap-live addon and a build (npm run build).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EntrySummary, FlowRecord, Summary } from '../../src/report/model.js';
import { REPO } from '../helpers/shared.js';
import { IP_B, clientScript, createPair, netnsUnavailable, type NetnsPair, type Proc, startEchoServers } from '../helpers/netns.js';

const require = createRequire(import.meta.url);
const BIN = join(REPO, 'dist', 'cli', 'bin.js');
const NODE = process.execPath;

function loadError(name: string): string | null {
  try {
    require(name);
    return null;
  } catch (err) {
    return (err as Error).message.split('\n')[0];
  }
}

const addonError = loadError('pantap-live');
const skipReason =
  netnsUnavailable() ??
  (addonError !== null ? `the pantap-live addon does not load: ${addonError}` : null) ??
  (existsSync(BIN) ? null : `${BIN} not found: run npm run build first`);
if (skipReason !== null) console.warn(`[test/live/live] SKIPPED: ${skipReason}`);

const capError = skipReason === null ? loadError('cap') : null;
if (capError !== null) console.warn(`[test/live/live] cap backend tests SKIPPED: require('cap') fails: ${capError}`);

const TRAFFIC = { tcp: [3978, 28769], refused: [3979], udp: 29281, datagrams: 3 };
const HA1 = ['ha.ha1-clear.28769', 'panorama.ha-clear.28769'];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Packet counts of a capture file by every reader that is installed (tshark, capinfos, tcpdump). */
function toolCounts(file: string): Record<string, number> {
  const out: Record<string, number> = {};
  const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  const tshark = run('tshark', ['-n', '-r', file, '-T', 'fields', '-e', 'frame.number']);
  if (!tshark.error) {
    expect(tshark.status, `tshark: ${tshark.stderr}`).toBe(0);
    out.tshark = tshark.stdout.split('\n').filter((l) => l.trim() !== '').length;
  }
  const capinfos = run('capinfos', ['-M', '-c', file]);
  if (!capinfos.error) {
    expect(capinfos.status, `capinfos: ${capinfos.stderr}`).toBe(0);
    const m = /Number of packets:\s+(\d+)/.exec(capinfos.stdout);
    expect(m, capinfos.stdout).not.toBeNull();
    out.capinfos = Number(m![1]);
  }
  const tcpdump = run('tcpdump', ['-nn', '-r', file]);
  if (!tcpdump.error) {
    expect(tcpdump.status, `tcpdump: ${tcpdump.stderr}`).toBe(0);
    out.tcpdump = tcpdump.stdout.split('\n').filter((l) => l.trim() !== '').length;
  }
  if (Object.keys(out).length === 0) console.warn('[test/live/live] none of tshark, capinfos, tcpdump is installed: -W packet counts not cross-checked');
  return out;
}

const entry = (s: Summary, id: string): EntrySummary | undefined => s.entries.find((e) => e.id === id);
const flowsOf = (s: Summary, ids: string[]): number => ids.reduce((a, id) => a + (entry(s, id)?.flows ?? 0), 0);

describe.skipIf(skipReason !== null)('pantap live (veth pair between two namespaces)', () => {
  let net: NetnsPair;
  let server: Proc;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pantap-live-'));
    net = createPair();
    server = await startEchoServers(net, [3978, 28769], [29281], 120_000);
  });

  afterAll(() => {
    server?.child.stdin?.end();
    net?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const cli = (args: string[], timeoutMs = 15_000) => net.run(net.a, NODE, [BIN, ...args], timeoutMs);

  /**
   * Starts `pantap live -i <veth in a> -F json ARGS`, waits until its capture socket is
   * open, generates the traffic, optionally interrupts it, and returns the parsed summary.
   */
  async function capture(args: string[], o: { sigint?: boolean } = {}): Promise<{ summary: Summary; stderr: string }> {
    const p = net.spawn(net.a, NODE, [BIN, 'live', '-i', net.ifA, '-F', 'json', ...args]);
    p.child.stdin!.end();
    const killer = setTimeout(() => p.child.kill('SIGKILL'), 30_000);
    try {
      await Promise.race([
        net.waitForCapture(net.a, 10_000),
        p.exited.then((r) => {
          throw new Error(`pantap live exited early (${r.code ?? r.signal}): ${p.stderr()}`);
        }),
      ]);
      await sleep(150);
      const traffic = await net.run(net.a, NODE, ['-e', clientScript(IP_B, TRAFFIC)], 15_000);
      expect(traffic.code, `traffic: ${traffic.stdout}${traffic.stderr}`).toBe(0);
      if (o.sigint) {
        await sleep(300); // the last ACKs
        p.child.kill('SIGINT');
      }
      const r = await p.exited;
      expect(r, `pantap live: ${p.stderr()}`).toEqual({ code: 0, signal: null });
      return { summary: JSON.parse(p.stdout()) as Summary, stderr: p.stderr() };
    } finally {
      clearTimeout(killer);
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    }
  }

  /** The checks every full capture of TRAFFIC must pass, for either backend. */
  async function checkCapture(summary: Summary, file: string): Promise<void> {
    expect(summary.schema).toBe('pantap.summary.v1');
    expect(summary.input.details[0].format).toBe('live');
    expect(entry(summary, 'panorama.device-mgmt.3978')?.flows).toBeGreaterThanOrEqual(1);
    expect(flowsOf(summary, HA1)).toBeGreaterThanOrEqual(1);
    expect(entry(summary, 'ha.ha2-udp.29281')?.flows).toBeGreaterThanOrEqual(1);
    for (const id of ['panorama.device-mgmt.3978', 'ha.ha2-udp.29281', ...HA1]) expect(entry(summary, id)?.failed ?? 0, id).toBe(0);
    const rejected = summary.flows.filter((f: FlowRecord) => f.transport === 'tcp' && f.serverPort === 3979);
    expect(rejected.length).toBeGreaterThanOrEqual(1);
    for (const f of rejected) {
      expect(f.state).toBe('rejected');
      expect(f.server).toBe(IP_B);
    }

    // The -W file holds exactly the packets the summary counted, for every reader.
    const counts = toolCounts(file);
    for (const [tool, n] of Object.entries(counts)) expect(n, tool).toBe(summary.input.packets);

    // Re-analyzing it gives the same entries.
    const an = await cli(['analyze', file, '-F', 'json', '-w', '0']);
    expect(an.code, an.stderr).toBe(0);
    const offline = JSON.parse(an.stdout) as Summary;
    expect(offline.input.packets).toBe(summary.input.packets);
    expect(offline.input.bytes).toBe(summary.input.bytes);
    expect(offline.input.malformed).toBe(summary.input.malformed);
    const shape = (s: Summary) => s.entries.map((e) => ({ id: e.id, flows: e.flows, packets: e.packets, bytes: e.bytes, failed: e.failed }));
    expect(shape(offline)).toEqual(shape(summary));
    expect(offline.flows.map((f) => [f.serverPort, f.state, f.packets])).toEqual(summary.flows.map((f) => [f.serverPort, f.state, f.packets]));
  }

  describe('native backend', () => {
    it('classifies real 3978, HA1 28769, HA2 29281 and rejected traffic; -W matches tshark/capinfos and analyze', async () => {
      const file = join(dir, 'native.pcapng');
      const { summary } = await capture(['--duration', '4', '-W', file]);
      expect(summary.capture).toMatchObject({ interface: net.ifA, backend: 'native', filter: null, dropped: 0, ifDropped: 0 });
      expect(summary.capture!.received).toBeGreaterThanOrEqual(summary.input.packets);
      await checkCapture(summary, file);
    });

    it('-c N stops by itself after exactly N packets, and -W holds those N', async () => {
      const file = join(dir, 'count.pcapng');
      const { summary } = await capture(['-c', '5', '-W', file]);
      expect(summary.input.packets).toBe(5);
      for (const [tool, n] of Object.entries(toolCounts(file))) expect(n, tool).toBe(5);
    });

    it('SIGINT ends the capture, prints the summary and exits 0; -f filters', async () => {
      const file = join(dir, 'sigint.pcapng');
      const { summary } = await capture(['-f', 'tcp port 3978', '-W', file], { sigint: true });
      expect(summary.capture!.filter).toBe('tcp port 3978');
      expect(entry(summary, 'panorama.device-mgmt.3978')?.flows).toBe(1);
      expect(summary.entries.filter((e) => e.flows > 0).map((e) => e.id)).toEqual(['panorama.device-mgmt.3978']);
      for (const [tool, n] of Object.entries(toolCounts(file))) expect(n, tool).toBe(summary.input.packets);
    });

    it('unknown interface: exit 2, one line naming the valid interfaces', async () => {
      const r = await cli(['live', '-i', 'pt-nosuch0', '-F', 'json', '--duration', '1']);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toContain('no such interface');
      expect(lines[0]).toContain(net.ifA);
      expect(lines[0]).toMatch(/\blo\b/);
    });

    it('bad capture filter: exit 2, one line', async () => {
      const r = await cli(['live', '-i', net.ifA, '-f', 'port nonsense', '-F', 'json', '--duration', '1']);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr).toContain('bad capture filter');
    });

    it('pantap interfaces lists lo (and the veth end)', async () => {
      const table = await cli(['interfaces']);
      expect(table.code, table.stderr).toBe(0);
      expect(table.stdout).toMatch(/\blo\b/);
      const json = await cli(['interfaces', '-F', 'json']);
      expect(json.code, json.stderr).toBe(0);
      const list = JSON.parse(json.stdout) as { name: string; loopback: boolean }[];
      expect(list.find((i) => i.name === 'lo')?.loopback).toBe(true);
      expect(list.map((i) => i.name)).toContain(net.ifA);
    });
  });

  describe.skipIf(capError !== null)('cap backend', () => {
    it('classifies the same traffic; no drop statistics (null)', async () => {
      const file = join(dir, 'cap.pcapng');
      const { summary, stderr } = await capture(['--backend', 'cap', '--duration', '4', '-W', file]);
      expect(summary.capture).toMatchObject({ interface: net.ifA, backend: 'cap', received: null, dropped: null, ifDropped: null });
      expect(stderr).toContain('no kernel drop statistics');
      await checkCapture(summary, file);
    });

    it('--snaplen truncates cap packets too (the -W file agrees)', async () => {
      const file = join(dir, 'cap-snap.pcapng');
      const { summary } = await capture(['--backend', 'cap', '--snaplen', '64', '-c', '12', '-W', file]);
      expect(summary.input.packets).toBe(12);
      expect(summary.input.capturedBytes).toBeLessThanOrEqual(12 * 64);
      expect(summary.input.bytes).toBeGreaterThan(summary.input.capturedBytes);
      for (const [tool, n] of Object.entries(toolCounts(file))) expect(n, tool).toBe(12);
    });

    it('unknown interface and bad filter: exit 2 with one line (no crash)', async () => {
      const nodev = await cli(['live', '--backend', 'cap', '-i', 'pt-nosuch0', '-F', 'json', '--duration', '1']);
      expect(nodev.code, nodev.stderr).toBe(2);
      expect(nodev.stderr.trimEnd().split('\n'), nodev.stderr).toHaveLength(1);
      expect(nodev.stderr).toContain('no such interface');
      expect(nodev.stderr).toContain(net.ifA);
      const filter = await cli(['live', '--backend', 'cap', '-i', net.ifA, '-f', 'port nonsense', '-F', 'json', '--duration', '1']);
      expect(filter.code, filter.stderr).toBe(2);
      expect(filter.stderr).toContain('bad capture filter');
    });
  });
});
