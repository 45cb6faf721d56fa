// Which side of a flow is the server, and how a TCP conversation ended. Both are decided
// once, on the merged direction-neutral facts (DESIGN.md "Direction and matching").
import { FW, U_FIN, U_ICMPERR, U_RST, U_SYN, U_SYNACK, UW, V_BYTES, V_FIRST_SEQ, V_PKTS } from '../flow/table.js';
import type { TcpState } from '../report/model.js';

export type DirectionRule = 'handshake' | 'catalog-port' | 'well-known-port' | 'dominant-sender' | 'first-packet';

export interface Direction {
  server: 0 | 1;
  rule: DirectionRule;
}

/**
 * `ports`: [side 0 port, side 1 port] or null for flows without ports; `icmp` for ICMP
 * flows (request/reply, so the first packet decides);
 * `isCatalogPort` says whether a port is a catalog (listening) port for this transport.
 */
export function serverSide(
  f64: Float64Array,
  u32: Uint32Array,
  slot: number,
  tcp: boolean,
  ports: [number, number] | null,
  icmp: boolean,
  isCatalogPort: (port: number) => boolean,
): Direction {
  const u = slot * UW;
  if (tcp) {
    // The receiver of a bare SYN, or the sender of a SYN-ACK, is the server.
    const syn0 = u32[u + U_SYN] > 0;
    const syn1 = u32[u + U_SYN + 1] > 0;
    if (syn0 !== syn1) return { server: syn0 ? 1 : 0, rule: 'handshake' };
    const sa0 = u32[u + U_SYNACK] > 0;
    const sa1 = u32[u + U_SYNACK + 1] > 0;
    if (sa0 !== sa1) return { server: sa0 ? 0 : 1, rule: 'handshake' };
  }
  if (ports !== null) {
    const c0 = isCatalogPort(ports[0]);
    const c1 = isCatalogPort(ports[1]);
    if (c0 !== c1) return { server: c0 ? 0 : 1, rule: 'catalog-port' };
    const low = Math.min(ports[0], ports[1]);
    if (low < 1024 && ports[0] !== ports[1]) return { server: ports[0] === low ? 0 : 1, rule: 'well-known-port' };
  }
  const f = slot * FW;
  if (ports === null && !icmp) {
    // Portless streams (HA2 over an ethertype or IP 99) flow one way, from the active peer;
    // the passive peer's keep-alive may come first, so a dominant sender is the client.
    const b0 = f64[f + V_BYTES];
    const b1 = f64[f + V_BYTES + 1];
    if (b0 >= 4 * b1 && b0 > 0) return { server: 1, rule: 'dominant-sender' };
    if (b1 >= 4 * b0 && b1 > 0) return { server: 0, rule: 'dominant-sender' };
  }
  // The destination of the first packet seen (a side that never sent is the destination).
  const p0 = f64[f + V_PKTS];
  const p1 = f64[f + V_PKTS + 1];
  if (p0 === 0) return { server: 0, rule: 'first-packet' };
  if (p1 === 0) return { server: 1, rule: 'first-packet' };
  return { server: f64[f + V_FIRST_SEQ] <= f64[f + V_FIRST_SEQ + 1] ? 1 : 0, rule: 'first-packet' };
}

/**
 * TCP outcome, in Zeek's terms: established ~ S1, closed ~ SF, reset ~ RSTO/RSTR,
 * rejected ~ REJ, unanswered ~ S0, midstream ~ OTH.
 */
export function tcpState(f64: Float64Array, u32: Uint32Array, slot: number, server: 0 | 1): TcpState {
  const u = slot * UW;
  const c = (1 - server) as 0 | 1;
  const s = server;
  const clientSyn = u32[u + U_SYN + c] > 0;
  const serverSynAck = u32[u + U_SYNACK + s] > 0;
  const rst = u32[u + U_RST] + u32[u + U_RST + 1] > 0;
  if (serverSynAck) {
    if (rst) return 'reset';
    if (u32[u + U_FIN + c] > 0 && u32[u + U_FIN + s] > 0) return 'closed';
    return 'established';
  }
  if (clientSyn) {
    if (u32[u + U_RST + s] > 0 || u32[u + U_ICMPERR + s] > 0) return 'rejected';
    if (f64[slot * FW + V_PKTS + s] === 0) return 'unanswered';
  }
  return 'midstream';
}
