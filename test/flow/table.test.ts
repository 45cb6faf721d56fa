// The flow table: canonical keys (both directions in one slot, sides right), growth by
// rehashing, the maxFlows cap (counted, never thrown) and exact merging of snapshots.
import { describe, expect, it } from 'vitest';
import { KIND_IPV4, KIND_IPV6, KIND_L2 } from '../../src/decode/fields.js';
import { FlowTable, KEY_WORDS, flowSlots, type FlowSnapshot } from '../../src/flow/table.js';
import {
  ACK,
  addFrame,
  eth,
  FIN,
  icmpError,
  ip4Word,
  ip6Words,
  ipv4,
  ipv6,
  MAC_A,
  MAC_B,
  macWords,
  PROTO_ICMP,
  PROTO_TCP,
  PROTO_UDP,
  RST,
  SYN,
  tcp,
  udp,
} from '../helpers/build.js';
import { dumpFlows as dump, keyWords, usedSlots } from '../helpers/flows.js';

const A = '10.0.0.1';
const B = '10.0.0.2';

function tcp4(src: string, dst: string, sport: number, dport: number, flags: number): Buffer {
  return ipv4({ src, dst, proto: PROTO_TCP, payload: tcp({ sport, dport, flags }) });
}
function udp4(src: string, dst: string, sport: number, dport: number): Buffer {
  return ipv4({ src, dst, proto: PROTO_UDP, payload: udp({ sport, dport }) });
}

const add = addFrame;

describe('canonical keys', () => {
  it('a TCP handshake in both directions lands in one slot, sides by the lower endpoint', () => {
    const t = new FlowTable(100, 16);
    const s1 = add(t, tcp4(B, A, 443, 51000, SYN | ACK), 11, 2_000_500, 60); // B→A first in the capture
    const s0 = add(t, tcp4(A, B, 51000, 443, SYN), 10, 2_000_000, 74);
    const s2 = add(t, tcp4(A, B, 51000, 443, ACK), 12, 2_001_000, 66);
    const s3 = add(t, tcp4(B, A, 443, 51000, FIN | ACK), 13, 2_002_000, 66);
    const s4 = add(t, tcp4(A, B, 51000, 443, RST), 14, 2_001_500, 54);
    expect(new Set([s0, s1, s2, s3, s4]).size).toBe(1);
    expect(t.size).toBe(1);
    const s = dump(t)[0];
    // side 0 = A (10.0.0.1 < 10.0.0.2), side 1 = B
    expect(keyWords(s)).toEqual([KIND_IPV4 | (PROTO_TCP << 8), ip4Word(A), 0, 0, 0, ip4Word(B), 0, 0, 0, (51000 | (443 << 16)) >>> 0]);
    expect(s.kp).toBe(0x601);
    expect(s.a[0]).toBe(0x0a000001);
    expect(s.b[0]).toBe(0x0a000002);
    expect(s.ports).toBe(0x01bbc738);
    expect([t.kind(s0), t.proto(s0), t.port(s0, 0), t.port(s0, 1)]).toEqual([KIND_IPV4, PROTO_TCP, 51000, 443]);
    expect(s.pkts).toEqual([3, 2]);
    expect(s.bytes).toEqual([74 + 66 + 54, 60 + 66]);
    expect(s.firstTs).toEqual([2_000_000, 2_000_500]);
    // records out of time order: the last time is the maximum, not the latest record
    expect(s.lastTs).toEqual([2_001_500, 2_002_000]);
    expect(s.firstSeq).toEqual([10, 11]);
    expect(s.syn).toEqual([1, 0]);
    expect(s.synAck).toEqual([0, 1]);
    expect(s.rst).toEqual([1, 0]);
    expect(s.fin).toEqual([0, 1]);
    expect(s.flags).toEqual([SYN | ACK | RST, SYN | ACK | FIN]);
    expect([...s.icmpErr, s.icmpCode]).toEqual([0, 0, 0]);
  });

  it('the same address on both sides: the lower port is side 0', () => {
    const t = new FlowTable(100, 16);
    add(t, tcp4(A, A, 5000, 80, SYN), 0, 1, 1);
    add(t, tcp4(A, A, 80, 5000, SYN | ACK), 1, 2, 1);
    const s = dump(t);
    expect(s).toHaveLength(1);
    expect(s[0].ports).toBe((80 | (5000 << 16)) >>> 0);
    expect(s[0].syn[1]).toBe(1); // the SYN came from port 5000 = side 1
    expect(s[0].synAck[0]).toBe(1);
  });

  it('IPv6 addresses compare word by word (a high first word is not negative)', () => {
    const t = new FlowTable(100, 16);
    const hi = 'ff02::1';
    const lo = '2001:db8::1';
    add(t, ipv6({ src: hi, dst: lo, next: PROTO_UDP, payload: udp({ sport: 1, dport: 2 }) }), 0, 1, 100);
    add(t, ipv6({ src: lo, dst: hi, next: PROTO_UDP, payload: udp({ sport: 2, dport: 1 }) }), 1, 2, 50);
    const s = dump(t);
    expect(s).toHaveLength(1);
    expect(s[0].a).toEqual(ip6Words(lo));
    expect(s[0].b).toEqual(ip6Words(hi));
    expect(s[0].kp).toBe(KIND_IPV6 | (PROTO_UDP << 8));
    expect(s[0].bytes).toEqual([50, 100]);
  });

  it('L2 frames: MAC pair and ethertype, ports ignored', () => {
    const t = new FlowTable(100, 16);
    add(t, eth({ src: MAC_B, dst: MAC_A, ethertype: 0x7261, payload: Buffer.alloc(46) }), 0, 1, 60, 1);
    add(t, eth({ src: MAC_A, dst: MAC_B, ethertype: 0x7261, payload: Buffer.alloc(46) }), 1, 2, 60, 1);
    add(t, eth({ src: MAC_A, dst: MAC_B, ethertype: 0x0806, payload: Buffer.alloc(46) }), 2, 3, 60, 1);
    const s = dump(t);
    expect(s).toHaveLength(2);
    const ha2 = s.find((x) => x.ports === 0x7261)!;
    expect(keyWords(ha2)).toEqual([KIND_L2, ...macWords(MAC_A), 0, 0, ...macWords(MAC_B), 0, 0, 0x7261]);
    const slot = usedSlots(t).find((x) => t.ethertype(x) === 0x7261)!;
    expect([t.kind(slot), t.proto(slot)]).toEqual([KIND_L2, 0]);
    expect(ha2.pkts).toEqual([1, 1]);
    expect(ha2.firstSeq).toEqual([1, 0]);
  });

  it('an ICMP port-unreachable lands in the UDP flow it quotes, counted on the sender side', () => {
    const t = new FlowTable(100, 16);
    const probe = udp4(A, B, 5353, 514);
    const s0 = add(t, probe, 0, 10, 60);
    const s1 = add(t, ipv4({ src: B, dst: A, proto: PROTO_ICMP, payload: icmpError(probe.subarray(0, 28)) }), 1, 20, 70);
    expect(s1).toBe(s0);
    const s = dump(t)[0];
    expect(s.kp).toBe(KIND_IPV4 | (PROTO_UDP << 8));
    expect(s.pkts).toEqual([1, 1]);
    expect([...s.icmpErr, s.icmpCode]).toEqual([0, 1, 0x10303]);
  });

  it('different protocols, ports or addresses are different flows', () => {
    const t = new FlowTable(100, 16);
    add(t, tcp4(A, B, 1000, 443, SYN), 0, 1, 1);
    add(t, udp4(A, B, 1000, 443), 1, 1, 1);
    add(t, tcp4(A, B, 1001, 443, SYN), 2, 1, 1);
    add(t, tcp4(A, '10.0.0.3', 1000, 443, SYN), 3, 1, 1);
    add(t, ipv4({ src: A, dst: B, proto: 99, payload: Buffer.alloc(4) }), 4, 1, 1);
    expect(t.size).toBe(5);
  });
});

describe('growth', () => {
  it('keeps every flow and its counts through many rehashes', () => {
    const t = new FlowTable(1_000_000, 16);
    expect(t.capacity).toBe(16);
    const ref = new Map<string, number>();
    let seq = 0;
    for (let i = 0; i < 6000; i++) {
      const src = `10.${(i >> 8) & 255}.${i & 255}.1`;
      const n = 1 + (i % 3);
      for (let k = 0; k < n; k++) {
        const fwd = k % 2 === 0;
        add(t, fwd ? tcp4(src, B, 1024 + (i % 5000), 22, ACK) : tcp4(B, src, 22, 1024 + (i % 5000), ACK), seq++, 1000 + seq, 100);
      }
      ref.set(src, n);
    }
    expect(t.size).toBe(6000);
    expect(t.capacity).toBeGreaterThanOrEqual(12000);
    expect(t.capacity & (t.capacity - 1)).toBe(0);
    const slots = dump(t);
    expect(slots).toHaveLength(6000);
    let total = 0;
    for (const s of slots) {
      const pk = s.pkts[0] + s.pkts[1];
      total += pk;
      const a = s.a[0] === ip4Word(B) ? s.b[0] : s.a[0];
      const src = `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
      expect(pk, src).toBe(ref.get(src));
    }
    expect(total).toBe(seq);
    // re-adding finds the existing slots: no new flows
    add(t, tcp4('10.0.0.1', B, 1024, 22, ACK), seq, 1, 1);
    expect(t.size).toBe(6000);
  });

  it('hands slots out in order of arrival and keeps them through growth; a removed flow\'s slot is reused', () => {
    const t = new FlowTable(1_000_000, 16);
    const slotOf: number[] = [];
    for (let i = 0; i < 100; i++) slotOf.push(add(t, udp4(A, B, 1000 + i, 53), i, 1, 10));
    expect(slotOf).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(t.capacity).toBe(256);
    for (let i = 0; i < 100; i++) expect(add(t, udp4(B, A, 53, 1000 + i), 100 + i, 2, 10)).toBe(i);
    const gone = t.removeWhere((slot) => slot === 7 || slot === 42);
    expect(gone.count).toBe(2);
    expect(t.size).toBe(98);
    // every other flow is still found where it was (the index entries moved, not the slots)
    for (let i = 0; i < 100; i++) if (i !== 7 && i !== 42) expect(add(t, udp4(A, B, 1000 + i, 53), 200 + i, 3, 10)).toBe(i);
    expect(t.size).toBe(98);
    // new flows take the emptied slots first, then the next never used one
    const reused = [add(t, udp4(A, B, 5000, 53), 300, 4, 10), add(t, udp4(A, B, 5001, 53), 301, 4, 10), add(t, udp4(A, B, 5002, 53), 302, 4, 10)];
    expect(reused.sort((x, y) => x - y)).toEqual([7, 42, 100]);
    expect(t.packets(42, 0) + t.packets(42, 1)).toBe(1);
    // a removed flow that comes back is a new flow, not the one now in its old slot
    expect(add(t, udp4(A, B, 1007, 53), 303, 5, 10)).toBe(101);
    expect(t.size).toBe(102);
    expect(t.packets(7, 0) + t.packets(7, 1)).toBe(1);
  });
});

describe('maxFlows cap', () => {
  it('overflow is counted, not thrown; existing flows keep counting', () => {
    const t = new FlowTable(3, 16);
    expect(add(t, udp4(A, B, 1, 53), 0, 1, 10)).toBeGreaterThanOrEqual(0);
    expect(add(t, udp4(A, B, 2, 53), 1, 1, 10)).toBeGreaterThanOrEqual(0);
    expect(add(t, udp4(A, B, 3, 53), 2, 1, 10)).toBeGreaterThanOrEqual(0);
    expect(add(t, udp4(A, B, 4, 53), 3, 1, 10)).toBe(-1);
    expect(add(t, udp4(A, B, 4, 53), 4, 1, 10)).toBe(-1);
    expect(add(t, udp4(B, A, 53, 4), 5, 1, 10)).toBe(-1);
    expect(add(t, udp4(A, B, 5, 53), 6, 1, 10)).toBe(-1);
    expect(add(t, udp4(B, A, 53, 1), 7, 1, 10)).toBeGreaterThanOrEqual(0);
    expect(t.size).toBe(3);
    expect(t.overflowPackets).toBe(4);
    expect(t.overflowFlows).toBeGreaterThanOrEqual(2);
    expect(t.overflowFlows).toBeLessThanOrEqual(t.overflowPackets);
    const s = dump(t);
    expect(s.reduce((a, x) => a + x.pkts[0] + x.pkts[1], 0)).toBe(4);
  });

  // Distinct flows turned away are estimated by a HyperLogLog sketch; small counts are exact.
  it('overflowFlows counts distinct flows that did not fit', () => {
    const t = new FlowTable(1, 16);
    add(t, udp4(A, B, 1, 53), 0, 1, 10);
    for (let i = 0; i < 5; i++) add(t, udp4(A, B, 2, 53), 1 + i, 1, 10);
    expect(t.overflowPackets).toBe(5);
    expect(t.overflowFlows).toBe(1);
  });

  it('estimates 100,000 distinct overflow flows within 5 %, and merges sketches by maximum', () => {
    const a = new FlowTable(1, 16);
    const b = new FlowTable(1, 16);
    add(a, udp4(A, B, 1, 53), 0, 1, 10);
    add(b, udp4(A, B, 1, 53), 0, 1, 10);
    for (let i = 0; i < 100_000; i++) add(i % 2 ? a : b, udp4(`10.2.${(i >>> 8) & 255}.${i & 255}`, B, 1 + (i >>> 16), 53), 1 + i, 1, 10);
    const m = new FlowTable(1, 16);
    m.merge(a.snapshot());
    m.merge(b.snapshot());
    expect(Math.abs(m.overflowFlows - 100_000) / 100_000).toBeLessThan(0.05);
    expect(m.overflowPackets).toBe(100_000); // a and b share their one kept flow
  });

  it('merging into a full table counts the snapshot flows and packets that did not fit', () => {
    const a = new FlowTable(10, 16);
    add(a, udp4(A, B, 1, 53), 0, 1, 10);
    add(a, udp4(A, B, 2, 53), 1, 1, 10);
    add(a, udp4(B, A, 53, 2), 2, 1, 10);
    const m = new FlowTable(1, 16);
    const left = m.merge(a.snapshot());
    expect(m.size).toBe(1);
    expect(m.overflowPackets).toBeGreaterThanOrEqual(1);
    // the flow that did not fit comes back by key (its owner forgets its conversation)
    expect(left).not.toBeNull();
    expect(left!.length).toBe(KEY_WORDS);
    expect(m.merge(new FlowTable(10, 16).snapshot())).toBeNull();
    const kept = dump(m)[0];
    expect(m.overflowPackets + kept.pkts[0] + kept.pkts[1]).toBe(3);
  });
});

describe('merge', () => {
  // A deterministic mix: 30 flows (TCP, UDP, ICMP errors, IPv6, L2), both directions,
  // timestamps out of order, every flag.
  function packets(): { frame: Buffer; link: number; seq: number; ts: number; bytes: number }[] {
    let x = 12345;
    const rnd = (n: number) => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return (x >>> 8) % n;
    };
    const flagsets = [SYN, SYN | ACK, ACK, FIN | ACK, RST, RST | ACK, 0];
    const out: { frame: Buffer; link: number; seq: number; ts: number; bytes: number }[] = [];
    for (let seq = 0; seq < 600; seq++) {
      const f = rnd(30);
      const rev = rnd(2) === 1;
      const c = `10.1.0.${f}`;
      const s = `10.2.0.${f % 7}`;
      const cp = 40000 + f;
      const sp = [22, 443, 3978, 28769][f % 4];
      let frame: Buffer;
      let link = 101;
      if (f < 15) frame = rev ? tcp4(s, c, sp, cp, flagsets[rnd(7)]) : tcp4(c, s, cp, sp, flagsets[rnd(7)]);
      else if (f < 22) {
        const probe = udp4(c, s, cp, 514);
        frame = rnd(4) === 0 ? ipv4({ src: s, dst: c, proto: PROTO_ICMP, payload: icmpError(probe.subarray(0, 28), { code: rnd(16) }) }) : rev ? udp4(s, c, 514, cp) : probe;
      } else if (f < 27) {
        const a6 = `fd00::${f}`;
        const b6 = `fd00::1:${f}`;
        frame = rev ? ipv6({ src: b6, dst: a6, next: PROTO_TCP, payload: tcp({ sport: 443, dport: cp, flags: flagsets[rnd(7)] }) }) : ipv6({ src: a6, dst: b6, next: PROTO_TCP, payload: tcp({ sport: cp, dport: 443, flags: flagsets[rnd(7)] }) });
      } else {
        link = 1;
        frame = eth({ src: rev ? MAC_B : MAC_A, dst: rev ? MAC_A : MAC_B, ethertype: 0x7260 + f, payload: Buffer.alloc(46) });
      }
      out.push({ frame, link, seq, ts: 1_700_000_000_000_000 + rnd(1_000_000), bytes: 60 + rnd(1400) });
    }
    return out;
  }

  it('merging the snapshots of two tables equals one table built from all packets', () => {
    const all = packets();
    const whole = new FlowTable(1000, 16);
    const t1 = new FlowTable(1000, 16);
    const t2 = new FlowTable(1000, 64);
    for (const p of all) {
      add(whole, p.frame, p.seq, p.ts, p.bytes, p.link);
      // interleaved batches of 7, as two workers would see them
      add(Math.floor(p.seq / 7) % 2 === 0 ? t1 : t2, p.frame, p.seq, p.ts, p.bytes, p.link);
    }
    const merged = new FlowTable(1000, 16);
    merged.merge(t1.snapshot());
    merged.merge(t2.snapshot());
    expect(merged.size).toBe(whole.size);
    expect(merged.size).toBe(30);
    expect(dump(merged)).toEqual(dump(whole));
    // and in the other order
    const merged2 = new FlowTable(1000, 16);
    merged2.merge(t2.snapshot());
    merged2.merge(t1.snapshot());
    expect(dump(merged2)).toEqual(dump(whole));
    // some flows really were split between the two tables
    const both = dump(t1).filter((s) => dump(t2).some((o) => keyWords(o).join() === keyWords(s).join()));
    expect(both.length).toBeGreaterThan(10);
  });

  it('merging into a table that cannot hold them all keeps the first flows by record, whatever the split (as one table fed every packet)', () => {
    const all = packets();
    // 30 flows, 12 kept: the flows that did not fit, their packets and their sketch as in one table
    const whole = new FlowTable(12, 16);
    for (const p of all) add(whole, p.frame, p.seq, p.ts, p.bytes, p.link);
    expect(whole.size).toBe(12);
    expect(whole.overflowFlows).toBe(18);
    // Two owners by flow (as the router splits them), each with room for all its flows; one
    // filled with its packets in reverse order, so that its slots are not in capture order.
    const owner = (p: (typeof all)[number]): number => {
      const t = new FlowTable(1000, 16);
      add(t, p.frame, 0, 0, 1, p.link);
      return t.keyWords(usedSlots(t)[0]).reduce((a, w) => a ^ w, 0) & 1;
    };
    const mine = all.map(owner);
    const t0 = new FlowTable(1000, 16);
    const t1 = new FlowTable(1000, 16);
    for (const [i, p] of all.entries()) if (mine[i] === 0) add(t0, p.frame, p.seq, p.ts, p.bytes, p.link);
    for (let i = all.length - 1; i >= 0; i--) if (mine[i] === 1) add(t1, all[i].frame, all[i].seq, all[i].ts, all[i].bytes, all[i].link);
    expect(t0.size).toBeGreaterThan(5);
    expect(t1.size).toBeGreaterThan(5);
    for (const snaps of [
      [t0.snapshot(), t1.snapshot()],
      [t1.snapshot(), t0.snapshot()],
    ]) {
      const m = new FlowTable(12, 16);
      const left = m.merge(...snaps);
      expect(dump(m)).toEqual(dump(whole));
      expect(m.overflowPackets).toBe(whole.overflowPackets);
      expect(Array.from(m.overflowSketch)).toEqual(Array.from(whole.overflowSketch));
      expect(left!.length).toBe(18 * KEY_WORDS);
    }
    // one snapshot after the other, as before: the first one's flows took the room
    const one = new FlowTable(12, 16);
    one.merge(t1.snapshot());
    one.merge(t0.snapshot());
    expect(dump(one)).not.toEqual(dump(whole));
  });

  it('a flow added packet by packet is found by its key words (addPacketNow hashes the key inline, as findOrInsert does)', () => {
    const t = new FlowTable(1000, 16);
    for (const p of packets()) add(t, p.frame, p.seq, p.ts, p.bytes, p.link);
    const size = t.size;
    const slots = usedSlots(t);
    // TCP, UDP, ICMP, IPv6 and L2 keys: a hash that differed would miss the index entry and insert the key again
    expect(new Set(slots.map((s) => t.kind(s))).size).toBe(3);
    for (const s of slots) expect(t.findOrInsert(t.keyWords(s).slice(), 0)).toBe(s);
    expect(t.size).toBe(size);
  });

  it('counts past 32 bits stay exact: merged, then counted packet by packet across the carry', () => {
    const t = new FlowTable(100, 16);
    add(t, udp4(A, B, 1000, 53), 0, 5_000, 100);
    const snap = t.snapshot();
    // side 0 sent 2^32 - 1 packets and 2^32 + 2^31 - 40 bytes; side 1 2^33 bytes in 3 packets
    snap.f64[0] = 2 ** 32 - 1;
    snap.f64[1] = 3;
    snap.f64[2] = 2 ** 32 + 2 ** 31 - 40;
    snap.f64[3] = 2 ** 33;
    snap.f64[5] = 4_000;
    snap.f64[7] = 4_500;
    const m = new FlowTable(100, 16);
    m.merge(snap);
    const s = add(m, udp4(A, B, 1000, 53), 1, 6_000, 60);
    add(m, udp4(B, A, 53, 1000), 2, 6_500, 2 ** 31 - 1);
    expect(m.packets(s, 0)).toBe(2 ** 32);
    expect(m.bytes(s, 0)).toBe(2 ** 32 + 2 ** 31 + 20);
    add(m, udp4(A, B, 1000, 53), 3, 7_000, 2 ** 31 + 1);
    expect(m.packets(s, 0)).toBe(2 ** 32 + 1);
    expect(m.bytes(s, 0)).toBe(2 ** 33 + 21);
    expect(m.packets(s, 1)).toBe(4);
    expect(m.bytes(s, 1)).toBe(2 ** 33 + 2 ** 31 - 1);
    expect(dump(m)[0].pkts).toEqual([2 ** 32 + 1, 4]);
    expect(dump(m.snapshot())[0].bytes).toEqual([2 ** 33 + 21, 2 ** 33 + 2 ** 31 - 1]);
    expect(dump(m)[0].firstTs).toEqual([5_000, 4_000]);
    expect(dump(m)[0].lastTs).toEqual([7_000, 6_500]);
  });

  it('IPv6 flows whose addresses differ only in words 2-3 are different flows', () => {
    const t = new FlowTable(100, 16);
    const pairs = [
      ['2001:db8::1', '2001:db8::2'],
      ['2001:db8::1:0:0:1', '2001:db8::2'],
      ['2001:db8::1', '2001:db8::1:0:0:2'],
    ];
    const slots: number[] = [];
    for (let i = 0; i < 9; i++) {
      const [a, b] = pairs[i % 3];
      slots.push(add(t, ipv6({ src: a, dst: b, next: PROTO_UDP, payload: udp({ sport: 7, dport: 9 }) }), i, 10 + i, 100 + i));
    }
    expect(t.size).toBe(3);
    expect(slots).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2]);
    expect(dump(t).map((f) => f.pkts[0] + f.pkts[1])).toEqual([3, 3, 3]);
    for (const s of [0, 1, 2]) expect(t.findOrInsert(t.keyWords(s).slice(), 0)).toBe(s);
  });

  it('a snapshot holds exactly the used slots', () => {
    const all = packets();
    const t = new FlowTable(1000, 16);
    for (const p of all) add(t, p.frame, p.seq, p.ts, p.bytes, p.link);
    const snap = t.snapshot();
    expect(snap.count).toBe(t.size);
    const view = flowSlots(snap);
    expect(view.slots).toBe(t.size);
    // packed: every slot of the snapshot holds a flow
    expect(usedSlots(snap)).toHaveLength(t.size);
    expect(dump(snap)).toEqual(dump(t));
    // and, slot by slot, the same facts as the table's slot with that key
    const bySlot = new Map(usedSlots(t).map((s) => [t.keyString(s), t.factsString(s)]));
    for (let j = 0; j < view.slots; j++) expect(view.factsString(j)).toBe(bySlot.get(view.keyString(j)));
  });

  it('overflow counters add up in a merge', () => {
    const a = new FlowTable(1, 16);
    add(a, udp4(A, B, 1, 53), 0, 1, 10);
    add(a, udp4(A, B, 2, 53), 1, 1, 10);
    const b = new FlowTable(1, 16);
    add(b, udp4(A, B, 1, 53), 2, 1, 10);
    add(b, udp4(A, B, 3, 53), 3, 1, 10);
    add(b, udp4(A, B, 3, 53), 4, 1, 10);
    const m = new FlowTable(10, 16);
    m.merge(a.snapshot());
    m.merge(b.snapshot());
    expect(m.overflowPackets).toBe(3);
    expect(m.size).toBe(1);
    expect(dump(m)[0].pkts[0]).toBe(2);
    expect(dump(m)[0].firstSeq[0]).toBe(0);
  });
});

describe('the last snapshot (snapshotInCaptureOrder, releaseSlots)', () => {
  it('holds the flows of snapshot(), by first record, and the table then gives its slots up', () => {
    const t = new FlowTable();
    // 40 flows arriving in an order their slots (the keys' hashes) do not keep; the reply of
    // the first arrives last, and flow 7's reply came before its request (record 2 < 3).
    for (let i = 0; i < 40; i++) add(t, udp4(`10.1.0.${i + 1}`, B, 1000 + i, 53), 10 + i, 1_000_000 + i);
    add(t, udp4(B, '10.1.0.8', 53, 1007), 2, 900_000);
    add(t, udp4(B, '10.1.0.1', 53, 1000), 60, 2_000_000);
    const firsts = (snap: FlowSnapshot) => {
      const f = flowSlots(snap);
      return usedSlots(snap).map((s) => Math.min(...([0, 1] as const).filter((side) => f.packets(s, side) > 0).map((side) => f.firstSeq(s, side))));
    };
    const inOrder = [2, 10, 11, 12, 13, 14, 15, 16, ...Array.from({ length: 32 }, (_, i) => 18 + i)];
    const plain = t.snapshot();
    expect(firsts(plain)).not.toEqual(inOrder);
    const ordered = t.snapshotInCaptureOrder();
    expect(ordered.count).toBe(40);
    expect(dump(ordered)).toEqual(dump(plain));
    expect(firsts(ordered)).toEqual(inOrder);
    t.releaseSlots();
    expect([t.size, t.slots, t.overflowPackets]).toEqual([40, 0, 0]);
  });
});
