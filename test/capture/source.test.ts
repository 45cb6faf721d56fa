// Byte sources: gzip recognised by its magic (never by the name), stdin ('-') plain and
// gzip-compressed, corrupt gzip and missing files.
import { spawnSync } from 'node:child_process';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { createGzip, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { BufferPool, readCapture } from '../../src/capture/reader.js';
import { openSource } from '../../src/capture/source.js';
import { CaptureError, InterruptedError } from '../../src/errors.js';
import { mulberry32 } from '../helpers/random.js';
import { cat, epb, idb, pcap, pcapHeader, readAll, recordsOf, shb, tempDir, type Rec } from '../helpers/build.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

const bytes = (n: number, seed: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 13 + seed) & 0xff));
const recs = Array.from({ length: 50 }, (_, i) => ({ sec: 1700000000 + i, frac: i, data: bytes(20 + ((i * 37) % 200), i) }));
const plain = pcap(recs, { linktype: 1 });
const meta = (rs: Rec[]) => rs.map((r) => [r.offset, r.sec, r.nsec, r.caplen, r.origlen, r.link, r.data.toString('hex')]);

async function captureError(p: Promise<unknown>): Promise<CaptureError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(CaptureError);
    return err as CaptureError;
  }
  throw new Error('expected a CaptureError');
}

/** A Readable handing out `buf` in chunks of `size` bytes. */
function chunked(buf: Buffer, size: number): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) parts.push(buf.subarray(i, i + size));
  return Readable.from(parts);
}

describe('gzip is recognised by its magic, not the name', () => {
  it('a gzipped pcap named x.pcap is decompressed', async () => {
    const ref = await readAll(tmp.file('ref.pcap', plain));
    const { report, records } = await readAll(tmp.file('x.pcap', gzipSync(plain)));
    expect(report.gzip).toBe(true);
    expect(report.format).toBe('pcap');
    expect(report.records).toBe(50);
    expect(report.bytesRead).toBe(plain.length);
    expect(meta(records)).toEqual(meta(ref.records));
    expect(ref.report.gzip).toBe(false);
  });

  it('a plain pcap named y.gz is read as it is', async () => {
    const { report, records } = await readAll(tmp.file('y.gz', plain));
    expect(report.gzip).toBe(false);
    expect(report.records).toBe(50);
    expect(records[49].offset).toBe(plain.length - recs[49].data.length);
  });

  it('a gzipped pcapng named z.pcapng.txt', async () => {
    const ng = cat(shb(), idb({ linktype: 113 }), epb({ ts: 1_000002n, data: bytes(30, 1) }));
    const { report, records } = await readAll(tmp.file('z.pcapng.txt', gzipSync(ng)));
    expect(report).toMatchObject({ gzip: true, format: 'pcapng', records: 1, linktypes: [113] });
    expect(meta(records)).toEqual([[76, 1, 2000, 30, 30, 113, bytes(30, 1).toString('hex')]]);
  });

  it('gzip with a small read buffer: records across chunk boundaries still match', async () => {
    const ref = await readAll(tmp.file('ref2.pcap', plain));
    const path = tmp.file('small.pcap', gzipSync(plain));
    for (const cap of [300, 301, 517, 1024]) {
      const got = await readAll(path, { pool: new BufferPool(cap, 3) });
      expect(meta(got.records), `buffer ${cap}`).toEqual(meta(ref.records));
    }
  });

  it('openSource reports gzip, size and name', async () => {
    const p = tmp.file('src.bin', plain);
    const s = await openSource(p);
    expect([s.name, s.gzip, s.size]).toEqual([p, false, plain.length]);
    await s.close();
    const gz = gzipSync(plain);
    const g = await openSource(tmp.file('src.gz.bin', gz));
    expect([g.gzip, g.size]).toEqual([true, gz.length]); // compressed bytes: what progress counts
    const into = new Uint8Array(24);
    let got = 0;
    while (got < 24) got += await g.read(into, got, 24 - got);
    expect(Buffer.from(into)).toEqual(plain.subarray(0, 24));
    await g.close();
  });
});

describe('progress: bytes consumed of the file, compressed bytes for gzip', () => {
  // 6 MB of random records: gzip cannot shrink them, so the .gz is read in several pieces.
  const rnd = mulberry32(11);
  const big = pcap(Array.from({ length: 6000 }, (_, i) => ({ sec: 1700000000 + i, frac: i, data: Buffer.from(Array.from({ length: 1000 }, () => Math.floor(rnd() * 256))) })), { linktype: 1 });
  const progressOf = async (path: string) => {
    const calls: { read: number; size: number | null; packets: number; gzip: boolean }[] = [];
    const pool = new BufferPool(256 << 10, 4096);
    const report = await readCapture(path, { fileIndex: 0, seqBase: 0, pool, submit: (b) => pool.release(b), onProgress: (read, size, packets, gzip) => calls.push({ read, size, packets, gzip }) });
    return { calls, report };
  };
  const rising = (xs: number[]) => xs.every((x, i) => i === 0 || x >= xs[i - 1]);

  it('a plain file: bytes read of its size, packets framed, up to all of both', async () => {
    const { calls, report } = await progressOf(tmp.file('progress.pcap', big));
    expect(calls.length).toBeGreaterThan(3);
    expect(calls.every((c) => c.size === big.length && !c.gzip)).toBe(true);
    expect(rising(calls.map((c) => c.read)) && rising(calls.map((c) => c.packets))).toBe(true);
    expect(calls.at(-1)).toEqual({ read: big.length, size: big.length, packets: 6000, gzip: false });
    expect(report.records).toBe(6000);
  });

  it('a gzip file: compressed bytes consumed of the compressed size (the decompressed size is unknown)', async () => {
    const gz = gzipSync(big, { level: 1 });
    expect(gz.length).toBeLessThan(big.length);
    const { calls, report } = await progressOf(tmp.file('progress.pcap.gz', gz));
    expect(report.gzip).toBe(true);
    expect(calls.length).toBeGreaterThan(3);
    expect(calls.every((c) => c.size === gz.length && c.gzip)).toBe(true);
    expect(calls.every((c) => c.read <= gz.length)).toBe(true);
    expect(rising(calls.map((c) => c.read)) && rising(calls.map((c) => c.packets))).toBe(true);
    // Part-way through, part of the file is consumed: not all at once, not nothing.
    expect(calls.some((c) => c.read > 0 && c.read < gz.length && c.packets > 0 && c.packets < 6000)).toBe(true);
    expect(calls.at(-1)).toEqual({ read: gz.length, size: gz.length, packets: 6000, gzip: true });
  });

  it('stdin: no size, so no progress to measure against', async () => {
    const gz = gzipSync(big, { level: 1 });
    const s = await openSource('-', chunked(gz, 4096));
    expect([s.gzip, s.size, s.consumed()]).toEqual([true, null, 0]);
    await s.close();
  });
});

describe('stdin', () => {
  it("'-' reads a plain capture from the given Readable, in any chunking", async () => {
    const ref = await readAll(tmp.file('ref3.pcap', plain));
    for (const size of [1, 3, 24, 25, 1000, plain.length]) {
      const { report, records } = await readAll('-', { stdin: chunked(plain, size), pool: new BufferPool(512, 5) });
      expect(report.file).toBe('stdin');
      expect(report.gzip).toBe(false);
      expect(meta(records), `chunks of ${size}`).toEqual(meta(ref.records));
    }
  });

  it("'-' reads a gzipped capture (gzip magic split across chunks too)", async () => {
    const ref = await readAll(tmp.file('ref4.pcap', plain));
    const gz = gzipSync(plain);
    for (const size of [1, 2, 100, gz.length]) {
      const { report, records } = await readAll('-', { stdin: chunked(gz, size) });
      expect(report.gzip, `chunks of ${size}`).toBe(true);
      expect(meta(records), `chunks of ${size}`).toEqual(meta(ref.records));
    }
  });

  it('empty stdin is a CaptureError', async () => {
    const err = await captureError(readAll('-', { stdin: Readable.from([]) }));
    expect(err.message).toBe('stdin: empty file, not a pcap or pcapng file');
  });

  it('text on stdin is a CaptureError', async () => {
    const err = await captureError(readAll('-', { stdin: Readable.from([Buffer.from('<!DOCTYPE html>')]) }));
    expect(err.code).toBe('FORMAT');
    expect(err.message).toBe('stdin: not a pcap or pcapng file (starts with 3c 21 44 4f)');
  });

  it('a truncated capture on stdin keeps its complete records', async () => {
    const cut = plain.subarray(0, plain.length - 5);
    const { report } = await readAll('-', { stdin: chunked(cut, 77) });
    expect(report.records).toBe(49);
    expect(report.truncatedAt).toBe(plain.length - recs[49].data.length - 16);
  });
});

describe('errors', () => {
  it('corrupt gzip data is a CaptureError (file)', async () => {
    const gz = gzipSync(plain);
    const bad = Buffer.from(gz);
    for (let i = 20; i < 60; i++) bad[i] ^= 0x5a;
    const path = tmp.file('bad.pcap.gz', bad);
    const err = await captureError(readAll(path));
    expect(err.code).toBe('FORMAT');
    expect(err.message).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: gzip data is corrupt \\(.+\\)$`));
  });

  it('corrupt gzip data is a CaptureError (stdin)', async () => {
    const bad = Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), bytes(200, 1)]);
    const err = await captureError(readAll('-', { stdin: Readable.from([bad]) }));
    expect(err.code).toBe('FORMAT');
    expect(err.message).toMatch(/^stdin: gzip data is corrupt \(.+\)$/);
  });

  it('gzip corrupt or cut after the capture header: the records before it are kept, the error is reported', async () => {
    const gz = gzipSync(plain);
    const ref = await readAll(tmp.file('ref5.pcap', plain));
    for (const cap of [1 << 20, 300]) {
      const path = tmp.file(`cut-${cap}.pcap.gz`, gz.subarray(0, gz.length >> 1));
      const { report, records } = await readAll(path, { pool: new BufferPool(cap, 4) });
      expect(report.error, `buffer ${cap}`).toBe(`${path}: gzip data is corrupt (unexpected end of file)`);
      expect(report.truncatedAt).toBeNull();
      expect(records.length).toBeGreaterThan(0);
      expect(records.length).toBeLessThan(50);
      expect(report.records).toBe(records.length);
      // what was kept is exactly the start of the uncut stream
      expect(meta(records)).toEqual(meta(ref.records.slice(0, records.length)));
    }
  });

  it('a gzip stream cut before the capture header is a CaptureError', async () => {
    const gz = gzipSync(plain);
    const path = tmp.file('cut-early.pcap.gz', gz.subarray(0, 12));
    const err = await captureError(readAll(path));
    expect(err.code).toBe('FORMAT');
    expect(err.message).toBe(`${path}: gzip data is corrupt (unexpected end of file)`);
  });

  it('a missing file is a CaptureError with code INPUT', async () => {
    const path = `${tmp.dir}/does-not-exist.pcap`;
    const err = await captureError(readAll(path));
    expect(err.code).toBe('INPUT');
    expect(err.file).toBe(path);
    expect(err.message).toBe(`${path}: cannot open (no such file)`);
  });

  it('a directory is a CaptureError with code INPUT', async () => {
    const err = await captureError(readAll(tmp.dir));
    expect(err.code).toBe('INPUT');
    expect(err.message).toBe(`${tmp.dir}: cannot open (is a directory)`);
  });
});

describe('an abort (Ctrl-C, SIGTERM) while reading', () => {
  /** File offset of record k of `plain` (where the records before it end). */
  const off = (k: number): number => 24 + recs.slice(0, k).reduce((a, r) => a + 16 + r.data.length, 0);
  const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));
  /** A read that does not end is a failure, not a hung test. */
  async function within<T>(p: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: still reading 3 s after the abort`)), 3000)));
    try {
      return await Promise.race([p, late]);
    } finally {
      clearTimeout(timer);
    }
  }
  const pools = () => [new BufferPool(1 << 20, 4096), new BufferPool(512, 5)];

  it('a stream kept open: the pending read ends, every complete record read so far is kept, nothing is called truncated', async () => {
    const ref = await readAll(tmp.file('ref-abort.pcap', plain));
    const sent = plain.subarray(0, off(30) + 20); // 30 records and the start of the 31st
    for (const pool of pools()) {
      const stdin = new PassThrough();
      const ctl = new AbortController();
      const reading = readAll('-', { stdin, signal: ctl.signal, pool });
      stdin.write(sent.subarray(0, 300));
      await tick(20);
      stdin.write(sent.subarray(300));
      await tick(50);
      ctl.abort('SIGINT');
      const { report, records } = await within(reading, `buffer ${pool.dataBytes}`);
      expect(report, `buffer ${pool.dataBytes}`).toMatchObject({ records: 30, bytesRead: off(30), truncatedAt: null, error: null });
      expect(meta(records)).toEqual(meta(ref.records.slice(0, 30)));
    }
  });

  it('bytes the stream already holds at the abort are still framed', async () => {
    for (const pool of pools()) {
      const stdin = new PassThrough();
      const ctl = new AbortController();
      const reading = readAll('-', { stdin, signal: ctl.signal, pool });
      stdin.write(plain.subarray(0, off(40)));
      ctl.abort('SIGTERM'); // before the reader has had a turn
      const { report } = await within(reading, `buffer ${pool.dataBytes}`);
      expect(report, `buffer ${pool.dataBytes}`).toMatchObject({ records: 40, bytesRead: off(40), truncatedAt: null, error: null });
    }
  });

  it('a gzipped stream: what was inflated before the abort is kept', async () => {
    const stdin = new PassThrough();
    const ctl = new AbortController();
    const reading = readAll('-', { stdin, signal: ctl.signal });
    const gz = createGzip();
    gz.on('data', (c: Buffer) => stdin.write(c));
    gz.write(plain.subarray(0, off(25) + 7));
    await new Promise<void>((resolve) => gz.flush(resolve));
    await tick(50);
    ctl.abort('SIGINT');
    const { report } = await within(reading, 'gzip');
    expect(report).toMatchObject({ gzip: true, records: 25, bytesRead: off(25), truncatedAt: null, error: null });
  });

  it('an abort before the header is complete is an InterruptedError naming the bytes read', async () => {
    const cases: [Buffer, string][] = [
      [Buffer.alloc(0), 'stdin: interrupted before a capture header arrived (0 bytes read)'],
      [pcapHeader().subarray(0, 3), 'stdin: interrupted before a capture header arrived (3 bytes read)'],
      [pcapHeader().subarray(0, 10), 'stdin: interrupted before the pcap file header was complete (10 of 24 bytes read)'],
      [shb().subarray(0, 20), 'stdin: interrupted before the pcapng section header block was complete (20 of 28 bytes read)'],
      [shb().subarray(0, 8), 'stdin: interrupted before the pcapng section header block was complete (8 bytes read)'],
    ];
    for (const [sent, message] of cases) {
      const stdin = new PassThrough();
      const ctl = new AbortController();
      const reading = readAll('-', { stdin, signal: ctl.signal });
      if (sent.length > 0) stdin.write(sent);
      await tick(20);
      ctl.abort('SIGINT');
      const err = await captureError(within(reading, message));
      expect(err).toBeInstanceOf(InterruptedError);
      expect(err.code).toBe('INPUT');
      expect(err.message).toBe(message);
    }
  });

  it('a regular file stops reading at the abort and keeps the records framed by then', async () => {
    const many = Array.from({ length: 3000 }, (_, i) => ({ sec: 1700000000 + i, frac: i, data: bytes(20 + ((i * 37) % 200), i) }));
    const path = tmp.file('many.pcap', pcap(many, { linktype: 1 }));
    const ref = await readAll(path);
    const pool = new BufferPool(4096, 64);
    const ctl = new AbortController();
    const got: Rec[] = [];
    let atAbort = 0;
    const report = await readCapture(path, {
      fileIndex: 0,
      seqBase: 0,
      pool,
      signal: ctl.signal,
      submit(batch) {
        got.push(...recordsOf(batch));
        pool.release(batch);
        if (got.length >= 100 && !ctl.signal.aborted) {
          atAbort = got.length;
          ctl.abort('SIGINT');
        }
      },
    });
    expect(atAbort).toBeGreaterThan(0);
    expect(report.records).toBe(got.length);
    // the buffer read before the abort is framed too, and nothing after it is read
    expect(got.length).toBeGreaterThan(atAbort);
    expect(report.bytesRead).toBeLessThan(ref.records[atAbort].offset + 4096);
    expect(report).toMatchObject({ truncatedAt: null, error: null });
    expect(meta(got)).toEqual(meta(ref.records.slice(0, got.length)));
    expect(report.bytesRead).toBe(ref.records[got.length].offset - 16);
  });

  describe('a FIFO named as the input', () => {
    const fifo = (name: string): string => {
      const p = join(tmp.dir, name);
      const r = spawnSync('mkfifo', [p]);
      if (r.status !== 0) throw new Error(`mkfifo ${p}: ${r.stderr?.toString() ?? r.error}`);
      return p;
    };

    it('is read as a stream to its end (plain, gzip, cut)', async () => {
      const cut = plain.subarray(0, plain.length - 5);
      for (const [name, content, want] of [
        ['plain', plain, { records: 50, gzip: false, truncatedAt: null }],
        ['gzip', gzipSync(plain), { records: 50, gzip: true, truncatedAt: null }],
        ['cut', cut, { records: 49, gzip: false, truncatedAt: off(49) }],
      ] as const) {
        const path = fifo(`${name}.fifo`);
        // the writer's open returns once the reader has opened the FIFO
        const writer = open(path, 'w');
        const reading = readAll(path);
        const fh = await writer;
        await fh.write(content);
        await fh.close();
        const { report } = await within(reading, name);
        expect(report, name).toMatchObject({ file: path, error: null, ...want });
      }
    });

    it('with its writer still there, an abort ends the read and keeps every complete record', async () => {
      const path = fifo('open.fifo');
      const writer = open(path, 'w');
      const ctl = new AbortController();
      const reading = readAll(path, { signal: ctl.signal, pool: new BufferPool(512, 5) });
      const fh = await writer;
      try {
        await fh.write(plain.subarray(0, off(33) + 9));
        await tick(100);
        ctl.abort('SIGTERM');
        const { report } = await within(reading, 'FIFO');
        expect(report).toMatchObject({ records: 33, bytesRead: off(33), truncatedAt: null, error: null });
      } finally {
        await fh.close();
      }
    });
  });
});
