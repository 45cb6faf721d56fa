// Names for numbers users meet in reports: link types and common ethertypes.

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
