// The ASN.1 decoders (BER, LDAP, Kerberos, SNMP) over seeded mutations of valid exchanges:
// bit flips, bytes set, BER length octets (and Kerberos record lengths) set to extremes or
// rewritten in long form, truncations, splices of two exchanges, repeated and deleted
// chunks, datagrams dropped, repeated, reordered and turned around. Every decoder runs on
// every input, whatever protocol it started as. The property: no exception, no hang,
// bounded output. INSPECT_ASN1_FUZZ_SEED and INSPECT_ASN1_FUZZ_COUNT choose the run; a
// failure prints the iteration, which INSPECT_ASN1_FUZZ_ONLY=<i> replays alone.
import { describe, it } from 'vitest';
import { readHeader, scanBer } from '../../src/inspect/ber.js';
import type { AppMessage } from '../../src/inspect/datagram.js';
import { inspectKerberosMessages, inspectKerberosStream, looksLikeKerberos, type KerberosFacts } from '../../src/inspect/kerberos.js';
import { inspectLdapMessages, inspectLdapStream, looksLikeLdap, type LdapFacts } from '../../src/inspect/ldap.js';
import { inspectSnmp, looksLikeSnmp, type SnmpFacts } from '../../src/inspect/snmp.js';
import type { FlowPayload } from '../../src/inspect/stream.js';
import { AD_52E, ascii, bytes, cat, krb, ldap, msg, octets, snmp, STARTTLS, SYS_DESCR, tlv, USM } from './asn1-build.js';
import { flow } from './tls-build.js';
import { deleteChunk, flipBits, fuzzInputs, fuzzKnobs, hex, insertJunk, int, mutateBytes as mutateWith, mutateStreams, pick, repeatChunk, runFuzz, setByte, setField, splice, truncate, type Mutator, type Rand } from '../helpers/fuzz.js';

const KNOBS = fuzzKnobs({ seed: 'INSPECT_ASN1_FUZZ_SEED', count: 'INSPECT_ASN1_FUZZ_COUNT', only: 'INSPECT_ASN1_FUZZ_ONLY' }, { seed: 20260110, count: 100_000 });
const MAX_BYTES = 24 * 1024;

// ---- the corpus ---------------------------------------------------------------------

const DN = 'CN=pan-svc,OU=Service Accounts,DC=lab,DC=test';
const REALM = 'LAB.TEST';

function ldapFlows(): FlowPayload[] {
  return [
    flow([
      ['c', ldap.msg(1, ldap.bindSimple(DN, 'Secr3t!'))],
      ['s', ldap.msg(1, ldap.result(1, 0))],
      ['c', ldap.msg(2, ldap.searchRequest('DC=lab,DC=test'))],
      ['s', cat(ldap.msg(2, ldap.searchResEntry('CN=a,DC=lab,DC=test')), ldap.msg(2, ldap.searchResRef('ldap://lab.test/CN=Configuration')), ldap.msg(2, ldap.result(5, 10)))],
      ['c', ldap.msg(3, ldap.unbind())],
    ]),
    flow([['c', ldap.msgAd(1, ldap.bindSimple('LAB\\pan-svc', 'wrong'))], ['s', ldap.msgAd(1, ldap.result(1, 49, AD_52E))]], { truncated: true }),
    flow([
      ['c', ldap.msg(1, ldap.bindSasl('', 'GSS-SPNEGO', 'NTLMSSP\u0000negotiate'))],
      ['s', ldap.msg(1, ldap.result(1, 14, '', '', tlv(0x87, ascii('challenge'))))],
      ['c', ldap.msg(2, ldap.bindSasl('', 'GSS-SPNEGO', 'NTLMSSP\u0000auth'))],
      ['s', ldap.msg(2, ldap.result(1, 0))],
      ['c', cat(ldap.msg(3, ldap.searchRequest('OU=gone')), ldap.msg(4, ldap.delRequest('CN=x')), ldap.msg(5, ldap.abandon(4)))],
      ['s', cat(ldap.msg(3, ldap.result(5, 32, 'NO_OBJECT')), ldap.msg(4, ldap.result(11, 50)))],
    ]),
    flow([
      ['c', ldap.msg(1, ldap.extendedReq(STARTTLS))],
      ['s', ldap.msg(1, ldap.extendedResp(0, STARTTLS))],
      ['c', bytes(0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x03)],
    ]),
    flow([['c', ldap.msg(1, ldap.bindSimple(DN, ''))], ['s', ldap.msg(1, ldap.result(1, 0))], ['c', ldap.msg(2, ldap.extendedReq(STARTTLS))], ['s', ldap.msg(2, ldap.extendedResp(2, undefined, 'unsupported'))]], { truncated: true }),
  ];
}

const krbErr = (code: number, more: Partial<Parameters<typeof krb.error>[0]> = {}) =>
  krb.error({ code, stime: '20260115093000Z', susec: 1, realm: REALM, sname: ['krbtgt', REALM], ...more });
const asReq = (padata?: string) => krb.req({ cname: ['alice'], realm: REALM, sname: ['krbtgt', REALM], padata });
const asRep = () => krb.rep({ crealm: REALM, cname: ['alice'], secret: 'K' });

function krbExchanges(): AppMessage[][] {
  return [
    [msg('c', asReq()), msg('s', krbErr(25, { etext: 'NEEDED_PREAUTH', edata: ascii('etype-info2') })), msg('c', asReq('ts')), msg('s', asRep())],
    [msg('c', asReq('ts')), msg('s', krbErr(24, { crealm: REALM, cname: ['alice'] }))],
    [msg('c', asReq()), msg('s', krbErr(37, { ctime: '20260115091500Z', cusec: 5 }))],
    [msg('c', krb.req({ tgs: true, realm: REALM, sname: ['ldap', 'dc1.lab.test'], padata: 'ap-req' })), msg('s', krb.rep({ tgs: true, crealm: REALM, cname: ['host', 'fw1.lab'] }))],
  ];
}

function krbFlows(): FlowPayload[] {
  return krbExchanges().map((ex) => flow(ex.map((m) => [m.from === 'client' ? 'c' : 's', krb.tcp(m.bytes)] as ['c' | 's', Uint8Array])));
}

function snmpExchanges(): AppMessage[][] {
  const get = (id: number, v: 0 | 1, c: string) => snmp.community(v, c, snmp.pdu(0, id, 0, 0, snmp.varbind(SYS_DESCR)));
  const resp = (id: number, v: 0 | 1, c: string, st = 0) => snmp.community(v, c, snmp.pdu(2, id, st, st ? 1 : 0, snmp.varbind(SYS_DESCR, octets('PAN-OS'))));
  const v3 = (msgId: number, flags: number, user: string, pduType: number | null, oid = SYS_DESCR) =>
    snmp.v3({ msgId, flags, user, engineId: user ? 'ENGINE' : '', ...(pduType === null ? { encrypted: ascii('encrypted-scoped-pdu') } : { pdu: snmp.pdu(pduType, msgId, 0, 0, snmp.varbind(oid)) }) });
  return [
    [msg('c', get(1, 1, 'public')), msg('s', resp(1, 1, 'public'))],
    [msg('c', get(2, 0, 'private')), msg('s', resp(2, 0, 'private', 2))],
    [msg('c', get(3, 1, 'wrong')), msg('c', get(3, 1, 'wrong'))],
    [msg('c', v3(1, 4, '', 0)), msg('s', v3(1, 0, '', 8, USM(4))), msg('c', v3(2, 5, 'panmon', 0)), msg('s', v3(2, 1, 'panmon', 8, USM(2))), msg('c', v3(3, 5, 'panmon', 0)), msg('s', v3(3, 1, 'panmon', 2))],
    [msg('c', v3(7, 7, 'panpriv', null)), msg('s', v3(7, 3, 'panpriv', null)), msg('c', v3(8, 5, 'x', 0)), msg('s', v3(8, 0, 'x', 8, USM(3)))],
    [msg('c', snmp.community(0, 'public', snmp.trapV1())), msg('c', snmp.community(1, 'public', snmp.pdu(6, 9)))],
  ];
}

function cldapExchanges(): AppMessage[][] {
  return [[msg('c', ldap.msg(5, ldap.searchRequest(''))), msg('s', ldap.msg(5, ldap.searchResEntry(''))), msg('s', ldap.msg(5, ldap.result(5, 0)))]];
}

// ---- mutations ----------------------------------------------------------------------

/** Offsets of BER length octets (first octet) found by walking the elements, and of 4-octet record lengths. */
function lengthOffsets(b: Uint8Array): number[] {
  const out: number[] = [];
  // BER: walk from each plausible start (0, and 4 for a TCP record), descending
  for (const start of [0, 4]) {
    const stack: number[] = [];
    let limit = b.length;
    let p = start;
    while (out.length < 256) {
      while (p >= limit && stack.length > 0) limit = stack.pop() as number;
      if (p >= limit) break;
      const h = readHeader(b, p, limit);
      if (typeof h === 'string' || h.end > limit) break;
      out.push(p + (h.tag >= 31 ? 2 : 1));
      if (h.constructed && stack.length < 12) {
        stack.push(limit);
        limit = h.end;
        p = h.valueStart;
      } else {
        p = h.end;
      }
    }
  }
  return out;
}

/** Where a BER length octet is rewritten: mostly at a length the walk found. */
function berLengthAt(r: Rand, out: Uint8Array): number {
  const offs = lengthOffsets(out);
  return offs.length > 0 && r() < 0.9 ? pick(r, offs) : int(r, out.length);
}

/** A BER length set to an extreme, in place. */
const berLength: Mutator = (r, out) => {
  if (out.length === 0) return null;
  const at = berLengthAt(r, out);
  const cur = out[at];
  out[at] = pick(r, [0, 1, 0x7f, 0x80, 0x81, 0x82, 0x84, 0x85, 0xff, (cur + 1) & 0xff, (cur - 1) & 0xff, int(r, 256)]);
  return out;
};

/** A BER length rewritten in long form (or indefinite), extreme or equal. */
const berLongLength: Mutator = (r, out) => {
  if (out.length === 0) return null;
  const at = berLengthAt(r, out);
  const cur = out[at];
  const long = pick(r, [bytes(0x84, 0xff, 0xff, 0xff, 0xff), bytes(0x84, 0x7f, 0xff, 0xff, 0xff), bytes(0x84, 0, 0, 0, cur & 0x7f), bytes(0x82, 0, cur & 0x7f), bytes(0x83, 0, 1, 0), bytes(0x80)]);
  const width = cur >= 0x81 && cur <= 0x84 ? 1 + (cur & 0x7f) : 1;
  return cat(out.subarray(0, at), long, out.subarray(at + width));
};

/** A Kerberos TCP record length set to an extreme. */
const krbRecordLength: Mutator = (r, out) => {
  if (out.length < 4) return null;
  setField(out, { at: 0, width: 4, le: false }, pick(r, [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, out.length - 4, out.length - 3, out.length - 5, 1 << 20, (1 << 20) + 1]));
  return out;
};

/** A whole message repeated many times: many operations, many records. */
const repeatOther: Mutator = (r, out, other) => {
  const parts = [out];
  for (let n = 1 + int(r, 400); n > 0; n--) parts.push(other);
  return cat(...parts);
};

// repeatOther last: it always applies
const OPS = [flipBits(6), setByte([0, 0xff, 0x7f, 0x80, 0x81, 0x84, 0x30, 0x02]), berLength, berLongLength, truncate, splice, repeatChunk, deleteChunk, insertJunk, krbRecordLength, repeatOther];
const mutateBytes = (r: Rand, b: Uint8Array, other: Uint8Array) => mutateWith(r, b, other, OPS, { rounds: 3, max: MAX_BYTES });

const mutateFlow = (r: Rand, base: FlowPayload, other: FlowPayload): FlowPayload =>
  mutateStreams(r, base, other, mutateBytes, (r, p, b) => (r() < 0.1 ? [] : p.marks.filter((m) => m.offset < b.length)));

function mutateDatagrams(r: Rand, base: readonly AppMessage[], other: readonly AppMessage[]): AppMessage[] {
  let out = base.map((m) => ({ ...m }));
  const ops = 1 + int(r, 3);
  for (let k = 0; k < ops; k++) {
    const op = int(r, 8);
    if (op <= 3 && out.length > 0) {
      const i = int(r, out.length);
      out[i] = { ...out[i], bytes: mutateBytes(r, out[i].bytes, pick(r, other).bytes) };
    } else if (op === 4 && out.length > 0) {
      out.splice(int(r, out.length), 1);
    } else if (op === 5 && out.length > 0) {
      const m = out[int(r, out.length)];
      for (let n = 1 + int(r, 100); n > 0; n--) out.push(m);
    } else if (op === 6) {
      out = out.map((m) => (r() < 0.3 ? { ...m, from: m.from === 'client' ? 'server' : 'client' } : m));
      if (r() < 0.5) out.reverse();
    } else {
      out.splice(int(r, out.length + 1), 0, ...other.slice(0, 1 + int(r, other.length)));
    }
  }
  return out.slice(0, 1500);
}

// ---- checks -------------------------------------------------------------------------

/** Decoded text: each input octet is at most a 10-character escape; caps are in octets. */
const textOk = (s: string | null, maxBytes: number) => s === null || s.length <= maxBytes * 10 + 3;

function checkLdap(f: LdapFacts | null): void {
  if (f === null) return;
  if (!textOk(f.diagnostic, 512) || !textOk(f.bindDN, 512)) throw new Error('ldap text too long');
  if (f.resultCode !== null && !Number.isSafeInteger(f.resultCode)) throw new Error(`resultCode ${f.resultCode}`);
  if (f.adCode !== null && !/^[0-9a-f]{1,8}$/.test(f.adCode)) throw new Error(`adCode ${f.adCode}`);
  if (f.unauthenticatedBind && (f.bind === null || f.bind.kind !== 'simple' || !f.bind.emptyPassword)) throw new Error('unauthenticatedBind without its bind');
  if (!(f.operations >= 0) || !(f.responses >= 0)) throw new Error('counts');
  if (JSON.stringify(f).length > 32 * 1024) throw new Error('ldap facts too large');
}

const KRB_TYPES = new Set(['AS-REQ', 'AS-REP', 'TGS-REQ', 'TGS-REP', 'KRB-ERROR']);
function checkKerberos(f: KerberosFacts | null): void {
  if (f === null) return;
  if (!KRB_TYPES.has(f.messageType) || f.messages.length > 32) throw new Error('kerberos messages');
  if (f.failure && f.errorCode === null) throw new Error('failure without an error');
  if (f.skewSeconds !== null && !(f.skewSeconds >= 0 && Number.isFinite(f.skewSeconds))) throw new Error(`skew ${f.skewSeconds}`);
  if (f.requests + f.replies + f.errors > 2 * 256) throw new Error('kerberos message cap'); // 256 per direction
  if (JSON.stringify(f).length > 64 * 1024) throw new Error('kerberos facts too large');
}

function checkSnmp(f: SnmpFacts | null): void {
  if (f === null) return;
  if (f.pduTypes.length > 32 || f.reports.length > 32) throw new Error('snmp lists');
  if (f.community !== null && f.community.first.length > 4) throw new Error(`community ${f.community.first}`);
  if (f.unanswered > f.requests) throw new Error('unanswered > requests');
  if (f.reportFailure !== null && !f.reports.includes(f.reportFailure)) throw new Error('reportFailure not in reports');
  if (!textOk(f.userName, 64)) throw new Error('userName');
  if (JSON.stringify(f).length > 16 * 1024) throw new Error('snmp facts too large');
}

/** How often the decoders got far into their input. */
const REACHED = ['ldapResult', 'ldapBind', 'krbError', 'krbReply', 'snmpResponse', 'snmpReport', 'snmpV3', 'ber'] as const;
type Reach = (what: (typeof REACHED)[number]) => void;

function runFlow(p: FlowPayload, reach: Reach): number {
  const l = inspectLdapStream(p);
  checkLdap(l);
  if (l?.resultCode != null) reach('ldapResult');
  if (l?.bind != null) reach('ldapBind');
  const k = inspectKerberosStream(p);
  checkKerberos(k);
  if (k?.errorCode != null) reach('krbError');
  if (k !== null && k.replies > 0) reach('krbReply');
  for (const s of [p.client.bytes, p.server.bytes]) {
    looksLikeLdap(s);
    looksLikeKerberos(s, true);
    looksLikeKerberos(s, false);
    looksLikeSnmp(s);
    if (scanBer(s, 0, s.length).ok) reach('ber');
  }
  return 2 + 10;
}

function runDatagrams(ms: AppMessage[], reach: Reach): number {
  const l = inspectLdapMessages(ms);
  checkLdap(l);
  if (l?.resultCode != null) reach('ldapResult');
  const k = inspectKerberosMessages(ms);
  checkKerberos(k);
  if (k?.errorCode != null) reach('krbError');
  if (k !== null && k.replies > 0) reach('krbReply');
  const s = inspectSnmp(ms);
  checkSnmp(s);
  if (s !== null && s.responses > 0) reach('snmpResponse');
  if (s !== null && s.reports.length > 0) reach('snmpReport');
  if (s?.version === 'v3') reach('snmpV3');
  const first = ms[0]?.bytes ?? new Uint8Array(0);
  looksLikeLdap(first);
  looksLikeKerberos(first, false);
  looksLikeSnmp(first);
  return 6;
}

/** A third TCP flows (LDAP, Kerberos), two thirds datagram lists (Kerberos, SNMP, CLDAP). */
type Input = { flow: FlowPayload } | { datagrams: AppMessage[] };

describe('fuzz: ASN.1 decoders', () => {
  it(`BER, LDAP, Kerberos, SNMP over ${fuzzInputs(KNOBS)} mutated inputs (seed ${KNOBS.seed}): no exception, no hang, bounded output`, () => {
    const flows = [...ldapFlows(), ...krbFlows()];
    const datagrams = [...krbExchanges(), ...snmpExchanges(), ...cldapExchanges()];
    runFuzz<Input, (typeof REACHED)[number]>(KNOBS, {
      name: 'asn1 fuzz',
      mix: 0x9e3779b1,
      input: (r) => (r() < 1 / 3 ? { flow: mutateFlow(r, pick(r, flows), pick(r, flows)) } : { datagrams: mutateDatagrams(r, pick(r, datagrams), pick(r, datagrams)) }),
      bytes: (x) => ('flow' in x ? x.flow.client.bytes.length + x.flow.server.bytes.length : x.datagrams.reduce((n, m) => n + m.bytes.length, 0)),
      exercise: (x, _r, reach) => ('flow' in x ? runFlow(x.flow, reach) : runDatagrams(x.datagrams, reach)),
      dump: (x) => ('flow' in x ? `client ${hex(x.flow.client.bytes)}\nserver ${hex(x.flow.server.bytes)}` : x.datagrams.map((m) => `${m.from} ${hex(m.bytes)}`).join('\n')),
      reached: REACHED,
      callsPerInput: 6,
      reachDivisor: 200,
    });
  }, 600_000);
});
