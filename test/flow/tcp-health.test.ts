// TcpHealth: Wireshark's TCP analysis counters per frame and per flow against tshark 4.0
// (figures recorded in fixtures/tshark-expected.json by fixtures/make-captures.sh), and
// Zeek's history / conn_state on scripted conversations (Zeek's own btest baselines where
// they exist, otherwise derived from its TCP analyzer source).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  TCPA_ACK_LOST_SEGMENT,
  TCPA_ANY_RETRANSMISSION,
  TCPA_DUPLICATE_ACK,
  TCPA_FAST_RETRANSMISSION,
  TCPA_KEEP_ALIVE,
  TCPA_LOST_SEGMENT,
  TCPA_OUT_OF_ORDER,
  TCPA_SPURIOUS_RETRANSMISSION,
  TCPA_RETRANSMISSION,
  TCPA_ZERO_WINDOW,
  TCPA_ZERO_WINDOW_PROBE,
  TCP_USER_D0,
  TCP_USER_D1,
  TCP_USER_D2,
  TCP_USER_D3,
  TCP_USER_W0,
  TCP_USER_W1,
  TCP_USER_W2,
  TcpArena,
  setTcpClock,
  tcpLastAnalysis,
  tcpOpen,
  tcpResult,
  tcpSegment,
  type TcpHealthReport,
  type TcpSideReport,
} from '../../src/flow/tcp-health.js';
import { REPO, SHARED } from '../helpers/shared.js';
import { TcpHealth } from '../helpers/tcp-health.js';
import { captureUnusable, readTcpSegments, tcpFlows, type TcpFlow } from '../helpers/tcp-capture.js';

const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const PSH = 0x08;
const ACK = 0x10;

/**
 * A scripted conversation: direction 0 is the originator. Sequence and acknowledgement
 * numbers follow what each side sent unless a packet says otherwise.
 */
class Conv {
  readonly h: TcpHealth;
  t = 0;
  readonly next = [1000, 500000];
  constructor(originator = 0) {
    this.h = new TcpHealth(originator);
  }
  send(dir: number, flags: number, len = 0, o: { seq?: number; ack?: number; win?: number; dt?: number; opts?: number[] } = {}): number {
    this.t += o.dt ?? 100;
    const seq = o.seq ?? this.next[dir];
    const ack = o.ack ?? this.next[1 - dir];
    const opts = o.opts ? Uint8Array.from(o.opts) : null;
    this.h.packet(dir, seq, ack, flags, o.win ?? 1000, len, this.t, opts, 0, opts ? opts.length : 0);
    const end = (seq + len + (flags & SYN ? 1 : 0) + (flags & FIN ? 1 : 0)) >>> 0;
    if (((end - this.next[dir]) | 0) > 0 && !(flags & RST)) this.next[dir] = end;
    return this.h.lastAnalysis;
  }
  handshake(): this {
    this.send(0, SYN);
    this.send(1, SYN | ACK);
    this.send(0, ACK);
    return this;
  }
  get r(): TcpHealthReport {
    return this.h.result();
  }
}

describe('Zeek history and conn_state', () => {
  // testing/btest/Baseline/scripts.base.protocols.conn.conn_state-RST-behavior/out in
  // zeek/zeek: "R, OTH", "SR, RSTOS0", "SaR, RSTOS0", "SaFR, OTH" for single-rst,
  // syn-then-rst, syn-then-ack-then-rst and syn-then-stuff-then-rst.
  it('Zeek baseline: a lone RST is OTH', () => {
    const c = new Conv();
    c.send(0, RST);
    expect([c.r.history, c.r.connState]).toEqual(['R', 'OTH']);
  });
  it('Zeek baseline: SYN then RST is RSTOS0', () => {
    const c = new Conv();
    c.send(0, SYN);
    c.send(0, RST);
    expect([c.r.history, c.r.connState]).toEqual(['SR', 'RSTOS0']);
  });
  it('Zeek baseline: SYN, an ACK from the responder, RST is RSTOS0', () => {
    const c = new Conv();
    c.send(0, SYN);
    c.send(1, ACK);
    c.send(0, RST);
    expect([c.r.history, c.r.connState]).toEqual(['SaR', 'RSTOS0']);
  });
  it('Zeek baseline: SYN, ACK, FIN, RST is OTH', () => {
    const c = new Conv();
    c.send(0, SYN);
    c.send(1, ACK);
    c.send(0, FIN | ACK);
    c.send(0, RST);
    expect([c.r.history, c.r.connState]).toEqual(['SaFR', 'OTH']);
  });

  it('a normal exchange and close is ShADadFf, SF', () => {
    const c = new Conv().handshake();
    c.send(0, PSH | ACK, 20);
    c.send(1, ACK);
    c.send(1, PSH | ACK, 40);
    c.send(0, FIN | ACK);
    c.send(1, FIN | ACK);
    c.send(0, ACK);
    expect([c.r.history, c.r.connState]).toEqual(['ShADadFf', 'SF']);
  });

  it('rejected (RST answering the SYN) is Sr, REJ', () => {
    const c = new Conv();
    c.send(0, SYN);
    c.send(1, RST | ACK);
    expect([c.r.history, c.r.connState]).toEqual(['Sr', 'REJ']);
  });

  it('unanswered SYNs are S, S0; the repeated SYNs are retransmissions for Wireshark', () => {
    const c = new Conv();
    c.send(0, SYN);
    c.send(0, SYN, 0, { seq: 1000, dt: 1_000_000 });
    c.send(0, SYN, 0, { seq: 1000, dt: 2_000_000 });
    expect([c.r.history, c.r.connState]).toEqual(['S', 'S0']);
    expect(c.r.originator.retransmissions).toBe(2);
  });

  it('each ending gets its state', () => {
    const est = (): Conv => {
      const c = new Conv().handshake();
      c.send(0, PSH | ACK, 10);
      c.send(1, ACK);
      return c;
    };
    let c = est();
    expect([c.r.history, c.r.connState]).toEqual(['ShADa', 'S1']);
    c = est();
    c.send(0, RST | ACK);
    expect([c.r.history, c.r.connState]).toEqual(['ShADaR', 'RSTO']);
    c = est();
    c.send(1, RST | ACK);
    expect([c.r.history, c.r.connState]).toEqual(['ShADar', 'RSTR']);
    c = est();
    c.send(0, FIN | ACK);
    c.send(1, ACK);
    expect([c.r.history, c.r.connState]).toEqual(['ShADaF', 'S2']);
    c = est();
    c.send(1, FIN | ACK);
    expect([c.r.history, c.r.connState]).toEqual(['ShADaf', 'S3']);
    c = new Conv();
    c.send(0, SYN);
    c.send(0, FIN);
    expect([c.r.history, c.r.connState]).toEqual(['SF', 'SH']);
    c = new Conv();
    c.send(1, SYN | ACK);
    c.send(1, FIN | ACK);
    expect([c.r.history, c.r.connState]).toEqual(['hf', 'SHR']);
    c = new Conv();
    c.send(1, SYN | ACK);
    c.send(1, RST);
    expect([c.r.history, c.r.connState]).toEqual(['hr', 'RSTRH']);
    c = new Conv();
    c.send(0, PSH | ACK, 10);
    c.send(1, ACK);
    expect([c.r.history, c.r.connState]).toEqual(['Da', 'OTH']);
    // FIN+RST is inconsistent (I), SYN+FIN a multi-flag packet (Q)
    c = new Conv();
    c.send(0, SYN | FIN);
    c.send(1, FIN | RST);
    expect(c.r.history).toEqual('Qi');
  });

  it('T, W and G are logged at the 1st, 10th, 100th... event', () => {
    const c = new Conv().handshake();
    c.send(0, PSH | ACK, 100);
    c.send(1, ACK);
    for (let i = 0; i < 12; i++) c.send(0, PSH | ACK, 100, { seq: 1001 }); // the same segment again
    expect(c.r.history).toBe('ShADaTT');
    expect(c.r.originator.retransmissions).toBe(12);
    for (let i = 0; i < 10; i++) c.send(1, ACK, 0, { win: 0 });
    expect(c.r.history).toBe('ShADaTTww');
    expect(c.r.responder.zeroWindows).toBe(10);
  });

  it('bytes acknowledged but never seen are a content gap (G)', () => {
    const c = new Conv().handshake();
    c.send(0, PSH | ACK, 10);
    c.send(0, PSH | ACK, 10, { seq: 1021 }); // 1011..1020 never seen
    c.send(1, ACK, 0, { ack: 1031 });
    expect(c.r.history).toBe('ShADaG');
    expect(c.r.originator.lostSegments).toBe(1);
  });

  it('a held out-of-order range filled before the ACK is no gap; one ACKed past while a hole is left is one', () => {
    const c = new Conv().handshake();
    c.send(0, PSH | ACK, 10); // 1001..1010
    c.send(0, PSH | ACK, 10, { seq: 1021 }); // 1021..1030 held (1011..1020 not seen yet)
    c.send(0, PSH | ACK, 10, { seq: 1031 }); // the held range grows
    c.send(0, PSH | ACK, 10, { seq: 1011 }); // the hole filled: all delivered
    c.send(1, ACK, 0, { ack: 1041 });
    expect(c.r.history).toBe('ShADTa'); // the late segment is Zeek's retransmission (T), not a gap
    c.send(0, PSH | ACK, 10, { seq: 1051 }); // held again, 1041..1050 never seen
    c.send(1, ACK, 0, { ack: 1061 });
    expect(c.r.history).toBe('ShADTaG');
  });

  it("the owner's words (TCP_USER_*) are its own: junk written there at every packet changes nothing", () => {
    const owned = [TCP_USER_W0, TCP_USER_W1, TCP_USER_W2];
    const ownedD = [TCP_USER_D0, TCP_USER_D1, TCP_USER_D2, TCP_USER_D3];
    const run = (junk: boolean): TcpHealthReport => {
      const a = new TcpArena(1);
      tcpOpen(a.i32, a.f64, 0, 0);
      let t = 1.7e15;
      const seg = (dir: number, seq: number, ack: number, flags: number, len: number): void => {
        if (junk) {
          for (const w of owned) a.i32[w] = 0x7fff0000 | ((t / 100) & 0xffff);
          for (const d of ownedD) a.f64[d] = t;
        }
        setTcpClock((t += 1000));
        tcpSegment(a.i32, a.f64, 0, dir, seq, ack, flags, 1000, len, null, 0, 0);
      };
      seg(0, 1000, 0, SYN, 0);
      seg(1, 5000, 1001, SYN | ACK, 0);
      seg(0, 1001, 5001, ACK, 0);
      // out of order, a hole filled late, a retransmission, a hole never filled, both ways
      seg(0, 1001, 5001, PSH | ACK, 100);
      seg(0, 1201, 5001, PSH | ACK, 100);
      seg(0, 1101, 5001, PSH | ACK, 100);
      seg(1, 5001, 1301, ACK, 0);
      seg(0, 1101, 5001, PSH | ACK, 100);
      seg(1, 5101, 1301, PSH | ACK, 50);
      seg(1, 5001, 1301, PSH | ACK, 100);
      seg(0, 1401, 5151, PSH | ACK, 100);
      seg(1, 5151, 1501, ACK, 0);
      seg(0, 1501, 5151, FIN | ACK, 0);
      seg(1, 5151, 1502, FIN | ACK, 0);
      return tcpResult(a.i32, a.f64, 0);
    };
    const plain = run(false);
    expect(plain.history).toContain('G');
    expect(run(true)).toEqual(plain);
  });

  it('the history buffer is bounded', () => {
    const c = new Conv();
    c.send(0, SYN);
    for (let i = 0; i < 80; i++) c.send(1, RST, 0, { seq: 7000 + i * 10 });
    const r = c.r;
    expect(r.history.length).toBe(64);
    expect(r.historyDropped).toBe(80 + 2 - 64 - 1);
  });
});

describe('Wireshark analysis on scripted packets', () => {
  it('three duplicate ACKs, then the missing segment: fast retransmission', () => {
    const c = new Conv().handshake();
    c.send(0, ACK, 100); // 1001
    c.send(0, ACK, 100, { seq: 1201 }); // 1101..1200 lost
    const flags: number[] = [];
    for (let i = 0; i < 3; i++) {
      c.send(0, ACK, 100);
      flags.push(c.send(1, ACK, 0, { ack: 1101, dt: 10 }));
    }
    expect(flags.map((f) => (f & TCPA_DUPLICATE_ACK) !== 0)).toEqual([false, true, true]);
    const f = c.send(0, ACK, 100, { seq: 1101, dt: 10 });
    expect(f & TCPA_FAST_RETRANSMISSION).toBeTruthy();
    const r = c.r;
    expect(r.originator).toMatchObject({ retransmissions: 1, fastRetransmissions: 1, lostSegments: 1, dataSegments: 6, maxSegment: 100 });
    expect(r.responder.duplicateAcks).toBe(2);
  });

  it('a segment already acknowledged is a spurious retransmission', () => {
    const c = new Conv().handshake();
    c.send(0, ACK, 100);
    c.send(1, ACK);
    expect(c.send(0, ACK, 100, { seq: 1001, dt: 500_000 }) & TCPA_SPURIOUS_RETRANSMISSION).toBeTruthy();
    expect(c.r.originator).toMatchObject({ retransmissions: 1, spuriousRetransmissions: 1 });
  });

  it('a handshake whose timestamps go back (merged captures) has RTTs of 0, not none', () => {
    const c = new Conv();
    c.send(0, SYN, 0, { dt: 1000 });
    c.send(1, SYN | ACK, 0, { dt: -500 });
    c.send(0, ACK, 0, { dt: -200 });
    expect(c.r.rttMs).toEqual({ synToSynAck: 0, synAckToAck: 0 });
  });

  it('a retransmitted SYN counts as a retransmission (as tshark counts it) but not as a data retransmission', () => {
    const c = new Conv();
    c.send(0, SYN);
    expect(c.send(0, SYN, 0, { seq: 1000, dt: 1_000_000 }) & TCPA_RETRANSMISSION).toBeTruthy();
    c.send(1, SYN | ACK);
    c.send(0, ACK);
    c.send(0, ACK, 100);
    expect(c.r.originator).toMatchObject({ retransmissions: 1, dataRetransmissions: 0, dataSegments: 1 });
  });

  it('keep-alives and zero-window probes are not retransmissions', () => {
    const c = new Conv().handshake();
    c.send(0, ACK, 100);
    c.send(1, ACK);
    expect(c.send(0, ACK, 0, { seq: 1100 }) & TCPA_KEEP_ALIVE).toBeTruthy();
    expect(c.send(1, ACK, 0, { win: 0 }) & TCPA_ZERO_WINDOW).toBeTruthy();
    expect(c.send(0, ACK, 1) & TCPA_ZERO_WINDOW_PROBE).toBeTruthy();
    const r = c.r;
    expect(r.originator).toMatchObject({ retransmissions: 0, keepAlives: 1, zeroWindowProbes: 1 });
    expect(r.responder.zeroWindows).toBe(1);
  });

  it('a SYN with a new ISN starts over (ports reused): not a retransmission', () => {
    const c = new Conv().handshake();
    c.send(0, FIN | ACK);
    c.send(1, FIN | ACK);
    c.send(0, ACK);
    c.next[0] = 900000;
    c.next[1] = 77;
    expect(c.send(0, SYN) & TCPA_ANY_RETRANSMISSION).toBe(0);
    expect(c.send(0, SYN, 0, { seq: 900000 }) & TCPA_ANY_RETRANSMISSION).toBeTruthy();
  });

  it('MSS and window scale from the SYN and SYN-ACK options; absent ones are null', () => {
    const c = new Conv();
    c.send(0, SYN, 0, { opts: [2, 4, 0x05, 0xb4, 1, 3, 3, 7, 4, 2, 0] });
    c.send(1, SYN | ACK, 0, { opts: [2, 4, 0x02, 0x18, 0] });
    expect(c.r.originator).toMatchObject({ mss: 1460, windowScale: 7 });
    expect(c.r.responder).toMatchObject({ mss: 536, windowScale: null });
    // malformed option lists end the walk, never loop
    for (const bad of [[2, 0, 1, 1], [3, 1], [2, 9, 0], [1, 1, 1, 2]]) {
      const d = new Conv();
      d.send(0, SYN, 0, { opts: bad });
      expect(d.r.originator.mss).toBeNull();
    }
  });

  it('handshake RTT, split at the SYN-ACK, from the latest SYN', () => {
    const c = new Conv();
    c.send(0, SYN, 0, { dt: 1 });
    c.send(0, SYN, 0, { seq: 1000, dt: 1_000_000 });
    c.send(1, SYN | ACK, 0, { dt: 300 });
    c.send(0, ACK, 0, { dt: 150 });
    expect(c.r).toMatchObject({ rttMs: { synToSynAck: 0.3, synAckToAck: 0.15 }, initialRttMs: 0.45 });
    const none = new Conv();
    none.send(0, PSH | ACK, 10);
    expect(none.r).toMatchObject({ rttMs: null, initialRttMs: null });
  });

  it('direction 1 can be the originator', () => {
    const c = new Conv(1);
    c.send(1, SYN);
    c.send(0, SYN | ACK);
    c.send(1, ACK);
    expect(c.r.history).toBe('ShA');
    expect(c.r.originator.packets).toBe(2);
  });
});

describe('long conversations, any sequence numbers, real timestamps', () => {
  /** [dir, seq, ack, flags, window, len, t]: seq relative to the sender's ISN, ack to the peer's, t in µs from 0. */
  type Pkt = [number, number, number, number, number, number, number];

  /**
   * A long conversation: mostly in-order data and ACKs in both directions, with, six
   * times over, a lost segment and its fast retransmission after three duplicate ACKs,
   * reordering, a retransmission and a spurious one, a zero window with a probe, a
   * keep-alive, and bytes acknowledged but never seen; then FIN, FIN, ACK.
   */
  function longConversation(seed: number): Pkt[] {
    const out: Pkt[] = [];
    const next = [0, 0];
    let t = 0;
    let r = seed >>> 0;
    const random = (n: number): number => {
      r = (Math.imul(r, 1103515245) + 12345) >>> 0;
      return (r >>> 8) % n;
    };
    const send = (dir: number, flags: number, len = 0, o: { seq?: number; ack?: number; win?: number; dt?: number } = {}): void => {
      t += o.dt ?? 1 + random(400);
      const seq = o.seq ?? next[dir];
      out.push([dir, seq, o.ack ?? next[1 - dir], flags, o.win ?? 4000, len, t]);
      const end = seq + len + (flags & SYN ? 1 : 0) + (flags & FIN ? 1 : 0);
      if (end > next[dir] && !(flags & RST)) next[dir] = end;
    };
    send(0, SYN);
    send(1, SYN | ACK);
    send(0, ACK);
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 40; i++) {
        const dir = random(4) === 0 ? 1 : 0;
        send(dir, PSH | ACK, 1 + random(1448));
        if (random(2) === 0) send(1 - dir, ACK);
      }
      const lost = next[0];
      send(0, ACK, 1000, { seq: lost + 1000 });
      for (let i = 0; i < 3; i++) send(1, ACK, 0, { ack: lost, dt: 10 });
      send(0, ACK, 1000, { seq: lost, dt: 10 });
      send(1, ACK);
      const ahead = next[1];
      send(1, PSH | ACK, 500, { seq: ahead + 500 });
      send(1, PSH | ACK, 500, { seq: ahead, dt: 50 });
      send(0, ACK);
      send(0, PSH | ACK, 300);
      send(0, PSH | ACK, 300, { seq: next[0] - 300, dt: 300_000 });
      send(1, ACK);
      send(0, PSH | ACK, 300, { seq: next[0] - 300, dt: 300_000 });
      send(1, ACK, 0, { win: 0 });
      const probe = next[0];
      send(0, ACK, 1);
      send(1, ACK, 0, { win: 0, ack: probe });
      send(1, ACK, 0, { ack: probe });
      send(0, ACK, 1, { seq: probe });
      send(0, ACK, 0, { seq: next[0] - 1, dt: 100_000 });
      send(1, ACK);
      next[0] += 2000;
      send(1, ACK);
      send(0, PSH | ACK, 100);
    }
    send(0, FIN | ACK);
    send(1, FIN | ACK);
    send(0, ACK);
    return out;
  }

  /** The conversation with these ISNs and first timestamp: every packet's flags and the report. */
  function analyse(pkts: Pkt[], isn: [number, number], t0: number): { flags: number[]; report: TcpHealthReport } {
    const h = new TcpHealth(0);
    const flags: number[] = [];
    for (const [dir, seq, ack, fl, win, len, t] of pkts) {
      const s = (isn[dir] + seq) >>> 0;
      const a = (isn[1 - dir] + ack) >>> 0;
      // 0 is "unset" in Wireshark's analysis: keep the shifted numbers away from it
      expect(s !== 0 && a !== 0 && ((s + len + 1) >>> 0) > 1).toBe(true);
      h.packet(dir, s, a, fl, win, len, t0 + t, null, 0, 0);
      flags.push(h.lastAnalysis);
    }
    return { flags, report: h.result() };
  }

  it('the same flags and report wherever the ISNs are (across 2^31 and 2^32) and whatever the epoch', () => {
    for (const seed of [1, 2, 3]) {
      const pkts = longConversation(seed);
      const small = analyse(pkts, [1000, 500_000], 1_000);
      const count = (flag: number): number => small.flags.filter((f) => f & flag).length;
      expect(count(TCPA_FAST_RETRANSMISSION)).toBeGreaterThan(0);
      expect(count(TCPA_DUPLICATE_ACK)).toBeGreaterThan(0);
      expect(count(TCPA_OUT_OF_ORDER)).toBeGreaterThan(0);
      expect(count(TCPA_SPURIOUS_RETRANSMISSION)).toBeGreaterThan(0);
      expect(count(TCPA_ZERO_WINDOW_PROBE)).toBeGreaterThan(0);
      expect(count(TCPA_KEEP_ALIVE)).toBeGreaterThan(0);
      expect(count(TCPA_ACK_LOST_SEGMENT)).toBeGreaterThan(0);
      for (const [isn, t0] of [
        [[0x7fff_f000, 0xffff_e000], 1_700_000_000_000_000],
        [[0xffff_f001, 0x7fff_ff00], 1_732_000_123_456_789],
        [[0xfff0_0000, 0xfff0_0000], 4_102_444_800_000_000],
      ] as [[number, number], number][]) {
        const big = analyse(pkts, isn, t0);
        expect(big.flags, `seed ${seed} ISNs ${isn} t0 ${t0}`).toEqual(small.flags);
        expect(big.report, `seed ${seed} ISNs ${isn} t0 ${t0}`).toEqual(small.report);
      }
    }
  });

  /** What the implementation checked against tshark before the rewrite for speed (c8d0ee4) gives for longConversation(7). */
  const LONG_EXPECTED = {
    // retransmission, fast, spurious, out of order, duplicate ACK, zero window, zero-window probe, keep-alive, lost segment, ACKed unseen
    flags: [18, 6, 6, 6, 13, 12, 6, 6, 18, 12],
    report: {
      originator: { packets: 264, payloadBytes: 150974, dataSegments: 222, maxSegment: 1435, retransmissions: 18, dataRetransmissions: 18, fastRetransmissions: 6, spuriousRetransmissions: 6, outOfOrder: 0, duplicateAcks: 0, zeroWindows: 0, zeroWindowProbes: 6, keepAlives: 6, lostSegments: 12, ackedUnseen: 0, mss: null, windowScale: null },
      responder: { packets: 233, payloadBytes: 55202, dataSegments: 78, maxSegment: 1414, retransmissions: 0, dataRetransmissions: 0, fastRetransmissions: 0, spuriousRetransmissions: 0, outOfOrder: 6, duplicateAcks: 13, zeroWindows: 12, zeroWindowProbes: 0, keepAlives: 0, lostSegments: 6, ackedUnseen: 12, mss: null, windowScale: null },
      rttMs: { synToSynAck: 0.016, synAckToAck: 0.289 },
      initialRttMs: 0.305,
      history: 'ShADadTtwGTwFf',
      historyDropped: 0,
      connState: 'SF',
    },
  };

  it('a long conversation: counts, history and state', () => {
    const { flags, report } = analyse(longConversation(7), [0xfffe_0000, 0x8000_0000], 1_700_000_000_000_000);
    const count = (flag: number): number => flags.filter((f) => f & flag).length;
    expect({
      flags: [TCPA_ANY_RETRANSMISSION, TCPA_FAST_RETRANSMISSION, TCPA_SPURIOUS_RETRANSMISSION, TCPA_OUT_OF_ORDER, TCPA_DUPLICATE_ACK, TCPA_ZERO_WINDOW, TCPA_ZERO_WINDOW_PROBE, TCPA_KEEP_ALIVE, TCPA_LOST_SEGMENT, TCPA_ACK_LOST_SEGMENT].map(count),
      report,
    }).toEqual(LONG_EXPECTED);
  });
});

// ---------------------------------------------------------------------------------------
// Captures against tshark 4.0.17

interface Expected {
  sha1: string;
  flags: Record<string, number[]>;
  streams: Record<string, { lastFrame: number; irtt: number | null }>;
  synOptions: Record<string, [number | null, number | null]>;
}
const FIXTURES = resolve(REPO, 'test/flow/fixtures');
const DOC = JSON.parse(readFileSync(resolve(FIXTURES, 'tshark-expected.json'), 'utf8')) as { tshark: string; captures: Record<string, Expected> };

const FIELDS: [string, number, keyof TcpSideReport][] = [
  ['tcp.analysis.retransmission', TCPA_ANY_RETRANSMISSION, 'retransmissions'],
  ['tcp.analysis.fast_retransmission', TCPA_FAST_RETRANSMISSION, 'fastRetransmissions'],
  ['tcp.analysis.spurious_retransmission', TCPA_SPURIOUS_RETRANSMISSION, 'spuriousRetransmissions'],
  ['tcp.analysis.out_of_order', TCPA_OUT_OF_ORDER, 'outOfOrder'],
  ['tcp.analysis.duplicate_ack', TCPA_DUPLICATE_ACK, 'duplicateAcks'],
  ['tcp.analysis.zero_window', TCPA_ZERO_WINDOW, 'zeroWindows'],
  ['tcp.analysis.zero_window_probe', TCPA_ZERO_WINDOW_PROBE, 'zeroWindowProbes'],
  ['tcp.analysis.keep_alive', TCPA_KEEP_ALIVE, 'keepAlives'],
  ['tcp.analysis.lost_segment', TCPA_LOST_SEGMENT, 'lostSegments'],
  ['tcp.analysis.ack_lost_segment', TCPA_ACK_LOST_SEGMENT, 'ackedUnseen'],
];

function capturePath(name: string): string {
  if (!name.includes('/')) return resolve(FIXTURES, `${name}.pcap`);
  if (name.startsWith('verdicts/')) return resolve(REPO, 'fixtures', name);
  return resolve(SHARED, 'captures', name);
}

interface Analysed {
  flow: TcpFlow;
  originator: number;
  report: TcpHealthReport;
  /** record -> TCPA flags */
  perFrame: Map<number, number>;
}

function analyse(flows: TcpFlow[]): Analysed[] {
  return flows.map((flow) => {
    const syn = flow.packets.find((p) => (p.seg.flags & (SYN | ACK)) === SYN);
    const originator = syn ? syn.dir : 0;
    const h = new TcpHealth(originator);
    const perFrame = new Map<number, number>();
    for (const { dir, seg } of flow.packets) {
      h.packet(dir, seg.seq, seg.ack, seg.flags, seg.window, seg.payloadLen, seg.tsUs, seg.options, 0, seg.options.length);
      perFrame.set(seg.record, h.lastAnalysis);
    }
    return { flow, originator, report: h.result(), perFrame };
  });
}

describe(`TcpHealth on captures vs ${DOC.tshark}`, () => {
  for (const name of Object.keys(DOC.captures)) {
    const path = capturePath(name);
    const why = captureUnusable(name, path, DOC.captures[name].sha1);
    it.skipIf(why !== null)(`${name}${why ? ` (${why})` : ''}: every tcp.analysis flag per frame, counts per flow and side, iRTT, MSS and window scale`, async () => {
      const exp = DOC.captures[name];
      const flows = analyse(tcpFlows(await readTcpSegments(path)));
      for (const [field, flag, key] of FIELDS) {
        const want = exp.flags[field].map((n) => n - 1).sort((a, b) => a - b);
        const got: number[] = [];
        for (const f of flows) for (const [rec, af] of f.perFrame) if (af & flag) got.push(rec);
        expect(got.sort((a, b) => a - b), `${name} ${field} (0-based records)`).toEqual(want);
        // the same per flow and side, through the report
        const wanted = new Set(want);
        for (const f of flows) {
          for (const side of [0, 1]) {
            const n = f.flow.packets.filter((p) => p.dir === side && wanted.has(p.seg.record)).length;
            const rep = side === f.originator ? f.report.originator : f.report.responder;
            expect(rep[key], `${name} ${f.flow.key} side ${side} ${key}`).toBe(n);
          }
        }
      }
      // iRTT of the tshark stream a flow ends with (after a port reuse, the last
      // connection's); tshark shows it only on frames with other analysis, so a stream
      // without one says nothing
      const lastFrames = new Map(Object.values(exp.streams).map((s) => [s.lastFrame, s.irtt]));
      let irtts = 0;
      for (const f of flows) {
        const irtt = lastFrames.get(f.flow.packets[f.flow.packets.length - 1].seg.record + 1);
        if (irtt === undefined || irtt === null) continue;
        expect(f.report.initialRttMs, `${f.flow.key} iRTT`).toBeCloseTo(irtt * 1000, 3);
        irtts++;
      }
      if (Object.values(exp.streams).some((s) => s.irtt !== null)) expect(irtts).toBeGreaterThan(0);
      // MSS and window scale: the first SYN / SYN-ACK of each side
      for (const f of flows) {
        for (const side of [0, 1]) {
          const first = f.flow.packets.find((p) => p.dir === side && (p.seg.flags & SYN) !== 0);
          if (first === undefined) continue;
          const [mss, ws] = exp.synOptions[String(first.seg.record + 1)];
          const rep = side === f.originator ? f.report.originator : f.report.responder;
          expect([rep.mss, rep.windowScale], `${f.flow.key} side ${side} SYN options`).toEqual([mss, ws]);
        }
      }
    });
  }

  it('the captures made here show what they were made for', async () => {
    const get = async (n: string): Promise<Analysed[]> => analyse(tcpFlows(await readTcpSegments(resolve(FIXTURES, `${n}.pcap`))));
    const [loss] = await get('loss');
    expect(loss.report.originator.retransmissions).toBeGreaterThan(0);
    expect(loss.report.responder.duplicateAcks).toBeGreaterThan(0);
    expect(loss.report.connState).toBe('SF');
    const [sp] = await get('spurious');
    expect(sp.report.originator).toMatchObject({ retransmissions: 1, spuriousRetransmissions: 1 });
    const [zw] = await get('zerowin');
    expect(zw.report.responder.zeroWindows).toBeGreaterThan(0);
    expect(zw.report.history).toContain('w');
    const states = (await get('states')).map((f) => `${f.flow.key.split('>')[1]} ${f.report.connState}`);
    // 5560: normal (SF), client RST (RSTO), keep-alive (SF), port 40000 twice (one flow
    // here), server RST (RSTR), half close (S2); 5561 nothing listening; 5562 SYNs dropped
    expect(states.filter((s) => s.includes(':5561 ')).map((s) => s.split(' ')[1])).toEqual(['REJ']);
    expect(states.filter((s) => s.includes(':5562 ')).map((s) => s.split(' ')[1])).toEqual(['S0']);
    expect(states.filter((s) => s.includes(':5560 ')).map((s) => s.split(' ')[1]).sort()).toEqual(['RSTO', 'RSTR', 'S2', 'SF', 'SF', 'SF']);
  });
});

describe('TcpArena: many flows in one arena', () => {
  it('flows interleaved in capture order in one growing arena, their blocks reused, give what one TcpHealth per flow gives', async () => {
    const segs = [...(await readTcpSegments(resolve(FIXTURES, 'states.pcap'))), ...(await readTcpSegments(resolve(FIXTURES, 'loss.pcap')))];
    const flows = tcpFlows(segs);
    expect(flows.length).toBeGreaterThan(6);
    const want = analyse(flows);
    // flow i in block i + 1 (block 0 stays unused); the arena starts with one block and
    // grows as flows open
    const arena = new TcpArena(1);
    const order = flows.flatMap((f, i) => f.packets.map((p) => ({ i, p }))).sort((a, b) => a.p.seg.tsUs - b.p.seg.tsUs || a.p.seg.record - b.p.seg.record);
    const opened = new Set<number>();
    const perFrame = flows.map(() => new Map<number, number>());
    for (const { i, p } of order) {
      const base = (i + 1) * 160;
      if (!opened.has(i)) {
        arena.ensure(i + 1);
        // the block held another flow before: open resets all of it
        tcpOpen(arena.i32, arena.f64, base, 1 - want[i].originator);
        setTcpClock(1);
        for (let k = 0; k < 5; k++) tcpSegment(arena.i32, arena.f64, base, k & 1, 7 + k * 1000, 99 - k, 0x12 - (k & 2), 0, 3 + k, null, 0, 0);
        tcpOpen(arena.i32, arena.f64, base, want[i].originator);
        opened.add(i);
      }
      setTcpClock(p.seg.tsUs);
      const { dir, seg } = p;
      tcpSegment(arena.i32, arena.f64, base, dir, seg.seq, seg.ack, seg.flags, seg.window, seg.payloadLen, seg.options, 0, seg.options.length);
      perFrame[i].set(seg.record, tcpLastAnalysis(arena.i32, base));
    }
    expect(arena.i32.length).toBeGreaterThanOrEqual((flows.length + 1) * 160);
    flows.forEach((_, i) => {
      expect(tcpResult(arena.i32, arena.f64, (i + 1) * 160)).toEqual(want[i].report);
      expect([...perFrame[i]]).toEqual([...want[i].perFrame]);
    });
    expect(want.some((w) => w.report.originator.retransmissions > 0)).toBe(true);
  });

  it('an aligned arena (a WebAssembly memory) keeps its blocks when it grows', () => {
    const arena = new TcpArena(2, true);
    tcpOpen(arena.i32, arena.f64, 160, 1);
    setTcpClock(5);
    tcpSegment(arena.i32, arena.f64, 160, 1, 1000, 0, 0x02, 512, 0, null, 0, 0);
    const before = tcpResult(arena.i32, arena.f64, 160);
    arena.ensure(5000);
    expect(arena.i32.length).toBeGreaterThanOrEqual(5001 * 160);
    expect(tcpResult(arena.i32, arena.f64, 160)).toEqual(before);
    expect(before.history).toBe('S');
  });

  it('knowing its limit, it grows to it at once past 32,768 blocks, keeping its blocks; without one, it doubles', () => {
    const arena = new TcpArena(1, false, 100_000);
    arena.ensure(100);
    expect(arena.i32.length).toBe(128 * 160);
    arena.i32[160 * 100 + 3] = 7;
    arena.ensure(32_768);
    expect(arena.i32.length).toBe(100_000 * 160);
    expect(arena.f64.length).toBe(100_000 * 80);
    expect(arena.i32[160 * 100 + 3]).toBe(7);
    const plain = new TcpArena(1);
    plain.ensure(32_768);
    expect(plain.i32.length).toBe(65_536 * 160);
  });
});
