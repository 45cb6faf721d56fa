// StreamDirection: first bytes of a TCP direction by sequence number. Unit cases (SYN,
// midstream, out of order, overlaps, wrap-around, caps, budget), the order guarantee
// against an independent per-byte reference over permuted deliveries, and real captures
// against tshark's "Follow TCP stream".
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ByteSlab, newPayloadBudget, StreamDirection, type StreamLimits, type StreamResult } from '../../src/flow/stream.js';
import { REPO, SHARED } from '../helpers/shared.js';
import { captureUnusable, readTcpSegments, tcpFlows } from '../helpers/tcp-capture.js';
import { mulberry32 } from '../helpers/random.js';

const bytes = (n: number, salt = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + salt) % 251);

interface Seg {
  seq: number;
  data: Uint8Array;
  record: number;
  syn: boolean;
}

function run(segs: readonly Seg[], limits: StreamLimits = {}, budget = newPayloadBudget()): StreamResult {
  const d = new StreamDirection(budget, limits);
  for (const s of segs) {
    // deliver through a reused "packet buffer" at an odd offset, then scribble over it:
    // what the direction keeps must be its own copy
    const pktBuf = new Uint8Array(s.data.length + 7);
    pktBuf.set(s.data, 5);
    d.add(s.seq, pktBuf, 5, s.data.length, s.record, s.syn);
    pktBuf.fill(0xee);
  }
  return d.result();
}

/** What the guarantee covers, as plain data. */
function essence(r: StreamResult): object {
  return {
    bytes: Buffer.from(r.bytes).toString('hex'),
    marks: r.marks.map((m) => `${m.offset}@${m.record}`).join(' '),
    truncated: r.truncated,
    midstream: r.midstream,
    gaps: r.gaps,
    inconsistent: r.inconsistent,
  };
}

/**
 * The definition, byte by byte: start = ISN + 1 of the lowest-record SYN, else the seq of
 * the lowest-record segment; each position takes the byte of the lowest-record copy; a
 * position is inconsistent when its copies disagree.
 */
function reference(segs: readonly Seg[], maxBytes: number): object {
  const syns = segs.filter((s) => s.syn).sort((a, b) => a.record - b.record);
  const data = segs.filter((s) => s.data.length > 0);
  if (syns.length === 0 && data.length === 0) return essence(new StreamDirection(newPayloadBudget()).result());
  const start = syns.length > 0 ? (syns[0].seq + 1) >>> 0 : [...data].sort((a, b) => a.record - b.record)[0].seq;
  const val = new Map<number, number>();
  const rec = new Map<number, number>();
  const diff = new Set<number>();
  let cut = false;
  for (const s of data) {
    const first = s.syn ? (s.seq + 1) >>> 0 : s.seq;
    for (let i = 0; i < s.data.length; i++) {
      const p = ((first + i - start) | 0) as number;
      if (p < 0) continue;
      if (p >= maxBytes) {
        cut = true;
        continue;
      }
      if (!val.has(p)) {
        val.set(p, s.data[i]);
        rec.set(p, s.record);
        continue;
      }
      if (val.get(p) !== s.data[i]) diff.add(p);
      if (s.record < rec.get(p)!) {
        val.set(p, s.data[i]);
        rec.set(p, s.record);
      }
    }
  }
  let n = 0;
  while (val.has(n)) n++;
  const out = Uint8Array.from({ length: n }, (_, i) => val.get(i)!);
  const marks: string[] = [];
  for (let i = 0; i < n; i++) if (i === 0 || rec.get(i) !== rec.get(i - 1)) marks.push(`${i}@${rec.get(i)}`);
  const held = [...val.keys()].sort((a, b) => a - b);
  let gaps = 0;
  for (let i = 0; i < held.length; i++) if (held[i] > n && (i === 0 || held[i - 1] !== held[i] - 1)) gaps++;
  return {
    bytes: Buffer.from(out).toString('hex'),
    marks: marks.join(' '),
    truncated: cut || gaps > 0,
    midstream: syns.length === 0,
    gaps,
    inconsistent: [...diff].length,
  };
}

function shuffle<T>(xs: T[], r: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}

/**
 * A direction as a capture shows it: SYN (unless midstream), the stream cut into
 * segments, some reordered, retransmitted (some with other bytes), re-segmented overlaps.
 * Records follow capture order.
 */
function scenario(seed: number, o: { total: number; syn: boolean; isn: number }): Seg[] {
  const r = mulberry32(seed);
  const stream = bytes(o.total, seed);
  const first = o.syn ? (o.isn + 1) >>> 0 : o.isn;
  const pieces: { at: number; data: Uint8Array }[] = [];
  for (let at = 0; at < o.total; ) {
    const len = Math.min(o.total - at, 1 + Math.floor(r() * 400));
    pieces.push({ at, data: stream.slice(at, at + len) });
    at += len;
  }
  // retransmissions and overlapping re-segmentations, some with different bytes
  const extra = 4 + Math.floor(r() * 6);
  for (let k = 0; k < extra; k++) {
    const at = Math.floor(r() * o.total);
    const len = Math.min(o.total - at, 1 + Math.floor(r() * 300));
    const data = stream.slice(at, at + len);
    if (r() < 0.4) data[Math.floor(r() * len)] ^= 0x5a;
    pieces.splice(Math.floor(r() * (pieces.length + 1)), 0, { at, data });
  }
  // local reordering, as on the wire
  for (let i = 0; i + 1 < pieces.length; i++) if (r() < 0.2) [pieces[i], pieces[i + 1]] = [pieces[i + 1], pieces[i]];
  const segs: Seg[] = [];
  let record = 100 + seed;
  if (o.syn) segs.push({ seq: o.isn, data: new Uint8Array(0), record: record++, syn: true });
  for (const p of pieces) segs.push({ seq: (first + p.at) >>> 0, data: p.data, record: (record += 1 + Math.floor(r() * 3)), syn: false });
  return segs;
}

describe('StreamDirection basics', () => {
  it('starts at ISN + 1 after a SYN and records where each segment starts', () => {
    const r = run([
      { seq: 1000, data: new Uint8Array(0), record: 1, syn: true },
      { seq: 1001, data: bytes(10), record: 3, syn: false },
      { seq: 1011, data: bytes(5, 10), record: 5, syn: false },
    ]);
    expect(Buffer.from(r.bytes)).toEqual(Buffer.concat([bytes(10), bytes(5, 10)]));
    expect(r.marks).toEqual([
      { offset: 0, record: 3 },
      { offset: 10, record: 5 },
    ]);
    expect(r).toMatchObject({ truncated: false, midstream: false, gaps: 0, inconsistent: 0, overlapBytes: 0, cutBytes: 0 });
  });

  it('without a SYN starts at the earliest segment and says midstream', () => {
    const r = run([
      { seq: 500, data: bytes(4), record: 7, syn: false },
      { seq: 504, data: bytes(4, 4), record: 8, syn: false },
    ]);
    expect(r.bytes.length).toBe(8);
    expect(r.midstream).toBe(true);
  });

  it('a SYN with data (TCP Fast Open) contributes from ISN + 1', () => {
    const r = run([
      { seq: 99, data: bytes(3), record: 1, syn: true },
      { seq: 103, data: bytes(2, 3), record: 2, syn: false },
    ]);
    expect(Buffer.from(r.bytes)).toEqual(Buffer.concat([bytes(3), bytes(2, 3)]));
    expect(r.marks.map((m) => m.record)).toEqual([1, 2]);
  });

  it('holds out-of-order segments until the hole fills', () => {
    const syn = { seq: 0, data: new Uint8Array(0), record: 1, syn: true };
    const a = { seq: 1, data: bytes(10), record: 2, syn: false };
    const b = { seq: 11, data: bytes(10, 10), record: 3, syn: false };
    const c = { seq: 21, data: bytes(10, 20), record: 4, syn: false };
    const partial = run([syn, c, a]);
    expect(partial.bytes.length).toBe(10);
    expect(partial.gaps).toBe(1);
    expect(partial.truncated).toBe(true);
    const whole = run([syn, c, a, b]);
    expect(whole.bytes.length).toBe(30);
    expect(whole.gaps).toBe(0);
    expect(whole.truncated).toBe(false);
  });

  it('first copy (lowest record) wins over retransmissions and counts conflicting bytes', () => {
    const orig = bytes(10);
    const other = orig.slice();
    other[2] ^= 1;
    other[7] ^= 1;
    const syn = { seq: 0, data: new Uint8Array(0), record: 1, syn: true };
    const first = { seq: 1, data: orig, record: 2, syn: false };
    const retrans = { seq: 1, data: other, record: 9, syn: false };
    for (const order of [
      [syn, first, retrans],
      [syn, retrans, first],
    ]) {
      const r = run(order);
      expect(Buffer.from(r.bytes)).toEqual(Buffer.from(orig));
      expect(r.inconsistent).toBe(2);
      expect(r.overlapBytes).toBe(10);
      expect(r.marks).toEqual([{ offset: 0, record: 2 }]);
    }
  });

  it('partial overlaps keep the first copy per byte and split the marks', () => {
    const syn = { seq: 0, data: new Uint8Array(0), record: 1, syn: true };
    const r = run([
      syn,
      { seq: 1, data: bytes(6), record: 2, syn: false },
      { seq: 5, data: Uint8Array.from([9, 9, 9, 9, 9, 9]), record: 3, syn: false }, // overlaps 2 bytes, differs
      { seq: 3, data: Uint8Array.from([8, 8]), record: 4, syn: false }, // fully inside, differs
    ]);
    expect(Array.from(r.bytes)).toEqual([...bytes(6), 9, 9, 9, 9]);
    expect(r.marks).toEqual([
      { offset: 0, record: 2 },
      { offset: 6, record: 3 },
    ]);
    expect(r.inconsistent).toBe(4);
  });

  it('a segment the snaplen cut, or whose end is missing, leaves the prefix truncated even when it is the last one', () => {
    const d = new StreamDirection(newPayloadBudget());
    d.add(0, new Uint8Array(0), 0, 0, 1, true);
    d.add(1, new Uint8Array(100).fill(1), 0, 100, 2, false, 40); // 100 on the wire, 40 captured
    expect(d.result()).toMatchObject({ truncated: true, gaps: 0, cutBytes: 0 });
    expect(d.length).toBe(40);
    const whole = new StreamDirection(newPayloadBudget());
    whole.add(0, new Uint8Array(0), 0, 0, 1, true);
    whole.add(1, new Uint8Array(100).fill(1), 0, 100, 2, false);
    expect(whole.result().truncated).toBe(false);
  });

  it('holds at most 512 segments per direction: thousands of tiny ones are counted as dropped', () => {
    const d = new StreamDirection(newPayloadBudget());
    d.add(0, new Uint8Array(0), 0, 0, 0, true);
    const one = new Uint8Array(1).fill(7);
    for (let i = 0; i < 2000; i++) d.add(1 + i, one, 0, 1, 1 + i, false);
    // a retransmission after that costs no walk over thousands of runs, and changes nothing
    d.add(1, one, 0, 1, 5000, false);
    const r = d.result();
    expect(r.bytes.length).toBe(512);
    expect(r.marks).toHaveLength(512);
    expect(r).toMatchObject({ truncated: true, droppedSegments: 2000 - 512 + 1 });
  });

  it('follows sequence numbers across the 32-bit wrap', () => {
    const isn = 0xfffffff0;
    const r = run([
      { seq: isn, data: new Uint8Array(0), record: 1, syn: true },
      { seq: 0xfffffff1, data: bytes(20), record: 2, syn: false }, // crosses 2^32
      { seq: 5, data: bytes(10, 20), record: 3, syn: false },
    ]);
    expect(Buffer.from(r.bytes)).toEqual(Buffer.concat([bytes(20), bytes(10, 20)]));
  });

  it('cuts at maxBytes, counts what it cut and stops wanting bytes', () => {
    const d = new StreamDirection(newPayloadBudget(), { maxBytes: 16 });
    d.add(0, new Uint8Array(0), 0, 0, 1, true);
    d.add(1, bytes(10), 0, 10, 2, false);
    expect(d.wantsMore).toBe(true);
    d.add(11, bytes(10), 0, 10, 3, false);
    d.add(21, bytes(10), 0, 10, 4, false);
    expect(d.wantsMore).toBe(false);
    const r = d.result();
    expect(r.bytes.length).toBe(16);
    expect(r.cutBytes).toBe(14);
    expect(r.truncated).toBe(true);
  });

  it('keeps at most maxSegments out-of-order ranges, giving up the farthest', () => {
    const segs: Seg[] = [{ seq: 0, data: new Uint8Array(0), record: 1, syn: true }];
    // islands at 101, 201, 301 (hole at 1..100); cap 2
    for (const at of [301, 101, 201]) segs.push({ seq: at, data: bytes(10), record: 2 + at, syn: false });
    const r = run(segs, { maxSegments: 2 });
    expect(r.gaps).toBe(2);
    expect(r.droppedSegments).toBe(1);
    expect(r.droppedBytes).toBe(10);
    // the farthest (301) went: filling the hole up to 201 joins what is left
    const r2 = run([...segs, { seq: 1, data: bytes(100), record: 2, syn: false }, { seq: 111, data: bytes(90), record: 3, syn: false }], { maxSegments: 2 });
    expect(r2.bytes.length).toBe(210);
    expect(r2.gaps).toBe(0);
  });

  it('a farther new range is dropped when the cap is full', () => {
    const r = run(
      [
        { seq: 0, data: new Uint8Array(0), record: 1, syn: true },
        { seq: 51, data: bytes(5), record: 2, syn: false },
        { seq: 91, data: bytes(5), record: 3, syn: false },
      ],
      { maxSegments: 1 },
    );
    expect(r.gaps).toBe(1);
    expect(r.droppedSegments).toBe(1);
  });

  it('keeps only the captured bytes of a segment cut by the snaplen', () => {
    const d = new StreamDirection(newPayloadBudget());
    d.add(0, new Uint8Array(0), 0, 0, 1, true);
    d.add(1, bytes(40), 0, 100, 2, false); // 100 bytes on the wire, 40 captured
    d.add(101, bytes(10), 0, 10, 3, false);
    const r = d.result();
    expect(r.bytes.length).toBe(40);
    expect(r).toMatchObject({ gaps: 1, truncated: true });
  });

  it('charges the shared budget, counts refusals, and close() gives the bytes back', () => {
    const budget = newPayloadBudget(600);
    const a = new StreamDirection(budget);
    const b = new StreamDirection(budget);
    a.add(0, new Uint8Array(0), 0, 0, 1, true);
    a.add(1, bytes(400), 0, 400, 2, false);
    expect(budget.used).toBe(512);
    b.add(0, new Uint8Array(0), 0, 0, 3, true);
    b.add(1, bytes(400), 0, 400, 4, false); // only 88 bytes of budget left
    const rb = b.result();
    expect(rb.bytes.length).toBe(88);
    expect(rb.budgetBytes).toBe(312);
    expect(rb.truncated).toBe(true);
    expect(budget.used).toBe(600);
    a.close();
    b.close();
    expect(budget.used).toBe(0);
    a.add(401, bytes(10), 0, 10, 9, false); // ignored once closed
    expect(a.result()).toMatchObject({ closed: true, bytes: new Uint8Array(0) });
  });

  it('directions sharing one slab keep their own bytes through growth, out-of-order inserts, close and reuse', () => {
    // Directions are carved from the slab's shared chunks side by side: each must write
    // only its own places, and a place given back is handed to the next direction.
    const budget = newPayloadBudget();
    // one direction grows twice within the chunk where another one holds the first place
    const first = new StreamDirection(budget, { maxBytes: 512 });
    first.add(100, bytes(300), 0, 300, 1, false);
    const grows = new StreamDirection(budget, { maxBytes: 8192 });
    for (let at = 0; at < 6000; at += 1000) grows.add(7 + at, bytes(6000).subarray(at), 0, 1000, 2 + at, false);
    expect(grows.result().bytes).toEqual(bytes(6000));
    expect(first.result().bytes).toEqual(bytes(300));
    grows.close();
    first.close();
    const rnd = mulberry32(13);
    const limits = { maxBytes: 5000, maxSegments: 1000 };
    const plans: Seg[][] = [];
    for (let k = 0; k < 300; k++) {
      const total = 200 + (rnd() % 6000);
      const isn = rnd() | 0;
      const segs: Seg[] = [{ seq: isn, data: new Uint8Array(0), record: 0, syn: true }];
      for (let at = 0, r = 1; at < total; r++) {
        const n = Math.min(total - at, 1 + (rnd() % 900));
        segs.push({ seq: (isn + 1 + at) | 0, data: bytes(n, k + at), record: r, syn: false });
        at += n;
      }
      // a swap here and there: the general insert, on a buffer in a shared chunk
      for (let i = 2; i + 1 < segs.length; i += 3) [segs[i], segs[i + 1]] = [segs[i + 1], segs[i]];
      plans.push(segs);
    }
    const dirs = plans.map(() => new StreamDirection(budget, limits));
    const got: (StreamResult | null)[] = plans.map(() => null);
    const longest = Math.max(...plans.map((p) => p.length));
    for (let i = 0; i < longest; i++) {
      for (let k = 0; k < plans.length; k++) {
        const s = plans[k][i];
        if (s === undefined) continue;
        const pkt = new Uint8Array(s.data.length + 3);
        pkt.set(s.data, 3);
        dirs[k].add(s.seq, pkt, 3, s.data.length, s.record, s.syn);
        pkt.fill(0xee);
      }
      // every fourth direction ends early, and a new one takes over its plan from the start
      if (i === 4) {
        for (let k = 0; k < plans.length; k += 4) {
          got[k] = dirs[k].result();
          dirs[k].close();
          dirs[k] = new StreamDirection(budget, limits);
          for (const s of plans[k].slice(0, i + 1)) dirs[k].add(s.seq, s.data, 0, s.data.length, s.record, s.syn);
        }
      }
    }
    for (let k = 0; k < plans.length; k++) {
      const alone = run(plans[k], limits);
      expect(essence(dirs[k].takeResult())).toEqual(essence(alone));
      if (got[k] !== null) expect(essence(got[k]!)).toEqual(essence(run(plans[k].slice(0, 5), limits)));
    }
    expect(budget.used).toBe(0);
  });

  it('a SYN delivered after the data moves the start back to ISN + 1', () => {
    const r = run([
      { seq: 11, data: bytes(10, 10), record: 3, syn: false },
      { seq: 1, data: bytes(10), record: 2, syn: false },
      { seq: 0, data: new Uint8Array(0), record: 1, syn: true },
    ]);
    expect(r.bytes.length).toBe(20);
    expect(r.midstream).toBe(false);
    expect(r.lostOnReorder).toBe(0);
  });

  it('reports a start moved over bytes it had already dropped', () => {
    const r = run([
      { seq: 100, data: bytes(10), record: 5, syn: false },
      { seq: 50, data: bytes(30), record: 6, syn: false }, // before the (provisional) start
      { seq: 60, data: bytes(5), record: 1, syn: false }, // the real start: 60
    ]);
    expect(r.lostOnReorder).toBe(1);
  });
});

describe('StreamDirection order guarantee', () => {
  const cases = [
    { name: 'SYN, all bytes kept', syn: true, total: 3000, maxBytes: 16384, isn: 0x12345678 },
    { name: 'SYN, cut at maxBytes', syn: true, total: 5000, maxBytes: 2048, isn: 7 },
    { name: 'SYN, across the 32-bit wrap', syn: true, total: 3000, maxBytes: 16384, isn: 0xfffffc00 },
    { name: 'midstream', syn: false, total: 3000, maxBytes: 16384, isn: 0x40000000 },
    { name: 'midstream, cut at maxBytes', syn: false, total: 4000, maxBytes: 1500, isn: 0xffffff00 },
  ];

  it.each(cases)('$name: record order, any grouping, any order after the start = the per-byte reference', ({ syn, total, maxBytes, isn }) => {
    for (let seed = 1; seed <= 12; seed++) {
      const segs = scenario(seed, { total, syn, isn });
      const want = reference(segs, maxBytes);
      const byRecord = [...segs].sort((a, b) => a.record - b.record);
      const inOrder = run(byRecord, { maxBytes, maxSegments: 1000 });
      expect(essence(inOrder), `seed ${seed} record order`).toEqual(want);
      expect(inOrder.lostOnReorder).toBe(0);
      // batches merged by record number: the same calls, cut into groups (state persists)
      const d = new StreamDirection(newPayloadBudget(), { maxBytes, maxSegments: 1000 });
      const r = mulberry32(seed);
      for (let i = 0; i < byRecord.length; ) {
        const n = 1 + Math.floor(r() * 5);
        for (const s of byRecord.slice(i, i + n)) d.add(s.seq, s.data, 0, s.data.length, s.record, s.syn);
        i += n;
      }
      const grouped = d.result();
      // (marks are a getter: compared explicitly)
      expect({ ...grouped, marks: grouped.marks }).toEqual({ ...inOrder, marks: inOrder.marks });
      // the start-fixing segment first, the rest in any order: everything identical
      const fixer = byRecord.find((s) => s.syn) ?? byRecord[0];
      const rest = byRecord.filter((s) => s !== fixer);
      for (let p = 0; p < 25; p++) {
        const got = run([fixer, ...shuffle([...rest], mulberry32(seed * 1000 + p))], { maxBytes, maxSegments: 1000 });
        expect({ ...got, marks: got.marks }, `seed ${seed} permutation ${p}`).toEqual({ ...inOrder, marks: inOrder.marks });
      }
    }
  });

  it.each(cases)('$name: fully random orders agree whenever no loss is reported', ({ syn, total, maxBytes, isn }) => {
    let lossless = 0;
    let lossy = 0;
    for (let seed = 1; seed <= 8; seed++) {
      const segs = scenario(seed, { total, syn, isn });
      const want = reference(segs, maxBytes);
      for (let p = 0; p < 25; p++) {
        const got = run(shuffle([...segs], mulberry32(seed * 7919 + p)), { maxBytes, maxSegments: 1000 });
        if (got.lostOnReorder > 0) {
          lossy++;
          continue;
        }
        lossless++;
        expect(essence(got), `seed ${seed} permutation ${p}`).toEqual(want);
      }
    }
    expect(lossless).toBeGreaterThan(0);
    expect(lossless + lossy).toBe(200);
  });
});

// ---------------------------------------------------------------------------------------
// Real captures: the reassembled prefix of each direction equals tshark's Follow TCP
// stream (first 16 KiB, SHA-1 recorded by fixtures/tshark-expected.py).

interface FollowFacts {
  node0: string;
  len: [number, number];
  sha1: [string, string];
}
const FIXTURES = resolve(REPO, 'test/flow/fixtures');
const EXPECTED = JSON.parse(readFileSync(resolve(FIXTURES, 'tshark-expected.json'), 'utf8')) as {
  captures: Record<string, { sha1: string; follow: Record<string, FollowFacts> }>;
};

function capturePath(name: string): string {
  if (!name.includes('/')) return resolve(FIXTURES, `${name}.pcap`);
  if (name.startsWith('verdicts/')) return resolve(REPO, 'fixtures', name);
  return resolve(SHARED, 'captures', name);
}

// captures recorded with whole payloads that have TCP data (loss, zerowin and states are
// cut at 96 bytes)
const FOLLOW_CAPTURES = Object.keys(EXPECTED.captures).filter(
  (n) => n !== 'loss' && n !== 'zerowin' && n !== 'states' && Object.values(EXPECTED.captures[n].follow).some((f) => f.len[0] + f.len[1] > 0),
);

describe('StreamDirection on captures vs tshark Follow TCP stream', () => {
  const ip4 = (w: number): string => `${w >>> 24}.${(w >>> 16) & 255}.${(w >>> 8) & 255}.${w & 255}`;
  it('stream.pcap (made here: 6000 known bytes, MTU 600, 1 in 5 dropped): the client direction is exactly the bytes sent', async () => {
    const flows = tcpFlows(await readTcpSegments(resolve(FIXTURES, 'stream.pcap')));
    expect(flows.length).toBe(1);
    const d = new StreamDirection(newPayloadBudget());
    for (const { dir, seg } of flows[0].packets) if (dir === 0) d.add(seg.seq, seg.payload, 0, seg.payloadLen, seg.record, (seg.flags & 2) !== 0);
    const r = d.result();
    expect(Buffer.from(r.bytes)).toEqual(Buffer.from(bytes(6000)));
    expect(r).toMatchObject({ midstream: false, gaps: 0, truncated: false, inconsistent: 0 });
    expect(r.overlapBytes).toBeGreaterThan(0); // the capture has retransmissions
  });

  for (const name of FOLLOW_CAPTURES) {
    const path = capturePath(name);
    const why = captureUnusable(name, path, EXPECTED.captures[name].sha1);
    it.skipIf(why !== null)(`${name}${why ? ` (${why})` : ''}`, async () => {
      const follow = Object.values(EXPECTED.captures[name].follow);
      const flows = tcpFlows(await readTcpSegments(path));
      let compared = 0;
      let whole = 0;
      for (const f of flows) {
        const s0 = f.packets[0].seg;
        // only flows whose every payload byte was captured, IPv4, one tshark stream
        if (s0.ipv6 || !f.packets.every((p) => p.seg.payload.length === p.seg.payloadLen || (p.seg.flags & 4) !== 0)) continue;
        whole++;
        const a = `${ip4(s0.src[0])}:${s0.sport}`;
        const b = `${ip4(s0.dst[0])}:${s0.dport}`;
        const cands = follow.filter((x) => x.node0 === a || x.node0 === b);
        if (cands.length !== 1) continue;
        for (const dir of [0, 1]) {
          const d = new StreamDirection(newPayloadBudget());
          for (const p of f.packets) {
            if (p.dir === dir && (p.seg.flags & 4) === 0) d.add(p.seg.seq, p.seg.payload, 0, p.seg.payloadLen, p.seg.record, (p.seg.flags & 2) !== 0);
          }
          const r = d.result();
          if (r.gaps > 0) continue; // tshark's follow runs on across holes; a prefix stops there
          const k = cands[0].node0 === a ? dir : 1 - dir;
          expect(r.bytes.length, `${f.key} dir ${dir}`).toBe(Math.min(cands[0].len[k], 16384));
          expect(createHash('sha1').update(r.bytes).digest('hex'), `${f.key} dir ${dir}`).toBe(cands[0].sha1[k]);
          compared++;
        }
      }
      if (whole > 0) expect(compared).toBeGreaterThan(0);
    });
  }
});

describe('ByteSlab', () => {
  it('carves the first 256 KiB chunk, then 4 MiB ones (mapped on their own by malloc, given back when collected)', () => {
    const slab = new ByteSlab();
    const a = slab.alloc(1024)!;
    expect(a.buffer.byteLength).toBe(256 * 1024);
    expect(a.byteOffset).toBe(0);
    expect(slab.alloc(1024)!.byteOffset).toBe(1024);
    // the first chunk cannot hold a 256 KiB buffer beside them: a 4 MiB chunk starts
    const big = slab.alloc(256 * 1024)!;
    expect(big.buffer.byteLength).toBe(4 << 20);
    expect(big.byteOffset).toBe(0);
    expect(slab.alloc(512)!.buffer).toBe(big.buffer);
    expect(slab.alloc(512 * 1024)).toBeNull(); // past the largest size class
    expect(slab.alloc(768)).toBeNull(); // not a power of two
  });

  it('takes back only what it handed out', () => {
    const slab = new ByteSlab();
    const a = slab.alloc(2048)!;
    slab.release(new Uint8Array(256 * 1024)); // a buffer of its own, as large as a chunk
    slab.release(a);
    expect(slab.alloc(2048)).toBe(a);
    expect(slab.alloc(256 * 1024)!.buffer).not.toBe(a.buffer);
  });
});
