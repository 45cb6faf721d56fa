// Community ID v1 (https://github.com/corelight/community-id-spec): the flow hash users
// join on across Zeek, Suricata, Wireshark, Elastic... Computed once per flow when a
// report is built, never per packet.
//
//   "1:" + base64(SHA-1(seed:2 . addrA . addrB . proto:1 . 0:1 [. portA:2 . portB:2]))
//
// with the endpoints ordered so the smaller (address, port) comes first; ICMP and ICMPv6
// map type/code to a port pair as Zeek does (request/reply types pair up, other messages
// are one-way and never reordered). Everything is big-endian.
import * as crypto from 'node:crypto';

/** crypto.hash (Node >= 20.12): a one-shot digest without a Hash object per flow. */
const oneShot = (crypto as { hash?: (algorithm: string, data: Uint8Array, encoding: 'base64') => string }).hash;

import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP } from '../decode/transport.js';
// Zeek's ICMP counterparts: the type that answers each request type, and the other way round.
import { ICMP4_PEER, ICMP6_PEER } from '../decode/icmp.js';

/** SCTP has ports too (the decoder does not decode it, but Community ID defines it). */
const IPPROTO_SCTP = 132;

/** Protocols whose hash input carries the two ports (or ICMP's type/code mapping). */
function hasPorts(proto: number): boolean {
  return proto === IPPROTO_TCP || proto === IPPROTO_UDP || proto === IPPROTO_SCTP || proto === IPPROTO_ICMP || proto === IPPROTO_ICMPV6;
}

/** -1, 0 or 1 as big-endian byte strings compare. */
function cmpBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

/**
 * The Community ID v1 string of a flow, or null when it has none: addresses that are not
 * both IPv4 (4 bytes) or both IPv6 (16 bytes) — non-IP frames —, a seed outside 0-65535
 * or a protocol outside 0-255.
 *
 * Ports are used for TCP, UDP and SCTP; for ICMP (1) and ICMPv6 (58) pass the message
 * type as `srcPort` and the code as `dstPort` (Zeek's and the spec's convention); for any
 * other IP protocol they are ignored. Either direction of a flow gives the same ID
 * (except for one-way ICMP messages, which keep their direction, as the spec says).
 */
export function communityId(seed: number, proto: number, srcIp: Uint8Array, dstIp: Uint8Array, srcPort: number, dstPort: number): string | null {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffff) return null;
  if (!Number.isInteger(proto) || proto < 0 || proto > 255) return null;
  const alen = srcIp.length;
  if ((alen !== 4 && alen !== 16) || dstIp.length !== alen) return null;
  const ports = hasPorts(proto);
  let sp = srcPort & 0xffff;
  let dp = dstPort & 0xffff;
  let oneWay = false;
  if (proto === IPPROTO_ICMP || proto === IPPROTO_ICMPV6) {
    const peer = (proto === IPPROTO_ICMP ? ICMP4_PEER : ICMP6_PEER)[sp & 0xff];
    // type (and code) are 8-bit; a reply type gets its request as the "other port"
    sp &= 0xff;
    if (peer >= 0) dp = peer;
    else {
      dp &= 0xff;
      oneWay = true;
    }
  }
  let a = srcIp;
  let b = dstIp;
  if (!oneWay) {
    const c = cmpBytes(srcIp, dstIp);
    if (c > 0 || (c === 0 && ports && sp > dp)) {
      a = dstIp;
      b = srcIp;
      const t = sp;
      sp = dp;
      dp = t;
    }
  }
  // Every byte is written below, and the hash reads it before this returns: one buffer per length.
  const len = 2 + 2 * alen + 2 + (ports ? 4 : 0);
  const input = (INPUTS[len] ??= new Uint8Array(len));
  input[0] = seed >>> 8;
  input[1] = seed & 0xff;
  input.set(a, 2);
  input.set(b, 2 + alen);
  let p = 2 + 2 * alen;
  input[p++] = proto;
  input[p++] = 0;
  if (ports) {
    input[p++] = sp >>> 8;
    input[p++] = sp & 0xff;
    input[p++] = dp >>> 8;
    input[p] = dp & 0xff;
  }
  return '1:' + (oneShot !== undefined ? oneShot('sha1', input, 'base64') : crypto.createHash('sha1').update(input).digest('base64'));
}

const INPUTS: (Uint8Array | undefined)[] = [];
const SRC4 = new Uint8Array(4);
const DST4 = new Uint8Array(4);
const SRC16 = new Uint8Array(16);
const DST16 = new Uint8Array(16);

/**
 * The same from address words as the decoder and flow table keep them (F_SRC/F_DST: four
 * big-endian 32-bit words; an IPv4 address is word 0 alone).
 */
export function communityIdFromWords(
  seed: number,
  proto: number,
  ipv6: boolean,
  src: ArrayLike<number>,
  srcAt: number,
  dst: ArrayLike<number>,
  dstAt: number,
  srcPort: number,
  dstPort: number,
): string | null {
  const n = ipv6 ? 4 : 1;
  // communityId() copies them before it returns: scratch arrays, not two new ones per flow.
  const s = ipv6 ? SRC16 : SRC4;
  const d = ipv6 ? DST16 : DST4;
  for (let i = 0; i < n; i++) {
    const x = src[srcAt + i] >>> 0;
    const y = dst[dstAt + i] >>> 0;
    s[4 * i] = x >>> 24;
    s[4 * i + 1] = (x >>> 16) & 0xff;
    s[4 * i + 2] = (x >>> 8) & 0xff;
    s[4 * i + 3] = x & 0xff;
    d[4 * i] = y >>> 24;
    d[4 * i + 1] = (y >>> 16) & 0xff;
    d[4 * i + 2] = (y >>> 8) & 0xff;
    d[4 * i + 3] = y & 0xff;
  }
  return communityId(seed, proto, s, d, srcPort, dstPort);
}
