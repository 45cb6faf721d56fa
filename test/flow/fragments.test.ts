// Later IP fragments carry no ports: each joins the flow of the latest first fragment
// (same addresses, protocol and IP ID) that precedes it in the capture, decided once after
// merging, whichever aggregator (worker) saw which fragment.
import { afterAll, describe, expect, it } from 'vitest';
import { KIND_IPV4, KIND_IPV6 } from '../../src/decode/fields.js';
import { resolveFragments } from '../../src/flow/fragments.js';
import { FlowTable, FW, K_KP, K_PORTS, KW, V_BYTES, V_FIRST_SEQ, V_PKTS } from '../../src/flow/table.js';
import { BatchAggregator } from '../../src/pipeline/aggregate.js';
import { runAnalysis } from '../../src/pipeline/run.js';
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
} from '../helpers/build.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

const C = '10.0.0.5';
const S = '10.0.0.9';
// one UDP datagram of 8 + 2000 bytes, in two fragments
const whole = udp({ sport: 1812, dport: 1812, payload: Buffer.alloc(2000, 0x42) });
const first = (id: number, src = C) => ipv4({ src, dst: S, proto: PROTO_UDP, id, mf: true, payload: whole.subarray(0, 1480) });
const later = (id: number, src = C) => ipv4({ src, dst: S, proto: PROTO_UDP, id, fragOffset: 185, payload: whole.subarray(1480) });

interface Flow {
  kp: number;
  ports: number;
  pkts: number;
  bytes: number;
  firstSeq: number;
}

function flows(t: FlowTable): Flow[] {
  const out: Flow[] = [];
  for (let s = 0; s < t.capacity; s++) {
    if (t.keys[s * KW] === 0) continue;
    const f = s * FW;
    out.push({
      kp: t.keys[s * KW + K_KP],
      ports: t.keys[s * KW + K_PORTS],
      pkts: t.f64[f + V_PKTS] + t.f64[f + V_PKTS + 1],
      bytes: t.f64[f + V_BYTES] + t.f64[f + V_BYTES + 1],
      firstSeq: Math.min(...[0, 1].filter((k) => t.f64[f + V_PKTS + k] > 0).map((k) => t.f64[f + V_FIRST_SEQ + k])),
    });
  }
  return out.sort((a, b) => a.firstSeq - b.firstSeq);
}

/** Feeds each [seq, frame] to the aggregator named by `who`, then merges and resolves. */
function run(parts: { seq: number; frame: Buffer; who: number }[], workers = 2) {
  const aggs = Array.from({ length: workers }, () => new BatchAggregator(1000));
  for (const p of parts) aggs[p.who].add(batchOf([{ frame: p.frame, tsUs: 1_000_000 + p.seq }], { seqBase: p.seq }));
  const results = aggs.map((a) => a.result());
  const table = new FlowTable(1000, 16);
  for (const r of results) table.merge(r.flows);
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
    const r = aggs[0].result();
    const table = new FlowTable(1000, 16);
    table.merge(r.flows);
    expect(resolveFragments(table, [r.fragments])).toEqual({ attributed: 0, orphans: 1, dropped: 0 });
  });

  it('a later fragment whose first fragment was never seen is an orphan', () => {
    const { table, res } = run([{ seq: 0, frame: later(7), who: 0 }]);
    expect(res).toEqual({ attributed: 0, orphans: 1, dropped: 0 });
    expect(table.size).toBe(0);
  });

  it('an IP ID reused later: each later fragment joins the latest first fragment before it', () => {
    const other = ipv4({ src: C, dst: S, proto: PROTO_UDP, id: 100, mf: true, payload: udp({ sport: 5000, dport: 514, payload: Buffer.alloc(1472), length: 3000 }).subarray(0, 1480) });
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
    const tcpLater = ipv4({ src: C, dst: S, proto: PROTO_TCP, id: 100, fragOffset: 185, payload: Buffer.alloc(100) });
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

  it('end to end through runAnalysis: packets, orphans and flows add up', async () => {
    const recs = [first(100), later(100), later(55), first(56), later(56)].map((data, i) => ({ sec: 1700000000, frac: i, data }));
    const path = tmp.file('frags.pcap', pcap(recs, { linktype: 101 }));
    const r = await runAnalysis([path], { workers: 0, maxFlows: 100 });
    expect(r.stats.packets).toBe(5);
    expect(r.stats.malformed).toBe(0);
    expect(r.fragments).toEqual({ attributed: 2, orphans: 1, dropped: 0 });
    const fl = flows(r.table);
    expect(fl).toEqual([{ kp: UDP_1812, ports: PORTS, pkts: 4, bytes: 2 * (1500 + 548), firstSeq: 0 }]);
  });
});
