// Kerberos V5 KDC exchanges (RFC 4120): AS-REQ/AS-REP, TGS-REQ/TGS-REP and KRB-ERROR, over
// UDP (one message per datagram) and TCP (each message after a 4-octet big-endian length,
// §7.2.2). Only names, realms, times and error codes are read; encrypted parts, tickets and
// pre-authentication data are skipped, never kept.
import type { AppMessage } from './datagram.js';
import { APPLICATION, children, CONTEXT, field, inner, isTag, readGeneralizedTime, readHeader, readTaggedInt, readText, readTlv, T, UNIVERSAL, type Tlv } from './ber.js';
import { recordAt, type FlowPayload, type StreamPrefix } from './stream.js';

/** RFC 4120 §7.5.9 error codes (and RFC 6113's FAST codes 90-94). */
export const KRB_ERROR_NAMES: Readonly<Record<number, string>> = {
  0: 'KDC_ERR_NONE',
  1: 'KDC_ERR_NAME_EXP',
  2: 'KDC_ERR_SERVICE_EXP',
  3: 'KDC_ERR_BAD_PVNO',
  4: 'KDC_ERR_C_OLD_MAST_KVNO',
  5: 'KDC_ERR_S_OLD_MAST_KVNO',
  6: 'KDC_ERR_C_PRINCIPAL_UNKNOWN',
  7: 'KDC_ERR_S_PRINCIPAL_UNKNOWN',
  8: 'KDC_ERR_PRINCIPAL_NOT_UNIQUE',
  9: 'KDC_ERR_NULL_KEY',
  10: 'KDC_ERR_CANNOT_POSTDATE',
  11: 'KDC_ERR_NEVER_VALID',
  12: 'KDC_ERR_POLICY',
  13: 'KDC_ERR_BADOPTION',
  14: 'KDC_ERR_ETYPE_NOSUPP',
  15: 'KDC_ERR_SUMTYPE_NOSUPP',
  16: 'KDC_ERR_PADATA_TYPE_NOSUPP',
  17: 'KDC_ERR_TRTYPE_NOSUPP',
  18: 'KDC_ERR_CLIENT_REVOKED',
  19: 'KDC_ERR_SERVICE_REVOKED',
  20: 'KDC_ERR_TGT_REVOKED',
  21: 'KDC_ERR_CLIENT_NOTYET',
  22: 'KDC_ERR_SERVICE_NOTYET',
  23: 'KDC_ERR_KEY_EXPIRED',
  24: 'KDC_ERR_PREAUTH_FAILED',
  25: 'KDC_ERR_PREAUTH_REQUIRED',
  26: 'KDC_ERR_SERVER_NOMATCH',
  27: 'KDC_ERR_MUST_USE_USER2USER',
  28: 'KDC_ERR_PATH_NOT_ACCEPTED',
  29: 'KDC_ERR_SVC_UNAVAILABLE',
  31: 'KRB_AP_ERR_BAD_INTEGRITY',
  32: 'KRB_AP_ERR_TKT_EXPIRED',
  33: 'KRB_AP_ERR_TKT_NYV',
  34: 'KRB_AP_ERR_REPEAT',
  35: 'KRB_AP_ERR_NOT_US',
  36: 'KRB_AP_ERR_BADMATCH',
  37: 'KRB_AP_ERR_SKEW',
  38: 'KRB_AP_ERR_BADADDR',
  39: 'KRB_AP_ERR_BADVERSION',
  40: 'KRB_AP_ERR_MSG_TYPE',
  41: 'KRB_AP_ERR_MODIFIED',
  42: 'KRB_AP_ERR_BADORDER',
  44: 'KRB_AP_ERR_BADKEYVER',
  45: 'KRB_AP_ERR_NOKEY',
  46: 'KRB_AP_ERR_MUT_FAIL',
  47: 'KRB_AP_ERR_BADDIRECTION',
  48: 'KRB_AP_ERR_METHOD',
  49: 'KRB_AP_ERR_BADSEQ',
  50: 'KRB_AP_ERR_INAPP_CKSUM',
  51: 'KRB_AP_PATH_NOT_ACCEPTED',
  52: 'KRB_ERR_RESPONSE_TOO_BIG',
  60: 'KRB_ERR_GENERIC',
  61: 'KRB_ERR_FIELD_TOOLONG',
  62: 'KDC_ERROR_CLIENT_NOT_TRUSTED',
  63: 'KDC_ERROR_KDC_NOT_TRUSTED',
  64: 'KDC_ERROR_INVALID_SIG',
  65: 'KDC_ERR_KEY_TOO_WEAK',
  66: 'KDC_ERR_CERTIFICATE_MISMATCH',
  67: 'KRB_AP_ERR_NO_TGT',
  68: 'KDC_ERR_WRONG_REALM',
  69: 'KRB_AP_ERR_USER_TO_USER_REQUIRED',
  70: 'KDC_ERR_CANT_VERIFY_CERTIFICATE',
  71: 'KDC_ERR_INVALID_CERTIFICATE',
  72: 'KDC_ERR_REVOKED_CERTIFICATE',
  73: 'KDC_ERR_REVOCATION_STATUS_UNKNOWN',
  74: 'KDC_ERR_REVOCATION_STATUS_UNAVAILABLE',
  75: 'KDC_ERR_CLIENT_NAME_MISMATCH',
  76: 'KDC_ERR_KDC_NAME_MISMATCH',
  90: 'KDC_ERR_PREAUTH_EXPIRED',
  91: 'KDC_ERR_MORE_PREAUTH_DATA_REQUIRED',
  92: 'KDC_ERR_PREAUTH_BAD_AUTHENTICATION_SET',
  93: 'KDC_ERR_UNKNOWN_CRITICAL_FAST_OPTIONS',
};

/** The RFC 4120 name of an error code, or null. */
export function krbErrorName(code: number): string | null {
  return Object.hasOwn(KRB_ERROR_NAMES, code) ? KRB_ERROR_NAMES[code] : null;
}

/**
 * Errors that are normal steps of an exchange, not failures: PREAUTH_REQUIRED (the client
 * retries with pre-authentication), RESPONSE_TOO_BIG (it retries over TCP), WRONG_REALM (a
 * referral it follows).
 */
export function normalStep(code: number): boolean {
  return code === 25 || code === 52 || code === 68;
}

export type KrbMessageType = 'AS-REQ' | 'AS-REP' | 'TGS-REQ' | 'TGS-REP' | 'KRB-ERROR';

/** The KDC message types by application tag. */
const TYPES: Readonly<Record<number, KrbMessageType>> = { 10: 'AS-REQ', 11: 'AS-REP', 12: 'TGS-REQ', 13: 'TGS-REP', 30: 'KRB-ERROR' };

const MAX_NAME = 256;
const MAX_COMPONENTS = 8;
/** Messages read per flow, and listed in the facts. */
const MAX_MESSAGES = 256;
const MAX_LISTED = 32;
/** TCP records longer than this are not taken for Kerberos (MIT's default limit is 1 MiB). */
const MAX_RECORD = 1 << 20;

export interface KerberosFacts {
  /**
   * The last KRB-ERROR that is not a normal step, else the last KRB-ERROR; null without one.
   * A 25 followed by an AS-REP stays here (25): `failure` says how it ended.
   */
  errorCode: number | null;
  errorName: string | null;
  /** The client's realm: the first request's, else a reply's crealm, else the error's. */
  realm: string | null;
  /** Client principal, components joined by '/' ('alice', 'host/fw1.lab'). */
  client: string | null;
  /** The deciding message: the failing KRB-ERROR, else the last reply, else the last message. */
  messageType: KrbMessageType;
  /**
   * A KRB-ERROR that is not a normal step and that no AS-REP/TGS-REP follows. A flow that ends
   * on a normal step (MIT kinit sends its pre-authenticated retry from a new port) is not
   * a failure by itself.
   */
  failure: boolean;
  /** Messages in order (first 32). */
  messages: { type: KrbMessageType; errorCode: number | null }[];
  requests: number;
  replies: number;
  errors: number;
  /** Service principal of the first request (else of the error), e.g. 'krbtgt/LAB.TEST'. */
  sname: string | null;
  /** The deciding KRB-ERROR's e-text, if any. */
  eText: string | null;
  /** The deciding KRB-ERROR's stime and ctime (ISO 8601), and |stime − ctime| in seconds. */
  serverTime: string | null;
  clientTime: string | null;
  skewSeconds: number | null;
  /** TCP records cut by the end of the captured prefix (ignored). */
  truncated: number;
  /** Bytes that are not a KDC message where one should be. */
  malformed: boolean;
}

/** One decoded message: names, times and codes only. */
interface Message {
  type: KrbMessageType;
  realm: string | null;
  client: string | null;
  sname: string | null;
  errorCode: number | null;
  eText: string | null;
  stimeMs: number | null;
  ctimeMs: number | null;
}

/** A PrincipalName ::= SEQUENCE { name-type [0], name-string [1] SEQUENCE OF KerberosString }. */
function principal(b: Uint8Array, t: Tlv | null): string | null {
  const seq = inner(b, t);
  if (!isTag(seq, UNIVERSAL, T.sequence, true)) return null;
  const names = inner(b, field(children(b, seq, 4), 1));
  if (!isTag(names, UNIVERSAL, T.sequence, true)) return null;
  const parts: string[] = [];
  for (const n of children(b, names, MAX_COMPONENTS)) {
    const s = isTag(n, UNIVERSAL, T.generalString, false) || isTag(n, UNIVERSAL, T.utf8String, false) ? readText(b, n, MAX_NAME) : null;
    if (s === null) return null;
    parts.push(s);
  }
  return parts.length === 0 ? null : parts.join('/');
}

function realm(b: Uint8Array, t: Tlv | null): string | null {
  const s = inner(b, t);
  return isTag(s, UNIVERSAL, T.generalString, false) || isTag(s, UNIVERSAL, T.utf8String, false) ? readText(b, s, MAX_NAME) : null;
}

/** Microseconds ([n] INTEGER 0..999999) as ms, 0 when absent or out of range. */
function micros(b: Uint8Array, t: Tlv | null): number {
  const us = readTaggedInt(b, t);
  return us === null || us < 0 || us > 999_999 ? 0 : us / 1000;
}

/** The KDC message in exactly [at, end), or null. */
function decode(b: Uint8Array, at: number, end: number): Message | null {
  const a = readTlv(b, at, end);
  if (a === null || a.end !== end || a.cls !== APPLICATION || !a.constructed) return null;
  const type = TYPES[a.tag];
  if (type === undefined) return null;
  const seq = inner(b, a);
  if (!isTag(seq, UNIVERSAL, T.sequence, true)) return null;
  const kids = children(b, seq, 16);
  const m: Message = { type, realm: null, client: null, sname: null, errorCode: null, eText: null, stimeMs: null, ctimeMs: null };
  if (type === 'AS-REQ' || type === 'TGS-REQ') {
    // KDC-REQ: pvno [1], msg-type [2], padata [3] (skipped), req-body [4]
    if (readTaggedInt(b, field(kids, 1)) !== 5) return null;
    const body = inner(b, field(kids, 4));
    if (!isTag(body, UNIVERSAL, T.sequence, true)) return null;
    const bk = children(b, body, 16);
    m.client = principal(b, field(bk, 1));
    m.realm = realm(b, field(bk, 2));
    m.sname = principal(b, field(bk, 3));
  } else if (type === 'AS-REP' || type === 'TGS-REP') {
    // KDC-REP: pvno [0], msg-type [1], padata [2], crealm [3], cname [4], ticket [5], enc-part [6]
    if (readTaggedInt(b, field(kids, 0)) !== 5) return null;
    m.realm = realm(b, field(kids, 3));
    m.client = principal(b, field(kids, 4));
  } else {
    // KRB-ERROR: pvno [0], msg-type [1], ctime [2], cusec [3], stime [4], susec [5],
    // error-code [6], crealm [7], cname [8], realm [9], sname [10], e-text [11], e-data [12]
    if (readTaggedInt(b, field(kids, 0)) !== 5) return null;
    const code = readTaggedInt(b, field(kids, 6));
    if (code === null) return null;
    m.errorCode = code;
    const ctime = readGeneralizedTime(b, inner(b, field(kids, 2)));
    const stime = readGeneralizedTime(b, inner(b, field(kids, 4)));
    m.ctimeMs = ctime === null ? null : ctime + micros(b, field(kids, 3));
    m.stimeMs = stime === null ? null : stime + micros(b, field(kids, 5));
    m.realm = realm(b, field(kids, 7)) ?? realm(b, field(kids, 9));
    m.client = principal(b, field(kids, 8));
    m.sname = principal(b, field(kids, 10));
    const e = inner(b, field(kids, 11));
    m.eText = isTag(e, UNIVERSAL, T.generalString, false) || isTag(e, UNIVERSAL, T.utf8String, false) ? readText(b, e, MAX_NAME) : null;
  }
  return m;
}

/** True when `b` from `at` starts like a KDC message: its application tag, a SEQUENCE, pvno 5. */
function startsLikeKdcMessage(b: Uint8Array, at: number): boolean {
  // [APPLICATION 10-13 or 30], constructed: one byte test turns most other bytes away
  const t = b[at];
  if (t !== 0x6a && t !== 0x6b && t !== 0x6c && t !== 0x6d && t !== 0x7e) return false;
  const a = readHeader(b, at, b.length);
  if (typeof a === 'string' || a.cls !== APPLICATION || !a.constructed || TYPES[a.tag] === undefined) return false;
  const s = readHeader(b, a.valueStart, b.length);
  if (typeof s === 'string' || !isTag(s, UNIVERSAL, T.sequence, true) || s.end > a.end) return false;
  // the first field: pvno, [1] in a KDC-REQ, [0] in a KDC-REP and a KRB-ERROR
  const f = readHeader(b, s.valueStart, b.length);
  const pvnoTag = a.tag === 10 || a.tag === 12 ? 1 : 0;
  if (typeof f === 'string' || f.cls !== CONTEXT || f.tag !== pvnoTag || !f.constructed) return false;
  const i = readHeader(b, f.valueStart, b.length);
  if (typeof i === 'string' || !isTag(i, UNIVERSAL, T.integer, false) || i.end - i.valueStart !== 1) return false;
  return i.valueStart < b.length && b[i.valueStart] === 5;
}

/**
 * Content detection: a KDC message (AS-REQ, AS-REP, TGS-REQ, TGS-REP, KRB-ERROR with pvno 5);
 * over TCP behind a 4-octet record length (high bit clear, at most 1 MiB).
 */
export function looksLikeKerberos(first: Uint8Array, overTcp: boolean): boolean {
  if (!overTcp) return startsLikeKdcMessage(first, 0);
  if (first.length < 4) return false;
  const len = ((first[0] << 24) >>> 0) + (first[1] << 16) + (first[2] << 8) + first[3];
  if (len < 8 || len > MAX_RECORD) return false;
  const a = readHeader(first, 4, first.length);
  // the record holds exactly one message
  return typeof a !== 'string' && a.end === 4 + len && startsLikeKdcMessage(first, 4);
}

/** Kerberos over UDP: one message per datagram. Null when none parses. */
export function inspectKerberosMessages(msgs: readonly AppMessage[]): KerberosFacts | null {
  const out: Message[] = [];
  let malformed = false;
  for (const d of msgs) {
    if (out.length >= MAX_MESSAGES) break;
    const m = decode(d.bytes, 0, d.bytes.length);
    if (m === null) malformed = true;
    else out.push(m);
  }
  return out.length === 0 ? null : facts(out, 0, malformed);
}

interface Records {
  msgs: { m: Message; record: number }[];
  truncated: number;
  malformed: boolean;
}

/** A direction split into length-prefixed records; a cut record ends it (counted). */
function records(p: StreamPrefix): Records {
  const b = p.bytes;
  const out: Records = { msgs: [], truncated: 0, malformed: false };
  let at = 0;
  let seen = 0;
  while (at < b.length && seen < MAX_MESSAGES) {
    if (at + 4 > b.length) {
      out.truncated++;
      break;
    }
    const len = ((b[at] << 24) >>> 0) + (b[at + 1] << 16) + (b[at + 2] << 8) + b[at + 3];
    if (len > MAX_RECORD) {
      // the high bit announces an extension (§7.2.2); a huge length is not Kerberos
      out.malformed = true;
      break;
    }
    if (at + 4 + len > b.length) {
      out.truncated++;
      break;
    }
    seen++;
    const m = decode(b, at + 4, at + 4 + len);
    if (m === null) out.malformed = true;
    else out.msgs.push({ m, record: recordAt(p, at) ?? Infinity });
    at += 4 + len;
  }
  return out;
}

/**
 * Kerberos over TCP: each direction's records, ordered across the directions by the
 * capture's record numbers. Null when none parses.
 */
export function inspectKerberosStream(payload: FlowPayload): KerberosFacts | null {
  const c = records(payload.client);
  const s = records(payload.server);
  if (c.msgs.length === 0 && s.msgs.length === 0) return null;
  // merge (stable: a direction's own order is kept whatever the marks say)
  const merged: Message[] = [];
  let i = 0;
  let j = 0;
  while (i < c.msgs.length || j < s.msgs.length) {
    if (j >= s.msgs.length || (i < c.msgs.length && !(s.msgs[j].record < c.msgs[i].record))) merged.push(c.msgs[i++].m);
    else merged.push(s.msgs[j++].m);
  }
  return facts(merged, c.truncated + s.truncated, c.malformed || s.malformed);
}

/** ISO 8601, or null (GeneralizedTime years stay within Date's range; checked anyway). */
const iso = (ms: number | null): string | null => (ms === null || !(Math.abs(ms) <= 8.64e15) ? null : new Date(ms).toISOString());

function facts(msgs: readonly Message[], truncated: number, malformed: boolean): KerberosFacts {
  let requests = 0;
  let replies = 0;
  let errors = 0;
  let firstRequest: Message | null = null;
  let lastReply: Message | null = null;
  let lastReplyAt = -1;
  let lastError: Message | null = null;
  let lastHardError: Message | null = null;
  let hardErrorAt = -1;
  for (let k = 0; k < msgs.length; k++) {
    const m = msgs[k];
    if (m.type === 'AS-REQ' || m.type === 'TGS-REQ') {
      requests++;
      firstRequest ??= m;
    } else if (m.type === 'AS-REP' || m.type === 'TGS-REP') {
      replies++;
      lastReply = m;
      lastReplyAt = k;
    } else {
      errors++;
      lastError = m;
      if (m.errorCode !== null && !normalStep(m.errorCode)) {
        lastHardError = m;
        hardErrorAt = k;
      }
    }
  }
  const err = lastHardError ?? lastError;
  const failure = lastHardError !== null && lastReplyAt < hardErrorAt;
  const decider = failure ? lastHardError : lastReply ?? msgs[msgs.length - 1];
  const code = err?.errorCode ?? null;
  const skew = err !== null && err.stimeMs !== null && err.ctimeMs !== null ? Math.round(Math.abs(err.stimeMs - err.ctimeMs)) / 1000 : null;
  return {
    errorCode: code,
    errorName: code === null ? null : krbErrorName(code),
    realm: firstRequest?.realm ?? lastReply?.realm ?? err?.realm ?? null,
    client: firstRequest?.client ?? lastReply?.client ?? err?.client ?? null,
    messageType: decider?.type ?? 'KRB-ERROR',
    failure,
    messages: msgs.slice(0, MAX_LISTED).map((m) => ({ type: m.type, errorCode: m.errorCode })),
    requests,
    replies,
    errors,
    sname: firstRequest?.sname ?? err?.sname ?? null,
    eText: err?.eText ?? null,
    serverTime: iso(err?.stimeMs ?? null),
    clientTime: iso(err?.ctimeMs ?? null),
    skewSeconds: skew,
    truncated,
    malformed,
  };
}
