// Layer 4: TCP ports and flags, UDP ports, ICMP/ICMPv6 errors (attributed to the flow
// they quote). Reads bytes [off, end) of `b`; writes the fields `pf`; returns a status code.
import {
  F_DPORT,
  F_DST,
  F_FRAG,
  F_ICMPERR,
  F_KIND,
  F_PROTO,
  F_SPORT,
  F_SRC,
  F_TCPFLAGS,
  F_ICMPMTU,
  F_ICMPMSG,
  F_ICMPECHO,
  F_L4END,
  F_L4OFF,
  F_PAYLEN,
  PAYLEN_CUT,
  F_SEQ,
  F_ACK,
  F_WIN,
  F_TCPHLEN,
  FRAG_FIRST,
  KIND_IPV4,
  KIND_IPV6,
  M_ICMP_SHORT,
  M_TCP_HDRLEN,
  M_TCP_SHORT,
  M_UDP_LEN,
  M_UDP_SHORT,
  R_OK,
  type PacketFields,
} from './fields.js';
import { ICMP4_PEER, ICMP6_PEER } from './icmp.js';

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ICMPV6 = 58;

/** `ipPayload`: bytes of L4 the IP header says there are (wire length), for UDP checks. */
export function decodeTransport(pf: PacketFields, b: Uint8Array, dv: DataView, proto: number, off: number, end: number, ipPayload: number): number {
  pf[F_SPORT] = 0;
  pf[F_DPORT] = 0;
  pf[F_TCPFLAGS] = 0;
  pf[F_ICMPERR] = 0;
  pf[F_ICMPMSG] = 0;
  pf[F_ICMPECHO] = 0;
  pf[F_TCPHLEN] = 0;
  pf[F_ICMPMTU] = 0;
  pf[F_L4OFF] = off;
  pf[F_L4END] = end;
  const avail = end - off;
  switch (proto) {
    case IPPROTO_TCP: {
      if (avail < 14) return M_TCP_SHORT; // ports and flags are all the flow table needs
      pf[F_SPORT] = (b[off] << 8) | b[off + 1];
      pf[F_DPORT] = (b[off + 2] << 8) | b[off + 3];
      pf[F_TCPFLAGS] = b[off + 13];
      const hlen = (b[off + 12] >> 4) * 4;
      if (hlen < 20 || ipPayload < 20) return M_TCP_HDRLEN;
      // The inspection needs the whole header (sequence numbers, window, options); a
      // snaplen that cut it leaves F_TCPHLEN 0 and the packet counts for the table only.
      if (avail >= hlen && ipPayload >= hlen) {
        pf[F_SEQ] = dv.getUint32(off + 4);
        pf[F_ACK] = dv.getUint32(off + 8);
        pf[F_WIN] = (b[off + 14] << 8) | b[off + 15];
        pf[F_TCPHLEN] = hlen;
        pf[F_PAYLEN] = ipPayload - hlen;
      }
      return R_OK;
    }
    case IPPROTO_UDP: {
      // A snaplen may cut the header after the ports; the IP length says whether it was whole.
      if (avail < 4 || ipPayload < 8) return M_UDP_SHORT;
      pf[F_SPORT] = (b[off] << 8) | b[off + 1];
      pf[F_DPORT] = (b[off + 2] << 8) | b[off + 3];
      // The payload's wire length for the datagram decoders.
      pf[F_PAYLEN] = PAYLEN_CUT;
      if (avail >= 8) {
        const ulen = (b[off + 4] << 8) | b[off + 5];
        // 0 is legal for IPv6 jumbograms; otherwise it must cover the header and fit the
        // payload, unless this is a first fragment (the UDP length covers the whole datagram).
        if (ulen !== 0 && (ulen < 8 || (ulen > ipPayload && pf[F_FRAG] !== FRAG_FIRST))) return M_UDP_LEN;
        pf[F_PAYLEN] = (ulen === 0 ? ipPayload : ulen) - 8;
      }
      return R_OK;
    }
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6:
      return decodeIcmp(pf, b, dv, proto, off, end, avail);
    default:
      return R_OK;
  }
}

/** The ICMP and ICMPv6 part of decodeTransport (its own function: the TCP and UDP path stays small enough to inline). */
function decodeIcmp(pf: PacketFields, b: Uint8Array, dv: DataView, proto: number, off: number, end: number, avail: number): number {
  if (avail < 4) return M_ICMP_SHORT;
  const type = b[off];
  const isError = proto === IPPROTO_ICMP ? type === 3 || type === 4 || type === 5 || type === 11 || type === 12 : type >= 1 && type <= 4;
  // Other messages (echo...) keep their type and code: Community ID pairs them by it.
  if (!isError) {
    const code = b[off + 1];
    pf[F_ICMPMSG] = (0x10000 | (type << 8) | code) >>> 0;
    // The message's "ports", as Zeek and Community ID key ICMP: the type, and its
    // counterpart (echo request 8 <-> reply 0) or, for one-way messages, the code. An
    // echo and its reply share one flow key, apart from neighbour discovery or a ping
    // the other way between the same two hosts.
    const peer = (proto === IPPROTO_ICMP ? ICMP4_PEER : ICMP6_PEER)[type];
    pf[F_SPORT] = type;
    pf[F_DPORT] = peer >= 0 ? peer : code;
    // Echo request and reply: identifier and sequence number pair a reply with its request.
    if (avail >= 8 && (proto === IPPROTO_ICMP ? type === 8 || type === 0 : type === 128 || type === 129)) pf[F_ICMPECHO] = ((b[off + 4] << 24) | (b[off + 5] << 16) | (b[off + 6] << 8) | b[off + 7]) >>> 0;
  } else {
    quoted(pf, b, dv, off + 8, end, (0x10000 | (type << 8) | b[off + 1]) >>> 0);
    // Fragmentation needed (ICMP 3/4: MTU in bytes 6-7) and packet too big (ICMPv6 2:
    // bytes 4-7) carry the next hop's MTU: path-MTU discovery at work, or its absence.
    if (avail >= 8 && pf[F_ICMPERR] !== 0) {
      if (proto === IPPROTO_ICMP && type === 3 && b[off + 1] === 4) pf[F_ICMPMTU] = (b[off + 6] << 8) | b[off + 7];
      else if (proto === IPPROTO_ICMPV6 && type === 2) pf[F_ICMPMTU] = dv.getUint32(off + 4);
    }
  }
  return R_OK;
}

/**
 * An ICMP error carries the start of the packet that caused it. When that header is
 * complete, the error is rewritten as a packet of the quoted flow travelling back to
 * its sender, so it lands in that flow's slot (a refused UDP probe shows as such).
 */
function quoted(pf: PacketFields, b: Uint8Array, dv: DataView, off: number, end: number, err: number): void {
  if (end - off < 1) return;
  const version = b[off] >> 4;
  let proto: number;
  let l4: number;
  if (version === 4 && pf[F_KIND] === KIND_IPV4) {
    const ihl = (b[off] & 15) * 4;
    if (ihl < 20 || end - off < ihl) return;
    proto = b[off + 9];
    // reversed: the error flows from the quoted destination back to the quoted source
    pf[F_SRC] = dv.getUint32(off + 16);
    pf[F_DST] = dv.getUint32(off + 12);
    l4 = off + ihl;
  } else if (version === 6 && pf[F_KIND] === KIND_IPV6) {
    if (end - off < 40) return;
    proto = b[off + 6];
    for (let i = 0; i < 4; i++) {
      pf[F_SRC + i] = dv.getUint32(off + 24 + 4 * i);
      pf[F_DST + i] = dv.getUint32(off + 8 + 4 * i);
    }
    l4 = off + 40;
  } else return;
  pf[F_PROTO] = proto;
  if ((proto === IPPROTO_TCP || proto === IPPROTO_UDP) && end - l4 >= 4) {
    pf[F_SPORT] = (b[l4 + 2] << 8) | b[l4 + 3];
    pf[F_DPORT] = (b[l4] << 8) | b[l4 + 1];
  }
  pf[F_ICMPERR] = err;
}
