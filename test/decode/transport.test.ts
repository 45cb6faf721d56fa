// Layer 4: TCP ports and flags, UDP, ICMP/ICMPv6 (errors rewritten as the reversed quoted
// tuple with F_ICMPERR set), other IP protocols (99), and the transport malformations.
import { describe, expect, it } from 'vitest';
import {
  FRAG_NONE,
  KIND_IPV4,
  KIND_IPV6,
  M_ICMP_SHORT,
  M_TCP_HDRLEN,
  M_TCP_SHORT,
  M_UDP_LEN,
  M_UDP_SHORT,
  R_OK,
  TCP_ACK,
  TCP_FIN,
  TCP_RST,
  TCP_SYN,
} from '../../src/decode/fields.js';
import {
  ACK,
  cat,
  decode,
  eth,
  EXT_HOPOPTS,
  ext6Options,
  FIN,
  fields,
  icmp6Echo,
  icmp6Error,
  icmpEcho,
  icmpError,
  ip4Word,
  ip6Words,
  ipv4,
  ipv6,
  PROTO_ICMP,
  PROTO_ICMPV6,
  PROTO_TCP,
  PROTO_UDP,
  PSH,
  RST,
  SYN,
  tcp,
  udp,
} from '../helpers/build.js';

const RAW = 101;
const A = '10.0.0.1';
const B = '10.0.0.2';
const w4 = (s: string) => [ip4Word(s), 0, 0, 0];

function v4(proto: number, payload: Buffer, o: { src?: string; dst?: string } = {}): Buffer {
  return ipv4({ src: o.src ?? A, dst: o.dst ?? B, proto, payload });
}

describe('TCP', () => {
  it('builder flags match the decoder constants', () => {
    expect([FIN, SYN, RST, ACK]).toEqual([TCP_FIN, TCP_SYN, TCP_RST, TCP_ACK]);
  });

  const cases: [string, number][] = [
    ['SYN', SYN],
    ['SYN-ACK', SYN | ACK],
    ['ACK', ACK],
    ['PSH-ACK', PSH | ACK],
    ['FIN-ACK', FIN | ACK],
    ['RST', RST],
    ['RST-ACK', RST | ACK],
    ['none', 0],
    ['all eight bits (ECE, CWR, URG too)', 0xff],
  ];
  for (const [name, flags] of cases) {
    it(`flags ${name} = 0x${flags.toString(16)}`, () => {
      const d = decode(v4(PROTO_TCP, tcp({ sport: 49152, dport: 28769, flags })), RAW);
      expect(d.status).toBe(R_OK);
      expect(fields(d)).toMatchObject({ kind: KIND_IPV4, proto: 6, src: w4(A), dst: w4(B), sport: 49152, dport: 28769, flags, icmperr: 0, frag: FRAG_NONE });
    });
  }

  it('options (data offset 8) and payload', () => {
    const d = decode(v4(PROTO_TCP, tcp({ sport: 1, dport: 65535, flags: SYN, options: [2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0], payload: Buffer.alloc(10) })), RAW);
    expect(d.status).toBe(R_OK);
    expect(fields(d)).toMatchObject({ sport: 1, dport: 65535, flags: SYN });
  });

  it('over IPv6', () => {
    const d = decode(ipv6({ src: 'fd00::1', dst: 'fd00::2', next: PROTO_TCP, payload: tcp({ sport: 50000, dport: 22, flags: SYN }) }), RAW);
    expect(fields(d)).toMatchObject({ kind: KIND_IPV6, proto: 6, src: ip6Words('fd00::1'), dst: ip6Words('fd00::2'), sport: 50000, dport: 22, flags: SYN });
  });

  it('malformed: header cut before the flags; data offset below 5; IP payload below 20', () => {
    expect(decode(v4(PROTO_TCP, tcp({ sport: 1, dport: 2 }).subarray(0, 13)), RAW).status).toBe(M_TCP_SHORT);
    expect(decode(v4(PROTO_TCP, Buffer.alloc(0)), RAW).status).toBe(M_TCP_SHORT);
    expect(decode(v4(PROTO_TCP, tcp({ sport: 1, dport: 2, dataOffset: 4 })), RAW).status).toBe(M_TCP_HDRLEN);
    expect(decode(v4(PROTO_TCP, tcp({ sport: 1, dport: 2, dataOffset: 0 })), RAW).status).toBe(M_TCP_HDRLEN);
    // 16 bytes of TCP: ports and flags are there, the header is not whole
    expect(decode(v4(PROTO_TCP, tcp({ sport: 1, dport: 2 }).subarray(0, 16)), RAW).status).toBe(M_TCP_HDRLEN);
  });
});

describe('UDP', () => {
  it('ports', () => {
    const d = decode(v4(PROTO_UDP, udp({ sport: 123, dport: 123, payload: Buffer.alloc(48) })), RAW);
    expect(d.status).toBe(R_OK);
    expect(fields(d)).toMatchObject({ kind: KIND_IPV4, proto: 17, src: w4(A), dst: w4(B), sport: 123, dport: 123, flags: 0, icmperr: 0 });
  });

  it('UDP length 0 (IPv6 jumbogram style) is accepted', () => {
    const d = decode(ipv6({ next: PROTO_UDP, payload: udp({ sport: 7, dport: 8, length: 0, payload: Buffer.alloc(10) }) }), RAW);
    expect(d.status).toBe(R_OK);
    expect(fields(d)).toMatchObject({ sport: 7, dport: 8 });
  });

  it('a snaplen cut after the ports: not malformed when the IP length says the header was whole', () => {
    const full = v4(PROTO_UDP, udp({ sport: 514, dport: 514, payload: Buffer.alloc(200) }));
    const d = decode(full.subarray(0, 24), RAW, { origlen: full.length });
    expect(d.status).toBe(R_OK);
    expect(fields(d)).toMatchObject({ sport: 514, dport: 514 });
  });

  it('malformed: fewer than 4 bytes; IP payload below 8; length below 8 or beyond the IP payload', () => {
    expect(decode(v4(PROTO_UDP, Buffer.from([0, 53, 0])), RAW).status).toBe(M_UDP_SHORT);
    expect(decode(v4(PROTO_UDP, udp({ sport: 1, dport: 2 }).subarray(0, 6)), RAW).status).toBe(M_UDP_SHORT);
    expect(decode(v4(PROTO_UDP, udp({ sport: 1, dport: 2, length: 7 })), RAW).status).toBe(M_UDP_LEN);
    expect(decode(v4(PROTO_UDP, udp({ sport: 1, dport: 2, payload: Buffer.alloc(4), length: 13 })), RAW).status).toBe(M_UDP_LEN);
    expect(decode(v4(PROTO_UDP, udp({ sport: 1, dport: 2, payload: Buffer.alloc(4), length: 12 })), RAW).status).toBe(R_OK);
  });
});

describe('ICMP', () => {
  it('echo request: ICMP flow between the two addresses, type and counterpart as ports (8, 0), no error', () => {
    const d = decode(v4(PROTO_ICMP, icmpEcho({ id: 0x1234, seq: 9 })), RAW);
    expect(d.status).toBe(R_OK);
    expect(fields(d)).toMatchObject({ kind: KIND_IPV4, proto: 1, src: w4(A), dst: w4(B), sport: 8, dport: 0, flags: 0, icmperr: 0 });
  });

  it('echo reply: ports (0, 8), the request\'s swapped, so both land in one flow', () => {
    const d = decode(v4(PROTO_ICMP, icmpEcho({ reply: true }), { src: B, dst: A }), RAW);
    expect(fields(d)).toMatchObject({ src: w4(B), dst: w4(A), sport: 0, dport: 8, icmperr: 0 });
  });

  it('a one-way message (no counterpart) keeps its type and code as ports', () => {
    // type 42 (extended echo, RFC 8335) has no counterpart in Zeek's table; code 7
    const d = decode(v4(PROTO_ICMP, Buffer.from([42, 7, 0, 0, 0, 0, 0, 0])), RAW);
    expect(fields(d)).toMatchObject({ proto: 1, sport: 42, dport: 7, icmperr: 0 });
  });

  it('port unreachable quoting a UDP packet becomes the reversed UDP tuple with F_ICMPERR', () => {
    // A (10.0.0.1:5353) sent UDP to B:514; B answers with ICMP 3/3 quoting it.
    const probe = v4(PROTO_UDP, udp({ sport: 5353, dport: 514, payload: Buffer.from('hello') }));
    const err = v4(PROTO_ICMP, icmpError(probe.subarray(0, 28)), { src: B, dst: A });
    const d = decode(eth({ ethertype: 0x0800, payload: err }), 1);
    expect(d.status).toBe(R_OK);
    expect(fields(d)).toMatchObject({
      kind: KIND_IPV4,
      proto: PROTO_UDP,
      src: w4(B),
      dst: w4(A),
      sport: 514,
      dport: 5353,
      flags: 0,
      icmperr: 0x10000 | (3 << 8) | 3,
    });
  });

  it('an error sent by a router (not the quoted destination) is still attributed to the quoted flow', () => {
    const probe = v4(PROTO_TCP, tcp({ sport: 40000, dport: 443, flags: SYN }));
    const err = v4(PROTO_ICMP, icmpError(probe.subarray(0, 28), { type: 11, code: 0 }), { src: '192.0.2.254', dst: A });
    const d = decode(err, RAW);
    expect(fields(d)).toMatchObject({ proto: PROTO_TCP, src: w4(B), dst: w4(A), sport: 443, dport: 40000, icmperr: 0x10b00 });
  });

  for (const [type, code] of [[3, 13], [4, 0], [5, 1], [11, 1], [12, 0]]) {
    it(`type ${type} code ${code} is an error`, () => {
      const probe = v4(PROTO_UDP, udp({ sport: 1, dport: 2 }));
      const d = decode(v4(PROTO_ICMP, icmpError(probe, { type, code }), { src: B, dst: A }), RAW);
      expect(fields(d).icmperr).toBe((0x10000 | (type << 8) | code) >>> 0);
      expect(fields(d)).toMatchObject({ proto: 17, sport: 2, dport: 1 });
    });
  }

  it('an error quoting only an IP header: reversed addresses and quoted protocol, no ports', () => {
    const probe = v4(PROTO_UDP, udp({ sport: 1, dport: 2 }));
    const d = decode(v4(PROTO_ICMP, icmpError(probe.subarray(0, 20)), { src: B, dst: A }), RAW);
    expect(fields(d)).toMatchObject({ proto: 17, src: w4(B), dst: w4(A), sport: 0, dport: 0, icmperr: 0x10303 });
  });

  it('an error quoting an IP header with options', () => {
    const probe = ipv4({ src: A, dst: B, proto: PROTO_UDP, options: Buffer.alloc(8, 1), payload: udp({ sport: 161, dport: 162 }) });
    const d = decode(v4(PROTO_ICMP, icmpError(probe), { src: B, dst: A }), RAW);
    expect(fields(d)).toMatchObject({ proto: 17, sport: 162, dport: 161, icmperr: 0x10303 });
  });

  it('an error whose quote is cut short stays an ICMP packet between the outer addresses', () => {
    const probe = v4(PROTO_UDP, udp({ sport: 1, dport: 2 }));
    const d = decode(v4(PROTO_ICMP, icmpError(probe.subarray(0, 12)), { src: B, dst: A }), RAW);
    expect(d.status).toBe(R_OK);
    expect(fields(d)).toMatchObject({ proto: 1, src: w4(B), dst: w4(A), sport: 0, dport: 0, icmperr: 0 });
  });

  it('an ICMPv4 error quoting an IPv6 packet is not rewritten', () => {
    const inner = ipv6({ next: PROTO_UDP, payload: udp({ sport: 1, dport: 2 }) });
    const d = decode(v4(PROTO_ICMP, icmpError(inner), { src: B, dst: A }), RAW);
    expect(fields(d)).toMatchObject({ proto: 1, src: w4(B), icmperr: 0 });
  });

  it('malformed: fewer than 4 bytes of ICMP', () => {
    expect(decode(v4(PROTO_ICMP, Buffer.from([8, 0, 0])), RAW).status).toBe(M_ICMP_SHORT);
    expect(decode(ipv6({ next: PROTO_ICMPV6, payload: Buffer.from([128]) }), RAW).status).toBe(M_ICMP_SHORT);
  });
});

describe('ICMPv6', () => {
  const C = 'fd00::c';
  const S = 'fd00::5';

  it('echo request is not an error', () => {
    const d = decode(ipv6({ src: C, dst: S, next: PROTO_ICMPV6, payload: icmp6Echo() }), RAW);
    expect(fields(d)).toMatchObject({ kind: KIND_IPV6, proto: 58, src: ip6Words(C), dst: ip6Words(S), sport: 128, dport: 129, icmperr: 0 });
    const r = decode(ipv6({ src: S, dst: C, next: PROTO_ICMPV6, payload: icmp6Echo({ reply: true }) }), RAW);
    expect(fields(r)).toMatchObject({ sport: 129, dport: 128, icmperr: 0 });
  });

  it('neighbour solicitation (135 <-> 136) and an MLDv2 report (143, one-way: code as port)', () => {
    const ns = decode(ipv6({ src: C, dst: S, next: PROTO_ICMPV6, payload: Buffer.from([135, 0, 0, 0, 0, 0, 0, 0]) }), RAW);
    expect(fields(ns)).toMatchObject({ sport: 135, dport: 136, icmperr: 0 });
    const mld = decode(ipv6({ src: C, dst: 'ff02::16', next: PROTO_ICMPV6, payload: Buffer.from([143, 0, 0, 0, 0, 0, 0, 0]) }), RAW);
    expect(fields(mld)).toMatchObject({ sport: 143, dport: 0, icmperr: 0 });
  });

  it('destination unreachable (port) quoting UDP becomes the reversed UDP tuple', () => {
    const probe = ipv6({ src: C, dst: S, next: PROTO_UDP, payload: udp({ sport: 33434, dport: 1812 }) });
    const d = decode(ipv6({ src: S, dst: C, next: PROTO_ICMPV6, payload: icmp6Error(probe) }), RAW);
    expect(d.status).toBe(R_OK);
    expect(fields(d)).toMatchObject({ kind: KIND_IPV6, proto: 17, src: ip6Words(S), dst: ip6Words(C), sport: 1812, dport: 33434, icmperr: 0x10104 });
  });

  it('packet too big (type 2) quoting TCP, after a hop-by-hop header on the outer packet', () => {
    const probe = ipv6({ src: C, dst: S, next: PROTO_TCP, payload: tcp({ sport: 50505, dport: 443, flags: ACK }) });
    const outer = ipv6({ src: 'fd00::1', dst: C, next: EXT_HOPOPTS, payload: cat(ext6Options(PROTO_ICMPV6, 1), icmp6Error(probe, { type: 2, code: 0 })) });
    const d = decode(outer, RAW);
    expect(fields(d)).toMatchObject({ proto: 6, src: ip6Words(S), dst: ip6Words(C), sport: 443, dport: 50505, icmperr: 0x10200 });
  });

  it('types 1 to 4 are errors; 128 and above are not', () => {
    const probe = ipv6({ src: C, dst: S, next: PROTO_UDP, payload: udp({ sport: 1, dport: 2 }) });
    for (const type of [1, 2, 3, 4]) expect(fields(decode(ipv6({ next: PROTO_ICMPV6, payload: icmp6Error(probe, { type, code: 0 }) }), RAW)).icmperr).toBe(0x10000 | (type << 8));
    for (const type of [0, 5, 127, 128, 135]) expect(fields(decode(ipv6({ next: PROTO_ICMPV6, payload: icmp6Error(probe, { type, code: 0 }) }), RAW)).icmperr).toBe(0);
  });
});

describe('other IP protocols', () => {
  it('IP protocol 99 comes out as 99 with no ports', () => {
    const d = decode(v4(99, Buffer.alloc(30, 7)), RAW);
    expect(d.status).toBe(R_OK);
    expect(fields(d)).toMatchObject({ kind: KIND_IPV4, proto: 99, src: w4(A), dst: w4(B), sport: 0, dport: 0, flags: 0, icmperr: 0 });
  });

  it('IPv6 next header 99, GRE (47), ESP (50), VRRP (112), even with no payload', () => {
    expect(fields(decode(ipv6({ next: 99, payload: Buffer.alloc(8) }), RAW))).toMatchObject({ kind: KIND_IPV6, proto: 99, sport: 0, dport: 0 });
    for (const p of [47, 50, 112]) {
      const d = decode(v4(p, Buffer.alloc(0)), RAW);
      expect(d.status).toBe(R_OK);
      expect(fields(d).proto).toBe(p);
    }
  });
});
