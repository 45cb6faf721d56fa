// Idle expiry for live capture: flows quiet for longer than their timeout leave the flow
// table, so a capture that runs for hours keeps a table of the flows active now. Times are
// capture times (packet timestamps), never the wall clock, so the result depends on the
// packets only. Defaults follow Zeek: tcp_inactivity_timeout 5 min, udp and icmp 1 min.
import { KIND_L2 } from '../decode/fields.js';
import { FW, K_KP, KW, U_FIN, U_RST, UW, V_LAST_TS, type FlowSnapshot, type FlowTable } from './table.js';

export interface IdleTimeouts {
  /** TCP flows not closed (no FIN from both sides, no RST). */
  tcpUs: number;
  /** TCP flows after both FINs or a RST (closed, reset, rejected). */
  tcpClosedUs: number;
  udpUs: number;
  /** ICMP, ICMPv6, other IP protocols and non-IP (ethertype) flows. */
  otherUs: number;
}

/** Seconds. */
export const DEFAULT_TCP_TIMEOUT = 300;
export const TCP_CLOSED_TIMEOUT = 30;
export const DEFAULT_UDP_TIMEOUT = 60;
export const DEFAULT_OTHER_TIMEOUT = 60;

/** Timeouts from seconds; a closed TCP flow waits 30 s, or the TCP timeout when shorter. */
export function idleTimeouts(o: { tcp?: number; udp?: number; other?: number } = {}): IdleTimeouts {
  const tcp = o.tcp ?? DEFAULT_TCP_TIMEOUT;
  return {
    tcpUs: tcp * 1e6,
    tcpClosedUs: Math.min(TCP_CLOSED_TIMEOUT, tcp) * 1e6,
    udpUs: (o.udp ?? DEFAULT_UDP_TIMEOUT) * 1e6,
    otherUs: (o.other ?? DEFAULT_OTHER_TIMEOUT) * 1e6,
  };
}

const PROTO_TCP = 6;
const PROTO_UDP = 17;

/** The timeout (µs) of the flow in `slot`, from its protocol and TCP flags. */
export function timeoutOf(table: FlowTable, slot: number, t: IdleTimeouts): number {
  const kp = table.keys[slot * KW + K_KP];
  if ((kp & 0xff) === KIND_L2) return t.otherUs;
  const proto = kp >>> 8;
  if (proto === PROTO_UDP) return t.udpUs;
  if (proto !== PROTO_TCP) return t.otherUs;
  const u32 = table.u32;
  const u = slot * UW;
  const closed = (u32[u + U_FIN] > 0 && u32[u + U_FIN + 1] > 0) || u32[u + U_RST] + u32[u + U_RST + 1] > 0;
  return closed ? t.tcpClosedUs : t.tcpUs;
}

/** Time (µs) of the flow's latest packet, either side. */
export function lastSeenOf(table: FlowTable, slot: number): number {
  const f = slot * FW;
  return Math.max(table.f64[f + V_LAST_TS], table.f64[f + V_LAST_TS + 1]);
}

/** Removes the flows idle for longer than their timeout at capture time `nowUs`; O(table). */
export function expireIdle(table: FlowTable, nowUs: number, t: IdleTimeouts): FlowSnapshot {
  return table.removeWhere((slot) => nowUs - lastSeenOf(table, slot) > timeoutOf(table, slot, t));
}
