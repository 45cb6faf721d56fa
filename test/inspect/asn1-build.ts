// Builders for the ASN.1 decoder tests: BER elements by hand, and LDAP, Kerberos and SNMP
// messages made of them (only the fields the decoders read, plus enough of the rest to look
// like what real programs send).
import type { AppMessage } from '../../src/inspect/datagram.js';
import { ascii, bytes, cat } from './tls-build.js';

export { ascii, bytes, cat };

/** Length octets: short form below 128, else long form with `octets` (minimal by default). */
export function berLength(n: number, octets?: number): Uint8Array {
  if (octets === undefined && n < 0x80) return bytes(n);
  const width = octets ?? (n < 0x100 ? 1 : n < 0x10000 ? 2 : n < 0x1000000 ? 3 : 4);
  const out = [0x80 | width];
  for (let i = width - 1; i >= 0; i--) out.push(Math.floor(n / 256 ** i) & 0xff);
  return Uint8Array.from(out);
}

/** An element with identifier octet `id` (tag numbers up to 30) and contents. */
export function tlv(id: number, content: Uint8Array, lengthOctets?: number): Uint8Array {
  return cat(bytes(id), berLength(content.length, lengthOctets), content);
}

const text = (s: string | Uint8Array): Uint8Array => (typeof s === 'string' ? Uint8Array.from(Buffer.from(s, 'utf8')) : s);

export const seq = (...xs: Uint8Array[]): Uint8Array => tlv(0x30, cat(...xs));
/** A SEQUENCE with 4-octet lengths, as Active Directory writes them. */
export const seq4 = (...xs: Uint8Array[]): Uint8Array => tlv(0x30, cat(...xs), 4);
export const octets = (s: string | Uint8Array): Uint8Array => tlv(0x04, text(s));
export const gstr = (s: string): Uint8Array => tlv(0x1b, text(s));
export const boolean = (v: boolean): Uint8Array => tlv(0x01, bytes(v ? 0xff : 0));
export const nul = (): Uint8Array => bytes(0x05, 0x00);
export const gtime = (s: string): Uint8Array => tlv(0x18, ascii(s));
/** [n] EXPLICIT (constructed context tag). */
export const ctx = (n: number, ...xs: Uint8Array[]): Uint8Array => tlv(0xa0 | n, cat(...xs));
/** [n] IMPLICIT primitive. */
export const ctxPrim = (n: number, content: string | Uint8Array): Uint8Array => tlv(0x80 | n, text(content));
/** [APPLICATION n] constructed. */
export const app = (n: number, ...xs: Uint8Array[]): Uint8Array => tlv(0x60 | n, cat(...xs));

function twos(n: number): Uint8Array {
  const out: number[] = [];
  let v = BigInt(n);
  do {
    out.unshift(Number(v & 0xffn));
    v >>= 8n;
  } while (!(v === 0n && out[0] < 0x80) && !(v === -1n && out[0] >= 0x80));
  return Uint8Array.from(out);
}
export const int = (n: number): Uint8Array => tlv(0x02, twos(n));
export const enumerated = (n: number): Uint8Array => tlv(0x0a, twos(n));

export function oid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(Number);
  const out: number[] = [];
  const push = (v: number) => {
    const chunk = [v & 0x7f];
    for (v = Math.floor(v / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  };
  push(arcs[0] * 40 + arcs[1]);
  for (const a of arcs.slice(2)) push(a);
  return tlv(0x06, Uint8Array.from(out));
}

/** Messages recorded from real programs through a logging proxy: [side, hex]. */
export type Recorded = ['c' | 's', string][];

export const fromHex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));

/** Recorded datagrams as AppMessages. */
export const datagrams = (r: Recorded): AppMessage[] => r.map(([side, h], i) => msg(side, fromHex(h), i));

export function msg(from: 'c' | 's', b: Uint8Array, timeMs = 0): AppMessage {
  return { from: from === 'c' ? 'client' : 'server', bytes: b, wireLength: b.length, timeMs };
}

// ---- LDAP (RFC 4511) ----------------------------------------------------------------

export const ldap = {
  msg: (id: number, op: Uint8Array, ...controls: Uint8Array[]): Uint8Array => (controls.length === 0 ? seq(int(id), op) : seq(int(id), op, ctx(0, ...controls))),
  /** Active Directory style: 4-octet lengths on the message. */
  msgAd: (id: number, op: Uint8Array): Uint8Array => seq4(int(id), op),
  bindSimple: (dn: string, password: string): Uint8Array => app(0, int(3), octets(dn), ctxPrim(0, password)),
  bindSasl: (dn: string, mechanism: string, credentials?: string): Uint8Array =>
    app(0, int(3), octets(dn), tlv(0xa3, cat(octets(mechanism), ...(credentials === undefined ? [] : [octets(credentials)])))),
  /** An LDAPResult-bearing response: bindResponse 1, searchResDone 5, modifyResponse 7, ..., extendedResp 24. */
  result: (op: number, code: number, diagnostic = '', matchedDN = '', ...extra: Uint8Array[]): Uint8Array =>
    app(op, enumerated(code), octets(matchedDN), octets(diagnostic), ...extra),
  searchRequest: (base: string): Uint8Array =>
    app(3, octets(base), enumerated(2), enumerated(0), int(0), int(0), boolean(false), ctxPrim(7, 'objectClass'), seq(octets('cn'))),
  searchResEntry: (dn: string): Uint8Array => app(4, octets(dn), seq(seq(octets('cn'), tlv(0x31, octets('x'))))),
  searchResRef: (url: string): Uint8Array => tlv(0x73, octets(url)),
  extendedReq: (name: string): Uint8Array => app(23, ctxPrim(0, name)),
  extendedResp: (code: number, name?: string, diagnostic = ''): Uint8Array =>
    app(24, enumerated(code), octets(''), octets(diagnostic), ...(name === undefined ? [] : [ctxPrim(10, name)])),
  unbind: (): Uint8Array => bytes(0x42, 0x00),
  abandon: (id: number): Uint8Array => tlv(0x50, int(id).subarray(2)),
  delRequest: (dn: string): Uint8Array => tlv(0x4a, text(dn)),
};

export const STARTTLS = '1.3.6.1.4.1.1466.20037';
export const AD_52E = '80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 52e, v4563\u0000';

// ---- Kerberos (RFC 4120) ------------------------------------------------------------

export const krb = {
  principal: (type: number, ...names: string[]): Uint8Array => seq(ctx(0, int(type)), ctx(1, seq(...names.map(gstr)))),
  encData: (secret: string): Uint8Array => seq(ctx(0, int(18)), ctx(2, octets(secret))),
  /** AS-REQ (10) or TGS-REQ (12). */
  req: (o: { tgs?: boolean; cname?: string[]; realm: string; sname: string[]; padata?: string }): Uint8Array => {
    const body = seq(
      ctx(0, tlv(0x03, bytes(0, 0x50, 0x01, 0, 0x10))),
      ...(o.cname === undefined ? [] : [ctx(1, krb.principal(1, ...o.cname))]),
      ctx(2, gstr(o.realm)),
      ctx(3, krb.principal(2, ...o.sname)),
      ctx(5, gtime('20370913024805Z')),
      ctx(7, int(0x1234567)),
      ctx(8, seq(int(18), int(17))),
    );
    const padata = o.padata === undefined ? [] : [ctx(3, seq(seq(ctx(1, int(2)), ctx(2, octets(krb.encData(o.padata))))))];
    return app(o.tgs ? 12 : 10, seq(ctx(1, int(5)), ctx(2, int(o.tgs ? 12 : 10)), ...padata, ctx(4, body)));
  },
  /** AS-REP (11) or TGS-REP (13). */
  rep: (o: { tgs?: boolean; crealm: string; cname: string[]; secret?: string }): Uint8Array => {
    const ticket = app(1, seq(ctx(0, int(5)), ctx(1, gstr(o.crealm)), ctx(2, krb.principal(2, 'krbtgt', o.crealm)), ctx(3, krb.encData('ticket-' + (o.secret ?? 'x')))));
    return app(o.tgs ? 13 : 11, seq(ctx(0, int(5)), ctx(1, int(o.tgs ? 13 : 11)), ctx(3, gstr(o.crealm)), ctx(4, krb.principal(1, ...o.cname)), ctx(5, ticket), ctx(6, krb.encData(o.secret ?? 'x'))));
  },
  error: (o: { code: number; stime: string; susec?: number; ctime?: string; cusec?: number; crealm?: string; cname?: string[]; realm: string; sname: string[]; etext?: string; edata?: Uint8Array }): Uint8Array =>
    app(
      30,
      seq(
        ctx(0, int(5)),
        ctx(1, int(30)),
        ...(o.ctime === undefined ? [] : [ctx(2, gtime(o.ctime))]),
        ...(o.cusec === undefined ? [] : [ctx(3, int(o.cusec))]),
        ctx(4, gtime(o.stime)),
        ctx(5, int(o.susec ?? 0)),
        ctx(6, int(o.code)),
        ...(o.crealm === undefined ? [] : [ctx(7, gstr(o.crealm))]),
        ...(o.cname === undefined ? [] : [ctx(8, krb.principal(1, ...o.cname))]),
        ctx(9, gstr(o.realm)),
        ctx(10, krb.principal(2, ...o.sname)),
        ...(o.etext === undefined ? [] : [ctx(11, gstr(o.etext))]),
        ...(o.edata === undefined ? [] : [ctx(12, octets(o.edata))]),
      ),
    ),
  /** The TCP framing: a 4-octet big-endian length. */
  tcp: (m: Uint8Array): Uint8Array => cat(bytes((m.length >>> 24) & 255, (m.length >>> 16) & 255, (m.length >>> 8) & 255, m.length & 255), m),
};

// ---- SNMP (RFC 3416, 3412, 3414) ----------------------------------------------------

export const USM = (n: number): string => `1.3.6.1.6.3.15.1.1.${n}.0`;
export const SYS_DESCR = '1.3.6.1.2.1.1.1.0';

export const snmp = {
  varbind: (name: string, value: Uint8Array = nul()): Uint8Array => seq(oid(name), value),
  /** A PDU: 0 get, 1 getnext, 2 response, 3 set, 5 getbulk, 6 inform, 7 trapv2, 8 report. */
  pdu: (type: number, requestId: number, errorStatus = 0, errorIndex = 0, ...varbinds: Uint8Array[]): Uint8Array =>
    tlv(0xa0 | type, cat(int(requestId), int(errorStatus), int(errorIndex), seq(...varbinds))),
  /** An SNMPv1 Trap-PDU. */
  trapV1: (): Uint8Array => tlv(0xa4, cat(oid('1.3.6.1.4.1.25461'), tlv(0x40, bytes(10, 0, 0, 1)), int(6), int(1), tlv(0x43, bytes(1, 0)), seq())),
  /** v1 (0) or v2c (1) message. */
  community: (version: 0 | 1, community: string, pdu: Uint8Array): Uint8Array => seq(int(version), octets(community), pdu),
  v3: (o: { msgId: number; flags: number; user?: string; engineId?: string; pdu?: Uint8Array; encrypted?: Uint8Array; securityModel?: number }): Uint8Array => {
    const usm = seq(octets(o.engineId ?? ''), int(o.engineId ? 7 : 0), int(o.engineId ? 1234 : 0), octets(o.user ?? ''), octets(o.flags & 1 ? new Uint8Array(12).fill(0xaa) : ''), octets(o.flags & 2 ? new Uint8Array(8).fill(0xbb) : ''));
    const data = o.encrypted !== undefined ? octets(o.encrypted) : seq(octets(o.engineId ?? ''), octets(''), o.pdu ?? new Uint8Array(0));
    return seq(int(3), seq(int(o.msgId), int(65507), octets(bytes(o.flags)), int(o.securityModel ?? 3)), octets(usm), data);
  },
};
