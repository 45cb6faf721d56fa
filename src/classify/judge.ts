// A flow's verdict above the TCP handshake: the application from its payload, TLS and SSH
// facts, TCP health in client/server terms, Community ID, and one reason (the first that
// applies, in the order of REASONS) with its evidence in one line of plain words.
import type { AppName, CatalogEntry } from '../catalog/schema.js';
import { KIND_IPV6 } from '../decode/fields.js';
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP } from '../decode/transport.js';
import { SMALL_SEGMENT_V4, SMALL_SEGMENT_V6, type ConversationFacts, type FlowFacts } from '../flow/conversation.js';
import type { DatagramFacts, KeptDatagram } from '../flow/datagrams.js';
import type { StreamResult } from '../flow/stream.js';
import type { FlowSlots, Side } from '../flow/table.js';
import type { TcpSideReport } from '../flow/tcp-health.js';
import { DATAGRAM_DETECTORS, detectApp, emptyStream, inspectTls, parseSshIdentification, sshBanners, type FlowPayload, type StreamPrefix, type TlsFacts } from '../inspect/index.js';
import type { CertificateFacts } from '../inspect/x509.js';
import type { AppMessage } from '../inspect/datagram.js';
import { looksLikeText } from '../inspect/text.js';
import { judgeApp } from './app-verdicts.js';
import { gapDetail } from './cadence.js';
import type { ClassifiedFlow } from './classify.js';
import { communityIdFromWords } from './community-id.js';
import type { CertificateRecord, TcpFacts, TlsRecord } from './flow-facts.js';
import { FoundReasons } from './reasons.js';
import { REASON_VERDICT, type ReasonCode } from './vocabulary.js';

/** Where a flow came from, for judge(). */
export interface JudgeInput {
  src: FlowSlots;
  slot: number;
  /** Canonical side of the server. */
  server: Side;
  /** A TCP flow's conversation or a UDP flow's kept datagrams; null: none. */
  facts: FlowFacts | null;
  /** The catalog entries the flow matched (after roles): indices into `catalog`. */
  entries: readonly number[];
  /** The catalog's entries (every flow's array of indices has one shape, where arrays of entries did not). */
  catalog: readonly CatalogEntry[];
  /** The flow is still going on: no verdict that needs its exchange to be over. */
  active?: boolean;
  /**
   * Whether the caller may list the flow, asked once its verdict is known: when not, its
   * Community ID and TCP record (which only a listed flow shows) stay null. Absent: always.
   */
  listable?: (flow: ClassifiedFlow) => boolean;
}

/** Per-flow payload inspection figures, summed by the session into input.inspection. */
export interface JudgeCounts {
  /** Payload bytes kept for the flow (both directions). */
  bytesKept: number;
  /** A cap stopped keeping bytes a decoder wanted. */
  capHit: boolean;
}


/** Encrypted records a TLS 1.3 client's own handshake takes at most (Certificate, CertificateVerify, Finished). */
const TLS13_CLIENT_HANDSHAKE_RECORDS = 3;

/** Warnings: more than this share of a side's data segments retransmitted... */
const RETRANSMIT_SHARE = 0.02;
/** ...or one segment sent this many times. */
const RETRANSMIT_SENDS = 3;

/**
 * judge()'s reasons found, apps expected and counts, emptied at each call: no table or object
 * per flow (judge runs to its end before it is called again; its caller reads the counts
 * before the next call).
 */
const WHY = new FoundReasons();
const EXPECTED = new Set<AppName>();
const COUNTS: JudgeCounts = { bytesKept: 0, capHit: false };

/**
 * Fills app, tls, ssh, verdict, reason and detail of `flow`, and communityId and tcp when it
 * is listable. The counts returned are one object refilled at each call.
 */
export function judge(flow: ClassifiedFlow, input: JudgeInput): JudgeCounts {
  const { src, slot, server } = input;
  const facts: ConversationFacts | null = input.facts !== null && input.facts.kind === 'tcp' ? input.facts : null;
  const datagrams: DatagramFacts | null = input.facts !== null && input.facts.kind === 'udp' ? input.facts : null;
  const client: Side = server === 0 ? 1 : 0;
  const kind = src.kind(slot);
  const proto = src.proto(slot);
  const ip = flow.transport !== 'ethertype';
  if (proto === IPPROTO_ICMP || proto === IPPROTO_ICMPV6) flow.app = ip ? 'icmp' : null;

  const counts = COUNTS;
  counts.bytesKept = 0;
  counts.capHit = false;
  const why = WHY;
  why.clear();
  const expected = EXPECTED;
  // A Set's clear() allocates a new table: most flows expect nothing.
  if (expected.size > 0) expected.clear();
  // Indexed loops, no closures or literal arrays per flow: judge runs once per flow per run,
  // mostly before V8 has optimised it, where each of those is an allocation.
  const entries = input.entries;
  const catalog = input.catalog;
  for (let i = 0; i < entries.length; i++) {
    const app = catalog[entries[i]].app;
    if (app !== null) expected.add(app);
  }
  let clientSide: TcpSideReport | null = null;
  let serverSide: TcpSideReport | null = null;
  let tls: TlsFacts | null = null;
  /** The client's and the server's kept stream. */
  let cs: StreamResult | null = null;
  let ss: StreamResult | null = null;
  if (facts !== null) {
    const h = facts.health;
    const clientIsOrig = facts.originator === client;
    clientSide = clientIsOrig ? h.originator : h.responder;
    serverSide = clientIsOrig ? h.responder : h.originator;
    cs = facts.streams[client];
    ss = facts.streams[server];
    countStream(counts, cs);
    countStream(counts, ss);
    const payload: FlowPayload = { client: prefix(cs), server: prefix(ss), flowTimeMs: flow.firstTs / 1000 };
    if (payload.client.bytes.length + payload.server.bytes.length > 0) {
      flow.app = detectApp(payload);
      if (flow.app === 'tls') {
        tls = inspectTls(payload, { atMs: flow.firstTs / 1000 });
        flow.tls = tlsRecord(tls);
        // The per-flow byte cap cut a handshake that had not finished: the decoder wanted more.
        if (tls.incomplete && (cutOrIgnored(cs) || cutOrIgnored(ss))) counts.capHit = true;
      } else if (flow.app === 'ssh') flow.ssh = sshBanners(payload);
      if (flow.app === null && headerlessSyslog(expected, payload.client.bytes)) flow.app = 'syslog';
      if (flow.app !== null && flow.app !== 'tls' && flow.app !== 'ssh') judgeApp(flow.app, { payload, messages: null }, flow, why);
    }
  }
  if (datagrams !== null && datagrams.datagrams.length > 0) {
    const list = datagrams.datagrams;
    for (let i = 0; i < list.length; i++) counts.bytesKept += list[i].bytes.length;
    // Each side's first datagram tells the protocol, as a stream's first bytes do.
    const first = firstDatagram(list, client);
    flow.app = detectApp({ client: first, server: firstDatagram(list, server) }, DATAGRAM_DETECTORS);
    if (flow.app === null && headerlessSyslog(expected, first.bytes)) flow.app = 'syslog';
    // The messages only for a decoder: most flows' datagrams (up to 32 each) match none.
    if (flow.app !== null) judgeApp(flow.app, { payload: null, messages: appMessages(list, client) }, flow, why);
    // A cap matters when a decoder read the datagrams: its counts are then lower bounds.
    if (datagrams.capHit && flow.app !== null) counts.capHit = true;
  }

  // The capture, not the peers, may be why the exchange looks unfinished: a prefix cut by
  // a cap or by the snaplen, bytes not looked at, or bytes a side acknowledged that the
  // capture never saw. Then "did not complete" is unknown, not a failure. A hole nobody
  // acknowledged past is loss on the way, before the capture point: the exchange did stall.
  const limited = capped(cs) || capped(ss) || (clientSide !== null && clientSide.ackedUnseen > 0) || (serverSide !== null && serverSide.ackedUnseen > 0);

  const requestResponse = someExchange(entries, catalog, 'request-response');

  // pmtu-blackhole
  const pmtu = facts?.pmtu ?? null;
  if (pmtu !== null && clientSide !== null && serverSide !== null) {
    const who = pmtu.side === client ? 'client' : 'server';
    const handshake = facts!.health.rttMs !== null && facts!.health.rttMs.synAckToAck !== null;
    const large = pmtu.segmentBytes > (kind === KIND_IPV6 ? SMALL_SEGMENT_V6 : SMALL_SEGMENT_V4);
    if (pmtu.icmpMtu !== null && !pmtu.adaptedAfterIcmp && handshake) {
      why.set('pmtu-blackhole', `path MTU black hole: the ${who} ${addrOf(flow, who)} got an ICMP "fragmentation needed" (next-hop MTU ${pmtu.icmpMtu}) but sent no smaller segment that got through`);
    } else if (pmtu.icmpMtu === null && pmtu.retransmits >= 2 && !pmtu.progressed && large && handshake && pmtu.peerAnswered) {
      // The peer still sent packets after the large segments: not a dead host or path.
      why.set('pmtu-blackhole', `path MTU black hole: ${pmtu.frameBytes}-byte segment from the ${who} ${addrOf(flow, who)} retransmitted ${pmtu.retransmits} times with the don't-fragment bit while smaller packets got through, no ICMP seen`);
    }
  }

  // tls-alert
  if (tls !== null && tls.alert !== null) {
    const a = tls.alert;
    if (!a.encrypted && a.level === 'fatal') why.set('tls-alert', `TLS alert ${a.description} sent by the ${a.from} ${addrOf(flow, a.from)}${/certificate|unknown_ca/.test(a.description) ? alertEvidence(a.from, tls, flow.firstTs) : ''}`);
    else if (a.encrypted && !tls.established && !limited) why.set('tls-alert', `encrypted TLS alert sent by the ${a.from} ${addrOf(flow, a.from)} before the handshake completed`);
  }

  // rejected, unanswered, icmp-error
  if (flow.state === 'rejected') {
    // A TCP attempt is rejected by a reset from the server; answered by ICMP errors only
    // (a router, a firewall), it is an ICMP error.
    if (proto === IPPROTO_TCP && src.resets(slot, server) > 0) why.set('rejected', `the server ${flow.server} answered the connection attempt with a reset`);
    else why.set('icmp-error', icmpDetail(src, slot, flow, 'answered only by'));
  } else if (flow.state === 'unanswered') {
    const syns = src.syns(slot, client);
    why.set('unanswered', `${syns} SYN${syns === 1 ? '' : 's'} from the client ${flow.client}, no answer from the server${flow.icmpErrors > 0 ? ` (${icmpDetail(src, slot, flow, 'with')})` : ''}`);
  }
  // "Answered only by ICMP errors" is classification's rule (state rejected for non-TCP flows).

  // reset-after-connect
  const handshakeDone = facts !== null && facts.health.rttMs !== null && facts.health.rttMs.synAckToAck !== null;
  const resets = src.resets(slot, 0) + src.resets(slot, 1);
  if (proto === IPPROTO_TCP && handshakeDone && resets > 0 && serverSide !== null) {
    const unfinished = tls !== null && !tls.established && tls.alert === null && !limited;
    if (serverSide.payloadBytes === 0 || unfinished) {
      const by = src.resets(slot, server) > 0 ? `the server ${flow.server}` : `the client ${flow.client}`;
      why.set('reset-after-connect', `reset by ${by} after the handshake, ${serverSide.payloadBytes === 0 ? 'before the server sent any data' : 'before the TLS handshake completed'}`);
    }
  }

  // tls-incomplete: started, neither established nor ended by an alert, and not cut by a cap.
  // A one-way service over TLS 1.3 (syslog on 6514) may never write after its handshake:
  // a client that went on to send application data accepted the server's Finished.
  const oneWay = entries.length > 0 && everyExchange(entries, catalog, 'one-way');
  const clientSentData = tls !== null && tls.clientEncryptedRecords > TLS13_CLIENT_HANDSHAKE_RECORDS;
  if (tls !== null && tls.incomplete && !counts.capHit && !limited && input.active !== true && !(oneWay && clientSentData)) {
    const last = tls.serverHelloSeen ? 'the server hello' : tls.clientHelloSeen ? 'the client hello' : 'the first record';
    // TLS 1.3 encrypts the rest of the handshake: what is missing is an encrypted answer.
    why.set(
      'tls-incomplete',
      tls.serverHelloSeen && tls.version === 'TLS 1.3'
        ? `TLS 1.3 handshake not seen to complete: the server ${flow.server} sent no encrypted record after the client's`
        : `TLS handshake did not complete: nothing after ${last}${tls.serverHelloSeen ? '' : ` from the server ${flow.server}`}`,
    );
  }

  // unexpected-protocol: another known protocol at the start of the stream (SYN seen), or
  // in a UDP flow's datagrams (each stands alone).
  const fromStart = (flow.state !== null && flow.state !== 'midstream') || proto === IPPROTO_UDP;
  if (fromStart && expected.size > 0) {
    if (flow.app !== null && !expected.has(flow.app)) {
      why.set('unexpected-protocol', `${appName(flow.app)} on port ${flow.serverPort}, where ${[...expected].map(appName).join(' or ')} is expected`);
    } else if ((flow.app === null || flow.app === 'ssh') && expected.has('ssh') && expected.size === 1 && serverGreeting(ss)) {
      // SSH servers must identify themselves (RFC 4253 4.2), whatever the client sent first
      // (an SSH client sends its own banner at once): a greeting without it is not SSH.
      if (parseSshIdentification(ss!.bytes, true) === null) why.set('unexpected-protocol', `the server ${flow.server} on port ${flow.serverPort} does not speak SSH (no SSH identification in its ${ss!.bytes.length} bytes)`);
    }
  }

  // no-reply: a request/response service whose requests got no answer.
  if (requestResponse && flow.clientPackets > 0 && input.active !== true) {
    if (proto === IPPROTO_UDP && flow.serverPackets === 0) {
      why.set('no-reply', `${flow.clientPackets} request${flow.clientPackets === 1 ? '' : 's'} from the client ${flow.client}, no reply from the server ${flow.server}`);
    } else if (proto === IPPROTO_UDP && flow.snmp !== null && flow.snmp.requests > 0 && flow.snmp.responses === 0 && !why.has('snmp-error')) {
      // SNMPv3: the engine-ID discovery was answered by a Report, the request itself never
      // (a wrong privacy key: the agent cannot decrypt it and drops it).
      why.set('no-reply', `${flow.snmp.requests} SNMP request${flow.snmp.requests === 1 ? '' : 's'} from the client ${flow.client}, no response from the agent ${flow.server} (only engine discovery answered)`);
    } else if (proto === IPPROTO_TCP && handshakeDone && resets === 0 && clientSide !== null && serverSide !== null && clientSide.payloadBytes > 0 && serverSide.payloadBytes === 0) {
      why.set('no-reply', `${clientSide.payloadBytes} request bytes from the client ${flow.client}, no reply data from the server ${flow.server}`);
    }
  }

  // warnings
  if (flow.heartbeat !== undefined && flow.heartbeat !== null && flow.heartbeat.gaps.length > 0) why.set('heartbeat-gap', gapDetail(flow.heartbeat));
  if (flow.tls !== null) {
    const expired = (c: CertificateRecord | null) => c !== null && c.daysLeft !== null && c.daysLeft < 0;
    const sc = flow.tls.serverCertificate;
    const cc = flow.tls.clientCertificate;
    if (expired(sc)) why.set('certificate-expired', `server certificate expired ${agoText(sc!, flow.firstTs)} before the capture (notAfter ${sc!.notAfter}) and accepted`);
    else if (expired(cc)) why.set('certificate-expired', `client certificate expired ${agoText(cc!, flow.firstTs)} before the capture (notAfter ${cc!.notAfter}) and accepted`);
  }
  if (facts !== null && clientSide !== null && serverSide !== null) {
    retransmissionReason(why, flow, 'client', clientSide, facts.maxSends[client]);
    retransmissionReason(why, flow, 'server', serverSide, facts.maxSends[server]);
    zeroWindowReason(why, flow, 'client', clientSide);
    zeroWindowReason(why, flow, 'server', serverSide);
  }

  const reason: ReasonCode | null = why.first();
  flow.reason = reason;
  flow.verdict = reason === null ? 'ok' : REASON_VERDICT[reason];
  flow.detail = reason === null ? null : why.detail(reason);
  flow.failed = flow.verdict === 'failed';
  // What only the flow's record shows (no verdict reads it): made once the verdict is known,
  // and only for a flow the caller may list.
  if (input.listable === undefined || input.listable(flow)) {
    if (ip) flow.communityId = communityIdOf(flow, src, slot, server);
    if (facts !== null) flow.tcp = tcpFacts(facts, clientSide!, serverSide!);
  }
  return counts;
}

/** Side 0's address words, then side 1's (communityIdOf's scratch). */
const ADDRESS_WORDS = new Uint32Array(8);

/** A flow's Community ID (ICMP: the message type and code stand in for the ports). */
function communityIdOf(flow: ClassifiedFlow, src: FlowSlots, slot: number, server: Side): string | null {
  const client: Side = server === 0 ? 1 : 0;
  const proto = src.proto(slot);
  const ports = flow.transport === 'tcp' || flow.transport === 'udp';
  // Echo request and reply pair up: from the side that sent messages, the client's first.
  const icmpFrom: Side = proto === IPPROTO_ICMP || proto === IPPROTO_ICMPV6 ? (src.icmpMessage(slot, client) !== 0 || src.icmpMessage(slot, server) === 0 ? client : server) : client;
  const icmpTo: Side = icmpFrom === 0 ? 1 : 0;
  const msg = ports ? 0 : src.icmpMessage(slot, icmpFrom);
  const a = ports ? client : icmpFrom;
  const b = ports ? server : icmpTo;
  // The two addresses' words copied out (no view of the key per flow).
  const words = ADDRESS_WORDS;
  for (let i = 0; i < 4; i++) {
    words[i] = src.addressWord(slot, 0, i);
    words[4 + i] = src.addressWord(slot, 1, i);
  }
  return communityIdFromWords(
    0,
    proto,
    src.kind(slot) === KIND_IPV6,
    words,
    a === 0 ? 0 : 4,
    words,
    b === 0 ? 0 : 4,
    ports ? src.port(slot, a) : (msg >> 8) & 0xff,
    ports ? src.port(slot, b) : msg & 0xff,
  );
}

/** A side's data retransmissions as the `retransmissions` reason, unless it has one. */
function retransmissionReason(why: FoundReasons, flow: ClassifiedFlow, who: 'client' | 'server', side: TcpSideReport, sends: number): void {
  if (why.has('retransmissions')) return;
  // Data segments only: a retransmitted SYN or FIN is not a share of the data.
  const share = side.dataSegments > 0 ? side.dataRetransmissions / side.dataSegments : 0;
  if (side.dataRetransmissions > 0 && (share > RETRANSMIT_SHARE || sends >= RETRANSMIT_SENDS)) {
    why.set(
      'retransmissions',
      share > RETRANSMIT_SHARE
        ? `${side.dataRetransmissions} of ${side.dataSegments} data segments from the ${who} ${addrOf(flow, who)} retransmitted (${(share * 100).toFixed(1)} %)`
        : `a segment from the ${who} ${addrOf(flow, who)} was sent ${sends} times`,
    );
  }
}

/** A side's zero windows as the `zero-window` reason, unless it has one. */
function zeroWindowReason(why: FoundReasons, flow: ClassifiedFlow, who: 'client' | 'server', side: TcpSideReport): void {
  if (side.zeroWindows > 0 && !why.has('zero-window')) why.set('zero-window', `the ${who} ${addrOf(flow, who)} advertised a zero window ${side.zeroWindows} time${side.zeroWindows === 1 ? '' : 's'} (its receiver stopped reading)`);
}

/** A side's first kept datagram as a stream prefix (an empty one when the side sent none). */
function firstDatagram(list: readonly KeptDatagram[], side: Side): StreamPrefix {
  for (let i = 0; i < list.length; i++) if (list[i].side === side) return { bytes: list[i].bytes, marks: [], truncated: false };
  return emptyStream();
}

/** The kept datagrams as the decoders read them, named by the flow's client side. */
function appMessages(list: readonly KeptDatagram[], client: Side): AppMessage[] {
  const out: AppMessage[] = [];
  for (let i = 0; i < list.length; i++) {
    const d = list[i];
    out.push({ from: d.side === client ? 'client' : 'server', bytes: d.bytes, wireLength: d.wireLength, timeMs: d.tsUs / 1000 });
  }
  return out;
}

function addrOf(flow: ClassifiedFlow, side: 'client' | 'server'): string {
  return side === 'client' ? flow.client : flow.server;
}

function countStream(counts: JudgeCounts, s: StreamResult | null): void {
  if (s === null) return;
  counts.bytesKept += s.bytes.length;
  if (s.budgetBytes > 0 || s.droppedSegments > 0) counts.capHit = true;
}

function cutOrIgnored(s: StreamResult | null): boolean {
  return s !== null && s.cutBytes + s.ignoredBytes > 0;
}

/**
 * The capture, not the peers, may be why the exchange looks unfinished: a prefix cut by a cap
 * or by the snaplen, bytes not looked at.
 */
function capped(s: StreamResult | null): boolean {
  return s !== null && (s.cutBytes + s.ignoredBytes + s.budgetBytes + s.droppedBytes > 0 || s.snapCut);
}

function someExchange(entries: readonly number[], catalog: readonly CatalogEntry[], x: CatalogEntry['exchange']): boolean {
  for (let i = 0; i < entries.length; i++) if (catalog[entries[i]].exchange === x) return true;
  return false;
}

function everyExchange(entries: readonly number[], catalog: readonly CatalogEntry[], x: CatalogEntry['exchange']): boolean {
  for (let i = 0; i < entries.length; i++) if (catalog[entries[i]].exchange !== x) return false;
  return true;
}

/**
 * Text on a syslog port is syslog without a header: RFC 3164 4.3.3 has a relay treat it as a
 * message and add the missing PRI. It is judged as syslog (a syslog-format warning).
 */
function headerlessSyslog(expected: Set<AppName>, client: Uint8Array): boolean {
  return expected.has('syslog') && looksLikeText(client.subarray(0, 1024));
}

/** What the certificates the alert's receiver sent say, when they explain a certificate alert. */
function alertEvidence(from: 'client' | 'server', tls: TlsFacts, atUs: number): string {
  const cert = from === 'client' ? tls.serverCertificate : tls.clientCertificate;
  if (cert === null) return '';
  const whose = from === 'client' ? 'server' : 'client';
  if (cert.daysLeft !== null && cert.daysLeft < 0) return `; the ${whose} certificate expired ${agoText(cert, atUs)} before the capture (notAfter ${cert.notAfter})`;
  if (cert.issuer !== null) return `; the ${whose} certificate ${cert.subject ?? ''} was issued by ${cert.issuer}`.replace('certificate  was', 'certificate was');
  return '';
}

/** Whole days (or hours, under a day) from a certificate's notAfter to the flow's first packet. */
function agoText(c: { notAfter: string | null }, atUs: number): string {
  const ms = atUs / 1000 - Date.parse(c.notAfter ?? '');
  if (!(ms >= 0)) return 'just';
  const days = Math.floor(ms / 86_400_000);
  if (days >= 1) return `${days} day${days === 1 ? '' : 's'}`;
  const hours = Math.floor(ms / 3_600_000);
  return `${hours} hour${hours === 1 ? '' : 's'}`;
}

/** Bytes of a server's greeting enough to tell SSH (its identification comes within the first KiB in practice). */
const SSH_GREETING_BYTES = 1024;

/** The server's stream starts at its beginning and holds all it sent, or enough of it to tell SSH. */
function serverGreeting(s: StreamResult | null): boolean {
  return s !== null && !s.midstream && s.bytes.length > 0 && (!s.truncated || s.bytes.length >= SSH_GREETING_BYTES);
}

function prefix(s: StreamResult | null): StreamPrefix {
  // The result itself: its marks are built only if a decoder reads them.
  return s === null ? emptyStream() : s;
}

function tcpFacts(facts: ConversationFacts, c: TcpSideReport, s: TcpSideReport): TcpFacts {
  const h = facts.health;
  return {
    connState: h.connState,
    history: h.history,
    retransmissions: { client: c.retransmissions, server: s.retransmissions },
    zeroWindows: { client: c.zeroWindows, server: s.zeroWindows },
    duplicateAcks: { client: c.duplicateAcks, server: s.duplicateAcks },
    rttMs: h.rttMs === null ? null : { synToSynAck: round3(h.rttMs.synToSynAck), synAckToAck: round3(h.rttMs.synAckToAck) },
    mss: { client: c.mss, server: s.mss },
    maxSegment: { client: c.maxSegment, server: s.maxSegment },
  };
}

function round3(ms: number | null): number | null {
  return ms === null ? null : Math.round(ms * 1000) / 1000;
}

function certRecord(c: CertificateFacts | null): CertificateRecord | null {
  if (c === null) return null;
  return { subject: c.subject, issuer: c.issuer, notBefore: c.notBefore, notAfter: c.notAfter, sha256: c.sha256, daysLeft: c.daysLeft };
}

function tlsRecord(t: TlsFacts): TlsRecord {
  const a = t.alert;
  return {
    version: t.version,
    sni: t.sni,
    alpn: t.alpn,
    cipher: t.cipher,
    established: t.established,
    alert: a === null ? null : a.encrypted ? { encrypted: true, from: a.from } : { encrypted: false, level: a.level, description: a.description, from: a.from },
    serverCertificate: certRecord(t.serverCertificate),
    clientCertificate: certRecord(t.clientCertificate),
  };
}

const APP_NAMES: Record<AppName, string> = {
  tls: 'TLS',
  ssh: 'SSH',
  http: 'plain HTTP',
  ldap: 'LDAP',
  kerberos: 'Kerberos',
  ntp: 'NTP',
  snmp: 'SNMP',
  radius: 'RADIUS',
  syslog: 'syslog',
  dcerpc: 'DCE/RPC',
  smb: 'SMB',
  icmp: 'ICMP',
};

function appName(a: AppName): string {
  return APP_NAMES[a];
}

/** "ICMP destination unreachable (port unreachable) from 10.0.0.5" for the flow's highest ICMP error. */
function icmpDetail(src: FlowSlots, slot: number, flow: ClassifiedFlow, how: string): string {
  const code = src.icmpCode(slot);
  const type = (code >> 8) & 0xff;
  const c = code & 0xff;
  const v6 = flow.transport === 'tcp' || flow.transport === 'udp' ? src.kind(slot) === KIND_IPV6 : flow.transport === 'icmpv6';
  const n = flow.icmpErrors;
  return `${how} ${n} ICMP${v6 ? 'v6' : ''} error${n === 1 ? '' : 's'} (${icmpName(v6, type, c)})`;
}

function icmpName(v6: boolean, type: number, code: number): string {
  if (!v6) {
    if (type === 3) return ['network unreachable', 'host unreachable', 'protocol unreachable', 'port unreachable', 'fragmentation needed', 'source route failed'][code] ?? (code === 13 ? 'communication administratively prohibited' : `destination unreachable, code ${code}`);
    if (type === 11) return 'time exceeded';
    return `type ${type} code ${code}`;
  }
  if (type === 1) return ['no route to destination', 'administratively prohibited', 'beyond scope of source address', 'address unreachable', 'port unreachable'][code] ?? `destination unreachable, code ${code}`;
  if (type === 2) return 'packet too big';
  if (type === 3) return 'time exceeded';
  return `type ${type} code ${code}`;
}

