// Capture sets merged by time (capture/merge.ts): the merged record stream equals the one
// of a single file holding the same records in timestamp order (mergecap's order), for
// rotated files (handed on without a copy) and overlapping ones (interleaved by copying),
// at batch sizes that cut every run; global record numbers follow merged order and the
// file map names each record's file; a file cut or unreadable ends only itself.
import { afterAll, describe, expect, it } from 'vitest';
import { FileMap, readMerged } from '../../src/capture/merge.js';
import { BufferPool, type FileReport } from '../../src/capture/reader.js';
import { REC_CAPLEN, REC_OFFSET, REC_TS_NSEC, REC_TS_SEC, REC_WORDS, recordOrigin, type RecordBatch } from '../../src/capture/records.js';
import { CaptureError } from '../../src/errors.js';
import { compactKept } from '../../src/pipeline/dedup.js';
import { pcap, tempDir, type PcapRecord } from '../helpers/build.js';
import { shiftPcap, splitPcap } from '../helpers/pcap-split.js';
import { mulberry32 } from '../helpers/random.js';
import { REPO } from '../helpers/shared.js';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const tmp = tempDir('pantap-merge-');
afterAll(() => tmp.remove());
const LAB = resolve(REPO, 'fixtures/pan-lab');

interface Rec {
  sec: number;
  nsec: number;
  bytes: string;
  seq: number;
  file: number;
}

/** Every record handed over, in order, with its number and batch file index; checks the batches' numbering. */
async function collect(
  paths: string[],
  batchBytes: number,
  batchRecords: number,
): Promise<{ recs: Rec[]; merged: Awaited<ReturnType<typeof readMerged>>; batches: number; origins: { file: number; at: number; bytes: string }[] }> {
  const pool = new BufferPool(batchBytes, batchRecords);
  const recs: Rec[] = [];
  // per record: where it lies in its input, by recordOrigin()
  const origins: { file: number; at: number; bytes: string }[] = [];
  let batches = 0;
  const submit = (b: RecordBatch): void => {
    batches++;
    expect(b.seqBase).toBe(recs.length);
    const u8 = new Uint8Array(b.data);
    const idx = new Uint32Array(b.index);
    for (let r = 0; r < b.count; r++) {
      const o = r * REC_WORDS;
      const off = idx[o + REC_OFFSET];
      recs.push({ sec: idx[o + REC_TS_SEC], nsec: idx[o + REC_TS_NSEC], bytes: Buffer.from(u8.subarray(off, off + idx[o + REC_CAPLEN])).toString('hex'), seq: b.seqBase + r, file: b.fileIndex });
      const from = recordOrigin(b, r);
      origins.push({ file: from.fileIndex, at: from.offset, bytes: recs[recs.length - 1].bytes });
    }
    pool.release(b);
  };
  const merged = await readMerged(paths, { pool, submit });
  return { recs, merged, batches, origins };
}

/** The records of one file in file order, as collect() gives them. */
async function single(path: string): Promise<Rec[]> {
  return (await collect([path], 2 << 20, 1 << 15)).recs;
}

/** mergecap's order: by time, the earlier file first at equal times, each file's order kept. */
function mergeOrder(files: Rec[][]): Rec[] {
  const all = files.flatMap((recs, f) => recs.map((r, i) => ({ r, f, i })));
  // each file here is in time order, so a stable sort by (time, file) is the k-way merge
  all.sort((a, b) => a.r.sec - b.r.sec || a.r.nsec - b.r.nsec || a.f - b.f || a.i - b.i);
  return all.map((x) => x.r);
}

const strip = (recs: Rec[]) => recs.map((r) => `${r.sec}.${r.nsec} ${r.bytes}`);

describe('FileMap', () => {
  it('maps record numbers to files by runs and counts records per file', () => {
    const m = new FileMap();
    m.add(0, 1);
    m.add(3, 1); // same file: no new run
    m.add(5, 0);
    m.add(5, 2); // an empty run is replaced
    m.add(9, 0);
    expect(m.runs()).toEqual([
      { firstSeq: 0, fileIndex: 1 },
      { firstSeq: 5, fileIndex: 2 },
      { firstSeq: 9, fileIndex: 0 },
    ]);
    expect([0, 4, 5, 8, 9, 100].map((s) => m.fileOf(s))).toEqual([1, 1, 2, 2, 0, 0]);
    expect(m.fileOf(-1)).toBe(-1);
    expect(m.countsUpTo(12, 3)).toEqual([3, 5, 4]);
    expect(m.countsUpTo(7, 3)).toEqual([0, 5, 2]);
  });
});

describe('readMerged', () => {
  const whole = resolve(LAB, 'a07_mixed.pcap');
  const parts = splitPcap(whole, 40).map((b, i) => tmp.file(`rot_${i}.pcap`, b));

  it('rotated files give the whole file record by record, every batch handed on uncopied', async () => {
    const ref = await single(whole);
    expect(ref.length).toBe(170);
    for (const [bytes, recsPer] of [
      [2 << 20, 1 << 15],
      [4096, 7],
    ] as const) {
      // given in any order, read in time order
      const { recs, merged } = await collect([parts[3], parts[0], parts[4], parts[2], parts[1]], bytes, recsPer);
      expect(strip(recs)).toEqual(strip(ref));
      expect(merged.records).toBe(170);
      expect(merged.copied).toBe(0);
      expect(merged.results.map((r) => (r as FileReport).records)).toEqual([40, 40, 10, 40, 40]);
      // records 0-39 come from the second argument (parts[0]), and so on
      expect(merged.map.runs()).toEqual([
        { firstSeq: 0, fileIndex: 1 },
        { firstSeq: 40, fileIndex: 4 },
        { firstSeq: 80, fileIndex: 3 },
        { firstSeq: 120, fileIndex: 0 },
        { firstSeq: 160, fileIndex: 2 },
      ]);
    }
  });

  it('overlapping files interleave by time; only interleaved records are copied', async () => {
    const a = resolve(LAB, 'a01_management.pcap');
    // a02 moved 8 s earlier overlaps a01's last seconds
    const b = tmp.file('a02_shifted.pcap', shiftPcap(resolve(LAB, 'a02_ha.pcap'), -8e6));
    const ra = await single(a);
    const rb = await single(b);
    const want = mergeOrder([ra, rb]);
    for (const [bytes, recsPer] of [
      [2 << 20, 1 << 15],
      [4096, 5],
      [2048, 64],
    ] as const) {
      const { recs, merged, origins } = await collect([a, b], bytes, recsPer);
      expect(strip(recs)).toEqual(strip(want));
      // each record, copied or handed on, is named where it lies in its input
      const raw = [readFileSync(a), readFileSync(b)];
      expect(origins.filter((f) => raw[f.file].subarray(f.at, f.at + f.bytes.length / 2).toString('hex') !== f.bytes)).toEqual([]);
      // and both inputs are named (a batch's later records can come from the other input)
      expect(new Set(origins.map((f) => f.file))).toEqual(new Set([0, 1]));
      expect(merged.records).toBe(ra.length + rb.length);
      expect(merged.copied).toBeGreaterThan(0);
      expect(merged.copied).toBeLessThan(merged.records);
      // the map names each record's file
      const fileOf = recs.map((r) => merged.map.fileOf(r.seq));
      const fromA = new Set(ra.map((r) => `${r.sec}.${r.nsec} ${r.bytes}`));
      expect(recs.filter((r, i) => fromA.has(`${r.sec}.${r.nsec} ${r.bytes}`) !== (fileOf[i] === 0))).toEqual([]);
      expect(merged.map.countsUpTo(merged.records, 2)).toEqual([ra.length, rb.length]);
    }
  });

  it('a merged batch whose records moved down (--dedup, --host/--since: compactKept) or whose head was cut off still names each record where it lies', async () => {
    const a = resolve(LAB, 'a01_management.pcap');
    const b = tmp.file('a02_shifted_cut.pcap', shiftPcap(resolve(LAB, 'a02_ha.pcap'), -8e6));
    const raw = [readFileSync(a), readFileSync(b)];
    const pool = new BufferPool(4096, 5);
    const wrong: string[] = [];
    let multi = 0;
    // record r of batch `x` against the input bytes recordOrigin names for it
    const check = (x: RecordBatch, r: number, what: string): void => {
      const idx = new Uint32Array(x.index);
      const off = idx[r * REC_WORDS + REC_OFFSET];
      const bytes = Buffer.from(new Uint8Array(x.data).subarray(off, off + idx[r * REC_WORDS + REC_CAPLEN]));
      const from = recordOrigin(x, r);
      if (!raw[from.fileIndex].subarray(from.offset, from.offset + bytes.length).equals(bytes)) wrong.push(`${what} record ${r}`);
    };
    const submit = (x: RecordBatch): void => {
      if (x.origins !== undefined) multi++;
      // a head cut off as FlowSession.tail() does (the records after 1 as a batch of their own)
      if (x.count > 1) {
        const tail: RecordBatch = { ...x, index: x.index.slice(REC_WORDS * 4), count: x.count - 1, seqBase: x.seqBase + 1 };
        for (let r = 0; r < tail.count; r++) check(tail, r, `tail of ${x.seqBase}`);
      }
      // the first record dropped, the others moved down (as --dedup and the filters do)
      const n = x.count;
      const keep = new Uint8Array(n).fill(1);
      keep[0] = 0;
      compactKept(x, new Uint32Array(x.index), n, keep);
      for (let r = 0; r < x.count; r++) check(x, r, `compacted ${x.seqBase}`);
      pool.release(x);
    };
    await readMerged([a, b], { pool, submit });
    expect(multi).toBeGreaterThan(0);
    expect(wrong).toEqual([]);
  });

  it('equal timestamps: the earlier file first, each file keeping its own order', async () => {
    const rec = (sec: number, tag: number): PcapRecord => ({ sec, frac: 0, data: [tag, tag, tag, tag] });
    const x = tmp.file('eq_x.pcap', pcap([rec(10, 1), rec(10, 2), rec(11, 3)]));
    const y = tmp.file('eq_y.pcap', pcap([rec(9, 4), rec(10, 5), rec(11, 6)]));
    const { recs } = await collect([x, y], 4096, 2);
    expect(recs.map((r) => r.bytes.slice(0, 2))).toEqual(['04', '01', '02', '05', '03', '06']);
  });

  it('a file cut mid-way ends itself only; an unreadable one is an error; the others are read whole', async () => {
    const rb = await single(resolve(LAB, 'a02_ha.pcap'));
    const a = resolve(LAB, 'a01_management.pcap');
    const full = tmp.file('cut_full.pcap', shiftPcap(a, 0));
    const bytes = readFileSync(full);
    const cut = tmp.file('cut.pcap', bytes.subarray(0, Math.floor(bytes.length / 2)));
    const junk = tmp.file('junk.pcap', 'not a capture at all');
    const ra = await single(cut);
    const { recs, merged } = await collect([cut, junk, resolve(LAB, 'a02_ha.pcap')], 4096, 8);
    expect(merged.results[1]).toBeInstanceOf(CaptureError);
    const repCut = merged.results[0] as FileReport;
    expect(repCut.truncatedAt).not.toBeNull();
    expect(repCut.records).toBe(ra.length);
    expect((merged.results[2] as FileReport).records).toBe(rb.length);
    expect(strip(recs)).toEqual(strip(mergeOrder([ra, rb])));
  });

  it('one file is read straight through: the reader batches, nothing copied', async () => {
    const { merged, batches } = await collect([whole], 4096, 7);
    expect(merged.copied).toBe(0);
    expect(batches).toBeGreaterThanOrEqual(Math.ceil(170 / 7));
    expect(merged.map.runs()).toEqual([{ firstSeq: 0, fileIndex: 0 }]);
  });

  it('stops reading at the signal and hands over what was framed', async () => {
    const stop = new AbortController();
    stop.abort();
    const pool = new BufferPool();
    const merged = await readMerged(parts, { pool, signal: stop.signal, submit: (b) => pool.release(b) });
    // aborted before anything was opened: nothing read, no input reported
    expect(merged.records).toBe(0);
    expect(merged.results.every((r) => r === null)).toBe(true);
  });

  it('random sets (overlapping, disjoint, out-of-order records, empty files) at random batch sizes: the k-way head merge', async () => {
    const rnd = mulberry32(12);
    for (let round = 0; round < 25; round++) {
      const files = 2 + Math.floor(rnd() * 4);
      const recs: PcapRecord[][] = [];
      for (let f = 0; f < files; f++) {
        const n = Math.floor(rnd() * 60);
        const base = Math.floor(rnd() * 20);
        let t = base * 1e6;
        const list: PcapRecord[] = [];
        for (let i = 0; i < n; i++) {
          // mostly forward, now and then a step back (a file out of order), ties too
          t += rnd() < 0.1 ? -Math.floor(rnd() * 3e5) : Math.floor(rnd() * 4e5);
          if (t < 0) t = 0;
          const len = 1 + Math.floor(rnd() * 300);
          list.push({ sec: Math.floor(t / 1e6), frac: t % 1e6, data: Buffer.alloc(len, (f * 61 + i) & 0xff) });
        }
        recs.push(list);
      }
      const paths = recs.map((r, f) => tmp.file(`rnd_${round}_${f}.pcap`, pcap(r)));
      const per = await Promise.all(paths.map(single));
      // the reference: repeatedly take the earliest head (earlier file on ties)
      const heads = per.map(() => 0);
      const want: Rec[] = [];
      for (;;) {
        let best = -1;
        for (let f = 0; f < files; f++) {
          if (heads[f] >= per[f].length) continue;
          const h = per[f][heads[f]];
          if (best < 0) best = f;
          else {
            const b = per[best][heads[best]];
            if (h.sec < b.sec || (h.sec === b.sec && h.nsec < b.nsec)) best = f;
          }
        }
        if (best < 0) break;
        want.push(per[best][heads[best]++]);
      }
      const bytes = 1024 + Math.floor(rnd() * 8192);
      const records = 1 + Math.floor(rnd() * 40);
      const { recs: got, merged } = await collect(paths, bytes, records);
      expect(strip(got), `round ${round}: ${bytes} B / ${records} records per batch`).toEqual(strip(want));
      expect(merged.map.countsUpTo(merged.records, files)).toEqual(per.map((p) => p.length));
    }
  });
});
