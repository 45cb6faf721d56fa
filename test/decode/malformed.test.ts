// Every malformation reason (each exported M_* constant) produced at least once by a
// packet shorter than its headers claim or with an impossible header field; no reason is
// left without a case or a printable name.
import { describe, expect, it } from 'vitest';
import * as F from '../../src/decode/fields.js';
import {
  cat,
  decode,
  eth,
  EXT_HOPOPTS,
  ext6Options,
  icmpEcho,
  ipv4,
  ipv6,
  llc,
  nullHdr,
  PROTO_ICMP,
  PROTO_TCP,
  PROTO_UDP,
  sll,
  sll2,
  snap,
  tcp,
  udp,
} from '../helpers/build.js';

const seg = tcp({ sport: 1000, dport: 443, flags: 2 });
const v4tcp = ipv4({ proto: PROTO_TCP, payload: seg });

// name, frame, link type, expected reason
const cases: [string, Buffer, number, number][] = [
  ['Ethernet header of 13 bytes', Buffer.alloc(13), 1, F.M_LINK_SHORT],
  ['SLL header of 15 bytes', sll({ protocol: 0x0800, payload: [] }).subarray(0, 15), 113, F.M_LINK_SHORT],
  ['SLL2 header of 19 bytes', sll2({ protocol: 0x0800, payload: [] }).subarray(0, 19), 276, F.M_LINK_SHORT],
  ['raw IP of 0 bytes', Buffer.alloc(0), 101, F.M_LINK_SHORT],
  ['802.1Q tag cut after 2 bytes', eth({ tags: [[0x8100, 5]], ethertype: 0x0800, payload: [] }).subarray(0, 16), 1, F.M_VLAN_SHORT],
  ['802.3 LLC of 2 bytes', llc({}).subarray(0, 16), 1, F.M_LLC_SHORT],
  ['SNAP header of 7 bytes', snap({ ethertype: 0x0800, payload: v4tcp }).subarray(0, 21), 1, F.M_LLC_SHORT],
  ['IPv6 behind ethertype 0x0800', eth({ ethertype: 0x0800, payload: ipv6({ next: 6, payload: seg }) }), 1, F.M_IP_VERSION],
  ['version 0 on raw IP', Buffer.alloc(40), 101, F.M_IP_VERSION],
  ['IPv4 header of 19 bytes', v4tcp.subarray(0, 19), 101, F.M_IPV4_SHORT],
  ['IPv4 with IHL 4', ipv4({ proto: PROTO_TCP, ihl: 4, payload: seg }), 101, F.M_IPV4_HDRLEN],
  ['IPv4 total length beyond the frame', ipv4({ proto: PROTO_TCP, totalLength: 1500, payload: seg }), 101, F.M_IPV4_TOTLEN],
  ['IPv6 header of 39 bytes', ipv6({ next: 6, payload: seg }).subarray(0, 39), 101, F.M_IPV6_SHORT],
  ['IPv6 hop-by-hop cut', ipv6({ next: EXT_HOPOPTS, payload: ext6Options(6, 2) }).subarray(0, 50), 101, F.M_IPV6_EXT],
  ['TCP header of 13 bytes', ipv4({ proto: PROTO_TCP, payload: seg.subarray(0, 13) }), 101, F.M_TCP_SHORT],
  ['TCP data offset 2', ipv4({ proto: PROTO_TCP, payload: tcp({ sport: 1, dport: 2, dataOffset: 2 }) }), 101, F.M_TCP_HDRLEN],
  ['UDP header of 3 bytes', ipv4({ proto: PROTO_UDP, payload: [0, 1, 0] }), 101, F.M_UDP_SHORT],
  ['UDP length 4', ipv4({ proto: PROTO_UDP, payload: udp({ sport: 1, dport: 2, length: 4 }) }), 101, F.M_UDP_LEN],
  ['UDP length beyond the IP payload', ipv4({ proto: PROTO_UDP, payload: udp({ sport: 1, dport: 2, length: 100 }) }), 101, F.M_UDP_LEN],
  ['ICMP header of 3 bytes', ipv4({ proto: PROTO_ICMP, payload: icmpEcho().subarray(0, 3) }), 101, F.M_ICMP_SHORT],
  ['NULL header of 3 bytes', nullHdr(2, true, []).subarray(0, 3), 0, F.M_NULL_SHORT],
  ['LOOP header of 2 bytes', Buffer.from([0, 0]), 108, F.M_NULL_SHORT],
  ['SNAP with IPv4 inside, cut in the IPv4 header', cat(snap({ ethertype: 0x0800, payload: v4tcp }).subarray(0, 30)), 1, F.M_IPV4_SHORT],
];

const reasonConstants = Object.entries(F).filter(([k]) => k.startsWith('M_')) as [string, number][];

describe('malformation reasons', () => {
  for (const [name, frame, link, reason] of cases) {
    const rname = reasonConstants.find(([, v]) => v === reason)?.[0];
    it(`${name} → ${rname}`, () => {
      expect(decode(frame, link).status).toBe(reason);
    });
  }

  it('every M_* constant has a case above, lies in [R_MALFORMED, REASON_COUNT) and has a name', () => {
    expect(reasonConstants.length).toBe(F.REASON_COUNT - F.R_MALFORMED);
    const covered = new Set(cases.map((c) => c[3]));
    for (const [name, value] of reasonConstants) {
      expect(covered.has(value), `${name} has no case`).toBe(true);
      expect(value).toBeGreaterThanOrEqual(F.R_MALFORMED);
      expect(value).toBeLessThan(F.REASON_COUNT);
      expect(F.REASON_NAMES[value], `${name} has no name`).toMatch(/\w/);
    }
    // and no two constants share a value
    expect(new Set(reasonConstants.map(([, v]) => v)).size).toBe(reasonConstants.length);
  });

  it('every strict prefix of a valid frame decodes without throwing', () => {
    const frames = [
      eth({ tags: [[0x88a8, 1], [0x8100, 2]], ethertype: 0x0800, payload: ipv4({ proto: PROTO_ICMP, payload: cat([3, 3, 0, 0, 0, 0, 0, 0], ipv4({ proto: PROTO_UDP, payload: udp({ sport: 1, dport: 2 }) })) }) }),
      eth({ ethertype: 0x86dd, payload: ipv6({ next: EXT_HOPOPTS, payload: cat(ext6Options(PROTO_TCP, 2), seg) }) }),
      snap({ ethertype: 0x0800, payload: v4tcp }),
    ];
    for (const f of frames) {
      for (let n = 0; n < f.length; n++) {
        const st = decode(f.subarray(0, n), 1).status;
        expect(st === F.R_OK || st >= F.R_MALFORMED, `prefix ${n}: status ${st}`).toBe(true);
        // and with the wire length of the whole frame (a snaplen cut)
        decode(f.subarray(0, n), 1, { origlen: f.length });
      }
    }
  });
});
