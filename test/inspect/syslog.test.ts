// Syslog (RFC 5424, RFC 3164, RFC 6587 framing) on hand-built messages.
import { describe, expect, it } from 'vitest';
import type { AppMessage } from '../../src/inspect/datagram.js';
import { inspectSyslogMessages, inspectSyslogStream, looksLikeSyslog, SYSLOG_USERID_MAX_BYTES } from '../../src/inspect/syslog.js';
import { ascii, flow } from './tls-build.js';

const RFC5424 = '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3"] An application event';
const RFC3164 = "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8";
const PANOS = '<12>Apr 14 16:48:54 paloalto.test.net 1,2020/04/14 16:48:54,unknown,SYSTEM,auth,0';

const dgram = (s: string | Uint8Array, wireLength?: number, from: 'client' | 'server' = 'client'): AppMessage => {
  const bytes = typeof s === 'string' ? ascii(s) : s;
  return { from, bytes, wireLength: wireLength ?? bytes.length, timeMs: 0 };
};

const UDP_BASE = {
  format: 'unknown',
  mixed: false,
  framing: null,
  messages: 0,
  oversize: 0,
  partial: 0,
  facility: null,
  severity: null,
  facilityName: null,
  severityName: null,
  hostname: null,
  appName: null,
  split: 0,
  noPri: 0,
  badFrames: 0,
};

describe('inspectSyslogMessages (UDP)', () => {
  it('reads an RFC 5424 message', () => {
    expect(inspectSyslogMessages([dgram(RFC5424)])).toEqual({
      ...UDP_BASE,
      format: 'rfc5424',
      messages: 1,
      facility: 20,
      severity: 5,
      facilityName: 'local4',
      severityName: 'notice',
      hostname: 'mymachine.example.com',
      appName: 'evntslog',
    });
    expect(inspectSyslogMessages([dgram('<14>1 - - - - - - hi')])).toMatchObject({ format: 'rfc5424', hostname: null, appName: null });
  });

  it('reads BSD messages with and without a HOSTNAME', () => {
    expect(inspectSyslogMessages([dgram(RFC3164), dgram(RFC3164)])).toEqual({
      ...UDP_BASE,
      format: 'rfc3164',
      messages: 2,
      facility: 4,
      severity: 2,
      facilityName: 'auth',
      severityName: 'crit',
      hostname: 'mymachine',
      appName: 'su',
    });
    expect(inspectSyslogMessages([dgram('<13>Feb  5 10:00:00 myprog[123]: hello')])).toMatchObject({ format: 'rfc3164', hostname: null, appName: 'myprog' });
    expect(inspectSyslogMessages([dgram(PANOS)])).toMatchObject({ format: 'rfc3164', hostname: 'paloalto.test.net', appName: null, facilityName: 'user', severityName: 'warning' });
    // rsyslog's forwarding format: an RFC 3339 timestamp in the BSD layout, no version
    expect(inspectSyslogMessages([dgram('<30>2024-03-01T10:00:00.123456+00:00 gw sshd[42]: Accepted')])).toMatchObject({ format: 'rfc3164', hostname: 'gw', appName: 'sshd' });
  });

  it('says unknown for a PRI followed by neither format, and flags mixed formats', () => {
    expect(inspectSyslogMessages([dgram('<13>hello world')])).toMatchObject({ format: 'unknown', messages: 1, facility: 1, severity: 5, hostname: null });
    expect(inspectSyslogMessages([dgram(RFC5424), dgram(RFC3164), dgram(RFC5424)])).toMatchObject({ format: 'rfc5424', mixed: true, messages: 3 });
  });

  it('counts messages over 8000 bytes by their wire length', () => {
    expect(SYSLOG_USERID_MAX_BYTES).toBe(8000);
    const big = RFC3164 + ' ' + 'x'.repeat(8100 - RFC3164.length - 1);
    expect(big.length).toBe(8100);
    expect(inspectSyslogMessages([dgram(big), dgram(RFC3164)])).toMatchObject({ messages: 2, oversize: 1 });
    // cut by the snaplen: still counted with its wire length
    expect(inspectSyslogMessages([dgram(big.slice(0, 1500), 8100)])).toMatchObject({ messages: 1, oversize: 1, format: 'rfc3164' });
    expect(inspectSyslogMessages([dgram('x'.repeat(8000))])).toMatchObject({ oversize: 0, noPri: 1 });
  });

  it('counts datagrams without a PRI after a message as split', () => {
    const f = inspectSyslogMessages([dgram(RFC3164), dgram('rest of the message'), dgram('and more'), dgram(RFC5424), dgram('tail')]);
    expect(f).toMatchObject({ messages: 5, split: 3, noPri: 3, mixed: true });
    // with no message before them they are only PRI-less
    expect(inspectSyslogMessages([dgram('plain text'), dgram('more text')])).toEqual({ ...UDP_BASE, messages: 2, noPri: 2 });
    // each side continues its own messages
    expect(inspectSyslogMessages([dgram(RFC3164), dgram('reply', undefined, 'server')])).toMatchObject({ split: 0, noPri: 1 });
  });

  it('is null without datagrams', () => {
    expect(inspectSyslogMessages([])).toBeNull();
  });
});

const TCP_BASE = { ...UDP_BASE, framing: 'lf' };
const octet = (s: string) => `${s.length} ${s}`;

describe('inspectSyslogStream (TCP)', () => {
  it('reads octet-counted frames', () => {
    const p = flow([['c', ascii(octet(RFC5424) + octet(RFC5424) + octet(RFC3164))]]);
    expect(inspectSyslogStream(p)).toEqual({
      ...TCP_BASE,
      framing: 'octet-counted',
      format: 'rfc5424',
      mixed: true,
      messages: 3,
      facility: 20,
      severity: 5,
      facilityName: 'local4',
      severityName: 'notice',
      hostname: 'mymachine.example.com',
      appName: 'evntslog',
    });
  });

  it('reads LF, CR LF and NUL framing', () => {
    const p = flow([['c', ascii(`${RFC3164}\n${RFC3164}\r\n\n${RFC3164}\x00`)]], { truncated: false });
    expect(inspectSyslogStream(p)).toMatchObject({ framing: 'lf', format: 'rfc3164', messages: 3, partial: 0, mixed: false });
  });

  it('counts a message cut at the end of the prefix as partial', () => {
    const lf = ascii(`${RFC3164}\n${RFC3164.slice(0, 30)}`);
    expect(inspectSyslogStream(flow([['c', lf]], { truncated: true }))).toMatchObject({ messages: 2, partial: 1 });
    // the stream ended (not cut): an unterminated last message is whole
    expect(inspectSyslogStream(flow([['c', lf]], { truncated: false }))).toMatchObject({ messages: 2, partial: 0 });
    const oc = ascii(octet(RFC5424) + octet(RFC5424).slice(0, 40));
    expect(inspectSyslogStream(flow([['c', oc]]))).toMatchObject({ framing: 'octet-counted', messages: 2, partial: 1 });
    expect(inspectSyslogStream(flow([['c', ascii(octet(RFC5424) + '12')]]))).toMatchObject({ messages: 2, partial: 1 });
  });

  it('counts messages over 8000 bytes, by the octet count when cut', () => {
    const big = RFC5424 + ' ' + 'y'.repeat(8100 - RFC5424.length - 1);
    expect(inspectSyslogStream(flow([['c', ascii(`${big}\n${RFC5424}\n`)]]))).toMatchObject({ messages: 2, oversize: 1 });
    expect(inspectSyslogStream(flow([['c', ascii(octet(big) + octet(RFC5424))]]))).toMatchObject({ messages: 2, oversize: 1, partial: 0 });
    expect(inspectSyslogStream(flow([['c', ascii(`9000 ${RFC5424}`)]], { truncated: true }))).toMatchObject({ messages: 1, oversize: 1, partial: 1, format: 'rfc5424' });
  });

  it('stops at a bad frame header and at an over-long MSG-LEN', () => {
    expect(inspectSyslogStream(flow([['c', ascii(octet(RFC5424) + 'xx ' + RFC5424)]]))).toMatchObject({ messages: 1, badFrames: 1 });
    expect(inspectSyslogStream(flow([['c', ascii('1234567890 <13>x')]]))).toMatchObject({ messages: 0, badFrames: 1 });
    expect(inspectSyslogStream(flow([['c', ascii(octet(RFC5424) + '\n' + octet(RFC3164))]]))).toMatchObject({ messages: 2, badFrames: 0 });
  });

  it('counts LF-split lines without a PRI', () => {
    expect(inspectSyslogStream(flow([['c', ascii(`${RFC3164}\nsecond line\n`)]]))).toMatchObject({ messages: 2, noPri: 1, split: 0 });
  });

  it('is null for an empty client stream', () => {
    expect(inspectSyslogStream(flow([['s', ascii('x')]]))).toBeNull();
  });
});

describe('looksLikeSyslog', () => {
  it('takes a PRI and a printable byte, or octet counting', () => {
    for (const s of [RFC5424, RFC3164, PANOS, '<0>x', octet(RFC5424), '<191>1 - - - - - -']) expect(looksLikeSyslog(ascii(s)), s).toBe(true);
  });

  it('refuses the rest', () => {
    for (const s of ['<192>x', '<13>', '<13>\x01', '<1a>x', '<1234>x', 'hello', '12<13>x', '0 <13>x', '', 'GET / HTTP/1.1']) expect(looksLikeSyslog(ascii(s)), s).toBe(false);
  });
});
