// Layer 3: IPv4 (options, fragments) and IPv6 (hop-by-hop, routing, fragment,
// destination-options and AH extension headers). `end` is the captured end of the
// frame, `wireEnd` where it ended on the wire (caplen may be cut by the snaplen).
import {
  F_DST,
  F_FRAG,
  F_IPID,
  F_KIND,
  F_PROTO,
  F_SRC,
  FRAG_FIRST,
  FRAG_LATER,
  FRAG_NONE,
  KIND_IPV4,
  KIND_IPV6,
  M_IP_VERSION,
  M_IPV4_HDRLEN,
  M_IPV4_SHORT,
  M_IPV4_TOTLEN,
  M_IPV6_EXT,
  M_IPV6_SHORT,
  R_OK,
  type PacketFields,
  F_SPORT,
  F_DPORT,
  F_TCPFLAGS,
  F_ICMPERR,
  F_ICMPMSG,
  F_DF,
  F_TCPHLEN,
  F_ICMPMTU,
  F_L3END,
  F_L3OFF,
} from './fields.js';
import { decodeTransport } from './transport.js';

export function decodeIPv4(pf: PacketFields, b: Uint8Array, dv: DataView, off: number, end: number, wireEnd: number): number {
  if (end - off < 20) return M_IPV4_SHORT;
  const vihl = b[off];
  if (vihl >> 4 !== 4) return M_IP_VERSION;
  const ihl = (vihl & 15) * 4;
  if (ihl < 20) return M_IPV4_HDRLEN;
  if (end - off < ihl) return M_IPV4_SHORT;
  let total = (b[off + 2] << 8) | b[off + 3];
  // Captures taken before segmentation offload can say 0; trust the frame then.
  if (total === 0) total = wireEnd - off;
  if (total < ihl || total > wireEnd - off) return M_IPV4_TOTLEN;
  pf[F_KIND] = KIND_IPV4;
  pf[F_L3OFF] = off;
  pf[F_L3END] = Math.min(end, off + total);
  const proto = b[off + 9];
  pf[F_PROTO] = proto;
  pf[F_SRC] = dv.getUint32(off + 12);
  pf[F_SRC + 1] = 0;
  pf[F_SRC + 2] = 0;
  pf[F_SRC + 3] = 0;
  pf[F_DST] = dv.getUint32(off + 16);
  pf[F_DST + 1] = 0;
  pf[F_DST + 2] = 0;
  pf[F_DST + 3] = 0;
  pf[F_IPID] = (b[off + 4] << 8) | b[off + 5];
  const ff = (b[off + 6] << 8) | b[off + 7];
  if ((ff & 0x1fff) !== 0) {
    // A later fragment: no transport header; the flow table attributes it by IP ID.
    pf[F_FRAG] = FRAG_LATER;
    pf[F_DF] = 0;
    clearTransport(pf);
    return R_OK;
  }
  pf[F_FRAG] = ff & 0x2000 ? FRAG_FIRST : FRAG_NONE;
  pf[F_DF] = (ff >> 14) & 1;
  const l4End = Math.min(end, off + total);
  return decodeTransport(pf, b, dv, proto, off + ihl, l4End, total - ihl);
}

const EXT_HOPOPTS = 0;
const EXT_ROUTING = 43;
const EXT_FRAGMENT = 44;
const EXT_AH = 51;
const EXT_DSTOPTS = 60;

export function decodeIPv6(pf: PacketFields, b: Uint8Array, dv: DataView, off: number, end: number, wireEnd: number): number {
  if (end - off < 40) return M_IPV6_SHORT;
  if (b[off] >> 4 !== 6) return M_IP_VERSION;
  const payload = (b[off + 4] << 8) | b[off + 5];
  pf[F_KIND] = KIND_IPV6;
  pf[F_L3OFF] = off;
  pf[F_L3END] = Math.min(end, payload === 0 ? wireEnd : off + 40 + payload);
  for (let i = 0; i < 4; i++) {
    pf[F_SRC + i] = dv.getUint32(off + 8 + 4 * i);
    pf[F_DST + i] = dv.getUint32(off + 24 + 4 * i);
  }
  pf[F_FRAG] = FRAG_NONE;
  pf[F_IPID] = 0;
  pf[F_DF] = 1;
  let next = b[off + 6];
  let p = off + 40;
  // payload 0 means a jumbogram (or offload); fall back to the frame's own end.
  const ipEnd = payload === 0 ? wireEnd : Math.min(wireEnd, off + 40 + payload);
  for (let hops = 0; hops < 16; hops++) {
    if (next !== EXT_HOPOPTS && next !== EXT_ROUTING && next !== EXT_FRAGMENT && next !== EXT_DSTOPTS && next !== EXT_AH) break;
    if (end - p < 8) return M_IPV6_EXT;
    if (next === EXT_FRAGMENT) {
      const fo = (b[p + 2] << 8) | b[p + 3];
      pf[F_IPID] = dv.getUint32(p + 4);
      if (fo >> 3 !== 0) {
        pf[F_PROTO] = b[p];
        pf[F_FRAG] = FRAG_LATER;
        clearTransport(pf);
        return R_OK;
      }
      if (fo & 1) pf[F_FRAG] = FRAG_FIRST;
      next = b[p];
      p += 8;
      continue;
    }
    const len = next === EXT_AH ? (b[p + 1] + 2) * 4 : (b[p + 1] + 1) * 8;
    if (end - p < len) return M_IPV6_EXT;
    next = b[p];
    p += len;
  }
  pf[F_PROTO] = next;
  return decodeTransport(pf, b, dv, next, p, Math.min(end, ipEnd), ipEnd - p);
}

function clearTransport(pf: PacketFields): void {
  pf[F_SPORT] = 0;
  pf[F_DPORT] = 0;
  pf[F_TCPFLAGS] = 0;
  pf[F_ICMPERR] = 0;
  pf[F_ICMPMSG] = 0;
  pf[F_TCPHLEN] = 0;
  pf[F_ICMPMTU] = 0;
}
