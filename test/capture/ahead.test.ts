// Read-ahead (capture/ahead.ts): the hand-over itself (parts in order, buffers going round,
// the file's end, a read error, stop), and the reader over it — the same records and the
// same report as reading on the main thread alone, for whole files, files cut inside a
// record, a read error, a cut record too long for the head room, tiny files and an abort.
import { createHash } from 'node:crypto';
import { closeSync, openSync, read } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { ReadAhead } from '../../src/capture/ahead.js';
import { BufferPool, readCapture, type AheadTuning, type FileReport } from '../../src/capture/reader.js';
import { recordsOf, pcap, tempDir, type PcapRecord, type Rec } from '../helpers/build.js';

/** A record with its bytes as a digest (deep equality of thousands of Buffers is slow). */
type Seen = Omit<Rec, 'data'> & { data: string };
const seen = (r: Rec): Seen => ({ ...r, data: createHash('sha1').update(r.data).digest('hex') });

const tmp = tempDir();
afterAll(() => tmp.remove());

/** Bytes whose value tells their position. */
function pattern(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + (i >>> 8)) & 0xff;
  return b;
}

/**
 * fs.read, failing with EIO for reads that reach `failAt`: at once, or (`partial`) after
 * reading up to it, as read(2) does, the next read failing.
 */
function failingRead(failAt: number, partial = false): typeof read {
  return ((fd: number, buf: Uint8Array, off: number, len: number, pos: number, cb: (err: NodeJS.ErrnoException | null, n: number) => void) => {
    if (pos >= failAt || (!partial && pos + len > failAt)) {
      setImmediate(() => cb(Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO', errno: -5 }), 0));
      return;
    }
    read(fd, buf, off, Math.min(len, failAt - pos), pos, (err, n) => cb(err, n));
  }) as unknown as typeof read;
}

describe('ReadAhead', () => {
  const SLOT = 16384;
  const HEAD = 1024;
  const file = pattern(20 * (SLOT - HEAD) + 5000);
  const path = tmp.file('ring.bin', file);

  it('hands the file over part by part, in order, from the offset given, until a short part', async () => {
    const pool = new BufferPool(SLOT, 16);
    const fd = openSync(path, 'r');
    const r = new ReadAhead(path, fd, pool, { head: HEAD, depth: 3 });
    expect(r.active).toBe(false);
    expect(await r.take()).toBeNull(); // not begun
    r.begin(1000);
    const got: Buffer[] = [];
    const bufs = new Set<ArrayBuffer>();
    for (;;) {
      const t = await r.take();
      if (t === null) break;
      expect(t.err).toBeNull();
      bufs.add(t.bufs.data);
      got.push(Buffer.from(new Uint8Array(t.bufs.data, HEAD, t.length)));
      pool.release(t.bufs); // reused by later reads
    }
    expect(Buffer.concat(got).equals(file.subarray(1000))).toBe(true);
    expect(got.length).toBe(Math.ceil((file.length - 1000) / (SLOT - HEAD)));
    // depth 3, each buffer back before the read after next: 4 buffers go round
    expect(bufs.size).toBe(4);
    expect(r.active).toBe(false);
    await r.stop();
    closeSync(fd);
  });

  it('a file that ends on a part boundary ends with an empty part', async () => {
    const pool = new BufferPool(SLOT, 16);
    const fd = openSync(path, 'r');
    const r = new ReadAhead(path, fd, pool, { head: HEAD, depth: 2 });
    r.begin(file.length - 2 * (SLOT - HEAD));
    const lens: number[] = [];
    for (let t = await r.take(); t !== null; t = await r.take()) lens.push(t.length);
    expect(lens).toEqual([SLOT - HEAD, SLOT - HEAD, 0]);
    await r.stop();
    closeSync(fd);
  });

  it('parts smaller than the room: each read asks for `part` bytes, the last one short', async () => {
    const pool = new BufferPool(SLOT, 16);
    const fd = openSync(path, 'r');
    const PART = 5000;
    const r = new ReadAhead(path, fd, pool, { head: HEAD, depth: 2, part: PART });
    r.begin(333);
    const got: Buffer[] = [];
    for (let t = await r.take(); t !== null; t = await r.take()) {
      expect(t.want).toBe(PART);
      got.push(Buffer.from(new Uint8Array(t.bufs.data, HEAD, t.length)));
      pool.release(t.bufs);
    }
    expect(Buffer.concat(got).equals(file.subarray(333))).toBe(true);
    expect(got.length).toBe(Math.floor((file.length - 333) / PART) + 1);
    expect(got.slice(0, -1).every((b) => b.length === PART)).toBe(true);
    await r.stop();
    closeSync(fd);
  });

  it('a read error ends the parts there, as a CaptureError naming the file', async () => {
    const pool = new BufferPool(SLOT, 16);
    const fd = openSync(path, 'r');
    const failAt = 3 * (SLOT - HEAD) + 123;
    const r = new ReadAhead(path, fd, pool, { head: HEAD, depth: 2, read: failingRead(failAt, true) });
    r.begin(0);
    const parts: { length: number; err: string | null }[] = [];
    for (let t = await r.take(); t !== null; t = await r.take()) parts.push({ length: t.length, err: t.err?.message ?? null });
    // the part that reaches failAt is short (read(2) stops there); the next one fails
    expect(parts).toEqual([
      { length: SLOT - HEAD, err: null },
      { length: SLOT - HEAD, err: null },
      { length: SLOT - HEAD, err: null },
      { length: 123, err: null },
    ]);
    const r2 = new ReadAhead(path, fd, pool, { head: HEAD, depth: 2, read: failingRead(SLOT - HEAD + 1) });
    r2.begin(0);
    expect((await r2.take())!.err).toBeNull();
    const t = (await r2.take())!;
    expect(t.err?.message).toBe(`${path}: read failed (EIO)`);
    expect(t.err?.code).toBe('INPUT');
    expect(await r2.take()).toBeNull();
    await r.stop();
    await r2.stop();
    closeSync(fd);
  });

  it('stop() waits for the reads in flight and gives their buffers back', async () => {
    const pool = new BufferPool(SLOT, 16);
    const fd = openSync(path, 'r');
    const r = new ReadAhead(path, fd, pool, { head: HEAD, depth: 3 });
    r.begin(0);
    const t = (await r.take())!;
    await r.stop();
    expect(await r.take()).toBeNull();
    pool.release(t.bufs);
    // all four buffers are back: four acquires reuse them, a fifth is new
    const again = new Set([pool.acquire(), pool.acquire(), pool.acquire(), pool.acquire()].map((b) => b.data));
    expect(again.has(t.bufs.data)).toBe(true);
    expect(again.size).toBe(4);
    closeSync(fd);
  });
  it('a second stop() (the source closing) also waits for the reads still in flight', async () => {
    const pool = new BufferPool(SLOT, 16);
    const fd = openSync(path, 'r');
    let inFlight = 0;
    const slow = ((f: number, buf: Uint8Array, off: number, len: number, pos: number, cb: (err: NodeJS.ErrnoException | null, n: number) => void) => {
      inFlight++;
      setTimeout(() => read(f, buf, off, len, pos, (err, n) => {
        inFlight--;
        cb(err, n);
      }), 30);
    }) as unknown as typeof read;
    const r = new ReadAhead(path, fd, pool, { head: HEAD, depth: 2, read: slow });
    r.begin(0);
    expect(inFlight).toBe(2);
    void r.stop(); // the reader's
    await r.stop(); // the source's, before it closes the file
    expect(inFlight).toBe(0);
    closeSync(fd);
  });
});

// ---------------------------------------------------------------------------------------
// The reader over read-ahead

/** Records of varied sizes (60–1514 bytes; 30,000 from `bigFrom` on), their timestamps in order. */
function records(n: number, bigFrom = n): PcapRecord[] {
  const out: PcapRecord[] = [];
  for (let i = 0; i < n; i++) {
    const len = i >= bigFrom ? 30000 : 60 + ((i * 397) % 1455);
    const data = Buffer.alloc(len);
    for (let j = 0; j < len; j++) data[j] = (i + j * 13) & 0xff;
    out.push({ sec: 1700000000 + (i >> 4), frac: (i * 1009) % 1000000, data });
  }
  return out;
}

interface Read {
  report: FileReport;
  records: Seen[];
  /** Batches read ahead (their first record does not start at data[0]). */
  lent: number;
  /** Whether the last batch was. */
  lastLent: boolean;
  batches: number;
}

/** Reads a file as the session does, with or without read-ahead. */
async function readFile(path: string, readAhead: boolean | AheadTuning, o: { abortAfter?: number } = {}): Promise<Read> {
  const pool = new BufferPool(64 << 10, 4096);
  const out: Seen[] = [];
  let lent = 0;
  let batches = 0;
  let lastLent = false;
  const ac = new AbortController();
  const report = await readCapture(path, {
    fileIndex: 0,
    seqBase: 0,
    pool,
    readAhead,
    signal: ac.signal,
    async submit(batch) {
      batches++;
      // a part read ahead has its head room in front of the first record
      lastLent = new Uint32Array(batch.index)[0] > 1000;
      if (lastLent) lent++;
      for (const r of recordsOf(batch)) out.push(seen(r));
      pool.release(batch);
      if (batches === o.abortAfter) ac.abort();
    },
  });
  return { report, records: out, lent, lastLent, batches };
}

const TUNE: AheadTuning = { minBytes: 0, head: 4096, depth: 3 };

describe('reading with read-ahead', () => {
  const recs = records(3000);
  const whole = pcap(recs);

  it('gives the same records and report as reading on this thread, around the ring many times', async () => {
    const path = tmp.file('whole.pcap', whole);
    const plain = await readFile(path, false);
    const ahead = await readFile(path, TUNE);
    expect(plain.lent).toBe(0);
    expect(ahead.lent).toBeGreaterThan(20); // 2.4 MB through 3 slots of 64 KiB
    expect(ahead.records).toEqual(plain.records);
    expect(ahead.report).toEqual(plain.report);
    expect(ahead.report.records).toBe(3000);
  });

  it('parts smaller than the room (each a batch): the same records and report, whole, cut, failing and ending on a part boundary', async () => {
    const part = { ...TUNE, part: 9000 };
    const path = tmp.file('parts.pcap', whole);
    const plain = await readFile(path, false);
    const ahead = await readFile(path, part);
    expect(ahead.lent).toBeGreaterThan(200); // 2.4 MB in parts of 9,000 bytes
    expect(ahead.records).toEqual(plain.records);
    expect(ahead.report).toEqual(plain.report);
    const cut = tmp.file('parts-cut.pcap', whole.subarray(0, whole.length - 700));
    const plainCut = await readFile(cut, false);
    const aheadCut = await readFile(cut, part);
    expect(plainCut.report.truncatedAt).not.toBeNull();
    expect(aheadCut.records).toEqual(plainCut.records);
    expect(aheadCut.report).toEqual(plainCut.report);
    const failAt = Math.floor(whole.length * 0.6);
    const failed = await readFile(path, { ...part, read: failingRead(failAt) });
    expect(failed.report.error).toBe(`${path}: read failed (EIO)`);
    const last = failed.records[failed.records.length - 1];
    expect(last.offset + last.caplen).toBeLessThanOrEqual(failAt);
    expect(last.offset + last.caplen).toBeGreaterThan(failAt - 2 * 9000);
    expect(failed.records).toEqual(plain.records.slice(0, failed.records.length));
    // parts read ahead from the end of the first batch (64 KiB) that end where the file does
    const edge = tmp.file('parts-edge.pcap', whole.subarray(0, (64 << 10) + 200 * 9000));
    const plainEdge = await readFile(edge, false);
    const aheadEdge = await readFile(edge, part);
    expect(aheadEdge.lent).toBeGreaterThan(190);
    expect(aheadEdge.records).toEqual(plainEdge.records);
    expect(aheadEdge.report).toEqual(plainEdge.report);
  });

  it('a file cut inside a record: same records, same truncation offset', async () => {
    const cut = whole.subarray(0, whole.length - 700);
    const path = tmp.file('cut.pcap', cut);
    const plain = await readFile(path, false);
    const ahead = await readFile(path, TUNE);
    expect(ahead.lent).toBeGreaterThan(3);
    expect(plain.report.truncatedAt).not.toBeNull();
    expect(ahead.records).toEqual(plain.records);
    expect(ahead.report).toEqual(plain.report);
  });

  it('a read error: every record before the part that failed, and the error in the report', async () => {
    const path = tmp.file('err.pcap', whole);
    const failAt = Math.floor(whole.length * 0.6);
    const plain = await readFile(path, false);
    const ahead = await readFile(path, { ...TUNE, read: failingRead(failAt) });
    expect(ahead.lent).toBeGreaterThan(3);
    expect(ahead.report.error).toBe(`${path}: read failed (EIO)`);
    expect(ahead.report.truncatedAt).toBeNull();
    // the records whole before the part that failed (of 61,440 bytes), and no other
    const last = ahead.records[ahead.records.length - 1];
    expect(last.offset + last.caplen).toBeLessThanOrEqual(failAt);
    expect(last.offset + last.caplen).toBeGreaterThan(failAt - 2 * (64 << 10));
    expect(ahead.records).toEqual(plain.records.slice(0, ahead.records.length));
    expect(ahead.report.records).toBe(ahead.records.length);
    expect(ahead.report.bytesRead).toBe(last.offset + last.caplen);
  });

  it('a cut record longer than the head room: this thread reads the rest itself', async () => {
    // 30 records of 30,000 bytes at the end: a slot ends inside one of them, its cut part
    // longer than the 4 KiB head room
    const path = tmp.file('big.pcap', pcap(records(1530, 1500)));
    const plain = await readFile(path, false);
    const ahead = await readFile(path, TUNE);
    expect(ahead.lent).toBeGreaterThan(3);
    expect(ahead.lastLent).toBe(false);
    expect(ahead.records).toEqual(plain.records);
    expect(ahead.report).toEqual(plain.report);
  });

  it('tiny files and files below the size limit are read on this thread', async () => {
    const tiny = tmp.file('tiny.pcap', pcap(records(3)));
    const a = await readFile(tiny, TUNE);
    expect(a.lent).toBe(0);
    expect(a.records).toEqual((await readFile(tiny, false)).records);
    const path = tmp.file('small.pcap', whole);
    expect((await readFile(path, { ...TUNE, minBytes: whole.length + 1 })).lent).toBe(0);
    expect((await readFile(path, TUNE)).lent).toBeGreaterThan(20);

  });

  it('an abort ends reading with what was handed over (not a truncation)', async () => {
    const path = tmp.file('abort.pcap', whole);
    const plain = await readFile(path, false);
    const ahead = await readFile(path, TUNE, { abortAfter: 30 });
    expect(ahead.lent).toBeGreaterThan(5);
    expect(ahead.report.truncatedAt).toBeNull();
    expect(ahead.report.error).toBeNull();
    expect(ahead.records.length).toBeLessThan(3000);
    expect(ahead.records).toEqual(plain.records.slice(0, ahead.records.length));
  });
});
