// `pantap analyze` ended by a signal (the built dist/cli/bin.js): SIGINT and SIGTERM while
// it reads a pipe, a FIFO or a file give the summary of every complete record read so far
// and exit 130 / 143, as shells report them; a second signal ends it at once; a terminal on
// stdin is refused instead of read.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, constants, existsSync, openSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/build.js';
import { REPO } from '../helpers/shared.js';
import { procField, settled as quiet, pantapStarted, stdinQueued } from '../helpers/proc.js';

const BIN = resolve(REPO, 'dist/cli/bin.js');
const A06 = readFileSync(resolve(REPO, 'fixtures/pan-lab/a06_failures.pcap'));
const tmp = tempDir('pantap-signals-');
afterAll(() => tmp.remove());

// A test that fails half-way must not leave a pantap behind, stopped or waiting on a pipe.
const running = new Set<ChildProcess>();
afterEach(() => {
  for (const c of running) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGCONT');
      c.kill('SIGKILL');
    }
  }
  running.clear();
});

/** Offsets where each complete record of a little-endian pcap ends. */
function recordEnds(b: Buffer): number[] {
  expect(b.readUInt32LE(0)).toBe(0xa1b2c3d4);
  const ends: number[] = [];
  for (let p = 24; p + 16 <= b.length && p + 16 + b.readUInt32LE(p + 8) <= b.length; p += 16 + b.readUInt32LE(p + 8)) ends.push(p + 16 + b.readUInt32LE(p + 8));
  return ends;
}

/** The header and records of `b`, its records repeated until the capture holds `bytes`. */
function grown(b: Buffer, bytes: number): Buffer {
  const parts = [b];
  for (let n = b.length; n < bytes; n += b.length - 24) parts.push(b.subarray(24));
  return Buffer.concat(parts);
}

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function ended(child: ChildProcess): Promise<Ended> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  return new Promise((resolvePromise) => child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr })));
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Waits until pantap (pid) has read what was written to its stdin (the socket's queue empty,
 * ss's Recv-Q; without ss, at least `bytes` more read of anything, start-up's ≈ 650 KB of
 * module files included) and sits idle (its read count steady). It reads stdin only once
 * main() has installed its signal handlers: a signal before then would be Node's own. Without
 * /proc, a pause.
 */
async function settled(pid: number, bytes: number): Promise<void> {
  if (!existsSync(`/proc/${pid}/io`)) return sleep(2000);
  const deadline = Date.now() + 20_000;
  await pantapStarted(pid);
  const rchar = () => Number(procField(pid, 'io', 'rchar') ?? 0);
  const base = rchar();
  let last = -1;
  let steadySince = Date.now();
  for (;;) {
    const now = rchar();
    if (now !== last) {
      last = now;
      steadySince = Date.now();
    } else if (now - base >= bytes && Date.now() - steadySince >= 200 && (stdinQueued(pid) ?? 0) === 0) return;
    if (Date.now() > deadline) throw new Error(`pantap read ${now - base} of ${bytes} bytes`);
    await sleep(10);
  }
}

/** Waits until pantap reads and writes nothing for 300 ms (blocked, or done); without /proc, a pause. */
async function idle(pid: number): Promise<void> {
  if (!existsSync(`/proc/${pid}/io`)) return sleep(1000);
  await quiet(pid);
}

/** A pcap of `n` TCP SYNs, each from its own source port: n flows. */
function synCapture(n: number): Buffer {
  const frame = Buffer.alloc(54);
  frame.writeUInt16BE(0x0800, 12); // IPv4
  frame.set([0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6], 14); // 20-byte header, 40 bytes, TTL 64, TCP
  frame.writeUInt32BE(0x0a000001, 26);
  frame.writeUInt32BE(0x0a630102, 30);
  frame.writeUInt16BE(3978, 36); // destination port
  frame[46] = 0x50; // data offset 5 words
  frame[47] = 0x02; // SYN
  const out = Buffer.alloc(24 + n * 70);
  out.writeUInt32LE(0xa1b2c3d4, 0);
  out.writeUInt16LE(2, 4);
  out.writeUInt16LE(4, 6);
  out.writeUInt32LE(65535, 16);
  out.writeUInt32LE(1, 20); // Ethernet
  for (let i = 0; i < n; i++) {
    const p = 24 + i * 70;
    out.writeUInt32LE(1700000000 + i, p);
    out.writeUInt32LE(54, p + 8);
    out.writeUInt32LE(54, p + 12);
    frame.copy(out, p + 16);
    out.writeUInt16BE(1024 + i, p + 16 + 34); // source port
  }
  return out;
}

/** Sends `sig` and waits for the end; still running 10 s later, it is killed (failing the test). */
async function interrupt(child: ChildProcess, sig: NodeJS.Signals, done: Promise<Ended>): Promise<Ended> {
  child.kill(sig);
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  try {
    return await done;
  } finally {
    clearTimeout(timer);
  }
}

function pantap(args: string[], stdin: 'pipe' | 'ignore' = 'pipe'): ChildProcess {
  return tracked(spawn(process.execPath, [BIN, 'analyze', ...args], { cwd: REPO, stdio: [stdin, 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } }));
}

function tracked(child: ChildProcess): ChildProcess {
  running.add(child);
  return child;
}

function mkfifo(name: string): string {
  const p = join(tmp.dir, name);
  rmSync(p, { force: true });
  const r = spawnSync('mkfifo', [p]);
  if (r.status !== 0) throw new Error(`mkfifo ${p}: ${r.stderr?.toString() ?? String(r.error)}`);
  return p;
}

/** What every interrupted run must show: the code, exactly the complete records, no error line. */
function expectSummary(r: Ended, code: number, packets: number): void {
  expect(r.signal, r.stderr).toBeNull();
  expect(r.code, r.stderr).toBe(code);
  expect(r.stderr).not.toMatch(/truncated .*header|file ends inside|interrupted before/);
  const s = JSON.parse(r.stdout);
  expect(s.input.packets).toBe(packets);
  expect(s.input.truncated).toBe(true);
  expect(s.input.details).toHaveLength(1);
  expect(s.input.details[0]).toMatchObject({ packets, truncatedAt: null, error: null });
}

const SIGNALS = [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const;

describe('pantap analyze - with its writer still there', () => {
  for (const [sig, code] of SIGNALS) {
    it(`${sig}: every complete record written is in the summary, exit ${code}`, async () => {
      const child = pantap(['-', '-F', 'json', '-w', '0']);
      const done = ended(child);
      child.stdin!.write(A06); // 38 records, and the pipe stays open
      await settled(child.pid!, A06.length);
      const r = await interrupt(child, sig, done);
      child.stdin!.destroy();
      expectSummary(r, code, 38);
    });
  }

  it('a record cut by the signal is left out, the ones before it are counted (worker threads)', async () => {
    const ends = recordEnds(A06);
    const sent = A06.subarray(0, ends[19] + 30); // 20 records and the start of the 21st
    const child = pantap(['-', '-F', 'json']);
    const done = ended(child);
    child.stdin!.write(sent);
    await settled(child.pid!, sent.length);
    const r = await interrupt(child, 'SIGINT', done);
    child.stdin!.destroy();
    expectSummary(r, 130, 20);
  });

  it('3 MB piped: all complete records are counted, however many buffers they took', async () => {
    const big = grown(A06, 3 << 20);
    const ends = recordEnds(big);
    const sent = big.subarray(0, ends[ends.length - 1] + 10);
    const child = pantap(['-', '-F', 'json', '-w', '0']);
    const done = ended(child);
    child.stdin!.write(sent);
    await settled(child.pid!, sent.length);
    const r = await interrupt(child, 'SIGTERM', done);
    child.stdin!.destroy();
    expectSummary(r, 143, ends.length);
  });

  it('the writer dying right after the signal (a pipeline hit by Ctrl-C) changes nothing', async () => {
    const child = pantap(['-', '-F', 'json', '-w', '0']);
    const done = ended(child);
    child.stdin!.write(A06);
    await settled(child.pid!, A06.length);
    const r = interrupt(child, 'SIGINT', done);
    await sleep(20);
    child.stdin!.end();
    expectSummary(await r, 130, 38);
  });

  it('a signal before any capture header arrived: the input is named as interrupted, exit 130', async () => {
    const child = pantap(['-', '-F', 'json']);
    const done = ended(child);
    child.stdin!.write(A06.subarray(0, 10));
    await settled(child.pid!, 10);
    const r = await interrupt(child, 'SIGINT', done);
    child.stdin!.destroy();
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toBe('pantap: stdin: interrupted before the pcap file header was complete (10 of 24 bytes read)\n');
    expect(JSON.parse(r.stdout).input).toMatchObject({ packets: 0, truncated: true });
  });

  it('a second signal ends it at once, by that signal (a shell reports 130/143), even while a write is stuck', async () => {
    const syns = synCapture(3000); // 3000 flows: far more NDJSON than a pipe holds
    for (const [first, second] of [
      ['SIGINT', 'SIGTERM'],
      ['SIGTERM', 'SIGINT'],
    ] as const) {
      const fifo = mkfifo(`flows-${first}.fifo`);
      // held open but never read: once the pipe is full, writing the flow list waits
      const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
      try {
        const child = pantap(['-', '-F', 'json', '-w', '0', '--flows-ndjson', fifo]);
        const done = ended(child);
        child.stdin!.write(syns);
        await settled(child.pid!, syns.length);
        child.kill(first);
        await idle(child.pid!);
        const r = await interrupt(child, second, done);
        child.stdin!.destroy();
        expect(r.signal, `${first} then ${second}`).toBe(second);
        expect(r.stdout, 'no summary: it had not been written yet').toBe('');
      } finally {
        closeSync(reader);
      }
    }
  });
});

describe('pantap analyze with a FIFO kept open by a sleeping writer', () => {
  /** A shell that opens the FIFO for writing, writes the file, then sleeps with it open. */
  function writer(fifo: string, file: string): ChildProcess {
    return tracked(spawn('sh', ['-c', 'exec >"$1"; cat "$2"; exec sleep 60', 'sh', fifo, file], { stdio: 'ignore' }));
  }
  const file = tmp.file('a06-3mb.pcap', grown(A06, 3 << 20));
  const ends = recordEnds(readFileSync(file));

  it('named as the input: SIGTERM gives the summary of every record, exit 143', async () => {
    const fifo = mkfifo('named.fifo');
    const w = writer(fifo, file);
    try {
      const child = pantap([fifo, '-F', 'json', '-w', '0'], 'ignore');
      const done = ended(child);
      await settled(child.pid!, ends[ends.length - 1]);
      expectSummary(await interrupt(child, 'SIGTERM', done), 143, ends.length);
    } finally {
      w.kill();
    }
  });

  it('as stdin (pantap analyze - < FIFO): SIGINT gives the summary of every record, exit 130', async () => {
    const fifo = mkfifo('stdin.fifo');
    const w = writer(fifo, file);
    try {
      const child = tracked(spawn('sh', ['-c', 'exec "$1" "$2" analyze - -F json <"$3"', 'sh', process.execPath, BIN, fifo], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] }));
      const done = ended(child);
      await settled(child.pid!, ends[ends.length - 1]);
      expectSummary(await interrupt(child, 'SIGINT', done), 130, ends.length);
    } finally {
      w.kill();
    }
  });
});

describe('pantap analyze FILE interrupted while reading a regular file', () => {
  it.skipIf(!existsSync('/proc/self/fdinfo'))('stops reading, sums up the records read, exit 130 (needs /proc)', async () => {
    const big = grown(A06, 96 << 20);
    const path = join(tmp.dir, 'big.pcap');
    writeFileSync(path, big);
    const ends = recordEnds(big);
    const child = pantap([path, '-F', 'json', '-w', '0'], 'ignore');
    const done = ended(child);
    const pid = child.pid!;
    // Step the process with SIGSTOP/SIGCONT until it is stopped mid-file, then signal it
    // there: the signal lands while the file is being read, however fast that is.
    const position = (): number => {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        try {
          if (readlinkSync(`/proc/${pid}/fd/${fd}`) === path) return Number(procField(pid, `fdinfo/${fd}`, 'pos'));
        } catch {
          // closed meanwhile
        }
      }
      return -1;
    };
    await pantapStarted(pid);
    let pos = -1;
    for (let tries = 0; tries < 5000; tries++) {
      process.kill(pid, 'SIGSTOP');
      await sleep(2);
      pos = position();
      if (pos > 0 && pos < big.length) break;
      process.kill(pid, 'SIGCONT');
      await sleep(1);
    }
    expect(pos, 'stopped while reading the file').toBeGreaterThan(0);
    expect(pos).toBeLessThan(big.length);
    child.kill('SIGINT'); // pending until the process runs on
    const r = await interrupt(child, 'SIGCONT', done);
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toBe('');
    const s = JSON.parse(r.stdout);
    expect(s.input.packets).toBeGreaterThan(0);
    expect(s.input.packets).toBeLessThan(ends.length);
    expect(s.input.truncated).toBe(true);
    expect(s.input.details[0]).toMatchObject({ truncatedAt: null, error: null });
  });
});

describe('a terminal on stdin', () => {
  const script = spawnSync('script', ['--version'], { encoding: 'utf8' });
  const haveScript = script.status === 0 && /util-linux/.test(script.stdout + script.stderr);
  it.skipIf(!haveScript)(`is refused at once with a hint, exit 2${haveScript ? '' : ' (skipped: script from util-linux not found)'}`, async () => {
    // script runs pantap on a new pty; its own stdin stays open, so a read of the terminal
    // would wait (the old behaviour) and time out instead of ending
    const child = tracked(spawn('script', ['-qec', `"${process.execPath}" "${BIN}" analyze -`, '/dev/null'], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] }));
    const done = ended(child);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const r = await done;
    clearTimeout(timer);
    child.stdin!.destroy();
    expect(r.signal).toBeNull();
    expect(r.code).toBe(2);
    expect(r.stdout.replace(/\r/g, '')).toBe('pantap: stdin is a terminal: pipe a capture in (tcpdump -w - | pantap analyze -) or name a file\n');
  });
});
