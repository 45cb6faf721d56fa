// A small, realistic Summary as the builder would produce it for a lab capture: a firewall
// (10.99.1.2) managed by Panorama (10.99.1.5), an admin whose HTTPS attempts are refused,
// an RDP session to the firewall that no catalog entry explains, and HA2 over Ethernet.
// Every call returns a fresh object so tests may mutate it.
import { isoMicros } from '../../src/report/format.js';
import type { EntrySummary, FlowRecord, SectionId, SectionSummary, Summary } from '../../src/report/model.js';

/** 2026-11-24T10:13:46.350948Z in microseconds. */
export const T0 = Date.UTC(2026, 10, 24, 10, 13, 46) * 1000 + 350948;
const at = (offsetUs: number): string => isoMicros(T0 + offsetUs);

export const FW = '10.99.1.2';
export const PANORAMA = '10.99.1.5';
export const ADMIN = '10.99.1.50';
export const RDP_CLIENT = '10.99.1.60';
export const HA_A = '00:1b:17:00:01:10';
export const HA_B = '00:1b:17:00:02:10';

export function panoramaFlow(): FlowRecord {
  return {
    transport: 'tcp', client: FW, server: PANORAMA, clientPort: 56984, serverPort: 3978,
    ipProtocol: 6, ethertype: null, packets: 56, bytes: 22018,
    firstSeen: at(52), lastSeen: at(8_531_815), state: 'established', section: 'panorama',
    entries: ['panorama.device-mgmt.3978'],
    clientPackets: 29, serverPackets: 27, clientBytes: 9120, serverBytes: 12898, icmpErrors: 0, direction: 'handshake',
  };
}

export function rejectedHttps(): FlowRecord {
  return {
    transport: 'tcp', client: ADMIN, server: FW, clientPort: 51234, serverPort: 443,
    ipProtocol: 6, ethertype: null, packets: 2, bytes: 114,
    firstSeen: at(1_200_000), lastSeen: at(1_200_180), state: 'rejected', section: 'management',
    entries: ['management.https.443'],
    clientPackets: 1, serverPackets: 1, clientBytes: 60, serverBytes: 54, icmpErrors: 0, direction: 'handshake',
  };
}

export function unexpectedRdp(): FlowRecord {
  return {
    transport: 'tcp', client: RDP_CLIENT, server: FW, clientPort: 50111, serverPort: 3389,
    ipProtocol: 6, ethertype: null, packets: 14, bytes: 4310,
    firstSeen: at(2_000_000), lastSeen: at(4_750_002), state: 'established', section: 'unexpected',
    entries: [],
    clientPackets: 8, serverPackets: 6, clientBytes: 1650, serverBytes: 2660, icmpErrors: 0, direction: 'handshake',
  };
}

export function ha2Flow(): FlowRecord {
  return {
    transport: 'ethertype', client: HA_A, server: HA_B, clientPort: null, serverPort: null,
    ipProtocol: null, ethertype: 0x7261, packets: 40, bytes: 6400,
    firstSeen: at(100), lastSeen: at(8_400_100), state: null, section: 'ha',
    entries: ['ha.ha2-ether.7261'],
    clientPackets: 20, serverPackets: 20, clientBytes: 3200, serverBytes: 3200, icmpErrors: 0, direction: 'first-packet',
  };
}

type EntryArgs = Pick<EntrySummary, 'id' | 'section' | 'transport' | 'name'> & Partial<EntrySummary>;

function entry(a: EntryArgs): EntrySummary {
  return {
    port: null, ipProtocol: null, ethertype: null, portRange: null,
    flows: 0, packets: 0, bytes: 0, failed: 0, firstSeen: null, lastSeen: null,
    pairs: [], pairCount: 0, failures: [], failureCount: a.failures?.length ?? 0, ...a,
  };
}

function fromFlows(list: FlowRecord[]): Pick<EntrySummary, 'flows' | 'packets' | 'bytes' | 'failed' | 'firstSeen' | 'lastSeen'> {
  const failed = list.filter((f) => f.state === 'rejected' || f.state === 'unanswered').length;
  return {
    flows: list.length,
    packets: list.reduce((n, f) => n + f.packets, 0),
    bytes: list.reduce((n, f) => n + f.bytes, 0),
    failed,
    firstSeen: list.length ? list.map((f) => f.firstSeen).sort()[0] : null,
    lastSeen: list.length ? list.map((f) => f.lastSeen).sort().at(-1)! : null,
  };
}

function pair(f: FlowRecord, failed: number): EntrySummary['pairs'][number] {
  return { client: f.client, server: f.server, flows: 1, packets: f.packets, bytes: f.bytes, failed };
}

const TITLES: Record<SectionId, string> = {
  management: 'Management',
  ha: 'High availability (firewall HA peers)',
  panorama: 'Panorama',
  'user-id': 'User-ID',
  unexpected: 'Unexpected (matches no catalog entry)',
};

export function fixtureSummary(): Summary {
  const p = panoramaFlow();
  const r = rejectedHttps();
  const u = unexpectedRdp();
  const h = ha2Flow();
  const flows = [p, h, u, r]; // most bytes first, as the builder sorts them
  const entries: EntrySummary[] = [
    entry({ id: 'management.ssh.22', section: 'management', transport: 'tcp', port: 22, name: 'Firewall CLI (SSH)' }),
    entry({
      id: 'management.https.443', section: 'management', transport: 'tcp', port: 443, name: 'Web interface / VM information source',
      ...fromFlows([r]), pairs: [pair(r, 1)], pairCount: 1,
      failures: [{ client: ADMIN, server: FW, state: 'rejected', flows: 1 }],
    }),
    entry({ id: 'management.ntp.123', section: 'management', transport: 'udp', port: 123, name: 'NTP' }),
    entry({ id: 'ha.ha1-clear.28769', section: 'ha', transport: 'tcp', port: 28769, name: 'HA1 clear text' }),
    entry({ id: 'ha.ha2-ip.99', section: 'ha', transport: 'ip', ipProtocol: 99, name: 'HA2 over IP (protocol 99)' }),
    entry({
      id: 'ha.ha2-ether.7261', section: 'ha', transport: 'ethertype', ethertype: 0x7261, name: 'HA2 over Ethernet (0x7261)',
      ...fromFlows([h]), pairs: [pair(h, 0)], pairCount: 1,
    }),
    entry({
      id: 'panorama.device-mgmt.3978', section: 'panorama', transport: 'tcp', port: 3978, name: 'Panorama ↔ device (3978)',
      ...fromFlows([p]), pairs: [pair(p, 0)], pairCount: 1,
    }),
    entry({ id: 'panorama.collector-group.28270', section: 'panorama', transport: 'tcp', port: 28270, name: 'Collector group log distribution' }),
    entry({ id: 'user-id.agent-mapping.5007', section: 'user-id', transport: 'tcp', port: 5007, name: 'Agent → firewall mappings' }),
    entry({ id: 'user-id.rpc-dynamic.49152-65535', section: 'user-id', transport: 'tcp', portRange: [49152, 65535], name: 'RPC dynamic ports' }),
  ];
  const bySection = (id: SectionId) => flows.filter((f) => f.section === id);
  const sections: SectionSummary[] = (Object.keys(TITLES) as SectionId[]).map((id) => ({ id, title: TITLES[id], ...fromFlows(bySection(id)) }));
  const arp = { packets: 6, bytes: 360 };
  const lldp = { packets: 3, bytes: 1038 };
  const packets = flows.reduce((n, f) => n + f.packets, 0) + arp.packets + lldp.packets + 8;
  const bytes = flows.reduce((n, f) => n + f.bytes, 0) + arp.bytes + lldp.bytes + 1400;
  return {
    schema: 'pantap.summary.v1',
    input: {
      files: ['lab/fw2-mgmt.pcap'],
      packets,
      bytes,
      malformed: 1,
      truncated: false,
      capturedBytes: bytes - 120,
      firstSeen: at(0),
      lastSeen: at(8_531_815),
      details: [{ file: 'lab/fw2-mgmt.pcap', format: 'pcap', gzip: false, packets, truncatedAt: null, error: null, warnings: [] }],
      linktypes: [{ linktype: 1, name: 'Ethernet', packets, decoded: true }],
      malformedReasons: [{ reason: 'IPv4 header length', packets: 1 }],
      fragments: { attributed: 0, orphans: 0, dropped: 0 },
      flowTable: { flows: 8, maxFlows: 1_000_000, overflowFlows: 0, overflowPackets: 0 },
    },
    sections,
    entries,
    flows,
    other: { flows: 2, packets: 8, bytes: 1400 },
    nonIp: [
      { ethertype: 0x0806, name: 'ARP', flows: 2, ...arp },
      { ethertype: 0x88cc, name: 'LLDP', flows: 1, ...lldp },
    ],
    roles: [
      { address: FW, roles: ['firewall'], source: 'inferred' },
      { address: PANORAMA, roles: ['panorama'], source: 'inferred' },
    ],
    allFlows: false,
    flowsOmitted: 0,
  };
}
