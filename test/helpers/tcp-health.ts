// TCP health of one flow, for tests: a one-block arena behind the flat functions the
// conversation store calls (src/flow/tcp-health.ts). Feed every TCP packet in capture
// order with packet().
import { TcpArena, setTcpClock, tcpLastAnalysis, tcpOpen, tcpResult, tcpSegment, type TcpHealthReport } from '../../src/flow/tcp-health.js';

export class TcpHealth {
  /** Which direction (0/1 as the caller numbers them) is Zeek's originator (the client). */
  readonly originator: number;
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;

  constructor(originator = 0) {
    this.originator = originator === 1 ? 1 : 0;
    const a = new TcpArena(1);
    this.i32 = a.i32;
    this.f64 = a.f64;
    tcpOpen(this.i32, this.f64, 0, this.originator);
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
    setTcpClock(tsUs);
    tcpSegment(this.i32, this.f64, 0, dir, seq, ack, flags, window, payloadLen, opts, optOff, optLen);
  }

  /** The TCPA_* flags Wireshark's analysis gave the last packet passed (0: none). */
  get lastAnalysis(): number {
    return tcpLastAnalysis(this.i32, 0);
  }

  result(): TcpHealthReport {
    return tcpResult(this.i32, this.f64, 0);
  }
}
