// The flow record: the one shape of a flow that every output renders (JSON `flows[]`,
// NDJSON lines, protobuf `Flow`, the text report). FLOW_RECORD_KEYS is the order of the
// "pantap.summary.v1" contract (then the additions), which JSON and NDJSON follow; the
// nested facts (tcp, tls, ssh) are rebuilt in the contract's key order by rebuiltFlow, or,
// in a record flowRecord made and no caller held, written as made (orderedFlow).
import type { Catalog } from '../catalog/schema.js';
import type { ClassifiedFlow } from '../classify/classify.js';
import type { CertificateRecord, FlowVerdictFacts, SshRecord, TcpFacts, TlsAlertRecord, TlsRecord } from '../classify/flow-facts.js';
import type { DirectionRule, FlowSection, FlowState, FlowTransport } from '../classify/vocabulary.js';
import { isoMicros } from './format.js';
import { isAsWritten, markAsWritten } from './json-parts.js';

export interface FlowRecord extends FlowVerdictFacts {
  transport: FlowTransport;
  client: string;
  server: string;
  clientPort: number | null;
  serverPort: number | null;
  ipProtocol: number | null;
  ethertype: number | null;
  packets: number;
  bytes: number;
  firstSeen: string;
  lastSeen: string;
  state: FlowState | null;
  section: FlowSection;
  entries: string[];
  clientPackets: number;
  serverPackets: number;
  clientBytes: number;
  serverBytes: number;
  /** ICMP errors that came back about this flow. */
  icmpErrors: number;
  /** Why the server side was chosen (see README, "Direction"). */
  direction: DirectionRule;
}

/** Every key of FlowRecord, in output order (the type check below keeps it complete). */
export const FLOW_RECORD_KEYS = [
  'transport',
  'client',
  'server',
  'clientPort',
  'serverPort',
  'ipProtocol',
  'ethertype',
  'packets',
  'bytes',
  'firstSeen',
  'lastSeen',
  'state',
  'section',
  'entries',
  'clientPackets',
  'serverPackets',
  'clientBytes',
  'serverBytes',
  'icmpErrors',
  'direction',
  'app',
  'verdict',
  'reason',
  'detail',
  'communityId',
  'tcp',
  'tls',
  'ssh',
  'ldap',
  'kerberos',
  'radius',
  'snmp',
  'ntp',
  'syslog',
  'rpc',
] as const satisfies readonly (keyof FlowRecord)[];

// A key added to FlowRecord but not to FLOW_RECORD_KEYS fails to compile here.
const complete: Exclude<keyof FlowRecord, (typeof FLOW_RECORD_KEYS)[number]> extends never ? true : never = true;
void complete;

/**
 * The record with its keys in output order, nullable ones as null (never dropped); the
 * nested facts too, whatever the key order of whoever built them.
 */
export function orderedFlow(f: FlowRecord): Record<string, unknown> {
  // A record flowRecord marked is in this order already (json-parts.ts, asWritten): written
  // as it is, 10,000 listed flows on mixed-2M, ≈ 6 MiB of copies per JSON report. Only for
  // records no caller has held (the CLI's summary, NDJSON lines, export rows): a library
  // caller may have edited Summary.flows' records, which renderJson rebuilds.
  if (isAsWritten(f)) return f as unknown as Record<string, unknown>;
  return rebuiltFlow(f);
}

/** orderedFlow without the shortcut: always a new object in order, whatever was done to `f`. */
export function rebuiltFlow(f: FlowRecord): Record<string, unknown> {
  // One literal in FLOW_RECORD_KEYS' order (a test holds the two together): 35 stores by a
  // computed key were megamorphic, and 10,000 listed flows go through here per summary.
  return {
    transport: f.transport ?? null,
    client: f.client ?? null,
    server: f.server ?? null,
    clientPort: f.clientPort ?? null,
    serverPort: f.serverPort ?? null,
    ipProtocol: f.ipProtocol ?? null,
    ethertype: f.ethertype ?? null,
    packets: f.packets ?? null,
    bytes: f.bytes ?? null,
    firstSeen: f.firstSeen ?? null,
    lastSeen: f.lastSeen ?? null,
    state: f.state ?? null,
    section: f.section ?? null,
    entries: f.entries ?? null,
    clientPackets: f.clientPackets ?? null,
    serverPackets: f.serverPackets ?? null,
    clientBytes: f.clientBytes ?? null,
    serverBytes: f.serverBytes ?? null,
    icmpErrors: f.icmpErrors ?? null,
    direction: f.direction ?? null,
    app: f.app ?? null,
    verdict: f.verdict ?? null,
    reason: f.reason ?? null,
    detail: f.detail ?? null,
    communityId: f.communityId ?? null,
    tcp: f.tcp ? orderedTcp(f.tcp) : null,
    tls: f.tls ? orderedTls(f.tls) : null,
    ssh: f.ssh ? orderedSsh(f.ssh) : null,
    ldap: f.ldap ? ordered(f.ldap, APP_FIELDS.ldap) : null,
    kerberos: f.kerberos ? ordered(f.kerberos, APP_FIELDS.kerberos) : null,
    radius: f.radius ? ordered(f.radius, APP_FIELDS.radius) : null,
    snmp: f.snmp ? ordered(f.snmp, APP_FIELDS.snmp) : null,
    ntp: f.ntp ? ordered(f.ntp, APP_FIELDS.ntp) : null,
    syslog: f.syslog ? ordered(f.syslog, APP_FIELDS.syslog) : null,
    rpc: f.rpc ? ordered(f.rpc, APP_FIELDS.rpc) : null,
  };
}

/** The application records (issue 10) and their keys in contract order. */
const APP_FIELDS = {
  ldap: ['resultCode', 'resultName', 'diagnostic', 'bindDN', 'operations'],
  kerberos: ['errorCode', 'errorName', 'realm', 'client', 'messageType'],
  radius: ['code', 'requests', 'responses'],
  snmp: ['version', 'requests', 'responses', 'errorStatus', 'report'],
  ntp: ['mode', 'version', 'stratum', 'leap', 'refId', 'kissCode', 'offsetMs'],
  syslog: ['format', 'framing', 'messages', 'oversize'],
  rpc: ['endpointMapper', 'dynamicPort', 'status'],
} as const satisfies { [K in keyof AppRecords]: readonly (keyof NonNullable<AppRecords[K]>)[] };
type AppRecords = Pick<FlowVerdictFacts, 'ldap' | 'kerberos' | 'radius' | 'snmp' | 'ntp' | 'syslog' | 'rpc'>;

function ordered(r: object, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = (r as Record<string, unknown>)[k] ?? null;
  return out;
}

const sides = <T>(x: { client: T; server: T }) => ({ client: x.client ?? null, server: x.server ?? null });

function orderedTcp(t: TcpFacts): Record<string, unknown> {
  return {
    connState: t.connState,
    history: t.history,
    retransmissions: sides(t.retransmissions),
    zeroWindows: sides(t.zeroWindows),
    duplicateAcks: sides(t.duplicateAcks),
    rttMs: t.rttMs ? { synToSynAck: t.rttMs.synToSynAck ?? null, synAckToAck: t.rttMs.synAckToAck ?? null } : null,
    mss: sides(t.mss),
    maxSegment: sides(t.maxSegment),
  };
}

function orderedTls(t: TlsRecord): Record<string, unknown> {
  return {
    version: t.version ?? null,
    sni: t.sni ?? null,
    alpn: [...t.alpn],
    cipher: t.cipher ?? null,
    established: t.established,
    alert: t.alert ? orderedAlert(t.alert) : null,
    serverCertificate: t.serverCertificate ? orderedCertificate(t.serverCertificate) : null,
    clientCertificate: t.clientCertificate ? orderedCertificate(t.clientCertificate) : null,
  };
}

/** A plaintext alert: level, description, from, encrypted false; an encrypted one: encrypted true, from. */
function orderedAlert(a: TlsAlertRecord): Record<string, unknown> {
  return a.encrypted ? { encrypted: true, from: a.from } : { level: a.level, description: a.description, from: a.from, encrypted: false };
}

function orderedCertificate(c: CertificateRecord): Record<string, unknown> {
  return {
    subject: c.subject ?? null,
    issuer: c.issuer ?? null,
    notBefore: c.notBefore ?? null,
    notAfter: c.notAfter ?? null,
    sha256: c.sha256,
    daysLeft: c.daysLeft ?? null,
  };
}

function orderedSsh(s: SshRecord): Record<string, unknown> {
  return { clientBanner: s.clientBanner ?? null, serverBanner: s.serverBanner ?? null };
}

export function flowRecord(f: ClassifiedFlow, catalog: Catalog): FlowRecord {
  const r: FlowRecord = {
    transport: f.transport,
    client: f.client,
    server: f.server,
    clientPort: f.clientPort,
    serverPort: f.serverPort,
    ipProtocol: f.ipProtocol,
    ethertype: f.ethertype,
    packets: f.clientPackets + f.serverPackets,
    bytes: f.clientBytes + f.serverBytes,
    firstSeen: isoMicros(f.firstTs),
    lastSeen: isoMicros(f.lastTs),
    state: f.state,
    section: f.section,
    entries: f.entries.map((i) => catalog.entries[i].id),
    clientPackets: f.clientPackets,
    serverPackets: f.serverPackets,
    clientBytes: f.clientBytes,
    serverBytes: f.serverBytes,
    icmpErrors: f.icmpErrors,
    direction: f.direction,
    app: f.app,
    verdict: f.verdict,
    reason: f.reason,
    detail: f.detail,
    communityId: f.communityId,
    tcp: f.tcp,
    tls: f.tls,
    ssh: f.ssh,
    ldap: f.ldap,
    kerberos: f.kerberos,
    radius: f.radius,
    snmp: f.snmp,
    ntp: f.ntp,
    syslog: f.syslog,
    rpc: f.rpc,
  };
  // Its literal is in FLOW_RECORD_KEYS' order with no undefined (ClassifiedFlow's type), and
  // its tcp is judge's tcpFacts, built in orderedTcp's order; the TLS, SSH and application
  // records are built in other orders (the TLS alert), so a record with one is rebuilt.
  const inOrder = r.tls === null && r.ssh === null && r.ldap === null && r.kerberos === null && r.radius === null && r.snmp === null && r.ntp === null && r.syslog === null && r.rpc === null;
  return inOrder ? markAsWritten(r) : r;
}
