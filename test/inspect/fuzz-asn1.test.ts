// The ASN.1 decoders (BER, LDAP, Kerberos, SNMP) over seeded mutations of valid exchanges:
// bit flips, bytes set, BER length octets (and Kerberos record lengths) set to extremes or
// rewritten in long form, truncations, splices of two exchanges, repeated and deleted
// chunks, datagrams dropped, repeated, reordered and turned around. Every decoder runs on
// every input, whatever protocol it started as. The property: no exception, no hang,
// bounded output. INSPECT_ASN1_FUZZ_SEED and INSPECT_ASN1_FUZZ_COUNT choose the run; a
// failure prints the iteration, which INSPECT_ASN1_FUZZ_ONLY=<i> replays alone.
import { describe, expect, it } from 'vitest';
import { readHeader, scanBer } from '../../src/inspect/ber.js';
import type { AppMessage } from '../../src/inspect/datagram.js';
import { inspectKerberosMessages, inspectKerberosStream, looksLikeKerberos, type KerberosFacts } from '../../src/inspect/kerberos.js';
import { inspectLdapMessages, inspectLdapStream, looksLikeLdap, type LdapFacts } from '../../src/inspect/ldap.js';
import { inspectSnmp, looksLikeSnmp, type SnmpFacts } from '../../src/inspect/snmp.js';
import type { FlowPayload } from '../../src/inspect/stream.js';
import { AD_52E, ascii, bytes, cat, krb, ldap, msg, octets, snmp, STARTTLS, SYS_DESCR, tlv, USM } from './asn1-build.js';
import { flow } from './tls-build.js';
import { mulberry32 } from '../helpers/random.js';

const SEED = Number(process.env.INSPECT_ASN1_FUZZ_SEED ?? 20260110) >>> 0;
const COUNT = Number(process.env.INSPECT_ASN1_FUZZ_COUNT ?? 100_000);
const ONLY = process.env.INSPECT_ASN1_FUZZ_ONLY === undefined ? null : Number(process.env.INSPECT_ASN1_FUZZ_ONLY);
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

type Rand = () => number;
const int = (r: Rand, n: number) => Math.floor(r() * n);
const pick = <T,>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)];

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

function mutateBytes(r: Rand, b: Uint8Array, other: Uint8Array): Uint8Array {
  let out: Uint8Array = Uint8Array.from(b);
  const ops = 1 + int(r, 3);
  for (let k = 0; k < ops; k++) {
    const op = int(r, 11);
    if (op === 0 && out.length > 0) {
      for (let f = 1 + int(r, 6); f > 0; f--) out[int(r, out.length)] ^= 1 << int(r, 8);
    } else if (op === 1 && out.length > 0) {
      out[int(r, out.length)] = pick(r, [0, 0xff, 0x7f, 0x80, 0x81, 0x84, 0x30, 0x02, int(r, 256)]);
    } else if ((op === 2 || op === 3) && out.length > 0) {
      // a BER length set to an extreme, in place or rewritten in long form
      const offs = lengthOffsets(out);
      const at = offs.length > 0 && r() < 0.9 ? pick(r, offs) : int(r, out.length);
      const cur = out[at];
      if (op === 2) {
        out[at] = pick(r, [0, 1, 0x7f, 0x80, 0x81, 0x82, 0x84, 0x85, 0xff, (cur + 1) & 0xff, (cur - 1) & 0xff, int(r, 256)]);
      } else {
        const long = pick(r, [bytes(0x84, 0xff, 0xff, 0xff, 0xff), bytes(0x84, 0x7f, 0xff, 0xff, 0xff), bytes(0x84, 0, 0, 0, cur & 0x7f), bytes(0x82, 0, cur & 0x7f), bytes(0x83, 0, 1, 0), bytes(0x80)]);
        const width = cur >= 0x81 && cur <= 0x84 ? 1 + (cur & 0x7f) : 1;
        out = cat(out.subarray(0, at), long, out.subarray(at + width));
      }
    } else if (op === 4) {
      out = out.subarray(0, int(r, out.length + 1));
    } else if (op === 5) {
      out = cat(out.subarray(0, int(r, out.length + 1)), other.subarray(int(r, other.length + 1)));
    } else if (op === 6 && out.length > 0) {
      const s = int(r, out.length);
      const chunk = out.subarray(s, s + 1 + int(r, 64));
      const parts = [out.subarray(0, s)];
      for (let n = 1 + int(r, 200); n > 0; n--) parts.push(chunk);
      parts.push(out.subarray(s));
      out = cat(...parts);
    } else if (op === 7 && out.length > 0) {
      const s = int(r, out.length);
      out = cat(out.subarray(0, s), out.subarray(s + 1 + int(r, 32)));
    } else if (op === 8) {
      const s = int(r, out.length + 1);
      out = cat(out.subarray(0, s), Uint8Array.from({ length: 1 + int(r, 16) }, () => int(r, 256)), out.subarray(s));
    } else if (op === 9 && out.length >= 4) {
      // a Kerberos TCP record length
      const v = pick(r, [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, out.length - 4, out.length - 3, out.length - 5, 1 << 20, (1 << 20) + 1]);
      out[0] = (v >>> 24) & 255;
      out[1] = (v >>> 16) & 255;
      out[2] = (v >>> 8) & 255;
      out[3] = v & 255;
    } else {
      // a whole message repeated many times: many operations, many records
      const parts = [out];
      for (let n = 1 + int(r, 400); n > 0; n--) parts.push(other);
      out = cat(...parts);
    }
  }
  return out.length > MAX_BYTES ? out.subarray(0, MAX_BYTES) : out;
}

function mutateFlow(r: Rand, base: FlowPayload, other: FlowPayload): FlowPayload {
  const which = int(r, 3);
  const side = (p: FlowPayload['client'], o: FlowPayload['client'], touch: boolean) => {
    if (!touch) return { ...p, truncated: r() < 0.2 };
    const b = mutateBytes(r, p.bytes, r() < 0.5 ? o.bytes : p.bytes);
    return { bytes: b, marks: r() < 0.1 ? [] : p.marks.filter((m) => m.offset < b.length), truncated: r() < 0.3 };
  };
  return { client: side(base.client, other.client, which !== 1), server: side(base.server, other.server, which !== 0) };
}

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

const reached = { ldapResult: 0, ldapBind: 0, krbError: 0, krbReply: 0, snmpResponse: 0, snmpReport: 0, snmpV3: 0, ber: 0 };

function runFlow(p: FlowPayload): number {
  const l = inspectLdapStream(p);
  checkLdap(l);
  if (l?.resultCode != null) reached.ldapResult++;
  if (l?.bind != null) reached.ldapBind++;
  const k = inspectKerberosStream(p);
  checkKerberos(k);
  if (k?.errorCode != null) reached.krbError++;
  if (k !== null && k.replies > 0) reached.krbReply++;
  for (const s of [p.client.bytes, p.server.bytes]) {
    looksLikeLdap(s);
    looksLikeKerberos(s, true);
    looksLikeKerberos(s, false);
    looksLikeSnmp(s);
    if (scanBer(s, 0, s.length).ok) reached.ber++;
  }
  return 2 + 10;
}

function runDatagrams(ms: AppMessage[]): number {
  const l = inspectLdapMessages(ms);
  checkLdap(l);
  if (l?.resultCode != null) reached.ldapResult++;
  const k = inspectKerberosMessages(ms);
  checkKerberos(k);
  if (k?.errorCode != null) reached.krbError++;
  if (k !== null && k.replies > 0) reached.krbReply++;
  const s = inspectSnmp(ms);
  checkSnmp(s);
  if (s !== null && s.responses > 0) reached.snmpResponse++;
  if (s !== null && s.reports.length > 0) reached.snmpReport++;
  if (s?.version === 'v3') reached.snmpV3++;
  const first = ms[0]?.bytes ?? new Uint8Array(0);
  looksLikeLdap(first);
  looksLikeKerberos(first, false);
  looksLikeSnmp(first);
  return 6;
}

/** Hex of the first 4 KiB (enough to see the damage; the iteration number replays the whole). */
const hex = (b: Uint8Array) => Buffer.from(b.subarray(0, 4096)).toString('hex') + (b.length > 4096 ? `... (${b.length} bytes)` : '');

describe('fuzz: ASN.1 decoders', () => {
  it(`BER, LDAP, Kerberos, SNMP over ${ONLY === null ? COUNT : 1} mutated inputs (seed ${SEED}): no exception, no hang, bounded output`, () => {
    const flows = [...ldapFlows(), ...krbFlows()];
    const datagrams = [...krbExchanges(), ...snmpExchanges(), ...cldapExchanges()];
    const started = performance.now();
    let slowest = 0;
    let slowestAt = -1;
    let calls = 0;
    let bytesIn = 0;
    const first = ONLY ?? 0;
    const last = ONLY === null ? COUNT : ONLY + 1;
    for (let i = first; i < last; i++) {
      const r = mulberry32((SEED ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0); // one stream per input
      // a third TCP flows (LDAP, Kerberos), two thirds datagram lists (Kerberos, SNMP, CLDAP)
      const asFlow = r() < 1 / 3;
      const input = asFlow ? mutateFlow(r, pick(r, flows), pick(r, flows)) : mutateDatagrams(r, pick(r, datagrams), pick(r, datagrams));
      const t0 = performance.now();
      try {
        if (asFlow) {
          const p = input as FlowPayload;
          bytesIn += p.client.bytes.length + p.server.bytes.length;
          calls += runFlow(p);
        } else {
          const ms = input as AppMessage[];
          for (const m of ms) bytesIn += m.bytes.length;
          calls += runDatagrams(ms);
        }
      } catch (e) {
        const dump = asFlow
          ? `client ${hex((input as FlowPayload).client.bytes)}\nserver ${hex((input as FlowPayload).server.bytes)}`
          : (input as AppMessage[]).map((m) => `${m.from} ${hex(m.bytes)}`).join('\n');
        throw new Error(`iteration ${i} (INSPECT_ASN1_FUZZ_SEED=${SEED} INSPECT_ASN1_FUZZ_ONLY=${i}): ${(e as Error).stack}\n${dump}`);
      }
      const dt = performance.now() - t0;
      if (dt > slowest) {
        slowest = dt;
        slowestAt = i;
      }
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `asn1 fuzz: seed=${SEED} inputs=${last - first} decoder calls=${calls} bytes=${(bytesIn / 1e6).toFixed(1)} MB ` +
        `time=${seconds.toFixed(1)} s slowest input=${slowest.toFixed(1)} ms (#${slowestAt})\n  inputs reaching: ${JSON.stringify(reached)}`,
    );
    expect(calls).toBeGreaterThanOrEqual((last - first) * 6);
    if (ONLY === null && COUNT >= 10_000) {
      for (const [what, n] of Object.entries(reached)) expect(n, what).toBeGreaterThan(COUNT / 200);
    }
    expect(slowest).toBeLessThan(1000);
  }, 600_000);
});
