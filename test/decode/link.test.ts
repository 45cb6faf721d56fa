// Link layers: Ethernet (802.1Q / 802.1ad / stacked tags, 802.3 LLC and SNAP, FCS), Linux
// SLL and SLL2, raw IP (101, 12, 14, 228, 229), NULL (both byte orders, every AF_INET6
// value) and LOOP; unsupported link types; non-IP frames keyed by MAC pair and ethertype.
import { describe, expect, it } from 'vitest';
import {
  KIND_IPV4,
  KIND_IPV6,
  KIND_L2,
  FRAG_NONE,
  M_IP_VERSION,
  M_IPV4_TOTLEN,
  M_LINK_SHORT,
  M_LLC_SHORT,
  M_NULL_SHORT,
  M_VLAN_SHORT,
  R_LINK_UNSUPPORTED,
  R_OK,
  R_OTHER_FAMILY,
} from '../../src/decode/fields.js';
import {
  ACK,
  cat,
  decode,
  ETH_HA2,
  eth,
  fields,
  ip4Word,
  ip6Words,
  ipv4,
  ipv6,
  llc,
  loopHdr,
  MAC_A,
  MAC_B,
  macWords,
  nullHdr,
  PROTO_TCP,
  PROTO_UDP,
  SYN,
  sll,
  sll2,
  snap,
  tcp,
  udp,
} from '../helpers/build.js';

// One IPv4/TCP and one IPv6/UDP packet, carried by every link type below.
const v4 = ipv4({ src: '192.0.2.10', dst: '198.51.100.20', proto: PROTO_TCP, id: 0x4242, payload: tcp({ sport: 51514, dport: 443, flags: SYN }) });
const v6 = ipv6({ src: 'fd00::10', dst: 'fd00:1::20', next: PROTO_UDP, payload: udp({ sport: 40000, dport: 514, payload: Buffer.from('<13>hi') }) });

const V4_FIELDS = {
  kind: KIND_IPV4,
  proto: PROTO_TCP,
  src: [ip4Word('192.0.2.10'), 0, 0, 0],
  dst: [ip4Word('198.51.100.20'), 0, 0, 0],
  sport: 51514,
  dport: 443,
  flags: SYN,
  frag: FRAG_NONE,
  ipid: 0x4242,
  icmperr: 0,
};
const V6_FIELDS = {
  kind: KIND_IPV6,
  proto: PROTO_UDP,
  src: ip6Words('fd00::10'),
  dst: ip6Words('fd00:1::20'),
  sport: 40000,
  dport: 514,
  flags: 0,
  frag: FRAG_NONE,
  ipid: 0,
  icmperr: 0,
};

function expectV4(frame: Buffer, link: number, o: Parameters<typeof decode>[2] = {}): void {
  const d = decode(frame, link, o);
  expect(d.status).toBe(R_OK);
  expect(fields(d)).toMatchObject(V4_FIELDS);
}

function expectV6(frame: Buffer, link: number, o: Parameters<typeof decode>[2] = {}): void {
  const d = decode(frame, link, o);
  expect(d.status).toBe(R_OK);
  expect(fields(d)).toMatchObject(V6_FIELDS);
}

describe('Ethernet', () => {
  it('IPv4 and IPv6', () => {
    expectV4(eth({ ethertype: 0x0800, payload: v4 }), 1);
    expectV6(eth({ ethertype: 0x86dd, payload: v6 }), 1);
  });

  it('the decoder reads the frame where it is, not from the start of the buffer', () => {
    for (const at of [0, 1, 3, 4, 1000]) expectV4(eth({ ethertype: 0x0800, payload: v4 }), 1, { at });
  });

  it('one 802.1Q tag', () => {
    expectV4(eth({ tags: [[0x8100, 100]], ethertype: 0x0800, payload: v4 }), 1);
  });

  it('802.1ad outer tag with an 802.1Q inner tag (QinQ)', () => {
    expectV6(eth({ tags: [[0x88a8, 0x0c8], [0x8100, 0x064]], ethertype: 0x86dd, payload: v6 }), 1);
  });

  it('pre-standard QinQ TPIDs 0x9100 and 0x9200, and eight stacked tags', () => {
    expectV4(eth({ tags: [[0x9100, 1], [0x9200, 2], [0x8100, 3]], ethertype: 0x0800, payload: v4 }), 1);
    const eight = Array.from({ length: 8 }, (_, i): [number, number] => [i % 2 ? 0x8100 : 0x88a8, i]);
    expectV4(eth({ tags: eight, ethertype: 0x0800, payload: v4 }), 1);
  });

  it('802.3 with LLC but no SNAP is an L2 frame with ethertype 0, keyed by its MACs', () => {
    const d = decode(llc({ dst: '01:80:c2:00:00:00', src: MAC_A }), 1);
    expect(d.status).toBe(R_OK);
    expect(fields(d)).toMatchObject({
      kind: KIND_L2,
      proto: 0,
      ethertype: 0,
      src: [...macWords(MAC_A), 0, 0],
      dst: [...macWords('01:80:c2:00:00:00'), 0, 0],
      sport: 0,
      dport: 0,
      flags: 0,
      frag: FRAG_NONE,
      icmperr: 0,
    });
    expect(macWords(MAC_A)).toEqual([0x001b, 0x17000110]);
  });

  it('802.3 with LLC/SNAP carries a real ethertype: IPv4 inside', () => {
    expectV4(snap({ ethertype: 0x0800, payload: v4 }), 1);
  });

  it('802.3 LLC/SNAP behind a VLAN tag', () => {
    const inner = snap({ ethertype: 0x86dd, payload: v6 });
    // move the 802.3 length field and LLC behind a tag
    const tagged = cat(inner.subarray(0, 12), [0x81, 0x00, 0x00, 0x05], inner.subarray(12));
    expectV6(tagged, 1);
  });

  it('ethertype 0x7261 (HA2) comes out as L2 with its MACs', () => {
    const d = decode(eth({ dst: MAC_B, src: MAC_A, ethertype: ETH_HA2, payload: Buffer.alloc(46, 0x11) }), 1);
    expect(d.status).toBe(R_OK);
    expect(fields(d)).toMatchObject({
      kind: KIND_L2,
      proto: 0,
      ethertype: 0x7261,
      src: [0x001b, 0x17000110, 0, 0],
      dst: [0x001b, 0x17000220, 0, 0],
      sport: 0,
      dport: 0,
      flags: 0,
      frag: FRAG_NONE,
      icmperr: 0,
    });
  });

  it('ARP is L2 too; a tagged HA2 frame keeps its ethertype', () => {
    const arp = decode(eth({ dst: 'ff:ff:ff:ff:ff:ff', ethertype: 0x0806, payload: Buffer.alloc(28) }), 1);
    expect(fields(arp)).toMatchObject({ kind: KIND_L2, ethertype: 0x0806, dst: [0xffff, 0xffffffff, 0, 0] });
    const ha2 = decode(eth({ tags: [[0x8100, 7]], ethertype: ETH_HA2, payload: Buffer.alloc(46) }), 1);
    expect(fields(ha2)).toMatchObject({ kind: KIND_L2, ethertype: ETH_HA2 });
  });

  it('a captured FCS is not counted as IP payload when the link word says so', () => {
    const fcs = Buffer.from([0xde, 0xad, 0xbe, 0xef]);
    // a frame with its FCS: fine either way while the IPv4 total length fits
    expectV4(cat(eth({ ethertype: 0x0800, payload: v4 }), fcs), 1, { fcs: 4 });
    expectV4(cat(eth({ ethertype: 0x0800, payload: v4 }), fcs), 1);
    // an IPv4 total length that reaches into the FCS is inconsistent only when the FCS is known
    const long = ipv4({ src: '192.0.2.10', dst: '198.51.100.20', proto: PROTO_TCP, id: 0x4242, payload: tcp({ sport: 51514, dport: 443, flags: SYN }), totalLength: v4.length + 2 });
    const frame = cat(eth({ ethertype: 0x0800, payload: long }), fcs);
    expect(decode(frame, 1).status).toBe(R_OK);
    expect(decode(frame, 1, { fcs: 4 }).status).toBe(M_IPV4_TOTLEN);
  });

  it('malformed: short header, cut tag, cut LLC/SNAP, IP version not matching the ethertype', () => {
    expect(decode(Buffer.alloc(13), 1).status).toBe(M_LINK_SHORT);
    expect(decode(eth({ tags: [[0x8100, 1]], ethertype: 0x0800, payload: v4 }).subarray(0, 17), 1).status).toBe(M_VLAN_SHORT);
    expect(decode(eth({ tags: [[0x88a8, 1], [0x8100, 2]], ethertype: 0x0800, payload: [] }).subarray(0, 21), 1).status).toBe(M_VLAN_SHORT);
    expect(decode(llc({}).subarray(0, 16), 1).status).toBe(M_LLC_SHORT);
    expect(decode(snap({ ethertype: 0x0800, payload: v4 }).subarray(0, 21), 1).status).toBe(M_LLC_SHORT);
    expect(decode(eth({ ethertype: 0x0800, payload: v6 }), 1).status).toBe(M_IP_VERSION);
    expect(decode(eth({ ethertype: 0x86dd, payload: cat(v4, Buffer.alloc(20)) }), 1).status).toBe(M_IP_VERSION);
  });
});

describe('Linux cooked captures', () => {
  it('SLL with IPv4 and IPv6', () => {
    expectV4(sll({ protocol: 0x0800, payload: v4 }), 113);
    expectV6(sll({ pktType: 4, protocol: 0x86dd, payload: v6 }), 113);
  });

  it('SLL non-IP: keyed by the source address only', () => {
    const d = decode(sll({ addr: MAC_B, protocol: 0x0806, payload: Buffer.alloc(28) }), 113);
    expect(d.status).toBe(R_OK);
    expect(fields(d)).toMatchObject({ kind: KIND_L2, ethertype: 0x0806, src: [0x001b, 0x17000220, 0, 0], dst: [0, 0, 0, 0] });
  });

  it('SLL with an address that is not 6 bytes long (e.g. a tunnel)', () => {
    const f = sll({ protocol: ETH_HA2, payload: Buffer.alloc(10) });
    f.writeUInt16BE(4, 4); // address length 4
    expect(fields(decode(f, 113))).toMatchObject({ kind: KIND_L2, ethertype: ETH_HA2, src: [0, 0, 0, 0], dst: [0, 0, 0, 0] });
  });

  it('SLL2 with IPv4, IPv6 and a non-IP protocol', () => {
    expectV4(sll2({ protocol: 0x0800, payload: v4 }), 276);
    expectV6(sll2({ protocol: 0x86dd, ifindex: 7, payload: v6 }), 276);
    const d = decode(sll2({ protocol: ETH_HA2, addr: MAC_A, payload: Buffer.alloc(30) }), 276);
    expect(fields(d)).toMatchObject({ kind: KIND_L2, ethertype: ETH_HA2, src: [0x001b, 0x17000110, 0, 0], dst: [0, 0, 0, 0] });
  });

  it('malformed: headers cut short', () => {
    expect(decode(sll({ protocol: 0x0800, payload: v4 }).subarray(0, 15), 113).status).toBe(M_LINK_SHORT);
    expect(decode(sll2({ protocol: 0x0800, payload: v4 }).subarray(0, 19), 276).status).toBe(M_LINK_SHORT);
    expect(decode(sll({ protocol: 0x0800, payload: [] }), 113).status).not.toBe(R_OK);
  });
});

describe('raw IP', () => {
  for (const link of [101, 12, 14]) {
    it(`LINKTYPE ${link}: IPv4 and IPv6 by version nibble`, () => {
      expectV4(v4, link);
      expectV6(v6, link);
      expect(decode(Buffer.from([0x50, 0, 0, 0]), link).status).toBe(M_IP_VERSION);
      expect(decode(Buffer.alloc(0), link).status).toBe(M_LINK_SHORT);
    });
  }

  it('LINKTYPE_IPV4 (228) and LINKTYPE_IPV6 (229) take only their own version', () => {
    expectV4(v4, 228);
    expectV6(v6, 229);
    expect(decode(v6, 228).status).toBe(M_IP_VERSION);
    expect(decode(cat(v4, Buffer.alloc(40)), 229).status).toBe(M_IP_VERSION);
  });
});

describe('NULL and LOOP', () => {
  it('NULL with AF_INET in either byte order', () => {
    expectV4(nullHdr(2, true, v4), 0);
    expectV4(nullHdr(2, false, v4), 0);
  });

  for (const af of [10, 24, 28, 30]) {
    it(`NULL with AF_INET6 = ${af} in either byte order`, () => {
      expectV6(nullHdr(af, true, v6), 0);
      expectV6(nullHdr(af, false, v6), 0);
    });
  }

  it('LOOP: the family is always big-endian', () => {
    expectV4(loopHdr(2, v4), 108);
    expectV6(loopHdr(24, v6), 108);
    expectV6(loopHdr(30, v6), 108);
    expect(decode(nullHdr(2, true, v4), 108).status).toBe(R_OTHER_FAMILY);
  });

  it('other families are counted apart, not malformed', () => {
    expect(decode(nullHdr(7, true, Buffer.alloc(20)), 0).status).toBe(R_OTHER_FAMILY);
    expect(decode(nullHdr(0x1000, false, Buffer.alloc(20)), 0).status).toBe(R_OTHER_FAMILY);
    expect(decode(loopHdr(17, Buffer.alloc(20)), 108).status).toBe(R_OTHER_FAMILY);
  });

  it('malformed: fewer than 4 bytes', () => {
    expect(decode(Buffer.from([2, 0, 0]), 0).status).toBe(M_NULL_SHORT);
    expect(decode(Buffer.from([0, 0, 0]), 108).status).toBe(M_NULL_SHORT);
  });
});

describe('unsupported link types', () => {
  for (const link of [105, 127, 9, 104, 143, 147, 192, 228 + 1000, 0xffff]) {
    it(`LINKTYPE ${link} → R_LINK_UNSUPPORTED`, () => {
      expect(decode(eth({ ethertype: 0x0800, payload: v4 }), link).status).toBe(R_LINK_UNSUPPORTED);
    });
  }

  it('the FCS bits of the link word do not change the link type', () => {
    expect(decode(eth({ ethertype: 0x0800, payload: v4 }), 105, { fcs: 4 }).status).toBe(R_LINK_UNSUPPORTED);
    expectV4(cat(eth({ ethertype: 0x0800, payload: v4 }), [0xab, 0xcd]), 1, { fcs: 2 });
  });
});

describe('a SYN-ACK back through the same link', () => {
  it('decodes as the reverse tuple', () => {
    const back = ipv4({ src: '198.51.100.20', dst: '192.0.2.10', proto: PROTO_TCP, payload: tcp({ sport: 443, dport: 51514, flags: SYN | ACK }) });
    const d = decode(eth({ ethertype: 0x0800, payload: back }), 1);
    expect(fields(d)).toMatchObject({ src: [ip4Word('198.51.100.20'), 0, 0, 0], sport: 443, dport: 51514, flags: SYN | ACK });
  });
});
