// `pantap live`'s view in a real terminal: tmux at 80×24 runs the CLI capturing on a veth
// pair between two namespaces while traffic (a served 3978, HA1 28769, HA2 29281, a refused
// 3979) goes through, then stops. The view redraws in place on the alternate screen (tmux's
// history gets no copy of it: before, one copy a second), fits 24 rows and 80 columns, says
// when packets stop coming, and after Ctrl-C the terminal is back on its main screen with
// the summary. Needs root, iproute2, the pantap-live addon, tmux and a build.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/shared.js';
import { IP_B, clientScript, createPair, netnsUnavailable, startEchoServers, type NetnsPair, type Proc } from '../helpers/netns.js';

const require = createRequire(import.meta.url);
const BIN = join(REPO, 'dist', 'cli', 'bin.js');

function why(): string | null {
  const ns = netnsUnavailable();
  if (ns !== null) return ns;
  try {
    require('pantap-live');
  } catch (err) {
    return `the pantap-live addon does not load: ${(err as Error).message.split('\n')[0]}`;
  }
  if (!existsSync(BIN)) return `${BIN} not found: run npm run build first`;
  const t = spawnSync('tmux', ['-V'], { encoding: 'utf8' });
  if (t.error || t.status !== 0) return `tmux is not installed (${t.error?.message ?? t.stderr.trim()})`;
  return null;
}
const skipReason = why();
if (skipReason !== null) console.warn(`[test/live/live-view] SKIPPED: ${skipReason}`);

// A tmux server of this test's own (its own socket), killed at the end.
const SOCKET = `pantap-lv-${process.pid}`;
const SESSION = 'view';
const tmux = (...args: string[]) => {
  const r = spawnSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const screen = () => tmux('capture-pane', '-p', '-t', SESSION).replace(/\n+$/, '').split('\n');
const history = () => tmux('capture-pane', '-p', '-S', '-', '-E', '-', '-t', SESSION);
const pane = (fmt: string) => tmux('display-message', '-p', '-t', SESSION, fmt).trim();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.skipIf(skipReason !== null)('pantap live view in tmux at 80×24', () => {
  let net: NetnsPair;
  let server: Proc;

  beforeAll(async () => {
    net = createPair();
    server = await startEchoServers(net, [3978, 28769], [29281], 120_000);
  });

  afterAll(() => {
    spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
    server?.child.stdin?.end();
    net?.destroy();
  });

  it('redraws in place, fits the terminal, says when packets stop, and gives the terminal back on Ctrl-C', async () => {
    // The pane stays after pantap exits (sleep), so that its main screen can be read.
    const cmd = `ip netns exec ${net.a} ${process.execPath} ${BIN} live -i ${net.ifA} --tcp-timeout 5 --udp-timeout 5; sleep 60`;
    tmux('new-session', '-d', '-s', SESSION, '-x', '80', '-y', '24', cmd);
    await net.waitForCapture(net.a, 10_000);
    const frames: string[][] = [];
    for (let round = 0; round < 4; round++) {
      const t = await net.run(net.a, process.execPath, ['-e', clientScript(IP_B, { tcp: [3978, 28769], refused: [3979], udp: 29281, datagrams: 2 })], 15_000);
      expect(t.code, t.stdout + t.stderr).toBe(0);
      await sleep(1200);
      frames.push(screen());
    }
    expect(pane('#{alternate_on}')).toBe('1');
    for (const f of frames) {
      expect(f.length).toBeLessThanOrEqual(24);
      for (const l of f) expect([...l].length, l).toBeLessThanOrEqual(80);
      expect(f.filter((l) => l.startsWith('pantap live on')).length).toBe(1);
      expect(f[0]).toMatch(new RegExp(`^pantap live on ${net.ifA} — \\d+ s · [\\d,]+ packets`));
    }
    const last = frames.at(-1)!.join('\n');
    expect(last).toMatch(/Failures — \d+ flows?/);
    expect(last).toMatch(/10\.77\.0\.1 → 10\.77\.0\.2:3979\/tcp +refused +\d+ +unexpected/);
    expect(last).not.toMatch(/panorama\.|ha\.ha/); // entry names, never catalog ids
    expect(last).not.toContain('no packets');

    // Quiet: the notice comes once no packet has arrived for 5 s.
    await sleep(6500);
    const quiet = screen();
    expect(quiet.join('\n')).toMatch(/^no packets for [5-9] s$/m);
    expect(quiet.length).toBeLessThanOrEqual(24);

    tmux('send-keys', '-t', SESSION, 'C-c');
    const end = Date.now() + 10_000;
    while (!history().includes('Kernel ') && Date.now() < end) await sleep(100);
    expect(pane('#{alternate_on}')).toBe('0');
    const all = history();
    expect(all).toContain(`Interface  ${net.ifA} (live, native backend)`);
    // Before, each refresh cleared the screen into tmux's history: one copy a second.
    expect(all).not.toContain('pantap live on');
    expect(all).not.toContain('Ctrl-C ends the capture');
  });

  it('draws no view when stdout is not a terminal: the summary alone, no escape sequences', async () => {
    const r = await net.run(net.a, process.execPath, [BIN, 'live', '-i', net.ifA, '--duration', '2'], 15_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.startsWith(`Interface  ${net.ifA} (live, native backend)\n`)).toBe(true);
    expect(r.stdout).not.toContain('\x1b');
  });
});
