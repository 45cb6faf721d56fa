// The flow table: flows in slots handed out in order of arrival, found through an index
// (open addressing with linear probing over the keys' hashes), all typed arrays. A flow's key is
// canonical (the lower endpoint is side 0), so both directions land in one slot, and
// every fact kept per side is direction-neutral: tables built by different workers merge
// exactly, and the client/server decision is made once, after merging.
import {
  F_DPORT,
  F_DST,
  F_ETHERTYPE,
  F_FRAG,
  F_ICMPERR,
  F_ICMPMSG,
  F_KIND,
  F_PROTO,
  F_SPORT,
  F_SRC,
  F_TCPFLAGS,
  FRAG_FIRST,
  KIND_IPV6,
  KIND_L2,
  TCP_ACK,
  TCP_FIN,
  TCP_RST,
  TCP_SYN,
  type PacketFields,
} from '../decode/fields.js';
import { alignedBuffer } from './aligned.js';
import { RecordOrder } from './record-order.js';

// The slot layout is private to flow/: everything outside reads a flow through the
// FlowSlots accessors, so the layout can change (cache lines, new per-flow facts) without
// touching classification, expiry or tests.
//
// Two layouts. A packed FlowSnapshot (what workers hand over) keeps three arrays: keys (KW
// words a flow), f64 (FW doubles), u32 (UW words), numbered as below. A FlowTable keeps each
// slot in one 192-byte block of one page-aligned buffer (issue 13: the state a packet
// touches in as few cache lines as can be, see the H_* and D_* words below).

/** Key words per slot: [kind | proto << 8, a0..a3, b0..b3, portA | portB << 16]. */
const KW = 10;
const K_KP = 0;
const K_A = 1;
const K_B = 5;
const K_PORTS = 9;

/** Float64 facts per slot: per side s (0/1), base + s. */
const FW = 11;
const V_PKTS = 0;
const V_BYTES = 2;
const V_FIRST_TS = 4; // microseconds since the epoch
const V_LAST_TS = 6;
const V_FIRST_SEQ = 8; // global record number of the side's first packet
const V_FRAG_TS = 10; // direction-free: time of the flow's latest first IP fragment, 0 if none

/** Uint32 facts per slot: per side s, base + s; then one direction-free word. */
const UW = 16;
const U_SYN = 0; // SYN without ACK sent by this side
const U_SYNACK = 2;
const U_RST = 4;
const U_FIN = 6;
const U_ICMPERR = 8; // ICMP errors travelling from this side about the flow
const U_FLAGS = 10; // OR of TCP flags this side sent
const U_ICMPCODE = 12; // highest 0x10000 | type << 8 | code seen (deterministic)
const U_ICMPMSG = 13; // per side: highest 0x10000 | type << 8 | code of ICMP messages that are not errors (echo...)
// Not merged: the id + 1 of the flow's conversation in the ConversationStore of the
// aggregator that fills this table (flow/conversation.ts), a hint that saves a lookup.
const U_CONV = 15;

export const DEFAULT_MAX_FLOWS = 500_000;

// A FlowTable's slot block: TS Uint32 words (192 bytes, three cache lines), the block
// 64-byte aligned. The first line holds all a packet in capture order reads and writes: the
// key's words an IPv4 or MAC key uses, the conversation hint, both sides' TCP flags, and the
// low 32 bits of the packet and byte counts and the last time per side (a count's high
// word, bumped on the carry, is on a colder line). IPv6's other address words, the first
// times and record numbers (written by a side's first packet), the control-segment and
// ICMP counts follow.
const TS = 48; // words per slot
const H_KP = 0; // line 0 (words 0-15)
const H_A0 = 1; // a0, a1
const H_B0 = 3; // b0, b1
const H_PORTS = 5;
const H_CONV = 6; // the conversation hint (U_CONV)
const H_FLAGS = 7; // side 0's TCP flags in bits 0-15, side 1's in 16-31
const H_PKTS = 8; // + side: low 32 bits
const H_BYTES = 10; // + side: low 32 bits
const D_LAST_TS = 6; // + side, in doubles: words 12-15
const H_A2 = 16; // line 1: a2, a3
const H_B2 = 18; // b2, b3
const D_FIRST_TS = 10; // + side, in doubles: words 20-23
const D_FIRST_SEQ = 12; // + side: words 24-27
const D_FRAG_TS = 14; // words 28-29
const H_PKTS_HI = 30; // + side: high words of the counts
const H_BYTES_HI = 32; // + side; line 2 (words 32-47)
const H_COLD = 34; // the u32 facts U_SYN..U_ICMPERR at H_COLD + U
const H_ICMPCODE = 44;
const H_ICMPMSG = 45; // + side
const TWO32 = 4294967296;

/** A compact, transferable copy of the used slots of a table. */
export interface FlowSnapshot {
  count: number;
  keys: Uint32Array;
  f64: Float64Array;
  u32: Uint32Array;
  /** HyperLogLog registers of the flows that did not fit (see OverflowSketch). */
  overflowSketch: Uint8Array;
  overflowPackets: number;
}

/**
 * Counts the distinct flows a full table turned away without remembering them: a
 * HyperLogLog of 4096 registers over the flow-key hash (about 1.6 % error, exact-ish for
 * small counts through linear counting). Registers merge by maximum, so sketches from
 * several workers combine exactly.
 */
export const SKETCH_BITS = 12;
const SKETCH_SIZE = 1 << SKETCH_BITS;

export function sketchAdd(regs: Uint8Array, hash: number): void {
  const j = hash >>> (32 - SKETCH_BITS);
  // rank of the first 1 bit in the remaining 20 bits (a guard bit caps it at 21)
  const rank = Math.clz32(((hash << SKETCH_BITS) | (1 << (SKETCH_BITS - 1))) >>> 0) + 1;
  if (rank > regs[j]) regs[j] = rank;
}

export function sketchEstimate(regs: Uint8Array): number {
  const m = SKETCH_SIZE;
  let sum = 0;
  let zeros = 0;
  for (let j = 0; j < m; j++) {
    sum += 2 ** -regs[j];
    if (regs[j] === 0) zeros++;
  }
  if (zeros === m) return 0;
  const raw = ((0.7213 / (1 + 1.079 / m)) * m * m) / sum;
  return Math.round(raw <= 2.5 * m && zeros > 0 ? m * Math.log(m / zeros) : raw);
}

const scratch = new Uint32Array(KW);

function mix(h: number, w: number): number {
  h = Math.imul(h ^ w, 0x01000193);
  return h ^ (h >>> 15);
}

/**
 * The flow key's hash from its words (K_KP, the two addresses, K_PORTS): the one definition,
 * for a packed key (hashKey), a table slot's (slotHash) and a packet's key still in locals
 * (addPacketNow). Words 2-3 of each address only count for IPv6: IPv4 and MAC keys carry
 * theirs in words 0-1.
 */
function hashWords(kp: number, a0: number, a1: number, a2: number, a3: number, b0: number, b1: number, b2: number, b3: number, ports: number): number {
  let h = mix(mix(mix(mix(mix(mix(0x811c9dc5, kp), a0), a1), b0), b1), ports);
  if ((kp & 0xff) === KIND_IPV6) h = mix(mix(mix(mix(h, a2), a3), b2), b3);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  return (h ^ (h >>> 15)) >>> 0;
}

function hashKey(k: Uint32Array, o: number): number {
  return hashWords(k[o + K_KP], k[o + K_A], k[o + K_A + 1], k[o + K_A + 2], k[o + K_A + 3], k[o + K_B], k[o + K_B + 1], k[o + K_B + 2], k[o + K_B + 3], k[o + K_PORTS]);
}

/** The three per-slot arrays of a table or a snapshot. */
interface SlotArrays {
  keys: Uint32Array;
  f64: Float64Array;
  u32: Uint32Array;
}

/** Side 0 is the canonical lower endpoint of a flow, side 1 the other. */
export type Side = 0 | 1;

/**
 * Read access to flows: a packed FlowSnapshot (see `flowSlots`), or a FlowTable (`slots` =
 * its slots, half its capacity, empty slots skipped), which overrides every accessor that
 * reads its own layout. Every per-side fact is indexed by canonical side; the
 * client/server decision is the caller's.
 */
export class FlowSlots implements SlotArrays {
  constructor(
    public keys: Uint32Array,
    public f64: Float64Array,
    public u32: Uint32Array,
    /** Slots to scan: [0, slots). */
    public slots: number,
  ) {}

  used(slot: number): boolean {
    return this.keys[slot * KW + K_KP] !== 0;
  }
  /** KIND_IPV4, KIND_IPV6 or KIND_L2. */
  kind(slot: number): number {
    return this.keys[slot * KW + K_KP] & 0xff;
  }
  /** IP protocol number (0 for L2 flows). */
  proto(slot: number): number {
    return this.keys[slot * KW + K_KP] >>> 8;
  }
  /** Word i (0-3) of a side's address: IPv4 in word 0; IPv6 big-endian; MAC as hi16, lo32. */
  addressWord(slot: number, side: Side, i: number): number {
    return this.keys[slot * KW + (side === 0 ? K_A : K_B) + i];
  }
  /** The key's last word: portA | portB << 16, or the ethertype of an L2 flow. */
  protected portsWord(slot: number): number {
    return this.keys[slot * KW + K_PORTS];
  }
  /** A side's TCP/UDP port (0 for flows without ports). */
  port(slot: number, side: Side): number {
    const w = this.portsWord(slot);
    return side === 0 ? w & 0xffff : w >>> 16;
  }
  /** The ethertype of an L2 flow. */
  ethertype(slot: number): number {
    return this.portsWord(slot);
  }
  packets(slot: number, side: Side): number {
    return this.f64[slot * FW + V_PKTS + side];
  }
  bytes(slot: number, side: Side): number {
    return this.f64[slot * FW + V_BYTES + side];
  }
  /** Time (µs since the epoch) of a side's first packet; meaningful when it sent any. */
  firstTs(slot: number, side: Side): number {
    return this.f64[slot * FW + V_FIRST_TS + side];
  }
  lastTs(slot: number, side: Side): number {
    return this.f64[slot * FW + V_LAST_TS + side];
  }
  /** Global record number of a side's first packet. */
  firstSeq(slot: number, side: Side): number {
    return this.f64[slot * FW + V_FIRST_SEQ + side];
  }
  /** Time (µs) of the flow's first packet: the earlier of the sides' that sent any. */
  flowFirstTs(slot: number): number {
    return this.earliest(slot, this.firstTs(slot, 0), this.firstTs(slot, 1));
  }
  /** Global record number of the flow's first packet (its place in capture order: no two flows share one). */
  flowFirstSeq(slot: number): number {
    return this.earliest(slot, this.firstSeq(slot, 0), this.firstSeq(slot, 1));
  }
  /** The smaller of a per-side value (side 0's, side 1's) over the sides that sent packets. */
  private earliest(slot: number, v0: number, v1: number): number {
    const p0 = this.packets(slot, 0) > 0;
    const p1 = this.packets(slot, 1) > 0;
    if (p0 && p1) return Math.min(v0, v1);
    return p0 ? v0 : v1;
  }
  /** Time (µs) of the flow's latest first IP fragment, or 0: later fragments may still join it. */
  lastFirstFragmentTs(slot: number): number {
    return this.f64[slot * FW + V_FRAG_TS];
  }
  /** One of the counts U_SYN..U_ICMPERR (+ side). */
  protected count(slot: number, u: number): number {
    return this.u32[slot * UW + u];
  }
  /** SYNs without ACK sent by a side. */
  syns(slot: number, side: Side): number {
    return this.count(slot, U_SYN + side);
  }
  synAcks(slot: number, side: Side): number {
    return this.count(slot, U_SYNACK + side);
  }
  resets(slot: number, side: Side): number {
    return this.count(slot, U_RST + side);
  }
  fins(slot: number, side: Side): number {
    return this.count(slot, U_FIN + side);
  }
  /** ICMP errors about the flow travelling from a side. */
  icmpErrors(slot: number, side: Side): number {
    return this.count(slot, U_ICMPERR + side);
  }
  /** OR of the TCP flags a side sent. */
  tcpFlags(slot: number, side: Side): number {
    return this.u32[slot * UW + U_FLAGS + side];
  }
  /** ICMP flows: the highest 0x10000 | type << 8 | code of the messages (not errors) a side sent, or 0. */
  icmpMessage(slot: number, side: Side): number {
    return this.u32[slot * UW + U_ICMPMSG + side];
  }
  /** Highest 0x10000 | type << 8 | code of the ICMP errors seen, or 0. */
  icmpCode(slot: number): number {
    return this.u32[slot * UW + U_ICMPCODE];
  }
  /** Every fact of a slot as text (key|numbers|counters, in the snapshot's order), to compare tables in tests. */
  factsString(slot: number): string {
    const f: number[] = [];
    const u: number[] = [];
    for (const side of SIDES) f.push(this.packets(slot, side));
    for (const side of SIDES) f.push(this.bytes(slot, side));
    for (const side of SIDES) f.push(this.firstTs(slot, side));
    for (const side of SIDES) f.push(this.lastTs(slot, side));
    for (const side of SIDES) f.push(this.firstSeq(slot, side));
    f.push(this.lastFirstFragmentTs(slot));
    // The conversation hint (U_CONV, last) is the filling aggregator's, not a fact of the flow.
    for (let w = 0; w < U_FLAGS; w++) u.push(this.count(slot, w));
    for (const side of SIDES) u.push(this.tcpFlags(slot, side));
    u.push(this.icmpCode(slot));
    for (const side of SIDES) u.push(this.icmpMessage(slot, side));
    return `${this.keyString(slot)}|${f.join(',')}|${u.join(',')}`;
  }

  /** The flow's key as text, for the rare lookups made outside the packet path. */
  keyString(slot: number): string {
    return Array.prototype.join.call(this.keyWords(slot), ',');
  }
  /** The key words of a slot (KEY_WORDS long, canonical order), to look the flow up elsewhere: a view, or a table's scratch copy valid until its next call. */
  keyWords(slot: number): Uint32Array {
    return this.keys.subarray(slot * KW, slot * KW + KW);
  }
  /** The conversation hint of a slot (see U_CONV): 0 for none. */
  conversationHint(slot: number): number {
    return this.u32[slot * UW + U_CONV];
  }
  setConversationHint(slot: number, hint: number): void {
    this.u32[slot * UW + U_CONV] = hint;
  }
}

const SIDES: readonly Side[] = [0, 1];

/** Words of a flow key. */
export const KEY_WORDS = KW;

/** The slot layout, for a check that a partial table comes from the same build. */
export const TABLE_FORMAT = `table ${KW}/${FW}/${UW}`;

/** The hash a table uses for the key at k[o..o+KEY_WORDS), for other maps over flow keys. */
export function flowKeyHash(k: Uint32Array, o: number): number {
  return hashKey(k, o);
}

/** Accessors over a packed snapshot. */
export function flowSlots(snap: FlowSnapshot): FlowSlots {
  return new FlowSlots(snap.keys, snap.f64, snap.u32, snap.count);
}

/** Adds n (a whole number) to the count whose low word is w[lo] and high word w[hi]. */
function addCount(w: Uint32Array, lo: number, hi: number, n: number): void {
  const t = w[hi] * TWO32 + w[lo] + n;
  const high = Math.floor(t / TWO32);
  w[hi] = high;
  w[lo] = t - high * TWO32;
}

/** The slots' block array (n slots) and its f64 view, page-aligned (see TS). */
function slotViews(n: number): [Uint32Array, Float64Array] {
  const buf = alignedBuffer(n * TS * 4);
  return [new Uint32Array(buf, 0, n * TS), new Float64Array(buf, 0, (n * TS) / 2)];
}

/** Copies the key of the table slot at w[base..base+TS) to k[o..o+KW), in canonical order. */
function packKey(w: Uint32Array, base: number, k: Uint32Array, o: number): void {
  k[o + K_KP] = w[base + H_KP];
  k[o + K_A] = w[base + H_A0];
  k[o + K_A + 1] = w[base + H_A0 + 1];
  k[o + K_A + 2] = w[base + H_A2];
  k[o + K_A + 3] = w[base + H_A2 + 1];
  k[o + K_B] = w[base + H_B0];
  k[o + K_B + 1] = w[base + H_B0 + 1];
  k[o + K_B + 2] = w[base + H_B2];
  k[o + K_B + 3] = w[base + H_B2 + 1];
  k[o + K_PORTS] = w[base + H_PORTS];
}

/** Writes the key at k[o..o+KW) into the table slot at w[base..base+TS). */
function unpackKey(k: Uint32Array, o: number, w: Uint32Array, base: number): void {
  w[base + H_KP] = k[o + K_KP];
  w[base + H_A0] = k[o + K_A];
  w[base + H_A0 + 1] = k[o + K_A + 1];
  w[base + H_A2] = k[o + K_A + 2];
  w[base + H_A2 + 1] = k[o + K_A + 3];
  w[base + H_B0] = k[o + K_B];
  w[base + H_B0 + 1] = k[o + K_B + 1];
  w[base + H_B2] = k[o + K_B + 2];
  w[base + H_B2 + 1] = k[o + K_B + 3];
  w[base + H_PORTS] = k[o + K_PORTS];
}

/** Record number of the first packet of flow j of a snapshot (FlowSlots.flowFirstSeq, on the packed layout). */
function firstRecord(snap: FlowSnapshot, j: number): number {
  const f = j * FW;
  const p0 = snap.f64[f + V_PKTS] > 0;
  const p1 = snap.f64[f + V_PKTS + 1] > 0;
  if (p0 && p1) return Math.min(snap.f64[f + V_FIRST_SEQ], snap.f64[f + V_FIRST_SEQ + 1]);
  return p0 ? snap.f64[f + V_FIRST_SEQ] : snap.f64[f + V_FIRST_SEQ + 1];
}

/**
 * A snapshot's flows by first record (ties by position), or null when they are in that order
 * already: a worker's table hands out slots in order of arrival, so its snapshot usually is.
 */
function captureOrder(snap: FlowSnapshot): Uint32Array | null {
  const n = snap.count;
  let sorted = true;
  for (let j = 1; j < n && sorted; j++) sorted = firstRecord(snap, j - 1) <= firstRecord(snap, j);
  if (sorted) return null;
  const order = new RecordOrder(n, n);
  let exact = true;
  for (let j = 0; j < n && exact; j++) exact = order.add(firstRecord(snap, j), j);
  const out = new Uint32Array(n);
  if (exact) {
    order.sort();
    for (let j = 0; j < n; j++) out[j] = order.at(j);
  } else {
    for (let j = 0; j < n; j++) out[j] = j;
    out.sort((a, b) => firstRecord(snap, a) - firstRecord(snap, b) || a - b);
  }
  return out;
}

/** Copies slot `s` of a table's block array `w` (with its f64 view `d`) to slot `j` of packed arrays. */
function packSlot(w: Uint32Array, d: Float64Array, s: number, to: SlotArrays, j: number): void {
  // Word by word: subarray views per slot cost more than the copies (20,000 flows: 80,000 views).
  const keys = to.keys;
  const f64 = to.f64;
  const u32 = to.u32;
  const ws = s * TS;
  packKey(w, ws, keys, j * KW);
  const ds = s * (TS / 2);
  const f = j * FW;
  for (let x = 0; x < 2; x++) {
    f64[f + V_PKTS + x] = w[ws + H_PKTS_HI + x] * TWO32 + w[ws + H_PKTS + x];
    f64[f + V_BYTES + x] = w[ws + H_BYTES_HI + x] * TWO32 + w[ws + H_BYTES + x];
    f64[f + V_FIRST_TS + x] = d[ds + D_FIRST_TS + x];
    f64[f + V_LAST_TS + x] = d[ds + D_LAST_TS + x];
    f64[f + V_FIRST_SEQ + x] = d[ds + D_FIRST_SEQ + x];
  }
  f64[f + V_FRAG_TS] = d[ds + D_FRAG_TS];
  const u = j * UW;
  for (let x = 0; x < U_FLAGS; x++) u32[u + x] = w[ws + H_COLD + x];
  const flags = w[ws + H_FLAGS];
  u32[u + U_FLAGS] = flags & 0xffff;
  u32[u + U_FLAGS + 1] = flags >>> 16;
  u32[u + U_ICMPCODE] = w[ws + H_ICMPCODE];
  u32[u + U_ICMPMSG] = w[ws + H_ICMPMSG];
  u32[u + U_ICMPMSG + 1] = w[ws + H_ICMPMSG + 1];
  u32[u + U_CONV] = w[ws + H_CONV];
}

/** Whether the table slot at w[base..base+TS) holds the key at k[o..o+KW) (the words that differ most often first). */
function sameSlotKey(w: Uint32Array, base: number, k: Uint32Array, o: number): boolean {
  return (
    w[base + H_KP] === k[o + K_KP] &&
    w[base + H_PORTS] === k[o + K_PORTS] &&
    w[base + H_A0] === k[o + K_A] &&
    w[base + H_B0] === k[o + K_B] &&
    w[base + H_A0 + 1] === k[o + K_A + 1] &&
    w[base + H_B0 + 1] === k[o + K_B + 1] &&
    w[base + H_A2] === k[o + K_A + 2] &&
    w[base + H_A2 + 1] === k[o + K_A + 3] &&
    w[base + H_B2] === k[o + K_B + 2] &&
    w[base + H_B2 + 1] === k[o + K_B + 3]
  );
}

/** The key's hash (hashWords) of the table slot at w[base..base+TS). */
function slotHash(w: Uint32Array, base: number): number {
  return hashWords(w[base + H_KP], w[base + H_A0], w[base + H_A0 + 1], w[base + H_A2], w[base + H_A2 + 1], w[base + H_B0], w[base + H_B0 + 1], w[base + H_B2], w[base + H_B2 + 1], w[base + H_PORTS]);
}

/**
 * Whether keys[base..base+KW) holds the key at k[o..o+KW) (the words that differ most often
 * first).
 */
function sameKey(keys: Uint32Array, base: number, k: Uint32Array, o: number): boolean {
  return (
    keys[base] === k[o] &&
    keys[base + 9] === k[o + 9] &&
    keys[base + 1] === k[o + 1] &&
    keys[base + 5] === k[o + 5] &&
    keys[base + 2] === k[o + 2] &&
    keys[base + 3] === k[o + 3] &&
    keys[base + 4] === k[o + 4] &&
    keys[base + 6] === k[o + 6] &&
    keys[base + 7] === k[o + 7] &&
    keys[base + 8] === k[o + 8]
  );
}

/**
 * An index over flow keys kept elsewhere, each at a place (a table's slot, a conversation
 * id): per entry, the key's hash and its place + 1 (0: empty); find() compares keys kept
 * packed at keys[place * stride], next() and place() let an owner compare its own layout.
 * Open addressing with linear probing over 8-byte entries, eight to a cache line; the owner
 * keeps it at most half full. The hashes it holds make growth (a rebuild
 * from them) and removal (moving entries back, Knuth's algorithm R) hash no key again.
 * The flow table's index and a conversation store's (ConversationIndex) are both one.
 */
export class FlowKeyIndex {
  /** Per entry: the key's hash, its place + 1 (0: empty). */
  private ix: Uint32Array;
  private mask: number;

  /** `entries`: a power of two. */
  constructor(entries: number) {
    this.ix = new Uint32Array(entries * 2);
    this.mask = entries - 1;
  }

  get entries(): number {
    return this.mask + 1;
  }

  /**
   * The place of the key at k[o..o+KW), whose hash is h, among the keys at
   * keys[place * stride]; when absent, -1 - the free entry where it would go (see set()).
   */
  find(h: number, keys: Uint32Array, stride: number, k: Uint32Array, o: number): number {
    for (let i = this.next(h, h); ; i = this.next(h, i + 1)) {
      if (i < 0) return i;
      const place = this.place(i);
      if (sameKey(keys, place * stride, k, o)) return place;
    }
  }

  /**
   * From entry i (masked) of hash h's probe run on, the first entry that holds hash h, or
   * -1 - the first empty entry: the probing of find(), for an owner that compares its keys
   * itself (the flow table's slots are not in the index's key layout).
   */
  next(h: number, i: number): number {
    const ix = this.ix;
    const mask = this.mask;
    i &= mask;
    for (;;) {
      if (ix[2 * i + 1] === 0) return -1 - i;
      if (ix[2 * i] === h) return i;
      i = (i + 1) & mask;
    }
  }

  /** The place held by (used) entry i. */
  place(i: number): number {
    return this.ix[2 * i + 1] - 1;
  }

  /** Fills free entry `i` (from find(), or freeEntry()) with `place`, whose key's hash is h. */
  set(i: number, h: number, place: number): void {
    this.ix[2 * i] = h;
    this.ix[2 * i + 1] = place + 1;
  }

  /** The first empty entry of hash h's probe run (for a key known to be absent). */
  freeEntry(h: number): number {
    const ix = this.ix;
    let i = h & this.mask;
    while (ix[2 * i + 1] !== 0) i = (i + 1) & this.mask;
    return i;
  }

  /** Removes the entry of `place` (its key's hash h), moving later entries of its probe run back. */
  remove(h: number, place: number): void {
    const ix = this.ix;
    const mask = this.mask;
    let hole = h & mask;
    while (ix[2 * hole + 1] !== place + 1) hole = (hole + 1) & mask;
    let j = hole;
    for (;;) {
      j = (j + 1) & mask;
      if (ix[2 * j + 1] === 0) break;
      const home = ix[2 * j] & mask;
      // The entry at j stays when its home lies cyclically in (hole, j].
      if (hole <= j ? hole < home && home <= j : hole < home || home <= j) continue;
      ix[2 * hole] = ix[2 * j];
      ix[2 * hole + 1] = ix[2 * j + 1];
      hole = j;
    }
    ix[2 * hole] = 0;
    ix[2 * hole + 1] = 0;
  }

  /** `entries` entries (a power of two), the places kept: rebuilt from the hashes held. */
  resize(entries: number): void {
    const old = this.ix;
    this.ix = new Uint32Array(entries * 2);
    this.mask = entries - 1;
    for (let e = 0; e < old.length; e += 2) if (old[e + 1] !== 0) this.set(this.freeEntry(old[e]), old[e], old[e + 1] - 1);
  }

  /** `entries` empty entries (a power of two): the owner puts every place back (compaction). */
  clear(entries: number): void {
    this.ix = new Uint32Array(entries * 2);
    this.mask = entries - 1;
  }
}

/** Entries of a table's cache of recent flows (see FlowTable.recent). */
const RECENT = 8192;

export class FlowTable extends FlowSlots {
  /** Index entries (a power of two); the table grows when more than half are used. */
  capacity: number;
  size = 0;
  overflowPackets = 0;
  /**
   * Flows a full table still takes in (null: none): an owner's table that restarts at each
   * drain admits the flows the session still holds from it, so that it never turns away a
   * flow the session's table would find (BatchAggregator, `handedOver`).
   */
  admit: ((k: Uint32Array, o: number) => boolean) | null = null;
  readonly overflowSketch = new Uint8Array(SKETCH_SIZE);
  /** Canonical side (0/1) of the sender of the last packet addPacket counted. */
  lastSide: Side = 0;
  /**
   * The index (FlowKeyIndex: places are slots) in front of the slots, which are handed out
   * in order of arrival (capacity / 2 of them: the index is never more than half full):
   * the flows active at one time lie together, and growing copies the slots as they are
   * (slot numbers stay) and rebuilds the index from the hashes it holds (issue 13,
   * bench/README.md "The feed, third pass").
   */
  private index: FlowKeyIndex;
  /**
   * The index entries of recently seen flows, direct-mapped by hash: the few thousand
   * flows active at a time in 64 KiB that stay in cache, where their entries in the index
   * lie one to a cache line. A hint (the key is compared in the slot as for the index);
   * cleared whenever slots move.
   */
  private readonly recent = new Uint32Array(2 * RECENT);
  /** Slots never used so far start here; slots emptied by removeWhere() are reused first. */
  private next = 0;
  private readonly freeSlots: number[] = [];
  /**
   * At least every first time / first record number any slot holds: a packet at or after
   * them cannot lower a slot's first ones, so the usual packet (capture order) skips those
   * comparisons and the cache line that holds the first record numbers.
   */
  private maxTs = -Infinity;
  private maxSeq = -Infinity;

  constructor(
    readonly maxFlows = DEFAULT_MAX_FLOWS,
    initialCapacity = 4096,
  ) {
    let cap = 16;
    while (cap < initialCapacity) cap *= 2;
    const [w, d] = slotViews(cap / 2);
    super(w, d, w, cap / 2);
    this.capacity = cap;
    this.index = new FlowKeyIndex(cap);
  }

  // The accessors over the table's own layout (see TS).
  override used(slot: number): boolean {
    return this.keys[slot * TS + H_KP] !== 0;
  }
  override kind(slot: number): number {
    return this.keys[slot * TS + H_KP] & 0xff;
  }
  override proto(slot: number): number {
    return this.keys[slot * TS + H_KP] >>> 8;
  }
  override addressWord(slot: number, side: Side, i: number): number {
    return this.keys[slot * TS + (side === 0 ? (i < 2 ? H_A0 : H_A2 - 2) : i < 2 ? H_B0 : H_B2 - 2) + i];
  }
  protected override portsWord(slot: number): number {
    return this.keys[slot * TS + H_PORTS];
  }
  override packets(slot: number, side: Side): number {
    return this.u32[slot * TS + H_PKTS_HI + side] * TWO32 + this.u32[slot * TS + H_PKTS + side];
  }
  override bytes(slot: number, side: Side): number {
    return this.u32[slot * TS + H_BYTES_HI + side] * TWO32 + this.u32[slot * TS + H_BYTES + side];
  }
  override firstTs(slot: number, side: Side): number {
    return this.f64[slot * (TS / 2) + D_FIRST_TS + side];
  }
  override lastTs(slot: number, side: Side): number {
    return this.f64[slot * (TS / 2) + D_LAST_TS + side];
  }
  override firstSeq(slot: number, side: Side): number {
    return this.f64[slot * (TS / 2) + D_FIRST_SEQ + side];
  }
  override lastFirstFragmentTs(slot: number): number {
    return this.f64[slot * (TS / 2) + D_FRAG_TS];
  }
  protected override count(slot: number, u: number): number {
    return this.u32[slot * TS + H_COLD + u];
  }
  override tcpFlags(slot: number, side: Side): number {
    return side === 0 ? this.u32[slot * TS + H_FLAGS] & 0xffff : this.u32[slot * TS + H_FLAGS] >>> 16;
  }
  override icmpMessage(slot: number, side: Side): number {
    return this.u32[slot * TS + H_ICMPMSG + side];
  }
  override icmpCode(slot: number): number {
    return this.u32[slot * TS + H_ICMPCODE];
  }
  /** A copy in canonical order, valid until the next call (the slot keeps the key in two lines). */
  override keyWords(slot: number): Uint32Array {
    const k = this.keyCopy;
    packKey(this.keys, slot * TS, k, 0);
    return k;
  }
  override conversationHint(slot: number): number {
    return this.u32[slot * TS + H_CONV];
  }
  override setConversationHint(slot: number, hint: number): void {
    this.u32[slot * TS + H_CONV] = hint;
  }
  private readonly keyCopy = new Uint32Array(KW);

  /**
   * Counts the packet described by `pf` (decoder output). Returns the slot, or -1 when
   * the table is full (the packet is counted as overflow).
   */
  addPacket(pf: PacketFields, seq: number, tsUs: number, wireBytes: number): number {
    this.clock[0] = tsUs;
    return this.addPacketNow(pf, seq, wireBytes);
  }

  /**
   * The capture time (µs) addPacketNow() uses: the hot loop sets it from the double it
   * holds unboxed (a timestamp passed to a call that is not inlined is boxed: one heap
   * number per packet).
   */
  readonly clock = new Float64Array(1);

  /** addPacket() at the time in `clock`. */
  addPacketNow(pf: PacketFields, seq: number, wireBytes: number): number {
    const tsUs = this.clock[0];
    // Canonical orientation: compare (src, sport) with (dst, dport) word by word.
    const kind = pf[F_KIND];
    const l2 = kind === KIND_L2;
    const sport = l2 ? 0 : pf[F_SPORT];
    const dport = l2 ? 0 : pf[F_DPORT];
    let cmp = 0;
    for (let i = 0; i < 4 && cmp === 0; i++) cmp = pf[F_SRC + i] - pf[F_DST + i];
    if (cmp === 0) cmp = sport - dport;
    const side = cmp > 0 ? 1 : 0;
    this.lastSide = side;
    // The key's words as locals: hashed (hashWords, as hashKey) and compared with the recent
    // flow's slot without writing the key out; written to `scratch` only when that is not
    // the flow (issue 13: the per-packet path).
    const a = side === 0 ? F_SRC : F_DST;
    const b = side === 0 ? F_DST : F_SRC;
    const kp = kind | (pf[F_PROTO] << 8);
    const a0 = pf[a];
    const a1 = pf[a + 1];
    const b0 = pf[b];
    const b1 = pf[b + 1];
    const ports = l2 ? pf[F_ETHERTYPE] : side === 0 ? (sport | (dport << 16)) >>> 0 : (dport | (sport << 16)) >>> 0;
    const a2 = pf[a + 2];
    const a3 = pf[a + 3];
    const b2 = pf[b + 2];
    const b3 = pf[b + 3];
    const h = hashWords(kp, a0, a1, a2, a3, b0, b1, b2, b3, ports);
    const rc = this.recent;
    const r = 2 * (h & (RECENT - 1));
    const re = rc[r + 1];
    const w = this.u32;
    const kb = (re - 1) * TS;
    let slot: number;
    // Words 2-3 of an address are zero unless it is IPv6 (the decoder writes them so, and
    // the hash leaves them out): only IPv6 reaches the slot's second line to compare them.
    if (
      re !== 0 &&
      rc[r] === h &&
      w[kb + H_KP] === kp &&
      w[kb + H_PORTS] === ports &&
      w[kb + H_A0] === a0 &&
      w[kb + H_B0] === b0 &&
      w[kb + H_A0 + 1] === a1 &&
      w[kb + H_B0 + 1] === b1 &&
      (kind !== KIND_IPV6 || (w[kb + H_A2] === a2 && w[kb + H_A2 + 1] === a3 && w[kb + H_B2] === b2 && w[kb + H_B2 + 1] === b3))
    )
      slot = re - 1;
    else {
      const k = scratch;
      k[K_KP] = kp;
      k[K_A] = a0;
      k[K_A + 1] = a1;
      k[K_A + 2] = a2;
      k[K_A + 3] = a3;
      k[K_B] = b0;
      k[K_B + 1] = b1;
      k[K_B + 2] = b2;
      k[K_B + 3] = b3;
      k[K_PORTS] = ports;
      slot = this.findOrInsertHashed(k, 0, h);
    }
    if (slot < 0) {
      this.overflowPackets++;
      return -1;
    }
    const u = slot * TS;
    const u32 = this.u32;
    const f64 = this.f64;
    const f = slot * (TS / 2);
    const np = u32[u + H_PKTS + side] + 1;
    if (np === 1 && u32[u + H_PKTS_HI + side] === 0) {
      f64[f + D_FIRST_TS + side] = tsUs;
      f64[f + D_FIRST_SEQ + side] = seq;
      f64[f + D_LAST_TS + side] = tsUs;
    } else {
      // Records are not always in time order; keep the true extremes.
      if (tsUs < this.maxTs && tsUs < f64[f + D_FIRST_TS + side]) f64[f + D_FIRST_TS + side] = tsUs;
      if (tsUs > f64[f + D_LAST_TS + side]) f64[f + D_LAST_TS + side] = tsUs;
      if (seq < this.maxSeq && seq < f64[f + D_FIRST_SEQ + side]) f64[f + D_FIRST_SEQ + side] = seq;
    }
    if (tsUs > this.maxTs) this.maxTs = tsUs;
    if (seq > this.maxSeq) this.maxSeq = seq;
    // The counts' low words wrap (stores are modulo 2^32); the carry goes to the high word.
    u32[u + H_PKTS + side] = np;
    if (np > 0xffffffff) u32[u + H_PKTS_HI + side]++;
    const nb = u32[u + H_BYTES + side] + wireBytes;
    u32[u + H_BYTES + side] = nb;
    if (nb > 0xffffffff) u32[u + H_BYTES_HI + side]++;
    if (pf[F_FRAG] === FRAG_FIRST && tsUs > f64[f + D_FRAG_TS]) f64[f + D_FRAG_TS] = tsUs;
    const flags = pf[F_TCPFLAGS];
    if (flags !== 0) {
      u32[u + H_FLAGS] |= flags << (side << 4);
      if (flags & (TCP_SYN | TCP_RST | TCP_FIN)) {
        if (flags & TCP_SYN) {
          if (flags & TCP_ACK) u32[u + H_COLD + U_SYNACK + side]++;
          else u32[u + H_COLD + U_SYN + side]++;
        }
        if (flags & TCP_RST) u32[u + H_COLD + U_RST + side]++;
        if (flags & TCP_FIN) u32[u + H_COLD + U_FIN + side]++;
      }
    }
    const msg = pf[F_ICMPMSG];
    if (msg !== 0 && msg > u32[u + H_ICMPMSG + side]) u32[u + H_ICMPMSG + side] = msg;
    const icmp = pf[F_ICMPERR];
    if (icmp !== 0) {
      u32[u + H_COLD + U_ICMPERR + side]++;
      if (icmp > u32[u + H_ICMPCODE]) u32[u + H_ICMPCODE] = icmp;
    }
    return slot;
  }

  /** Slot of the key at k[o..o+KW), inserting it if new; -1 when full. */
  findOrInsert(k: Uint32Array, o: number): number {
    const h = hashKey(k, o);
    const rc = this.recent;
    const r = 2 * (h & (RECENT - 1));
    const re = rc[r + 1];
    if (re !== 0 && rc[r] === h && sameSlotKey(this.keys, (re - 1) * TS, k, o)) return re - 1;
    return this.findOrInsertHashed(k, o, h);
  }

  /** findOrInsert() past the recent flows (see `recent`), `h` being the key's hash. */
  private findOrInsertHashed(k: Uint32Array, o: number, h: number): number {
    const index = this.index;
    const w = this.keys;
    let i = index.next(h, h);
    while (i >= 0) {
      const at = index.place(i);
      if (sameSlotKey(w, at * TS, k, o)) {
        const r = 2 * (h & (RECENT - 1));
        this.recent[r] = h;
        this.recent[r + 1] = at + 1;
        return at;
      }
      i = index.next(h, i + 1);
    }
    if (this.size >= this.maxFlows) return this.full(k, o, h, -1 - i);
    return this.insertAt(k, o, h, -1 - i);
  }

  /** A new key and no room: counted as overflow (-1), unless `admit` takes it in. */
  private full(k: Uint32Array, o: number, h: number, i: number): number {
    if (this.admit !== null && this.admit(k, o)) return this.insertAt(k, o, h, i);
    sketchAdd(this.overflowSketch, h);
    return -1;
  }

  /** Inserts a key known to be absent at free index entry `i` (growing first when due). Kept
   * out of findOrInsert so that the lookup, the per-packet case, stays small. */
  private insertAt(k: Uint32Array, o: number, h: number, i: number): number {
    if ((this.size + 1) * 2 > this.capacity) {
      this.resize(this.capacity * 2, false);
      i = this.index.freeEntry(h);
    }
    const slot = this.freeSlots.length > 0 ? this.freeSlots.pop()! : this.next++;
    unpackKey(k, o, this.keys, slot * TS);
    this.index.set(i, h, slot);
    const r = 2 * (h & (RECENT - 1));
    this.recent[r] = h;
    this.recent[r + 1] = slot + 1;
    this.size++;
    return slot;
  }

  /** Grows once, up front, to hold `flows` flows without growing on the way. */
  reserve(flows: number): void {
    let cap = this.capacity;
    while (flows * 2 > cap) cap *= 2;
    if (cap > this.capacity) this.resize(cap, false);
  }

  /**
   * A capacity of `cap` index entries and cap / 2 slots. Growing keeps slot numbers (the
   * slots are copied as they are); `compact` (shrinking) moves the used slots to the front
   * in slot order, so slot numbers change.
   */
  private resize(cap: number, compact: boolean): void {
    const old = this.keys;
    const oldSlots = this.slots;
    this.capacity = cap;
    this.slots = cap / 2;
    const [w, d] = slotViews(cap / 2);
    this.keys = w;
    this.u32 = w;
    this.f64 = d;
    this.recent.fill(0);
    if (!compact) {
      w.set(old.subarray(0, Math.min(oldSlots, this.slots) * TS));
      this.index.resize(cap);
      return;
    }
    const index = this.index;
    index.clear(cap);
    let j = 0;
    for (let s = 0; s < oldSlots; s++) {
      if (old[s * TS] === 0) continue;
      for (let x = 0; x < TS; x++) w[j * TS + x] = old[s * TS + x];
      const h = slotHash(w, j * TS);
      index.set(index.freeEntry(h), h, j);
      j++;
    }
    this.next = j;
    this.freeSlots.length = 0;
  }

  /** Distinct flows turned away because the table was full (estimated, see sketchAdd). */
  get overflowFlows(): number {
    return sketchEstimate(this.overflowSketch);
  }

  /**
   * Gives up the slots' and the index's memory once the last snapshot is taken (a session
   * that ends without keeping its flows: 100 MB at 500,000 flows, freed before they are classified); size and
   * the overflow counts stay, and nothing may be added or read per slot afterwards.
   */
  releaseSlots(): void {
    this.index = new FlowKeyIndex(0);
    this.keys = this.u32 = new Uint32Array(0);
    this.f64 = new Float64Array(0);
    this.slots = 0;
  }

  /**
   * snapshot(), its flows in capture order (by first record: no two flows share one): the
   * session's last one, which classification reads flow by flow, and each flow's
   * conversation by its key, in that order, where slot (hash) order made each read a cache
   * miss (flood-1M's 500,000 flows: bench/README.md, "flood-1M"). Sorted as numbers
   * (RecordOrder over slots; where that is not exact, in slot order, as snapshot()).
   */
  snapshotInCaptureOrder(): FlowSnapshot {
    const order = new RecordOrder(this.size, this.slots);
    for (let s = 0; s < this.slots; s++) {
      if (this.keys[s * TS] !== 0 && !order.add(this.flowFirstSeq(s), s)) return this.snapshot();
    }
    order.sort();
    const n = order.length;
    const keys = new Uint32Array(n * KW);
    const f64 = new Float64Array(n * FW);
    const u32 = new Uint32Array(n * UW);
    const to = { keys, f64, u32 };
    for (let j = 0; j < n; j++) packSlot(this.keys, this.f64, order.at(j), to, j);
    return { count: n, keys, f64, u32, overflowSketch: this.overflowSketch.slice(), overflowPackets: this.overflowPackets };
  }

  /** Used slots, packed. The arrays are fresh, so they can be transferred. */
  snapshot(): FlowSnapshot {
    const n = this.size;
    const keys = new Uint32Array(n * KW);
    const f64 = new Float64Array(n * FW);
    const u32 = new Uint32Array(n * UW);
    let j = 0;
    const to = { keys, f64, u32 };
    for (let s = 0; s < this.slots; s++) {
      if (this.keys[s * TS] === 0) continue;
      packSlot(this.keys, this.f64, s, to, j);
      j++;
    }
    return { count: n, keys, f64, u32, overflowSketch: this.overflowSketch.slice(), overflowPackets: this.overflowPackets };
  }

  /**
   * Adds other tables' facts: sums, minima and maxima, so merging is exact. Returns the keys
   * of the flows that did not fit (counted as overflow), packed, or null when all did.
   *
   * When they may not all fit, the snapshots' flows are taken together in capture order (by
   * first record; a flow already here always merges): the flows a full table keeps are then
   * the first ones by record number, whichever snapshot (worker) they come from, as in one
   * table fed every packet, so the report is the same for any worker count and batch size.
   * That needs each owner's table to keep at least the first maxFlows flows of its own share,
   * which a table capped at maxFlows does.
   */
  merge(...snaps: FlowSnapshot[]): Uint32Array | null {
    const left: number[] = [];
    let incoming = 0;
    for (const snap of snaps) {
      for (let j = 0; j < SKETCH_SIZE; j++) if (snap.overflowSketch[j] > this.overflowSketch[j]) this.overflowSketch[j] = snap.overflowSketch[j];
      this.overflowPackets += snap.overflowPackets;
      incoming += snap.count;
    }
    if (this.size + incoming <= this.maxFlows) {
      // Every flow fits: the order does not matter.
      for (const snap of snaps) for (let j = 0; j < snap.count; j++) this.mergeFlow(snap, j, left);
    } else this.mergeInCaptureOrder(snaps, left);
    return left.length === 0 ? null : Uint32Array.from(left);
  }

  /** merge() of snapshots whose flows may not all fit: theirs taken by first record, across snapshots. */
  private mergeInCaptureOrder(snaps: FlowSnapshot[], left: number[]): void {
    const k = snaps.length;
    const orders = snaps.map(captureOrder);
    const at = new Int32Array(k);
    // Each snapshot's next flow (its position) and that flow's first record (Infinity: none left).
    const nextFlow = new Int32Array(k);
    const next = new Float64Array(k);
    for (let i = 0; i < k; i++) this.advance(snaps[i], orders[i], at, nextFlow, next, i);
    for (;;) {
      // The smallest first record among the heads (on a tie, the earlier snapshot: deterministic).
      let m = 0;
      for (let i = 1; i < k; i++) if (next[i] < next[m]) m = i;
      if (next[m] === Infinity) return;
      this.mergeFlow(snaps[m], nextFlow[m], left);
      this.advance(snaps[m], orders[m], at, nextFlow, next, m);
    }
  }

  /** Moves snapshot i's head (mergeInCaptureOrder) to its next flow in capture order. */
  private advance(snap: FlowSnapshot, order: Uint32Array | null, at: Int32Array, nextFlow: Int32Array, next: Float64Array, i: number): void {
    const p = at[i]++;
    if (p >= snap.count) {
      next[i] = Infinity;
      return;
    }
    const j = order === null ? p : order[p];
    nextFlow[i] = j;
    next[i] = firstRecord(snap, j);
  }

  /** Adds flow j of `snap`; when the table is full and the flow new, counts it as overflow and appends its key to `left`. */
  private mergeFlow(snap: FlowSnapshot, j: number, left: number[]): void {
    const slot = this.findOrInsert(snap.keys, j * KW);
    const sf = j * FW;
    const su = j * UW;
    if (slot < 0) {
      this.overflowPackets += snap.f64[sf + V_PKTS] + snap.f64[sf + V_PKTS + 1];
      for (let w = 0; w < KW; w++) left.push(snap.keys[j * KW + w]);
      return;
    }
    const f = slot * (TS / 2);
    const f64 = this.f64;
    const u = slot * TS;
    const u32 = this.u32;
    for (let s = 0; s < 2; s++) {
      const n = snap.f64[sf + V_PKTS + s];
      if (n === 0) continue;
      if (this.packets(slot, s as Side) === 0) {
        f64[f + D_FIRST_TS + s] = snap.f64[sf + V_FIRST_TS + s];
        f64[f + D_LAST_TS + s] = snap.f64[sf + V_LAST_TS + s];
        f64[f + D_FIRST_SEQ + s] = snap.f64[sf + V_FIRST_SEQ + s];
      } else {
        f64[f + D_FIRST_TS + s] = Math.min(f64[f + D_FIRST_TS + s], snap.f64[sf + V_FIRST_TS + s]);
        f64[f + D_LAST_TS + s] = Math.max(f64[f + D_LAST_TS + s], snap.f64[sf + V_LAST_TS + s]);
        f64[f + D_FIRST_SEQ + s] = Math.min(f64[f + D_FIRST_SEQ + s], snap.f64[sf + V_FIRST_SEQ + s]);
      }
      // The bounds the packet path relies on (see maxTs) hold for merged flows too.
      if (f64[f + D_FIRST_TS + s] > this.maxTs) this.maxTs = f64[f + D_FIRST_TS + s];
      if (f64[f + D_FIRST_SEQ + s] > this.maxSeq) this.maxSeq = f64[f + D_FIRST_SEQ + s];
      addCount(u32, u + H_PKTS + s, u + H_PKTS_HI + s, n);
      addCount(u32, u + H_BYTES + s, u + H_BYTES_HI + s, snap.f64[sf + V_BYTES + s]);
    }
    if (snap.f64[sf + V_FRAG_TS] > f64[f + D_FRAG_TS]) f64[f + D_FRAG_TS] = snap.f64[sf + V_FRAG_TS];
    for (let w = 0; w < U_FLAGS; w++) u32[u + H_COLD + w] += snap.u32[su + w];
    u32[u + H_FLAGS] |= snap.u32[su + U_FLAGS] | (snap.u32[su + U_FLAGS + 1] << 16);
    for (let s = 0; s < 2; s++) if (snap.u32[su + U_ICMPMSG + s] > u32[u + H_ICMPMSG + s]) u32[u + H_ICMPMSG + s] = snap.u32[su + U_ICMPMSG + s];
    if (snap.u32[su + U_ICMPCODE] > u32[u + H_ICMPCODE]) u32[u + H_ICMPCODE] = snap.u32[su + U_ICMPCODE];
  }

  // --- Removal (live capture's idle expiry). Kept apart from the per-packet path above.

  /**
   * Removes every flow for which `expired(slot)` holds (it must depend on the slot's contents
   * only) and returns them packed, as a FlowSnapshot without overflow counts (those stay
   * with the table). Linear probing needs no tombstones: deletion shifts later members of
   * the probe run back into the hole. A table left at most 1/8 full is rebuilt smaller.
   */
  removeWhere(expired: (slot: number) => boolean): FlowSnapshot {
    let n = 0;
    for (let s = 0; s < this.slots; s++) if (this.keys[s * TS] !== 0 && expired(s)) n++;
    const out: FlowSnapshot = {
      count: n,
      keys: new Uint32Array(n * KW),
      f64: new Float64Array(n * FW),
      u32: new Uint32Array(n * UW),
      overflowSketch: new Uint8Array(SKETCH_SIZE),
      overflowPackets: 0,
    };
    if (n === 0) return out;
    // Entries of removed flows are harmless (the key is compared) but each would cost a
    // comparison, and their slots may be reused.
    this.recent.fill(0);
    let j = 0;
    // A deletion moves no slot (only index entries), so one pass sees every flow.
    for (let s = 0; s < this.slots && j < n; s++) {
      if (this.keys[s * TS] !== 0 && expired(s)) {
        packSlot(this.keys, this.f64, s, out, j);
        j++;
        this.deleteSlot(s);
      }
    }
    out.count = j;
    if (this.size * 8 <= this.capacity && this.capacity > 4096) this.rebuild();
    return out;
  }

  /** Empties slot `slot` and its index entry. */
  private deleteSlot(slot: number): void {
    this.index.remove(slotHash(this.keys, slot * TS), slot);
    this.keys.fill(0, slot * TS, slot * TS + TS);
    this.freeSlots.push(slot);
    this.size--;
  }

  /** Rebuilds into the smallest capacity (at least 4096) that is at most 1/4 full. */
  private rebuild(): void {
    let cap = 4096;
    while (this.size * 4 > cap) cap *= 2;
    if (cap < this.capacity) this.resize(cap, true);
  }
}
