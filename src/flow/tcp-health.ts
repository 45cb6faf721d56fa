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
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../decode/fields.js';

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

/** a - b as a signed 32-bit sequence difference. */
function sd(a: number, b: number): number {
  return (a - b) | 0;
}

/** One direction's state and counters; fixed shape, all numbers. */
class TcpSide {
  // counters
  packets = 0;
  payloadBytes = 0;
  dataSegments = 0;
  maxSegment = 0;
  retrans = 0;
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

  // Wireshark sequence analysis (absolute sequence numbers; nextseq 0 means "unset", as there)
  wBaseSet = false;
  wBase = 0;
  nextseq = 0;
  nextseqTime = 0;
  lastack = 0;
  lastackTime = 0;
  window = 0xffffffff;
  dupacknum = 0;
  lastFlags = 0;
  maxseqtobeacked = 0;

  // Zeek endpoint
  zState = Z_INACTIVE;
  zPrev = Z_INACTIVE;
  zStart = 0;
  zLast = 0;
  zAck = 0;
  finCnt = 0;
  rstCnt = 0;
  finSeq = 0; // relative, one past the FIN
  lastSyn = 0;
  lastFin = 0;
  lastRst = 0;
  rxmtCnt = 0;
  rxmtThresh = 1;
  win0Cnt = 0;
  win0Thresh = 1;
  gapCnt = 0;
  gapThresh = 1;
  // reassembly approximation for 'G' (relative sequence numbers)
  reassem = 1;
  trim = 0;
  oooLo = 0;
  oooHi = 0;

  resetAnalysis(): void {
    this.wBaseSet = false;
    this.wBase = 0;
    this.nextseq = 0;
    this.nextseqTime = 0;
    this.lastack = 0;
    this.lastackTime = 0;
    this.window = 0xffffffff;
    this.dupacknum = 0;
    this.lastFlags = 0;
    this.maxseqtobeacked = 0;
  }

  setState(s: number): void {
    if (s !== this.zState) {
      this.zPrev = this.zState;
      this.zState = s;
    }
  }

  /** Zeek's TCP_Endpoint::Size(): payload bytes by sequence numbers. */
  size(peer: TcpSide): number {
    if (this.zPrev === Z_SYN_SENT && this.zState === Z_RESET && peer.zState === Z_INACTIVE) {
      const acked = sd(this.zAck, this.zStart);
      if (acked !== 0 && acked !== 1) return 0;
    }
    const l = sd(this.zLast, this.zStart);
    const a = sd(this.zAck, this.zStart);
    let size = l > a ? l : a;
    if (size < 0) return 0x100000000; // Zeek's unsigned arithmetic would wrap: "not zero"
    if (size !== 0) size--;
    if (this.finCnt > 0 && size !== 0) size--;
    return size;
  }

  report(): TcpSideReport {
    return {
      packets: this.packets,
      payloadBytes: this.payloadBytes,
      dataSegments: this.dataSegments,
      maxSegment: this.maxSegment,
      retransmissions: this.retrans + this.fast + this.spurious,
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
  private readonly side0 = new TcpSide();
  private readonly side1 = new TcpSide();

  // Wireshark conversation timestamps (µs; 0 = unset as nstime_is_zero there)
  private tsMruSyn = 0;
  private haveMruSyn = false;
  private tsFirstRtt = 0;

  // handshake timing (µs; -1 = unset)
  private lastSynTs = -1;
  private synAckRtt = -1;
  private lastSynAckTs = -1;
  private ackRtt = -1;

  // Zeek history
  private histSeen = 0;
  private readonly hist = new Uint8Array(HISTORY_MAX);
  private histLen = 0;
  private histDropped = 0;

  private lastAf = 0;

  constructor(originator = 0) {
    this.originator = originator === 1 ? 1 : 0;
  }

  /**
   * One TCP packet. `dir` is 0 or 1 (the caller's numbering, the same for the whole flow);
   * `flags` the TCP flags byte (FIN 0x01, SYN 0x02, RST 0x04, ACK 0x10...); `window` the
   * raw 16-bit window field; `payloadLen` the TCP payload length on the wire (from the IP
   * length, not what the snaplen kept); `tsUs` the capture timestamp in microseconds.
   * For SYN and SYN-ACK segments pass the TCP options (`opts[optOff, optOff + optLen)`)
   * to learn MSS and window scale; otherwise `opts` may be null. ICMP errors quoting the
   * flow are not TCP packets of it: do not pass them.
   */
  packet(dir: number, seq: number, ack: number, flags: number, window: number, payloadLen: number, tsUs: number, opts: Uint8Array | null, optOff: number, optLen: number): void {
    seq >>>= 0;
    ack >>>= 0;
    const fwd = dir === 1 ? this.side1 : this.side0;
    const rev = dir === 1 ? this.side0 : this.side1;
    const isOrig = dir === this.originator;
    const syn = (flags & TCP_SYN) !== 0;
    const fin = (flags & TCP_FIN) !== 0;
    const rst = (flags & TCP_RST) !== 0;
    const hasAck = (flags & TCP_ACK) !== 0;
    const len = payloadLen > 0 ? payloadLen : 0;

    fwd.packets++;
    if (len > 0) {
      fwd.payloadBytes += len;
      fwd.dataSegments++;
      if (len > fwd.maxSegment) fwd.maxSegment = len;
    }
    if (syn && opts !== null && optLen > 0) this.options(fwd, opts, optOff, optLen);
    this.handshake(isOrig, syn, hasAck, rst, tsUs);
    this.wireshark(fwd, rev, seq, ack, flags, syn, fin, rst, hasAck, window >>> 0, len, tsUs);
    this.zeek(fwd, rev, isOrig, seq, ack, syn, fin, rst, hasAck, window >>> 0, len);
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
    let history = '';
    for (let i = 0; i < this.histLen; i++) history += String.fromCharCode(this.hist[i]);
    return {
      originator: o.report(),
      responder: r.report(),
      rttMs: this.synAckRtt < 0 ? null : { synToSynAck: this.synAckRtt / 1000, synAckToAck: this.ackRtt < 0 ? null : this.ackRtt / 1000 },
      initialRttMs: this.tsFirstRtt === 0 ? null : this.tsFirstRtt / 1000,
      history,
      historyDropped: this.histDropped,
      connState: this.connState(o, r, history),
    };
  }

  // -------------------------------------------------------------------------------------

  /** MSS (kind 2) and window scale (kind 3), parsed as Zeek does, bounded by optLen. */
  private options(side: TcpSide, b: Uint8Array, off: number, n: number): void {
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

  private handshake(isOrig: boolean, syn: boolean, hasAck: boolean, rst: boolean, ts: number): void {
    if (syn && !hasAck && isOrig) this.lastSynTs = ts;
    else if (syn && hasAck && !isOrig) {
      if (this.synAckRtt < 0 && this.lastSynTs >= 0) this.synAckRtt = ts - this.lastSynTs;
      this.lastSynAckTs = ts;
    } else if (!syn && hasAck && !rst && isOrig && this.ackRtt < 0 && this.lastSynAckTs >= 0) this.ackRtt = ts - this.lastSynAckTs;
  }

  /** tcp_analyze_sequence_number() and the conversation bits of dissect_tcp() around it. */
  private wireshark(fwd: TcpSide, rev: TcpSide, seq: number, ack: number, flags: number, syn: boolean, fin: boolean, rst: boolean, hasAck: boolean, window: number, len: number, now: number): void {
    if (syn && !hasAck && fwd.wBaseSet) {
      if (seq !== fwd.wBase) {
        // A bare SYN with another ISN than this side's base: a new conversation (ports reused).
        fwd.resetAnalysis();
        rev.resetAnalysis();
        this.haveMruSyn = false;
        this.tsMruSyn = 0;
        this.tsFirstRtt = 0;
      } else {
        // The same SYN again: undo what a RST (seq = the ACK received) did to nextseq.
        fwd.nextseq = fwd.maxseqtobeacked;
      }
    } else if (syn && hasAck && fwd.wBaseSet && seq !== fwd.wBase) fwd.wBase = seq;
    if (!fwd.wBaseSet) {
      fwd.wBase = syn ? seq : (seq - 1) >>> 0;
      fwd.wBaseSet = true;
    }
    if (!rev.wBaseSet && hasAck) {
      rev.wBase = (ack - 1) >>> 0;
      rev.wBaseSet = true;
    }
    const sfr = flags & (TCP_SYN | TCP_FIN | TCP_RST);
    let af = 0;
    if (len === 1 && seq === fwd.nextseq && rev.window === 0) {
      af |= A_ZWP;
    } else {
      if (window === 0 && sfr === 0) af |= A_ZW;
      if (fwd.nextseq !== 0 && sd(seq, fwd.nextseq) > 0 && !rst) af |= A_LOST;
      if (len <= 1 && seq === ((fwd.nextseq - 1) >>> 0) && sfr === 0) af |= A_KA;
      const sameAck = len === 0 && window === fwd.window && seq === fwd.nextseq && ack === fwd.lastack && sfr === 0;
      if (sameAck && window !== 0 && (rev.lastFlags & A_KA) !== 0) af |= A_KA_ACK;
      else if (sameAck && window === 0 && (rev.lastFlags & A_ZWP) !== 0) af |= A_ZWP_ACK;
      else if (sameAck && window !== 0) {
        fwd.dupacknum = fwd.dupacknum === -1 ? 1 : fwd.dupacknum + 1;
        af |= A_DUPACK;
      }
    }
    if (ack !== fwd.lastack) fwd.dupacknum = 0;
    if (rev.maxseqtobeacked !== 0 && sd(ack, rev.maxseqtobeacked) > 0 && hasAck) {
      if (sd(rev.maxseqtobeacked, rev.nextseq) < 0) {
        rev.maxseqtobeacked = rev.nextseq;
        af |= A_ACK_LOST;
      } else {
        if (rev.dupacknum === 0) af |= A_ACK_LOST;
        rev.dupacknum = -1;
      }
    }
    const synFin = syn || fin;
    if ((len > 0 || synFin) && (af & A_KA) === 0) {
      let notAdvanced = fwd.nextseq !== 0 && sd(seq, fwd.nextseq) < 0;
      if (len > 1 && ((fwd.nextseq - 1) >>> 0) === seq) notAdvanced = false;
      if (len > 0 && rev.lastack !== 0 && sd((seq + len) >>> 0, rev.lastack) <= 0) {
        af |= A_SPURIOUS;
      } else {
        // Timestamps going backwards make Wireshark's unsigned delta huge: never "within".
        const tAck = now - rev.lastackTime;
        const tSeq = now - fwd.nextseqTime;
        const oooThres = this.tsFirstRtt === 0 ? OOO_DEFAULT_US : this.tsFirstRtt;
        if (notAdvanced && rev.dupacknum >= 2 && rev.lastack === seq && tAck >= 0 && tAck < FAST_RETRANS_US) af |= A_FAST;
        else if (notAdvanced && tSeq >= 0 && tSeq < oooThres && fwd.nextseq !== ((seq + len + (synFin ? 1 : 0)) >>> 0)) af |= A_OOO;
        else if (notAdvanced) af |= A_RETRANS;
      }
    }
    let nextseq = (seq + len) >>> 0;
    if ((len > 0 || synFin) && synFin) nextseq = (nextseq + 1) >>> 0;
    if ((sd(nextseq, fwd.nextseq) > 0 || fwd.nextseq === 0) && (af & A_ZWP) === 0) {
      fwd.nextseq = nextseq;
      fwd.nextseqTime = now;
    }
    if ((seq === fwd.maxseqtobeacked || fwd.maxseqtobeacked === 0) && (af & A_ZWP) === 0) fwd.maxseqtobeacked = fwd.nextseq;
    fwd.window = window;
    fwd.lastack = ack;
    fwd.lastackTime = now;
    fwd.lastFlags = af;
    this.lastAf = af;

    if (af & A_ZWP) fwd.zwp++;
    if (af & A_ZW) fwd.zeroWin++;
    if (af & A_KA) fwd.keepAlives++;
    if (af & A_DUPACK) fwd.dupAcks++;
    if (af & A_SPURIOUS) fwd.spurious++;
    if (af & A_FAST) fwd.fast++;
    if (af & A_OOO) fwd.ooo++;
    if (af & A_RETRANS) fwd.retrans++;
    if (af & A_LOST) fwd.lostSeg++;
    if (af & A_ACK_LOST) fwd.ackedUnseen++;

    // dissect_tcp() after the analysis: the most recent SYN, and the first RTT from it to
    // the first pure ACK (used above as the out-of-order threshold).
    if (syn && !hasAck) {
      this.tsMruSyn = now;
      this.haveMruSyn = true;
    }
    if (hasAck && !syn && this.haveMruSyn && this.tsMruSyn !== 0 && this.tsFirstRtt === 0) this.tsFirstRtt = now - this.tsMruSyn;
  }

  /** TCPSessionAdapter::Process() as far as history, states and sizes go. */
  private zeek(ep: TcpSide, peer: TcpSide, isOrig: boolean, seq: number, ack: number, syn: boolean, fin: boolean, rst: boolean, hasAck: boolean, window: number, len: number): void {
    let segLen = len + (syn ? 1 : 0) + (fin ? 1 : 0);
    if (rst) segLen -= len;
    const last = (seq + segLen) >>> 0;

    // init_endpoint
    switch (ep.zState) {
      case Z_INACTIVE:
        if (syn) {
          ep.zStart = ep.zAck = seq;
          ep.zLast = last;
        } else {
          // a partial connection: numbered as if a SYN preceded, and its first packet is
          // not a retransmission
          ep.zStart = ep.zAck = (seq - 1) >>> 0;
          ep.zLast = seq;
        }
        break;
      case Z_SYN_SENT:
      case Z_SYN_ACK_SENT:
        if (syn && seq !== ep.zStart) {
          ep.zStart = ep.zAck = seq;
          ep.zLast = last;
        }
        break;
      case Z_ESTABLISHED:
      case Z_PARTIAL:
        if (syn) {
          ep.zStart = ep.zAck = seq;
          ep.zLast = last;
        }
        break;
      case Z_RESET:
        if (syn && ep.zPrev === Z_INACTIVE) {
          ep.zStart = ep.zAck = seq;
          ep.zLast = last;
        }
        break;
    }
    const relSeq = (seq - ep.zStart) >>> 0;
    const underflow = sd(seq, ep.zStart) < 0;

    this.updateHistory(ep, isOrig, syn, fin, rst, hasAck, relSeq, len);
    // update_window: zero windows (scaling never makes a zero non-zero)
    if (window === 0 && !rst && peer.zState !== Z_CLOSED && ep.zState !== Z_RESET) {
      if (++ep.win0Cnt === ep.win0Thresh) this.scaled(ep, isOrig, 0x57 /* W */, 1);
    }
    if (fin) {
      ep.finCnt++;
      ep.finSeq = (relSeq + segLen) >>> 0;
    }
    if (rst) ep.rstCnt++;

    let relAck = 0;
    if (hasAck) {
      if (peer.zState === Z_INACTIVE) {
        relAck = 1;
        peer.zStart = peer.zAck = peer.zLast = (ack - 1) >>> 0;
      } else if (sd(ack, peer.zStart) < 0) {
        relAck = 0; // TCP_ack_underflow_or_misorder
      } else {
        relAck = (ack - peer.zStart) >>> 0;
        if (!rst) {
          const d = sd(ack, peer.zAck);
          if (!(ack === 0 && d > TOO_LARGE_SEQ_DELTA) && d > 0) peer.zAck = ack;
        }
      }
    }

    // update_last_seq
    const deltaLast = sd(last, ep.zLast);
    if ((syn || rst) && (deltaLast > TOO_LARGE_SEQ_DELTA || deltaLast < -TOO_LARGE_SEQ_DELTA)) {
      // untrusted jump
    } else if (fin && ep.zLast === ((ep.zStart + 1) >>> 0)) ep.zLast = last;
    else if (ep.zState === Z_RESET) {
      // nothing after a RST is trusted
    } else if (deltaLast > 0) ep.zLast = last;
    else if (len > 0) {
      if (++ep.rxmtCnt === ep.rxmtThresh) this.scaled(ep, isOrig, 0x54 /* T */, 0);
    }

    this.stateMachine(ep, peer, isOrig, seq, syn, fin, rst, hasAck, len);

    if (hasAck) this.ackReceived(peer, !isOrig, relAck);
    if (len > 0 && !rst && !underflow) this.dataSent(ep, syn ? (relSeq + 1) >>> 0 : relSeq, len);
  }

  private stateMachine(ep: TcpSide, peer: TcpSide, isOrig: boolean, seq: number, syn: boolean, fin: boolean, rst: boolean, hasAck: boolean, len: number): void {
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

  private updateHistory(ep: TcpSide, isOrig: boolean, syn: boolean, fin: boolean, rst: boolean, hasAck: boolean, relSeq: number, len: number): void {
    const bits = (syn ? 1 : 0) + (fin ? 1 : 0) + (rst ? 1 : 0);
    if (bits > 1) {
      if (fin && rst) this.check(isOrig, H_FIN_RST, 0x49 /* I */);
      else this.check(isOrig, H_MULTI, 0x51 /* Q */);
    } else if (bits === 1) {
      if (syn) {
        const code = hasAck ? 0x48 /* H */ : 0x53; /* S */
        if (this.check(isOrig, H_SYN, code) && relSeq !== ep.lastSyn) this.add(isOrig, code);
        ep.lastSyn = relSeq;
      }
      if (fin) {
        const at = (relSeq + len) >>> 0;
        if (this.check(isOrig, H_FIN, 0x46 /* F */) && at !== ep.lastFin) this.add(isOrig, 0x46);
        ep.lastFin = at;
      }
      if (rst) {
        if (this.check(isOrig, H_RST, 0x52 /* R */) && relSeq !== ep.lastRst) this.add(isOrig, 0x52);
        ep.lastRst = relSeq;
      }
    } else if (len > 0) this.check(isOrig, H_DATA, 0x44 /* D */);
    else if (hasAck) this.check(isOrig, H_ACK, CH_A);
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

  /** ScaledHistoryEntry: the letter at 1, 10, 100... events (counter already bumped). */
  private scaled(ep: TcpSide, isOrig: boolean, code: number, which: number): void {
    this.add(isOrig, code);
    if (which === 0) ep.rxmtThresh *= 10;
    else if (which === 1) ep.win0Thresh *= 10;
    else ep.gapThresh *= 10;
  }

  /**
   * The peer acknowledged up to relative `relAck` of `ep`'s data: data acknowledged but
   * never seen is a content gap (TCP_Reassembler::AckReceived → Undelivered → Gap).
   */
  private ackReceived(ep: TcpSide, epIsOrig: boolean, relAck: number): void {
    let up = relAck;
    if (ep.finCnt > 0 && up >= ep.finSeq) up = ep.finSeq - 1;
    if (up <= ep.trim) return;
    ep.trim = up;
    if (up <= ep.reassem) return;
    if (up <= 2 && (ep.zState === Z_PARTIAL || ep.zState === Z_INACTIVE)) return;
    const peer = ep === this.side0 ? this.side1 : this.side0;
    const clean = isClean(ep) && isClean(peer);
    if (ep.oooHi > ep.oooLo && ep.oooLo < up) {
      // the hole before the held range, then the held range is delivered
      if (clean) this.gap(ep, epIsOrig);
      ep.reassem = ep.oooHi;
      ep.oooLo = ep.oooHi = 0;
    }
    if (up > ep.reassem) {
      if (clean) this.gap(ep, epIsOrig);
      ep.reassem = up;
    }
  }

  private gap(ep: TcpSide, isOrig: boolean): void {
    if (++ep.gapCnt === ep.gapThresh) this.scaled(ep, isOrig, 0x47 /* G */, 2);
  }

  /** TCP_Reassembler::DataSent, with one held out-of-order range instead of a block list. */
  private dataSent(ep: TcpSide, rel: number, len: number): void {
    const acked = (ep.zAck - ep.zStart) >>> 0;
    let lo = rel;
    const hi = rel + len;
    if (lo < acked) {
      if (hi <= acked) return;
      lo = acked;
    }
    if (lo <= ep.reassem) {
      if (hi > ep.reassem) ep.reassem = hi;
      if (ep.oooHi > ep.oooLo && ep.oooLo <= ep.reassem) {
        if (ep.oooHi > ep.reassem) ep.reassem = ep.oooHi;
        ep.oooLo = ep.oooHi = 0;
      }
    } else if (ep.oooHi > ep.oooLo) {
      if (lo < ep.oooLo) ep.oooLo = lo;
      if (hi > ep.oooHi) ep.oooHi = hi;
    } else {
      ep.oooLo = lo;
      ep.oooHi = hi;
    }
  }

  /** base/protocols/conn/main.zeek conn_state() for TCP. */
  private connState(o: TcpSide, r: TcpSide, history: string): ZeekConnState {
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
}

/** Zeek's is_clean(): established, or closed after being established. */
function isClean(e: TcpSide): boolean {
  return e.zState === Z_ESTABLISHED || (e.zState === Z_CLOSED && e.zPrev === Z_ESTABLISHED);
}
