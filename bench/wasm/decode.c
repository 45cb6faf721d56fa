// The decoder (src/decode/link.ts, ip.ts, transport.ts) in C for WebAssembly: issue 13's
// measurement (bench/wasm-decode.mjs, which builds it with clang; bench/README.md, "The
// decoder in WebAssembly"). Not used by pantap. Line for line the TypeScript's logic,
// including which slots each path leaves as they were (the field block is reused from packet
// to packet, as the aggregator's `pf` is), so that both give the same words for every record.
#include <stdint.h>

typedef uint8_t u8;
typedef uint32_t u32;
typedef int32_t i32;

enum {
  F_KIND = 0, F_PROTO = 1, F_SRC = 2, F_DST = 6, F_SPORT = 10, F_DPORT = 11, F_TCPFLAGS = 12,
  F_ETHERTYPE = 13, F_FRAG = 14, F_IPID = 15, F_ICMPERR = 16, F_DF = 17, F_L4OFF = 18,
  F_L4END = 19, F_SEQ = 20, F_ACK = 21, F_WIN = 22, F_TCPHLEN = 23, F_PAYLEN = 24,
  F_ICMPMTU = 25, F_ICMPMSG = 26, F_ICMPECHO = 27, F_L3OFF = 28, F_L3END = 29, F_COUNT = 30
};
enum { KIND_NONE = 0, KIND_IPV4 = 1, KIND_IPV6 = 2, KIND_L2 = 3 };
enum { FRAG_NONE = 0, FRAG_FIRST = 1, FRAG_LATER = 2 };
enum {
  R_OK = 0, R_LINK_UNSUPPORTED = 1, R_OTHER_FAMILY = 2, M_LINK_SHORT = 8, M_VLAN_SHORT = 9,
  M_LLC_SHORT = 10, M_IP_VERSION = 11, M_IPV4_SHORT = 12, M_IPV4_HDRLEN = 13, M_IPV4_TOTLEN = 14,
  M_IPV6_SHORT = 15, M_IPV6_EXT = 16, M_TCP_SHORT = 17, M_TCP_HDRLEN = 18, M_UDP_SHORT = 19,
  M_UDP_LEN = 20, M_ICMP_SHORT = 21, M_NULL_SHORT = 22
};
#define PAYLEN_CUT 0xffffffffu
#define ETH_IPV4 0x0800
#define ETH_IPV6 0x86dd

/** The field block, reused for every packet; `fields()` gives its address to JS. */
static u32 pf[32];
/**
 * Where b[0] lies in the batch: the caller copies a few records at a time into a small area,
 * and the offsets written (F_L3OFF, F_L3END, F_L4OFF, F_L4END) are the batch's.
 */
static i32 org;
u32 *fields(void) { return pf; }

static inline u32 be32(const u8 *b, i32 o) {
  return ((u32)b[o] << 24) | ((u32)b[o + 1] << 16) | ((u32)b[o + 2] << 8) | (u32)b[o + 3];
}
static inline u32 le32(const u8 *b, i32 o) {
  return ((u32)b[o + 3] << 24) | ((u32)b[o + 2] << 16) | ((u32)b[o + 1] << 8) | (u32)b[o];
}
static inline i32 be16(const u8 *b, i32 o) { return ((i32)b[o] << 8) | (i32)b[o + 1]; }
static inline i32 imin(i32 a, i32 b) { return a < b ? a : b; }

// Zeek's ICMP counterparts (src/decode/icmp.ts): -1 for one-way types.
static i32 icmp4Peer(i32 t) {
  switch (t) {
    case 8: return 0; case 0: return 8; case 13: return 14; case 14: return 13;
    case 15: return 16; case 16: return 15; case 10: return 9; case 9: return 10;
    case 17: return 18; case 18: return 17; default: return -1;
  }
}
static i32 icmp6Peer(i32 t) {
  switch (t) {
    case 128: return 129; case 129: return 128; case 130: return 131; case 131: return 130;
    case 133: return 134; case 134: return 133; case 135: return 136; case 136: return 135;
    case 139: return 140; case 140: return 139; case 144: return 145; case 145: return 144;
    default: return -1;
  }
}

static void quoted(const u8 *b, i32 off, i32 end, u32 err) {
  if (end - off < 1) return;
  i32 version = b[off] >> 4;
  i32 proto, l4;
  if (version == 4 && pf[F_KIND] == KIND_IPV4) {
    i32 ihl = (b[off] & 15) * 4;
    if (ihl < 20 || end - off < ihl) return;
    proto = b[off + 9];
    pf[F_SRC] = be32(b, off + 16);
    pf[F_DST] = be32(b, off + 12);
    l4 = off + ihl;
  } else if (version == 6 && pf[F_KIND] == KIND_IPV6) {
    if (end - off < 40) return;
    proto = b[off + 6];
    for (i32 i = 0; i < 4; i++) {
      pf[F_SRC + i] = be32(b, off + 24 + 4 * i);
      pf[F_DST + i] = be32(b, off + 8 + 4 * i);
    }
    l4 = off + 40;
  } else return;
  pf[F_PROTO] = proto;
  if ((proto == 6 || proto == 17) && end - l4 >= 4) {
    pf[F_SPORT] = be16(b, l4 + 2);
    pf[F_DPORT] = be16(b, l4);
  }
  pf[F_ICMPERR] = err;
}

static i32 decodeIcmp(const u8 *b, i32 proto, i32 off, i32 end, i32 avail) {
  if (avail < 4) return M_ICMP_SHORT;
  i32 type = b[off];
  i32 isError = proto == 1 ? (type == 3 || type == 4 || type == 5 || type == 11 || type == 12) : (type >= 1 && type <= 4);
  if (!isError) {
    i32 code = b[off + 1];
    pf[F_ICMPMSG] = 0x10000u | ((u32)type << 8) | (u32)code;
    i32 peer = proto == 1 ? icmp4Peer(type) : icmp6Peer(type);
    pf[F_SPORT] = type;
    pf[F_DPORT] = peer >= 0 ? peer : code;
    if (avail >= 8 && (proto == 1 ? (type == 8 || type == 0) : (type == 128 || type == 129))) pf[F_ICMPECHO] = be32(b, off + 4);
  } else {
    quoted(b, off + 8, end, 0x10000u | ((u32)type << 8) | (u32)b[off + 1]);
    if (avail >= 8 && pf[F_ICMPERR] != 0) {
      if (proto == 1 && type == 3 && b[off + 1] == 4) pf[F_ICMPMTU] = be16(b, off + 6);
      else if (proto == 58 && type == 2) pf[F_ICMPMTU] = be32(b, off + 4);
    }
  }
  return R_OK;
}

static i32 decodeTransport(const u8 *b, i32 proto, i32 off, i32 end, i32 ipPayload) {
  pf[F_SPORT] = 0;
  pf[F_DPORT] = 0;
  pf[F_TCPFLAGS] = 0;
  pf[F_ICMPERR] = 0;
  pf[F_ICMPMSG] = 0;
  pf[F_ICMPECHO] = 0;
  pf[F_TCPHLEN] = 0;
  pf[F_ICMPMTU] = 0;
  pf[F_L4OFF] = off + org;
  pf[F_L4END] = end + org;
  i32 avail = end - off;
  switch (proto) {
    case 6: {
      if (avail < 14) return M_TCP_SHORT;
      pf[F_SPORT] = be16(b, off);
      pf[F_DPORT] = be16(b, off + 2);
      pf[F_TCPFLAGS] = b[off + 13];
      i32 hlen = (b[off + 12] >> 4) * 4;
      if (hlen < 20 || ipPayload < 20) return M_TCP_HDRLEN;
      if (avail >= hlen && ipPayload >= hlen) {
        pf[F_SEQ] = be32(b, off + 4);
        pf[F_ACK] = be32(b, off + 8);
        pf[F_WIN] = be16(b, off + 14);
        pf[F_TCPHLEN] = hlen;
        pf[F_PAYLEN] = ipPayload - hlen;
      }
      return R_OK;
    }
    case 17: {
      if (avail < 4 || ipPayload < 8) return M_UDP_SHORT;
      pf[F_SPORT] = be16(b, off);
      pf[F_DPORT] = be16(b, off + 2);
      pf[F_PAYLEN] = PAYLEN_CUT;
      if (avail >= 8) {
        i32 ulen = be16(b, off + 4);
        if (ulen != 0 && (ulen < 8 || (ulen > ipPayload && pf[F_FRAG] != FRAG_FIRST))) return M_UDP_LEN;
        pf[F_PAYLEN] = (ulen == 0 ? ipPayload : ulen) - 8;
      }
      return R_OK;
    }
    case 1:
    case 58:
      return decodeIcmp(b, proto, off, end, avail);
    default:
      return R_OK;
  }
}

static void clearTransport(void) {
  pf[F_SPORT] = 0;
  pf[F_DPORT] = 0;
  pf[F_TCPFLAGS] = 0;
  pf[F_ICMPERR] = 0;
  pf[F_ICMPMSG] = 0;
  pf[F_TCPHLEN] = 0;
  pf[F_ICMPMTU] = 0;
}

static i32 decodeIPv4(const u8 *b, i32 off, i32 end, i32 wireEnd) {
  if (end - off < 20) return M_IPV4_SHORT;
  i32 vihl = b[off];
  if (vihl >> 4 != 4) return M_IP_VERSION;
  i32 ihl = (vihl & 15) * 4;
  if (ihl < 20) return M_IPV4_HDRLEN;
  if (end - off < ihl) return M_IPV4_SHORT;
  i32 total = be16(b, off + 2);
  if (total == 0) total = wireEnd - off;
  if (total < ihl || total > wireEnd - off) return M_IPV4_TOTLEN;
  pf[F_KIND] = KIND_IPV4;
  pf[F_L3OFF] = off + org;
  pf[F_L3END] = imin(end, off + total) + org;
  i32 proto = b[off + 9];
  pf[F_PROTO] = proto;
  pf[F_SRC] = be32(b, off + 12);
  pf[F_SRC + 1] = 0;
  pf[F_SRC + 2] = 0;
  pf[F_SRC + 3] = 0;
  pf[F_DST] = be32(b, off + 16);
  pf[F_DST + 1] = 0;
  pf[F_DST + 2] = 0;
  pf[F_DST + 3] = 0;
  pf[F_IPID] = be16(b, off + 4);
  i32 ff = be16(b, off + 6);
  if ((ff & 0x1fff) != 0) {
    pf[F_FRAG] = FRAG_LATER;
    pf[F_DF] = 0;
    clearTransport();
    return R_OK;
  }
  pf[F_FRAG] = ff & 0x2000 ? FRAG_FIRST : FRAG_NONE;
  pf[F_DF] = (ff >> 14) & 1;
  return decodeTransport(b, proto, off + ihl, imin(end, off + total), total - ihl);
}

static i32 decodeIPv6(const u8 *b, i32 off, i32 end, i32 wireEnd) {
  if (end - off < 40) return M_IPV6_SHORT;
  if (b[off] >> 4 != 6) return M_IP_VERSION;
  i32 payload = be16(b, off + 4);
  pf[F_KIND] = KIND_IPV6;
  pf[F_L3OFF] = off + org;
  pf[F_L3END] = imin(end, payload == 0 ? wireEnd : off + 40 + payload) + org;
  for (i32 i = 0; i < 4; i++) {
    pf[F_SRC + i] = be32(b, off + 8 + 4 * i);
    pf[F_DST + i] = be32(b, off + 24 + 4 * i);
  }
  pf[F_FRAG] = FRAG_NONE;
  pf[F_IPID] = 0;
  pf[F_DF] = 1;
  i32 next = b[off + 6];
  i32 p = off + 40;
  i32 ipEnd = payload == 0 ? wireEnd : imin(wireEnd, off + 40 + payload);
  for (i32 hops = 0; hops < 16; hops++) {
    if (next != 0 && next != 43 && next != 44 && next != 60 && next != 51) break;
    if (end - p < 8) return M_IPV6_EXT;
    if (next == 44) {
      i32 fo = be16(b, p + 2);
      pf[F_IPID] = be32(b, p + 4);
      if (fo >> 3 != 0) {
        pf[F_PROTO] = b[p];
        pf[F_FRAG] = FRAG_LATER;
        clearTransport();
        return R_OK;
      }
      if (fo & 1) pf[F_FRAG] = FRAG_FIRST;
      next = b[p];
      p += 8;
      continue;
    }
    i32 len = next == 51 ? (b[p + 1] + 2) * 4 : (b[p + 1] + 1) * 8;
    if (end - p < len) return M_IPV6_EXT;
    next = b[p];
    p += len;
  }
  pf[F_PROTO] = next;
  return decodeTransport(b, next, p, imin(end, ipEnd), ipEnd - p);
}

static i32 decodeEthertype(const u8 *b, i32 et, i32 p, i32 end, i32 wireEnd, i32 srcMac, i32 srcLen, i32 dstMac) {
  if (et == ETH_IPV4) return decodeIPv4(b, p, end, wireEnd);
  if (et == ETH_IPV6) return decodeIPv6(b, p, end, wireEnd);
  pf[F_KIND] = KIND_L2;
  pf[F_PROTO] = 0;
  pf[F_ETHERTYPE] = et;
  pf[F_L3OFF] = p + org;
  pf[F_L3END] = (end < wireEnd ? end : wireEnd) + org;
  pf[F_SRC + 2] = 0;
  pf[F_SRC + 3] = 0;
  pf[F_DST + 2] = 0;
  pf[F_DST + 3] = 0;
  if (srcLen == 6) {
    pf[F_SRC] = be16(b, srcMac);
    pf[F_SRC + 1] = be32(b, srcMac + 2);
  } else {
    pf[F_SRC] = 0;
    pf[F_SRC + 1] = 0;
  }
  if (dstMac >= 0) {
    pf[F_DST] = be16(b, dstMac);
    pf[F_DST + 1] = be32(b, dstMac + 2);
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

static i32 decodeEthernet(const u8 *b, i32 off, i32 end, i32 wireEnd) {
  if (end - off < 14) return M_LINK_SHORT;
  i32 et = be16(b, off + 12);
  i32 p = off + 14;
  if (et == ETH_IPV4) return decodeIPv4(b, p, end, wireEnd);
  for (i32 tags = 0; tags < 8; tags++) {
    if (et != 0x8100 && et != 0x88a8 && et != 0x9100 && et != 0x9200) break;
    if (end - p < 4) return M_VLAN_SHORT;
    et = be16(b, p + 2);
    p += 4;
  }
  if (et < 0x0600) {
    if (end - p < 3) return M_LLC_SHORT;
    if (b[p] == 0xaa && b[p + 1] == 0xaa && b[p + 2] == 0x03) {
      if (end - p < 8) return M_LLC_SHORT;
      et = be16(b, p + 6);
      p += 8;
    } else et = 0;
  }
  return decodeEthertype(b, et, p, end, wireEnd, off + 6, 6, off);
}

static i32 decodeRawIp(const u8 *b, i32 off, i32 end, i32 wireEnd) {
  if (end - off < 1) return M_LINK_SHORT;
  i32 v = b[off] >> 4;
  if (v == 4) return decodeIPv4(b, off, end, wireEnd);
  if (v == 6) return decodeIPv6(b, off, end, wireEnd);
  return M_IP_VERSION;
}

/** decodeRecord: the frame at b + off, `caplen` bytes present; fields in pf. */
static inline i32 decodeRecord(const u8 *b, i32 off, i32 caplen, i32 origlen, u32 linkWord) {
  pf[F_KIND] = KIND_NONE;
  i32 fcs = (i32)(linkWord >> 16);
  i32 end = off + caplen;
  i32 wire = origlen > caplen ? origlen : caplen;
  i32 wireEnd = off + (wire > fcs ? wire - fcs : wire);
  switch (linkWord & 0xffff) {
    case 1:
      return decodeEthernet(b, off, end, wireEnd);
    case 101:
    case 12:
    case 14:
      return decodeRawIp(b, off, end, wireEnd);
    case 228:
      return decodeIPv4(b, off, end, wireEnd);
    case 229:
      return decodeIPv6(b, off, end, wireEnd);
    case 0:
    case 108: {
      if (caplen < 4) return M_NULL_SHORT;
      u32 af = be32(b, off);
      if ((linkWord & 0xffff) == 0 && (af & 0xffff0000u) != 0) af = le32(b, off);
      if (af == 2) return decodeIPv4(b, off + 4, end, wireEnd);
      if (af == 10 || af == 24 || af == 28 || af == 30) return decodeIPv6(b, off + 4, end, wireEnd);
      return R_OTHER_FAMILY;
    }
    case 113:
      if (caplen < 16) return M_LINK_SHORT;
      return decodeEthertype(b, be16(b, off + 14), off + 16, end, wireEnd, off + 6, be16(b, off + 4), -1);
    case 276:
      if (caplen < 20) return M_LINK_SHORT;
      return decodeEthertype(b, be16(b, off), off + 20, end, wireEnd, off + 12, b[off + 11], -1);
    default:
      return R_LINK_UNSUPPORTED;
  }
}

/** One record, called per packet from JS: the status; fields in pf. `at`: where b[0] lies in the batch. */
i32 decode_one(const u8 *b, i32 off, i32 caplen, i32 origlen, u32 linkWord, i32 at) {
  org = at;
  return decodeRecord(b, off, caplen, origlen, linkWord);
}

/**
 * A whole batch: `idx` holds 6 words per record (src/capture/records.ts: offset, caplen,
 * origlen, seconds, nanoseconds, link word); record r's fields go to out[32 r .. 32 r + 29]
 * and its status to out[32 r + 30].
 */
void decode_batch(const u8 *b, const u32 *idx, i32 n, u32 *out) {
  org = 0;
  for (i32 r = 0; r < n; r++) {
    const u32 *e = idx + 6 * r;
    i32 st = decodeRecord(b, (i32)e[0], (i32)e[1], (i32)e[2], e[5]);
    u32 *o = out + 32 * r;
    for (i32 w = 0; w < F_COUNT; w++) o[w] = pf[w];
    o[30] = (u32)st;
  }
}
