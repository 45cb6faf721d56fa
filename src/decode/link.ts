// Layer 2 and the decoder's entry point: Ethernet (802.1Q/802.1ad/stacked tags,
// 802.3 LLC/SNAP), Linux SLL and SLL2, raw IP, NULL and LOOP. Non-IP Ethernet frames are
// keyed by MAC pair and ethertype (HA2 travels as ethertype 0x7261).
import {
  ETH_IPV4,
  ETH_IPV6,
  F_DPORT,
  F_DST,
  F_ETHERTYPE,
  F_FRAG,
  F_ICMPERR,
  F_ICMPMSG,
  F_KIND,
  F_L3END,
  F_L3OFF,
  F_PROTO,
  F_SPORT,
  F_SRC,
  F_TCPFLAGS,
  FRAG_NONE,
  KIND_L2,
  KIND_NONE,
  M_IP_VERSION,
  M_LINK_SHORT,
  M_LLC_SHORT,
  M_NULL_SHORT,
  M_VLAN_SHORT,
  R_LINK_UNSUPPORTED,
  R_OK,
  R_OTHER_FAMILY,
  type PacketFields,
} from './fields.js';
import { decodeIPv4, decodeIPv6 } from './ip.js';

export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW_BSD12 = 12;
export const LINKTYPE_RAW_BSD14 = 14;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

export const DECODED_LINKTYPES = [
  LINKTYPE_NULL,
  LINKTYPE_ETHERNET,
  LINKTYPE_RAW_BSD12,
  LINKTYPE_RAW_BSD14,
  LINKTYPE_RAW,
  LINKTYPE_LOOP,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL2,
];

const MAX_TAGS = 8;

/**
 * Decodes one record: `off` is where the frame starts in `b`, `caplen` bytes of it are
 * present, `origlen` is its wire length. `linkWord` carries the link type in its low 16
 * bits and the FCS length in bits 16-23. Returns R_OK (flow fields in `pf`), another R_*
 * status, or a malformation reason (>= R_MALFORMED).
 */
export function decodeRecord(pf: PacketFields, b: Uint8Array, dv: DataView, off: number, caplen: number, origlen: number, linkWord: number): number {
  pf[F_KIND] = KIND_NONE;
  const fcs = linkWord >>> 16;
  const end = off + caplen;
  // A frame whose FCS is captured ends FCS bytes earlier on the wire, for our purposes.
  const wire = origlen > caplen ? origlen : caplen;
  const wireEnd = off + (wire > fcs ? wire - fcs : wire);
  switch (linkWord & 0xffff) {
    case LINKTYPE_ETHERNET:
      return decodeEthernet(pf, b, dv, off, end, wireEnd);
    case LINKTYPE_RAW:
    case LINKTYPE_RAW_BSD12:
    case LINKTYPE_RAW_BSD14:
      return decodeRawIp(pf, b, dv, off, end, wireEnd);
    case LINKTYPE_IPV4:
      return decodeIPv4(pf, b, dv, off, end, wireEnd);
    case LINKTYPE_IPV6:
      return decodeIPv6(pf, b, dv, off, end, wireEnd);
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP: {
      if (caplen < 4) return M_NULL_SHORT;
      // NULL stores the family in the capturing host's byte order; LOOP always big-endian.
      let af = dv.getUint32(off, false);
      if ((linkWord & 0xffff) === LINKTYPE_NULL && (af & 0xffff0000) !== 0) af = dv.getUint32(off, true);
      if (af === 2) return decodeIPv4(pf, b, dv, off + 4, end, wireEnd);
      // AF_INET6 differs between systems: Linux 10, NetBSD/OpenBSD 24, FreeBSD 28, Darwin 30.
      if (af === 10 || af === 24 || af === 28 || af === 30) return decodeIPv6(pf, b, dv, off + 4, end, wireEnd);
      return R_OTHER_FAMILY;
    }
    case LINKTYPE_LINUX_SLL:
      if (caplen < 16) return M_LINK_SHORT;
      return decodeEthertype(pf, b, dv, (b[off + 14] << 8) | b[off + 15], off + 16, end, wireEnd, off + 6, (b[off + 4] << 8) | b[off + 5], -1);
    case LINKTYPE_LINUX_SLL2:
      if (caplen < 20) return M_LINK_SHORT;
      return decodeEthertype(pf, b, dv, (b[off] << 8) | b[off + 1], off + 20, end, wireEnd, off + 12, b[off + 11], -1);
    default:
      return R_LINK_UNSUPPORTED;
  }
}

function decodeRawIp(pf: PacketFields, b: Uint8Array, dv: DataView, off: number, end: number, wireEnd: number): number {
  if (end - off < 1) return M_LINK_SHORT;
  const v = b[off] >> 4;
  if (v === 4) return decodeIPv4(pf, b, dv, off, end, wireEnd);
  if (v === 6) return decodeIPv6(pf, b, dv, off, end, wireEnd);
  return M_IP_VERSION;
}

function decodeEthernet(pf: PacketFields, b: Uint8Array, dv: DataView, off: number, end: number, wireEnd: number): number {
  if (end - off < 14) return M_LINK_SHORT;
  let et = (b[off + 12] << 8) | b[off + 13];
  let p = off + 14;
  // Untagged IPv4, the usual frame: straight on (one call less per packet).
  if (et === ETH_IPV4) return decodeIPv4(pf, b, dv, p, end, wireEnd);
  for (let tags = 0; tags < MAX_TAGS; tags++) {
    // 802.1Q, 802.1ad and the pre-standard QinQ values
    if (et !== 0x8100 && et !== 0x88a8 && et !== 0x9100 && et !== 0x9200) break;
    if (end - p < 4) return M_VLAN_SHORT;
    et = (b[p + 2] << 8) | b[p + 3];
    p += 4;
  }
  if (et < 0x0600) {
    // 802.3 length field: LLC follows; SNAP (AA AA 03) carries a real ethertype.
    if (end - p < 3) return M_LLC_SHORT;
    if (b[p] === 0xaa && b[p + 1] === 0xaa && b[p + 2] === 0x03) {
      if (end - p < 8) return M_LLC_SHORT;
      et = (b[p + 6] << 8) | b[p + 7];
      p += 8;
    } else et = 0;
  }
  return decodeEthertype(pf, b, dv, et, p, end, wireEnd, off + 6, 6, off);
}

/**
 * Dispatches on an ethertype. `srcMac`/`dstMac` are offsets of the link addresses
 * (`dstMac` < 0 when the link has none, as in SLL) and `srcLen` the source's length.
 */
function decodeEthertype(
  pf: PacketFields,
  b: Uint8Array,
  dv: DataView,
  et: number,
  p: number,
  end: number,
  wireEnd: number,
  srcMac: number,
  srcLen: number,
  dstMac: number,
): number {
  if (et === ETH_IPV4) return decodeIPv4(pf, b, dv, p, end, wireEnd);
  if (et === ETH_IPV6) return decodeIPv6(pf, b, dv, p, end, wireEnd);
  pf[F_KIND] = KIND_L2;
  pf[F_PROTO] = 0;
  pf[F_ETHERTYPE] = et;
  pf[F_L3OFF] = p;
  pf[F_L3END] = end < wireEnd ? end : wireEnd;
  pf[F_SRC + 2] = 0;
  pf[F_SRC + 3] = 0;
  pf[F_DST + 2] = 0;
  pf[F_DST + 3] = 0;
  if (srcLen === 6) {
    pf[F_SRC] = (b[srcMac] << 8) | b[srcMac + 1];
    pf[F_SRC + 1] = dv.getUint32(srcMac + 2);
  } else {
    pf[F_SRC] = 0;
    pf[F_SRC + 1] = 0;
  }
  if (dstMac >= 0) {
    pf[F_DST] = (b[dstMac] << 8) | b[dstMac + 1];
    pf[F_DST + 1] = dv.getUint32(dstMac + 2);
  } else {
    pf[F_DST] = 0;
    pf[F_DST + 1] = 0;
  }
  pf[F_SPORT] = 0;
  pf[F_DPORT] = 0;
  pf[F_TCPFLAGS] = 0;
  pf[F_FRAG] = FRAG_NONE;
  pf[F_ICMPERR] = 0;
  pf[F_ICMPMSG] = 0;
  return R_OK;
}
