// SNMP over UDP: v1 and v2c (RFC 1157, 3416: version, community, PDU) and v3 (RFC 3412
// header, RFC 3414 USM security parameters, a plaintext or encrypted scopedPDU). What a
// verdict needs: which requests got an answer, error-status, and v3 Report PDUs. A
// community string is a password: only its first character and length are kept.
import type { AppMessage } from './datagram.js';
import { children, CONTEXT, inner, isTag, readHeader, readInt, readOid, readText, readTlv, T, UNIVERSAL, type Tlv } from './ber.js';
import { escapeAscii } from './text.js';

export type SnmpVersion = 'v1' | 'v2c' | 'v3';

/** PDU names by context tag (RFC 3416 §3; [4] is SNMPv1's Trap-PDU). */
const PDU_NAMES: readonly string[] = ['GetRequest', 'GetNextRequest', 'Response', 'SetRequest', 'Trap', 'GetBulkRequest', 'InformRequest', 'SNMPv2-Trap', 'Report'];
const PDU = { get: 0, getNext: 1, response: 2, set: 3, trapV1: 4, getBulk: 5, inform: 6, trapV2: 7, report: 8 } as const;
/** Confirmed-class PDUs a manager (or an inform sender) expects an answer to. */
const REQUESTS = new Set<number>([PDU.get, PDU.getNext, PDU.set, PDU.getBulk, PDU.inform]);

/** RFC 3416 §3 error-status values. */
export const SNMP_ERROR_STATUS_NAMES: readonly string[] = [
  'noError',
  'tooBig',
  'noSuchName',
  'badValue',
  'readOnly',
  'genErr',
  'noAccess',
  'wrongType',
  'wrongLength',
  'wrongEncoding',
  'wrongValue',
  'noCreation',
  'inconsistentValue',
  'resourceUnavailable',
  'commitFailed',
  'undoFailed',
  'authorizationError',
  'notWritable',
  'inconsistentName',
];

export function snmpErrorStatusName(status: number): string | null {
  return Number.isInteger(status) && status >= 0 && status < SNMP_ERROR_STATUS_NAMES.length ? SNMP_ERROR_STATUS_NAMES[status] : null;
}

/**
 * Counters a Report PDU names (its first variable binding): RFC 3414's usmStats (§5), RFC
 * 3412's snmpMPDStats and RFC 3413's target counters.
 */
export const SNMP_REPORT_NAMES: Readonly<Record<string, string>> = {
  '1.3.6.1.6.3.15.1.1.1.0': 'usmStatsUnsupportedSecLevels',
  '1.3.6.1.6.3.15.1.1.2.0': 'usmStatsNotInTimeWindows',
  '1.3.6.1.6.3.15.1.1.3.0': 'usmStatsUnknownUserNames',
  '1.3.6.1.6.3.15.1.1.4.0': 'usmStatsUnknownEngineIDs',
  '1.3.6.1.6.3.15.1.1.5.0': 'usmStatsWrongDigests',
  '1.3.6.1.6.3.15.1.1.6.0': 'usmStatsDecryptionErrors',
  '1.3.6.1.6.3.11.2.1.1.0': 'snmpUnknownSecurityModels',
  '1.3.6.1.6.3.11.2.1.2.0': 'snmpInvalidMsgs',
  '1.3.6.1.6.3.11.2.1.3.0': 'snmpUnknownPDUHandlers',
  '1.3.6.1.6.3.12.1.4.0': 'snmpUnavailableContexts',
  '1.3.6.1.6.3.12.1.5.0': 'snmpUnknownContexts',
};

const UNKNOWN_ENGINE_IDS = 'usmStatsUnknownEngineIDs';
const NOT_IN_TIME_WINDOWS = 'usmStatsNotInTimeWindows';

/** msgFlags (RFC 3412 §6.4). */
const FLAG_REPORTABLE = 0x04;

const MAX_MESSAGES = 1024;
const MAX_LISTED = 32;
/** Distinct request IDs tracked for matching. */
const MAX_IDS = 4096;

export interface SnmpFacts {
  /** Version of the first message. */
  version: SnmpVersion;
  /** Confirmed-class requests (get, getnext, getbulk, set, inform); v3 encrypted ones by msgFlags. */
  requests: number;
  /** Response PDUs (v3: encrypted answers too). Reports are counted in `reports`. */
  responses: number;
  /** Trap-PDUs and SNMPv2-Traps (and unconfirmed encrypted v3 messages from the client). */
  traps: number;
  /** The first non-zero error-status of a Response, else 0 when a plaintext Response was seen, else null. */
  errorStatus: number | null;
  /** That Response's error-index. */
  errorIndex: number | null;
  errorStatusName: string | null;
  /** The deciding Report: reportFailure, else the last report; null without a report. */
  report: string | null;
  /** Report counters in order (first 32): a name from SNMP_REPORT_NAMES, else the dotted OID. */
  reports: string[];
  /**
   * The first report that is a failure (RFC 3414 §3.2): any but usmStatsUnknownEngineIDs
   * (engine discovery) and a usmStatsNotInTimeWindows that a Response follows (the time
   * re-synchronisation that precedes success).
   */
  reportFailure: string | null;
  /** Distinct requests (request-id; v3 msgID) with no Response or Report carrying their ID. */
  unanswered: number;
  /** The first community string, masked: first character (escaped) and length in octets. */
  community: { first: string; length: number } | null;
  /** v3 msgUserName (not a secret), first non-empty one. */
  userName: string | null;
  /** PDU types in order (first 32); 'encrypted' for a v3 scopedPDU that cannot be read. */
  pduTypes: string[];
  /** v3 messages whose scopedPDU is encrypted. */
  encrypted: number;
  /** A datagram that is not an SNMP message. */
  malformed: boolean;
}

/** One decoded message: no community, no keys, no values. */
interface Message {
  version: SnmpVersion;
  community: { first: string; length: number } | null;
  /** v1/v2c: the PDU's request-id; v3: msgID. */
  id: number | null;
  userName: string | null;
  reportable: boolean;
  /** PDU tag, null when encrypted. */
  pdu: number | null;
  errorStatus: number | null;
  errorIndex: number | null;
  /** The first variable binding's name (for a Report). */
  firstOid: string | null;
}

/** The PDU (RFC 3416 §3: request-id, error-status, error-index, variable-bindings). */
function readPdu(b: Uint8Array, t: Tlv | null, m: Message): boolean {
  if (t === null || t.cls !== CONTEXT || !t.constructed || t.tag > 8) return false;
  m.pdu = t.tag;
  if (t.tag === PDU.trapV1) return true; // enterprise, agent-addr, ...: nothing needed
  const kids = children(b, t, 4);
  if (kids.length < 3 || !kids.slice(0, 3).every((k) => isTag(k, UNIVERSAL, T.integer, false))) return false;
  const id = readInt(b, kids[0]);
  if (id === null) return false;
  if (m.version !== 'v3') m.id = id;
  if (t.tag !== PDU.getBulk) {
    // in a GetBulkRequest these two are non-repeaters and max-repetitions
    m.errorStatus = readInt(b, kids[1]);
    m.errorIndex = readInt(b, kids[2]);
  }
  const vbs = kids[3];
  if (isTag(vbs, UNIVERSAL, T.sequence, true)) {
    const first = readTlv(b, vbs.valueStart, vbs.end);
    if (isTag(first, UNIVERSAL, T.sequence, true)) {
      const name = readTlv(b, first.valueStart, first.end);
      if (isTag(name, UNIVERSAL, T.oid, false)) m.firstOid = readOid(b, name);
    }
  }
  return true;
}

function decode(b: Uint8Array): Message | null {
  const top = readTlv(b, 0, b.length);
  if (!isTag(top, UNIVERSAL, T.sequence, true)) return null;
  const kids = children(b, top, 5);
  if (kids.length < 3 || !isTag(kids[0], UNIVERSAL, T.integer, false)) return null;
  const v = readInt(b, kids[0]);
  const m: Message = { version: 'v1', community: null, id: null, userName: null, reportable: false, pdu: null, errorStatus: null, errorIndex: null, firstOid: null };
  if (v === 0 || v === 1) {
    m.version = v === 0 ? 'v1' : 'v2c';
    const c = kids[1];
    if (!isTag(c, UNIVERSAL, T.octetString, false)) return null;
    m.community = { first: escapeAscii(b, c.valueStart, Math.min(c.valueStart + 1, c.end)), length: c.end - c.valueStart };
    return readPdu(b, kids[2], m) ? m : null;
  }
  if (v !== 3 || kids.length < 4) return null;
  m.version = 'v3';
  // HeaderData ::= SEQUENCE { msgID, msgMaxSize, msgFlags OCTET STRING (SIZE(1)), msgSecurityModel }
  const header = children(b, kids[1], 4);
  if (!isTag(kids[1], UNIVERSAL, T.sequence, true) || header.length < 4 || !isTag(header[0], UNIVERSAL, T.integer, false) || !isTag(header[2], UNIVERSAL, T.octetString, false)) return null;
  m.id = readInt(b, header[0]);
  if (m.id === null || header[2].end - header[2].valueStart < 1) return null;
  m.reportable = (b[header[2].valueStart] & FLAG_REPORTABLE) !== 0;
  // msgSecurityParameters: an OCTET STRING holding UsmSecurityParameters (RFC 3414 §2.4)
  const sp = kids[2];
  if (!isTag(sp, UNIVERSAL, T.octetString, false)) return null;
  const usm = readTlv(b, sp.valueStart, sp.end);
  if (isTag(usm, UNIVERSAL, T.sequence, true)) {
    const u = children(b, usm, 6);
    if (u.length >= 4 && isTag(u[3], UNIVERSAL, T.octetString, false)) {
      const name = readText(b, u[3], 64);
      m.userName = name === '' ? null : name;
    }
  }
  const data = kids[3];
  if (isTag(data, UNIVERSAL, T.octetString, false)) return m; // encryptedPDU: pdu stays null
  // ScopedPDU ::= SEQUENCE { contextEngineID, contextName, data }
  if (!isTag(data, UNIVERSAL, T.sequence, true)) return null;
  const scoped = children(b, data, 3);
  if (scoped.length < 3) return null;
  return readPdu(b, scoped[2], m) ? m : null;
}

/**
 * Content detection: a SEQUENCE holding version 0, 1 or 3; then a community OCTET STRING and
 * a PDU tag (v1, v2c) or the v3 HeaderData SEQUENCE with its msgID.
 */
export function looksLikeSnmp(first: Uint8Array): boolean {
  if (first.length < 2 || first[0] !== 0x30) return false; // a SEQUENCE, or not at all
  const top = readHeader(first, 0, first.length);
  if (typeof top === 'string' || !isTag(top, UNIVERSAL, T.sequence, true) || top.end - top.valueStart < 8 || top.end - top.valueStart > 0x10000) return false;
  const v = readTlv(first, top.valueStart, Math.min(top.end, first.length));
  if (!isTag(v, UNIVERSAL, T.integer, false) || v.end - v.valueStart !== 1) return false;
  const version = first[v.valueStart];
  const next = readHeader(first, v.end, first.length);
  if (typeof next === 'string' || next.end > top.end) return false;
  if (version === 0 || version === 1) {
    if (!isTag(next, UNIVERSAL, T.octetString, false)) return false;
    const pdu = readHeader(first, next.end, first.length);
    return typeof pdu !== 'string' && pdu.cls === CONTEXT && pdu.constructed && pdu.tag <= 8 && pdu.end <= top.end;
  }
  if (version !== 3 || !isTag(next, UNIVERSAL, T.sequence, true)) return false;
  return isTag(inner(first, next), UNIVERSAL, T.integer, false);
}

/** SNMP datagrams of one flow, in capture order. Null when none is an SNMP message. */
export function inspectSnmp(msgs: readonly AppMessage[]): SnmpFacts | null {
  const decoded: { m: Message; from: AppMessage['from'] }[] = [];
  let malformed = false;
  for (const d of msgs) {
    if (decoded.length >= MAX_MESSAGES) break;
    const m = decode(d.bytes);
    if (m === null) malformed = true;
    else decoded.push({ m, from: d.from });
  }
  if (decoded.length === 0) return null;

  const f: SnmpFacts = {
    version: decoded[0].m.version,
    requests: 0,
    responses: 0,
    traps: 0,
    errorStatus: null,
    errorIndex: null,
    errorStatusName: null,
    report: null,
    reports: [],
    reportFailure: null,
    unanswered: 0,
    community: null,
    userName: null,
    pduTypes: [],
    encrypted: 0,
    malformed,
  };
  const asked = new Set<number>();
  const answered = new Set<number>();
  /** Reports in order, with whether a Response came after each. */
  const reports: { name: string; answeredAfter: boolean }[] = [];
  for (const { m, from } of decoded) {
    f.community ??= m.community;
    f.userName ??= m.userName;
    let kind: 'request' | 'response' | 'trap' | 'report';
    if (m.pdu === null) {
      // encrypted: the reportable flag tells a confirmed-class request from the rest
      f.encrypted++;
      kind = m.reportable ? 'request' : from === 'server' ? 'response' : 'trap';
    } else if (REQUESTS.has(m.pdu)) kind = 'request';
    else if (m.pdu === PDU.response) kind = 'response';
    else if (m.pdu === PDU.report) kind = 'report';
    else kind = 'trap';
    if (f.pduTypes.length < MAX_LISTED) f.pduTypes.push(m.pdu === null ? 'encrypted' : PDU_NAMES[m.pdu]);
    if (kind === 'request') {
      f.requests++;
      if (m.id !== null && asked.size < MAX_IDS) asked.add(m.id);
    } else if (kind === 'response' || kind === 'report') {
      if (m.id !== null && answered.size < MAX_IDS) answered.add(m.id);
    }
    if (kind === 'response') {
      f.responses++;
      for (const r of reports) r.answeredAfter = true;
      if (m.pdu !== null && m.errorStatus !== null) {
        if (f.errorStatus === null || (f.errorStatus === 0 && m.errorStatus !== 0)) {
          f.errorStatus = m.errorStatus;
          f.errorIndex = m.errorIndex;
        }
      }
    } else if (kind === 'trap') {
      f.traps++;
    } else if (kind === 'report') {
      const name = m.firstOid === null ? 'unknown' : Object.hasOwn(SNMP_REPORT_NAMES, m.firstOid) ? SNMP_REPORT_NAMES[m.firstOid] : m.firstOid;
      if (reports.length < MAX_LISTED) reports.push({ name, answeredAfter: false });
    }
  }
  for (const id of asked) if (!answered.has(id)) f.unanswered++;
  f.errorStatusName = f.errorStatus === null ? null : snmpErrorStatusName(f.errorStatus);
  f.reports = reports.map((r) => r.name);
  const failing = reports.find((r) => r.name !== UNKNOWN_ENGINE_IDS && !(r.name === NOT_IN_TIME_WINDOWS && r.answeredAfter));
  f.reportFailure = failing?.name ?? null;
  f.report = f.reportFailure ?? (reports.length > 0 ? reports[reports.length - 1].name : null);
  return f;
}
