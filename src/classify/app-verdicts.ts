// Application verdicts (issue 10): the payload decoders' facts of one flow, turned into the
// contract's records (flow.ldap, flow.ntp...) and the reasons they give, each with its
// evidence in plain words. judge.ts calls this once it knows the flow's application.
//
// Secrets stay in the decoders: no decoder keeps a password, a RADIUS attribute other than
// User-Name and Reply-Message, or a whole SNMP community (its first character and length).
import type { AppName } from '../catalog/schema.js';
import type { AppMessage } from '../inspect/datagram.js';
import { inspectKerberosMessages, inspectKerberosStream, normalStep, type KerberosFacts } from '../inspect/kerberos.js';
import { inspectLdapMessages, inspectLdapStream, type LdapFacts } from '../inspect/ldap.js';
import { inspectNtp, type NtpFacts } from '../inspect/ntp.js';
import { inspectRadius, type RadiusFacts } from '../inspect/radius.js';
import { inspectRpcStream, type RpcFacts } from '../inspect/dcerpc.js';
import { inspectSnmp, type SnmpFacts } from '../inspect/snmp.js';
import type { FlowPayload } from '../inspect/stream.js';
import { inspectSyslogMessages, inspectSyslogStream, SYSLOG_USERID_MAX_BYTES, type SyslogFacts } from '../inspect/syslog.js';
import type { FlowVerdictFacts } from './flow-facts.js';
import type { FoundReasons } from './reasons.js';
import type { ReasonCode } from './vocabulary.js';

/** What the decoders read: a TCP flow's reassembled prefixes, or a UDP flow's datagrams. */
export type AppBytes = { payload: FlowPayload; messages: null } | { payload: null; messages: readonly AppMessage[] };

/** Where the flow's ends are, for the evidence. */
export interface AppParties {
  client: string;
  server: string;
}

type Why = Pick<FoundReasons, 'set'>;
type Records = Pick<FlowVerdictFacts, 'ldap' | 'kerberos' | 'radius' | 'snmp' | 'ntp' | 'syslog' | 'rpc'>;

/** Runs the decoder of `app` over the flow's bytes, fills its record in `flow` and adds its reasons to `why`. */
export function judgeApp(app: AppName, bytes: AppBytes, flow: Records & AppParties, why: Why): void {
  switch (app) {
    case 'ldap': {
      const f = bytes.payload !== null ? inspectLdapStream(bytes.payload) : inspectLdapMessages(bytes.messages);
      if (f !== null) ldap(f, flow, why);
      return;
    }
    case 'kerberos': {
      const f = bytes.payload !== null ? inspectKerberosStream(bytes.payload) : inspectKerberosMessages(bytes.messages);
      if (f !== null) kerberos(f, flow, why);
      return;
    }
    case 'snmp': {
      const f = bytes.messages !== null ? inspectSnmp(bytes.messages) : null;
      if (f !== null) snmp(f, flow, why);
      return;
    }
    case 'radius': {
      const f = bytes.messages !== null ? inspectRadius(bytes.messages) : null;
      if (f !== null) radius(f, flow, why);
      return;
    }
    case 'ntp': {
      const f = bytes.messages !== null ? inspectNtp(bytes.messages) : null;
      if (f !== null) ntp(f, flow, why);
      return;
    }
    case 'syslog': {
      const f = bytes.payload !== null ? inspectSyslogStream(bytes.payload) : inspectSyslogMessages(bytes.messages);
      if (f !== null) syslog(f, flow, why);
      return;
    }
    case 'dcerpc': {
      const f = bytes.payload !== null ? inspectRpcStream(bytes.payload) : null;
      if (f !== null) rpc(f, flow, why);
      return;
    }
    default:
      return;
  }
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function ldap(f: LdapFacts, flow: Records & AppParties, why: Why): void {
  flow.ldap = { resultCode: f.resultCode, resultName: f.resultName, diagnostic: f.diagnostic, bindDN: f.bindDN, operations: f.operations };
  const code = (c: number | null, name: string | null) => `resultCode ${c ?? '?'}${name === null ? '' : ` ${name}`}`;
  const diag = f.diagnostic === null || f.diagnostic === '' ? '' : ` ("${f.diagnostic}")`;
  const ad = f.adCode === null ? '' : `; Active Directory data ${f.adCode}: ${f.adMeaning ?? 'unknown sub-code'}`;
  if (f.bindFailed) {
    const dn = f.bindDN === null || f.bindDN === '' ? 'anonymously' : `as ${f.bindDN}`;
    why.set('ldap-bind-failed', `LDAP bind ${dn} refused by the server ${flow.server}: ${code(f.resultCode, f.resultName)}${diag}${ad}`);
  }
  if (f.error !== null) {
    const d = f.error.diagnostic === null || f.error.diagnostic === '' ? '' : ` ("${f.error.diagnostic}")`;
    why.set('ldap-error', `LDAP ${f.error.op} answered by the server ${flow.server} with ${code(f.error.code, f.error.name)}${d}`);
  }
  if (f.unauthenticatedBind) {
    why.set('ldap-unauthenticated-bind', `simple bind as ${f.bindDN ?? '?'} with an empty password accepted by ${flow.server}: an unauthenticated bind (RFC 4513 5.1.2), no credentials were checked`);
  }
}

function kerberos(f: KerberosFacts, flow: Records & AppParties, why: Why): void {
  flow.kerberos = { errorCode: f.errorCode, errorName: f.errorName, realm: f.realm, client: f.client, messageType: f.messageType };
  if (!f.failure || f.errorCode === null) return;
  const who = f.client === null ? '' : ` for ${f.client}${f.realm === null ? '' : `@${f.realm}`}`;
  const skew = f.skewSeconds === null ? '' : `; the clocks differ by ${Math.round(f.skewSeconds)} s`;
  why.set('kerberos-error', `KRB-ERROR ${f.errorCode} ${f.errorName ?? ''}${who} from the KDC ${flow.server}${KRB_WORDS[f.errorCode] === undefined ? '' : ` (${KRB_WORDS[f.errorCode]})`}${skew}`.replace('  ', ' '));
}

/** Plain words for the Kerberos errors users meet most. */
const KRB_WORDS: Readonly<Record<number, string>> = {
  6: 'the client principal is not in the KDC database',
  7: 'the service principal is not in the KDC database',
  18: "the client's credentials were revoked (account disabled or locked)",
  23: "the client's password has expired",
  24: 'pre-authentication failed: wrong password',
  31: 'integrity check failed',
  37: 'clock skew too great between client and KDC',
  41: 'message stream modified',
};

function snmp(f: SnmpFacts, flow: Records & AppParties, why: Why): void {
  // The deciding report: a failure; engine-ID discovery is a normal step, not shown.
  flow.snmp = { version: f.version, requests: f.requests, responses: f.responses, errorStatus: f.errorStatus, report: f.reportFailure };
  const community = f.community === null ? '' : ` (community "${f.community.first}…", ${plural(f.community.length, 'character')})`;
  if (f.reportFailure !== null) {
    why.set('snmp-error', `SNMPv3 Report ${f.reportFailure} from the agent ${flow.server}${f.userName === null ? '' : ` for user ${f.userName}`}${SNMP_REPORT_WORDS[f.reportFailure] === undefined ? '' : `: ${SNMP_REPORT_WORDS[f.reportFailure]}`}`);
  } else if (f.errorStatus !== null && f.errorStatus !== 0) {
    why.set('snmp-error', `SNMP ${f.version} response from the agent ${flow.server} with error-status ${f.errorStatus} ${f.errorStatusName ?? ''} at index ${f.errorIndex ?? '?'}${community}`.replace('  ', ' '));
  }
}

const SNMP_REPORT_WORDS: Readonly<Record<string, string>> = {
  usmStatsUnknownUserNames: 'the agent does not know this user',
  usmStatsWrongDigests: 'wrong authentication password or protocol',
  usmStatsDecryptionErrors: 'wrong privacy password or protocol',
  usmStatsUnsupportedSecLevels: 'the security level is not supported for this user',
  usmStatsNotInTimeWindows: "the manager's engine time is out of the agent's window and did not recover",
};

function radius(f: RadiusFacts, flow: Records & AppParties, why: Why): void {
  flow.radius = { code: f.code, requests: f.requests, responses: f.responses };
  if (f.code === 'Access-Reject') {
    const user = f.userName === null ? '' : ` for user "${f.userName}"`;
    const msg = f.replyMessage === null ? '' : ` ("${f.replyMessage}")`;
    why.set('radius-reject', `Access-Reject from the RADIUS server ${flow.server}${user}${msg}: ${f.rejects} of ${plural(f.requests, 'request')} rejected`);
  }
}

function ntp(f: NtpFacts, flow: Records & AppParties, why: Why): void {
  flow.ntp = { mode: f.mode, version: f.version, stratum: f.stratum, leap: f.leap, refId: f.refId, kissCode: f.kissCode, offsetMs: f.offsetMs };
  if (f.kiss === 'DENY' || f.kiss === 'RSTR') {
    why.set('ntp-refused', `the NTP server ${flow.server} sent a kiss-o'-death ${f.kiss}: it refuses to serve this client (access ${f.kiss === 'DENY' ? 'denied' : 'restricted'})`);
  } else if (f.unsynchronized) {
    const what = f.leap === 3 ? `leap indicator 3 (alarm), stratum ${f.stratum}` : `stratum ${f.stratum}`;
    why.set('ntp-unsynchronized', `the NTP server ${flow.server} answers but is not synchronised: ${what}${f.refId === '' ? '' : `, reference ${f.refId}`}`);
  }
  if (f.kiss === 'RATE') why.set('ntp-rate-limited', `the NTP server ${flow.server} sent a kiss-o'-death RATE: the client ${flow.client} polls too often and is rate-limited`);
}

function syslog(f: SyslogFacts, flow: Records & AppParties, why: Why): void {
  flow.syslog = { format: f.format, framing: f.framing, messages: f.messages, oversize: f.oversize };
  const problems: string[] = [];
  if (f.oversize > 0) problems.push(`${plural(f.oversize, 'message')} over ${SYSLOG_USERID_MAX_BYTES} bytes, the longest the User-ID syslog parser reads`);
  if (f.split > 0) problems.push(`${plural(f.split, 'datagram')} carrying the rest of a message split across datagrams`);
  else if (f.noPri > 0) problems.push(`${plural(f.noPri, 'message')} without a syslog header (<PRI>)`);
  if (f.badFrames > 0) problems.push('octet-counted framing broken');
  if (problems.length > 0) why.set('syslog-format', `syslog from ${flow.client}: ${problems.join('; ')}`);
}

/**
 * The contract's rpc.status: 'ok', the fault or ept_map status name (nca_s_fault_access_denied,
 * ept_s_not_registered), or the decoder's words for a refused bind ('bind_nak: <reason>').
 */
function rpcStatusToken(status: string | null): string | null {
  if (status === null) return null;
  const m = /^(?:fault|ept_map): (\S+)/.exec(status);
  return m === null ? status : m[1];
}

function rpc(f: RpcFacts, flow: Records & AppParties, why: Why): void {
  flow.rpc = { endpointMapper: f.endpointMapper, dynamicPort: f.dynamicPort, status: rpcStatusToken(f.status) };
  if (f.failure || (f.status !== null && f.status.startsWith('ept_map:'))) {
    const what = f.status?.startsWith('ept_map:') ? `the endpoint mapper ${flow.server} found no endpoint for the interface asked: ${f.status.slice(9)}` : `the server ${flow.server} refused: ${f.status ?? 'failure'}`;
    why.set('rpc-error', `DCE/RPC: ${what}`);
  }
}

/** How far back a Kerberos retry looks for the request it repeats (MIT kinit retries at once). */
const KRB_RETRY_WINDOW_US = 30_000_000;

/** The flow fields linkKerberosRetries reads and writes. */
interface KerberosFlow {
  client: string;
  server: string;
  clientPort: number | null;
  transport: string;
  firstTs: number;
  reason: ReasonCode | null;
  detail: string | null;
  kerberos: FlowVerdictFacts['kerberos'];
}

/**
 * MIT kinit sends the retry that follows KDC_ERR_PREAUTH_REQUIRED (or RESPONSE_TOO_BIG, or
 * a referral) from a new port: two flows. Each keeps its own verdict; a failed retry's
 * evidence names the exchange it continues, so the failure list shows the pair. `flows` in
 * capture order; `lastStep` carries the exchanges seen over from the flows before them (flows
 * handed over in chunks).
 */
export function linkKerberosRetries<F extends KerberosFlow>(flows: readonly F[], lastStep = new Map<string, F>()): void {
  // Indexed: called once per chunk of judged flows, mostly before V8 optimises it, where a
  // for-of makes an iterator result per flow.
  for (let i = 0; i < flows.length; i++) {
    const f = flows[i];
    const k = f.kerberos;
    if (k === null) continue;
    const key = `${f.client}|${f.server}`;
    const before = lastStep.get(key);
    if (before !== undefined && f.firstTs - before.firstTs <= KRB_RETRY_WINDOW_US && f.reason === 'kerberos-error' && f.detail !== null) {
      const secs = ((f.firstTs - before.firstTs) / 1e6).toFixed(3);
      f.detail += `; it retries the request from ${before.transport} port ${before.clientPort ?? '?'} (${secs} s earlier), answered ${before.kerberos!.errorName ?? before.kerberos!.errorCode}`;
    }
    if (k.messageType === 'KRB-ERROR' && k.errorCode !== null && normalStep(k.errorCode)) lastStep.set(key, f);
    else lastStep.delete(key);
  }
}
