// Names for numbers and codes users meet in reports: link types, common ethertypes, the
// reasons of flow verdicts.
import type { ReasonCode } from '../classify/vocabulary.js';

/**
 * Each reason code as a short phrase of plain words, for the text report and the live view
 * when a flow has no `detail` (and beside it when it has one). A reason added to the
 * vocabulary without its words here fails to compile.
 */
export const REASON_WORDS: Readonly<Record<ReasonCode, string>> = {
  'pmtu-blackhole': 'path MTU black hole',
  'tls-alert': 'TLS alert',
  'ldap-bind-failed': 'LDAP bind failed',
  'ldap-error': 'LDAP error',
  'kerberos-error': 'Kerberos error',
  'radius-reject': 'RADIUS reject',
  'snmp-error': 'SNMP error',
  'ntp-unsynchronized': 'NTP server not synchronised',
  'ntp-refused': 'NTP server refuses this client',
  'rpc-error': 'RPC bind or call refused',
  rejected: 'refused',
  unanswered: 'no answer',
  'icmp-error': 'ICMP error',
  'reset-after-connect': 'reset after connecting',
  'tls-incomplete': 'TLS handshake not completed',
  'unexpected-protocol': 'not the expected protocol',
  'no-reply': 'no reply',
  'heartbeat-gap': 'heartbeat gap',
  'certificate-expired': 'certificate expired',
  'ldap-unauthenticated-bind': 'LDAP bind without a password (unauthenticated)',
  'ntp-rate-limited': 'NTP rate-limited',
  'syslog-format': 'syslog format or size problem',
  retransmissions: 'retransmissions',
  'zero-window': 'receiver stalled (zero window)',
};

const LINKTYPES: Record<number, string> = {
  0: 'NULL (BSD loopback)',
  1: 'Ethernet',
  12: 'raw IP (DLT 12)',
  14: 'raw IP (DLT 14)',
  101: 'raw IP',
  105: 'IEEE 802.11',
  108: 'OpenBSD loopback',
  113: 'Linux cooked (SLL)',
  127: 'IEEE 802.11 radiotap',
  228: 'raw IPv4',
  229: 'raw IPv6',
  276: 'Linux cooked v2 (SLL2)',
};

const ETHERTYPES: Record<number, string> = {
  0x0000: '802.3/LLC',
  0x0806: 'ARP',
  0x8035: 'RARP',
  0x88cc: 'LLDP',
  0x8809: 'Slow protocols (LACP)',
  0x888e: 'EAPOL',
  0x8847: 'MPLS',
  0x8863: 'PPPoE discovery',
  0x8864: 'PPPoE session',
  0x7261: 'PAN HA2',
  0x88f7: 'PTP',
  0x9000: 'Loopback (CTP)',
};

export function linktypeName(lt: number): string {
  return LINKTYPES[lt] ?? `link type ${lt}`;
}

export function ethertypeName(et: number): string {
  return ETHERTYPES[et] ?? `0x${et.toString(16).padStart(4, '0')}`;
}
