// Flows of a FlowTable or FlowSnapshot as plain objects, read through the FlowSlots
// accessors only (the slot layout is private to src/flow/), so tests can compare them.
import { KIND_L2 } from '../../src/decode/fields.js';
import { FlowSlots, flowSlots, type FlowSnapshot, type Side } from '../../src/flow/table.js';

/** Every fact of one flow. Per-side pairs are [side 0, side 1]; side 0 is the canonical lower endpoint. */
export interface FlowFacts {
  /** kind | proto << 8 */
  kp: number;
  /** Side 0's address words. */
  a: number[];
  /** Side 1's address words. */
  b: number[];
  /** port0 | port1 << 16, or the ethertype of an L2 flow. */
  ports: number;
  pkts: [number, number];
  bytes: [number, number];
  firstTs: [number, number];
  lastTs: [number, number];
  firstSeq: [number, number];
  syn: [number, number];
  synAck: [number, number];
  rst: [number, number];
  fin: [number, number];
  icmpErr: [number, number];
  flags: [number, number];
  icmpCode: number;
}

const SIDES: Side[] = [0, 1];

function pair(f: (side: Side) => number): [number, number] {
  return [f(0), f(1)];
}

/** The accessors over a table (itself) or a packed snapshot. */
export function slotsOf(t: FlowSlots | FlowSnapshot): FlowSlots {
  return t instanceof FlowSlots ? t : flowSlots(t);
}

/** The facts of slot `s`. */
export function factsOf(t: FlowSlots | FlowSnapshot, s: number): FlowFacts {
  const f = slotsOf(t);
  const kind = f.kind(s);
  return {
    kp: kind | (f.proto(s) << 8),
    a: [0, 1, 2, 3].map((i) => f.addressWord(s, 0, i)),
    b: [0, 1, 2, 3].map((i) => f.addressWord(s, 1, i)),
    ports: kind === KIND_L2 ? f.ethertype(s) : (f.port(s, 0) | (f.port(s, 1) << 16)) >>> 0,
    pkts: pair((x) => f.packets(s, x)),
    bytes: pair((x) => f.bytes(s, x)),
    firstTs: pair((x) => f.firstTs(s, x)),
    lastTs: pair((x) => f.lastTs(s, x)),
    firstSeq: pair((x) => f.firstSeq(s, x)),
    syn: pair((x) => f.syns(s, x)),
    synAck: pair((x) => f.synAcks(s, x)),
    rst: pair((x) => f.resets(s, x)),
    fin: pair((x) => f.fins(s, x)),
    icmpErr: pair((x) => f.icmpErrors(s, x)),
    flags: pair((x) => f.tcpFlags(s, x)),
    icmpCode: f.icmpCode(s),
  };
}

/** The used slots, in slot order. */
export function usedSlots(t: FlowSlots | FlowSnapshot): number[] {
  const f = slotsOf(t);
  const out: number[] = [];
  for (let s = 0; s < f.slots; s++) if (f.used(s)) out.push(s);
  return out;
}

/** The key of a flow as numbers, to order flows: kp, a, b, ports. */
export function keyWords(x: FlowFacts): number[] {
  return [x.kp, ...x.a, ...x.b, x.ports];
}

/** Every flow, sorted by key: comparable whatever the table's capacity or slot order. */
export function dumpFlows(t: FlowSlots | FlowSnapshot): FlowFacts[] {
  const out = usedSlots(t).map((s) => factsOf(t, s));
  return out.sort((x, y) => {
    const kx = keyWords(x);
    const ky = keyWords(y);
    for (let i = 0; i < kx.length; i++) if (kx[i] !== ky[i]) return kx[i] - ky[i];
    return 0;
  });
}

/** The packets of a flow, both sides. */
export const totalPackets = (x: FlowFacts): number => x.pkts[0] + x.pkts[1];

/** The first record number of the flow (of the sides that sent anything). */
export const flowFirstSeq = (x: FlowFacts): number => Math.min(...SIDES.filter((k) => x.pkts[k] > 0).map((k) => x.firstSeq[k]));
