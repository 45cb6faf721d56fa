// ICMP and ICMPv6 message types the flow key and the classification need: which types
// answer which (Zeek's ICMP4_counterpart / ICMP6_counterpart, as the Community ID spec
// mirrors them), which are requests, and which ICMPv6 messages are link infrastructure
// (neighbour and router discovery, MLD). Tables, so the per-packet lookup allocates nothing.

/** The type that answers each request type, and the other way round; -1: one-way. */
export const ICMP4_PEER = new Int16Array(256).fill(-1);
export const ICMP6_PEER = new Int16Array(256).fill(-1);
/** 1 for request types (the sender is the flow's client). */
export const ICMP4_REQUEST = new Uint8Array(256);
export const ICMP6_REQUEST = new Uint8Array(256);

function pair(peer: Int16Array, request: Uint8Array, req: number, reply: number): void {
  peer[req] = reply;
  peer[reply] = req;
  request[req] = 1;
}
pair(ICMP4_PEER, ICMP4_REQUEST, 8, 0); // echo / echo reply
pair(ICMP4_PEER, ICMP4_REQUEST, 13, 14); // timestamp / reply
pair(ICMP4_PEER, ICMP4_REQUEST, 15, 16); // information / reply
pair(ICMP4_PEER, ICMP4_REQUEST, 10, 9); // router solicitation / advertisement
pair(ICMP4_PEER, ICMP4_REQUEST, 17, 18); // address mask / reply
pair(ICMP6_PEER, ICMP6_REQUEST, 128, 129); // echo request / reply
pair(ICMP6_PEER, ICMP6_REQUEST, 130, 131); // MLD query / report
pair(ICMP6_PEER, ICMP6_REQUEST, 133, 134); // router solicitation / advertisement
pair(ICMP6_PEER, ICMP6_REQUEST, 135, 136); // neighbour solicitation / advertisement
pair(ICMP6_PEER, ICMP6_REQUEST, 139, 140); // node information (who-are-you) query / reply
pair(ICMP6_PEER, ICMP6_REQUEST, 144, 145); // home agent address discovery request / reply

/** ICMP echo request types: 8 (ICMP), 128 (ICMPv6). */
export const ICMP4_ECHO_REQUEST = 8;
export const ICMP6_ECHO_REQUEST = 128;

/**
 * ICMPv6 messages that run the link itself, as ARP does for IPv4: what kind each type is,
 * or null. MLD: 130-132 and MLDv2 reports (143); router discovery: 133-134; neighbour
 * discovery: 135-136 and redirect (137).
 */
export type Icmp6Infrastructure = 'neighbor-discovery' | 'router-discovery' | 'mld';
export function icmp6Infrastructure(type: number): Icmp6Infrastructure | null {
  if (type === 130 || type === 131 || type === 132 || type === 143) return 'mld';
  if (type === 133 || type === 134) return 'router-discovery';
  if (type === 135 || type === 136 || type === 137) return 'neighbor-discovery';
  return null;
}
