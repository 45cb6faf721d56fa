// Kerberos KDC exchanges (RFC 4120) over UDP and TCP.
import { describe, expect, it } from 'vitest';
import { inspectKerberosMessages, inspectKerberosStream, KRB_ERROR_NAMES, krbErrorName, looksLikeKerberos, normalStep } from '../../src/inspect/kerberos.js';
import { ascii, bytes, cat, datagrams, fromHex, int, krb, ldap, msg, seq, tlv, type Recorded } from './asn1-build.js';
import { flow } from './tls-build.js';

const REALM = 'LAB.TEST';
const asReq = (padata?: string) => krb.req({ cname: ['alice'], realm: REALM, sname: ['krbtgt', REALM], padata });
const err = (code: number, extra: Partial<Parameters<typeof krb.error>[0]> = {}) =>
  krb.error({ code, stime: '20260115093000Z', susec: 250_000, realm: REALM, sname: ['krbtgt', REALM], ...extra });
const asRep = () => krb.rep({ crealm: REALM, cname: ['alice'], secret: 'SESSION-KEY-BYTES' });

describe('inspectKerberosMessages (UDP)', () => {
  it('AS-REQ → PREAUTH_REQUIRED → AS-REQ with padata → AS-REP: success', () => {
    const f = inspectKerberosMessages([msg('c', asReq()), msg('s', err(25, { etext: 'NEEDED_PREAUTH' })), msg('c', asReq('ENC-TIMESTAMP')), msg('s', asRep())]);
    expect(f).toEqual({
      errorCode: 25,
      errorName: 'KDC_ERR_PREAUTH_REQUIRED',
      realm: REALM,
      client: 'alice',
      messageType: 'AS-REP',
      failure: false,
      messages: [
        { type: 'AS-REQ', errorCode: null },
        { type: 'KRB-ERROR', errorCode: 25 },
        { type: 'AS-REQ', errorCode: null },
        { type: 'AS-REP', errorCode: null },
      ],
      requests: 2,
      replies: 1,
      errors: 1,
      sname: `krbtgt/${REALM}`,
      eText: 'NEEDED_PREAUTH',
      serverTime: '2026-01-15T09:30:00.250Z',
      clientTime: null,
      skewSeconds: null,
      truncated: 0,
      malformed: false,
    });
    // nothing encrypted is kept
    const json = JSON.stringify(f);
    for (const secret of ['SESSION-KEY', 'ENC-TIMESTAMP', 'ticket-']) expect(json).not.toContain(secret);
  });

  it('a flow that ends on PREAUTH_REQUIRED (MIT kinit retries from a new port) is not a failure', () => {
    const f = inspectKerberosMessages([msg('c', asReq()), msg('s', err(25))]);
    expect(f).toMatchObject({ errorCode: 25, errorName: 'KDC_ERR_PREAUTH_REQUIRED', failure: false, messageType: 'KRB-ERROR', requests: 1, replies: 0 });
    expect(normalStep(25) && normalStep(52) && normalStep(68)).toBe(true);
    expect(normalStep(24) || normalStep(6) || normalStep(37) || normalStep(0)).toBe(false);
  });

  it('PREAUTH_FAILED (24): a failure, the hard error decides over an earlier 25', () => {
    const f = inspectKerberosMessages([msg('c', asReq()), msg('s', err(25)), msg('c', asReq('ENC-TIMESTAMP')), msg('s', err(24, { crealm: REALM, cname: ['alice'] }))]);
    expect(f).toMatchObject({ errorCode: 24, errorName: 'KDC_ERR_PREAUTH_FAILED', failure: true, messageType: 'KRB-ERROR', realm: REALM, client: 'alice', requests: 2, errors: 2 });
  });

  it('C_PRINCIPAL_UNKNOWN (6)', () => {
    const f = inspectKerberosMessages([msg('c', krb.req({ cname: ['nobody'], realm: REALM, sname: ['krbtgt', REALM] })), msg('s', err(6))]);
    expect(f).toMatchObject({ errorCode: 6, errorName: 'KDC_ERR_C_PRINCIPAL_UNKNOWN', failure: true, client: 'nobody', realm: REALM });
  });

  it('KRB_AP_ERR_SKEW (37) with the client time: the skew in seconds', () => {
    const f = inspectKerberosMessages([msg('c', asReq()), msg('s', err(37, { ctime: '20260115091500Z', cusec: 500_000, stime: '20260115093000Z', susec: 0 }))]);
    expect(f).toMatchObject({
      errorCode: 37,
      errorName: 'KRB_AP_ERR_SKEW',
      failure: true,
      serverTime: '2026-01-15T09:30:00.000Z',
      clientTime: '2026-01-15T09:15:00.500Z',
      skewSeconds: 899.5,
    });
    // without ctime, no skew can be stated
    expect(inspectKerberosMessages([msg('s', err(37))])?.skewSeconds).toBeNull();
  });

  it('a hard error followed by a reply: the error is reported, not a failure', () => {
    const f = inspectKerberosMessages([msg('c', asReq()), msg('s', err(24)), msg('c', asReq('x')), msg('s', asRep())]);
    expect(f).toMatchObject({ errorCode: 24, failure: false, messageType: 'AS-REP' });
  });

  it('TGS exchange: host principal with two components, client from the reply', () => {
    const tgsReq = krb.req({ tgs: true, realm: REALM, sname: ['ldap', 'dc1.lab.test'], padata: 'AP-REQ' });
    const tgsRep = krb.rep({ tgs: true, crealm: REALM, cname: ['host', 'fw1.lab'] });
    const f = inspectKerberosMessages([msg('c', tgsReq), msg('s', tgsRep)]);
    expect(f).toMatchObject({ errorCode: null, errorName: null, client: 'host/fw1.lab', realm: REALM, sname: 'ldap/dc1.lab.test', messageType: 'TGS-REP', failure: false, requests: 1, replies: 1 });
  });

  it('only a request: unanswered', () => {
    expect(inspectKerberosMessages([msg('c', asReq()), msg('c', asReq())])).toMatchObject({ messageType: 'AS-REQ', requests: 2, replies: 0, errorCode: null, failure: false });
  });

  it('null when nothing parses; damaged datagrams flagged', () => {
    expect(inspectKerberosMessages([])).toBeNull();
    expect(inspectKerberosMessages([msg('c', ascii('hello'))])).toBeNull();
    expect(inspectKerberosMessages([msg('c', asReq().subarray(0, 40))])).toBeNull();
    expect(inspectKerberosMessages([msg('c', cat(asReq(), bytes(0)))])).toBeNull(); // trailing bytes
    expect(inspectKerberosMessages([msg('c', ascii('junk')), msg('s', err(6))])).toMatchObject({ errorCode: 6, malformed: true });
    // pvno other than 5, a KRB-ERROR without its code, an AP-REQ
    expect(inspectKerberosMessages([msg('c', tlv(0x6a, seq(tlv(0xa1, int(4)), tlv(0xa2, int(10)))))])).toBeNull();
    expect(inspectKerberosMessages([msg('s', tlv(0x7e, seq(tlv(0xa0, int(5)), tlv(0xa1, int(30)))))])).toBeNull();
    expect(inspectKerberosMessages([msg('c', tlv(0x6e, seq(tlv(0xa0, int(5)), tlv(0xa1, int(14)))))])).toBeNull();
  });

  it('caps names and the message list', () => {
    const long = krb.req({ cname: ['a'.repeat(1000), ...Array.from({ length: 20 }, () => 'x')], realm: 'R'.repeat(1000), sname: ['krbtgt', REALM] });
    const f = inspectKerberosMessages(Array.from({ length: 300 }, () => msg('c', long)));
    expect(f?.client).toBe('a'.repeat(256) + '...' + '/x'.repeat(7));
    expect(f?.realm).toHaveLength(259);
    expect(f?.messages).toHaveLength(32);
    expect(f?.requests).toBe(256);
  });

  it('deep nesting: no exception, bounded time', () => {
    let inner = int(5);
    for (let i = 0; i < 10_000; i++) inner = seq(inner);
    const b = tlv(0x6a, inner);
    const t0 = performance.now();
    expect(inspectKerberosMessages([msg('c', b)])).toBeNull();
    expect(inspectKerberosStream(flow([['c', krb.tcp(b)]]))).toBeNull();
    expect(looksLikeKerberos(b, false)).toBe(false);
    expect(performance.now() - t0).toBeLessThan(500);
  });
});

describe('inspectKerberosStream (TCP)', () => {
  it('records in both directions, ordered by capture record', () => {
    const f = inspectKerberosStream(flow([['c', krb.tcp(asReq('ENC-TIMESTAMP'))], ['s', krb.tcp(asRep())]]));
    expect(f).toMatchObject({ errorCode: null, messageType: 'AS-REP', client: 'alice', requests: 1, replies: 1, truncated: 0, malformed: false });
    expect(f?.messages.map((m) => m.type)).toEqual(['AS-REQ', 'AS-REP']);
  });

  it('records split across segments; a record cut by the end of the prefix is ignored', () => {
    const s = cat(krb.tcp(err(24)), krb.tcp(asRep()).subarray(0, 30));
    const f = inspectKerberosStream(flow([['c', krb.tcp(asReq('x')), 7], ['s', s, 11]]));
    expect(f).toMatchObject({ errorCode: 24, failure: true, truncated: 1, replies: 0, messageType: 'KRB-ERROR' });
    // only the length's first octets
    expect(inspectKerberosStream(flow([['c', cat(krb.tcp(asReq()), bytes(0, 0))]]))).toMatchObject({ requests: 1, truncated: 1 });
  });

  it('a record that is not Kerberos is skipped, an absurd length stops the direction', () => {
    const f = inspectKerberosStream(flow([['c', cat(krb.tcp(ascii('not kerberos')), krb.tcp(asReq()))], ['s', cat(krb.tcp(err(6)), bytes(0x80, 0, 0, 1, 0))]]));
    expect(f).toMatchObject({ requests: 1, errorCode: 6, malformed: true, truncated: 0 });
    expect(inspectKerberosStream(flow([['c', bytes(0xff, 0xff, 0xff, 0xff, 0x6a)]]))).toBeNull();
    expect(inspectKerberosStream(flow([]))).toBeNull();
  });

  it('UDP messages sent over TCP without framing are not read', () => {
    expect(inspectKerberosStream(flow([['c', asReq()]]))).toBeNull();
  });
});

describe('looksLikeKerberos', () => {
  it('recognises each KDC message type over UDP and TCP', () => {
    for (const m of [asReq(), asRep(), err(25), krb.req({ tgs: true, realm: REALM, sname: ['x'] }), krb.rep({ tgs: true, crealm: REALM, cname: ['y'] })]) {
      expect(looksLikeKerberos(m, false)).toBe(true);
      expect(looksLikeKerberos(krb.tcp(m), true)).toBe(true);
      expect(looksLikeKerberos(m, true)).toBe(false);
      expect(looksLikeKerberos(krb.tcp(m), false)).toBe(false);
      expect(looksLikeKerberos(m.subarray(0, 12), false)).toBe(true); // the start is enough
    }
  });

  it('refuses other bytes', () => {
    expect(looksLikeKerberos(ldap.msg(1, ldap.unbind()), false)).toBe(false);
    expect(looksLikeKerberos(tlv(0x6a, seq(tlv(0xa1, int(4)))), false)).toBe(false); // pvno 4
    expect(looksLikeKerberos(tlv(0x6e, seq(tlv(0xa0, int(5)))), false)).toBe(false); // AP-REQ: not to a KDC
    expect(looksLikeKerberos(bytes(0x6a), false)).toBe(false);
    expect(looksLikeKerberos(bytes(0, 0, 0), true)).toBe(false);
    expect(looksLikeKerberos(cat(bytes(0, 0x20, 0, 0), asReq()), true)).toBe(false); // length disagrees
    expect(looksLikeKerberos(new Uint8Array(0), false)).toBe(false);
  });
});

describe('names', () => {
  it('RFC 4120 §7.5.9', () => {
    expect(krbErrorName(6)).toBe('KDC_ERR_C_PRINCIPAL_UNKNOWN');
    expect(krbErrorName(24)).toBe('KDC_ERR_PREAUTH_FAILED');
    expect(krbErrorName(25)).toBe('KDC_ERR_PREAUTH_REQUIRED');
    expect(krbErrorName(37)).toBe('KRB_AP_ERR_SKEW');
    expect(krbErrorName(52)).toBe('KRB_ERR_RESPONSE_TOO_BIG');
    expect(krbErrorName(68)).toBe('KDC_ERR_WRONG_REALM');
    expect(krbErrorName(30)).toBeNull();
    expect(krbErrorName(43)).toBeNull();
    expect(Object.keys(KRB_ERROR_NAMES)).toHaveLength(72);
  });
});

// ---- recorded from MIT krb5 1.20 (krb5kdc, kinit) through a logging proxy ------------
// kudp_badpw
const KUDP_BADPW: Recorded = [
  [
    'c',
    '6a81ad3081aaa103020105a20302010aa31a3018300aa10402020096a2020400300aa10402020095a2020400a48181307fa0070305000000' +
    '0010a1123010a003020101a10930071b05616c696365a20a1b084c41422e54455354a31d301ba003020102a11430121b066b72627467741b' +
    '084c41422e54455354a511180f32303236313132373230303231395aa706020421d64f4da81a301802011202011102011402011302011002' +
    '011702011902011a',
  ],
  [
    's',
    '7e81da3081d7a003020105a10302011ea411180f32303236313132363230303231395aa5050203020735a603020119a70a1b084c41422e54' +
    '455354a8123010a003020101a10930071b05616c696365a90a1b084c41422e54455354aa1d301ba003020102a11430121b066b7262746774' +
    '1b084c41422e54455354ab101b0e4e45454445445f50524541555448ac4f044d304b300aa10402020088a20204003023a103020113a21c04' +
    '1a30183016a003020112a10f1b0d4c41422e54455354616c6963653009a103020102a2020400300da10402020085a20504034d4954',
  ],
  [
    'c',
    '6a82010b30820107a103020105a20302010aa3773075300da10402020085a20504034d4954304ca103020102a24504433041a003020112a2' +
    '3a04387fe445293efe18875906753d2d6c56cf4ac5d119c7dc17d4dae78165c87de83fdee65953196d328463f9a715baea7e20d16de22223' +
    '9e6203300aa10402020096a2020400300aa10402020095a2020400a48181307fa00703050000000010a1123010a003020101a10930071b05' +
    '616c696365a20a1b084c41422e54455354a31d301ba003020102a11430121b066b72627467741b084c41422e54455354a511180f32303236' +
    '313132373230303231395aa7060204090eca2ea81a301802011202011102011402011302011002011702011902011a',
  ],
  [
    's',
    '7e81da3081d7a003020105a10302011ea411180f32303236313132363230303231395aa5050203020736a603020118a70a1b084c41422e54' +
    '455354a8123010a003020101a10930071b05616c696365a90a1b084c41422e54455354aa1d301ba003020102a11430121b066b7262746774' +
    '1b084c41422e54455354ab101b0e505245415554485f4641494c4544ac4f044d304b300aa10402020088a20204003023a103020113a21c04' +
    '1a30183016a003020112a10f1b0d4c41422e54455354616c6963653009a103020102a2020400300da10402020085a20504034d4954',
  ],
];
// ktcp_ok
const KTCP_OK: Recorded = [
  [
    'c',
    '000000b06a81ad3081aaa103020105a20302010aa31a3018300aa10402020096a2020400300aa10402020095a2020400a48181307fa00703' +
    '050000000010a1123010a003020101a10930071b05616c696365a20a1b084c41422e54455354a31d301ba003020102a11430121b066b7262' +
    '7467741b084c41422e54455354a511180f32303236313132373230303233325aa706020409fe4160a81a3018020112020111020114020113' +
    '02011002011702011902011a',
  ],
  [
    's',
    '000000dd7e81da3081d7a003020105a10302011ea411180f32303236313132363230303233325aa505020304da39a603020119a70a1b084c' +
    '41422e54455354a8123010a003020101a10930071b05616c696365a90a1b084c41422e54455354aa1d301ba003020102a11430121b066b72' +
    '627467741b084c41422e54455354ab101b0e4e45454445445f50524541555448ac4f044d304b300aa10402020088a20204003023a1030201' +
    '13a21c041a30183016a003020112a10f1b0d4c41422e54455354616c6963653009a103020102a2020400300da10402020085a20504034d49' +
    '54',
  ],
];

describe('recorded MIT Kerberos exchanges', () => {
  it('kinit with a wrong password over UDP: 25, then 24', () => {
    const f = inspectKerberosMessages(datagrams(KUDP_BADPW));
    expect(f).toMatchObject({ errorCode: 24, errorName: 'KDC_ERR_PREAUTH_FAILED', realm: 'LAB.TEST', client: 'alice', sname: 'krbtgt/LAB.TEST', failure: true, requests: 2, errors: 2, eText: 'PREAUTH_FAILED', malformed: false });
    expect(f?.messages.map((m) => m.errorCode)).toEqual([null, 25, null, 24]);
  });
  it('kinit over TCP (one connection per request): AS-REQ, PREAUTH_REQUIRED', () => {
    const f = inspectKerberosStream(flow(KTCP_OK.map(([side, h]) => [side, fromHex(h)])));
    expect(f).toMatchObject({ errorCode: 25, failure: false, messageType: 'KRB-ERROR', client: 'alice', realm: 'LAB.TEST', truncated: 0, malformed: false });
    expect(looksLikeKerberos(fromHex(KTCP_OK[0][1]), true)).toBe(true);
  });
});
