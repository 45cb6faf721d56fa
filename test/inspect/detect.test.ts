// Content detection: from the first bytes, never from ports.
import { describe, expect, it } from 'vitest';
import { DATAGRAM_DETECTORS, DETECT_BYTES, DETECTORS, detectApp, type Detector } from '../../src/inspect/detect.js';
import { emptyStream } from '../../src/inspect/stream.js';
import { ascii, clientHello, CT, flow, record, serverHello } from './tls-build.js';

const CH = record(CT.handshake, clientHello({ sni: 'x.test' }), 0x0301);
const SH = record(CT.handshake, serverHello());

describe('detectApp', () => {
  it('shows each detector at most DETECT_BYTES of a side, and all of a shorter side', () => {
    const seen: number[] = [];
    const probe: Detector = { app: 'http', client: (b) => (seen.push(b.length), false), server: (b) => (seen.push(b.length), false), serverFirst: true };
    const long = new Uint8Array(DETECT_BYTES + 100).fill(0x41);
    const short = new Uint8Array(10).fill(0x42);
    expect(detectApp({ client: { ...emptyStream(), bytes: long }, server: { ...emptyStream(), bytes: short } }, [probe, probe])).toBeNull();
    expect(seen).toEqual([DETECT_BYTES, 10, DETECT_BYTES, 10]);
    seen.length = 0;
    expect(detectApp({ client: emptyStream(), server: { ...emptyStream(), bytes: new Uint8Array(DETECT_BYTES).fill(1) } }, [probe])).toBeNull();
    expect(seen).toEqual([DETECT_BYTES]);
  });

  it('recognises TLS, SSH and HTTP from the client\'s first bytes', () => {
    expect(detectApp(flow([['c', CH], ['s', SH]]))).toBe('tls');
    expect(detectApp(flow([['c', ascii('SSH-2.0-x\r\n')]]))).toBe('ssh');
    expect(detectApp(flow([['c', ascii('GET / HTTP/1.1\r\n')]]))).toBe('http');
  });

  it('recognises SSH from the server\'s greeting whatever the client sent', () => {
    expect(detectApp(flow([['s', ascii('SSH-2.0-OpenSSH_9.2\r\n')], ['c', ascii('\x00\x01garbage')]]))).toBe('ssh');
  });

  it('uses the server side of other protocols only when the client sent nothing', () => {
    expect(detectApp(flow([['s', SH]]))).toBe('tls');
    expect(detectApp(flow([['s', ascii('HTTP/1.1 200 OK\r\n')]]))).toBe('http');
    expect(detectApp(flow([['c', ascii('\x00\x01garbage')], ['s', SH]]))).toBeNull();
    expect(detectApp(flow([['c', ascii('\x00\x01garbage')], ['s', ascii('HTTP/1.1 200 OK\r\n')]]))).toBeNull();
  });

  it('gives null for nothing, random bytes and other protocols', () => {
    expect(detectApp({ client: emptyStream(), server: emptyStream() })).toBeNull();
    expect(detectApp(flow([['c', ascii('HA1 hello seq=1\n')], ['s', ascii('ack HA1\n')]]))).toBeNull();
    let x = 0x2545f491; // xorshift32: the same "random" bytes every run
    const noise = () => Uint8Array.from({ length: 64 }, () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x & 0xff));
    let hits = 0;
    for (let i = 0; i < 2000; i++) if (detectApp(flow([['c', noise()], ['s', noise()]])) !== null) hits++;
    expect(hits).toBe(0);
  });

  it('tries detectors in table order and accepts another table', () => {
    expect(DETECTORS.map((d) => d.app)).toEqual(['tls', 'ssh', 'http', 'ldap', 'kerberos', 'dcerpc', 'syslog']);
    expect(DATAGRAM_DETECTORS.map((d) => d.app)).toEqual(['kerberos', 'snmp', 'ldap', 'radius', 'syslog', 'ntp']);
    const always: Detector = { app: 'http', client: () => true, server: null, serverFirst: false };
    expect(detectApp(flow([['c', CH]]), [always, ...DETECTORS])).toBe('http');
  });
});
