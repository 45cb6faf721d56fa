// Read-ahead in parts (frame7): for part sizes that divide nothing, records that fill the
// index, records longer than a part or than the head room, files cut or ending anywhere, the
// same records, sequence numbers and report as reading on this thread alone.
import { createHash } from 'node:crypto';
import { read } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { BufferPool, readCapture, type AheadTuning, type FileReport } from '../../src/capture/reader.js';
import { recordsOf, pcap, tempDir, type PcapRecord } from '../helpers/build.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

interface Read {
  report: FileReport;
  /** offset, caplen, seq and a digest of each record's bytes */
  records: string[];
  lent: number;
  /** Per batch: whether it was read ahead (its head room in front of its first record). */
  lentEach: boolean[];
}

async function readFile(path: string, readAhead: boolean | AheadTuning, maxRecords = 4096, abortAfter = 0): Promise<Read> {
  const pool = new BufferPool(64 << 10, maxRecords);
  const records: string[] = [];
  let lent = 0;
  let batches = 0;
  const lentEach: boolean[] = [];
  const ac = new AbortController();
  const report = await readCapture(path, {
    fileIndex: 0,
    seqBase: 5,
    pool,
    readAhead,
    signal: ac.signal,
    async submit(batch) {
      lentEach.push(batch.count > 0 && new Uint32Array(batch.index)[0] > 1000);
      if (lentEach[lentEach.length - 1]) lent++;
      expect(batch.seqBase).toBe(5 + records.length);
      for (const r of recordsOf(batch)) records.push(`${r.offset} ${r.caplen} ${r.sec}.${r.nsec} ${createHash('sha1').update(r.data).digest('hex')}`);
      pool.release(batch);
      if (++batches === abortAfter) ac.abort();
    },
  });
  return { report, records, lent, lentEach };
}

/** Records of `sizes(i)` bytes each. */
function recs(n: number, size: (i: number) => number): PcapRecord[] {
  const out: PcapRecord[] = [];
  for (let i = 0; i < n; i++) {
    const data = Buffer.alloc(size(i));
    for (let j = 0; j < data.length; j++) data[j] = (i * 31 + j) & 0xff;
    out.push({ sec: 1700000000 + i, frac: i % 1000000, data });
  }
  return out;
}

const TUNE: AheadTuning = { minBytes: 0, head: 4096, depth: 2 };
const PARTS = [97, 999, 4093, 9001, 17011, 30011, 61439, 61440, 70000];

describe('read-ahead in parts against this thread alone', () => {
  const files: [string, Buffer, number][] = [
    ['varied', pcap(recs(700, (i) => 60 + ((i * 397) % 1455))), 4096],
    // 200-byte records, then 16-18-byte ones: a batch's index (1,000 records) fills inside
    // parts of 17,000 bytes or more (the rest carried into the next part, or read here when
    // longer than the head room), not inside the batches read before the parts begin
    ['tiny', pcap(recs(21000, (i) => (i < 1000 ? 200 : i % 3))), 1000],
    // records longer than small parts, under the head room (4 KiB)
    ['middling', pcap(recs(400, (i) => 2000 + ((i * 53) % 2000))), 4096],
    // records longer than the head room, in the middle
    ['big', pcap(recs(900, (i) => (i > 500 && i < 520 ? 20000 : 300 + (i % 700)))), 4096],
  ];
  for (const [name, whole, maxRecords] of files) {
    it(`${name}: whole, cut anywhere, at every part size`, async () => {
      const cuts = [whole.length, whole.length - 1, whole.length - 700, Math.floor(whole.length * 0.7), (64 << 10) + 3 * 9001, (64 << 10) + 61440];
      for (const len of cuts) {
        const path = tmp.file(`${name}-${len}.pcap`, whole.subarray(0, len));
        const plain = await readFile(path, false, maxRecords);
        expect(plain.lent).toBe(0);
        for (const part of PARTS) {
          const ahead = await readFile(path, { ...TUNE, part }, maxRecords);
          expect({ name, len, part, records: ahead.records.length }).toEqual({ name, len, part, records: plain.records.length });
          expect(ahead.records).toEqual(plain.records);
          expect(ahead.report).toEqual(plain.report);
          if (len === whole.length) expect(ahead.lent).toBeGreaterThan(0);
        }
      }
    });
  }

  it('a cut record of exactly the head room, longer than head room and part together: read on here, the parts in flight dropped', async () => {
    // Records of 116 bytes: the first batch ends at the last whole one in 64 KiB, the second
    // (read here: nothing was handed over when the first ended) 64 KiB after that, and the
    // parts of 8,192 bytes begin there. A 30,016-byte record starts 4,096 bytes (the head
    // room) before the third part's end: its part frames nothing, the reader takes the whole
    // buffer and reads on itself, past where the parts in flight begin.
    const part = 8192;
    const begin = 24 + Math.floor(((64 << 10) - 24) / 116) * 116 + (64 << 10);
    const S = begin + 3 * part - 4096;
    const small = recs(Math.floor((S - 24) / 116) - 1, () => 100);
    const used = 24 + small.length * 116;
    const filler = recs(1, () => S - used - 16);
    const big = recs(1, () => 30000);
    const after = recs(300, (i) => 60 + i);
    const whole = pcap([...small, ...filler, ...big, ...after]);
    expect(whole.length).toBeGreaterThan(S + 30016);
    const path = tmp.file('exact-head.pcap', whole);
    const plain = await readFile(path, false);
    expect(plain.records.some((r) => r.startsWith(`${S + 16} 30000 `))).toBe(true);
    const ahead = await readFile(path, { ...TUNE, part });
    expect(ahead.lent).toBeGreaterThan(1);
    expect(ahead.report).toEqual(plain.report);
    expect(ahead.records).toEqual(plain.records);
  });

  it('a part shorter than asked before the end of the file: this thread reads on from there', async () => {
    const whole = files[0][1];
    const path = tmp.file('short.pcap', whole);
    const plain = await readFile(path, false);
    for (const part of [999, 9001, 30011]) {
      for (const at of [140000, 200003, Math.floor(whole.length * 0.8)]) {
        // the read that reaches `at` stops there (a short read, no error); later reads are whole
        const short = ((fd: number, buf: Uint8Array, off: number, len: number, pos: number, cb: (err: NodeJS.ErrnoException | null, n: number) => void) =>
          read(fd, buf, off, pos < at && pos + len > at ? at - pos : len, pos, cb)) as unknown as typeof read;
        const ahead = await readFile(path, { ...TUNE, part, read: short });
        expect(ahead.lent).toBeGreaterThan(0);
        expect(ahead.records).toEqual(plain.records);
        expect(ahead.report).toEqual(plain.report);
      }
    }
  });

  it('reads the first two batches here (64 KiB, then a whole buffer), the parts from the third on', async () => {
    const path = tmp.file('first.pcap', files[0][1]);
    const a = await readFile(path, { ...TUNE, part: 9001 });
    expect(a.lentEach.slice(0, 4)).toEqual([false, false, true, true]);
    expect(a.lentEach.slice(2, -1).every((x) => x)).toBe(true);
  });

  it('an abort with reads in flight: a prefix of the records, no truncation', async () => {
    const path = tmp.file('abort.pcap', files[0][1]);
    const plain = await readFile(path, false);
    for (const part of PARTS) {
      const a = await readFile(path, { ...TUNE, part }, 4096, 7);
      expect(a.report.truncatedAt).toBeNull();
      expect(a.report.error).toBeNull();
      expect(a.records).toEqual(plain.records.slice(0, a.records.length));
    }
  });
});
