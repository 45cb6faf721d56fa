// The decoder's output: a Uint32Array of named slots that the caller allocates once and
// passes in (the decoder overwrites it per packet), and the status codes it returns.
// Nothing here allocates per packet.

/** Slots of `pkt`. */
export const F_KIND = 0; // KIND_*
export const F_PROTO = 1; // IP protocol number (0 for L2 frames)
export const F_SRC = 2; // 4 words: IPv4 in word 0; IPv6 big-endian words; MAC as hi16, lo32
export const F_DST = 6; // 4 words, as F_SRC
export const F_SPORT = 10;
export const F_DPORT = 11;
export const F_TCPFLAGS = 12;
export const F_ETHERTYPE = 13; // for KIND_L2 frames; 0 for 802.3/LLC frames without SNAP
export const F_FRAG = 14; // FRAG_*
export const F_IPID = 15; // IPv4 identification or IPv6 fragment identification
export const F_ICMPERR = 16; // 0, or 0x10000 | type << 8 | code for an ICMP error quoting a flow
// TCP/ICMP details for the per-flow inspection (flow/conversation.ts).
export const F_DF = 17; // IPv4 don't-fragment bit; 1 for IPv6 (routers never fragment it)
export const F_L4OFF = 18; // offset in the frame of the TCP header
export const F_L4END = 19; // captured end of the transport bytes (min of frame end and IP end)
export const F_SEQ = 20;
export const F_ACK = 21;
export const F_WIN = 22;
export const F_TCPHLEN = 23; // TCP header length in bytes; 0 when the header is not all captured
export const F_PAYLEN = 24; // TCP payload length on the wire (from the IP length); UDP: from the UDP length, PAYLEN_CUT when the header is cut
export const F_ICMPMTU = 25; // next-hop MTU of an ICMP fragmentation-needed / packet-too-big, else 0
export const F_ICMPMSG = 26; // 0, or 0x10000 | type << 8 | code for an ICMP message that is not an error (echo...)
export const F_ICMPECHO = 27; // echo request/reply: identifier << 16 | sequence number (0 for other messages)
// Where the packet above the link layer lies in the frame (for --dedup): set for IPv4/IPv6
// (the IP header's offset; the captured end of the IP length) and for L2 frames (the
// payload after the link header and VLAN tags; the frame's captured end without FCS).
export const F_L3OFF = 28;
export const F_L3END = 29;
export const F_COUNT = 30;

export const KIND_NONE = 0;
export const KIND_IPV4 = 1;
export const KIND_IPV6 = 2;
export const KIND_L2 = 3;

export const FRAG_NONE = 0;
export const FRAG_FIRST = 1;
export const FRAG_LATER = 2;

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_ACK = 0x10;

/** Decoded fields of one packet, slots F_*; owned by whoever runs the decode loop. */
export type PacketFields = Uint32Array;

/** F_PAYLEN of a UDP packet whose header the snaplen cut. */
export const PAYLEN_CUT = 0xffffffff;

/** A fresh field block: one per decode loop (aggregator, worker), reused for every packet. */
export function newPacketFields(): PacketFields {
  return new Uint32Array(F_COUNT);
}

/** Decoded into flow fields. */
export const R_OK = 0;
/** A link type we do not decode: counted per link type, not an error. */
export const R_LINK_UNSUPPORTED = 1;
/** A NULL/LOOP frame of an address family other than IPv4/IPv6. */
export const R_OTHER_FAMILY = 2;
/** First malformation reason; every code from here on is counted as malformed. */
export const R_MALFORMED = 8;

// Malformation reasons: the packet is shorter than its headers claim, or a header field is
// impossible. Names are what the report prints.
export const M_LINK_SHORT = 8;
export const M_VLAN_SHORT = 9;
export const M_LLC_SHORT = 10;
export const M_IP_VERSION = 11;
export const M_IPV4_SHORT = 12;
export const M_IPV4_HDRLEN = 13;
export const M_IPV4_TOTLEN = 14;
export const M_IPV6_SHORT = 15;
export const M_IPV6_EXT = 16;
export const M_TCP_SHORT = 17;
export const M_TCP_HDRLEN = 18;
export const M_UDP_SHORT = 19;
export const M_UDP_LEN = 20;
export const M_ICMP_SHORT = 21;
export const M_NULL_SHORT = 22;
export const REASON_COUNT = 23;

export const REASON_NAMES: Record<number, string> = {
  [M_LINK_SHORT]: 'link header truncated',
  [M_VLAN_SHORT]: 'VLAN tag truncated',
  [M_LLC_SHORT]: 'LLC/SNAP header truncated',
  [M_IP_VERSION]: 'IP version does not match the link',
  [M_IPV4_SHORT]: 'IPv4 header truncated',
  [M_IPV4_HDRLEN]: 'IPv4 header length below 20',
  [M_IPV4_TOTLEN]: 'IPv4 total length inconsistent with the frame',
  [M_IPV6_SHORT]: 'IPv6 header truncated',
  [M_IPV6_EXT]: 'IPv6 extension header truncated',
  [M_TCP_SHORT]: 'TCP header truncated',
  [M_TCP_HDRLEN]: 'TCP data offset invalid',
  [M_UDP_SHORT]: 'UDP header truncated',
  [M_UDP_LEN]: 'UDP length inconsistent with the IP payload',
  [M_ICMP_SHORT]: 'ICMP header truncated',
  [M_NULL_SHORT]: 'NULL/LOOP header truncated',
};

export const ETH_IPV4 = 0x0800;
export const ETH_IPV6 = 0x86dd;
