// SNMP v1, v2c and v3 (RFC 3416, 3412, 3414) over UDP.
import { describe, expect, it } from 'vitest';
import { inspectSnmp, looksLikeSnmp, snmpErrorStatusName, SNMP_ERROR_STATUS_NAMES } from '../../src/inspect/snmp.js';
import { ascii, bytes, datagrams, int, ldap, msg, octets, seq, snmp, SYS_DESCR, tlv, USM, type Recorded } from './asn1-build.js';

const COMMUNITY = 'pan-R3adOnly';
const get = (id: number, version: 0 | 1 = 1, community = COMMUNITY) => snmp.community(version, community, snmp.pdu(0, id, 0, 0, snmp.varbind(SYS_DESCR)));
const resp = (id: number, status = 0, index = 0, version: 0 | 1 = 1, community = COMMUNITY) =>
  snmp.community(version, community, snmp.pdu(2, id, status, index, snmp.varbind(SYS_DESCR, octets('PAN-OS'))));
const report = (msgId: number, counter: number) =>
  snmp.v3({ msgId, flags: 0, engineId: 'ENGINE', pdu: snmp.pdu(8, 0, 0, 0, snmp.varbind(USM(counter), tlv(0x41, bytes(3)))) });
const get3 = (msgId: number, user: string, flags: number) => snmp.v3({ msgId, flags: flags | 4, user, engineId: user === '' ? '' : 'ENGINE', pdu: snmp.pdu(0, msgId + 1000, 0, 0, snmp.varbind(SYS_DESCR)) });
const resp3 = (msgId: number, user: string, flags: number) => snmp.v3({ msgId, flags, user, engineId: 'ENGINE', pdu: snmp.pdu(2, msgId + 1000, 0, 0, snmp.varbind(SYS_DESCR, octets('x'))) });

describe('inspectSnmp: v1 and v2c', () => {
  it('v2c get answered: no error, community masked', () => {
    const f = inspectSnmp([msg('c', get(0x1234)), msg('s', resp(0x1234))]);
    expect(f).toEqual({
      version: 'v2c',
      requests: 1,
      responses: 1,
      traps: 0,
      errorStatus: 0,
      errorIndex: 0,
      errorStatusName: 'noError',
      report: null,
      reports: [],
      reportFailure: null,
      unanswered: 0,
      community: { first: 'p', length: 12 },
      userName: null,
      pduTypes: ['GetRequest', 'Response'],
      encrypted: 0,
      malformed: false,
    });
    expect(JSON.stringify(f)).not.toContain('R3ad');
  });

  it('v1 noSuchName (2) with its index', () => {
    const f = inspectSnmp([msg('c', get(7, 0)), msg('s', resp(7, 2, 1, 0))]);
    expect(f).toMatchObject({ version: 'v1', errorStatus: 2, errorIndex: 1, errorStatusName: 'noSuchName', unanswered: 0 });
  });

  it('the first non-zero error-status decides', () => {
    const f = inspectSnmp([msg('c', get(1)), msg('s', resp(1)), msg('c', get(2)), msg('s', resp(2, 16, 1)), msg('c', get(3)), msg('s', resp(3, 5, 2))]);
    expect(f).toMatchObject({ errorStatus: 16, errorIndex: 1, errorStatusName: 'authorizationError', requests: 3, responses: 3 });
  });

  it('wrong community: requests only (retries share the request-id)', () => {
    const f = inspectSnmp([msg('c', get(99, 1, 'wrong')), msg('c', get(99, 1, 'wrong')), msg('c', get(99, 1, 'wrong')), msg('c', get(100, 1, 'wrong'))]);
    expect(f).toMatchObject({ requests: 4, responses: 0, unanswered: 2, errorStatus: null, errorStatusName: null, community: { first: 'w', length: 5 } });
  });

  it('traps are counted apart and expect nothing', () => {
    const f = inspectSnmp([msg('c', snmp.community(0, 'public', snmp.trapV1())), msg('c', snmp.community(1, 'public', snmp.pdu(7, 5, 0, 0, snmp.varbind('1.3.6.1.2.1.1.3.0'))))]);
    expect(f).toMatchObject({ version: 'v1', requests: 0, traps: 2, unanswered: 0, pduTypes: ['Trap', 'SNMPv2-Trap'] });
    // an inform is confirmed: it wants a Response
    const inform = inspectSnmp([msg('c', snmp.community(1, 'public', snmp.pdu(6, 8)))]);
    expect(inform).toMatchObject({ requests: 1, unanswered: 1 });
  });

  it('GetBulk: non-repeaters and max-repetitions are not an error-status', () => {
    const f = inspectSnmp([msg('c', snmp.community(1, 'c', snmp.pdu(5, 3, 0, 10, snmp.varbind('1.3.6.1.2.1.2')))), msg('s', resp(3, 0, 0, 1, 'c'))]);
    expect(f).toMatchObject({ requests: 1, responses: 1, errorStatus: 0, pduTypes: ['GetBulkRequest', 'Response'] });
  });

  it('masks odd communities: empty, control character first', () => {
    expect(inspectSnmp([msg('c', get(1, 1, ''))])?.community).toEqual({ first: '', length: 0 });
    expect(inspectSnmp([msg('c', get(1, 1, '\npublic'))])?.community).toEqual({ first: '\\x0a', length: 7 });
  });
});

describe('inspectSnmp: v3', () => {
  it('engine discovery (UnknownEngineIDs), then success: not a failure', () => {
    const f = inspectSnmp([msg('c', get3(1, '', 0)), msg('s', report(1, 4)), msg('c', get3(2, 'panmon', 1)), msg('s', resp3(2, 'panmon', 1))]);
    expect(f).toEqual({
      version: 'v3',
      requests: 2,
      responses: 1,
      traps: 0,
      errorStatus: 0,
      errorIndex: 0,
      errorStatusName: 'noError',
      report: 'usmStatsUnknownEngineIDs',
      reports: ['usmStatsUnknownEngineIDs'],
      reportFailure: null,
      unanswered: 0,
      community: null,
      userName: 'panmon',
      pduTypes: ['GetRequest', 'Report', 'GetRequest', 'Response'],
      encrypted: 0,
      malformed: false,
    });
  });

  it('UnknownUserNames: a failure', () => {
    const f = inspectSnmp([msg('c', get3(1, '', 0)), msg('s', report(1, 4)), msg('c', get3(2, 'nosuchuser', 1)), msg('s', report(2, 3))]);
    expect(f).toMatchObject({ reports: ['usmStatsUnknownEngineIDs', 'usmStatsUnknownUserNames'], reportFailure: 'usmStatsUnknownUserNames', report: 'usmStatsUnknownUserNames', responses: 0, unanswered: 0, errorStatus: null, userName: 'nosuchuser' });
  });

  it('WrongDigests, DecryptionErrors, UnsupportedSecLevels and unknown counters are failures', () => {
    for (const [n, name] of [[5, 'usmStatsWrongDigests'], [6, 'usmStatsDecryptionErrors'], [1, 'usmStatsUnsupportedSecLevels']] as const) {
      expect(inspectSnmp([msg('c', get3(2, 'u', 1)), msg('s', report(2, n))])?.reportFailure).toBe(name);
    }
    const other = snmp.v3({ msgId: 4, flags: 0, pdu: snmp.pdu(8, 0, 0, 0, snmp.varbind('1.3.6.1.6.3.12.1.5.0')) });
    expect(inspectSnmp([msg('s', other)])?.reportFailure).toBe('snmpUnknownContexts');
    const odd = snmp.v3({ msgId: 4, flags: 0, pdu: snmp.pdu(8, 0, 0, 0, snmp.varbind('1.3.6.1.4.1.9.9.9.0')) });
    expect(inspectSnmp([msg('s', odd)])).toMatchObject({ reportFailure: '1.3.6.1.4.1.9.9.9.0', reports: ['1.3.6.1.4.1.9.9.9.0'] });
  });

  it('NotInTimeWindows followed by success is the time re-sync; not followed, a failure', () => {
    const steps = [msg('c', get3(1, '', 0)), msg('s', report(1, 4)), msg('c', get3(2, 'panmon', 1)), msg('s', report(2, 2)), msg('c', get3(3, 'panmon', 1))];
    const ok = inspectSnmp([...steps, msg('s', resp3(3, 'panmon', 1))]);
    expect(ok).toMatchObject({ reports: ['usmStatsUnknownEngineIDs', 'usmStatsNotInTimeWindows'], reportFailure: null, report: 'usmStatsNotInTimeWindows', responses: 1, unanswered: 0 });
    const stuck = inspectSnmp([...steps, msg('s', report(3, 2))]);
    expect(stuck).toMatchObject({ reports: ['usmStatsUnknownEngineIDs', 'usmStatsNotInTimeWindows', 'usmStatsNotInTimeWindows'], reportFailure: 'usmStatsNotInTimeWindows', responses: 0 });
    const silent = inspectSnmp(steps);
    expect(silent).toMatchObject({ reportFailure: 'usmStatsNotInTimeWindows', unanswered: 1 });
  });

  it('authPriv: the scopedPDU is encrypted; counted and matched by msgID', () => {
    const enc = (id: number, reportable: boolean) => snmp.v3({ msgId: id, flags: 3 | (reportable ? 4 : 0), user: 'panpriv', engineId: 'ENGINE', encrypted: ascii('ciphertext-bytes') });
    const f = inspectSnmp([msg('c', get3(1, '', 0)), msg('s', report(1, 4)), msg('c', enc(2, true)), msg('s', enc(2, false)), msg('c', enc(3, true))]);
    expect(f).toMatchObject({
      version: 'v3',
      requests: 3,
      responses: 1,
      unanswered: 1,
      encrypted: 3,
      errorStatus: null,
      userName: 'panpriv',
      pduTypes: ['GetRequest', 'Report', 'encrypted', 'encrypted', 'encrypted'],
      reportFailure: null,
    });
    expect(JSON.stringify(f)).not.toContain('ciphertext');
    // a v3 trap with privacy: not reportable, from the client
    expect(inspectSnmp([msg('c', enc(9, false))])).toMatchObject({ traps: 1, requests: 0, unanswered: 0 });
  });
});

describe('inspectSnmp: not SNMP, hostile bytes', () => {
  it('null when nothing parses; others flagged', () => {
    expect(inspectSnmp([])).toBeNull();
    expect(inspectSnmp([msg('c', ascii('hello'))])).toBeNull();
    expect(inspectSnmp([msg('c', seq(int(2), octets('x'), snmp.pdu(0, 1)))])).toBeNull(); // version 2 is not a thing
    expect(inspectSnmp([msg('c', seq(int(1), octets('x'), tlv(0xa9, seq())))])).toBeNull(); // no PDU [9]
    expect(inspectSnmp([msg('c', get(1).subarray(0, 20))])).toBeNull();
    expect(inspectSnmp([msg('c', ascii('x')), msg('c', get(1))])).toMatchObject({ requests: 1, malformed: true });
  });

  it('indefinite length and over-long lengths are refused', () => {
    expect(inspectSnmp([msg('c', bytes(0x30, 0x80, 0x02, 0x01, 0x01, 0x04, 0x00, 0xa0, 0x80, 0, 0, 0, 0))])).toBeNull();
    expect(inspectSnmp([msg('c', bytes(0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x02, 0x01, 0x01))])).toBeNull();
  });

  it('deep nesting: no exception, bounded time', () => {
    let b = int(1);
    for (let i = 0; i < 10_000; i++) b = seq(b);
    const t0 = performance.now();
    expect(inspectSnmp([msg('c', b), msg('c', seq(int(3), b, octets(''), b))])).toBeNull();
    expect(looksLikeSnmp(b)).toBe(false);
    expect(performance.now() - t0).toBeLessThan(500);
  });

  it('lists are capped, counts are not', () => {
    const f = inspectSnmp(Array.from({ length: 600 }, (_, i) => msg('c', get(i))));
    expect(f?.requests).toBe(600);
    expect(f?.unanswered).toBe(600);
    expect(f?.pduTypes).toHaveLength(32);
  });
});

describe('looksLikeSnmp', () => {
  it('v1, v2c, v3 requests and responses', () => {
    for (const b of [get(1, 0), get(1, 1), resp(1), get3(1, '', 0), report(1, 4), snmp.community(0, 'public', snmp.trapV1())]) expect(looksLikeSnmp(b)).toBe(true);
  });
  it('not LDAP, Kerberos or junk', () => {
    expect(looksLikeSnmp(ldap.msg(1, ldap.bindSimple('cn=x', 'y')))).toBe(false);
    expect(looksLikeSnmp(ldap.msg(1, ldap.searchRequest('dc=lab')))).toBe(false);
    expect(looksLikeSnmp(bytes(0x6a, 0x10, 0x30))).toBe(false);
    expect(looksLikeSnmp(seq(int(2), octets('x'), snmp.pdu(0, 1)))).toBe(false);
    expect(looksLikeSnmp(bytes(0x30, 0x03, 0x02, 0x01, 0x01))).toBe(false);
    expect(looksLikeSnmp(new Uint8Array(0))).toBe(false);
  });
});

describe('names', () => {
  it('RFC 3416 error-status names', () => {
    expect(SNMP_ERROR_STATUS_NAMES).toHaveLength(19);
    expect(snmpErrorStatusName(2)).toBe('noSuchName');
    expect(snmpErrorStatusName(6)).toBe('noAccess');
    expect(snmpErrorStatusName(16)).toBe('authorizationError');
    expect(snmpErrorStatusName(18)).toBe('inconsistentName');
    expect(snmpErrorStatusName(19)).toBeNull();
    expect(snmpErrorStatusName(-1)).toBeNull();
  });
});

// ---- recorded from Net-SNMP 5.9 (snmpd, snmpget) through a logging proxy -------------
// v1_nosuch
const V1_NOSUCH: Recorded = [
  ['c', '302f020100040c70616e2d523361644f6e6c79a01c02046105cd66020100020100300e300c06082b060102010163000500'],
  ['s', '302f020100040c70616e2d523361644f6e6c79a21c02046105cd66020102020101300e300c06082b060102010163000500'],
];
// v3_nouser
const V3_NOUSER: Recorded = [
  [
    'c',
    '303e02010330110204049b7339020300ffe30401040201030410300e0400020100020100040004000400301404000400a00e020478dc2224' +
    '0201000201003000',
  ],
  [
    's',
    '307102010330110204049b7339020300ffe30401000201030421301f041180001f8880bffabf393390086b00000000020101020105040004' +
    '0004003036041180001f8880bffabf393390086b000000000400a81f020478dc22240201000201003011300f060a2b060106030f01010400' +
    '410103',
  ],
  [
    'c',
    '30818402010330110204049b7338020300ffe304010502010304373035041180001f8880bffabf393390086b00000000020101020105040a' +
    '6e6f7375636875736572040c059b14a72425c294ac6aac1104003033041180001f8880bffabf393390086b000000000400a01c020478dc22' +
    '23020100020100300e300c06082b060102010101000500',
  ],
  [
    's',
    '307b02010330110204049b7338020300ffe3040100020103042b3029041180001f8880bffabf393390086b00000000020101020105040a6e' +
    '6f7375636875736572040004003036041180001f8880bffabf393390086b000000000400a81f020478dc22230201000201003011300f060a' +
    '2b060106030f01010300410101',
  ],
];
// v3_priv
const V3_PRIV: Recorded = [
  [
    'c',
    '303e020103301102044553cf33020300ffe30401040201030410300e0400020100020100040004000400301404000400a00e02040b45b447' +
    '0201000201003000',
  ],
  [
    's',
    '3071020103301102044553cf33020300ffe30401000201030421301f041180001f8880bffabf393390086b00000000020101020105040004' +
    '0004003036041180001f8880bffabf393390086b000000000400a81f02040b45b4470201000201003011300f060a2b060106030f01010400' +
    '410101',
  ],
  [
    'c',
    '30818a020103301102044553cf32020300ffe3040107020103043b3039041180001f8880bffabf393390086b000000000201010201050406' +
    '70616e6d6f6e040c38fcca2ae4881fcb05f08cb1040899e66eaa821aba5a0435b3deaa216f43a139fbdc16898c0443b973422df856955d60' +
    'e7ceb0582f0379cf96891c4dcdf60d35d09e95dcf61d8f4c8db8537d02',
  ],
  [
    's',
    '3081c3020103301102044553cf32020300ffe3040103020103043b3039041180001f8880bffabf393390086b000000000201010201050406' +
    '70616e6d6f6e040c64db38c7f3cfc890d7697be20408ea6280327d6a6b64046ea389e63d834bf2675ff3293f774e7798489da9c4a30913bc' +
    '6a759d94d2bb60359151f8679eb941cc11ce6eac527db18d7cbf0e33b80afefe4bc64ec0800b0ae3567b85c4926ac7723563ed10bb6be475' +
    '7735888fb6b2546116fd63a63768ef82a890add6dad97fea3ea5e1b9bdbd',
  ],
];

describe('recorded Net-SNMP exchanges', () => {
  it('v1 get of a missing object: noSuchName', () => {
    expect(inspectSnmp(datagrams(V1_NOSUCH))).toMatchObject({ version: 'v1', errorStatus: 2, errorIndex: 1, errorStatusName: 'noSuchName', community: { first: 'p', length: 12 } });
  });
  it('v3 with an unknown user: discovery, then usmStatsUnknownUserNames', () => {
    expect(inspectSnmp(datagrams(V3_NOUSER))).toMatchObject({
      version: 'v3',
      requests: 2,
      responses: 0,
      unanswered: 0,
      reports: ['usmStatsUnknownEngineIDs', 'usmStatsUnknownUserNames'],
      reportFailure: 'usmStatsUnknownUserNames',
      userName: 'nosuchuser',
    });
  });
  it('v3 authPriv: discovery, then an encrypted get and response', () => {
    expect(inspectSnmp(datagrams(V3_PRIV))).toMatchObject({ requests: 2, responses: 1, unanswered: 0, encrypted: 2, reportFailure: null, userName: 'panmon', pduTypes: ['GetRequest', 'Report', 'encrypted', 'encrypted'] });
  });
});
