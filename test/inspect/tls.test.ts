// TLS decoder on hand-built sessions: hellos and their extensions, certificates, handshake
// messages split across records and records split across segments, ChangeCipherSpec and
// alerts, TLS 1.2 and 1.3 completion rules, truncation at every byte, malformed records.
import { describe, expect, it } from 'vitest';
import { alertDescriptionName, cipherSuiteName, inspectTls, looksLikeTls, tlsVersionName, type TlsFacts } from '../../src/inspect/tls.js';
import type { FlowPayload } from '../../src/inspect/stream.js';
import {
  alert,
  ascii,
  be16,
  bytes,
  cat,
  ccs,
  certDer,
  certificate,
  certificateRequest,
  clientHello,
  clientKeyExchange,
  CT,
  cut,
  encryptedFinished,
  extension,
  flow,
  fragment,
  opaque,
  record,
  serverHello,
  serverHelloDone,
  type Step,
} from './tls-build.js';

const AT = Date.UTC(2026, 0, 1); // daysLeft reference for every test here
const tls = (p: FlowPayload): TlsFacts => inspectTls(p, { atMs: AT });

const CH = clientHello({ sni: 'fw1.example.test', alpn: ['h2', 'http/1.1'] });
const SERVER_FLIGHT = cat(serverHello({ cipher: 0xc02f, alpn: 'h2' }), certificate([certDer('valid'), certDer('expired')]), serverHelloDone());

/** A full TLS 1.2 handshake (RSA key exchange shape), with `split` applied to each flight. */
function tls12Steps(o: { recordSize?: number; segment?: number } = {}): Step[] {
  const hs = (body: Uint8Array) => (o.recordSize ? fragment(CT.handshake, body, o.recordSize) : record(CT.handshake, body));
  const seg = o.segment;
  const step = (dir: 'c' | 's', b: Uint8Array): Step => (seg ? [dir, b, seg] : [dir, b]);
  return [
    step('c', hs(CH)),
    step('s', hs(SERVER_FLIGHT)),
    step('c', cat(hs(clientKeyExchange()), ccs(), encryptedFinished())),
    step('s', cat(ccs(), encryptedFinished())),
  ];
}

const TLS12_EXPECTED = {
  version: 'TLS 1.2',
  clientVersion: 'TLS 1.2',
  sni: 'fw1.example.test',
  alpn: ['h2', 'http/1.1'],
  alpnSelected: 'h2',
  cipher: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  established: true,
  alert: null,
  alerts: [],
  clientCertificate: null,
  certificateRequested: false,
  clientHelloSeen: true,
  serverHelloSeen: true,
  helloRetryRequest: false,
  incomplete: false,
  malformed: false,
};

/** A TLS 1.3 handshake as OpenSSL sends it (compatibility CCS on both sides). */
function tls13Steps(cipher = 0x1301): Step[] {
  return [
    ['c', record(CT.handshake, clientHello({ sni: 'panorama.test', alpn: ['h2'], versions: [0x0a0a, 0x0304, 0x0303] }), 0x0301)],
    ['s', cat(record(CT.handshake, serverHello({ version: 0x0304, cipher })), ccs(), opaque(CT.appData, 1200))],
    ['c', cat(ccs(), opaque(CT.appData, 53))],
    ['s', opaque(CT.appData, 250)], // NewSessionTicket
  ];
}

describe('TLS 1.2 handshake', () => {
  it('reads hellos, cipher, ALPN, the certificate chain and sees it established', () => {
    const f = tls(flow(tls12Steps()));
    expect(f).toMatchObject(TLS12_EXPECTED);
    expect(f.serverCertificate).toMatchObject({
      parsed: true,
      subject: 'CN=valid.pantap.test,O=Pantap Lab,C=US',
      notAfter: '2099-12-31T23:59:59Z',
      chainLength: 2,
    });
  });

  it('gives the same facts when messages span records and records span 1..7-byte segments', () => {
    const whole = tls(flow(tls12Steps()));
    for (const recordSize of [1, 3, 64, 700]) {
      for (const segment of [1, 2, 7]) {
        expect(tls(flow(tls12Steps({ recordSize, segment })))).toEqual(whole);
      }
    }
  });

  it('reads several messages from one record and one message from several records', () => {
    // ServerHello + Certificate + ServerHelloDone in one record; CH split 5 ways
    const steps: Step[] = [
      ['c', fragment(CT.handshake, CH, Math.ceil(CH.length / 5))],
      ['s', record(CT.handshake, SERVER_FLIGHT)],
    ];
    const f = tls(flow(steps));
    expect(f.sni).toBe('fw1.example.test');
    expect(f.serverCertificate?.subject).toBe('CN=valid.pantap.test,O=Pantap Lab,C=US');
    expect(f.incomplete).toBe(true);
    expect(f.established).toBe(false);
  });

  it('needs CCS and a complete record after it from both sides', () => {
    const steps = tls12Steps();
    steps[3] = ['s', ccs()]; // server's Finished missing
    expect(tls(flow(steps))).toMatchObject({ established: false, incomplete: true });
    steps[3] = ['s', cat(ccs(), encryptedFinished())];
    steps[2] = ['c', record(CT.handshake, clientKeyExchange())]; // no client CCS
    expect(tls(flow(steps))).toMatchObject({ established: false, incomplete: true });
  });

  it('reads the client certificate and the server request for it', () => {
    const steps: Step[] = [
      ['c', record(CT.handshake, CH)],
      ['s', record(CT.handshake, cat(SERVER_FLIGHT.subarray(0, SERVER_FLIGHT.length - 4), certificateRequest(), serverHelloDone()))],
      ['c', cat(record(CT.handshake, cat(certificate([certDer('special')]), clientKeyExchange())), ccs(), encryptedFinished())],
      ['s', cat(ccs(), encryptedFinished())],
    ];
    const f = tls(flow(steps));
    expect(f.certificateRequested).toBe(true);
    expect(f.clientCertificate).toMatchObject({ subject: 'CN=a\\,b\\+c,OU=\\#1 \\<ops\\>\\; \\"x\\",O=Example\\, Inc.,C=US', chainLength: 1 });
    expect(f.serverCertificate?.subject).toBe('CN=valid.pantap.test,O=Pantap Lab,C=US');
    expect(f.established).toBe(true);
  });

  it('treats an empty client Certificate as no certificate', () => {
    const steps: Step[] = [
      ['c', record(CT.handshake, CH)],
      ['s', record(CT.handshake, SERVER_FLIGHT)],
      ['c', record(CT.handshake, certificate([]))],
    ];
    const f = tls(flow(steps));
    expect(f.clientCertificate).toBeNull();
    expect(f.malformed).toBe(false);
  });

  it('reads no certificate from the encrypted handshake records after a CCS', () => {
    const steps: Step[] = [
      ['c', record(CT.handshake, CH)],
      ['s', cat(record(CT.handshake, serverHello()), ccs(), record(CT.handshake, certificate([certDer('valid')])))],
      ['c', cat(ccs(), record(CT.handshake, certificate([certDer('valid')])))],
    ];
    const f = tls(flow(steps));
    expect(f.serverCertificate).toBeNull();
    expect(f.clientCertificate).toBeNull();
    // the same messages before the CCS are read
    const clear: Step[] = [steps[0], ['s', record(CT.handshake, cat(serverHello(), certificate([certDer('valid')])))], ['c', record(CT.handshake, certificate([certDer('valid')]))]];
    expect(tls(flow(clear))).toMatchObject({ serverCertificate: { parsed: true }, clientCertificate: { parsed: true } });
  });
});

describe('alerts', () => {
  it('reports a plaintext fatal alert with its sender and ends the handshake', () => {
    const f = tls(flow([['c', record(CT.handshake, CH)], ['s', alert(2, 40)]]));
    expect(f.alert).toEqual({ encrypted: false, from: 'server', level: 'fatal', description: 'handshake_failure', code: 40 });
    expect(f).toMatchObject({ established: false, incomplete: false, serverHelloSeen: false });
  });

  it('keeps a warning alert without ending the handshake', () => {
    const steps = tls12Steps();
    steps[1] = ['s', cat(alert(1, 112), record(CT.handshake, SERVER_FLIGHT))];
    const f = tls(flow(steps));
    expect(f.alert).toEqual({ encrypted: false, from: 'server', level: 'warning', description: 'unrecognized_name', code: 112 });
    expect(f.established).toBe(true);
    expect(tls(flow(steps.slice(0, 2)))).toMatchObject({ incomplete: true }); // a warning alone does not end it
  });

  it('ends the handshake on a plaintext close_notify', () => {
    const f = tls(flow([['c', cat(record(CT.handshake, CH), alert(1, 0))]]));
    expect(f).toMatchObject({ incomplete: false, alert: { description: 'close_notify', from: 'client', level: 'warning' } });
  });

  it('prefers the first fatal alert over an earlier warning, and lists all in record order', () => {
    const f = tls(flow([['c', record(CT.handshake, CH)], ['s', alert(1, 112)], ['c', alert(2, 48)]]));
    expect(f.alert).toMatchObject({ from: 'client', description: 'unknown_ca' });
    expect(f.alerts.map((a) => a.from)).toEqual(['server', 'client']);
  });

  it('orders alerts of both directions by record number, not by direction', () => {
    const f = tls(flow([['c', record(CT.handshake, CH)], ['s', alert(1, 100)], ['c', alert(1, 90)]]));
    expect(f.alerts.map((a) => (a.encrypted ? '?' : a.description))).toEqual(['no_renegotiation', 'user_canceled']);
  });

  it('reads alerts coalesced in one TLS 1.2 record', () => {
    const f = tls(flow([['c', record(CT.handshake, CH)], ['s', record(CT.alert, bytes(1, 112, 2, 40))]]));
    expect(f.alerts.map((a) => (a.encrypted ? '?' : a.code))).toEqual([112, 40]);
  });

  it('reports an alert after its sender\'s ChangeCipherSpec as encrypted (TLS 1.2)', () => {
    const steps = tls12Steps();
    steps.push(['c', opaque(CT.alert, 26)]);
    const f = tls(flow(steps));
    expect(f.alert).toEqual({ encrypted: true, from: 'client', byLength: false });
    expect(f.established).toBe(true);
    // before the client's CCS a 2-byte alert is plaintext even after the server's CCS
    const early: Step[] = [...tls12Steps().slice(0, 2), ['s', ccs()], ['c', alert(2, 51)]];
    expect(tls(flow(early)).alert).toMatchObject({ encrypted: false, from: 'client', description: 'decrypt_error' });
  });

  it('names every alert description of RFC 8446, RFC 5246 and SSL 3.0', () => {
    const names: Record<number, string> = {
      0: 'close_notify', 10: 'unexpected_message', 20: 'bad_record_mac', 21: 'decryption_failed', 22: 'record_overflow',
      30: 'decompression_failure', 40: 'handshake_failure', 41: 'no_certificate', 42: 'bad_certificate',
      43: 'unsupported_certificate', 44: 'certificate_revoked', 45: 'certificate_expired', 46: 'certificate_unknown',
      47: 'illegal_parameter', 48: 'unknown_ca', 49: 'access_denied', 50: 'decode_error', 51: 'decrypt_error',
      60: 'export_restriction', 70: 'protocol_version', 71: 'insufficient_security', 80: 'internal_error',
      86: 'inappropriate_fallback', 90: 'user_canceled', 100: 'no_renegotiation', 109: 'missing_extension',
      110: 'unsupported_extension', 112: 'unrecognized_name', 113: 'bad_certificate_status_response',
      115: 'unknown_psk_identity', 116: 'certificate_required', 120: 'no_application_protocol',
    };
    for (const [code, name] of Object.entries(names)) {
      expect(alertDescriptionName(Number(code))).toBe(name);
      const f = tls(flow([['c', record(CT.handshake, CH)], ['s', alert(2, Number(code))]]));
      expect(f.alert).toMatchObject({ encrypted: false, description: name, code: Number(code) });
    }
    expect(alertDescriptionName(200)).toBe('unknown_200');
    expect(tls(flow([['s', alert(7, 0)]])).alert).toMatchObject({ level: 'unknown' });
  });
});

describe('TLS 1.3', () => {
  it('is established when the server sends after the client\'s first encrypted record', () => {
    const f = tls(flow(tls13Steps()));
    expect(f).toMatchObject({
      version: 'TLS 1.3',
      clientVersion: 'TLS 1.3',
      sni: 'panorama.test',
      alpn: ['h2'],
      alpnSelected: null,
      cipher: 'TLS_AES_128_GCM_SHA256',
      established: true,
      alert: null,
      serverCertificate: null,
      incomplete: false,
    });
  });

  it('is not established before the server answers the client\'s Finished', () => {
    const f = tls(flow(tls13Steps().slice(0, 3)));
    expect(f).toMatchObject({ established: false, incomplete: true });
  });

  it('orders the two directions by record number', () => {
    const [ch, sh, fin, nst] = tls13Steps();
    // the same bytes, but the server's last record travelled before the client's Finished
    expect(tls(flow([ch, sh, nst, fin])).established).toBe(false);
    expect(tls(flow([ch, sh, fin, nst])).established).toBe(true);
  });

  it('does not count 0-RTT early data (sent before the ServerHello) as the client\'s encrypted record', () => {
    const [ch, sh, , nst] = tls13Steps();
    const early: Step = ['c', cat(ch[1], opaque(CT.appData, 100))];
    expect(tls(flow([early, sh, nst])).established).toBe(false);
  });

  it('sees an encrypted alert by its size when it ends a direction', () => {
    const [ch, sh] = tls13Steps();
    const rejected: Step[] = [ch, sh, ['c', cat(ccs(), opaque(CT.appData, 19))]];
    const f = tls(flow(rejected));
    expect(f).toMatchObject({ established: false, incomplete: false, alert: { encrypted: true, from: 'client', byLength: true } });
    // the same bytes when the prefix was cut: nothing can be said
    expect(tls(flow(rejected, { truncated: true }))).toMatchObject({ alert: null, incomplete: true });
    // CCM_8 has an 8-byte tag: 11 bytes
    const [ch8, sh8] = tls13Steps(0x1305);
    expect(tls(flow([ch8, sh8, ['c', opaque(CT.appData, 11)]])).alert).toMatchObject({ byLength: true });
    expect(tls(flow([ch8, sh8, ['c', opaque(CT.appData, 19)]])).alert).toBeNull();
  });

  it('is not established when the server only answers with an alert (client certificate refused)', () => {
    const [ch, sh, fin] = tls13Steps();
    const f = tls(flow([ch, sh, fin, ['s', opaque(CT.appData, 19)]]));
    expect(f).toMatchObject({ established: false, incomplete: false, alert: { encrypted: true, from: 'server', byLength: true } });
  });

  it('keeps established when both sides end with close_notify', () => {
    const f = tls(flow([...tls13Steps(), ['c', opaque(CT.appData, 19)], ['s', opaque(CT.appData, 19)]]));
    expect(f.established).toBe(true);
    expect(f.alerts).toEqual([
      { encrypted: true, from: 'client', byLength: true },
      { encrypted: true, from: 'server', byLength: true },
    ]);
  });

  it('orders by the packet that carried the ServerHello\'s first byte when it spans records and segments', () => {
    const [ch, , fin, nst] = tls13Steps();
    const sh: Step = ['s', cat(fragment(CT.handshake, serverHello({ version: 0x0304, cipher: 0x1301 }), 9), ccs(), opaque(CT.appData, 1200)), 4];
    expect(tls(flow([ch, sh, fin, nst]))).toMatchObject({ established: true, serverHelloSeen: true, version: 'TLS 1.3' });
    // client records carried before the ServerHello do not count
    expect(tls(flow([ch, fin, sh, nst])).established).toBe(false);
  });

  it('reads a plaintext alert sent after the ServerHello', () => {
    const [ch, sh] = tls13Steps();
    const f = tls(flow([ch, sh, ['c', alert(2, 48)]]));
    expect(f).toMatchObject({ established: false, incomplete: false, alert: { encrypted: false, description: 'unknown_ca', from: 'client' } });
  });

  it('reads plaintext alerts sent after a compatibility CCS (it starts no encryption in TLS 1.3)', () => {
    const ch = clientHello({ versions: [0x0304] });
    const steps: Step[] = [
      ['c', record(CT.handshake, ch)],
      ['s', cat(record(CT.handshake, serverHello({ version: 0x0304, helloRetry: true })), ccs())],
      ['c', cat(ccs(), record(CT.handshake, ch))],
      ['s', alert(2, 47)],
    ];
    expect(tls(flow(steps)).alert).toEqual({ encrypted: false, from: 'server', level: 'fatal', description: 'illegal_parameter', code: 47 });
    steps[3] = ['c', alert(2, 40)];
    expect(tls(flow(steps)).alert).toEqual({ encrypted: false, from: 'client', level: 'fatal', description: 'handshake_failure', code: 40 });
  });

  it('follows a HelloRetryRequest to the real ServerHello', () => {
    const ch = clientHello({ versions: [0x0304], sni: 'x.test' });
    const steps: Step[] = [
      ['c', record(CT.handshake, ch, 0x0301)],
      ['s', cat(record(CT.handshake, serverHello({ version: 0x0304, cipher: 0x1302, helloRetry: true })), ccs())],
      ['c', cat(ccs(), record(CT.handshake, ch))],
      ['s', cat(record(CT.handshake, serverHello({ version: 0x0304, cipher: 0x1303 })), opaque(CT.appData, 900))],
      ['c', opaque(CT.appData, 69)],
      ['s', opaque(CT.appData, 300)],
    ];
    expect(tls(flow(steps))).toMatchObject({
      helloRetryRequest: true,
      serverHelloSeen: true,
      version: 'TLS 1.3',
      cipher: 'TLS_CHACHA20_POLY1305_SHA256',
      established: true,
    });
    expect(tls(flow(steps.slice(0, 3)))).toMatchObject({
      helloRetryRequest: true,
      serverHelloSeen: false,
      version: 'TLS 1.3',
      cipher: null,
      incomplete: true,
    });
  });
});

describe('versions and cipher suites', () => {
  const hello = (sh: Uint8Array, ch = CH) => tls(flow([['c', record(CT.handshake, ch)], ['s', record(CT.handshake, sh)]]));

  it('takes the version from supported_versions, else from the ServerHello, else the client offer', () => {
    expect(hello(serverHello({ version: 0x0304, legacyVersion: 0x0303 })).version).toBe('TLS 1.3');
    expect(hello(serverHello({ legacyVersion: 0x0302 })).version).toBe('TLS 1.1');
    const offer = (o: Parameters<typeof clientHello>[0]) => tls(flow([['c', record(CT.handshake, clientHello(o))]]));
    expect(offer({ versions: [0x0303, 0x0304, 0x1a1a] })).toMatchObject({ version: 'TLS 1.3', clientVersion: 'TLS 1.3' });
    expect(offer({ legacyVersion: 0x0301, noExtensions: true })).toMatchObject({ version: 'TLS 1.0', clientVersion: 'TLS 1.0' });
    expect(offer({ versions: [0x7f1c] }).clientVersion).toBe('TLS 1.3'); // draft 28
    expect(offer({ versions: [0x0a0a] }).clientVersion).toBeNull(); // GREASE only
  });

  it('reads SSL 3.0 hellos without extensions', () => {
    const ch = clientHello({ legacyVersion: 0x0300, noExtensions: true });
    const sh = serverHello({ legacyVersion: 0x0300, cipher: 0x000a, noExtensions: true });
    const f = tls(flow([['c', record(CT.handshake, ch, 0x0300)], ['s', record(CT.handshake, sh, 0x0300)]]));
    expect(f).toMatchObject({ version: 'SSL 3.0', cipher: 'TLS_RSA_WITH_3DES_EDE_CBC_SHA', malformed: false, sni: null, alpn: [] });
  });

  it('names cipher suites from the table and others in hex', () => {
    expect(hello(serverHello({ cipher: 0xc030 })).cipher).toBe('TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384');
    expect(hello(serverHello({ cipher: 0xabcd })).cipher).toBe('0xABCD');
    expect(cipherSuiteName(0x0a0a)).toBe('0x0A0A');
    expect(cipherSuiteName(0x1305)).toBe('TLS_AES_128_CCM_8_SHA256');
    expect(cipherSuiteName(0xcca8)).toBe('TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256');
    expect(tlsVersionName(0x0305)).toBeNull();
  });

  it('escapes unprintable SNI and ALPN bytes and caps the ALPN list', () => {
    const raw = cat(bytes(0), be16(5), ascii('a\x00\\\xffz'));
    const sni = extension(0, cat(be16(raw.length), raw));
    const many = Array.from({ length: 40 }, (_, i) => `p${i}`);
    const f = tls(flow([['c', record(CT.handshake, clientHello({ extra: [sni], alpn: many }))]]));
    expect(f.sni).toBe('a\\x00\\x5c\\xffz');
    expect(f.alpn).toHaveLength(16);
    expect(f.alpn[15]).toBe('p15');
  });
});

describe('malformed and non-TLS input', () => {
  it('gives nothing for HTTP bytes, and does not call it an incomplete handshake', () => {
    const http = ascii('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const f = tls(flow([['c', http], ['s', ascii('HTTP/1.1 200 OK\r\n\r\n')]]));
    expect(f).toMatchObject({ clientHelloSeen: false, serverHelloSeen: false, malformed: true, incomplete: false, version: null });
  });

  it('stops a direction at an impossible record header but keeps what came before', () => {
    const f = tls(flow([['c', cat(record(CT.handshake, CH), bytes(99, 3, 3, 0, 2, 0, 0))]]));
    expect(f).toMatchObject({ sni: 'fw1.example.test', malformed: true });
    expect(tls(flow([['c', record(CT.handshake, CH, 0x0305)]]))).toMatchObject({ malformed: true, clientHelloSeen: false });
    const huge = cat(bytes(23, 3, 3), be16(18433));
    expect(tls(flow([['c', record(CT.handshake, CH)], ['s', huge]])).malformed).toBe(true);
  });

  it('flags a ClientHello whose extension length overruns it', () => {
    const ch = clientHello({ sni: 'a.test' });
    const bad = Uint8Array.from(ch);
    // extensions block length sits right after the compression methods: make it too long
    const extLenAt = 4 + 2 + 32 + 1 + 32 + 2 + 6 + 2;
    bad[extLenAt] = 0xff;
    const f = tls(flow([['c', record(CT.handshake, bad)]]));
    expect(f).toMatchObject({ clientHelloSeen: true, malformed: true, sni: null });
  });
});

describe('bounds', () => {
  it('looks at 4096 records per direction, then stops (and so sees no trailing alert)', () => {
    const [ch, sh, fin] = tls13Steps();
    const many = new Uint8Array(6 * 5000);
    for (let i = 0; i < 5000; i++) many.set(ccs(), 6 * i);
    const f = tls(flow([ch, sh, fin, ['c', cat(many, opaque(CT.appData, 19))]]));
    expect(f.alerts).toEqual([]);
    expect(f.incomplete).toBe(true);
    // the same alert right after the Finished is seen
    expect(tls(flow([ch, sh, fin, ['c', opaque(CT.appData, 19)]])).alerts).toHaveLength(1);
  });

  it('reassembles at most 64 KiB of handshake per direction: a longer message never completes', () => {
    const chain = (padding: number) => certificate([certDer('valid'), new Uint8Array(padding)]);
    const server = (padding: number): Step => ['s', fragment(CT.handshake, cat(serverHello(), chain(padding)), 16_000)];
    expect(tls(flow([['c', record(CT.handshake, CH)], server(60_000)])).serverCertificate).toMatchObject({ parsed: true, chainLength: 2 });
    const f = tls(flow([['c', record(CT.handshake, CH)], server(70_000)]));
    expect(f).toMatchObject({ serverHelloSeen: true, serverCertificate: null, malformed: false, incomplete: true });
  });

  it('keeps at most 8 alerts per side', () => {
    const f = tls(flow([['c', record(CT.handshake, CH)], ['s', cat(...Array.from({ length: 20 }, () => alert(1, 112)))], ['c', record(CT.alert, new Uint8Array(40).fill(1))]]));
    expect(f.alerts.filter((a) => a.from === 'server')).toHaveLength(8);
    expect(f.alerts.filter((a) => a.from === 'client')).toHaveLength(8);
  });
});

describe('truncation at every byte offset', () => {
  const cases: [string, Step[]][] = [
    ['TLS 1.2', tls12Steps()],
    ['TLS 1.2 fragmented', tls12Steps({ recordSize: 100, segment: 50 })],
    ['TLS 1.3', tls13Steps()],
  ];
  for (const [name, steps] of cases) {
    it(`${name}: every cut of either direction is incomplete, never established, never throws`, () => {
      const full = flow(steps);
      expect(tls(full)).toMatchObject({ established: true, incomplete: false });
      let checked = 0;
      for (const dir of ['client', 'server'] as const) {
        for (let n = 0; n < full[dir].bytes.length; n++) {
          const p: FlowPayload = { ...full, [dir]: cut(full[dir], n) };
          const f = tls(p);
          if (f.established || !f.incomplete) throw new Error(`${dir} cut at ${n}: ${JSON.stringify(f)}`);
          checked++;
        }
      }
      expect(checked).toBe(full.client.bytes.length + full.server.bytes.length);
    });
  }
});

describe('looksLikeTls', () => {
  it('accepts the start of a ClientHello or ServerHello record', () => {
    expect(looksLikeTls(record(CT.handshake, CH, 0x0301))).toBe(true);
    expect(looksLikeTls(record(CT.handshake, serverHello()).subarray(0, 6))).toBe(true);
    expect(looksLikeTls(record(CT.handshake, clientHello({ legacyVersion: 0x0300 }), 0x0300))).toBe(true);
  });

  it('rejects other content and impossible headers', () => {
    const ok = record(CT.handshake, CH);
    const mutate = (i: number, v: number) => {
      const b = Uint8Array.from(ok);
      b[i] = v;
      return b;
    };
    expect(looksLikeTls(ascii('GET / HTTP/1.1\r\n'))).toBe(false);
    expect(looksLikeTls(ascii('SSH-2.0-OpenSSH_9.2\r\n'))).toBe(false);
    expect(looksLikeTls(ok.subarray(0, 5))).toBe(false);
    expect(looksLikeTls(mutate(0, 23))).toBe(false); // application data
    expect(looksLikeTls(mutate(2, 5))).toBe(false); // version 0x0305
    expect(looksLikeTls(mutate(1, 2))).toBe(false); // SSL 2 style
    expect(looksLikeTls(cat(bytes(22, 3, 3, 0, 0), bytes(1)))).toBe(false); // length 0
    expect(looksLikeTls(cat(bytes(22, 3, 3, 0x48, 0x01), bytes(1)))).toBe(false); // 18433 > max
    expect(looksLikeTls(mutate(5, 11))).toBe(false); // Certificate first
    expect(looksLikeTls(cat(bytes(22, 3, 3, 0, 40, 1, 0, 0, 20)))).toBe(false); // hello too short
  });
});

describe('a server flight in one record that the prefix cut', () => {
  it('still gives the ServerHello (version, cipher) from the start of the cut record', () => {
    // ServerHello, a ~18 KB certificate chain and ServerHelloDone in a single 16 KiB-max
    // record: the 16 KiB kept end inside it.
    const flight = cat(serverHello({ cipher: 0xc02f }), certificate([new Uint8Array(9000).fill(0x30), new Uint8Array(9000).fill(0x30)]), serverHelloDone());
    const oneRecord = cat(bytes(CT.handshake, 3, 3, 0x40, 0x00), flight.subarray(0, 16384));
    const p = flow([['c', record(CT.handshake, CH)], ['s', oneRecord]]);
    const t = tls({ client: p.client, server: cut(p.server, 16000) });
    expect(t.cipher).toBe('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256');
    expect(t.version).toBe('TLS 1.2');
    expect(t.serverHelloSeen).toBe(true);
    expect(t.serverCertificate).toBeNull(); // cut: not whole
  });
});
