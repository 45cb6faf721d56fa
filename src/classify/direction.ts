// Which side of a flow is the server, and how a TCP conversation ended. Both are decided
// once, on the merged direction-neutral facts (DESIGN.md "Direction and matching").
import { ICMP4_PEER, ICMP4_REQUEST, ICMP6_PEER, ICMP6_REQUEST } from '../decode/icmp.js';
import { IPPROTO_ICMP } from '../decode/transport.js';
import type { FlowSlots, Side } from '../flow/table.js';
import type { DirectionRule, FlowState } from './vocabulary.js';

export interface Direction {
  server: Side;
  rule: DirectionRule;
}

/**
 * `ports`: [side 0 port, side 1 port] or null for flows without ports; `icmpProto`: 1 or
 * 58 for ICMP and ICMPv6 flows, else 0;
 * `isCatalogPort` says whether a port is a catalog (listening) port for this transport.
 */
export function serverSide(
  flows: FlowSlots,
  slot: number,
  tcp: boolean,
  ports: [number, number] | null,
  icmpProto: number,
  isCatalogPort: (port: number) => boolean,
): Direction {
  const icmp = icmpProto !== 0;
  if (icmp) {
    // The key of a request/reply ICMP flow holds each side's type (decode/transport.ts):
    // the side that sends the requests (echo...) is the client, as in Zeek, whichever
    // packet the capture saw first. One-way messages fall through to the first packet.
    const peer = icmpProto === IPPROTO_ICMP ? ICMP4_PEER : ICMP6_PEER;
    const request = icmpProto === IPPROTO_ICMP ? ICMP4_REQUEST : ICMP6_REQUEST;
    const t0 = flows.port(slot, 0);
    const t1 = flows.port(slot, 1);
    if (t0 < 256 && t1 < 256 && peer[t0] === t1) {
      if (request[t0] === 1) return { server: 1, rule: 'icmp-request' };
      if (request[t1] === 1) return { server: 0, rule: 'icmp-request' };
    }
  }
  if (tcp) {
    // The receiver of a bare SYN, or the sender of a SYN-ACK, is the server.
    const syn0 = flows.syns(slot, 0) > 0;
    const syn1 = flows.syns(slot, 1) > 0;
    if (syn0 !== syn1) return { server: syn0 ? 1 : 0, rule: 'handshake' };
    const sa0 = flows.synAcks(slot, 0) > 0;
    const sa1 = flows.synAcks(slot, 1) > 0;
    if (sa0 !== sa1) return { server: sa0 ? 0 : 1, rule: 'handshake' };
  }
  if (ports !== null) {
    const c0 = isCatalogPort(ports[0]);
    const c1 = isCatalogPort(ports[1]);
    if (c0 !== c1) return { server: c0 ? 0 : 1, rule: 'catalog-port' };
    const low = Math.min(ports[0], ports[1]);
    if (low < 1024 && ports[0] !== ports[1]) return { server: ports[0] === low ? 0 : 1, rule: 'well-known-port' };
  }
  if (ports === null && !icmp) {
    // Portless streams (HA2 over an ethertype or IP 99) flow one way, from the active peer;
    // the passive peer's keep-alive may come first, so a dominant sender is the client.
    const b0 = flows.bytes(slot, 0);
    const b1 = flows.bytes(slot, 1);
    if (b0 >= 4 * b1 && b0 > 0) return { server: 1, rule: 'dominant-sender' };
    if (b1 >= 4 * b0 && b1 > 0) return { server: 0, rule: 'dominant-sender' };
  }
  // The destination of the first packet seen (a side that never sent is the destination).
  if (flows.packets(slot, 0) === 0) return { server: 0, rule: 'first-packet' };
  if (flows.packets(slot, 1) === 0) return { server: 1, rule: 'first-packet' };
  return { server: flows.firstSeq(slot, 0) <= flows.firstSeq(slot, 1) ? 1 : 0, rule: 'first-packet' };
}

/**
 * TCP outcome, in Zeek's terms: established ~ S1, closed ~ SF, reset ~ RSTO/RSTR,
 * rejected ~ REJ, unanswered ~ S0, midstream ~ OTH.
 */
export function tcpState(flows: FlowSlots, slot: number, server: Side): FlowState {
  const c: Side = server === 0 ? 1 : 0;
  const s = server;
  const clientSyn = flows.syns(slot, c) > 0;
  const serverSynAck = flows.synAcks(slot, s) > 0;
  const rst = flows.resets(slot, 0) + flows.resets(slot, 1) > 0;
  if (serverSynAck) {
    if (rst) return 'reset';
    if (flows.fins(slot, c) > 0 && flows.fins(slot, s) > 0) return 'closed';
    return 'established';
  }
  if (clientSyn) {
    if (flows.resets(slot, s) > 0 || flows.icmpErrors(slot, s) > 0) return 'rejected';
    if (flows.packets(slot, s) === 0) return 'unanswered';
  }
  return 'midstream';
}
