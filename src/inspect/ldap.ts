// LDAP (RFC 4511) over TCP and CLDAP over UDP: just enough of each LDAPMessage to say how
// binds and operations went. LDAPMessage ::= SEQUENCE { messageID INTEGER, protocolOp
// [APPLICATION n], controls [0] OPTIONAL }; results carry resultCode, matchedDN and
// diagnosticMessage. Simple-bind passwords and SASL credentials are never kept: only
// whether the password was empty.
import type { AppMessage } from './datagram.js';
import { APPLICATION, children, isTag, readHeader, readInt, readText, readTlv, T, UNIVERSAL, type Tlv } from './ber.js';
import type { FlowPayload, StreamPrefix } from './stream.js';

/** RFC 4511 §4.1.9 result codes. */
export const LDAP_RESULT_NAMES: Readonly<Record<number, string>> = {
  0: 'success',
  1: 'operationsError',
  2: 'protocolError',
  3: 'timeLimitExceeded',
  4: 'sizeLimitExceeded',
  5: 'compareFalse',
  6: 'compareTrue',
  7: 'authMethodNotSupported',
  8: 'strongerAuthRequired',
  10: 'referral',
  11: 'adminLimitExceeded',
  12: 'unavailableCriticalExtension',
  13: 'confidentialityRequired',
  14: 'saslBindInProgress',
  16: 'noSuchAttribute',
  17: 'undefinedAttributeType',
  18: 'inappropriateMatching',
  19: 'constraintViolation',
  20: 'attributeOrValueExists',
  21: 'invalidAttributeSyntax',
  32: 'noSuchObject',
  33: 'aliasProblem',
  34: 'invalidDNSyntax',
  36: 'aliasDereferencingProblem',
  48: 'inappropriateAuthentication',
  49: 'invalidCredentials',
  50: 'insufficientAccessRights',
  51: 'busy',
  52: 'unavailable',
  53: 'unwillingToPerform',
  54: 'loopDetect',
  64: 'namingViolation',
  65: 'objectClassViolation',
  66: 'notAllowedOnNonLeaf',
  67: 'notAllowedOnRDN',
  68: 'entryAlreadyExists',
  69: 'objectClassModsProhibited',
  71: 'affectsMultipleDSAs',
  80: 'other',
};

/** The RFC 4511 name of a result code, or null for a code it does not define. */
export function ldapResultName(code: number): string | null {
  return Object.hasOwn(LDAP_RESULT_NAMES, code) ? LDAP_RESULT_NAMES[code] : null;
}

/**
 * Active Directory's sub-codes, the `data NNN` of an AcceptSecurityContext diagnostic
 * (Win32 error numbers in hex).
 */
export const AD_DATA_CODES: Readonly<Record<string, string>> = {
  '52e': 'invalid credentials: wrong password or unknown user',
  '525': 'user not found',
  '530': 'not permitted to log on at this time',
  '531': 'not permitted to log on at this workstation',
  '532': 'password expired',
  '533': 'account disabled',
  '701': 'account expired',
  '773': 'user must reset password',
  '775': 'account locked out',
};

/** The protocolOp application tags (RFC 4511 §4.2-4.14) and whether each is constructed. */
const OPS: Readonly<Record<number, { name: string; constructed: boolean; request: boolean; result: boolean }>> = {
  0: { name: 'bindRequest', constructed: true, request: true, result: false },
  1: { name: 'bindResponse', constructed: true, request: false, result: true },
  2: { name: 'unbindRequest', constructed: false, request: true, result: false },
  3: { name: 'searchRequest', constructed: true, request: true, result: false },
  4: { name: 'searchResEntry', constructed: true, request: false, result: false },
  5: { name: 'searchResDone', constructed: true, request: false, result: true },
  6: { name: 'modifyRequest', constructed: true, request: true, result: false },
  7: { name: 'modifyResponse', constructed: true, request: false, result: true },
  8: { name: 'addRequest', constructed: true, request: true, result: false },
  9: { name: 'addResponse', constructed: true, request: false, result: true },
  10: { name: 'delRequest', constructed: false, request: true, result: false },
  11: { name: 'delResponse', constructed: true, request: false, result: true },
  12: { name: 'modDNRequest', constructed: true, request: true, result: false },
  13: { name: 'modDNResponse', constructed: true, request: false, result: true },
  14: { name: 'compareRequest', constructed: true, request: true, result: false },
  15: { name: 'compareResponse', constructed: true, request: false, result: true },
  16: { name: 'abandonRequest', constructed: false, request: true, result: false },
  19: { name: 'searchResRef', constructed: true, request: false, result: false },
  23: { name: 'extendedReq', constructed: true, request: true, result: false },
  24: { name: 'extendedResp', constructed: true, request: false, result: true },
  25: { name: 'intermediateResponse', constructed: true, request: false, result: false },
};

const OP = { bindRequest: 0, bindResponse: 1, extendedReq: 23, extendedResp: 24 } as const;
export const STARTTLS_OID = '1.3.6.1.4.1.1466.20037';

/** RFC 4511 §4.1.1: messageID ::= INTEGER (0 .. maxInt), maxInt 2^31 − 1. */
const MAX_INT = 2 ** 31 - 1;
/** Result codes that are not failures: success, compareFalse/True (an answer), saslBindInProgress. */
const NOT_FAILURE = new Set([0, 5, 6]);
/** Non-bind results that Active Directory returns routinely: sizeLimitExceeded, referral. */
const ROUTINE = new Set([4, 10]);
/** Text caps (octets). */
const MAX_DN = 512;
const MAX_DIAGNOSTIC = 512;
/** Messages read per direction (a 16 KiB prefix holds fewer than 2,400 even of the smallest). */
const MAX_MESSAGES = 4096;
/** Bind requests remembered for matching (by messageID). */
const MAX_BINDS = 64;

export interface LdapBind {
  kind: 'simple' | 'sasl';
  /** SASL mechanism (GSSAPI, GSS-SPNEGO, EXTERNAL...), null for a simple bind. */
  mechanism: string | null;
  /** The bind name (LDAPDN; Active Directory also takes `DOMAIN\user` or a UPN); '' anonymous. */
  dn: string;
  /** A simple bind with a zero-length password (never the password itself). */
  emptyPassword: boolean;
  /** The bindResponse's resultCode, null when no response was seen. */
  resultCode: number | null;
}

export interface LdapError {
  /** The response's operation name (searchResDone, modifyResponse, extendedResp...). */
  op: string;
  code: number;
  name: string | null;
  diagnostic: string | null;
}

export interface LdapFacts {
  /**
   * The deciding result: the first failed bind (not success, not saslBindInProgress), else
   * the first non-routine failure of another operation, else the last result seen (a
   * routine sizeLimitExceeded or referral included); null when no result was seen.
   */
  resultCode: number | null;
  resultName: string | null;
  /** That result's diagnosticMessage (null when empty), escaped, capped at 512 octets. */
  diagnostic: string | null;
  /** The DN of `bind`, null when no bind request was seen. */
  bindDN: string | null;
  /** Client requests seen (every operation, unbind and abandon included). */
  operations: number;
  /** Server messages seen (results, entries, references, intermediate responses). */
  responses: number;
  /**
   * The bind the verdict rests on: the first failed bind, else the first unauthenticated
   * one, else the last bind request; null without a bind request.
   */
  bind: LdapBind | null;
  /** A bind got a result other than success or saslBindInProgress. */
  bindFailed: boolean;
  /** A simple bind with a non-empty DN and an empty password got success (RFC 4513 §5.1.2). */
  unauthenticatedBind: boolean;
  /** The first non-routine failure of an operation other than bind. */
  error: LdapError | null;
  /** StartTLS (RFC 4511 §4.14): requested, and the response's resultCode (null: not seen). */
  startTls: { requested: boolean; resultCode: number | null };
  /** Active Directory's sub-code (`data 52e` → '52e', lowercase) in the deciding diagnostic. */
  adCode: string | null;
  /** What adCode means, in words; null for a sub-code not in AD_DATA_CODES. */
  adMeaning: string | null;
  /** Messages cut by the end of the captured prefix (ignored). */
  truncated: number;
  /** Bytes that are not LDAP where a message should start (not counting TLS after StartTLS). */
  malformed: boolean;
}

/** One decoded LDAPMessage: the parts the facts need, nothing secret. */
interface Message {
  id: number;
  op: number;
  bind?: LdapBind;
  /** LDAPResult fields of a response. */
  code?: number;
  diagnostic?: string | null;
  /** extendedReq requestName / extendedResp responseName. */
  extName?: string | null;
}

type Read = { status: 'ok'; msg: Message; end: number } | { status: 'short' } | { status: 'bad' };

/** The LDAPMessage at `at` (limit: the end of the bytes available). */
function readMessage(b: Uint8Array, at: number, limit: number): Read {
  const h = readHeader(b, at, limit);
  if (h === 'short') return { status: 'short' };
  if (h === 'bad' || !isTag(h, UNIVERSAL, T.sequence, true)) return { status: 'bad' };
  if (h.end > limit) {
    // cut by the end of the prefix, if what is there looks like the start of a message
    return looksLikeLdap(b.subarray(at, limit)) ? { status: 'short' } : { status: 'bad' };
  }
  const msg = decodeMessage(b, h);
  return msg === null ? { status: 'bad' } : { status: 'ok', msg, end: h.end };
}

function decodeMessage(b: Uint8Array, seq: Tlv): Message | null {
  const idTlv = readTlv(b, seq.valueStart, seq.end);
  if (!isTag(idTlv, UNIVERSAL, T.integer, false)) return null;
  const id = readInt(b, idTlv);
  if (id === null || id < 0 || id > MAX_INT) return null;
  const opTlv = readTlv(b, idTlv.end, seq.end);
  if (opTlv === null || opTlv.cls !== APPLICATION) return null;
  const def = OPS[opTlv.tag];
  if (def === undefined || def.constructed !== opTlv.constructed) return null;
  const msg: Message = { id, op: opTlv.tag };
  if (opTlv.tag === OP.bindRequest) {
    const bind = decodeBind(b, opTlv);
    if (bind === null) return null;
    msg.bind = bind;
  } else if (opTlv.tag === OP.extendedReq) {
    const name = readTlv(b, opTlv.valueStart, opTlv.end);
    msg.extName = name !== null && name.cls === 2 && name.tag === 0 ? readText(b, name, 128) : null;
  }
  if (def.result) {
    const kids = children(b, opTlv, 8);
    if (kids.length < 3 || !isTag(kids[0], UNIVERSAL, T.enumerated, false)) return null;
    const code = readInt(b, kids[0]);
    if (code === null) return null;
    msg.code = code;
    const diag = isTag(kids[2], UNIVERSAL, T.octetString, false) ? readText(b, kids[2], MAX_DIAGNOSTIC) : null;
    msg.diagnostic = diag === '' ? null : diag;
    if (opTlv.tag === OP.extendedResp) {
      const name = kids.find((k) => k.cls === 2 && k.tag === 10 && !k.constructed);
      msg.extName = name === undefined ? null : readText(b, name, 128);
    }
  }
  return msg;
}

/** BindRequest ::= [APPLICATION 0] SEQUENCE { version, name LDAPDN, authentication }. */
function decodeBind(b: Uint8Array, op: Tlv): LdapBind | null {
  const kids = children(b, op, 3);
  if (kids.length < 3 || !isTag(kids[0], UNIVERSAL, T.integer, false) || !isTag(kids[1], UNIVERSAL, T.octetString, false)) return null;
  const dn = readText(b, kids[1], MAX_DN) ?? '';
  const auth = kids[2];
  if (auth.cls === 2 && auth.tag === 0 && !auth.constructed) {
    // simple [0] OCTET STRING: the password. Only its emptiness is kept.
    return { kind: 'simple', mechanism: null, dn, emptyPassword: auth.end === auth.valueStart, resultCode: null };
  }
  if (auth.cls === 2 && auth.tag === 3 && auth.constructed) {
    // sasl [3] SaslCredentials { mechanism LDAPString, credentials OCTET STRING OPTIONAL }
    const mech = readTlv(b, auth.valueStart, auth.end);
    const mechanism = isTag(mech, UNIVERSAL, T.octetString, false) ? readText(b, mech, 64) : null;
    return { kind: 'sasl', mechanism, dn, emptyPassword: false, resultCode: null };
  }
  return null;
}

/**
 * Content detection: a SEQUENCE with a sane length, an INTEGER messageID in range, and an
 * RFC 4511 protocolOp tag of the right form. The message may continue past `first`.
 */
export function looksLikeLdap(first: Uint8Array): boolean {
  if (first.length < 2 || first[0] !== 0x30) return false; // a SEQUENCE, or not at all
  const h = readHeader(first, 0, first.length);
  if (typeof h === 'string' || !isTag(h, UNIVERSAL, T.sequence, true) || h.end - h.valueStart < 5 || h.end - h.valueStart > 16 * 1024 * 1024) return false;
  const limit = Math.min(h.end, first.length);
  const id = readTlv(first, h.valueStart, limit);
  if (!isTag(id, UNIVERSAL, T.integer, false) || id.end - id.valueStart > 4) return false;
  const v = readInt(first, id);
  if (v === null || v < 0 || v > MAX_INT) return false;
  const op = readHeader(first, id.end, limit);
  if (typeof op === 'string' || op.cls !== APPLICATION || op.end > h.end) return false;
  const def = OPS[op.tag];
  return def !== undefined && def.constructed === op.constructed;
}

interface Side {
  msgs: Message[];
  truncated: number;
  malformed: boolean;
}

/**
 * Splits a direction into LDAPMessages, from `from`, stopping at `stop` (a message matching
 * it is the last one read), at bytes that are not LDAP, or at a message cut by the end.
 */
function splitStream(p: StreamPrefix, from: number, stop: (m: Message) => boolean): Side & { next: number; stopped: boolean } {
  const b = p.bytes;
  const out: Side & { next: number; stopped: boolean } = { msgs: [], truncated: 0, malformed: false, next: from, stopped: false };
  let at = from;
  while (at < b.length && out.msgs.length < MAX_MESSAGES) {
    const r = readMessage(b, at, b.length);
    if (r.status === 'short') {
      out.truncated++;
      break;
    }
    if (r.status === 'bad') {
      out.malformed = true;
      break;
    }
    out.msgs.push(r.msg);
    at = r.end;
    if (stop(r.msg)) {
      out.stopped = true;
      break;
    }
  }
  out.next = at;
  return out;
}

const isStartTlsRequest = (m: Message): boolean => m.op === OP.extendedReq && m.extName === STARTTLS_OID;

/**
 * LDAP over TCP: each direction's prefix split into LDAPMessages. After a successful
 * StartTLS the rest of each direction is TLS and is not read. Null when neither direction
 * holds an LDAPMessage.
 */
export function inspectLdapStream(payload: FlowPayload): LdapFacts | null {
  // the client up to its first StartTLS request; the server up to a successful StartTLS response
  const client = splitStream(payload.client, 0, isStartTlsRequest);
  const startTlsIds = new Set(client.msgs.filter(isStartTlsRequest).map((m) => m.id));
  const server = splitStream(payload.server, 0, (m) => m.op === OP.extendedResp && m.code === 0 && (startTlsIds.has(m.id) || m.extName === STARTTLS_OID));
  if (client.stopped && !server.stopped) {
    // StartTLS refused or its answer not captured: the client may go on in the clear
    const rest = splitStream(payload.client, client.next, () => false);
    client.msgs.push(...rest.msgs.slice(0, MAX_MESSAGES - client.msgs.length));
    client.truncated += rest.truncated;
    // after an unanswered StartTLS, TLS bytes are expected, not a malformed stream
    client.malformed = rest.malformed && server.msgs.some((m) => startTlsIds.has(m.id));
  }
  if (client.msgs.length === 0 && server.msgs.length === 0) return null;
  return facts([...client.msgs, ...server.msgs], client.truncated + server.truncated, client.malformed || server.malformed);
}

/** CLDAP (RFC 4511 over UDP, as Active Directory's LDAP ping): one LDAPMessage per datagram. */
export function inspectLdapMessages(msgs: readonly AppMessage[]): LdapFacts | null {
  const out: Message[] = [];
  let truncated = 0;
  let malformed = false;
  for (const m of msgs) {
    if (out.length >= MAX_MESSAGES) break;
    const r = readMessage(m.bytes, 0, m.bytes.length);
    if (r.status === 'ok') out.push(r.msg);
    else if (r.status === 'short') truncated++;
    else malformed = true;
  }
  return out.length === 0 ? null : facts(out, truncated, malformed);
}

/** Facts from the messages: requests in the client's order, responses in the server's. */
function facts(msgs: readonly Message[], truncated: number, malformed: boolean): LdapFacts {
  let operations = 0;
  let responses = 0;
  const binds = new Map<number, LdapBind>();
  let lastBind: LdapBind | null = null;
  let startTlsRequested = false;
  const startTlsIds = new Set<number>();
  for (const m of msgs) {
    const def = OPS[m.op];
    if (!def.request) continue;
    operations++;
    if (m.bind !== undefined) {
      lastBind = m.bind;
      if (binds.size < MAX_BINDS || binds.has(m.id)) binds.set(m.id, m.bind);
    }
    if (isStartTlsRequest(m)) {
      startTlsRequested = true;
      if (startTlsIds.size < MAX_BINDS) startTlsIds.add(m.id);
    }
  }
  let failedBind: { bind: LdapBind | null; m: Message } | null = null;
  let unauthenticated: LdapBind | null = null;
  let error: Message | null = null;
  let lastResult: Message | null = null;
  let startTlsCode: number | null = null;
  for (const m of msgs) {
    const def = OPS[m.op];
    if (def.request) continue;
    responses++;
    if (m.code === undefined) continue;
    lastResult = m;
    if (m.op === OP.bindResponse) {
      const bind = binds.get(m.id) ?? null;
      // a bind answered twice (hostile or confused) keeps its first result
      if (bind !== null && bind.resultCode === null) bind.resultCode = m.code;
      if (m.code !== 0 && m.code !== 14) {
        if (failedBind === null) failedBind = { bind, m };
      } else if (m.code === 0 && unauthenticated === null && bind !== null && bind.kind === 'simple' && bind.dn !== '' && bind.emptyPassword) {
        unauthenticated = bind;
      }
    } else {
      if (m.op === OP.extendedResp && startTlsCode === null && (startTlsIds.has(m.id) || m.extName === STARTTLS_OID)) startTlsCode = m.code;
      if (error === null && !NOT_FAILURE.has(m.code) && !ROUTINE.has(m.code)) error = m;
    }
  }
  // A routine result (sizeLimitExceeded after a good bind) is still the flow's last word.
  const decisive = failedBind?.m ?? error ?? lastResult;
  const bind = failedBind?.bind ?? unauthenticated ?? lastBind;
  const code = decisive?.code ?? null;
  const diagnostic = decisive?.diagnostic ?? null;
  const ad = diagnostic === null ? null : /\bdata ([0-9a-f]{1,8})\b/i.exec(diagnostic);
  const adCode = ad === null ? null : ad[1].toLowerCase();
  return {
    resultCode: code,
    resultName: code === null ? null : ldapResultName(code),
    diagnostic,
    bindDN: bind?.dn ?? null,
    operations,
    responses,
    bind: bind === null ? null : { ...bind },
    bindFailed: failedBind !== null,
    unauthenticatedBind: unauthenticated !== null,
    error: error === null ? null : { op: OPS[error.op].name, code: error.code as number, name: ldapResultName(error.code as number), diagnostic: error.diagnostic ?? null },
    startTls: { requested: startTlsRequested, resultCode: startTlsCode },
    adCode,
    adMeaning: adCode !== null && Object.hasOwn(AD_DATA_CODES, adCode) ? AD_DATA_CODES[adCode] : null,
    truncated,
    malformed,
  };
}
