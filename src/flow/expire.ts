// Idle expiry for live capture: flows quiet for longer than their timeout leave the flow
// table, so a capture that runs for hours keeps a table of the flows active now. Times are
// capture times (packet timestamps), never the wall clock, so the result depends on the
// packets only. Defaults follow Zeek: tcp_inactivity_timeout 5 min, udp and icmp 1 min.
import { IPPROTO_TCP, IPPROTO_UDP } from '../decode/transport.js';
import { KIND_L2 } from '../decode/fields.js';
import { REASSEMBLY_US } from './fragments.js';
import type { FlowSlots, FlowSnapshot, FlowTable } from './table.js';

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


/** The timeout (µs) of the flow in `slot`, from its protocol and TCP flags. */
export function timeoutOf(flows: FlowSlots, slot: number, t: IdleTimeouts): number {
  if (flows.kind(slot) === KIND_L2) return t.otherUs;
  const proto = flows.proto(slot);
  if (proto === IPPROTO_UDP) return t.udpUs;
  if (proto !== IPPROTO_TCP) return t.otherUs;
  const closed = (flows.fins(slot, 0) > 0 && flows.fins(slot, 1) > 0) || flows.resets(slot, 0) + flows.resets(slot, 1) > 0;
  return closed ? t.tcpClosedUs : t.tcpUs;
}

/** Time (µs) of the flow's latest packet, either side. */
export function lastSeenOf(flows: FlowSlots, slot: number): number {
  return Math.max(flows.lastTs(slot, 0), flows.lastTs(slot, 1));
}

/**
 * Removes the flows idle for longer than their timeout at capture time `nowUs`; O(table).
 * A flow whose latest first IP fragment is younger than the reassembly window stays, as
 * Linux keeps a reassembly queue that long: later fragments may still join it (otherwise
 * live capture and file analysis would count them differently).
 */
export function expireIdle(table: FlowTable, nowUs: number, t: IdleTimeouts): FlowSnapshot {
  return table.removeWhere((slot) => nowUs - lastSeenOf(table, slot) > timeoutOf(table, slot, t) && nowUs - table.lastFirstFragmentTs(slot) > REASSEMBLY_US);
}
