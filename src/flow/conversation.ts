// What a flow's TCP packets say beyond counts: TCP health (tcp-health.ts), the first
// payload bytes of each direction reassembled for the payload decoders (stream.ts), and
// the evidence of a path-MTU black hole. Order-dependent, so every TCP packet of a flow
// must reach the same ConversationStore in capture order: the session runs one store per
// aggregator and routes each flow's packets to one aggregator (pipeline/pool.ts).
//
// Per packet: the flow table's slot carries a hint (the conversation's id + 1, flags
// HINT_HELD and HINT_DONE above it), so the lookup is one array read; the first packet of
// a flow in a table looks the key up in the store's own map (flows outlive a worker's
// partial table in live capture). A flow whose payload no decoder wants any more costs one
// flag test beyond TCP health.
import { F_ACK, F_DF, F_DPORT, F_ICMPERR, F_ICMPMTU, F_KIND, F_L4END, F_L4OFF, F_PAYLEN, F_SEQ, F_SPORT, F_TCPFLAGS, F_TCPHLEN, F_WIN, KIND_IPV4, TCP_ACK, TCP_RST, TCP_SYN, type PacketFields } from '../decode/fields.js';
import { ColumnsWriter, HELD_OPT, columnBeats, columnDatagrams, columnTcp, type ConversationColumns, type HeldColumns } from './conversation-columns.js';
import { DatagramLog, type DatagramFacts } from './datagrams.js';
import { BEAT_PLAIN, BeatRows, heartbeatTcp, type BeatFacts } from './heartbeats.js';
import { SILENCE_WORDS, SilenceRows, longLivedTcp, silenceAfter, type SilenceFacts } from './silences.js';
import { ByteSlab, DEFAULT_PAYLOAD_BUDGET, DEFAULT_STREAM_MAX_BYTES, DEFAULT_STREAM_MAX_SEGMENTS, StreamDirection, newPayloadBudget, type PayloadBudget, type StreamResult } from './stream.js';
import { FlowKeyIndex, KEY_WORDS, flowKeyHash, type FlowTable, type Side } from './table.js';
import {
  TCPA_ANY_RETRANSMISSION,
  TCP_USER_D0,
  TCP_USER_D1,
  TCP_USER_D2,
  TCP_USER_D3,
  TCP_USER_W0,
  TCP_USER_W1,
  TCP_WORDS,
  TcpArena,
  setTcpClock,
  tcpLastAck,
  tcpOpen,
  tcpOriginator,
  tcpResult,
  tcpSegment,
  type TcpHealthReport,
} from './tcp-health.js';

export interface InspectLimits {
  /** Payload bytes kept per direction of a flow (the per-flow cap). */
  maxBytes: number;
  /** Out-of-order ranges held per direction. */
  maxSegments: number;
  /** Payload bytes all flows of one store may hold at once (the global cap, per store). */
  budgetBytes: number;
}

export const DEFAULT_INSPECT_LIMITS: InspectLimits = {
  maxBytes: DEFAULT_STREAM_MAX_BYTES,
  maxSegments: DEFAULT_STREAM_MAX_SEGMENTS,
  budgetBytes: DEFAULT_PAYLOAD_BUDGET,
};

/**
 * Bytes per direction kept of a flow whose first payload does not start like a protocol
 * that needs more: SSH identification and HTTP start lines fit in it, and bulk transfers
 * then cost nothing more.
 */
const SHORT_KEEP = 1024;

/**
 * Bytes kept per direction of a flow whose first payload byte is at data[off] with
 * `captured` bytes there (0 when the snaplen cut them all): maxBytes when they start like
 * a protocol whose facts come later in the stream — a TLS record (type 20-23, major version
 * 3: the certificates), an LDAP message (BER SEQUENCE: bind and search results), Kerberos
 * over TCP (4-byte length, then an application tag), DCE/RPC (version 5), syslog ('<' PRI,
 * or an octet count: messages are counted and measured) — else SHORT_KEEP.
 */
function keptBytesFor(data: Uint8Array, off: number, captured: number, maxBytes: number): number {
  if (captured <= 0) return Math.min(SHORT_KEEP, maxBytes);
  const b0 = data[off];
  const b1 = captured > 1 ? data[off + 1] : -1;
  const long =
    (b0 >= 20 && b0 <= 23 && (b1 === -1 || b1 === 3)) ||
    b0 === 0x30 ||
    (b0 === 0 && captured > 4 && (data[off + 4] & 0xe0) === 0x60) ||
    (b0 === 5 && (b1 === -1 || b1 <= 1)) ||
    (b0 === 0x3c && (b1 === -1 || (b1 >= 0x30 && b1 <= 0x39))) ||
    (b0 >= 0x31 && b0 <= 0x39 && (b1 === -1 || b1 === 0x20 || (b1 >= 0x30 && b1 <= 0x39)));
  return long ? maxBytes : Math.min(SHORT_KEEP, maxBytes);
}

/**
 * Set in a UDP flow's slot hint once its datagrams are all kept (ids stay below it). Bit 30,
 * not 31: the hint stays a small integer when read from the table's Uint32Array.
 */
const HINT_DONE = 0x40000000;

/** Set in a TCP flow's slot hint while its conversation is only its first packet, held (ConversationStore.hold). */
const HINT_HELD = 0x20000000;

/**
 * What the session classifies a flow with: a TCP conversation, a UDP flow's datagrams, or
 * only the packet times of a flow that can be an HA heartbeat (ICMP echo, IP 99, 0x7261).
 * TCP and UDP facts carry those times too (`beats`) on the heartbeat ports.
 */
export type FlowFacts = ConversationFacts | DatagramFacts | BeatOnlyFacts;
export type { DatagramFacts } from './datagrams.js';
export type { BeatFacts } from './heartbeats.js';

/** An ICMP, IP or non-IP flow that can be a heartbeat: its packet times (flow/heartbeats.ts). */
export interface BeatOnlyFacts {
  kind: 'beats';
  beats: BeatFacts;
}

/** Evidence of a path-MTU problem for the segments one side sent. */
export interface PmtuEvidence {
  /** Canonical side that sent the large segments. */
  side: Side;
  /** Frame length of the largest don't-fragment segment that was retransmitted. */
  frameBytes: number;
  /** Its TCP payload. */
  segmentBytes: number;
  /** Retransmissions of segments of that frame length. */
  retransmits: number;
  /** The peer's cumulative ACK passed the first of them (the loss was repaired). */
  progressed: boolean;
  /** Next-hop MTU of the last ICMP fragmentation-needed / packet-too-big quoting this side's packets, or null. */
  icmpMtu: number | null;
  /** After that ICMP, the side sent a segment that fits the MTU and the peer's ACK moved on. */
  adaptedAfterIcmp: boolean;
  /**
   * The peer sent a packet after this side's first large don't-fragment segment: it was
   * alive and its (small) packets got through while the large ones did not.
   */
  peerAnswered: boolean;
}

/** Segments above these TCP payloads are "large" for a path MTU (576-byte IPv4, 1280-byte IPv6 minimum MTUs). */
export const SMALL_SEGMENT_V4 = 536;
export const SMALL_SEGMENT_V6 = 1220;

/** What the session classifies a TCP flow with. */
export interface ConversationFacts {
  kind: 'tcp';
  /** Canonical side of the flow's first packet (Zeek's originator). */
  originator: Side;
  health: TcpHealthReport;
  /** Reassembled prefix per canonical side; null when the side sent no payload kept. */
  streams: [StreamResult | null, StreamResult | null];
  pmtu: PmtuEvidence | null;
  /** Per canonical side: most times one segment was sent (1 + its retransmissions in a row). */
  maxSends: [number, number];
  /** HA1 ports: the times of the payload segments that were not retransmissions (flow/heartbeats.ts). */
  beats?: BeatFacts | null;
  /** Long-lived sessions (3978, 28769, 28260, 28770, 28771, 28270): per side, the cadence histogram and the longest silences (flow/silences.ts). */
  silences?: SilenceFacts | null;
}

// Per-side PMTU tracking, indexed base + side.
const P_RETX_FRAME = 0;
const P_RETX_LEN = 2;
const P_RETX_COUNT = 4;
const P_RETX_SEQ = 6;
const P_PROGRESS = 8;
const P_ICMP_MTU = 10;
const P_SMALL_AFTER = 12;
const P_PROGRESS_AFTER = 14;
const P_ACK_AT_ICMP = 18;
const P_LAST_RETX_SEQ = 20;
const P_RUN = 22; // retransmissions in a row of the segment at P_LAST_RETX_SEQ
const P_MAX_RUN = 24;
const P_WORDS = 26;

// A TCP conversation's own state is in its TCP health block (tcp-health.ts: TcpArena),
// in the words that block leaves to its owner (TCP_USER_*), beside the words every packet
// of the flow reads anyway: a packet of a flow whose directions are full reaches no object.
// The bundle writes them as literals (scripts/split-constants.mjs folds a constant defined
// from imported ones to its value; test/cli/split-constants.test.ts checks it here).
/** CF_* flags, and the path-MTU bits (CF_LARGE*, CF_ANSWERED*): in side 1's first line, which every packet reaches. */
const W_FLAGS = TCP_USER_W0;
/** Payload bytes kept per direction: maxBytes, or SHORT_KEEP (keptBytesFor); 0 before the first payload. In side 1's first line too, so that keep() reaches no line the packet does not. */
const W_KEEP = TCP_USER_W1;
/** Payload bytes offered per side after its direction was full (not looked at): doubles from base >> 1, in each side's second line. */
const D_IGNORED0 = TCP_USER_D0;
const D_IGNORED1 = TCP_USER_D1;
/**
 * A long-lived session's side's last payload segment that was not a retransmission (µs;
 * -1: none yet), for its silences: in the side's second line, which the segment reaches,
 * not in the silence row's first line (flow/silences.ts, silenceAfter).
 */
const D_SILENT0 = TCP_USER_D2;
const D_SILENT1 = TCP_USER_D3;
// W_FLAGS: side 0's (1) and side 1's (2) direction holds all that is kept of it; the flow
// is IPv4; a retransmission or an ICMP path-MTU error was seen (ACKs are followed for
// PMTU evidence); HA1 ports (heartbeatTcp: payload segments are logged as heartbeats,
// decided once, at open); long-lived session ports (silences are logged); the id is an
// open conversation; side 0's (128) and side 1's (256) SYN without payload is held in
// `synSeqs` until the side's first payload makes its direction (keep()), and 512 and 1024:
// that SYN came before the flow's first payload (its direction then keeps maxBytes).
// Then the sides that sent a large don't-fragment segment (CF_LARGE0, CF_LARGE1) and, two
// bits up, of those the sides whose peer sent a packet after it (CF_ANSWERED*).
const CF_FULL0 = 1;
const CF_FULL1 = 2;
const CF_IPV4 = 4;
const CF_PMTU = 8;
const CF_BEAT = 16;
const CF_SILENCES = 32;
const CF_OPEN = 64;
const CF_SYN0 = 128;
const CF_SYN1 = 256;
const CF_SYNWIDE0 = 512;
const CF_SYNWIDE1 = 1024;
const CF_LARGE0 = 2048;
const CF_LARGE1 = 4096;
const CF_ANSWERED0 = 8192;
const CF_ANSWERED1 = 16384;
/** W_FLAGS >> ANSWERED_SHIFT & 3: the sides whose peer answered their large segment (bit 1: side 0, bit 2: side 1). */
const ANSWERED_SHIFT = 13;

/**
 * Flags word `cf` after a segment of `side` (df: its don't-fragment bit, paylen: its payload):
 * the side's first large don't-fragment segment, and whether the peer sent anything after
 * one. A function of its own so that segment() stays small enough to be inlined where it
 * is called (V8 inlines functions of up to 460 bytes of bytecode).
 */
function withLarge(cf: number, side: Side, df: number, paylen: number): number {
  let nf = cf;
  if ((nf & (side === 0 ? CF_LARGE1 : CF_LARGE0)) !== 0) nf |= side === 0 ? CF_ANSWERED1 : CF_ANSWERED0;
  if ((nf & (side === 0 ? CF_LARGE0 : CF_LARGE1)) === 0 && df !== 0 && paylen > ((nf & CF_IPV4) !== 0 ? SMALL_SEGMENT_V4 : SMALL_SEGMENT_V6)) nf |= side === 0 ? CF_LARGE0 : CF_LARGE1;
  return nf;
}

/** The PMTU evidence of bookkeeping `p` (P_*), `answered` being the sides whose peer answered their large segment (bit 1: side 0, bit 2: side 1). */
function pmtuEvidence(p: Float64Array | null, answered: number): PmtuEvidence | null {
  if (p === null) return null;
  // The side with a don't-fragment retransmission, or an ICMP about its packets; the
  // larger retransmitted frame when both.
  let side: Side | -1 = -1;
  for (const s of [0, 1] as const) {
    if (p[P_RETX_COUNT + s] === 0 && p[P_ICMP_MTU + s] === 0) continue;
    if (side === -1 || p[P_RETX_FRAME + s] > p[P_RETX_FRAME + side]) side = s;
  }
  if (side === -1) return null;
  return {
    side,
    frameBytes: p[P_RETX_FRAME + side],
    segmentBytes: p[P_RETX_LEN + side],
    retransmits: p[P_RETX_COUNT + side],
    progressed: p[P_PROGRESS + side] === 1,
    icmpMtu: p[P_ICMP_MTU + side] === 0 ? null : p[P_ICMP_MTU + side],
    adaptedAfterIcmp: p[P_SMALL_AFTER + side] === 1 && p[P_PROGRESS_AFTER + side] === 1,
    peerAnswered: (answered & (side === 0 ? 1 : 2)) !== 0,
  };
}

/**
 * Flow keys → conversation ids (0, 1, ...; an id is reused once its flow is released): the
 * keys by id, found through a FlowKeyIndex (places are ids), as a flow table's slots are;
 * the map a flow table's hint saves a lookup in.
 */
export class ConversationIndex {
  /** Per id, its key (KEY_WORDS words; a free id's are stale). */
  private keys = new Uint32Array(512 * KEY_WORDS);
  private readonly index = new FlowKeyIndex(1024);
  private size = 0;
  private readonly free: number[] = [];
  private next = 0;
  /** Whether the last acquire() made a new id. */
  created = false;

  /** Ids given so far (0 .. idCount - 1; some may be free). */
  get idCount(): number {
    return this.next;
  }

  /** The id of key k (canonical), made when new (then `created` is true). */
  acquire(k: Uint32Array): number {
    const h = flowKeyHash(k, 0);
    const index = this.index;
    const at = index.find(h, this.keys, KEY_WORDS, k, 0);
    if (at >= 0) {
      this.created = false;
      return at;
    }
    let i = -1 - at;
    if ((this.size + 1) * 2 > index.entries) {
      index.resize(index.entries * 2);
      i = index.freeEntry(h);
    }
    const id = this.free.length > 0 ? this.free.pop()! : this.next++;
    if ((id + 1) * KEY_WORDS > this.keys.length) {
      const keys = new Uint32Array(this.keys.length * 2);
      keys.set(this.keys);
      this.keys = keys;
    }
    const keys = this.keys;
    for (let w = 0; w < KEY_WORDS; w++) keys[id * KEY_WORDS + w] = k[w];
    index.set(i, h, id);
    this.size++;
    this.created = true;
    return id;
  }

  /** The id of the key at k[o..o + KEY_WORDS), or -1. */
  lookup(k: Uint32Array, o = 0): number {
    const at = this.index.find(flowKeyHash(k, o), this.keys, KEY_WORDS, k, o);
    return at >= 0 ? at : -1;
  }

  /** Forgets the key at k[o..o + KEY_WORDS); returns its id (free for reuse from now on), or -1 when unknown. */
  release(k: Uint32Array, o = 0): number {
    const h = flowKeyHash(k, o);
    const id = this.index.find(h, this.keys, KEY_WORDS, k, o);
    if (id < 0) return -1;
    this.index.remove(h, id);
    this.size--;
    this.free.push(id);
    return id;
  }
}

/** The conversations of the flows one aggregator sees: keys to ids (index), ids to conversations. */
export class ConversationStore {
  readonly budget: PayloadBudget;
  /** Keys → ids, for the packets this store is handed by packet() and for takeKey()/peekKey(). */
  readonly index = new ConversationIndex();
  /** TCP conversations: block `id` (base id * TCP_WORDS) is conversation `id`'s state (CF_OPEN set while it is one). */
  private arena: TcpArena;
  /** One block, for the facts of a conversation that is still its held first packet (its own block is never touched). */
  private readonly scratch = new TcpArena(1);
  /**
   * TCP conversations that are only their first packet, without payload (a SYN flood's or a
   * scan's every flow): the packet is held here (≈ 70 bytes) instead of in a 640-byte block,
   * and replayed into one at the conversation's second packet, or into `scratch` for its
   * facts (bench/README.md, "flood-1M"). Per id: held[id] (0: none, else 1 + side · 2 +
   * IPv4 · 4 + long-lived · 8 + heartbeat ports · 16), time and record, seq, ack, window,
   * flags | header length << 16, the option bytes.
   */
  private held = new Uint8Array(0);
  private heldF = new Float64Array(0);
  private heldI = new Int32Array(0);
  private heldOpt = new Uint8Array(0);
  /** A held packet's TCP header as replay() hands it to segment(): options at 20 on. */
  private readonly heldHeader = new Uint8Array(20 + HELD_OPT);
  /** Per TCP conversation and side (id * 2 + side): the kept payload, made at its first segment kept. */
  private streams: (StreamDirection | null)[] = [];
  /** Per TCP conversation: PMTU and retransmission bookkeeping (P_*), made on the first retransmission or ICMP error. */
  private pmtus: (Float64Array | null)[] = [];
  /**
   * Per TCP conversation and side (id * 2 + side): the sequence number of a SYN without
   * payload, while the side has no direction (CF_SYN*). A flow whose sides never send
   * payload (a scan, a SYN flood, a refused connection) then costs no direction object.
   */
  private synSeqs = new Int32Array(2 * 1024);
  /** Long-lived sessions' silences (flow/silences.ts), a row each. */
  private readonly silences = new SilenceRows();
  /** Per TCP conversation: 1 + its row in `silences` (0: none; on long-lived session ports only). */
  private silenceRow = new Int32Array(1024);
  /** UDP flows' kept datagrams, by the same ids (a flow is TCP or UDP, never both). */
  private logs: (DatagramLog | null)[] = [];
  /** Packet times of flows that can be heartbeats, by the same ids. */
  private readonly beats: BeatRows;
  /**
   * The capture time (µs) of the packet passed next to packet() or segment(): a field, not
   * an argument, so the double is not boxed on every call.
   */
  tsUs = 0;

  /** `maxFlows`: its aggregator's flow limit, which its TCP arena grows to at once when large (TcpArena.ensure); 0: unknown. */
  constructor(
    readonly limits: InspectLimits = DEFAULT_INSPECT_LIMITS,
    maxFlows = 0,
  ) {
    this.budget = newPayloadBudget(limits.budgetBytes);
    this.beats = new BeatRows(this.budget);
    this.arena = new TcpArena(1024, true, maxFlows);
  }

  /**
   * One decoded packet that `table.addPacket` just counted in `slot` (a TCP segment with its
   * whole header, or an ICMP error with a path MTU quoting a TCP flow). `data` holds the
   * packet; `record` is its global record number, `frameBytes` its wire length.
   */
  packet(pf: PacketFields, data: Uint8Array, table: FlowTable, slot: number, record: number, frameBytes: number): void {
    let hint = table.conversationHint(slot);
    const side = table.lastSide;
    const icmp = pf[F_ICMPERR] !== 0;
    if (hint === 0) {
      const id = this.index.acquire(table.keyWords(slot));
      if (this.index.created) {
        const ipv4 = pf[F_KIND] === KIND_IPV4;
        const longLived = longLivedTcp(pf[F_SPORT], pf[F_DPORT]);
        const beatPorts = heartbeatTcp(pf[F_SPORT], pf[F_DPORT]);
        if (!icmp && pf[F_PAYLEN] === 0) {
          // A first packet without payload is held, not replayed into a block yet.
          this.hold(id, side, ipv4, longLived, beatPorts, pf, data, record);
          table.setConversationHint(slot, (id + 1) | HINT_HELD);
          return;
        }
        this.arena.ensure(id);
        // An ICMP error travels from the other side than the packet it quotes.
        this.open(id, id * TCP_WORDS, icmp ? (side === 0 ? 1 : 0) : side, ipv4, longLived, beatPorts);
      } else if (this.isHeld(id)) this.replay(id);
      hint = id + 1;
      table.setConversationHint(slot, hint);
    } else if (hint >= HINT_HELD) {
      // The second packet of a held conversation: its first goes into its block now.
      hint &= ~HINT_HELD;
      if (this.isHeld(hint - 1)) this.replay(hint - 1);
      table.setConversationHint(slot, hint);
    }
    if (icmp) {
      // The error travels back to the sender of the quoted packet: the other side.
      this.icmpMtu(hint - 1, side === 0 ? 1 : 0, pf[F_ICMPMTU]);
      return;
    }
    const l4 = pf[F_L4OFF];
    const id = hint - 1;
    const af = this.segment(id, id * TCP_WORDS, side, pf[F_SEQ] | 0, pf[F_ACK] | 0, pf[F_TCPFLAGS], pf[F_WIN], pf[F_PAYLEN], pf[F_TCPHLEN], pf[F_DF], frameBytes, record, data, l4, pf[F_L4END]);
    if (pf[F_PAYLEN] > 0 && (af & TCPA_ANY_RETRANSMISSION) === 0) {
      const cf = this.arena.i32[id * TCP_WORDS + W_FLAGS];
      // HA1 hellos: payload segments sent for the first time (a retransmission is the same hello again).
      if ((cf & CF_BEAT) !== 0) this.beatAt(id, side, BEAT_PLAIN, 0);
      // Long-lived sessions: each side's payload segments but retransmissions, for their silences.
      if ((cf & CF_SILENCES) !== 0) {
        const F = this.arena.f64;
        const at = ((id * TCP_WORDS) >> 1) + (side === 0 ? D_SILENT0 : D_SILENT1);
        const prev = F[at];
        F[at] = this.tsUs;
        if (prev >= 0) silenceAfter(this.silences.s, (this.silenceRow[id] - 1) * SILENCE_WORDS, prev, this.tsUs, side);
      }
    }
  }

  /**
   * One packet of a flow that can be a heartbeat (UDP 29281, ICMP echo, IP 99, ethertype
   * 0x7261) that `table.addPacket` just counted in `slot`: its time (tsUs), side, kind
   * (BEAT_*) and, for an echo, identifier << 16 | sequence.
   */
  beat(table: FlowTable, slot: number, kind: number, echo: number): void {
    let hint = table.conversationHint(slot);
    if (hint === 0) {
      const id = this.index.acquire(table.keyWords(slot));
      hint = id + 1;
      table.setConversationHint(slot, hint);
    }
    this.beatAt((hint & ~HINT_DONE) - 1, table.lastSide, kind, echo);
  }

  /**
   * Conversation `id`'s datagram log (null: none). The array ends at the highest id that has
   * one: an id past the end reads as none, not as an out-of-bounds load, which threw away the
   * optimised code of the report phase's loop the first time.
   */
  private logOf(id: number): DatagramLog | null {
    return id < this.logs.length ? this.logs[id] : null;
  }

  private beatAt(id: number, side: Side, kind: number, echo: number): void {
    this.beats.add(id, this.tsUs, side, kind, echo);
  }

  /**
   * One UDP datagram that `table.addPacket` just counted in `slot` (not an ICMP error, its
   * header whole: F_PAYLEN is its payload's wire length).
   */
  datagram(pf: PacketFields, data: Uint8Array, table: FlowTable, slot: number): void {
    let hint = table.conversationHint(slot);
    if (hint >= HINT_DONE) return; // nothing more is kept of this flow
    if (hint === 0) {
      const id = this.index.acquire(table.keyWords(slot));
      if (this.index.created) {
        while (this.logs.length <= id) this.logs.push(null);
        this.logs[id] = new DatagramLog(table.lastSide, this.budget, this.limits.maxBytes);
      }
      hint = id + 1;
      table.setConversationHint(slot, hint);
    }
    const log = this.logs[hint - 1]!;
    if (!log.full) {
      const off = pf[F_L4OFF] + 8;
      log.add(table.lastSide, data, off, Math.max(0, pf[F_L4END] - off), pf[F_PAYLEN], this.tsUs);
    }
    // The slot remembers it (one bit test per later packet, no object to reach).
    if (log.full) table.setConversationHint(slot, hint | HINT_DONE);
  }

  /** Starts conversation `id` (unused now): `originator` sent its first packet. */
  private open(id: number, base: number, originator: Side, ipv4: boolean, longLived: boolean, beatPorts: boolean): void {
    const I = this.arena.i32;
    tcpOpen(I, this.arena.f64, base, originator);
    I[base + W_FLAGS] = CF_OPEN | (ipv4 ? CF_IPV4 : 0) | (longLived ? CF_SILENCES : 0) | (beatPorts ? CF_BEAT : 0);
    if (longLived) this.arena.f64[(base >> 1) + D_SILENT0] = this.arena.f64[(base >> 1) + D_SILENT1] = -1;
    while (this.pmtus.length <= id) {
      this.pmtus.push(null);
      this.streams.push(null, null);
    }
    if (this.synSeqs.length < 2 * (id + 1)) {
      const grown = new Int32Array(Math.max(this.synSeqs.length * 2, 2 * (id + 1)));
      grown.set(this.synSeqs);
      this.synSeqs = grown;
      const rows = new Int32Array(grown.length / 2);
      rows.set(this.silenceRow);
      this.silenceRow = rows;
    }
    // A row the id's former flow still held is given back first (taking a flow releases it: none should).
    if (this.silenceRow[id] !== 0) this.silences.release(this.silenceRow[id] - 1);
    this.silenceRow[id] = longLived ? 1 + this.silences.open() : 0;
  }

  /** Holds conversation `id`'s first packet (no payload; `side` sent it) instead of opening its block. */
  private hold(id: number, side: Side, ipv4: boolean, longLived: boolean, beatPorts: boolean, pf: PacketFields, data: Uint8Array, record: number): void {
    if (id >= this.held.length) this.growHeld(id);
    this.held[id] = 1 | (side << 1) | (ipv4 ? 4 : 0) | (longLived ? 8 : 0) | (beatPorts ? 16 : 0);
    this.heldF[id * 2] = this.tsUs;
    this.heldF[id * 2 + 1] = record;
    const hlen = pf[F_TCPHLEN];
    const I = this.heldI;
    I[id * 4] = pf[F_SEQ] | 0;
    I[id * 4 + 1] = pf[F_ACK] | 0;
    I[id * 4 + 2] = pf[F_WIN];
    I[id * 4 + 3] = pf[F_TCPFLAGS] | (hlen << 16);
    const opt = pf[F_L4OFF] + 20;
    if (hlen > 20) this.heldOpt.set(data.subarray(opt, opt + Math.min(hlen - 20, HELD_OPT)), id * HELD_OPT);
  }

  private growHeld(id: number): void {
    let n = Math.max(1024, this.held.length);
    while (n <= id) n *= 2;
    const held = new Uint8Array(n);
    held.set(this.held);
    this.held = held;
    const f = new Float64Array(n * 2);
    f.set(this.heldF);
    this.heldF = f;
    const i = new Int32Array(n * 4);
    i.set(this.heldI);
    this.heldI = i;
    const o = new Uint8Array(n * HELD_OPT);
    o.set(this.heldOpt);
    this.heldOpt = o;
  }

  /** Whether conversation `id` is a held first packet. */
  private isHeld(id: number): boolean {
    return id < this.held.length && this.held[id] !== 0;
  }

  /**
   * Opens held conversation `id` in block `base` of the arena and replays its first packet
   * there, as packet() would have done it then (time, record, options). Its own block, at
   * its second packet; `scratch`'s, for its facts alone (heldFacts).
   */
  private replay(id: number, base = -1): void {
    const h = this.held[id];
    this.held[id] = 0;
    const side: Side = (h & 2) !== 0 ? 1 : 0;
    if (base < 0) {
      this.arena.ensure(id);
      base = id * TCP_WORDS;
    }
    this.open(id, base, side, (h & 4) !== 0, (h & 8) !== 0, (h & 16) !== 0);
    const I = this.heldI;
    const fl = I[id * 4 + 3];
    const flags = fl & 0xffff;
    const hlen = fl >>> 16;
    const header = this.heldHeader;
    if (hlen > 20) header.set(this.heldOpt.subarray(id * HELD_OPT, id * HELD_OPT + Math.min(hlen - 20, HELD_OPT)), 20);
    const now = this.tsUs;
    this.tsUs = this.heldF[id * 2];
    // No payload: no PMTU evidence, nothing kept but a SYN's sequence number, no heartbeat or silence.
    this.segment(id, base, side, I[id * 4], I[id * 4 + 1], flags, I[id * 4 + 2], 0, hlen, 0, 0, this.heldF[id * 2 + 1], header, 0, 20 + Math.min(hlen - 20, HELD_OPT));
    this.tsUs = now;
  }

  /**
   * The facts of row r of held packets handed over in columns (ConversationColumns.held), as
   * heldFacts() gives a held conversation's: replayed as this store's id 0, in a store that
   * only replays (WorkerPool's).
   */
  heldColumnFacts(h: HeldColumns, r: number): ConversationFacts {
    if (this.held.length === 0) this.growHeld(0);
    this.held[0] = h.flags[r];
    this.heldF.set(h.f.subarray(2 * r, 2 * r + 2), 0);
    this.heldI.set(h.i.subarray(4 * r, 4 * r + 4), 0);
    this.heldOpt.set(h.opt.subarray(HELD_OPT * r, HELD_OPT * (r + 1)), 0);
    return this.heldFacts(0, true);
  }

  /** The facts of held conversation `id` (its first packet replayed into `scratch`); `final`: it ends. */
  private heldFacts(id: number, final: boolean): ConversationFacts {
    const arena = this.arena;
    const h = this.held[id];
    this.arena = this.scratch;
    try {
      this.replay(id, 0);
      const facts = this.facts(id, final, 0);
      // Held still when only peeked at: what the replay made (a long-lived session's silence log) is made again at its next one.
      this.forget(id);
      if (!final) this.held[id] = h;
      return facts;
    } finally {
      this.arena = arena;
    }
  }

  /** Whether `id` is an open TCP conversation. */
  private isOpen(id: number): boolean {
    const base = id * TCP_WORDS;
    const I = this.arena.i32;
    return base + TCP_WORDS <= I.length && (I[base + W_FLAGS] & CF_OPEN) !== 0;
  }

  /** A path MTU from an ICMP error about the packets `side` sent. */
  private icmpMtu(id: number, side: Side, mtu: number): void {
    const I = this.arena.i32;
    const base = id * TCP_WORDS;
    const p = (this.pmtus[id] ??= new Float64Array(P_WORDS));
    p[P_ICMP_MTU + side] = mtu;
    p[P_SMALL_AFTER + side] = 0;
    p[P_PROGRESS_AFTER + side] = 0;
    p[P_ACK_AT_ICMP + side] = tcpLastAck(I, base, side === 0 ? 1 : 0);
    I[base + W_FLAGS] |= CF_PMTU;
  }

  /**
   * One TCP segment of conversation `id` (block at `base`) from `side`: seq and ack as
   * int32, the flags byte, the raw window, the payload length on the wire, the header
   * length, the DF bit and the frame's wire length. data[l4 + 20, l4 + hlen) holds the
   * options (read for SYNs) and data[l4 + hlen, end) the captured payload. Returns the
   * segment's TCPA_* flags.
   */
  private segment(id: number, base: number, side: Side, seq: number, ack: number, flags: number, win: number, paylen: number, hlen: number, df: number, frameBytes: number, record: number, data: Uint8Array, l4: number, end: number): number {
    const I = this.arena.i32;
    const F = this.arena.f64;
    // Path-MTU evidence: a side's first large don't-fragment segment, and whether the peer
    // sent anything after it (bit tests of the flags word, written back only when they change).
    const cf = I[base + W_FLAGS];
    const nf = withLarge(cf, side, df, paylen);
    if (nf !== cf) I[base + W_FLAGS] = nf;
    setTcpClock(this.tsUs);
    const af = tcpSegment(I, F, base, side, seq, ack, flags, win, paylen, hlen > 20 ? data : null, l4 + 20, hlen - 20);
    // (tcpSegment leaves the owner's words alone, and pmtu() sets CF_PMTU only: nf stays right for the tests below.)
    if ((nf & CF_PMTU) !== 0 || (af & TCPA_ANY_RETRANSMISSION) !== 0) this.pmtu(id, base, df, side, seq, ack, flags, paylen, hlen, frameBytes, af);
    if ((paylen > 0 || (flags & TCP_SYN) !== 0) && (flags & TCP_RST) === 0) {
      // A full direction costs this bit test (and a count of what it was not shown).
      if ((nf & (side === 0 ? CF_FULL0 : CF_FULL1)) === 0) this.keep(id, base, side, seq, data, l4 + hlen, paylen, end, record, (flags & TCP_SYN) !== 0);
      else F[(base >> 1) + (side === 0 ? D_IGNORED0 : D_IGNORED1)] += paylen;
    }
    return af;
  }

  private keep(id: number, base: number, side: Side, seq: number, data: Uint8Array, off: number, len: number, end: number, record: number, syn: boolean): void {
    const I = this.arena.i32;
    // The flow's first payload decides how much is kept.
    let keepBytes = I[base + W_KEEP];
    if (keepBytes === 0 && len > 0) I[base + W_KEEP] = keepBytes = keptBytesFor(data, off, Math.min(len, end - off), this.limits.maxBytes);
    const at = id * 2 + side;
    let st = this.streams[at];
    if (st === null) {
      st = this.direction(at, base, side, keepBytes, seq, data, off, len, end, record);
      if (st === null) return;
    }
    st.add(seq, data, off, len, record, syn, end);
    // A direction is full once it holds what is kept of it (later segments of a full
    // direction cost a bit test).
    if (keepBytes > 0 && (st.length >= keepBytes || !st.wantsMore)) I[base + W_FLAGS] |= side === 0 ? CF_FULL0 : CF_FULL1;
  }

  /**
   * The direction `at` (id * 2 + side) for a first segment, made; or null when the segment
   * is a SYN without payload, which is held instead until the side sends payload.
   */
  private direction(at: number, base: number, side: Side, keepBytes: number, seq: number, data: Uint8Array, off: number, len: number, end: number, record: number): StreamDirection | null {
    const I = this.arena.i32;
    const flags = I[base + W_FLAGS];
    const held = side === 0 ? CF_SYN0 : CF_SYN1;
    const wide = side === 0 ? CF_SYNWIDE0 : CF_SYNWIDE1;
    if (len === 0 && (flags & held) === 0) {
      // The direction made later is given the same calls as if it had been made now.
      this.synSeqs[at] = seq;
      I[base + W_FLAGS] = flags | held | (keepBytes === 0 ? wide : 0);
      return null;
    }
    // Made at a held SYN, the direction would have kept maxBytes if the flow had no payload yet.
    const maxBytes = (flags & wide) !== 0 ? this.limits.maxBytes : keepBytes || this.limits.maxBytes;
    const st = (this.streams[at] = new StreamDirection(this.budget, { maxBytes, maxSegments: this.limits.maxSegments }));
    if ((flags & held) !== 0) {
      // The SYN's own record number only orders it before later segments (the start's
      // record): segments reach the store in capture order and none of this side came
      // between it and this one (another would have made the direction), so this one's
      // record orders the same.
      st.add(this.synSeqs[at], data, off, 0, record, true, end);
      I[base + W_FLAGS] = flags & ~(held | wide);
    }
    return st;
  }

  private pmtu(id: number, base: number, df: number, side: Side, seq: number, ack: number, flags: number, paylen: number, hlen: number, frameBytes: number, analysis: number): void {
    const I = this.arena.i32;
    const p = (this.pmtus[id] ??= new Float64Array(P_WORDS));
    const peer = side === 0 ? 1 : 0;
    I[base + W_FLAGS] |= CF_PMTU;
    if ((flags & TCP_ACK) !== 0) {
      // This side's cumulative ACK: progress for the peer's stuck segment (sequence space).
      if (p[P_RETX_COUNT + peer] > 0 && ((ack - p[P_RETX_SEQ + peer]) | 0) > 0) p[P_PROGRESS + peer] = 1;
      if (p[P_ICMP_MTU + peer] > 0 && ((ack - p[P_ACK_AT_ICMP + peer]) | 0) > 0) p[P_PROGRESS_AFTER + peer] = 1;
    }
    if (paylen === 0) return;
    if (p[P_ICMP_MTU + side] > 0 && paylen + hlen + ((I[base + W_FLAGS] & CF_IPV4) !== 0 ? 20 : 40) <= p[P_ICMP_MTU + side]) p[P_SMALL_AFTER + side] = 1;
    if ((analysis & TCPA_ANY_RETRANSMISSION) === 0) return;
    // Times the oldest unacknowledged segment went again: a retransmission of a later
    // segment in the same recovery leaves the count alone; an ACK past it starts afresh.
    const last = p[P_LAST_RETX_SEQ + side];
    const peerAck = tcpLastAck(I, base, peer);
    const acked = peerAck !== 0 && ((peerAck - last) | 0) > 0;
    if (p[P_RUN + side] > 0 && seq >>> 0 === last) p[P_RUN + side]++;
    else if (p[P_RUN + side] > 0 && !acked && ((seq - last) | 0) > 0) {
      // a later segment of the same window: not counted for the oldest one
    } else {
      p[P_LAST_RETX_SEQ + side] = seq >>> 0;
      p[P_RUN + side] = 1;
    }
    if (p[P_RUN + side] > p[P_MAX_RUN + side]) p[P_MAX_RUN + side] = p[P_RUN + side];
    if (df === 0) return;
    if (frameBytes > p[P_RETX_FRAME + side]) {
      p[P_RETX_FRAME + side] = frameBytes;
      p[P_RETX_LEN + side] = paylen;
      p[P_RETX_COUNT + side] = 1;
      p[P_RETX_SEQ + side] = seq >>> 0;
      p[P_PROGRESS + side] = 0;
    } else if (frameBytes === p[P_RETX_FRAME + side]) p[P_RETX_COUNT + side]++;
  }

  /**
   * The facts of TCP conversation `id` so far, its block at `base` of the arena; `final`: it
   * ends, its streams hand over their buffers (no copy) and close.
   */
  private facts(id: number, final: boolean, base = id * TCP_WORDS): ConversationFacts {
    const [s0, s1] = this.streamResults(id, base, final);
    return tcpFacts(this.arena.i32, this.arena.f64, base, this.pmtus[id], this.silenceFacts(id), s0, s1);
  }

  /** The stream results of TCP conversation `id`; `final`: the streams hand over their buffers and close. */
  private streamResults(id: number, base: number, final: boolean): [StreamResult | null, StreamResult | null] {
    const F = this.arena.f64;
    const take = (st: StreamDirection | null, ignored: number) => (st === null ? null : final ? st.takeResult(ignored) : st.result(ignored));
    return [take(this.streams[id * 2], F[(base >> 1) + D_IGNORED0]), take(this.streams[id * 2 + 1], F[(base >> 1) + D_IGNORED1])];
  }

  /**
   * The flows whose keys are packed in `keys` (KEY_WORDS each) as columns, forgotten here:
   * a worker's hand-over. Their TCP blocks go as they are; the session builds the facts
   * from them with factsOfColumns (the same tcpFacts as here), one flow at a time.
   */
  takeColumns(keys: Uint32Array): ConversationColumns {
    const n = keys.length / KEY_WORDS;
    const w = new ColumnsWriter(n, P_WORDS);
    const closing: number[] = [];
    for (let i = 0; i < n; i++) {
      const id = this.index.release(keys, i * KEY_WORDS);
      if (id >= 0) this.takeInto(w, i, id, closing);
    }
    return this.finishColumns(w, closing, false);
  }

  /**
   * Every conversation as columns, row = id, before the session asks for them by key (the
   * end of a run: a worker builds them while the session merges); rowsOf() then gives each
   * key's row. Their keys stay in the index until rowsOf() releases them. The bytes go in
   * the slab chunks they are kept in, to be moved as they are.
   */
  takeAllColumns(): ConversationColumns {
    const n = this.index.idCount;
    const w = new ColumnsWriter(n, P_WORDS);
    const closing: number[] = [];
    for (let id = 0; id < n; id++) this.takeInto(w, id, id, closing, true);
    // Row = id: the held packets go in the arrays they are held in (no copy, freed here by the transfer).
    w.moveHeld({ flags: this.held, f: this.heldF, i: this.heldI, opt: this.heldOpt });
    const columns = this.finishColumns(w, closing, true);
    // Their bytes go in the slab's chunks as they are (no copy): the slab starts afresh.
    if (this.budget.slab !== undefined) this.budget.slab = new ByteSlab();
    // No conversation is held any more.
    this.held = new Uint8Array(0);
    this.heldF = new Float64Array(0);
    this.heldI = new Int32Array(0);
    this.heldOpt = new Uint8Array(0);
    return columns;
  }

  /** The rows in takeAllColumns() of the flows whose keys are packed in `keys` (-1: none), forgotten here. */
  rowsOf(keys: Uint32Array): Int32Array {
    const rows = new Int32Array(keys.length / KEY_WORDS);
    for (let i = 0; i < rows.length; i++) rows[i] = this.index.release(keys, i * KEY_WORDS);
    return rows;
  }

  /**
   * Conversation `id` as row i of `w`; a TCP one's id goes to `closing` (its block is copied by
   * finishColumns). `rowIsId`: a held one is only marked (the caller moves the held arrays).
   */
  private takeInto(w: ColumnsWriter, i: number, id: number, closing: number[], rowIsId = false): void {
    const beats = this.beats.take(id);
    const log = this.logOf(id);
    if (log !== null && log !== undefined) {
      this.logs[id] = null;
      w.udp(i, log.facts(true));
      if (beats !== null) w.beatLog(i, beats, false);
      return;
    }
    // A held conversation goes as its packet, replayed where its facts are asked for (as
    // heldFacts() does here): a block each, in the worker and in the hand-over, made a SYN
    // flood's `-w 1` peak twice as high as inline (bench/README.md, "flood-1M, third pass").
    if (this.isHeld(id)) {
      if (beats === null) {
        if (rowIsId) w.heldRow(i);
        else {
          w.heldPacket(i, this.held[id], this.heldF, id * 2, this.heldI, id * 4, this.heldOpt, id * HELD_OPT);
          this.held[id] = 0;
        }
        return;
      }
      this.replay(id);
    }
    const open = this.isOpen(id);
    if (beats !== null) w.beatLog(i, beats, !open);
    if (!open) return;
    const [s0, s1] = this.streamResults(id, id * TCP_WORDS, true);
    w.tcp(i, id * TCP_WORDS, this.pmtus[id], this.silenceFacts(id), s0, s1);
    closing.push(id);
  }

  private finishColumns(w: ColumnsWriter, closing: number[], move: boolean): ConversationColumns {
    // The blocks are copied in one go at the end: the ids are closed after (none is reused before).
    const columns = w.finish(this.arena.i32, move);
    for (const id of closing) this.close(id);
    return columns;
  }

  /** Closes TCP conversation `id`: its id may be reused afterwards. */
  private close(id: number): void {
    this.forget(id);
    this.arena.i32[id * TCP_WORDS + W_FLAGS] = 0;
  }

  /** Drops conversation `id`'s streams and bookkeeping (not its block). */
  private forget(id: number): void {
    this.streams[id * 2]?.close();
    this.streams[id * 2 + 1]?.close();
    this.streams[id * 2] = this.streams[id * 2 + 1] = null;
    this.pmtus[id] = null;
    if (id < this.silenceRow.length && this.silenceRow[id] !== 0) {
      this.silences.release(this.silenceRow[id] - 1);
      this.silenceRow[id] = 0;
    }
  }

  /** TCP conversation `id`'s silences so far (null: not a long-lived session). */
  private silenceFacts(id: number): SilenceFacts | null {
    const row = id < this.silenceRow.length ? this.silenceRow[id] : 0;
    return row === 0 ? null : this.silences.facts(row - 1);
  }

  /** The facts of conversation `id`, which ends (its id may be reused after). */
  private take(id: number): FlowFacts | null {
    const beats = this.beats.facts(id, true);
    const log = this.logOf(id);
    if (log !== null && log !== undefined) {
      this.logs[id] = null;
      return withBeats(log.facts(true), beats);
    }
    if (this.isHeld(id)) return withBeats(this.heldFacts(id, true), beats);
    if (!this.isOpen(id)) return beats === null ? null : { kind: 'beats', beats };
    const facts = this.facts(id, true);
    this.close(id);
    return withBeats(facts, beats);
  }

  /** The facts of conversation `id` so far, leaving it as it is. */
  private peek(id: number): FlowFacts | null {
    const beats = this.beats.facts(id, false);
    const log = this.logOf(id);
    if (log !== null && log !== undefined) return withBeats(log.facts(false), beats);
    if (this.isHeld(id)) return withBeats(this.heldFacts(id, false), beats);
    if (!this.isOpen(id)) return beats === null ? null : { kind: 'beats', beats };
    return withBeats(this.facts(id, false), beats);
  }

  /**
   * The facts of one flow by its key at k[o..o + KEY_WORDS) (as packet() saw it), forgotten
   * afterwards; null when there is no conversation. An offset, not a view: no object per flow.
   */
  takeKey(k: Uint32Array, o = 0): FlowFacts | null {
    const id = this.index.release(k, o);
    return id < 0 ? null : this.take(id);
  }

  /** The facts of one flow so far, by key, leaving it as it is; null without a conversation. */
  peekKey(k: Uint32Array): FlowFacts | null {
    const id = this.index.lookup(k);
    return id < 0 ? null : this.peek(id);
  }
}

/**
 * The facts of the TCP conversation in block `base` of I/F (a store's arena, or blocks a
 * worker handed over), with its PMTU bookkeeping `p` (P_*), silences and stream results.
 */
function tcpFacts(I: Int32Array, F: Float64Array, base: number, p: Float64Array | null, silences: SilenceFacts | null, s0: StreamResult | null, s1: StreamResult | null): ConversationFacts {
  const facts: ConversationFacts = {
    kind: 'tcp',
    originator: tcpOriginator(I, base) as Side,
    health: tcpResult(I, F, base),
    streams: [s0, s1],
    pmtu: pmtuEvidence(p, (I[base + W_FLAGS] >> ANSWERED_SHIFT) & 3),
    maxSends: p === null ? [1, 1] : [p[P_MAX_RUN] + 1, p[P_MAX_RUN + 1] + 1],
  };
  if (silences !== null) facts.silences = silences;
  return facts;
}

/**
 * Flow i's facts from a worker's hand-over (ConversationStore.takeColumns), built when asked
 * for, as a store builds its own (null: no conversation). The streams' bytes are views of the columns.
 * Held first packets are replayed in `replays` (default: a store with the default limits).
 */
export function factsOfColumns(c: ConversationColumns, replays?: ConversationStore): (i: number) => FlowFacts | null {
  const I = c.blocks;
  const F = new Float64Array(I.buffer, I.byteOffset, I.length >> 1);
  return (i) => {
    const kind = c.present[i];
    if (kind === 0) return null;
    // Written without heartbeat times (takeInto).
    if (kind === 4) return (replays ??= new ConversationStore()).heldColumnFacts(c.held!, i);
    const beats = columnBeats(c, i);
    if (kind === 3) return { kind: 'beats', beats: beats! };
    if (kind === 2) return withBeats(columnDatagrams(c, i), beats);
    const t = columnTcp(c, i);
    return withBeats(tcpFacts(I, F, t.base, t.pmtu, t.silences, t.streams[0], t.streams[1]), beats);
  };
}

/** TCP or UDP facts with the flow's heartbeat times attached (when it kept any). */
function withBeats<T extends ConversationFacts | DatagramFacts>(facts: T, beats: BeatFacts | null): T {
  if (beats !== null) facts.beats = beats;
  return facts;
}
