// Later IP fragments carry no ports: each joins the flow of the latest first fragment
// (same addresses, protocol and IP ID) that precedes it in the capture and is at most 30 s
// older, else the earliest one that follows it within 30 s, else it is an orphan; decided
// after merging, whichever aggregator (worker) saw which fragment, and the same for files
// and live capture.
import { afterAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/load.js';
import { KIND_IPV4, KIND_IPV6 } from '../../src/decode/fields.js';
import { expireIdle, idleTimeouts } from '../../src/flow/expire.js';
import { FragmentLog, FragmentResolver, REASSEMBLY_US, resolveFragments } from '../../src/flow/fragments.js';
import { FlowTable } from '../../src/flow/table.js';
import { BatchAggregator } from '../../src/pipeline/aggregate.js';
import type { ClassifiedFlow } from '../../src/classify/classify.js';
import { FlowSession } from '../../src/session/session.js';
import {
  batchOf,
  cat,
  ext6Fragment,
  EXT_FRAGMENT,
  ipv4,
  ipv6,
  pcap,
  PROTO_TCP,
  PROTO_UDP,
  tempDir,
  udp,
  fieldsOf,
} from '../helpers/build.js';
import { dumpFlows, flowFirstSeq, totalPackets } from '../helpers/flows.js';
import { runAnalysis } from '../helpers/run.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

const C = '10.0.0.5';
const S_ADDR = '10.0.0.9';
// one UDP datagram of 8 + 2000 bytes, in two fragments
const whole = udp({ sport: 1812, dport: 1812, payload: Buffer.alloc(2000, 0x42) });
const first = (id: number, src = C) => ipv4({ src, dst: S_ADDR, proto: PROTO_UDP, id, mf: true, payload: whole.subarray(0, 1480) });
const later = (id: number, src = C) => ipv4({ src, dst: S_ADDR, proto: PROTO_UDP, id, fragOffset: 185, payload: whole.subarray(1480) });

interface Flow {
  kp: number;
  ports: number;
  pkts: number;
  bytes: number;
  firstSeq: number;
}

function flows(t: FlowTable): Flow[] {
  const out = dumpFlows(t).map((x) => ({ kp: x.kp, ports: x.ports, pkts: totalPackets(x), bytes: x.bytes[0] + x.bytes[1], firstSeq: flowFirstSeq(x) }));
  return out.sort((a, b) => a.firstSeq - b.firstSeq);
}

/** Feeds each [seq, frame] to the aggregator named by `who`, then merges and resolves. */
function run(parts: { seq: number; frame: Buffer; who: number }[], workers = 2) {
  const aggs = Array.from({ length: workers }, () => new BatchAggregator(1000));
  for (const p of parts) aggs[p.who].add(batchOf([{ frame: p.frame, tsUs: 1_000_000 + p.seq }], { seqBase: p.seq }));
  const results = aggs.map((a) => a.drain());
  const table = new FlowTable(1000, 16);
  for (const r of results) table.merge(r.flows!);
  const res = resolveFragments(
    table,
    results.map((r) => r.fragments),
  );
  return { table, res, stats: results.map((r) => r.stats) };
}

const UDP_1812 = KIND_IPV4 | (PROTO_UDP << 8);
const PORTS = (1812 | (1812 << 16)) >>> 0;

describe('fragment attribution', () => {
  it('the later fragment after its first, in another aggregator: attributed exactly once', () => {
    const { table, res, stats } = run([
      { seq: 0, frame: first(100), who: 0 },
      { seq: 1, frame: later(100), who: 1 },
    ]);
    expect(res).toEqual({ attributed: 1, orphans: 0, dropped: 0 });
    expect(flows(table)).toEqual([{ kp: UDP_1812, ports: PORTS, pkts: 2, bytes: 1500 + 548, firstSeq: 0 }]);
    expect(stats.map((s) => s.malformed)).toEqual([0, 0]);
  });

  it('the same within one aggregator', () => {
    const { table, res } = run(
      [
        { seq: 0, frame: first(100), who: 0 },
        { seq: 1, frame: later(100), who: 0 },
      ],
      1,
    );
    expect(res).toEqual({ attributed: 1, orphans: 0, dropped: 0 });
    expect(flows(table)[0].pkts).toBe(2);
  });

  it('a later fragment sent before its first fragment (another aggregator) joins it', () => {
    const { table, res } = run([
      { seq: 0, frame: later(100), who: 1 },
      { seq: 1, frame: first(100), who: 0 },
    ]);
    expect(res).toEqual({ attributed: 1, orphans: 0, dropped: 0 });
    expect(flows(table)).toEqual([{ kp: UDP_1812, ports: PORTS, pkts: 2, bytes: 1500 + 548, firstSeq: 0 }]);
  });

  it('a later fragment more than 30 s before its first fragment is an orphan', () => {
    const aggs = [new BatchAggregator(1000)];
    aggs[0].add(batchOf([{ frame: later(100), tsUs: 1_000_000 }], { seqBase: 0 }));
    aggs[0].add(batchOf([{ frame: first(100), tsUs: 32_000_000 }], { seqBase: 1 }));
    const r = aggs[0].drain();
    const table = new FlowTable(1000, 16);
    table.merge(r.flows!);
    expect(resolveFragments(table, [r.fragments])).toEqual({ attributed: 0, orphans: 1, dropped: 0 });
  });

  it('a later fragment whose first fragment was never seen is an orphan', () => {
    const { table, res } = run([{ seq: 0, frame: later(7), who: 0 }]);
    expect(res).toEqual({ attributed: 0, orphans: 1, dropped: 0 });
    expect(table.size).toBe(0);
  });

  it('an IP ID reused later: each later fragment joins the latest first fragment before it', () => {
    const other = ipv4({ src: C, dst: S_ADDR, proto: PROTO_UDP, id: 100, mf: true, payload: udp({ sport: 5000, dport: 514, payload: Buffer.alloc(1472), length: 3000 }).subarray(0, 1480) });
    const { table, res } = run([
      { seq: 0, frame: first(100), who: 0 }, // datagram 1 → 1812
      { seq: 1, frame: later(100), who: 1 },
      { seq: 2, frame: other, who: 1 }, // datagram 2, same ID → 514
      { seq: 3, frame: later(100), who: 0 },
      { seq: 4, frame: later(100), who: 1 },
    ]);
    expect(res).toEqual({ attributed: 3, orphans: 0, dropped: 0 });
    const fl = flows(table);
    expect(fl.map((f) => [f.ports & 0xffff, f.pkts])).toEqual([
      [1812, 2],
      [5000, 3],
    ]);
  });

  it('the same IP ID from another source does not join', () => {
    const { table, res } = run([
      { seq: 0, frame: first(100), who: 0 },
      { seq: 1, frame: later(100, '10.0.0.6'), who: 1 },
    ]);
    expect(res).toEqual({ attributed: 0, orphans: 1, dropped: 0 });
    expect(flows(table)[0].pkts).toBe(1);
  });

  it('a different protocol with the same ID does not join', () => {
    const tcpLater = ipv4({ src: C, dst: S_ADDR, proto: PROTO_TCP, id: 100, fragOffset: 185, payload: Buffer.alloc(100) });
    const { res } = run([
      { seq: 0, frame: first(100), who: 0 },
      { seq: 1, frame: tcpLater, who: 1 },
    ]);
    expect(res).toEqual({ attributed: 0, orphans: 1, dropped: 0 });
  });

  it('IPv6 fragments, split across three aggregators', () => {
    const dg = udp({ sport: 29281, dport: 29281, payload: Buffer.alloc(3000, 1) });
    const f1 = ipv6({ src: 'fd00::1', dst: 'fd00::2', next: EXT_FRAGMENT, payload: cat(ext6Fragment(PROTO_UDP, { more: true, id: 0xabc }), dg.subarray(0, 1448)) });
    const f2 = ipv6({ src: 'fd00::1', dst: 'fd00::2', next: EXT_FRAGMENT, payload: cat(ext6Fragment(PROTO_UDP, { offset: 181, more: true, id: 0xabc }), dg.subarray(1448, 2896)) });
    const f3 = ipv6({ src: 'fd00::1', dst: 'fd00::2', next: EXT_FRAGMENT, payload: cat(ext6Fragment(PROTO_UDP, { offset: 362, id: 0xabc }), dg.subarray(2896)) });
    const { table, res } = run(
      [
        { seq: 10, frame: f1, who: 2 },
        { seq: 11, frame: f3, who: 0 },
        { seq: 12, frame: f2, who: 1 },
      ],
      3,
    );
    expect(res).toEqual({ attributed: 2, orphans: 0, dropped: 0 });
    const fl = flows(table);
    expect(fl).toHaveLength(1);
    expect(fl[0]).toMatchObject({ kp: KIND_IPV6 | (PROTO_UDP << 8), pkts: 3, bytes: f1.length + f2.length + f3.length, firstSeq: 10 });
  });

  it('the result does not depend on which aggregator saw which fragment', () => {
    const parts = [
      { seq: 0, frame: first(1) },
      { seq: 1, frame: first(2, '10.0.0.7') },
      { seq: 2, frame: later(1) },
      { seq: 3, frame: later(3) },
      { seq: 4, frame: later(2, '10.0.0.7') },
      { seq: 5, frame: first(3) },
      { seq: 6, frame: later(3) },
    ];
    const ref = run(parts.map((p) => ({ ...p, who: 0 })), 1);
    expect(ref.res).toEqual({ attributed: 4, orphans: 0, dropped: 0 });
    for (let mask = 0; mask < 1 << parts.length; mask++) {
      const got = run(parts.map((p, i) => ({ ...p, who: (mask >> i) & 1 })));
      expect(got.res).toEqual(ref.res);
      expect(flows(got.table)).toEqual(flows(ref.table));
    }
  });

  it.each([0, 2])('end to end through runAnalysis: packets, orphans and flows add up (workers: %s)', async (workers) => {
    const recs = [first(100), later(100), later(55), first(56), later(56)].map((data, i) => ({ sec: 1700000000, frac: i, data }));
    const path = tmp.file('frags.pcap', pcap(recs, { linktype: 101 }));
    const r = await runAnalysis([path], { workers, maxFlows: 100 });
    expect(r.stats.packets).toBe(5);
    expect(r.stats.malformed).toBe(0);
    expect(r.fragments).toEqual({ attributed: 2, orphans: 1, dropped: 0 });
    const fl = flows(r.table);
    expect(fl).toEqual([{ kp: UDP_1812, ports: PORTS, pkts: 4, bytes: 2 * (1500 + 548), firstSeq: 0 }]);
  });
});

// One window, both orders: a later fragment 1 s or 27 s from its first fragment joins it,
// 55 s away it is an orphan, whether it follows its first fragment or precedes it.
const T0 = 1_700_000_000_000_000;
const S = 1e6;
const GAPS = [
  { gap: 1, joins: true },
  { gap: 27, joins: true },
  { gap: 55, joins: false },
];
const CASES = GAPS.flatMap((g) => [
  { ...g, laterFirst: false },
  { ...g, laterFirst: true },
]);
const workerLabel = (n: number) => (n === 0 ? 'inline' : `${n} worker${n > 1 ? 's' : ''}`);
const caseName = (c: { gap: number; laterFirst: boolean }) => `${c.gap} s ${c.laterFirst ? 'before' : 'after'} its first fragment`;

/** The first and the later fragment of datagram 100, `gap` seconds apart, in capture order. */
function pairAt(gap: number, laterFirst: boolean): { frame: Buffer; tsUs: number }[] {
  const f = { frame: first(100), tsUs: T0 + (laterFirst ? gap * S : 0) };
  const l = { frame: later(100), tsUs: T0 + (laterFirst ? 0 : gap * S) };
  return laterFirst ? [l, f] : [f, l];
}

describe('the reassembly window (30 s), files', () => {
  it.each(CASES)('merged from two aggregators: later fragment $gap s (later first: $laterFirst)', ({ gap, joins, laterFirst }) => {
    const recs = pairAt(gap, laterFirst);
    // each fragment in its own aggregator, as two workers would see them
    const aggs = [new BatchAggregator(1000), new BatchAggregator(1000)];
    recs.forEach((r, i) => aggs[i].add(batchOf([r], { seqBase: i })));
    const parts = aggs.map((a) => a.drain());
    const table = new FlowTable(1000, 16);
    for (const p of parts) table.merge(p.flows!);
    const res = resolveFragments(
      table,
      parts.map((p) => p.fragments),
    );
    expect(res).toEqual(joins ? { attributed: 1, orphans: 0, dropped: 0 } : { attributed: 0, orphans: 1, dropped: 0 });
    expect(flows(table)).toEqual([{ kp: UDP_1812, ports: PORTS, pkts: joins ? 2 : 1, bytes: joins ? 1500 + 548 : 1500, firstSeq: joins ? 0 : laterFirst ? 1 : 0 }]);
  });

  it.each(CASES.flatMap((c) => [0, 2].map((workers) => ({ ...c, workers, mode: workerLabel(workers) }))))(
    'through runAnalysis ($mode): later fragment $gap s (later first: $laterFirst)',
    async ({ gap, joins, laterFirst, workers }) => {
      const recs = pairAt(gap, laterFirst).map((r) => ({ sec: Math.floor(r.tsUs / S), frac: r.tsUs % S, data: r.frame }));
      const path = tmp.file(`window-${gap}-${laterFirst}.pcap`, pcap(recs, { linktype: 101 }));
      const r = await runAnalysis([path], { workers, maxFlows: 100 });
      expect(r.fragments).toEqual(joins ? { attributed: 1, orphans: 0, dropped: 0 } : { attributed: 0, orphans: 1, dropped: 0 });
      expect(flows(r.table).map((f) => f.pkts)).toEqual([joins ? 2 : 1]);
    },
  );

  it('the window is inclusive: 30 s apart joins, 30 s and 1 µs apart does not', () => {
    for (const laterFirst of [false, true]) {
      for (const [dt, joins] of [
        [REASSEMBLY_US, true],
        [REASSEMBLY_US + 1, false],
      ] as const) {
        const recs = pairAt(0, laterFirst);
        recs[1].tsUs += dt;
        const agg = new BatchAggregator(1000);
        agg.add(batchOf(recs));
        const r = agg.drain();
        const table = new FlowTable(1000, 16);
        table.merge(r.flows!);
        expect(resolveFragments(table, [r.fragments]), `${dt} µs, later first: ${laterFirst}`).toEqual({ attributed: joins ? 1 : 0, orphans: joins ? 0 : 1, dropped: 0 });
      }
    }
  });

  it('a preceding first fragment too old: the one following within the window takes the later fragment', () => {
    const otherFirst = ipv4({ src: C, dst: S_ADDR, proto: PROTO_UDP, id: 100, mf: true, payload: udp({ sport: 5000, dport: 514, payload: Buffer.alloc(1472), length: 3000 }).subarray(0, 1480) });
    const agg = new BatchAggregator(1000);
    agg.add(
      batchOf([
        { frame: first(100), tsUs: T0 }, // 1812, 55 s before the later fragment
        { frame: later(100), tsUs: T0 + 55 * S },
        { frame: otherFirst, tsUs: T0 + 60 * S }, // 514, 5 s after it
      ]),
    );
    const r = agg.drain();
    const table = new FlowTable(1000, 16);
    table.merge(r.flows!);
    expect(resolveFragments(table, [r.fragments])).toEqual({ attributed: 1, orphans: 0, dropped: 0 });
    expect(flows(table).map((f) => [f.ports & 0xffff, f.pkts])).toEqual([
      [1812, 1],
      [5000, 2],
    ]);
  });
});

describe('the reassembly window, live resolution (FragmentResolver)', () => {
  it('a later fragment waits for its first fragment until the window has passed, then is an orphan', () => {
    const r = new FragmentResolver();
    const t = new FlowTable(100, 16);
    const l = new FragmentLog();
    l.addLater(fieldsOf(later(100)), 0, T0, 548);
    r.add(l.snapshot());
    r.resolve(t, T0 + 29 * S, false);
    expect(r.result).toEqual({ attributed: 0, orphans: 0, dropped: 0 });
    // its first fragment, 27 s after it, still comes in time
    const f = new FragmentLog();
    const pf = fieldsOf(first(100));
    f.addFirst(pf, 1, T0 + 27 * S);
    t.addPacket(pf, 1, T0 + 27 * S, 1500);
    r.add(f.snapshot());
    r.resolve(t, T0 + 29 * S, false);
    expect(r.result).toEqual({ attributed: 1, orphans: 0, dropped: 0 });
    expect(flows(t)).toEqual([{ kp: UDP_1812, ports: PORTS, pkts: 2, bytes: 1500 + 548, firstSeq: 0 }]);
    // another later fragment with no first fragment: held within the window, an orphan after it
    const o = new FragmentLog();
    o.addLater(fieldsOf(later(7)), 2, T0 + 30 * S, 548);
    r.add(o.snapshot());
    r.resolve(t, T0 + 60 * S, false);
    expect(r.result.orphans).toBe(0);
    r.resolve(t, T0 + 60 * S + 1, false);
    expect(r.result).toEqual({ attributed: 1, orphans: 1, dropped: 0 });
  });

  it('the flow of a first fragment stays open for later fragments for 30 s', () => {
    const r = new FragmentResolver();
    const pf = fieldsOf(first(100));
    const l = new FragmentLog();
    l.addFirst(pf, 0, T0);
    r.add(l.snapshot());
    const t = new FlowTable(100, 16);
    t.addPacket(pf, 0, T0, 1500);
    r.resolve(t, T0 + 1 * S, false);
    // idle for far longer than a 1 s timeout, yet kept while the window is open
    const quick = idleTimeouts({ udp: 1 });
    expect(expireIdle(t, T0 + 27 * S, quick).count).toBe(0);
    expect(expireIdle(t, T0 + 30 * S, quick).count).toBe(0);
    expect(expireIdle(t, T0 + 30 * S + 1, quick).count).toBe(1);
  });

  it('the same fragments give the same result logged in one snapshot or several', () => {
    for (const c of CASES) {
      const recs = pairAt(c.gap, c.laterFirst);
      const once = new FragmentResolver();
      const all = new FragmentLog();
      const t1 = new FlowTable(100, 16);
      const t2 = new FlowTable(100, 16);
      const step = new FragmentResolver();
      recs.forEach((x, seq) => {
        const pf = fieldsOf(x.frame);
        const isLater = x.frame.equals(later(100));
        if (isLater) all.addLater(pf, seq, x.tsUs, x.frame.length);
        else {
          all.addFirst(pf, seq, x.tsUs);
          t1.addPacket(pf, seq, x.tsUs, x.frame.length);
          t2.addPacket(pf, seq, x.tsUs, x.frame.length);
        }
        const one = new FragmentLog();
        if (isLater) one.addLater(pf, seq, x.tsUs, x.frame.length);
        else one.addFirst(pf, seq, x.tsUs);
        step.add(one.snapshot());
        step.resolve(t2, x.tsUs, false);
      });
      once.add(all.snapshot());
      once.resolve(t1, Infinity, true);
      step.resolve(t2, T0 + 200 * S, false);
      expect(step.result, caseName(c)).toEqual(once.result);
      expect(once.result, caseName(c)).toEqual(c.joins ? { attributed: 1, orphans: 0, dropped: 0 } : { attributed: 0, orphans: 1, dropped: 0 });
      expect(flows(t2), caseName(c)).toEqual(flows(t1));
    }
  });
});

describe('the reassembly window, live capture equals files (FlowSession)', () => {
  const catalog = loadCatalog();
  const TICK_SRC = '10.0.0.50';
  const TICK_DST = '10.0.0.51';
  const tick = (t: number) => ({ frame: ipv4({ src: TICK_SRC, dst: TICK_DST, proto: PROTO_UDP, payload: udp({ sport: 50123, dport: 123 }) }), tsUs: t });

  /** The fragment pair of a case with a packet every second around it (the capture clock), for 100 s. */
  function capture(gap: number, laterFirst: boolean): { frame: Buffer; tsUs: number }[] {
    const recs = [...pairAt(gap, laterFirst).map((r) => ({ ...r, tsUs: r.tsUs + 10 * S })), ...Array.from({ length: 100 }, (_, i) => tick(T0 + i * S + 500))];
    return recs.sort((a, b) => a.tsUs - b.tsUs);
  }

  function session(workers: number, live: boolean): FlowSession {
    return new FlowSession({
      catalog,
      inventory: null,
      maxFlows: 1000,
      allFlows: true,
      maxListed: 1000,
      topPairs: 5,
      // UDP flows idle for 5 s expire: far less than the fragment window
      timeouts: live ? idleTimeouts({ udp: 5 }) : null,
      workers,
    });
  }

  it.each(CASES.flatMap((c) => [0, 1].map((workers) => ({ ...c, workers, mode: workerLabel(workers) }))))(
    'later fragment $gap s from its first (later first: $laterFirst), $mode',
    async ({ gap, joins, laterFirst, workers }) => {
      const recs = capture(gap, laterFirst);
      const path = tmp.file(`live-${gap}-${laterFirst}.pcap`, pcap(recs.map((r) => ({ sec: Math.floor(r.tsUs / S), frac: r.tsUs % S, data: r.frame })), { linktype: 101 }));
      const file = await runAnalysis([path], { workers, maxFlows: 1000 });
      expect(file.fragments).toEqual(joins ? { attributed: 1, orphans: 0, dropped: 0 } : { attributed: 0, orphans: 1, dropped: 0 });

      const s = session(workers, true);
      const expired: { flow: ClassifiedFlow; at: number }[] = [];
      const fileSession = session(workers, false);
      for (let i = 0; i < recs.length; i++) {
        const b = () => batchOf([recs[i]], { seqBase: i });
        for (const f of await s.add(b())) expired.push({ flow: f, at: s.nowUs });
        await fileSession.add(b());
      }
      const end = await s.finish({ files: [] });
      const ref = await fileSession.finish({ files: [] });
      expect(end.summary.input.fragments).toEqual(file.fragments);
      expect(ref.summary.input.fragments).toEqual(file.fragments);
      // the same flows, the fragments' flow complete whether it expired or not
      expect(end.summary.flows).toEqual(ref.summary.flows);
      const frag = end.summary.flows.filter((f) => f.serverPort === 1812 || f.clientPort === 1812);
      expect(frag.map((f) => f.packets)).toEqual([joins ? 2 : 1]);
      // the fragments' flow expired (UDP timeout 5 s), but not while a later fragment could still join
      const gone = expired.filter((x) => x.flow.serverPort === 1812);
      expect(gone.map((x) => x.flow.clientPackets + x.flow.serverPackets)).toEqual([joins ? 2 : 1]);
      const firstFragAt = T0 + 10 * S + (laterFirst ? gap * S : 0);
      expect(gone[0].at).toBeGreaterThan(firstFragAt + REASSEMBLY_US);
    },
  );
});

