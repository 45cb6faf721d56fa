// `pantap live` outputs that fail or wait (the built dist/cli/bin.js, in a test-made network
// namespace pair): a full disk under -W or --flows-ndjson ends the capture with one line
// `pantap: PATH: cannot write ... (ENOSPC)` and exit 2 (not an internal error), a FIFO
// nobody reads is waited for without blocking Ctrl-C, and problems with the capture (a full
// flow table) are reported on stderr as `analyze` reports them. Needs root (namespaces,
// tmpfs), the pantap-live addon and a build (npm run build).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IP_B, clientScript, createPair, netnsUnavailable, type NetnsPair, type Proc, startEchoServers } from '../helpers/netns.js';
import { REPO } from '../helpers/shared.js';
import { waitingForReader } from '../helpers/proc.js';

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
if (skipReason !== null) console.warn(`[test/cli/live-outputs] SKIPPED: ${skipReason}`);

/** `count` UDP datagrams of `size` bytes to the echo server, each from its own port (its own flow). */
function udpBurst(count: number, size: number): string {
  return `
const dgram = require('node:dgram');
(async () => {
  for (let i = 0; i < ${count}; i++) {
    const u = dgram.createSocket('udp4');
    await new Promise((r) => u.send(Buffer.alloc(${size}, 0x61), 29281, ${JSON.stringify(IP_B)}, r));
    await new Promise((r) => setTimeout(r, 2));
    u.close();
  }
})();
`;
}

describe.skipIf(skipReason !== null)('pantap live: outputs that fail or wait', () => {
  let net: NetnsPair;
  let server: Proc;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pantap-live-outputs-'));
    net = createPair();
    server = await startEchoServers(net, [3978], [29281], 120_000);
  });

  afterAll(() => {
    server?.child.stdin?.end();
    net?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** pantap live in namespace a; killed after 40 s whatever happens. */
  function live(args: string[]): Proc & { finished: Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> } {
    const p = net.spawn(net.a, NODE, [BIN, 'live', '-i', net.ifA, '-F', 'json', ...args]);
    p.child.stdin!.end();
    const killer = setTimeout(() => p.child.kill('SIGKILL'), 40_000);
    const started = Date.now();
    const finished = p.exited.then((r) => {
      clearTimeout(killer);
      return { ...r, ms: Date.now() - started };
    });
    return { ...p, finished };
  }

  /** A 64 KiB tmpfs in a fresh folder, filled to the last byte when `full`; removed by the returned function. */
  function smallDisk(full: boolean): { d: string; done: () => void } | string {
    const d = mkdtempSync(join(dir, 'disk-'));
    const mnt = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', d], { encoding: 'utf8' });
    if (mnt.status !== 0) return `cannot mount a small tmpfs: ${mnt.stderr.trim() || mnt.error?.message}`;
    if (full) spawnSync('sh', ['-c', 'cat /dev/zero > "$1"/filler', 'sh', d]);
    return {
      d,
      done: () => {
        if (spawnSync('umount', [d]).status !== 0) spawnSync('umount', ['-l', d]);
      },
    };
  }

  it('-W on a disk that fills up during the capture: one line naming the file, exit 2, without a signal', async (ctx) => {
    const disk = smallDisk(false);
    if (typeof disk === 'string') return ctx.skip(disk);
    try {
      const pcap = join(disk.d, 'c.pcapng');
      const p = live(['-W', pcap, '--duration', '30']);
      await net.waitForCapture(net.a, 10_000);
      await sleep(150);
      // About 150 KiB of packets (and their echoes): more than the disk holds.
      await net.run(net.a, NODE, ['-e', udpBurst(100, 1400)], 15_000);
      const r = await p.finished;
      expect(p.stderr()).toBe(`pantap: ${pcap}: cannot write packets (ENOSPC)\n`);
      expect(r).toMatchObject({ code: 2, signal: null });
      expect(r.ms).toBeLessThan(25_000); // it ended on the error, not at --duration
      expect(p.stdout()).toBe('');
    } finally {
      disk.done();
    }
  });

  it('--flows-ndjson on a full disk, flows expiring during the capture: one line naming the file, exit 2, without a signal', async (ctx) => {
    const disk = smallDisk(true);
    if (typeof disk === 'string') return ctx.skip(disk);
    try {
      const ndjson = join(disk.d, 'f.ndjson');
      const p = live(['--flows-ndjson', ndjson, '--udp-timeout', '1', '--tcp-timeout', '1', '--other-timeout', '1', '--duration', '30']);
      await net.waitForCapture(net.a, 10_000);
      await sleep(150);
      const traffic = clientScript(IP_B, { tcp: [3978], refused: [], udp: 29281, datagrams: 2 });
      expect((await net.run(net.a, NODE, ['-e', traffic], 15_000)).code).toBe(0);
      // Expiry runs on capture time: later packets move it past the first flows' timeout.
      await sleep(2500);
      await net.run(net.a, NODE, ['-e', traffic], 15_000);
      const r = await p.finished;
      expect(p.stderr()).toBe(`pantap: ${ndjson}: cannot write flows (ENOSPC)\n`);
      expect(r).toMatchObject({ code: 2, signal: null });
      expect(r.ms).toBeLessThan(25_000);
    } finally {
      disk.done();
    }
  });

  for (const [option, sig, code] of [
    ['--flows-ndjson', 'SIGINT', 130],
    ['-W', 'SIGTERM', 143],
  ] as const) {
    it(`${option} FIFO nobody reads: pantap waits for a reader, ${sig} ends the wait at once (exit ${code}, one line)`, async () => {
      const fifo = join(dir, `${option.replace(/-/g, '')}.fifo`);
      rmSync(fifo, { force: true });
      expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
      const p = live([option, fifo]);
      await net.waitForCapture(net.a, 10_000); // the interface is open: next comes the FIFO
      await waitingForReader(p.child.pid!, fifo);
      const sent = Date.now();
      p.child.kill(sig);
      const r = await p.finished;
      expect(r, p.stderr()).toMatchObject({ code, signal: null });
      expect(Date.now() - sent).toBeLessThan(3000);
      expect(p.stderr()).toBe(`pantap: ${option} ${fifo}: interrupted while waiting for a process to read it; nothing was written\n`);
    });
  }

  it('problems with the capture are reported on stderr, as analyze does (a full flow table)', async () => {
    const p = live(['--max-flows', '1', '--duration', '3']);
    await net.waitForCapture(net.a, 10_000);
    await sleep(150);
    await net.run(net.a, NODE, ['-e', udpBurst(5, 100)], 15_000);
    const r = await p.finished;
    expect(r.code, p.stderr()).toBe(0);
    expect(p.stderr()).toMatch(/^pantap: flow table full at 1 flows: about \d+ further flows? \(\d+ packets?\) not tracked \(raise --max-flows\)$/m);
    expect(JSON.parse(p.stdout()).input.flowTable.overflowFlows).toBeGreaterThan(0);
  });
});

