// Removing flows from the open-addressing table (backward-shift deletion, shrinking) and
// the idle timeouts of live capture, driven by crafted timestamps.
import { describe, expect, it } from 'vitest';
import { expireIdle, idleTimeouts } from '../../src/flow/expire.js';
import { FlowTable, flowSlots, type FlowSnapshot } from '../../src/flow/table.js';
import {
  ACK,
  addFrame,
  eth,
  ETH_ARP,
  FIN,
  icmpEcho,
  ipv4,
  PROTO_ICMP,
  PROTO_TCP,
  PROTO_UDP,
  RST,
  SYN,
  tcp,
  udp,
  type Bytes,
} from '../helpers/build.js';
import { usedSlots, slotsOf } from '../helpers/flows.js';

const A = '10.0.0.1';
const B = '10.0.0.2';
const S = 1e6;

const add = (t: FlowTable, frame: Bytes, seq: number, tsUs: number, link = 101): number => addFrame(t, frame, seq, tsUs, 100, link);
const udp4 = (sport: number, dport: number, src = A, dst = B): Buffer => ipv4({ src, dst, proto: PROTO_UDP, payload: udp({ sport, dport }) });
const tcp4 = (src: string, dst: string, sport: number, dport: number, flags: number): Buffer => ipv4({ src, dst, proto: PROTO_TCP, payload: tcp({ sport, dport, flags }) });

/** Port pairs (side 0 | side 1 << 16) of the used slots, sorted. */
function ports(t: FlowTable | FlowSnapshot): number[] {
  const f = slotsOf(t);
  return usedSlots(f)
    .map((s) => (f.port(s, 0) | (f.port(s, 1) << 16)) >>> 0)
    .sort((x, y) => x - y);
}

/** A deterministic pseudo-random sequence (LCG). */
function rng(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

describe('FlowTable.removeWhere', () => {
  it('removes exactly the chosen flows, returns them packed, and keeps every other flow findable', () => {
    const rand = rng(7);
    for (const n of [1, 50, 1000, 3000]) {
      // Small initial capacity: growth plus long probe runs that wrap around the end.
      const t = new FlowTable(1_000_000, 16);
      for (let i = 0; i < n; i++) add(t, udp4(1000 + i, 53), i, i);
      const drop = new Set<number>();
      for (let i = 0; i < n; i++) if (rand() < 0.6) drop.add(1000 + i);
      const before = ports(t);
      const snap = t.removeWhere((s) => drop.has(t.port(s, 0)));
      expect(snap.count).toBe(drop.size);
      expect(t.size).toBe(n - drop.size);
      expect(ports(snap)).toEqual(before.filter((p) => drop.has(p & 0xffff)));
      expect(ports(t)).toEqual(before.filter((p) => !drop.has(p & 0xffff)));
      // Facts travel with their key.
      const out = flowSlots(snap);
      expect(out.slots).toBe(snap.count);
      for (let j = 0; j < snap.count; j++) expect(out.packets(j, 0) + out.packets(j, 1)).toBe(1);
      // Every remaining flow is still found (no new slot), and a removed flow comes back as new.
      for (let i = 0; i < n; i++) {
        if (drop.has(1000 + i)) continue;
        const slot = add(t, udp4(53, 1000 + i, B, A), n + i, n + i);
        expect(t.port(slot, 0)).toBe(1000 + i);
      }
      expect(t.size).toBe(n - drop.size);
      for (const p of drop) add(t, udp4(p, 53), 9e6 + p, 9e6);
      expect(t.size).toBe(n);
    }
  });

  it('many small tables (probe runs wrapping around the end): nothing lost, nothing duplicated', () => {
    const rand = rng(11);
    for (let trial = 0; trial < 400; trial++) {
      const t = new FlowTable(1_000_000, 16);
      const n = 1 + Math.floor(rand() * 8); // at most half of 16 slots: no growth
      const all = Array.from({ length: n }, (_, i) => 1 + i * 7919 + trial);
      all.forEach((p, i) => add(t, udp4(p, 53), i, i));
      expect(t.capacity).toBe(16);
      const drop = new Set(all.filter(() => rand() < 0.5));
      const snap = t.removeWhere((s) => drop.has(t.port(s, 0)));
      expect(snap.count).toBe(drop.size);
      for (const p of all) if (!drop.has(p)) add(t, udp4(53, p, B, A), 100, 100);
      expect(t.size).toBe(n - drop.size);
    }
  });

  it('cleared slots are zero, so a new flow there starts from nothing', () => {
    const t = new FlowTable(100, 16);
    add(t, tcp4(A, B, 5000, 80, SYN), 0, 1);
    t.removeWhere(() => true);
    expect(t.size).toBe(0);
    expect(t.keys.every((x) => x === 0)).toBe(true);
    expect(t.f64.every((x) => x === 0)).toBe(true);
    expect(t.u32.every((x) => x === 0)).toBe(true);
    const slot = add(t, tcp4(A, B, 5000, 80, ACK), 1, 2);
    expect([t.packets(slot, 0), t.packets(slot, 1)]).toEqual([1, 0]);
    expect([t.syns(slot, 0), t.syns(slot, 1), t.synAcks(slot, 0), t.synAcks(slot, 1)]).toEqual([0, 0, 0, 0]);
    expect(t.tcpFlags(slot, 0)).toBe(ACK);
  });

  it('shrinks a table left mostly empty, keeping the flows', () => {
    const t = new FlowTable(1_000_000, 16);
    for (let i = 0; i < 20_000; i++) add(t, udp4(1 + (i % 60000), 2 + Math.floor(i / 60000)), i, i);
    expect(t.capacity).toBeGreaterThanOrEqual(65536);
    t.removeWhere((s) => t.port(s, 0) > 100);
    expect(t.size).toBe(100);
    expect(t.capacity).toBe(4096);
    expect(ports(t)).toHaveLength(100);
    for (let i = 0; i < 100; i++) add(t, udp4(1 + i, 2), 1e6 + i, 1e6);
    expect(t.size).toBe(100);
  });
});

describe('expireIdle', () => {
  const T0 = 1_700_000_000 * S;

  it('UDP after 60 s idle, not before', () => {
    const t = new FlowTable();
    add(t, udp4(5353, 161), 0, T0);
    add(t, udp4(161, 5353, B, A), 1, T0 + 2 * S);
    expect(expireIdle(t, T0 + 62 * S, idleTimeouts()).count).toBe(0); // idle exactly 60 s
    const snap = expireIdle(t, T0 + 62 * S + 1, idleTimeouts());
    expect(snap.count).toBe(1);
    expect(t.size).toBe(0);
  });

  it('TCP: 5 minutes while open, 30 s after both FINs or a RST', () => {
    const t = new FlowTable();
    // open: handshake only
    add(t, tcp4(A, B, 40001, 443, SYN), 0, T0);
    add(t, tcp4(B, A, 443, 40001, SYN | ACK), 1, T0);
    // closed: FIN from both sides
    add(t, tcp4(A, B, 40002, 443, SYN), 2, T0);
    add(t, tcp4(B, A, 443, 40002, SYN | ACK), 3, T0);
    add(t, tcp4(A, B, 40002, 443, FIN | ACK), 4, T0);
    add(t, tcp4(B, A, 443, 40002, FIN | ACK), 5, T0);
    // half closed: one FIN only (waits like an open flow)
    add(t, tcp4(A, B, 40003, 443, SYN), 6, T0);
    add(t, tcp4(B, A, 443, 40003, SYN | ACK), 7, T0);
    add(t, tcp4(A, B, 40003, 443, FIN | ACK), 8, T0);
    // rejected: SYN answered by RST
    add(t, tcp4(A, B, 40004, 3978, SYN), 9, T0);
    add(t, tcp4(B, A, 3978, 40004, RST | ACK), 10, T0);
    // unanswered SYN
    add(t, tcp4(A, B, 40005, 28769, SYN), 11, T0);
    const port = (snap: FlowSnapshot) => ports(snap).map((p) => p & 0xffff);
    expect(expireIdle(t, T0 + 30 * S, idleTimeouts()).count).toBe(0);
    expect(port(expireIdle(t, T0 + 31 * S, idleTimeouts()))).toEqual([40002, 40004]);
    expect(expireIdle(t, T0 + 300 * S, idleTimeouts()).count).toBe(0);
    expect(port(expireIdle(t, T0 + 301 * S, idleTimeouts()))).toEqual([40001, 40003, 40005]);
    expect(t.size).toBe(0);
  });

  it('ICMP, other IP and non-IP after the "other" timeout; options change each timeout', () => {
    const t = new FlowTable();
    add(t, ipv4({ src: A, dst: B, proto: PROTO_ICMP, payload: icmpEcho() }), 0, T0);
    add(t, ipv4({ src: A, dst: B, proto: 99, payload: Buffer.alloc(20) }), 1, T0);
    add(t, eth({ ethertype: ETH_ARP, payload: Buffer.alloc(28) }), 2, T0, 1);
    add(t, udp4(5000, 514), 3, T0);
    add(t, tcp4(A, B, 40001, 22, SYN), 4, T0);
    const short = idleTimeouts({ tcp: 20, udp: 5, other: 10 });
    expect(short).toEqual({ tcpUs: 20 * S, tcpClosedUs: 20 * S, udpUs: 5 * S, otherUs: 10 * S });
    expect(expireIdle(t, T0 + 6 * S, short).count).toBe(1); // UDP
    expect(expireIdle(t, T0 + 11 * S, short).count).toBe(3); // ICMP, IP 99, ARP
    expect(expireIdle(t, T0 + 21 * S, short).count).toBe(1); // TCP
    expect(t.size).toBe(0);
    expect(idleTimeouts()).toEqual({ tcpUs: 300 * S, tcpClosedUs: 30 * S, udpUs: 60 * S, otherUs: 60 * S });
  });
});
