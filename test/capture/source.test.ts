// Byte sources: gzip recognised by its magic (never by the name), stdin ('-') plain and
// gzip-compressed, corrupt gzip and missing files.
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { BufferPool } from '../../src/capture/reader.js';
import { openSource } from '../../src/capture/source.js';
import { CaptureError } from '../../src/errors.js';
import { cat, epb, idb, pcap, readAll, shb, tempDir, type Rec } from '../helpers/build.js';

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
    const g = await openSource(tmp.file('src.gz.bin', gzipSync(plain)));
    expect([g.gzip, g.size]).toEqual([true, null]);
    const into = new Uint8Array(24);
    let got = 0;
    while (got < 24) got += await g.read(into, got, 24 - got);
    expect(Buffer.from(into)).toEqual(plain.subarray(0, 24));
    await g.close();
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
