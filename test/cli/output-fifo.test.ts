// Outputs that are FIFOs (the built dist/cli/bin.js): as with `tcpdump -w FIFO`, pantap waits
// for a process to open the FIFO for reading, and writes once one does; but the wait never
// blocks the main thread, so Ctrl-C and SIGTERM end it (exit 130/143, one line, nothing
// written) and a second signal ends pantap at once. Linux only (/proc, mkfifo). The old
// blocking open(2) on the main thread made each of the "nobody reads" cases hang.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/build.js';
import { REPO } from '../helpers/shared.js';
import { settled, pantapStarted, waitingForReader } from '../helpers/proc.js';

const BIN = resolve(REPO, 'dist/cli/bin.js');
const A06 = resolve(REPO, 'fixtures/pan-lab/a06_failures.pcap');
const tmp = tempDir('pantap-output-fifo-');
afterAll(() => tmp.remove());
const skip = existsSync('/proc/self/task') ? null : 'needs /proc';

const running = new Set<ChildProcess>();
afterEach(() => {
  for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  running.clear();
});

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function start(args: string[], stdin: 'pipe' | 'ignore' = 'ignore'): { child: ChildProcess; done: Promise<Ended>; signalled: () => void } {
  const child = spawn(process.execPath, [BIN, 'analyze', ...args], { cwd: REPO, stdio: [stdin, 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  running.add(child);
  let stdout = '';
  let stderr = '';
  let since = Date.now();
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<Ended>((r) => child.on('close', (code, signal) => r({ code, signal, stdout, stderr, ms: Date.now() - since })));
  return { child, done, signalled: () => (since = Date.now()) };
}

/** Sends `sig`; still running 10 s later, it is killed (and the test fails on its code). */
async function send(p: ReturnType<typeof start>, sig: NodeJS.Signals): Promise<Ended> {
  p.signalled();
  p.child.kill(sig);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
  try {
    return await p.done;
  } finally {
    clearTimeout(timer);
  }
}

function mkfifo(name: string): string {
  const p = join(tmp.dir, name);
  rmSync(p, { force: true });
  const r = spawnSync('mkfifo', [p]);
  if (r.status !== 0) throw new Error(`mkfifo ${p}: ${r.stderr?.toString() ?? String(r.error)}`);
  return p;
}

const line = (label: string) => `pantap: ${label}: interrupted while waiting for a process to read it; nothing was written\n`;

describe.skipIf(skip !== null)('an output FIFO nobody reads', () => {
  for (const [sig, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`--flows-ndjson FIFO: pantap waits for a reader, ${sig} ends the wait at once (exit ${code}, one line)`, async () => {
      const fifo = mkfifo(`flows-${sig}.fifo`);
      const p = start([A06, '-F', 'json', '--flows-ndjson', fifo]);
      await pantapStarted(p.child.pid!);
      await waitingForReader(p.child.pid!, fifo);
      const r = await send(p, sig);
      expect(r.signal, r.stderr).toBeNull();
      expect(r.code, r.stderr).toBe(code);
      expect(r.ms).toBeLessThan(3000);
      expect(r.stderr).toBe(line(`--flows-ndjson ${fifo}`));
      expect(r.stdout).toBe('');
    });
  }

  it('-o FIFO after the analysis: SIGTERM ends the wait (exit 143, one line)', async () => {
    const fifo = mkfifo('summary.fifo');
    const p = start([A06, '-F', 'json', '-o', fifo]);
    await pantapStarted(p.child.pid!);
    await waitingForReader(p.child.pid!, fifo);
    const r = await send(p, 'SIGTERM');
    expect(r.code, r.stderr).toBe(143);
    expect(r.stderr).toBe(line(`-o ${fifo}`));
  });

  it('a Ctrl-C that ended reading does not cancel the summary: -o FIFO waits; the second Ctrl-C ends pantap at once', async () => {
    const fifo = mkfifo('after-ctrl-c.fifo');
    const p = start(['-', '-F', 'json', '-w', '0', '-o', fifo], 'pipe');
    p.child.stdin!.write(readFileSync(A06)); // the pipe stays open: reading waits for more
    await pantapStarted(p.child.pid!);
    await settled(p.child.pid!);
    p.child.kill('SIGINT'); // reading ends, the summary is made and waits for the FIFO's reader
    await waitingForReader(p.child.pid!, fifo);
    const r = await send(p, 'SIGINT');
    p.child.stdin!.destroy();
    expect(r.signal, r.stderr).toBe('SIGINT');
    expect(r.ms).toBeLessThan(3000);
  });
});

describe.skipIf(skip !== null)('an output FIFO whose reader comes later', () => {
  it('--flows-ndjson and -o FIFOs: written once their readers open them, exit as usual', async () => {
    const flows = mkfifo('late-flows.fifo');
    const summary = mkfifo('late-summary.fifo');
    const p = start([A06, '-F', 'json', '--flows-ndjson', flows, '-o', summary]);
    await waitingForReader(p.child.pid!, flows);
    await sleep(200);
    const readFlows = spawnSync('cat', [flows], { encoding: 'utf8', timeout: 10_000 });
    await waitingForReader(p.child.pid!, summary);
    const readSummary = spawnSync('cat', [summary], { encoding: 'utf8', timeout: 10_000 });
    const r = await p.done;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = readFlows.stdout.trim().split('\n');
    const s = JSON.parse(readSummary.stdout) as { input: { packets: number }; flows: unknown[] };
    expect(s.input.packets).toBe(38);
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.every((l) => typeof (JSON.parse(l) as { transport?: unknown }).transport === 'string')).toBe(true);
  });

  it('a Ctrl-C that ended reading, then the -o FIFO reader: the summary of what was read, exit 130', async () => {
    const fifo = mkfifo('late-after-ctrl-c.fifo');
    const p = start(['-', '-F', 'json', '-w', '0', '-o', fifo], 'pipe');
    p.child.stdin!.write(readFileSync(A06));
    await pantapStarted(p.child.pid!);
    await settled(p.child.pid!);
    p.child.kill('SIGINT');
    await waitingForReader(p.child.pid!, fifo);
    const read = spawnSync('cat', [fifo], { encoding: 'utf8', timeout: 10_000 });
    const r = await p.done;
    p.child.stdin!.destroy();
    expect(r.code, r.stderr).toBe(130);
    expect(JSON.parse(read.stdout).input).toMatchObject({ packets: 38, truncated: true });
  });
});
