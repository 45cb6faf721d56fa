// NDJSON flow lines and the writer's backpressure and failure handling; written to a
// descriptor (as the CLI does), each group of lines is in the kernel when writeFlows resolves.
import { spawnSync } from 'node:child_process';
import { closeSync, constants, createWriteStream, fstatSync, mkdtempSync, openSync, readFileSync, readlinkSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeCaptures, type Analysis } from '../../src/analyze.js';
import { CaptureError } from '../../src/errors.js';
import { renderJson } from '../../src/report/json.js';
import { flowLine, NdjsonWriter, writeFlows } from '../../src/report/ndjson.js';
import { REPO } from '../helpers/shared.js';
import { fixtureSummary, ha2Flow, panoramaFlow } from './fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'pantap-ndjson-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('flowLine', () => {
  it('is one JSON object on one line, identical to the summary flows item', () => {
    const s = fixtureSummary();
    for (const [i, f] of s.flows.entries()) {
      const line = flowLine(f);
      expect(line.endsWith('\n')).toBe(true);
      expect(line.slice(0, -1)).not.toContain('\n');
      expect(JSON.parse(line)).toEqual((JSON.parse(renderJson(s)) as { flows: unknown[] }).flows[i]);
      expect(Object.keys(JSON.parse(line)).slice(0, 3)).toEqual(['transport', 'client', 'server']);
    }
    expect(JSON.parse(flowLine(ha2Flow()))).toMatchObject({ clientPort: null, ethertype: 0x7261, state: null });
  });
});

describe('NdjsonWriter', () => {
  it('writes every line in order through a small buffer (drain)', async () => {
    const file = join(dir, 'flows.ndjson');
    const stream = createWriteStream(file, { highWaterMark: 64 });
    let drains = 0;
    stream.on('drain', () => drains++);
    const w = new NdjsonWriter(stream);
    for (let i = 0; i < 500; i++) await w.write({ ...panoramaFlow(), clientPort: 1024 + i });
    await w.close();
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(500);
    expect(lines.map((l) => (JSON.parse(l) as { clientPort: number }).clientPort)).toEqual(Array.from({ length: 500 }, (_, i) => 1024 + i));
    expect(drains).toBeGreaterThan(0);
  });

  it('waits for drain before resolving a write into a full stream', async () => {
    const pending: (() => void)[] = [];
    const chunks: string[] = [];
    const slow = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk.toString());
        pending.push(cb);
      },
    });
    const w = new NdjsonWriter(slow);
    let resolved = false;
    const p = w.write(panoramaFlow()).then(() => (resolved = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(resolved).toBe(false);
    pending.shift()!();
    await p;
    expect(resolved).toBe(true);
    expect(chunks).toHaveLength(1);
  });

  it('leaves a file descriptor open for its owner', async () => {
    const file = join(dir, 'fd.ndjson');
    const fd = openSync(file, 'w');
    const w = new NdjsonWriter(fd);
    await w.write(panoramaFlow());
    await w.write(ha2Flow());
    await w.close();
    expect(() => fstatSync(fd)).not.toThrow();
    closeSync(fd);
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('rejects writes and close after the stream fails, with one OUTPUT error naming the output', async () => {
    const broken = new Writable({
      write(_chunk, _enc, cb) {
        cb(Object.assign(new Error('EPIPE: broken pipe'), { code: 'EPIPE' }));
      },
    });
    const w = new NdjsonWriter(broken, { name: 'flows.ndjson' });
    await w.write(panoramaFlow()).catch(() => undefined);
    await new Promise((r) => setImmediate(r));
    const err = await w.write(panoramaFlow()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CaptureError);
    expect((err as CaptureError).code).toBe('OUTPUT');
    expect((err as CaptureError).message).toBe('flows.ndjson: cannot write flows (EPIPE)');
    await expect(w.close()).rejects.toThrow('flows.ndjson: cannot write flows (EPIPE)');
  });
});

describe('NdjsonWriter on a descriptor (the CLI\'s --flows-ndjson)', () => {
  let a: Analysis;
  beforeAll(async () => {
    a = await analyzeCaptures([resolve(REPO, 'fixtures/pan-lab/a07_mixed.pcap')], { workers: 0 });
    expect(a.flows.length).toBeGreaterThan(6);
  });
  const lineCount = (file: string) => readFileSync(file, 'utf8').split('\n').length - 1;
  /** Whether descriptor `fd` is (still) open on `path` (a closed number may be reused by then). */
  const openOn = (fd: number, path: string): boolean => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === path;
    } catch {
      return false;
    }
  };

  it('a regular file holds every line of a writeFlows() call when it resolves (nothing waits in memory for SIGKILL to lose)', async () => {
    const file = join(dir, 'live.ndjson');
    const w = new NdjsonWriter(openSync(file, 'w'), { name: file, closeFd: true });
    let written = 0;
    // Groups as expiry hands them over; the file is read with no turn of the event loop in
    // between, so a line still queued behind an asynchronous write would be missing.
    for (const group of [a.flows.slice(0, 1), a.flows.slice(1, 4), a.flows.slice(4)]) {
      await writeFlows(w, group, a.catalog);
      written += group.length;
      expect(lineCount(file)).toBe(written);
    }
    await w.close();
    expect(lineCount(file)).toBe(a.flows.length);
  });

  it('a FIFO gets the lines before writeFlows() resolves, and a reader that stalls leaves the main thread free', async () => {
    const fifo = join(dir, 'flows.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const w = new NdjsonWriter(openSync(fifo, 'w'), { name: fifo, closeFd: true });
    const readAvailable = (): string => {
      const buf = Buffer.alloc(1 << 20);
      let got = '';
      for (;;) {
        try {
          const n = readSync(reader, buf, 0, buf.length, null);
          if (n === 0) return got;
          got += buf.toString('utf8', 0, n);
        } catch (err) {
          if ((err as { code?: string }).code === 'EAGAIN') return got;
          throw err;
        }
      }
    };
    try {
      await writeFlows(w, a.flows.slice(0, 2), a.catalog);
      expect(readAvailable().split('\n').length - 1).toBe(2);
      // Far more than a pipe holds (64 KiB): the write waits in the thread pool until read.
      const many = Array.from({ length: 400 }, () => a.flows).flat();
      let done = false;
      const p = writeFlows(w, many, a.catalog).then(() => (done = true));
      let ticks = 0;
      await new Promise<void>((r) => {
        const t = setInterval(() => (++ticks >= 5 ? (clearInterval(t), r()) : undefined), 10);
      });
      expect(done).toBe(false);
      let got = '';
      while (!done) {
        got += readAvailable();
        await new Promise((r) => setTimeout(r, 1));
      }
      await p;
      got += readAvailable();
      expect(got.split('\n').length - 1).toBe(many.length);
      await w.close();
    } finally {
      closeSync(reader);
    }
  });

  it('a full device is one OUTPUT error naming the output, from write and from close, and the descriptor is closed', async () => {
    const fd = openSync('/dev/full', 'w');
    const w = new NdjsonWriter(fd, { name: '/dev/full', closeFd: true });
    const err = await writeFlows(w, a.flows, a.catalog).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CaptureError);
    expect((err as CaptureError).code).toBe('OUTPUT');
    expect((err as CaptureError).message).toBe('/dev/full: cannot write flows (ENOSPC)');
    await expect(w.close()).rejects.toThrow('/dev/full: cannot write flows (ENOSPC)');
    expect(openOn(fd, '/dev/full')).toBe(false);
  });

  it('abandon() after an error closes an owned descriptor without throwing; one not owned stays open', async () => {
    const full = openSync('/dev/full', 'w');
    const owned = new NdjsonWriter(full, { name: '/dev/full', closeFd: true });
    await owned.write(panoramaFlow());
    owned.abandon();
    await new Promise((r) => setImmediate(r));
    expect(openOn(full, '/dev/full')).toBe(false);
    const fd = openSync(join(dir, 'kept.ndjson'), 'w');
    const kept = new NdjsonWriter(fd, { name: 'kept' });
    kept.abandon();
    await new Promise((r) => setImmediate(r));
    expect(() => fstatSync(fd)).not.toThrow();
    closeSync(fd);
  });
});
