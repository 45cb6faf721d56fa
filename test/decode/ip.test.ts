// Layer 3: IPv4 options, total length (including 0 from segmentation offload), fragments;
// IPv6 extension headers (hop-by-hop, routing, fragment, destination options, AH) and
// their malformations. Frames are raw IP (LINKTYPE_RAW 101) unless said otherwise.
import { describe, expect, it } from 'vitest';
import {
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
  M_TCP_SHORT,
  R_OK,
} from '../../src/decode/fields.js';
import {
  ACK,
  cat,
  decode,
  eth,
  EXT_AH,
  EXT_DSTOPTS,
  EXT_FRAGMENT,
  EXT_HOPOPTS,
  EXT_ROUTING,
  ext6Ah,
  ext6Fragment,
  ext6Options,
  ext6Routing,
  fields,
  ip4Word,
  ip6Words,
  ipv4,
  ipv6,
  PROTO_TCP,
  PROTO_UDP,
  PSH,
  tcp,
  udp,
} from '../helpers/build.js';

const RAW = 101;
const seg = tcp({ sport: 33000, dport: 3978, flags: PSH | ACK, payload: Buffer.from('panorama') });
const dgram = udp({ sport: 29281, dport: 29281, payload: Buffer.alloc(64, 1) });

describe('IPv4', () => {
  it('plain header: addresses, protocol, ports, IP ID', () => {
    const d = decode(ipv4({ src: '10.1.2.3', dst: '10.4.5.6', proto: PROTO_TCP, id: 0xbeef, df: true, payload: seg }), RAW);
    expect(d.status).toBe(R_OK);
    expect(fields(d)).toMatchObject({
      kind: KIND_IPV4,
      proto: 6,
      src: [ip4Word('10.1.2.3'), 0, 0, 0],
      dst: [ip4Word('10.4.5.6'), 0, 0, 0],
      sport: 33000,
      dport: 3978,
      flags: PSH | ACK,
      frag: FRAG_NONE,
      ipid: 0xbeef,
      icmperr: 0,
    });
    expect(ip4Word('10.1.2.3')).toBe(0x0a010203);
  });

  for (const optLen of [4, 8, 12, 40]) {
    it(`options (${optLen} bytes, IHL ${5 + optLen / 4}) are skipped to reach the ports`, () => {
      // NOP-padded Record Route style option: type 7, length, pointer, then zeros
      const opts = cat([7, optLen - 1, 4], Buffer.alloc(optLen - 4), [1]);
      const d = decode(ipv4({ proto: PROTO_UDP, options: opts, payload: dgram }), RAW);
      expect(d.status).toBe(R_OK);
      expect(fields(d)).toMatchObject({ kind: KIND_IPV4, proto: 17, sport: 29281, dport: 29281 });
    });
  }

  it('total length 0 (captured before segmentation offload) trusts the frame', () => {
    const d = decode(ipv4({ proto: PROTO_TCP, totalLength: 0, payload: seg }), RAW);
    expect(d.status).toBe(R_OK);
    expect(fields(d)).toMatchObject({ sport: 33000, dport: 3978 });
  });

  it('Ethernet padding after a short datagram is ignored', () => {
    const small = ipv4({ proto: PROTO_UDP, payload: udp({ sport: 1, dport: 2 }) }); // 28 bytes
    const d = decode(cat(eth({ ethertype: 0x0800, payload: small }), Buffer.alloc(18)), 1);
    expect(d.status).toBe(R_OK);
    expect(fields(d)).toMatchObject({ sport: 1, dport: 2 });
  });

  it('a snaplen cut (caplen < origlen) is not malformed while the ports and flags are there', () => {
    const full = ipv4({ proto: PROTO_TCP, payload: tcp({ sport: 5, dport: 6, flags: ACK, payload: Buffer.alloc(1400) }) });
    const d = decode(full.subarray(0, 40), RAW, { origlen: full.length });
    expect(d.status).toBe(R_OK);
    expect(fields(d)).toMatchObject({ sport: 5, dport: 6, flags: ACK });
    // cut inside the TCP header before the flags
    expect(decode(full.subarray(0, 33), RAW, { origlen: full.length }).status).toBe(M_TCP_SHORT);
  });

  describe('fragments', () => {
    it('the first fragment (MF, offset 0) carries the ports', () => {
      const d = decode(ipv4({ proto: PROTO_TCP, id: 777, mf: true, payload: seg }), RAW);
      expect(d.status).toBe(R_OK);
      expect(fields(d)).toMatchObject({ frag: FRAG_FIRST, ipid: 777, sport: 33000, dport: 3978, flags: PSH | ACK });
    });

    it('a first UDP fragment is not malformed although the UDP length covers the whole datagram', () => {
      const first = udp({ sport: 5000, dport: 514, payload: Buffer.alloc(1472), length: 8 + 3000 }).subarray(0, 1480);
      const d = decode(ipv4({ proto: PROTO_UDP, id: 778, mf: true, payload: first }), RAW);
      expect(d.status).toBe(R_OK);
      expect(fields(d)).toMatchObject({ frag: FRAG_FIRST, ipid: 778, proto: 17, sport: 5000, dport: 514 });
    });

    it('a later fragment (offset > 0) has no ports: FRAG_LATER with the IP ID', () => {
      const d = decode(ipv4({ src: '10.9.9.9', proto: PROTO_UDP, id: 778, mf: true, fragOffset: 185, payload: Buffer.alloc(1480, 0x55) }), RAW);
      expect(d.status).toBe(R_OK);
      expect(fields(d)).toMatchObject({ kind: KIND_IPV4, proto: 17, src: [ip4Word('10.9.9.9'), 0, 0, 0], frag: FRAG_LATER, ipid: 778, sport: 0, dport: 0, flags: 0, icmperr: 0 });
    });

    it('the last fragment (no MF, offset > 0) is a later fragment too', () => {
      const d = decode(ipv4({ proto: PROTO_TCP, id: 9, fragOffset: 1, payload: Buffer.alloc(20, 0xff) }), RAW);
      expect(fields(d)).toMatchObject({ frag: FRAG_LATER, ipid: 9, sport: 0, dport: 0, flags: 0 });
    });

    it('DF with offset 0 is not a fragment', () => {
      expect(fields(decode(ipv4({ proto: PROTO_TCP, df: true, payload: seg }), RAW)).frag).toBe(FRAG_NONE);
    });
  });

  describe('malformed', () => {
    const good = ipv4({ proto: PROTO_TCP, payload: seg });
    it('shorter than 20 bytes', () => {
      expect(decode(good.subarray(0, 19), RAW).status).toBe(M_IPV4_SHORT);
      expect(decode(good.subarray(0, 19), 228).status).toBe(M_IPV4_SHORT);
    });
    it('shorter than its IHL', () => {
      const withOpts = ipv4({ proto: PROTO_TCP, options: Buffer.alloc(12, 1), payload: seg });
      expect(decode(withOpts.subarray(0, 30), RAW).status).toBe(M_IPV4_SHORT);
    });
    it('IHL below 5', () => {
      expect(decode(ipv4({ proto: PROTO_TCP, ihl: 4, payload: seg }), RAW).status).toBe(M_IPV4_HDRLEN);
      expect(decode(ipv4({ proto: PROTO_TCP, ihl: 0, payload: seg }), RAW).status).toBe(M_IPV4_HDRLEN);
    });
    it('total length below the header or beyond the frame', () => {
      expect(decode(ipv4({ proto: PROTO_TCP, totalLength: 19, payload: seg }), RAW).status).toBe(M_IPV4_TOTLEN);
      expect(decode(ipv4({ proto: PROTO_TCP, totalLength: good.length + 1, payload: seg }), RAW).status).toBe(M_IPV4_TOTLEN);
      // ... but not beyond the wire length when the capture was cut by the snaplen
      expect(decode(good.subarray(0, 54), RAW, { origlen: good.length }).status).toBe(R_OK);
    });
    it('version other than 4 behind an IPv4 ethertype', () => {
      expect(decode(eth({ ethertype: 0x0800, payload: ipv4({ version: 5, proto: 6, payload: seg }) }), 1).status).toBe(M_IP_VERSION);
    });
  });
});

describe('IPv6 extension headers', () => {
  const SRC = '2001:db8:0:1::a';
  const DST = '2001:db8:0:2::b';
  const base = { kind: KIND_IPV6, src: ip6Words(SRC), dst: ip6Words(DST) };

  function v6(next: number, payload: Buffer): Buffer {
    return ipv6({ src: SRC, dst: DST, next, payload });
  }

  it('no extension header', () => {
    const d = decode(v6(PROTO_TCP, seg), RAW);
    expect(d.status).toBe(R_OK);
    expect(fields(d)).toMatchObject({ ...base, proto: 6, sport: 33000, dport: 3978, flags: PSH | ACK, frag: FRAG_NONE, ipid: 0 });
    expect(ip6Words(SRC)).toEqual([0x20010db8, 0x00000001, 0, 0x0000000a]);
  });

  it('hop-by-hop options', () => {
    const d = decode(v6(EXT_HOPOPTS, cat(ext6Options(PROTO_TCP, 1), seg)), RAW);
    expect(d.status).toBe(R_OK);
    expect(fields(d)).toMatchObject({ ...base, proto: 6, sport: 33000, dport: 3978 });
  });

  it('routing header (type 2, one address)', () => {
    const d = decode(v6(EXT_ROUTING, cat(ext6Routing(PROTO_UDP, ['2001:db8::99']), dgram)), RAW);
    expect(d.status).toBe(R_OK);
    expect(fields(d)).toMatchObject({ ...base, proto: 17, sport: 29281, dport: 29281 });
  });

  it('destination options (24 bytes)', () => {
    const d = decode(v6(EXT_DSTOPTS, cat(ext6Options(PROTO_TCP, 3), seg)), RAW);
    expect(d.status).toBe(R_OK);
    expect(fields(d)).toMatchObject({ proto: 6, sport: 33000 });
  });

  it('authentication header (length in 32-bit words minus 2)', () => {
    const d = decode(v6(EXT_AH, cat(ext6Ah(PROTO_TCP, 3), seg)), RAW);
    expect(d.status).toBe(R_OK);
    expect(fields(d)).toMatchObject({ proto: 6, sport: 33000, dport: 3978 });
    // an ICV of 5 words: 32 bytes, not a multiple of 8
    const d5 = decode(v6(EXT_AH, cat(ext6Ah(PROTO_UDP, 5), dgram)), RAW);
    expect(fields(d5)).toMatchObject({ proto: 17, sport: 29281 });
  });

  it('fragment header: first fragment carries ports and the fragment identification', () => {
    const d = decode(v6(EXT_FRAGMENT, cat(ext6Fragment(PROTO_UDP, { more: true, id: 0xcafe0001 }), dgram)), RAW);
    expect(d.status).toBe(R_OK);
    expect(fields(d)).toMatchObject({ ...base, proto: 17, frag: FRAG_FIRST, ipid: 0xcafe0001, sport: 29281, dport: 29281 });
  });

  it('fragment header: a first UDP fragment with the whole datagram length is fine', () => {
    const first = udp({ sport: 1812, dport: 1812, payload: Buffer.alloc(1000), length: 4008 }).subarray(0, 1008);
    const d = decode(v6(EXT_FRAGMENT, cat(ext6Fragment(PROTO_UDP, { more: true, id: 5 }), first)), RAW);
    expect(d.status).toBe(R_OK);
    expect(fields(d)).toMatchObject({ frag: FRAG_FIRST, sport: 1812, dport: 1812 });
  });

  it('fragment header: a later fragment gets the protocol from the fragment header, no ports', () => {
    const d = decode(v6(EXT_FRAGMENT, cat(ext6Fragment(PROTO_TCP, { offset: 100, more: true, id: 0xcafe0002 }), Buffer.alloc(64, 9))), RAW);
    expect(d.status).toBe(R_OK);
    expect(fields(d)).toMatchObject({ ...base, proto: 6, frag: FRAG_LATER, ipid: 0xcafe0002, sport: 0, dport: 0, flags: 0, icmperr: 0 });
  });

  it('an atomic fragment (offset 0, no M flag) is not a fragment but keeps its identification', () => {
    const d = decode(v6(EXT_FRAGMENT, cat(ext6Fragment(PROTO_TCP, { id: 42 }), seg)), RAW);
    expect(fields(d)).toMatchObject({ frag: FRAG_NONE, ipid: 42, sport: 33000 });
  });

  it('a chain: hop-by-hop, destination options, routing, fragment, AH, destination options', () => {
    const chain = cat(
      ext6Options(EXT_DSTOPTS, 1),
      ext6Options(EXT_ROUTING, 2),
      ext6Routing(EXT_FRAGMENT, ['fe80::1', 'fe80::2']),
      ext6Fragment(EXT_AH, { more: true, id: 7 }),
      ext6Ah(EXT_DSTOPTS, 4),
      ext6Options(PROTO_UDP, 1),
      dgram,
    );
    const d = decode(v6(EXT_HOPOPTS, chain), RAW);
    expect(d.status).toBe(R_OK);
    expect(fields(d)).toMatchObject({ ...base, proto: 17, frag: FRAG_FIRST, ipid: 7, sport: 29281, dport: 29281 });
  });

  it('Ethernet padding after a short IPv6 packet is ignored (payload length rules)', () => {
    const small = ipv6({ next: PROTO_UDP, payload: udp({ sport: 3, dport: 4 }) });
    const d = decode(cat(eth({ ethertype: 0x86dd, payload: small }), Buffer.alloc(10)), 1);
    expect(d.status).toBe(R_OK);
    expect(fields(d)).toMatchObject({ sport: 3, dport: 4 });
  });

  describe('malformed', () => {
    it('fewer than 40 bytes', () => {
      expect(decode(v6(PROTO_TCP, seg).subarray(0, 39), RAW).status).toBe(M_IPV6_SHORT);
      expect(decode(v6(PROTO_TCP, seg).subarray(0, 39), 229).status).toBe(M_IPV6_SHORT);
    });
    it('an extension header cut before its first 8 bytes', () => {
      expect(decode(v6(EXT_HOPOPTS, ext6Options(PROTO_TCP, 1)).subarray(0, 45), RAW).status).toBe(M_IPV6_EXT);
      expect(decode(v6(EXT_FRAGMENT, ext6Fragment(PROTO_TCP)).subarray(0, 47), RAW).status).toBe(M_IPV6_EXT);
    });
    it('an extension header longer than what is left', () => {
      expect(decode(v6(EXT_DSTOPTS, ext6Options(PROTO_TCP, 4)).subarray(0, 40 + 24), RAW).status).toBe(M_IPV6_EXT);
      expect(decode(v6(EXT_AH, ext6Ah(PROTO_TCP, 3)).subarray(0, 40 + 20), RAW).status).toBe(M_IPV6_EXT);
    });
    it('version other than 6 behind an IPv6 ethertype', () => {
      const bad = v6(PROTO_TCP, seg);
      bad[0] = 0x40;
      expect(decode(eth({ ethertype: 0x86dd, payload: bad }), 1).status).toBe(M_IP_VERSION);
    });
  });
});
