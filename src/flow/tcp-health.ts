// Per-flow TCP health: the counters Wireshark's TCP analysis shows (retransmissions,
// duplicate ACKs, zero windows...), MSS and window scale, handshake timing, and Zeek's
// conn.log `history` and `conn_state` — the vocabulary users already know.
//
// Fed with every TCP packet of one flow in capture order. A flow's state is one block of
// a TcpArena (tcpOpen, tcpSegment, tcpResult: a conversation store keeps its flows' blocks
// in one arena; tests wrap a one-block arena, test/helpers/tcp-health.ts). A packet costs a few comparisons and
// word writes: no allocation, no strings, no closures, no exceptions. Strings are built
// only by tcpResult().
//
// Wireshark: the sequence analysis follows tcp_analyze_sequence_number() and the
// conversation handling of dissect_tcp() in epan/dissectors/packet-tcp.c of Wireshark
// 4.0.17 (the version checked against; with the default preferences:
// analyze_sequence_numbers, fastrt_supersedes_ooo): per direction the highest sequence
// number seen (nextseq), the last ACK and window sent, a duplicate-ACK counter and the
// analysis flags of the last segment. A bare SYN with another ISN starts a new
// conversation there (port reuse), so it resets this analysis too (the counts go on).
// `retransmissions` counts the frames that `tcp.analysis.retransmission` matches in
// tshark: plain, fast and spurious retransmissions (the fast and spurious ones are also
// counted on their own). Not modelled: MPTCP's exemption from duplicate ACKs. The tests
// compare every flag of every frame with tshark 4.0.17 on real captures.
//
// Zeek: the endpoint state machine (TCPSessionAdapter::UpdateStateMachine and friends),
// the history letters (update_history, and the 1, 10, 100... scaled T/W/G entries of
// Connection::ScaledHistoryEntry) and conn_state() of base/protocols/conn/main.zeek.
// The originator is the side the caller names (no "^" flip). Zeek starts a new
// connection record when a SYN reuses the ports of a closed one; here one block
// covers the caller's flow, so split flows on reuse to get one record each.
// Approximations: 'G' (content gap) follows one out-of-order range per side instead of
// Zeek's block list; 'C' (bad checksum) is never set (checksums are not looked at);
// sequence numbers are 32-bit (sizes and relative numbers are exact below 2 GiB per
// direction).

import { alignedBuffer } from './aligned.js';

/** Zeek conn.log conn_state values. */
export type ZeekConnState = 'S0' | 'S1' | 'SF' | 'REJ' | 'S2' | 'S3' | 'RSTO' | 'RSTR' | 'RSTOS0' | 'RSTRH' | 'SH' | 'SHR' | 'OTH';

export interface TcpSideReport {
  packets: number;
  /** TCP payload bytes (wire lengths). */
  payloadBytes: number;
  /** Segments carrying payload. */
  dataSegments: number;
  /** Largest TCP payload of one segment. */
  maxSegment: number;
  /** Frames tshark's tcp.analysis.retransmission matches (plain + fast + spurious). */
  retransmissions: number;
  /** Those of them that carried payload (SYN and FIN retransmissions are not data). */
  dataRetransmissions: number;
  fastRetransmissions: number;
  spuriousRetransmissions: number;
  outOfOrder: number;
  /** tcp.analysis.duplicate_ack */
  duplicateAcks: number;
  /** tcp.analysis.zero_window: segments (not episodes) advertising a zero window. */
  zeroWindows: number;
  zeroWindowProbes: number;
  keepAlives: number;
  /** tcp.analysis.lost_segment: this side's sequence jumped past unseen bytes. */
  lostSegments: number;
  /** tcp.analysis.ack_lost_segment: this side acknowledged bytes never seen. */
  ackedUnseen: number;
  /** From this side's SYN or SYN-ACK; null when absent. */
  mss: number | null;
  windowScale: number | null;
}

export interface TcpHealthReport {
  originator: TcpSideReport;
  responder: TcpSideReport;
  /**
   * The handshake's two halves in ms, named as the JSON contract's `tcp.rttMs` (issue 9):
   * originator's last SYN before the first SYN-ACK → that SYN-ACK, and responder's last
   * SYN-ACK → the originator's first ACK after it; null when no SYN-ACK was seen.
   */
  rttMs: { synToSynAck: number | null; synAckToAck: number | null } | null;
  /** Wireshark's iRTT (tcp.analysis.initial_rtt): latest SYN → first pure ACK, in ms. */
  initialRttMs: number | null;
  /** Zeek conn.log history (upper case: originator). */
  history: string;
  /** Letters beyond the history buffer (a pathological flow), not shown. */
  historyDropped: number;
  connState: ZeekConnState;
}

// Wireshark analysis flags of one packet (tcpSegment, tcpLastAnalysis), named after the
// tcp.analysis.* fields they stand for.
/** tcp.analysis.zero_window_probe */
export const TCPA_ZERO_WINDOW_PROBE = 1;
/** tcp.analysis.zero_window */
export const TCPA_ZERO_WINDOW = 2;
/** tcp.analysis.keep_alive */
export const TCPA_KEEP_ALIVE = 4;
/** tcp.analysis.keep_alive_ack */
export const TCPA_KEEP_ALIVE_ACK = 8;
/** tcp.analysis.zero_window_probe_ack */
export const TCPA_ZERO_WINDOW_PROBE_ACK = 16;
/** tcp.analysis.duplicate_ack */
export const TCPA_DUPLICATE_ACK = 32;
/** tcp.analysis.spurious_retransmission (tcp.analysis.retransmission matches it too) */
export const TCPA_SPURIOUS_RETRANSMISSION = 64;
/** tcp.analysis.fast_retransmission (tcp.analysis.retransmission matches it too) */
export const TCPA_FAST_RETRANSMISSION = 128;
/** tcp.analysis.out_of_order */
export const TCPA_OUT_OF_ORDER = 256;
/** A plain retransmission (neither fast nor spurious). */
export const TCPA_RETRANSMISSION = 512;
/** tcp.analysis.lost_segment */
export const TCPA_LOST_SEGMENT = 1024;
/** tcp.analysis.ack_lost_segment */
export const TCPA_ACK_LOST_SEGMENT = 2048;
/** What tcp.analysis.retransmission matches. */
export const TCPA_ANY_RETRANSMISSION = TCPA_RETRANSMISSION | TCPA_FAST_RETRANSMISSION | TCPA_SPURIOUS_RETRANSMISSION;

const A_ZWP = TCPA_ZERO_WINDOW_PROBE;
const A_ZW = TCPA_ZERO_WINDOW;
const A_KA = TCPA_KEEP_ALIVE;
const A_KA_ACK = TCPA_KEEP_ALIVE_ACK;
const A_ZWP_ACK = TCPA_ZERO_WINDOW_PROBE_ACK;
const A_DUPACK = TCPA_DUPLICATE_ACK;
const A_SPURIOUS = TCPA_SPURIOUS_RETRANSMISSION;
const A_FAST = TCPA_FAST_RETRANSMISSION;
const A_OOO = TCPA_OUT_OF_ORDER;
const A_RETRANS = TCPA_RETRANSMISSION;
const A_LOST = TCPA_LOST_SEGMENT;
const A_ACK_LOST = TCPA_ACK_LOST_SEGMENT;

// TCP header flags (TCP_* in decode/fields.ts). Defined here: V8 folds a module's own
// constants into the compiled code, but loads and checks an imported binding at every use.
const SYN = 0x02;
const FIN = 0x01;
const RST = 0x04;
const ACK = 0x10;

/** Fast retransmission: within 20 ms of the last duplicate ACK (packet-tcp.c). */
const FAST_RETRANS_US = 20_000;
/** Out-of-order threshold when no handshake RTT is known: 3 ms. */
const OOO_DEFAULT_US = 3_000;

// Zeek endpoint states (TCP_ENDPOINT_*).
const Z_INACTIVE = 0;
const Z_SYN_SENT = 1;
const Z_SYN_ACK_SENT = 2;
const Z_PARTIAL = 3;
const Z_ESTABLISHED = 4;
const Z_CLOSED = 5;
const Z_RESET = 6;

// Zeek history masks (per endpoint; the responder's are shifted by 16).
const H_SYN = 0x1;
const H_FIN = 0x2;
const H_RST = 0x4;
const H_FIN_RST = 0x8;
const H_DATA = 0x10;
const H_ACK = 0x20;
const H_MULTI = 0x40;

/** Zeek's TOO_LARGE_SEQ_DELTA: SYN/RST sequence jumps beyond this are not trusted. */
const TOO_LARGE_SEQ_DELTA = 1_048_576;
const HISTORY_MAX = 64;

const CH_A = 0x41; // 'A'; lower case is +32

// tcpSegment() runs on every TCP packet, so a flow's state is one fixed block of words in
// typed arrays (a TcpArena: one Int32Array and a Float64Array over the same buffer), not
// objects: a packet reaches a few cache lines of one block instead of three objects that
// lie wherever the collector put them, and a conversation store keeps all its flows'
// blocks in one growable arena indexed by conversation id (no object per flow to reach).
// - A block is TCP_WORDS words at `base` (a multiple of TCP_WORDS, so even: its doubles
//   are at base >> 1). Side 1's fields are at the same offsets as side 0's plus SIDE:
//   per side, a first cache line with what the packets of both sides read of it, a second
//   with what only its own packets touch (S_*, D_*), then the rest (C_*); then the
//   handshake times (T_*) and the history. The usual packet (step()'s fast path) reaches
//   three lines of its block: its side's two and its peer's first.
// - Sequence and acknowledgement numbers are int32 words: Wireshark's and Zeek's uint32
//   arithmetic is the same modulo 2^32 (equal stays equal, and differences are taken as
//   ((a - b) | 0)). Counters of packets and segments are int32 too (exact below 2^31 per
//   direction); payload bytes, the timestamps (µs since 1970) and Zeek's relative
//   positions (up to 2^32 + 64k) are doubles.
// - Timestamps are never passed as arguments: setTcpClock() hands the packet's over in NOW.
// - step() takes int32 arguments only, and has a fast path for the in-order segment or
//   ACK of an established connection; the rest is in full() and its helpers.

/** The timestamp of the packet being processed (µs), from setTcpClock() to step(). */
const NOW = new Float64Array(1);

/**
 * Sets the capture time (µs) of the packets passed next to tcpSegment(): a hot caller sets
 * the clock from a double it holds unboxed, and no timestamp is passed as an argument (a
 * call that is not inlined would box it, one heap number per packet).
 */
export function setTcpClock(tsUs: number): void {
  NOW[0] = tsUs;
}

// ---- Block layout (word offsets from a block's base; D_* and T_* index doubles) ----
/** Words of one flow's block (640 bytes: ten cache lines). */
export const TCP_WORDS = 160;
/** Side 1's fields: side 0's offset + SIDE (words; SIDE / 2 for doubles). */
const SIDE = 64;
// Per side, the first cache line (words 0-15): what a packet of either side reads or
// writes of this side (a packet reaches its own side's two lines and its peer's first).
const S_LASTACK = 0;
const S_WINDOW = 1; // -1: none yet (0xffffffff there)
const S_MAXSEQ = 2; // Wireshark maxseqtobeacked
const S_ZSTART = 3;
const S_ZACK = 4;
/** READY_*: which packets of this side step()'s fast path may take (set by full()). */
const S_READY = 5;
const S_NEXTSEQ = 6; // Wireshark nextseq (0: unset, as there)
const S_ZLAST = 7;
const S_DUPACKNUM = 8; // -1, 0, 1 or 2 (2: two or more; only compared with -1, 0 and 2)
const S_LASTFLAGS = 9;
// Zeek reassembly approximation for 'G' (relative sequence numbers, up to 2^32 + 64k):
// doubles (index from (base >> 1) + side * SIDE / 2), words 10-13
const D_TRIM = 5;
const D_REASSEM = 6;
/** The TCPA_* flags of the last packet (side 0's line only). */
const W_LASTAF = 14;
/** Which direction is Zeek's originator, 0 or 1 (side 0's line only). */
const W_ORIG = 15;
// The second line (words 16-31): what only this side's own packets touch.
const D_PAYLOAD = 8; // payload bytes
const D_NEXTSEQ_T = 9; // Wireshark nextseqTime
const D_LASTACK_T = 10; // Wireshark lastackTime
/** A second double per side for the block's owner (this line is the side's own: its packets reach it anyway). */
const D_USER2 = 11;
/**
 * The end of the held out-of-order range (Zeek reassembly approximation), 0 when none: a
 * held range has 0 <= start < end (dataSent), so its start (D_OOOLO, in the side's third
 * line) is read only while one is held.
 */
const D_OOOHI = 12;
/** A double per side for the block's owner. */
const D_USER = 13;
const S_PACKETS = 28;
const S_DATASEGS = 29;
const S_MAXSEG = 30;
// Words SIDE + 14 and SIDE + 15 (side 1's first line: every packet reaches it), SIDE + 31
// (and 31, unused so far), and doubles D_USER and D_USER2 of each side are the block owner's
// (TCP_USER_*): a conversation's own flags, beside what its packets read anyway.
/** Owner's words: two in side 1's first line (every packet reaches it), one in side 1's second line. */
export const TCP_USER_W0 = SIDE + 14;
export const TCP_USER_W1 = SIDE + 15;
export const TCP_USER_W2 = SIDE + 31;
/** Owner's doubles (index from base >> 1), in side 0's and side 1's second line. */
export const TCP_USER_D0 = D_USER;
export const TCP_USER_D1 = SIDE / 2 + D_USER;
export const TCP_USER_D2 = D_USER2;
export const TCP_USER_D3 = SIDE / 2 + D_USER2;
// Per side, the rest (words 32-61).
const C_WBASESET = 32;
const C_WBASE = 33;
const C_ZSTATE = 34;
const C_ZPREV = 35;
const C_FIN = 36; // a FIN was seen (Zeek's FIN_cnt > 0)
const C_FINSEQ = 37; // relative, one past the FIN (uint32 as int32: read >>> 0)
const C_LASTSYN = 38; // relative (as int32)
const C_LASTFIN = 39;
const C_LASTRST = 40;
const C_RETRANS = 41;
const C_DATARETRANS = 42; // retransmissions that carried payload (not SYN, FIN or keep-alive)
const C_FAST = 43;
const C_SPURIOUS = 44;
const C_OOO = 45;
const C_DUPACKS = 46;
const C_ZEROWIN = 47;
const C_ZWP = 48;
const C_KEEPALIVES = 49;
const C_LOSTSEG = 50;
const C_ACKEDUNSEEN = 51;
const C_MSS = 52; // -1: none
const C_WSCALE = 53; // -1: none
const C_RXMTCNT = 54;
const C_RXMTTHRESH = 55;
const C_WIN0CNT = 56;
const C_WIN0THRESH = 57;
const C_GAPCNT = 58;
const C_GAPTHRESH = 59;
/** The start of the held out-of-order range (doubles from (base >> 1) + side * SIDE / 2; words 60-61). */
const D_OOOLO = 30;
// Handshake timestamps (doubles from (base >> 1) + G_T; words 128-139).
const G_T = 64;
const T_FIRST_RTT = 0; // Wireshark tsFirstRtt (0 = unset, as nstime_is_zero there)
const T_MRU_SYN = 1; // Wireshark tsMruSyn (0 = unset)
const T_LAST_SYN = 2; // handshake timing (-1 = unset)
const T_SYNACK_RTT = 3;
const T_LAST_SYNACK = 4;
const T_ACK_RTT = 5;
// The rest of the flow (words 140-159).
const W_MRUSYN = 140; // Wireshark: a SYN without ACK was seen (tsMruSyn is set)
const W_HISTSEEN = 141; // Zeek history masks H_* (the responder's << 16)
const W_HISTLEN = 142;
const W_HISTDROPPED = 143;
/** The history letters, four to a word (letter i: byte i & 3 of word W_HIST + (i >> 2)). */
const W_HIST = 144;

/** S_READY: the next in-order ACKs and segments of this side may take step()'s fast path. */
const READY = 4;
/** S_READY: and nothing is pending for a pure ACK of this side (see pending()). */
const READY_ACK = 1;
/** S_READY: and nothing is pending for a data segment of this side. */
const READY_DATA = 2;

/** Blocks past which an arena that knows its limit grows to it at once (TcpArena.ensure). */
const ARENA_JUMP = 32_768;

/** The largest arena made at once for a limit (1 GiB of address space, 1.6 M blocks); doubling beyond. */
const ARENA_JUMP_MAX_WORDS = 2 ** 28;

/**
 * The blocks of many flows: one buffer, words and doubles over it; grown by doubling, or
 * at once to its owner's limit when that is large (ensure()).
 * `aligned`: the buffer is a WebAssembly memory's, whose start is page-aligned, so each
 * block's 64-byte groups are whole cache lines (an ArrayBuffer's store is only 16-byte
 * aligned: every group would straddle two lines). One such arena per conversation store;
 * a wasm memory reserves address space, so not one per flow.
 */
export class TcpArena {
  i32: Int32Array;
  f64: Float64Array;
  private readonly aligned: boolean;

  /** `maxBlocks`: the blocks its owner may use at most (its flow limit; 0: unknown). */
  constructor(
    blocks = 1,
    aligned = false,
    private readonly maxBlocks = 0,
  ) {
    this.aligned = aligned;
    this.i32 = words(blocks * TCP_WORDS, aligned);
    this.f64 = new Float64Array(this.i32.buffer, 0, this.i32.length / 2);
  }

  /** Makes room for block `id` (base id * TCP_WORDS); the views may be new afterwards. */
  ensure(id: number): void {
    const need = (id + 1) * TCP_WORDS;
    if (need <= this.i32.length) return;
    let n = this.i32.length;
    while (n < need) n *= 2;
    // Past ARENA_JUMP blocks, straight to the limit: zeroed address space whose pages are
    // touched only as blocks are used, where doubling copied every block again at each step
    // and kept the old buffer until a full GC (flood-1M's 500,000 SYNs: 335 MB copied, the
    // last copy 168 MB; bench/README.md, "flood-1M"). Small captures never get here.
    const limit = this.maxBlocks * TCP_WORDS;
    if (n > ARENA_JUMP * TCP_WORDS && limit > n && limit <= ARENA_JUMP_MAX_WORDS) n = limit;
    // A new buffer, also for a wasm memory (not Memory.grow(): growing detaches the old
    // buffer, and the first detached buffer makes V8 check every typed array access for
    // it, everywhere).
    const i32 = words(n, this.aligned);
    i32.set(this.i32);
    this.i32 = i32;
    this.f64 = new Float64Array(i32.buffer, 0, n / 2);
  }
}

/** `n` zeroed words, page-aligned when `aligned` (see alignedBuffer). */
function words(n: number, aligned: boolean): Int32Array {
  return aligned ? new Int32Array(alignedBuffer(n * 4), 0, n) : new Int32Array(n);
}

/** Starts a flow in the block at `base` (all of it, the owner's words too, back to zero): `originator` is 0 or 1. */
export function tcpOpen(I: Int32Array, F: Float64Array, base: number, originator: number): void {
  I.fill(0, base, base + TCP_WORDS);
  I[base + W_ORIG] = originator === 1 ? 1 : 0;
  for (let s = base; s <= base + SIDE; s += SIDE) {
    I[s + S_WINDOW] = -1;
    F[(s >> 1) + D_REASSEM] = 1;
    I[s + C_MSS] = -1;
    I[s + C_WSCALE] = -1;
    I[s + C_RXMTTHRESH] = 1;
    I[s + C_WIN0THRESH] = 1;
    I[s + C_GAPTHRESH] = 1;
  }
  const t = (base >> 1) + G_T;
  F[t + T_LAST_SYN] = F[t + T_SYNACK_RTT] = F[t + T_LAST_SYNACK] = F[t + T_ACK_RTT] = -1;
}

/**
 * One TCP packet of the flow in the block at `base` from direction `dir` (0 or 1), at the
 * time last given to setTcpClock() (see test/helpers/tcp-health.ts for the arguments): returns the TCPA_* flags of the packet (also kept for tcpLastAnalysis()).
 */
export function tcpSegment(I: Int32Array, F: Float64Array, base: number, dir: number, seq: number, ack: number, flags: number, window: number, payloadLen: number, opts: Uint8Array | null, optOff: number, optLen: number): number {
  // Small, so that it is inlined where it is called: the numbers then reach step() as
  // int32, with nothing boxed on the way.
  if ((flags & SYN) !== 0 && opts !== null && optLen > 0) options(I, dir === 1 ? base + SIDE : base, opts, optOff, optLen);
  const af = step(I, F, base, dir, seq | 0, ack | 0, flags, window | 0, payloadLen > 0 ? payloadLen | 0 : 0);
  I[base + W_LASTAF] = af;
  return af;
}

/** The TCPA_* flags Wireshark's analysis gave the last packet of the flow at `base` (0: none). */
export function tcpLastAnalysis(I: Int32Array, base: number): number {
  return I[base + W_LASTAF];
}

/** Which direction (0 or 1) is the originator of the flow at `base`. */
export function tcpOriginator(I: Int32Array, base: number): number {
  return I[base + W_ORIG];
}

/** The last acknowledgement number direction `dir` sent (0 before any), as int32. */
export function tcpLastAck(I: Int32Array, base: number, dir: number): number {
  return I[(dir === 1 ? base + SIDE : base) + S_LASTACK];
}

/** Letters of the histories kept in HISTORIES at most: two words' worth. */
const HISTORY_CACHED_LETTERS = 8;
/** Histories HISTORIES holds at most. */
const HISTORIES_MAX = 4096;
/**
 * History text by its first and second letter words (letters are never 0, so the words give
 * the length too): a run's flows share a few histories (mixed-2M: 2 among 14,050 TCP flows),
 * and building one is a string per letter.
 */
const HISTORIES = new Map<number, Map<number, string>>();
let historiesHeld = 0;

/** The history of the block at `base` as text. */
function historyOf(I: Int32Array, base: number): string {
  const n = I[base + W_HISTLEN];
  if (n > HISTORY_CACHED_LETTERS) return historyText(I, base, n);
  const w0 = I[base + W_HIST];
  const w1 = I[base + W_HIST + 1];
  let byW1 = HISTORIES.get(w0);
  let h = byW1?.get(w1);
  if (h !== undefined) return h;
  h = historyText(I, base, n);
  if (historiesHeld < HISTORIES_MAX) {
    if (byW1 === undefined) HISTORIES.set(w0, (byW1 = new Map()));
    byW1.set(w1, h);
    historiesHeld++;
  }
  return h;
}

function historyText(I: Int32Array, base: number, n: number): string {
  let history = '';
  for (let i = 0; i < n; i++) history += String.fromCharCode((I[base + W_HIST + (i >> 2)] >>> ((i & 3) << 3)) & 0xff);
  return history;
}

/** The report of the flow at `base`. */
export function tcpResult(I: Int32Array, F: Float64Array, base: number): TcpHealthReport {
  const orig = I[base + W_ORIG];
  const o = orig === 1 ? base + SIDE : base;
  const r = orig === 1 ? base : base + SIDE;
  const t = (base >> 1) + G_T;
  const history = historyOf(I, base);
  const synAckRtt = F[t + T_SYNACK_RTT];
  const ackRtt = F[t + T_ACK_RTT];
  const firstRtt = F[t + T_FIRST_RTT];
  return {
    originator: sideReport(I, F, o),
    responder: sideReport(I, F, r),
    rttMs: synAckRtt < 0 ? null : { synToSynAck: synAckRtt / 1000, synAckToAck: ackRtt < 0 ? null : ackRtt / 1000 },
    initialRttMs: firstRtt === 0 ? null : firstRtt / 1000,
    history,
    historyDropped: I[base + W_HISTDROPPED],
    connState: connState(I, o, r, history),
  };
}

// ---------------------------------------------------------------------------------------
// The per-packet work. `f` and `r` (or `s`, `p`, `e`) are side bases (base or base + SIDE),
// their doubles at f >> 1.

/**
 * The work of tcpSegment(): seq, ack and window as int32, len >= 0. Returns the Wireshark
 * analysis flags.
 *
 * Most packets are the next in-order segment or ACK of an established connection, and
 * for those most of full() does nothing. They take a fast path that makes exactly the
 * changes full() would make, under conditions that make the rest of full() a no-op:
 * - per packet: ACK without SYN, FIN or RST; dir 0 or 1; a non-zero window; seq is this
 *   side's next expected sequence number (Wireshark's nextseq, set); not a zero-window
 *   probe (1 byte while the peer's window is 0), not the same pure ACK again (duplicate
 *   ACK), not acknowledging beyond what the peer sent (ACKed unseen), not already
 *   acknowledged (spurious retransmission), and data that goes past Zeek's last
 *   sequence number (not a Zeek retransmission);
 * - per side, in S_READY, computed after every packet full() handles (only full()
 *   changes what it depends on): both sides' Wireshark base set; this side's Zeek
 *   endpoint neither inactive nor reset and the peer's not inactive; no FIN from the
 *   peer.
 * Everything else goes through full(). While the history letter of the packet's kind
 * (A or D) is not logged yet, or a handshake RTT waits for an ACK (S_READY says),
 * pending() does that part of full() first.
 */
function step(I: Int32Array, F: Float64Array, base: number, dir: number, seq: number, ack: number, flags: number, win: number, len: number): number {
  const f = dir === 1 ? base + SIDE : base;
  const nextseq = I[f + S_NEXTSEQ];
  if ((flags & (SYN | FIN | RST | ACK)) === ACK && seq === nextseq && nextseq !== 0 && win !== 0 && (I[f + S_READY] & READY) !== 0 && (dir === 0 || dir === 1)) {
    const r = dir === 1 ? base : base + SIDE;
    const lastack = I[f + S_LASTACK];
    const last = (seq + len) | 0;
    const deltaLast = (last - I[f + S_ZLAST]) | 0;
    const revMax = I[r + S_MAXSEQ];
    const revLastack = I[r + S_LASTACK];
    if (
      (len > 0 ? deltaLast > 0 && !(len === 1 && I[r + S_WINDOW] === 0) && (revLastack === 0 || ((last - revLastack) | 0) > 0) : win !== I[f + S_WINDOW] || ack !== lastack) &&
      (revMax === 0 || ((ack - revMax) | 0) <= 0)
    ) {
      const orig = I[base + W_ORIG];
      if ((I[f + S_READY] & (len > 0 ? READY_DATA : READY_ACK)) === 0) pending(I, F, base, dir === orig, len > 0);
      const now = NOW[0];
      const fd = f >> 1;
      // Wireshark
      I[f + S_PACKETS]++;
      if (len > 0) {
        F[fd + D_PAYLOAD] += len;
        I[f + S_DATASEGS]++;
        if (len > I[f + S_MAXSEG]) I[f + S_MAXSEG] = len;
        I[f + S_NEXTSEQ] = last;
        F[fd + D_NEXTSEQ_T] = now;
      }
      if (ack !== lastack) I[f + S_DUPACKNUM] = 0;
      const max = I[f + S_MAXSEQ];
      if (seq === max || max === 0) I[f + S_MAXSEQ] = last;
      I[f + S_WINDOW] = win;
      I[f + S_LASTACK] = ack;
      F[fd + D_LASTACK_T] = now;
      I[f + S_LASTFLAGS] = 0;
      // Zeek: the ACK (one below the peer's start acknowledges nothing), the last
      // sequence number, the data
      const relAck = (ack - I[r + S_ZSTART]) | 0;
      if (relAck >= 0) {
        const delta = (ack - I[r + S_ZACK]) | 0;
        if (delta > 0 && !(ack === 0 && delta > TOO_LARGE_SEQ_DELTA)) I[r + S_ZACK] = ack;
        const rd = r >> 1;
        if (relAck > F[rd + D_TRIM]) {
          F[rd + D_TRIM] = relAck;
          if (relAck > F[rd + D_REASSEM]) ackPastReassembly(I, F, base, r, f, dir !== orig, relAck);
        }
      }
      if (deltaLast > 0) I[f + S_ZLAST] = last;
      if (len > 0) {
        const relSeq = (seq - I[f + S_ZSTART]) | 0;
        if (relSeq >= 0) dataSent(I, F, f, relSeq, len);
      }
      return 0;
    }
  }
  const af = full(I, F, base, dir, seq, ack, flags, win, len);
  refreshReady(I, F, base);
  return af;
}

/**
 * What full() does for a packet of the fast path that its updates do not: the handshake
 * RTTs the packet completes (synAckToAck, Wireshark's iRTT) and the history letter of
 * its kind (A or D) when not yet logged. Before the rest, so that the letter comes
 * before a G the packet may log, as in full().
 */
function pending(I: Int32Array, F: Float64Array, base: number, isOrig: boolean, data: boolean): void {
  const t = (base >> 1) + G_T;
  const now = NOW[0];
  // (timestamps that go back, as in merged captures, give 0, not "unset")
  if (isOrig && F[t + T_ACK_RTT] < 0 && F[t + T_LAST_SYNACK] >= 0) F[t + T_ACK_RTT] = Math.max(0, now - F[t + T_LAST_SYNACK]);
  if (I[base + W_MRUSYN] !== 0 && F[t + T_MRU_SYN] !== 0 && F[t + T_FIRST_RTT] === 0) F[t + T_FIRST_RTT] = now - F[t + T_MRU_SYN];
  if (data) check(I, base, isOrig, H_DATA, 0x44 /* D */);
  else check(I, base, isOrig, H_ACK, CH_A);
  refreshReady(I, F, base);
}

/** S_READY of both sides (see step()). */
function refreshReady(I: Int32Array, F: Float64Array, base: number): void {
  const t = (base >> 1) + G_T;
  // nothing pending: no handshake RTT waiting for the next ACK
  const quiet = !(I[base + W_MRUSYN] !== 0 && F[t + T_MRU_SYN] !== 0 && F[t + T_FIRST_RTT] === 0);
  const ackRttPending = F[t + T_ACK_RTT] < 0 && F[t + T_LAST_SYNACK] >= 0;
  const seen = I[base + W_HISTSEEN];
  const orig = I[base + W_ORIG];
  const s1 = base + SIDE;
  const both = I[base + C_WBASESET] !== 0 && I[s1 + C_WBASESET] !== 0;
  I[base + S_READY] = both ? ready(I, base, s1, quiet && !(orig === 0 && ackRttPending), orig === 0 ? seen : seen >>> 16) : 0;
  I[s1 + S_READY] = both ? ready(I, s1, base, quiet && !(orig === 1 && ackRttPending), orig === 1 ? seen : seen >>> 16) : 0;
}

/**
 * S_READY of side `s` (see step()), both sides' Wireshark base being set; `quiet`: no
 * handshake RTT waits for its next ACK; `seen`: its history bits (H_*).
 */
function ready(I: Int32Array, s: number, p: number, quiet: boolean, seen: number): number {
  const z = I[s + C_ZSTATE];
  if (I[p + C_FIN] !== 0 || z === Z_INACTIVE || z === Z_RESET || I[p + C_ZSTATE] === Z_INACTIVE) return 0;
  if (!quiet) return READY;
  return READY | ((seen & H_ACK) !== 0 ? READY_ACK : 0) | ((seen & H_DATA) !== 0 ? READY_DATA : 0);
}

/** Wireshark's analysis state of side `s` back to a new conversation's. */
function resetAnalysis(I: Int32Array, F: Float64Array, s: number): void {
  I[s + C_WBASESET] = 0;
  I[s + C_WBASE] = 0;
  I[s + S_NEXTSEQ] = 0;
  F[(s >> 1) + D_NEXTSEQ_T] = 0;
  I[s + S_LASTACK] = 0;
  F[(s >> 1) + D_LASTACK_T] = 0;
  I[s + S_WINDOW] = -1;
  I[s + S_DUPACKNUM] = 0;
  I[s + S_LASTFLAGS] = 0;
  I[s + S_MAXSEQ] = 0;
}

/**
 * Any packet: the handshake timing, tcp_analyze_sequence_number() with the conversation
 * bits of dissect_tcp() around it, and TCPSessionAdapter::Process() as far as history,
 * states and sizes go.
 */
function full(I: Int32Array, F: Float64Array, base: number, dir: number, seq: number, ack: number, flags: number, win: number, len: number): number {
  const t = (base >> 1) + G_T;
  const f = dir === 1 ? base + SIDE : base;
  const r = dir === 1 ? base : base + SIDE;
  const fd = f >> 1;
  const rd = r >> 1;
  const isOrig = dir === I[base + W_ORIG];
  const now = NOW[0];
  const syn = (flags & SYN) !== 0;
  const fin = (flags & FIN) !== 0;
  const rst = (flags & RST) !== 0;
  const hasAck = (flags & ACK) !== 0;
  const sfr = flags & (SYN | FIN | RST);

  I[f + S_PACKETS]++;
  if (len > 0) {
    F[fd + D_PAYLOAD] += len;
    I[f + S_DATASEGS]++;
    if (len > I[f + S_MAXSEG]) I[f + S_MAXSEG] = len;
  }

  // Handshake timing.
  if (syn) {
    if (!hasAck) {
      if (isOrig) F[t + T_LAST_SYN] = now;
    } else if (!isOrig) {
      if (F[t + T_SYNACK_RTT] < 0 && F[t + T_LAST_SYN] >= 0) F[t + T_SYNACK_RTT] = Math.max(0, now - F[t + T_LAST_SYN]);
      F[t + T_LAST_SYNACK] = now;
    }
  } else if (hasAck && !rst && isOrig && F[t + T_ACK_RTT] < 0 && F[t + T_LAST_SYNACK] >= 0) F[t + T_ACK_RTT] = Math.max(0, now - F[t + T_LAST_SYNACK]);

  // ---- Wireshark ----
  if (syn && I[f + C_WBASESET] !== 0) {
    if (!hasAck) {
      if (seq !== I[f + C_WBASE]) {
        // A bare SYN with another ISN than this side's base: a new conversation (ports reused).
        resetAnalysis(I, F, f);
        resetAnalysis(I, F, r);
        I[base + W_MRUSYN] = 0;
        F[t + T_MRU_SYN] = 0;
        F[t + T_FIRST_RTT] = 0;
      } else {
        // The same SYN again: undo what a RST (seq = the ACK received) did to nextseq.
        I[f + S_NEXTSEQ] = I[f + S_MAXSEQ];
      }
    } else if (seq !== I[f + C_WBASE]) I[f + C_WBASE] = seq;
  }
  if (I[f + C_WBASESET] === 0) {
    I[f + C_WBASE] = syn ? seq : (seq - 1) | 0;
    I[f + C_WBASESET] = 1;
  }
  if (hasAck && I[r + C_WBASESET] === 0) {
    I[r + C_WBASE] = (ack - 1) | 0;
    I[r + C_WBASESET] = 1;
  }
  const nextseq = I[f + S_NEXTSEQ];
  const lastack = I[f + S_LASTACK];
  let af = 0;
  if (len === 1 && seq === nextseq && I[r + S_WINDOW] === 0) {
    af = A_ZWP;
  } else {
    if (win === 0 && sfr === 0) af |= A_ZW;
    if (nextseq !== 0 && ((seq - nextseq) | 0) > 0 && !rst) af |= A_LOST;
    if (len <= 1 && seq === ((nextseq - 1) | 0) && sfr === 0) af |= A_KA;
    if (len === 0 && win === I[f + S_WINDOW] && seq === nextseq && ack === lastack && sfr === 0) {
      // the same ACK again
      if (win !== 0 && (I[r + S_LASTFLAGS] & A_KA) !== 0) af |= A_KA_ACK;
      else if (win === 0) {
        if ((I[r + S_LASTFLAGS] & A_ZWP) !== 0) af |= A_ZWP_ACK;
      } else {
        const n = I[f + S_DUPACKNUM];
        I[f + S_DUPACKNUM] = n === -1 ? 1 : n >= 2 ? 2 : n + 1;
        af |= A_DUPACK;
      }
    }
  }
  if (ack !== lastack) I[f + S_DUPACKNUM] = 0;
  const revMax = I[r + S_MAXSEQ];
  if (hasAck && revMax !== 0 && ((ack - revMax) | 0) > 0) {
    if (((revMax - I[r + S_NEXTSEQ]) | 0) < 0) {
      I[r + S_MAXSEQ] = I[r + S_NEXTSEQ];
      af |= A_ACK_LOST;
    } else {
      if (I[r + S_DUPACKNUM] === 0) af |= A_ACK_LOST;
      I[r + S_DUPACKNUM] = -1;
    }
  }
  const synFin = syn || fin;
  if ((len > 0 || synFin) && (af & A_KA) === 0) {
    const revLastack = I[r + S_LASTACK];
    if (len > 0 && revLastack !== 0 && ((seq + len - revLastack) | 0) <= 0) {
      af |= A_SPURIOUS;
    } else if (nextseq !== 0 && ((seq - nextseq) | 0) < 0 && !(len > 1 && ((nextseq - 1) | 0) === seq)) {
      // Not advanced. Timestamps going backwards make Wireshark's unsigned delta huge:
      // never "within".
      const tAck = now - F[rd + D_LASTACK_T];
      const tSeq = now - F[fd + D_NEXTSEQ_T];
      const firstRtt = F[t + T_FIRST_RTT];
      const oooThres = firstRtt === 0 ? OOO_DEFAULT_US : firstRtt;
      if (I[r + S_DUPACKNUM] >= 2 && revLastack === seq && tAck >= 0 && tAck < FAST_RETRANS_US) af |= A_FAST;
      else if (tSeq >= 0 && tSeq < oooThres && nextseq !== ((seq + len + (synFin ? 1 : 0)) | 0)) af |= A_OOO;
      else af |= A_RETRANS;
    }
  }
  if ((af & A_ZWP) === 0) {
    let next = (seq + len) | 0;
    if (synFin) next = (next + 1) | 0;
    if (((next - nextseq) | 0) > 0 || nextseq === 0) {
      I[f + S_NEXTSEQ] = next;
      F[fd + D_NEXTSEQ_T] = now;
    }
    const max = I[f + S_MAXSEQ];
    if (seq === max || max === 0) I[f + S_MAXSEQ] = I[f + S_NEXTSEQ];
  }
  I[f + S_WINDOW] = win;
  I[f + S_LASTACK] = ack;
  F[fd + D_LASTACK_T] = now;
  I[f + S_LASTFLAGS] = af;
  if (af !== 0) count(I, f, af, len);

  // dissect_tcp() after the analysis: the most recent SYN, and the first RTT from it to
  // the first pure ACK (used above as the out-of-order threshold).
  if (syn) {
    if (!hasAck) {
      F[t + T_MRU_SYN] = now;
      I[base + W_MRUSYN] = 1;
    }
  } else if (hasAck && I[base + W_MRUSYN] !== 0 && F[t + T_MRU_SYN] !== 0 && F[t + T_FIRST_RTT] === 0) F[t + T_FIRST_RTT] = now - F[t + T_MRU_SYN];

  // ---- Zeek ----
  let segLen = len + (syn ? 1 : 0) + (fin ? 1 : 0);
  if (rst) segLen -= len;
  const last = (seq + segLen) | 0;

  // init_endpoint
  const zs = I[f + C_ZSTATE];
  if (zs === Z_INACTIVE) {
    if (syn) {
      I[f + S_ZSTART] = I[f + S_ZACK] = seq;
      I[f + S_ZLAST] = last;
    } else {
      // a partial connection: numbered as if a SYN preceded, and its first packet is
      // not a retransmission
      I[f + S_ZSTART] = I[f + S_ZACK] = (seq - 1) | 0;
      I[f + S_ZLAST] = seq;
    }
  } else if (syn && (zs === Z_ESTABLISHED || zs === Z_PARTIAL || ((zs === Z_SYN_SENT || zs === Z_SYN_ACK_SENT) && seq !== I[f + S_ZSTART]) || (zs === Z_RESET && I[f + C_ZPREV] === Z_INACTIVE))) {
    I[f + S_ZSTART] = I[f + S_ZACK] = seq;
    I[f + S_ZLAST] = last;
  }
  // the relative sequence number as int32 (Zeek's uint32 is relSeq >>> 0); negative:
  // below the start
  const relSeq = (seq - I[f + S_ZSTART]) | 0;

  // update_history
  if (sfr === 0) {
    if (len > 0) check(I, base, isOrig, H_DATA, 0x44 /* D */);
    else if (hasAck) check(I, base, isOrig, H_ACK, CH_A);
  } else historyFlags(I, base, f, isOrig, syn, fin, rst, hasAck, relSeq, len);

  // update_window: zero windows (scaling never makes a zero non-zero)
  if (win === 0 && !rst && I[r + C_ZSTATE] !== Z_CLOSED && zs !== Z_RESET) {
    const n = I[f + C_WIN0CNT] + 1;
    I[f + C_WIN0CNT] = n;
    if (n === I[f + C_WIN0THRESH]) {
      add(I, base, isOrig, 0x57 /* W */);
      I[f + C_WIN0THRESH] = nextThreshold(I[f + C_WIN0THRESH]);
    }
  }
  if (fin) {
    I[f + C_FIN] = 1;
    I[f + C_FINSEQ] = relSeq + segLen;
  }

  let relAck = 0;
  if (hasAck) {
    if (I[r + C_ZSTATE] === Z_INACTIVE) {
      relAck = 1;
      I[r + S_ZSTART] = I[r + S_ZACK] = I[r + S_ZLAST] = (ack - 1) | 0;
    } else {
      const a = (ack - I[r + S_ZSTART]) | 0;
      // below the start: TCP_ack_underflow_or_misorder, 0
      if (a >= 0) {
        relAck = a;
        if (!rst) {
          const delta = (ack - I[r + S_ZACK]) | 0;
          if (delta > 0 && !(ack === 0 && delta > TOO_LARGE_SEQ_DELTA)) I[r + S_ZACK] = ack;
        }
      }
    }
  }

  // update_last_seq
  const zLast = I[f + S_ZLAST];
  const deltaLast = (last - zLast) | 0;
  if ((syn || rst) && (deltaLast > TOO_LARGE_SEQ_DELTA || deltaLast < -TOO_LARGE_SEQ_DELTA)) {
    // untrusted jump
  } else if (fin && zLast === ((I[f + S_ZSTART] + 1) | 0)) I[f + S_ZLAST] = last;
  else if (zs === Z_RESET) {
    // nothing after a RST is trusted
  } else if (deltaLast > 0) I[f + S_ZLAST] = last;
  else if (len > 0) {
    const n = I[f + C_RXMTCNT] + 1;
    I[f + C_RXMTCNT] = n;
    if (n === I[f + C_RXMTTHRESH]) {
      add(I, base, isOrig, 0x54 /* T */);
      I[f + C_RXMTTHRESH] = nextThreshold(I[f + C_RXMTTHRESH]);
    }
  }

  // the state machine acts on an inactive endpoint, or on SYN, FIN and RST
  if (zs === Z_INACTIVE || sfr !== 0) stateMachine(I, f, r, isOrig, seq, syn, fin, rst, hasAck, len);

  // The peer acknowledged up to relative relAck of its data: data acknowledged but
  // never seen is a content gap (TCP_Reassembler::AckReceived → Undelivered → Gap).
  if (hasAck) {
    let up = relAck;
    if (I[r + C_FIN] !== 0) {
      const finSeq = I[r + C_FINSEQ] >>> 0;
      if (up >= finSeq) up = finSeq - 1;
    }
    if (up > F[rd + D_TRIM]) {
      F[rd + D_TRIM] = up;
      if (up > F[rd + D_REASSEM]) ackPastReassembly(I, F, base, r, f, !isOrig, up);
    }
  }

  // Data not below the start: relSeq (+ 1 for a SYN) is Zeek's relative number.
  if (len > 0 && !rst && relSeq >= 0) dataSent(I, F, f, syn ? relSeq + 1 : relSeq, len);
  return af;
}

/** MSS (kind 2) and window scale (kind 3) of side `s`, parsed as Zeek does, bounded by optLen. */
function options(I: Int32Array, s: number, b: Uint8Array, off: number, n: number): void {
  const end = Math.min(off + n, b.length);
  let p = off;
  while (p < end) {
    const kind = b[p];
    if (kind === 0) break;
    if (kind === 1) {
      p++;
      continue;
    }
    if (p + 1 >= end) break;
    const olen = b[p + 1];
    if (olen < 2 || p + olen > end) break;
    if (kind === 2 && olen >= 4 && I[s + C_MSS] < 0) I[s + C_MSS] = (b[p + 2] << 8) | b[p + 3];
    else if (kind === 3 && olen >= 3 && I[s + C_WSCALE] < 0) I[s + C_WSCALE] = b[p + 2];
    p += olen;
  }
}

/** update_history for a packet of side `e` with SYN, FIN or RST (`relSeq` as int32). */
function historyFlags(I: Int32Array, base: number, e: number, isOrig: boolean, syn: boolean, fin: boolean, rst: boolean, hasAck: boolean, relSeq: number, len: number): void {
  const bits = (syn ? 1 : 0) + (fin ? 1 : 0) + (rst ? 1 : 0);
  if (bits > 1) {
    if (fin && rst) check(I, base, isOrig, H_FIN_RST, 0x49 /* I */);
    else check(I, base, isOrig, H_MULTI, 0x51 /* Q */);
  } else if (syn) {
    const code = hasAck ? 0x48 /* H */ : 0x53; /* S */
    if (check(I, base, isOrig, H_SYN, code) && relSeq !== I[e + C_LASTSYN]) add(I, base, isOrig, code);
    I[e + C_LASTSYN] = relSeq;
  } else if (fin) {
    const at = (relSeq + len) | 0;
    if (check(I, base, isOrig, H_FIN, 0x46 /* F */) && at !== I[e + C_LASTFIN]) add(I, base, isOrig, 0x46);
    I[e + C_LASTFIN] = at;
  } else {
    if (check(I, base, isOrig, H_RST, 0x52 /* R */) && relSeq !== I[e + C_LASTRST]) add(I, base, isOrig, 0x52);
    I[e + C_LASTRST] = relSeq;
  }
}

/** Connection::CheckHistory: logs the letter the first time; true when seen before. */
function check(I: Int32Array, base: number, isOrig: boolean, mask: number, code: number): boolean {
  const m = isOrig ? mask : mask << 16;
  const seen = I[base + W_HISTSEEN];
  if ((seen & m) === 0) {
    I[base + W_HISTSEEN] = seen | m;
    add(I, base, isOrig, code);
    return false;
  }
  return true;
}

function add(I: Int32Array, base: number, isOrig: boolean, code: number): void {
  const n = I[base + W_HISTLEN];
  if (n === HISTORY_MAX) {
    I[base + W_HISTDROPPED]++;
    return;
  }
  I[base + W_HIST + (n >> 2)] |= (isOrig ? code : code + 32) << ((n & 3) << 3);
  I[base + W_HISTLEN] = n + 1;
}

/**
 * TCP_Reassembler::DataSent of `len` bytes at relative `rel` (0 <= rel <= 2^31) by side
 * `s`, with one held out-of-order range instead of a block list.
 */
function dataSent(I: Int32Array, F: Float64Array, s: number, rel: number, len: number): void {
  const acked = (I[s + S_ZACK] - I[s + S_ZSTART]) >>> 0;
  let lo = rel;
  const hi = rel + len;
  if (lo < acked) {
    if (hi <= acked) return;
    lo = acked;
  }
  const d = s >> 1;
  const reassem = F[d + D_REASSEM];
  // A range is held when its end is above 0 (see D_OOOHI): only then is its start read.
  const oooHi = F[d + D_OOOHI];
  if (lo <= reassem) {
    const upto = hi > reassem ? hi : reassem;
    F[d + D_REASSEM] = upto;
    if (oooHi > 0 && F[d + D_OOOLO] <= upto) {
      if (oooHi > upto) F[d + D_REASSEM] = oooHi;
      F[d + D_OOOLO] = F[d + D_OOOHI] = 0;
    }
  } else if (oooHi > 0) {
    if (lo < F[d + D_OOOLO]) F[d + D_OOOLO] = lo;
    if (hi > oooHi) F[d + D_OOOHI] = hi;
  } else {
    F[d + D_OOOLO] = lo;
    F[d + D_OOOHI] = hi;
  }
}

/**
 * AckReceived past the reassembled data of side `e` (`up` > its reassem): the hole before
 * a held range, then the held range is delivered; the rest is a gap.
 */
function ackPastReassembly(I: Int32Array, F: Float64Array, base: number, e: number, p: number, epIsOrig: boolean, up: number): void {
  const z = I[e + C_ZSTATE];
  if (up <= 2 && (z === Z_PARTIAL || z === Z_INACTIVE)) return;
  const clean = isClean(I, e) && isClean(I, p);
  const d = e >> 1;
  if (F[d + D_OOOHI] > F[d + D_OOOLO] && F[d + D_OOOLO] < up) {
    if (clean) gap(I, base, e, epIsOrig);
    F[d + D_REASSEM] = F[d + D_OOOHI];
    F[d + D_OOOLO] = F[d + D_OOOHI] = 0;
  }
  if (up > F[d + D_REASSEM]) {
    if (clean) gap(I, base, e, epIsOrig);
    F[d + D_REASSEM] = up;
  }
}

/** A content gap of side `e`: 'G' at the 1st, 10th, 100th... (ScaledHistoryEntry). */
function gap(I: Int32Array, base: number, e: number, isOrig: boolean): void {
  const n = I[e + C_GAPCNT] + 1;
  I[e + C_GAPCNT] = n;
  if (n === I[e + C_GAPTHRESH]) {
    add(I, base, isOrig, 0x47 /* G */);
    I[e + C_GAPTHRESH] = nextThreshold(I[e + C_GAPTHRESH]);
  }
}

/**
 * The count at which a scaled history letter is logged next: 1, 10, 100... As int32, the
 * step past 10^9 would wrap; 0 is never reached again (the counts are int32 from 1 up,
 * as the packet counts they cannot exceed), where Zeek's 10^10 is not reached either.
 */
function nextThreshold(t: number): number {
  return t < 1_000_000_000 ? t * 10 : 0;
}

/** The per-side counters of the analysis flags `af` (not 0). */
function count(I: Int32Array, s: number, af: number, len: number): void {
  if (len > 0 && (af & (A_RETRANS | A_FAST | A_SPURIOUS)) !== 0) I[s + C_DATARETRANS]++;
  if (af & A_ZWP) I[s + C_ZWP]++;
  if (af & A_ZW) I[s + C_ZEROWIN]++;
  if (af & A_KA) I[s + C_KEEPALIVES]++;
  if (af & A_DUPACK) I[s + C_DUPACKS]++;
  if (af & A_SPURIOUS) I[s + C_SPURIOUS]++;
  if (af & A_FAST) I[s + C_FAST]++;
  if (af & A_OOO) I[s + C_OOO]++;
  if (af & A_RETRANS) I[s + C_RETRANS]++;
  if (af & A_LOST) I[s + C_LOSTSEG]++;
  if (af & A_ACK_LOST) I[s + C_ACKEDUNSEEN]++;
}

function setState(I: Int32Array, s: number, z: number): void {
  const cur = I[s + C_ZSTATE];
  if (z !== cur) {
    I[s + C_ZPREV] = cur;
    I[s + C_ZSTATE] = z;
  }
}

/** Zeek's is_clean(): established, or closed after being established. */
function isClean(I: Int32Array, s: number): boolean {
  const z = I[s + C_ZSTATE];
  return z === Z_ESTABLISHED || (z === Z_CLOSED && I[s + C_ZPREV] === Z_ESTABLISHED);
}

/** Zeek's TCP_Endpoint::Size() of side `s`: payload bytes by sequence numbers. */
function size(I: Int32Array, s: number, p: number): number {
  const start = I[s + S_ZSTART];
  if (I[s + C_ZPREV] === Z_SYN_SENT && I[s + C_ZSTATE] === Z_RESET && I[p + C_ZSTATE] === Z_INACTIVE) {
    const acked = (I[s + S_ZACK] - start) | 0;
    if (acked !== 0 && acked !== 1) return 0;
  }
  const l = (I[s + S_ZLAST] - start) | 0;
  const a = (I[s + S_ZACK] - start) | 0;
  let n = l > a ? l : a;
  if (n < 0) return 0x100000000; // Zeek's unsigned arithmetic would wrap: "not zero"
  if (n !== 0) n--;
  if (I[s + C_FIN] !== 0 && n !== 0) n--;
  return n;
}

/** Zeek's endpoint state machine (TCPSessionAdapter::UpdateStateMachine and friends) for a packet of side `e`. */
function stateMachine(I: Int32Array, e: number, p: number, isOrig: boolean, seq: number, syn: boolean, fin: boolean, rst: boolean, hasAck: boolean, len: number): void {
  switch (I[e + C_ZSTATE]) {
    case Z_INACTIVE: {
      if (syn) {
        if (isOrig) setState(I, e, hasAck ? Z_SYN_ACK_SENT : Z_SYN_SENT);
        else {
          // A responder's bare SYN answering an originator's SYN-ACK is a reversed
          // handshake; Zeek flips the roles there, we keep the caller's and establish.
          if (!hasAck && I[p + C_ZSTATE] === Z_SYN_ACK_SENT && seq === I[e + S_ZSTART]) setState(I, p, Z_ESTABLISHED);
          if (I[p + C_ZSTATE] === Z_SYN_SENT) setState(I, p, Z_ESTABLISHED);
          setState(I, e, Z_ESTABLISHED);
        }
      }
      if (fin) setState(I, e, Z_CLOSED);
      if (rst) setState(I, e, Z_RESET);
      if (I[e + C_ZSTATE] === Z_INACTIVE) {
        const origSide = isOrig ? e : p;
        if (!isOrig && len === 0 && I[origSide + C_ZSTATE] === Z_SYN_SENT) {
          // an ACK of the SYN before the SYN-ACK: not a partial connection
        } else if (hasAck && I[p + C_ZSTATE] === Z_ESTABLISHED) setState(I, e, Z_ESTABLISHED);
        else setState(I, e, Z_PARTIAL);
      }
      break;
    }
    case Z_SYN_SENT:
    case Z_SYN_ACK_SENT:
      if (fin) setState(I, e, Z_CLOSED);
      if (rst) setState(I, e, Z_RESET);
      break;
    case Z_ESTABLISHED:
    case Z_PARTIAL:
      if (syn && I[e + C_ZSTATE] === Z_PARTIAL && I[p + C_ZSTATE] === Z_INACTIVE && !hasAck) setState(I, e, Z_SYN_SENT);
      if (fin && !rst) {
        setState(I, e, Z_CLOSED);
        if (I[p + C_ZSTATE] === Z_RESET && I[p + C_ZPREV] === Z_CLOSED) setState(I, p, Z_CLOSED);
      }
      if (rst) setState(I, e, Z_RESET);
      break;
    case Z_CLOSED:
      if (rst && I[p + C_ZSTATE] !== Z_CLOSED) setState(I, e, Z_RESET);
      break;
    default:
      break;
  }
}

/** One side's report (side base `s`). */
function sideReport(I: Int32Array, F: Float64Array, s: number): TcpSideReport {
  const mss = I[s + C_MSS];
  const wscale = I[s + C_WSCALE];
  return {
    packets: I[s + S_PACKETS],
    payloadBytes: F[(s >> 1) + D_PAYLOAD],
    dataSegments: I[s + S_DATASEGS],
    maxSegment: I[s + S_MAXSEG],
    retransmissions: I[s + C_RETRANS] + I[s + C_FAST] + I[s + C_SPURIOUS],
    dataRetransmissions: I[s + C_DATARETRANS],
    fastRetransmissions: I[s + C_FAST],
    spuriousRetransmissions: I[s + C_SPURIOUS],
    outOfOrder: I[s + C_OOO],
    duplicateAcks: I[s + C_DUPACKS],
    zeroWindows: I[s + C_ZEROWIN],
    zeroWindowProbes: I[s + C_ZWP],
    keepAlives: I[s + C_KEEPALIVES],
    lostSegments: I[s + C_LOSTSEG],
    ackedUnseen: I[s + C_ACKEDUNSEEN],
    mss: mss < 0 ? null : mss,
    windowScale: wscale < 0 ? null : wscale,
  };
}

/** base/protocols/conn/main.zeek conn_state() for TCP (`o`, `r`: the originator's and responder's side bases). */
function connState(I: Int32Array, o: number, r: number, history: string): ZeekConnState {
  const os = I[o + C_ZSTATE];
  const rs = I[r + C_ZSTATE];
  const oInactive = os === Z_INACTIVE || os === Z_PARTIAL;
  const rInactive = rs === Z_INACTIVE || rs === Z_PARTIAL;
  if (rs === Z_RESET) {
    if (os === Z_SYN_SENT || os === Z_SYN_ACK_SENT || (os === Z_RESET && size(I, o, r) === 0 && size(I, r, o) === 0)) return 'REJ';
    return oInactive ? 'RSTRH' : 'RSTR';
  }
  if (os === Z_RESET) {
    if (rInactive) return /^\^?S[^HAFGIQ]*R.*$/.test(history) ? 'RSTOS0' : 'OTH';
    return 'RSTO';
  }
  if (rs === Z_CLOSED && os === Z_CLOSED) return 'SF';
  if (os === Z_CLOSED) return rInactive ? 'SH' : 'S2';
  if (rs === Z_CLOSED) return oInactive ? 'SHR' : 'S3';
  if (os === Z_SYN_SENT && rs === Z_INACTIVE) return 'S0';
  if (os === Z_ESTABLISHED && rs === Z_ESTABLISHED) return 'S1';
  return 'OTH';
}
