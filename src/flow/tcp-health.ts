// Per-flow TCP health: the counters Wireshark's TCP analysis shows (retransmissions,
// duplicate ACKs, zero windows...), MSS and window scale, handshake timing, and Zeek's
// conn.log `history` and `conn_state` — the vocabulary users already know.
//
// Fed with every TCP packet of one flow in capture order. The caller owns one TcpHealth
// per inspected flow; a packet costs a few comparisons and field writes: no allocation,
// no strings, no closures, no exceptions. Strings are built only by result().
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
// connection record when a SYN reuses the ports of a closed one; here one TcpHealth
// covers the caller's flow, so split flows on reuse to get one record each.
// Approximations: 'G' (content gap) follows one out-of-order range per side instead of
// Zeek's block list; 'C' (bad checksum) is never set (checksums are not looked at);
// sequence numbers are 32-bit (sizes and relative numbers are exact below 2 GiB per
// direction).

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

// Wireshark analysis flags of one packet (TcpHealth.lastAnalysis), named after the
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

// packet() runs on every TCP packet, so the state is laid out for V8:
// - Sequence and acknowledgement numbers are kept as int32 (`x | 0`): Wireshark's and
//   Zeek's uint32 arithmetic is the same modulo 2^32 (equal stays equal, and differences
//   are taken as ((a - b) | 0)). Int32 values are Smis on 64-bit V8, so these fields and
//   arguments are never boxed, whereas a uint32 above 2^31 is a heap number.
// - Counters and Zeek's relative positions are plain fields too: Smis in practice (a
//   field that outgrows int32, as payloadBytes past 2 GiB, becomes a double field: V8
//   changes the shape of every Side once; the values stay exact).
// - Timestamps (µs since 1970, ~1.7e15) are doubles, never passed as arguments: packet()
//   hands the packet's over in NOW. The two every packet stores (Wireshark's nextseqTime
//   and lastackTime of its side) are kept as the two int32 halves of their IEEE 754 bits
//   in Smi fields, next to the rest of the side's state (exact for every double, and no
//   separate heap number or array to reach); the handshake's are in a Float64Array
//   (TcpHealth.t, T_*).
// - step() takes int32 arguments only, and has a fast path for the in-order segment or
//   ACK of an established connection; the rest is in full() and its helpers.

/** The timestamp of the packet being processed (µs), from packet() to step(). */
const NOW = new Float64Array(1);
/** NOW's bits as two int32 words (the halves a Side stores). */
const NOW_WORDS = new Int32Array(NOW.buffer);
const TIME = new Float64Array(1);
const TIME_WORDS = new Int32Array(TIME.buffer);

/** Sets the capture time (µs) of the packets passed next to TcpHealth.segment(). */
export function setTcpClock(tsUs: number): void {
  NOW[0] = tsUs;
}

/** The double whose bits are the int32 words `lo` and `hi` (as NOW_WORDS gave them). */
function time(lo: number, hi: number): number {
  TIME_WORDS[0] = lo;
  TIME_WORDS[1] = hi;
  return TIME[0];
}

// Handshake timestamps (TcpHealth.t).
const T_FIRST_RTT = 0; // Wireshark tsFirstRtt (0 = unset, as nstime_is_zero there)
const T_MRU_SYN = 1; // Wireshark tsMruSyn (0 = unset)
const T_LAST_SYN = 2; // handshake timing (-1 = unset)
const T_SYNACK_RTT = 3;
const T_LAST_SYNACK = 4;
const T_ACK_RTT = 5;
const T_WORDS = 6;

/** Side.ready: the next in-order ACKs and segments of this side may take step()'s fast path. */
const READY = 4;
/** Side.ready: and nothing is pending for a pure ACK of this side (see TcpHealth.pending). */
const READY_ACK = 1;
/** Side.ready: and nothing is pending for a data segment of this side. */
const READY_DATA = 2;

/** One direction's state and counters; fixed shape, all numbers (int32 unless noted). */
class Side {
  // Used by every packet: first what the peer's packets read, then the rest (each packet
  // reaches few cache lines). Wireshark's sequence analysis works on absolute sequence
  // numbers (nextseq 0 means "unset", as there); Zeek's endpoint on relative ones.
  lastack = 0;
  window = -1; // none yet (0xffffffff there)
  maxseqtobeacked = 0;
  zStart = 0;
  zAck = 0;
  // Zeek reassembly approximation for 'G' (relative sequence numbers, up to 2^32 + 64k)
  trim = 0;
  reassem = 1;
  /** READY_*: which packets of this side step()'s fast path may take (set by full()). */
  ready = 0;
  nextseq = 0;
  zLast = 0;
  dupacknum = 0; // -1, 0, 1 or 2 (2: two or more; only compared with -1, 0 and 2)
  lastFlags = 0;
  // Wireshark lastackTime and nextseqTime: the words of the double (time(lo, hi))
  lastackLo = 0;
  lastackHi = 0;
  nextseqLo = 0;
  nextseqHi = 0;
  oooLo = 0;
  oooHi = 0;
  // counters
  packets = 0;
  payloadBytes = 0;
  dataSegments = 0;
  maxSegment = 0;

  // the rest
  wBaseSet = 0;
  wBase = 0;
  zState = Z_INACTIVE;
  zPrev = Z_INACTIVE;
  fin = 0; // a FIN was seen (Zeek's FIN_cnt > 0)
  finSeq = 0; // relative, one past the FIN (0 to 2^32 - 1)
  lastSyn = 0; // relative (as int32)
  lastFin = 0;
  lastRst = 0;
  retrans = 0;
  /** Retransmissions that carried payload (not SYN, FIN or keep-alive). */
  dataRetrans = 0;
  fast = 0;
  spurious = 0;
  ooo = 0;
  dupAcks = 0;
  zeroWin = 0;
  zwp = 0;
  keepAlives = 0;
  lostSeg = 0;
  ackedUnseen = 0;
  mss = -1;
  wscale = -1;
  rxmtCnt = 0;
  rxmtThresh = 1;
  win0Cnt = 0;
  win0Thresh = 1;
  gapCnt = 0;
  gapThresh = 1;

  /** Wireshark's analysis state back to a new conversation's. */
  resetAnalysis(): void {
    this.wBaseSet = 0;
    this.wBase = 0;
    this.nextseq = 0;
    this.nextseqLo = this.nextseqHi = 0; // +0
    this.lastack = 0;
    this.lastackLo = this.lastackHi = 0;
    this.window = -1;
    this.dupacknum = 0;
    this.lastFlags = 0;
    this.maxseqtobeacked = 0;
  }

  setState(z: number): void {
    if (z !== this.zState) {
      this.zPrev = this.zState;
      this.zState = z;
    }
  }

  /** Zeek's is_clean(): established, or closed after being established. */
  isClean(): boolean {
    return this.zState === Z_ESTABLISHED || (this.zState === Z_CLOSED && this.zPrev === Z_ESTABLISHED);
  }

  /** Zeek's TCP_Endpoint::Size(): payload bytes by sequence numbers. */
  size(peer: Side): number {
    if (this.zPrev === Z_SYN_SENT && this.zState === Z_RESET && peer.zState === Z_INACTIVE) {
      const acked = (this.zAck - this.zStart) | 0;
      if (acked !== 0 && acked !== 1) return 0;
    }
    const l = (this.zLast - this.zStart) | 0;
    const a = (this.zAck - this.zStart) | 0;
    let size = l > a ? l : a;
    if (size < 0) return 0x100000000; // Zeek's unsigned arithmetic would wrap: "not zero"
    if (size !== 0) size--;
    if (this.fin !== 0 && size !== 0) size--;
    return size;
  }

  /**
   * TCP_Reassembler::DataSent of `len` bytes at relative `rel` (0 <= rel <= 2^31), with
   * one held out-of-order range instead of a block list.
   */
  dataSent(rel: number, len: number): void {
    const acked = (this.zAck - this.zStart) >>> 0;
    let lo = rel;
    const hi = rel + len;
    if (lo < acked) {
      if (hi <= acked) return;
      lo = acked;
    }
    const reassem = this.reassem;
    if (lo <= reassem) {
      const upto = hi > reassem ? hi : reassem;
      this.reassem = upto;
      if (this.oooHi > this.oooLo && this.oooLo <= upto) {
        if (this.oooHi > upto) this.reassem = this.oooHi;
        this.oooLo = this.oooHi = 0;
      }
    } else if (this.oooHi > this.oooLo) {
      if (lo < this.oooLo) this.oooLo = lo;
      if (hi > this.oooHi) this.oooHi = hi;
    } else {
      this.oooLo = lo;
      this.oooHi = hi;
    }
  }

  report(): TcpSideReport {
    return {
      packets: this.packets,
      payloadBytes: this.payloadBytes,
      dataSegments: this.dataSegments,
      maxSegment: this.maxSegment,
      retransmissions: this.retrans + this.fast + this.spurious,
      dataRetransmissions: this.dataRetrans,
      fastRetransmissions: this.fast,
      spuriousRetransmissions: this.spurious,
      outOfOrder: this.ooo,
      duplicateAcks: this.dupAcks,
      zeroWindows: this.zeroWin,
      zeroWindowProbes: this.zwp,
      keepAlives: this.keepAlives,
      lostSegments: this.lostSeg,
      ackedUnseen: this.ackedUnseen,
      mss: this.mss < 0 ? null : this.mss,
      windowScale: this.wscale < 0 ? null : this.wscale,
    };
  }
}

/** TCP health of one flow. Feed every TCP packet in capture order with packet(). */
export class TcpHealth {
  /** Which direction (0/1 as the caller numbers them) is Zeek's originator (the client). */
  readonly originator: number;
  private readonly side0 = new Side();
  private readonly side1 = new Side();
  private lastAf = 0;
  private haveMruSyn = 0;
  // Zeek history
  private histSeen = 0;
  private histLen = 0;
  private histDropped = 0;
  private readonly hist = new Uint8Array(HISTORY_MAX);
  /** Handshake timestamps (µs), T_*. */
  private readonly t = new Float64Array(T_WORDS);

  constructor(originator = 0) {
    this.originator = originator === 1 ? 1 : 0;
    const t = this.t;
    t[T_LAST_SYN] = t[T_SYNACK_RTT] = t[T_LAST_SYNACK] = t[T_ACK_RTT] = -1;
  }

  /**
   * One TCP packet. `dir` is 0 or 1 (the caller's numbering, the same for the whole flow);
   * `seq` and `ack` the 32-bit sequence and acknowledgement numbers; `flags` the TCP flags
   * byte (FIN 0x01, SYN 0x02, RST 0x04, ACK 0x10...); `window` the raw 16-bit window
   * field; `payloadLen` the TCP payload length on the wire (from the IP length, not what
   * the snaplen kept; an integer below 2^31); `tsUs` the capture timestamp in microseconds.
   * For SYN and SYN-ACK segments pass the TCP options (`opts[optOff, optOff + optLen)`)
   * to learn MSS and window scale; otherwise `opts` may be null. ICMP errors quoting the
   * flow are not TCP packets of it: do not pass them.
   */
  packet(dir: number, seq: number, ack: number, flags: number, window: number, payloadLen: number, tsUs: number, opts: Uint8Array | null, optOff: number, optLen: number): void {
    NOW[0] = tsUs;
    this.segment(dir, seq, ack, flags, window, payloadLen, opts, optOff, optLen);
  }

  /**
   * packet() at the time last given to setTcpClock(): a hot caller sets the clock from a
   * double it holds unboxed, and no timestamp is passed as an argument (a call that is not
   * inlined would box it, one heap number per packet).
   */
  segment(dir: number, seq: number, ack: number, flags: number, window: number, payloadLen: number, opts: Uint8Array | null, optOff: number, optLen: number): void {
    // Small, so that it is inlined where it is called: the numbers then reach step() as
    // int32, with nothing boxed on the way.
    if ((flags & SYN) !== 0 && opts !== null && optLen > 0) this.options(dir === 1 ? this.side1 : this.side0, opts, optOff, optLen);
    this.lastAf = this.step(dir, seq | 0, ack | 0, flags, window | 0, payloadLen > 0 ? payloadLen | 0 : 0);
  }

  /** The last acknowledgement number direction `dir` sent (0 before any). */
  lastAckOf(dir: number): number {
    return (dir === 1 ? this.side1 : this.side0).lastack;
  }

  /** The TCPA_* flags Wireshark's analysis gave the last packet passed (0: none). */
  get lastAnalysis(): number {
    return this.lastAf;
  }

  result(): TcpHealthReport {
    const o = this.originator === 1 ? this.side1 : this.side0;
    const r = this.originator === 1 ? this.side0 : this.side1;
    const t = this.t;
    let history = '';
    for (let i = 0; i < this.histLen; i++) history += String.fromCharCode(this.hist[i]);
    const synAckRtt = t[T_SYNACK_RTT];
    const ackRtt = t[T_ACK_RTT];
    const firstRtt = t[T_FIRST_RTT];
    return {
      originator: o.report(),
      responder: r.report(),
      rttMs: synAckRtt < 0 ? null : { synToSynAck: synAckRtt / 1000, synAckToAck: ackRtt < 0 ? null : ackRtt / 1000 },
      initialRttMs: firstRtt === 0 ? null : firstRtt / 1000,
      history,
      historyDropped: this.histDropped,
      connState: connState(o, r, history),
    };
  }

  // -------------------------------------------------------------------------------------

  /**
   * The work of packet(): seq, ack and window as int32, len >= 0. Returns the Wireshark
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
   * - per side, in Side.ready, computed after every packet full() handles (only full()
   *   changes what it depends on): both sides' Wireshark base set; this side's Zeek
   *   endpoint neither inactive nor reset and the peer's not inactive; no FIN from the
   *   peer.
   * Everything else goes through full(). While the history letter of the packet's kind
   * (A or D) is not logged yet, or a handshake RTT waits for an ACK (Side.ready says),
   * pending() does that part of full() first.
   */
  private step(dir: number, seq: number, ack: number, flags: number, win: number, len: number): number {
    const side0 = this.side0;
    const side1 = this.side1;
    const fwd = dir === 1 ? side1 : side0;
    const nextseq = fwd.nextseq;
    if ((flags & (SYN | FIN | RST | ACK)) === ACK && seq === nextseq && nextseq !== 0 && win !== 0 && (fwd.ready & READY) !== 0 && (dir === 0 || dir === 1)) {
      const rev = dir === 1 ? side0 : side1;
      const lastack = fwd.lastack;
      const last = (seq + len) | 0;
      const deltaLast = (last - fwd.zLast) | 0;
      const revMax = rev.maxseqtobeacked;
      const revLastack = rev.lastack;
      if (
        (len > 0 ? deltaLast > 0 && !(len === 1 && rev.window === 0) && (revLastack === 0 || ((last - revLastack) | 0) > 0) : win !== fwd.window || ack !== lastack) &&
        (revMax === 0 || ((ack - revMax) | 0) <= 0)
      ) {
        if ((fwd.ready & (len > 0 ? READY_DATA : READY_ACK)) === 0) this.pending(dir === this.originator, len > 0);
        const nowLo = NOW_WORDS[0];
        const nowHi = NOW_WORDS[1];
        // Wireshark
        fwd.packets++;
        if (len > 0) {
          fwd.payloadBytes += len;
          fwd.dataSegments++;
          if (len > fwd.maxSegment) fwd.maxSegment = len;
          fwd.nextseq = last;
          fwd.nextseqLo = nowLo;
          fwd.nextseqHi = nowHi;
        }
        if (ack !== lastack) fwd.dupacknum = 0;
        const max = fwd.maxseqtobeacked;
        if (seq === max || max === 0) fwd.maxseqtobeacked = last;
        fwd.window = win;
        fwd.lastack = ack;
        fwd.lastackLo = nowLo;
        fwd.lastackHi = nowHi;
        fwd.lastFlags = 0;
        // Zeek: the ACK (one below the peer's start acknowledges nothing), the last
        // sequence number, the data
        const relAck = (ack - rev.zStart) | 0;
        if (relAck >= 0) {
          const delta = (ack - rev.zAck) | 0;
          if (delta > 0 && !(ack === 0 && delta > TOO_LARGE_SEQ_DELTA)) rev.zAck = ack;
          if (relAck > rev.trim) {
            rev.trim = relAck;
            if (relAck > rev.reassem) this.ackPastReassembly(rev, fwd, dir !== this.originator, relAck);
          }
        }
        if (deltaLast > 0) fwd.zLast = last;
        if (len > 0) {
          const relSeq = (seq - fwd.zStart) | 0;
          if (relSeq >= 0) fwd.dataSent(relSeq, len);
        }
        return 0;
      }
    }
    const af = this.full(dir, seq, ack, flags, win, len);
    this.refreshReady(side0, side1);
    return af;
  }

  /**
   * What full() does for a packet of the fast path that its updates do not: the handshake
   * RTTs the packet completes (synAckToAck, Wireshark's iRTT) and the history letter of
   * its kind (A or D) when not yet logged. Before the rest, so that the letter comes
   * before a G the packet may log, as in full().
   */
  private pending(isOrig: boolean, data: boolean): void {
    const t = this.t;
    const now = NOW[0];
    // (timestamps that go back, as in merged captures, give 0, not "unset")
    if (isOrig && t[T_ACK_RTT] < 0 && t[T_LAST_SYNACK] >= 0) t[T_ACK_RTT] = Math.max(0, now - t[T_LAST_SYNACK]);
    if (this.haveMruSyn !== 0 && t[T_MRU_SYN] !== 0 && t[T_FIRST_RTT] === 0) t[T_FIRST_RTT] = now - t[T_MRU_SYN];
    if (data) this.check(isOrig, H_DATA, 0x44 /* D */);
    else this.check(isOrig, H_ACK, CH_A);
    this.refreshReady(this.side0, this.side1);
  }

  /** Side.ready of both sides (see step()). */
  private refreshReady(side0: Side, side1: Side): void {
    const t = this.t;
    // nothing pending: no handshake RTT waiting for the next ACK
    const quiet = !(this.haveMruSyn !== 0 && t[T_MRU_SYN] !== 0 && t[T_FIRST_RTT] === 0);
    const ackRttPending = t[T_ACK_RTT] < 0 && t[T_LAST_SYNACK] >= 0;
    const seen = this.histSeen;
    const orig = this.originator;
    const both = side0.wBaseSet !== 0 && side1.wBaseSet !== 0;
    side0.ready = both ? ready(side0, side1, quiet && !(orig === 0 && ackRttPending), orig === 0 ? seen : seen >>> 16) : 0;
    side1.ready = both ? ready(side1, side0, quiet && !(orig === 1 && ackRttPending), orig === 1 ? seen : seen >>> 16) : 0;
  }

  /**
   * Any packet: the handshake timing, tcp_analyze_sequence_number() with the conversation
   * bits of dissect_tcp() around it, and TCPSessionAdapter::Process() as far as history,
   * states and sizes go.
   */
  private full(dir: number, seq: number, ack: number, flags: number, win: number, len: number): number {
    const t = this.t;
    const fwd = dir === 1 ? this.side1 : this.side0;
    const rev = dir === 1 ? this.side0 : this.side1;
    const isOrig = dir === this.originator;
    const now = NOW[0];
    const syn = (flags & SYN) !== 0;
    const fin = (flags & FIN) !== 0;
    const rst = (flags & RST) !== 0;
    const hasAck = (flags & ACK) !== 0;
    const sfr = flags & (SYN | FIN | RST);

    fwd.packets++;
    if (len > 0) {
      fwd.payloadBytes += len;
      fwd.dataSegments++;
      if (len > fwd.maxSegment) fwd.maxSegment = len;
    }

    // Handshake timing.
    if (syn) {
      if (!hasAck) {
        if (isOrig) t[T_LAST_SYN] = now;
      } else if (!isOrig) {
        if (t[T_SYNACK_RTT] < 0 && t[T_LAST_SYN] >= 0) t[T_SYNACK_RTT] = Math.max(0, now - t[T_LAST_SYN]);
        t[T_LAST_SYNACK] = now;
      }
    } else if (hasAck && !rst && isOrig && t[T_ACK_RTT] < 0 && t[T_LAST_SYNACK] >= 0) t[T_ACK_RTT] = Math.max(0, now - t[T_LAST_SYNACK]);

    // ---- Wireshark ----
    if (syn && fwd.wBaseSet !== 0) {
      if (!hasAck) {
        if (seq !== fwd.wBase) {
          // A bare SYN with another ISN than this side's base: a new conversation (ports reused).
          fwd.resetAnalysis();
          rev.resetAnalysis();
          this.haveMruSyn = 0;
          t[T_MRU_SYN] = 0;
          t[T_FIRST_RTT] = 0;
        } else {
          // The same SYN again: undo what a RST (seq = the ACK received) did to nextseq.
          fwd.nextseq = fwd.maxseqtobeacked;
        }
      } else if (seq !== fwd.wBase) fwd.wBase = seq;
    }
    if (fwd.wBaseSet === 0) {
      fwd.wBase = syn ? seq : (seq - 1) | 0;
      fwd.wBaseSet = 1;
    }
    if (hasAck && rev.wBaseSet === 0) {
      rev.wBase = (ack - 1) | 0;
      rev.wBaseSet = 1;
    }
    const nextseq = fwd.nextseq;
    const lastack = fwd.lastack;
    let af = 0;
    if (len === 1 && seq === nextseq && rev.window === 0) {
      af = A_ZWP;
    } else {
      if (win === 0 && sfr === 0) af |= A_ZW;
      if (nextseq !== 0 && ((seq - nextseq) | 0) > 0 && !rst) af |= A_LOST;
      if (len <= 1 && seq === ((nextseq - 1) | 0) && sfr === 0) af |= A_KA;
      if (len === 0 && win === fwd.window && seq === nextseq && ack === lastack && sfr === 0) {
        // the same ACK again
        if (win !== 0 && (rev.lastFlags & A_KA) !== 0) af |= A_KA_ACK;
        else if (win === 0) {
          if ((rev.lastFlags & A_ZWP) !== 0) af |= A_ZWP_ACK;
        } else {
          const n = fwd.dupacknum;
          fwd.dupacknum = n === -1 ? 1 : n >= 2 ? 2 : n + 1;
          af |= A_DUPACK;
        }
      }
    }
    if (ack !== lastack) fwd.dupacknum = 0;
    const revMax = rev.maxseqtobeacked;
    if (hasAck && revMax !== 0 && ((ack - revMax) | 0) > 0) {
      if (((revMax - rev.nextseq) | 0) < 0) {
        rev.maxseqtobeacked = rev.nextseq;
        af |= A_ACK_LOST;
      } else {
        if (rev.dupacknum === 0) af |= A_ACK_LOST;
        rev.dupacknum = -1;
      }
    }
    const synFin = syn || fin;
    if ((len > 0 || synFin) && (af & A_KA) === 0) {
      const revLastack = rev.lastack;
      if (len > 0 && revLastack !== 0 && ((seq + len - revLastack) | 0) <= 0) {
        af |= A_SPURIOUS;
      } else if (nextseq !== 0 && ((seq - nextseq) | 0) < 0 && !(len > 1 && ((nextseq - 1) | 0) === seq)) {
        // Not advanced. Timestamps going backwards make Wireshark's unsigned delta huge:
        // never "within".
        const tAck = now - time(rev.lastackLo, rev.lastackHi);
        const tSeq = now - time(fwd.nextseqLo, fwd.nextseqHi);
        const firstRtt = t[T_FIRST_RTT];
        const oooThres = firstRtt === 0 ? OOO_DEFAULT_US : firstRtt;
        if (rev.dupacknum >= 2 && revLastack === seq && tAck >= 0 && tAck < FAST_RETRANS_US) af |= A_FAST;
        else if (tSeq >= 0 && tSeq < oooThres && nextseq !== ((seq + len + (synFin ? 1 : 0)) | 0)) af |= A_OOO;
        else af |= A_RETRANS;
      }
    }
    if ((af & A_ZWP) === 0) {
      let next = (seq + len) | 0;
      if (synFin) next = (next + 1) | 0;
      if (((next - nextseq) | 0) > 0 || nextseq === 0) {
        fwd.nextseq = next;
        fwd.nextseqLo = NOW_WORDS[0];
        fwd.nextseqHi = NOW_WORDS[1];
      }
      const max = fwd.maxseqtobeacked;
      if (seq === max || max === 0) fwd.maxseqtobeacked = fwd.nextseq;
    }
    fwd.window = win;
    fwd.lastack = ack;
    fwd.lastackLo = NOW_WORDS[0];
    fwd.lastackHi = NOW_WORDS[1];
    fwd.lastFlags = af;
    if (af !== 0) count(fwd, af, len);

    // dissect_tcp() after the analysis: the most recent SYN, and the first RTT from it to
    // the first pure ACK (used above as the out-of-order threshold).
    if (syn) {
      if (!hasAck) {
        t[T_MRU_SYN] = now;
        this.haveMruSyn = 1;
      }
    } else if (hasAck && this.haveMruSyn !== 0 && t[T_MRU_SYN] !== 0 && t[T_FIRST_RTT] === 0) t[T_FIRST_RTT] = now - t[T_MRU_SYN];

    // ---- Zeek ----
    let segLen = len + (syn ? 1 : 0) + (fin ? 1 : 0);
    if (rst) segLen -= len;
    const last = (seq + segLen) | 0;

    // init_endpoint
    const zs = fwd.zState;
    if (zs === Z_INACTIVE) {
      if (syn) {
        fwd.zStart = fwd.zAck = seq;
        fwd.zLast = last;
      } else {
        // a partial connection: numbered as if a SYN preceded, and its first packet is
        // not a retransmission
        fwd.zStart = fwd.zAck = (seq - 1) | 0;
        fwd.zLast = seq;
      }
    } else if (syn && (zs === Z_ESTABLISHED || zs === Z_PARTIAL || ((zs === Z_SYN_SENT || zs === Z_SYN_ACK_SENT) && seq !== fwd.zStart) || (zs === Z_RESET && fwd.zPrev === Z_INACTIVE))) {
      fwd.zStart = fwd.zAck = seq;
      fwd.zLast = last;
    }
    // the relative sequence number as int32 (Zeek's uint32 is relSeq >>> 0); negative:
    // below the start
    const relSeq = (seq - fwd.zStart) | 0;

    // update_history
    if (sfr === 0) {
      if (len > 0) this.check(isOrig, H_DATA, 0x44 /* D */);
      else if (hasAck) this.check(isOrig, H_ACK, CH_A);
    } else this.historyFlags(fwd, isOrig, syn, fin, rst, hasAck, relSeq, len);

    // update_window: zero windows (scaling never makes a zero non-zero)
    if (win === 0 && !rst && rev.zState !== Z_CLOSED && zs !== Z_RESET) {
      if (++fwd.win0Cnt === fwd.win0Thresh) {
        this.add(isOrig, 0x57 /* W */);
        fwd.win0Thresh *= 10;
      }
    }
    if (fin) {
      fwd.fin = 1;
      fwd.finSeq = (relSeq + segLen) >>> 0;
    }

    let relAck = 0;
    if (hasAck) {
      if (rev.zState === Z_INACTIVE) {
        relAck = 1;
        rev.zStart = rev.zAck = rev.zLast = (ack - 1) | 0;
      } else {
        const a = (ack - rev.zStart) | 0;
        // below the start: TCP_ack_underflow_or_misorder, 0
        if (a >= 0) {
          relAck = a;
          if (!rst) {
            const delta = (ack - rev.zAck) | 0;
            if (delta > 0 && !(ack === 0 && delta > TOO_LARGE_SEQ_DELTA)) rev.zAck = ack;
          }
        }
      }
    }

    // update_last_seq
    const zLast = fwd.zLast;
    const deltaLast = (last - zLast) | 0;
    if ((syn || rst) && (deltaLast > TOO_LARGE_SEQ_DELTA || deltaLast < -TOO_LARGE_SEQ_DELTA)) {
      // untrusted jump
    } else if (fin && zLast === ((fwd.zStart + 1) | 0)) fwd.zLast = last;
    else if (zs === Z_RESET) {
      // nothing after a RST is trusted
    } else if (deltaLast > 0) fwd.zLast = last;
    else if (len > 0) {
      if (++fwd.rxmtCnt === fwd.rxmtThresh) {
        this.add(isOrig, 0x54 /* T */);
        fwd.rxmtThresh *= 10;
      }
    }

    // the state machine acts on an inactive endpoint, or on SYN, FIN and RST
    if (zs === Z_INACTIVE || sfr !== 0) stateMachine(fwd, rev, isOrig, seq, syn, fin, rst, hasAck, len);

    // The peer acknowledged up to relative relAck of its data: data acknowledged but
    // never seen is a content gap (TCP_Reassembler::AckReceived → Undelivered → Gap).
    if (hasAck) {
      let up = relAck;
      if (rev.fin !== 0 && up >= rev.finSeq) up = rev.finSeq - 1;
      if (up > rev.trim) {
        rev.trim = up;
        if (up > rev.reassem) this.ackPastReassembly(rev, fwd, !isOrig, up);
      }
    }

    // Data not below the start: relSeq (+ 1 for a SYN) is Zeek's relative number.
    if (len > 0 && !rst && relSeq >= 0) fwd.dataSent(syn ? relSeq + 1 : relSeq, len);
    return af;
  }

  /** MSS (kind 2) and window scale (kind 3), parsed as Zeek does, bounded by optLen. */
  private options(side: Side, b: Uint8Array, off: number, n: number): void {
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
      if (kind === 2 && olen >= 4 && side.mss < 0) side.mss = (b[p + 2] << 8) | b[p + 3];
      else if (kind === 3 && olen >= 3 && side.wscale < 0) side.wscale = b[p + 2];
      p += olen;
    }
  }

  /** update_history for a packet with SYN, FIN or RST (`relSeq` as int32). */
  private historyFlags(ep: Side, isOrig: boolean, syn: boolean, fin: boolean, rst: boolean, hasAck: boolean, relSeq: number, len: number): void {
    const bits = (syn ? 1 : 0) + (fin ? 1 : 0) + (rst ? 1 : 0);
    if (bits > 1) {
      if (fin && rst) this.check(isOrig, H_FIN_RST, 0x49 /* I */);
      else this.check(isOrig, H_MULTI, 0x51 /* Q */);
    } else if (syn) {
      const code = hasAck ? 0x48 /* H */ : 0x53; /* S */
      if (this.check(isOrig, H_SYN, code) && relSeq !== ep.lastSyn) this.add(isOrig, code);
      ep.lastSyn = relSeq;
    } else if (fin) {
      const at = (relSeq + len) | 0;
      if (this.check(isOrig, H_FIN, 0x46 /* F */) && at !== ep.lastFin) this.add(isOrig, 0x46);
      ep.lastFin = at;
    } else {
      if (this.check(isOrig, H_RST, 0x52 /* R */) && relSeq !== ep.lastRst) this.add(isOrig, 0x52);
      ep.lastRst = relSeq;
    }
  }

  /** Connection::CheckHistory: logs the letter the first time; true when seen before. */
  private check(isOrig: boolean, mask: number, code: number): boolean {
    const m = isOrig ? mask : mask << 16;
    if ((this.histSeen & m) === 0) {
      this.histSeen |= m;
      this.add(isOrig, code);
      return false;
    }
    return true;
  }

  private add(isOrig: boolean, code: number): void {
    if (this.histLen === HISTORY_MAX) {
      this.histDropped++;
      return;
    }
    this.hist[this.histLen++] = isOrig ? code : code + 32;
  }

  /**
   * AckReceived past the reassembled data of `ep` (`up` > ep.reassem): the hole before a
   * held range, then the held range is delivered; the rest is a gap.
   */
  private ackPastReassembly(ep: Side, peer: Side, epIsOrig: boolean, up: number): void {
    if (up <= 2 && (ep.zState === Z_PARTIAL || ep.zState === Z_INACTIVE)) return;
    const clean = ep.isClean() && peer.isClean();
    if (ep.oooHi > ep.oooLo && ep.oooLo < up) {
      if (clean) this.gap(ep, epIsOrig);
      ep.reassem = ep.oooHi;
      ep.oooLo = ep.oooHi = 0;
    }
    if (up > ep.reassem) {
      if (clean) this.gap(ep, epIsOrig);
      ep.reassem = up;
    }
  }

  /** A content gap: 'G' at the 1st, 10th, 100th... (ScaledHistoryEntry). */
  private gap(ep: Side, isOrig: boolean): void {
    if (++ep.gapCnt === ep.gapThresh) {
      this.add(isOrig, 0x47 /* G */);
      ep.gapThresh *= 10;
    }
  }
}

/**
 * Side.ready of `side` (see TcpHealth.step), both sides' Wireshark base being set; `quiet`:
 * no handshake RTT waits for its next ACK; `seen`: its history bits (H_*).
 */
function ready(side: Side, peer: Side, quiet: boolean, seen: number): number {
  if (peer.fin !== 0 || side.zState === Z_INACTIVE || side.zState === Z_RESET || peer.zState === Z_INACTIVE) return 0;
  if (!quiet) return READY;
  return READY | ((seen & H_ACK) !== 0 ? READY_ACK : 0) | ((seen & H_DATA) !== 0 ? READY_DATA : 0);
}

/** The per-side counters of the analysis flags `af` (not 0). */
function count(side: Side, af: number, len: number): void {
  if (len > 0 && (af & (A_RETRANS | A_FAST | A_SPURIOUS)) !== 0) side.dataRetrans++;
  if (af & A_ZWP) side.zwp++;
  if (af & A_ZW) side.zeroWin++;
  if (af & A_KA) side.keepAlives++;
  if (af & A_DUPACK) side.dupAcks++;
  if (af & A_SPURIOUS) side.spurious++;
  if (af & A_FAST) side.fast++;
  if (af & A_OOO) side.ooo++;
  if (af & A_RETRANS) side.retrans++;
  if (af & A_LOST) side.lostSeg++;
  if (af & A_ACK_LOST) side.ackedUnseen++;
}

/** Zeek's endpoint state machine (TCPSessionAdapter::UpdateStateMachine and friends). */
function stateMachine(ep: Side, peer: Side, isOrig: boolean, seq: number, syn: boolean, fin: boolean, rst: boolean, hasAck: boolean, len: number): void {
  switch (ep.zState) {
    case Z_INACTIVE: {
      if (syn) {
        if (isOrig) ep.setState(hasAck ? Z_SYN_ACK_SENT : Z_SYN_SENT);
        else {
          // A responder's bare SYN answering an originator's SYN-ACK is a reversed
          // handshake; Zeek flips the roles there, we keep the caller's and establish.
          if (!hasAck && peer.zState === Z_SYN_ACK_SENT && seq === ep.zStart) peer.setState(Z_ESTABLISHED);
          if (peer.zState === Z_SYN_SENT) peer.setState(Z_ESTABLISHED);
          ep.setState(Z_ESTABLISHED);
        }
      }
      if (fin) ep.setState(Z_CLOSED);
      if (rst) ep.setState(Z_RESET);
      if (ep.zState === Z_INACTIVE) {
        const origSide = isOrig ? ep : peer;
        if (!isOrig && len === 0 && origSide.zState === Z_SYN_SENT) {
          // an ACK of the SYN before the SYN-ACK: not a partial connection
        } else if (hasAck && peer.zState === Z_ESTABLISHED) ep.setState(Z_ESTABLISHED);
        else ep.setState(Z_PARTIAL);
      }
      break;
    }
    case Z_SYN_SENT:
    case Z_SYN_ACK_SENT:
      if (fin) ep.setState(Z_CLOSED);
      if (rst) ep.setState(Z_RESET);
      break;
    case Z_ESTABLISHED:
    case Z_PARTIAL:
      if (syn && ep.zState === Z_PARTIAL && peer.zState === Z_INACTIVE && !hasAck) ep.setState(Z_SYN_SENT);
      if (fin && !rst) {
        ep.setState(Z_CLOSED);
        if (peer.zState === Z_RESET && peer.zPrev === Z_CLOSED) peer.setState(Z_CLOSED);
      }
      if (rst) ep.setState(Z_RESET);
      break;
    case Z_CLOSED:
      if (rst && peer.zState !== Z_CLOSED) ep.setState(Z_RESET);
      break;
    default:
      break;
  }
}

/** base/protocols/conn/main.zeek conn_state() for TCP. */
function connState(o: Side, r: Side, history: string): ZeekConnState {
  const os = o.zState;
  const rs = r.zState;
  const oInactive = os === Z_INACTIVE || os === Z_PARTIAL;
  const rInactive = rs === Z_INACTIVE || rs === Z_PARTIAL;
  if (rs === Z_RESET) {
    if (os === Z_SYN_SENT || os === Z_SYN_ACK_SENT || (os === Z_RESET && o.size(r) === 0 && r.size(o) === 0)) return 'REJ';
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
