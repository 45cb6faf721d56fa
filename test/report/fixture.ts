// A small, realistic Summary as the builder would produce it for a lab capture: a firewall
// (10.99.1.2) managed by Panorama (10.99.1.5) over TLS, an admin whose HTTPS attempts are
// refused, an SSH session of the admin with retransmissions (a warning), syslog over TLS
// that fails on an expired certificate (a TLS alert), an RDP session to the firewall that no
// catalog entry explains, and HA2 over Ethernet. Every call returns a fresh object so tests
// may mutate it.
import { channelStatus } from '../../src/classify/vocabulary.js';
import { isoMicros } from '../../src/report/format.js';
import type { EntrySummary, FlowRecord, HealthLine, SectionId, SectionSummary, Summary, TcpFacts, TlsRecord } from '../../src/report/model.js';
import { NO_APP_RECORDS } from '../../src/classify/flow-facts.js';

/** 2026-11-24T10:13:46.350948Z in microseconds. */
export const T0 = Date.UTC(2026, 10, 24, 10, 13, 46) * 1000 + 350948;
const at = (offsetUs: number): string => isoMicros(T0 + offsetUs);

export const FW = '10.99.1.2';
export const PANORAMA = '10.99.1.5';
export const ADMIN = '10.99.1.50';
export const RDP_CLIENT = '10.99.1.60';
export const SYSLOG = '10.99.1.20';
export const HA_A = '00:1b:17:00:01:10';
export const HA_B = '00:1b:17:00:02:10';

/** What an ok flow without payload facts carries. */
const OK = { app: null, verdict: 'ok', reason: null, detail: null, communityId: null, tcp: null, tls: null, ssh: null, ...NO_APP_RECORDS } as const;

function tcpFacts(connState: TcpFacts['connState'], history: string, more: Partial<TcpFacts> = {}): TcpFacts {
  return {
    connState,
    history,
    retransmissions: { client: 0, server: 0 },
    zeroWindows: { client: 0, server: 0 },
    duplicateAcks: { client: 0, server: 0 },
    rttMs: { synToSynAck: 0.412, synAckToAck: 0.088 },
    mss: { client: 1460, server: 1460 },
    maxSegment: { client: 1448, server: 1448 },
    ...more,
  };
}

export const PANORAMA_CERT_SHA256 = '5f1c8e0a2b7d4c3e9f6a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6a';

function panoramaTls(): TlsRecord {
  return {
    version: 'TLS 1.2',
    sni: 'panorama.lab',
    alpn: [],
    cipher: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
    established: true,
    alert: null,
    serverCertificate: {
      subject: 'CN=panorama.lab', issuer: 'CN=Lab CA', notBefore: '2026-01-01T00:00:00Z', notAfter: '2028-04-05T00:00:00Z',
      sha256: PANORAMA_CERT_SHA256, daysLeft: 497,
    },
    clientCertificate: {
      subject: 'CN=fw2,OU=firewalls', issuer: 'CN=Lab CA', notBefore: '2026-01-01T00:00:00Z', notAfter: '2028-04-05T00:00:00Z',
      sha256: 'a'.repeat(64), daysLeft: 497,
    },
  };
}

export function panoramaFlow(): FlowRecord {
  return {
    transport: 'tcp', client: FW, server: PANORAMA, clientPort: 56984, serverPort: 3978,
    ipProtocol: 6, ethertype: null, packets: 56, bytes: 22018,
    firstSeen: at(52), lastSeen: at(8_531_815), state: 'established', section: 'panorama',
    entries: ['panorama.device-mgmt.3978'],
    clientPackets: 29, serverPackets: 27, clientBytes: 9120, serverBytes: 12898, icmpErrors: 0, direction: 'handshake',
    ...OK, app: 'tls', communityId: '1:LQU9qZlK+B5F3KDmev6m5PMibrg=',
    tcp: tcpFacts('S1', 'ShADad'), tls: panoramaTls(),
  };
}

/** SSH from the admin to the firewall, with 8 % of the client's segments sent again: a warning. */
export function retransmittingSsh(): FlowRecord {
  return {
    transport: 'tcp', client: ADMIN, server: FW, clientPort: 51300, serverPort: 22,
    ipProtocol: 6, ethertype: null, packets: 410, bytes: 48000,
    firstSeen: at(300_000), lastSeen: at(8_100_000), state: 'closed', section: 'management',
    entries: ['management.ssh.22'],
    clientPackets: 220, serverPackets: 190, clientBytes: 30000, serverBytes: 18000, icmpErrors: 0, direction: 'handshake',
    app: 'ssh', verdict: 'warning', reason: 'retransmissions',
    detail: '18 of 220 client segments retransmitted (8 %)', communityId: '1:9j2Dzwrw7T9E+IZs4U4s2m8mmbI=',
    tcp: tcpFacts('SF', 'ShADadFf', { retransmissions: { client: 18, server: 0 }, duplicateAcks: { client: 0, server: 11 } }),
    tls: null,
    ssh: { clientBanner: 'SSH-2.0-OpenSSH_9.2p1 Debian-2', serverBanner: 'SSH-2.0-OpenSSH_9.2p1' },
    ...NO_APP_RECORDS,
  };
}

/** Syslog over TLS: the firewall rejects the receiver's expired certificate with a fatal alert. */
export function tlsAlertSyslog(): FlowRecord {
  return {
    transport: 'tcp', client: FW, server: SYSLOG, clientPort: 40222, serverPort: 6514,
    ipProtocol: 6, ethertype: null, packets: 12, bytes: 3100,
    firstSeen: at(1_500_000), lastSeen: at(1_530_000), state: 'closed', section: 'management',
    entries: ['management.syslog-tls.6514'],
    clientPackets: 6, serverPackets: 6, clientBytes: 700, serverBytes: 2400, icmpErrors: 0, direction: 'handshake',
    app: 'tls', verdict: 'failed', reason: 'tls-alert',
    detail: 'TLS alert certificate_expired sent by the client 10.99.1.2', communityId: '1:wCb3OG7yAFWelaUydu0D+125CLM=',
    tcp: tcpFacts('SF', 'ShADadFf', { mss: { client: 1460, server: null }, rttMs: { synToSynAck: 0.2, synAckToAck: null } }),
    tls: {
      version: 'TLS 1.3', sni: 'syslog.lab', alpn: ['h2', 'http/1.1'], cipher: null, established: false,
      alert: { encrypted: false, level: 'fatal', description: 'certificate_expired', from: 'client' },
      serverCertificate: {
        subject: 'CN=syslog.lab', issuer: 'CN=Lab CA', notBefore: '2023-01-01T00:00:00Z', notAfter: '2026-10-30T00:00:00Z',
        sha256: 'b'.repeat(64), daysLeft: -25,
      },
      clientCertificate: null,
    },
    ssh: null,
    ...NO_APP_RECORDS,
  };
}

export function rejectedHttps(): FlowRecord {
  return {
    transport: 'tcp', client: ADMIN, server: FW, clientPort: 51234, serverPort: 443,
    ipProtocol: 6, ethertype: null, packets: 2, bytes: 114,
    firstSeen: at(1_200_000), lastSeen: at(1_200_180), state: 'rejected', section: 'management',
    entries: ['management.https.443'],
    clientPackets: 1, serverPackets: 1, clientBytes: 60, serverBytes: 54, icmpErrors: 0, direction: 'handshake',
    ...OK, verdict: 'failed', reason: 'rejected', communityId: '1:3Yp+4jC3Vv0w2e7x0aY0Vw4Xb1E=',
    tcp: tcpFacts('REJ', 'Sr', { rttMs: { synToSynAck: null, synAckToAck: null }, mss: { client: 1460, server: null }, maxSegment: { client: 0, server: 0 } }),
  };
}

export function unexpectedRdp(): FlowRecord {
  return {
    transport: 'tcp', client: RDP_CLIENT, server: FW, clientPort: 50111, serverPort: 3389,
    ipProtocol: 6, ethertype: null, packets: 14, bytes: 4310,
    firstSeen: at(2_000_000), lastSeen: at(4_750_002), state: 'established', section: 'unexpected',
    entries: [],
    clientPackets: 8, serverPackets: 6, clientBytes: 1650, serverBytes: 2660, icmpErrors: 0, direction: 'handshake',
    ...OK, communityId: '1:Zc0S5rU8oD9dRk5hM2E0Wv6aTqI=', tcp: tcpFacts('S1', 'ShAD'),
  };
}

export function ha2Flow(): FlowRecord {
  return {
    transport: 'ethertype', client: HA_A, server: HA_B, clientPort: null, serverPort: null,
    ipProtocol: null, ethertype: 0x7261, packets: 40, bytes: 6400,
    firstSeen: at(100), lastSeen: at(8_400_100), state: null, section: 'ha',
    entries: ['ha.ha2-ether.7261'],
    clientPackets: 20, serverPackets: 20, clientBytes: 3200, serverBytes: 3200, icmpErrors: 0, direction: 'first-packet',
    ...OK,
  };
}

type EntryArgs = Pick<EntrySummary, 'id' | 'section' | 'transport' | 'name'> & Partial<EntrySummary>;

function entry(a: EntryArgs): EntrySummary {
  return {
    port: null, ipProtocol: null, ethertype: null, portRange: null,
    flows: 0, packets: 0, bytes: 0, failed: 0, degraded: 0, status: 'not-seen', firstSeen: null, lastSeen: null,
    pairs: [], pairCount: 0, failures: [], failureCount: a.failures?.length ?? 0, ...a,
  };
}

function fromFlows(list: FlowRecord[]): Pick<EntrySummary, 'flows' | 'packets' | 'bytes' | 'failed' | 'degraded' | 'status' | 'firstSeen' | 'lastSeen'> {
  const failed = list.filter((f) => f.verdict === 'failed').length;
  const degraded = list.filter((f) => f.verdict === 'warning').length;
  return {
    flows: list.length,
    packets: list.reduce((n, f) => n + f.packets, 0),
    bytes: list.reduce((n, f) => n + f.bytes, 0),
    failed,
    degraded,
    status: channelStatus(list.length, failed, degraded),
    firstSeen: list.length ? list.map((f) => f.firstSeen).sort()[0] : null,
    lastSeen: list.length ? list.map((f) => f.lastSeen).sort().at(-1)! : null,
  };
}

function pair(f: FlowRecord): EntrySummary['pairs'][number] {
  const failed = f.verdict === 'failed' ? 1 : 0;
  const degraded = f.verdict === 'warning' ? 1 : 0;
  return { client: f.client, server: f.server, flows: 1, packets: f.packets, bytes: f.bytes, failed, status: channelStatus(1, failed, degraded), degraded };
}

/** The health line of an entry seen in one flow (every fixture entry with traffic has one). */
function healthOf(entry: string, f: FlowRecord): HealthLine {
  const failed = f.verdict === 'failed' ? 1 : 0;
  const degraded = f.verdict === 'warning' ? 1 : 0;
  return {
    entry, client: f.client, server: f.server, status: channelStatus(1, failed, degraded) as HealthLine['status'], reason: f.reason,
    flows: 1, failed, degraded, lastSuccess: failed ? null : f.lastSeen, lastFailure: failed ? f.lastSeen : null,
  };
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
  const ssh = retransmittingSsh();
  const alert = tlsAlertSyslog();
  const flows = [ssh, p, h, u, alert, r]; // most bytes first, as the builder sorts them
  const entries: EntrySummary[] = [
    entry({
      id: 'management.ssh.22', section: 'management', transport: 'tcp', port: 22, name: 'Firewall CLI (SSH)',
      ...fromFlows([ssh]), pairs: [pair(ssh)], pairCount: 1,
    }),
    entry({
      id: 'management.https.443', section: 'management', transport: 'tcp', port: 443, name: 'Web interface / VM information source',
      ...fromFlows([r]), pairs: [pair(r)], pairCount: 1,
      failures: [{ client: ADMIN, server: FW, reason: 'rejected', state: 'rejected', flows: 1 }],
    }),
    entry({ id: 'management.ntp.123', section: 'management', transport: 'udp', port: 123, name: 'NTP' }),
    entry({
      id: 'management.syslog-tls.6514', section: 'management', transport: 'tcp', port: 6514, name: 'Syslog export (TLS)',
      ...fromFlows([alert]), pairs: [pair(alert)], pairCount: 1,
      failures: [{ client: FW, server: SYSLOG, reason: 'tls-alert', state: 'closed', flows: 1 }],
    }),
    entry({ id: 'ha.ha1-clear.28769', section: 'ha', transport: 'tcp', port: 28769, name: 'HA1 clear text' }),
    entry({ id: 'ha.ha2-ip.99', section: 'ha', transport: 'ip', ipProtocol: 99, name: 'HA2 over IP (protocol 99)' }),
    entry({
      id: 'ha.ha2-ether.7261', section: 'ha', transport: 'ethertype', ethertype: 0x7261, name: 'HA2 over Ethernet (0x7261)',
      ...fromFlows([h]), pairs: [pair(h)], pairCount: 1,
    }),
    entry({
      id: 'panorama.device-mgmt.3978', section: 'panorama', transport: 'tcp', port: 3978, name: 'Panorama ↔ device (3978)',
      ...fromFlows([p]), pairs: [pair(p)], pairCount: 1,
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
      flowTable: { flows: 10, maxFlows: 1_000_000, overflowFlows: 0, overflowPackets: 0 },
      inspection: { flows: 4, bytesKept: 9216, capHit: 0 },
    },
    sections,
    entries,
    // Failing first (in catalog order), then degraded, then up.
    health: [
      healthOf('management.https.443', r),
      healthOf('management.syslog-tls.6514', alert),
      healthOf('management.ssh.22', ssh),
      healthOf('ha.ha2-ether.7261', h),
      healthOf('panorama.device-mgmt.3978', p),
    ],
    flows,
    other: { flows: 2, packets: 8, bytes: 1400 },
    nonIp: [
      { ethertype: 0x0806, name: 'ARP', flows: 2, ...arp },
      { ethertype: 0x88cc, name: 'LLDP', flows: 1, ...lldp },
    ],
    ipv6Infrastructure: [{ kind: 'neighbor-discovery', flows: 2, packets: 4, bytes: 344 }],
    roles: [
      { address: FW, roles: ['firewall'], source: 'inferred', evidence: [`3978 client to panorama ${PANORAMA}`], possible: [] },
      { address: PANORAMA, roles: ['panorama'], source: 'inferred', evidence: [`3978 server for ${FW}`], possible: [] },
    ],
    allFlows: false,
    flowsOmitted: 0,
    // HA cadence: an ICMP heartbeat to the peer that went silent for 6 s.
    ha: {
      heartbeats: [
        {
          peers: [FW, '10.99.1.3'],
          transport: 'icmp',
          entry: 'ha.heartbeat-icmp.1',
          flows: 1,
          heartbeats: 20,
          intervalMs: { median: 1000.05, p99: 6001.2, max: 6001.2 },
          unanswered: 5,
          gaps: [{ start: isoMicros(T0 + 4_000_000), end: isoMicros(T0 + 10_001_200), seconds: 6.001, missed: 5 }],
          capHit: false,
        },
      ],
    },
    // Timeline: the HA1 session with its 6 s gap, 10 s intervals.
    timeline: {
      intervalSeconds: 10,
      channels: [
        {
          entry: 'ha.ha1-clear.28769',
          client: FW,
          server: '10.99.1.3',
          buckets: [
            { start: isoMicros(Math.floor(T0 / 1e7) * 1e7), flows: 1, started: 1, failed: 0, warnings: 0 },
            { start: isoMicros(Math.floor(T0 / 1e7) * 1e7 + 1e7), flows: 1, started: 0, failed: 0, warnings: 1 },
          ],
          gaps: [{ start: isoMicros(T0 + 4_000_000), end: isoMicros(T0 + 10_001_200), seconds: 6.0012 }],
          clipped: 0,
        },
      ],
    },
  };
}
