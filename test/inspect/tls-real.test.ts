// TLS decoder on real sessions: openssl s_server/s_client on loopback, captured with tcpdump
// (test/inspect/fixtures/make-tls-fixtures.sh). Each direction's payload is replayed with
// its frame numbers as segment marks. Checked twice: against facts written down from
// tshark's dissection, and — when tshark is on PATH — against tshark run on the pcap now.
import { describe, expect, it } from 'vitest';
import { alertDescriptionName, cipherSuiteName, inspectTls, type TlsAlert, type TlsFacts } from '../../src/inspect/tls.js';
import type { FlowPayload, StreamPrefix } from '../../src/inspect/stream.js';
import { cut, loadFixture } from './tls-build.js';
import { TSHARK, tsharkDissect, tsharkValues } from './tshark.js';

const AT = Date.UTC(2026, 0, 1);
const SERVER_CERT = {
  parsed: true,
  subject: 'CN=server.pantap.test,O=Pantap Lab\\, Inc.,C=US',
  issuer: 'CN=Pantap Lab Root CA,O=Pantap Lab',
  notBefore: '2025-01-01T00:00:00Z',
  notAfter: '2035-01-01T00:00:00Z',
  daysLeft: 3287,
  sha256: '284dca379a06a9bfbfdbcc1df9329d88ae7b62e346ee73731ab375d81fd64c70',
  chainLength: 2,
};
const COMMON = { sni: 'server.pantap.test', alpn: ['h2', 'http/1.1'], clientHelloSeen: true, serverHelloSeen: true, malformed: false };
const closeAlerts12: TlsAlert[] = [
  { encrypted: true, from: 'client', byLength: false },
  { encrypted: true, from: 'server', byLength: false },
];
const closeAlerts13: TlsAlert[] = [
  { encrypted: true, from: 'client', byLength: true },
  { encrypted: true, from: 'server', byLength: true },
];

interface Case {
  expected: Partial<TlsFacts>;
  /** Last frame of each direction's handshake (its Finished, NewSessionTicket or alert). */
  doneAt: { client: number; server: number };
}

const CASES: Record<string, Case> = {
  tls10: {
    expected: { ...COMMON, version: 'TLS 1.0', cipher: 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', alpnSelected: 'http/1.1', established: true, alerts: closeAlerts12, serverCertificate: SERVER_CERT, changeCipherSpec: { client: true, server: true } },
    doneAt: { client: 8, server: 9 },
  },
  tls12: {
    expected: { ...COMMON, version: 'TLS 1.2', cipher: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', alpnSelected: 'http/1.1', established: true, alerts: closeAlerts12, serverCertificate: SERVER_CERT, clientCertificate: null, certificateRequested: false },
    doneAt: { client: 8, server: 9 },
  },
  'tls12-mtls': {
    expected: {
      ...COMMON,
      version: 'TLS 1.2',
      cipher: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
      established: true,
      certificateRequested: true,
      serverCertificate: SERVER_CERT,
      clientCertificate: {
        parsed: true,
        subject: 'CN=client.pantap.test,O=Pantap Lab',
        issuer: 'CN=Pantap Lab Root CA,O=Pantap Lab',
        notBefore: '2025-01-01T00:00:00Z',
        notAfter: '2035-01-01T00:00:00Z',
        daysLeft: 3287,
        sha256: '2bf983611e17ebb56192c3076e20c71b4a64ac83f8c8d28999ba19e3652e5741',
        chainLength: 2,
      },
    },
    doneAt: { client: 8, server: 9 },
  },
  'tls12-nocert': {
    expected: { ...COMMON, version: 'TLS 1.2', established: false, incomplete: false, certificateRequested: true, clientCertificate: null, changeCipherSpec: { client: true, server: false }, alert: { encrypted: false, from: 'server', level: 'fatal', description: 'handshake_failure', code: 40 } },
    doneAt: { client: 8, server: 9 },
  },
  'tls12-unknown-ca': {
    expected: { ...COMMON, version: 'TLS 1.2', cipher: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', established: false, incomplete: false, alert: { encrypted: false, from: 'client', level: 'fatal', description: 'unknown_ca', code: 48 } },
    doneAt: { client: 8, server: 6 },
  },
  'tls12-expired': {
    expected: {
      ...COMMON,
      version: 'TLS 1.2',
      established: false,
      incomplete: false,
      alert: { encrypted: false, from: 'client', level: 'fatal', description: 'certificate_expired', code: 45 },
      serverCertificate: { ...SERVER_CERT, notBefore: '2020-01-01T00:00:00Z', notAfter: '2021-01-01T00:00:00Z', daysLeft: -1826, sha256: 'dc52fa639df2d3e4d1a3ab6038ca23edf0a5e9a2f91c4f5a9dc63717ad8d0ad9' },
    },
    doneAt: { client: 8, server: 6 },
  },
  tls13: {
    expected: { ...COMMON, version: 'TLS 1.3', clientVersion: 'TLS 1.3', cipher: 'TLS_AES_256_GCM_SHA384', alpnSelected: null, established: true, alerts: closeAlerts13, serverCertificate: null, helloRetryRequest: false },
    doneAt: { client: 8, server: 9 },
  },
  'tls13-hrr': {
    expected: { ...COMMON, version: 'TLS 1.3', cipher: 'TLS_AES_256_GCM_SHA384', established: true, helloRetryRequest: true, alerts: closeAlerts13 },
    doneAt: { client: 10, server: 12 },
  },
  'tls13-nocert': {
    expected: { ...COMMON, version: 'TLS 1.3', established: false, incomplete: false, alerts: [{ encrypted: true, from: 'server', byLength: true }] },
    doneAt: { client: 8, server: 9 },
  },
  'tls13-unknown-ca': {
    expected: { ...COMMON, version: 'TLS 1.3', established: false, incomplete: false, alert: { encrypted: false, from: 'client', level: 'fatal', description: 'unknown_ca', code: 48 } },
    doneAt: { client: 8, server: 6 },
  },
};

/** Only the segments carried by frames up to `frame`, as if the capture stopped there. */
function upTo(p: StreamPrefix, frame: number): StreamPrefix {
  const kept = p.marks.filter((m) => m.record <= frame);
  const end = kept.length < p.marks.length ? p.marks[kept.length].offset : p.bytes.length;
  return { bytes: p.bytes.subarray(0, end), marks: kept, truncated: false };
}

describe('real sessions (openssl on loopback)', () => {
  for (const [name, c] of Object.entries(CASES)) {
    describe(name, () => {
      const fx = loadFixture(name);
      const facts = inspectTls(fx.payload, { atMs: AT });

      it('gives the facts read from tshark', () => {
        expect(facts).toMatchObject({ incomplete: false, ...c.expected });
      });

      it.skipIf(TSHARK === null)('agrees with tshark run on the pcap now (needs tshark on PATH)', () => {
        const streams = tsharkDissect(fx.pcap);
        expect(streams).toHaveLength(1);
        // tshark's reassembly of the pcap gives the bytes of the fixture
        expect(streams[0].payload).toEqual(fx.payload);
        const t = streams[0].tls;
        expect(t).not.toBeNull();
        if (t === null) return;
        expect(facts.sni).toBe(t.sni);
        expect(facts.alpn).toEqual(t.alpn);
        expect(facts.cipher).toBe(t.cipherCode === null ? null : cipherSuiteName(t.cipherCode));
        expect(facts.version).toBe({ 0x0301: 'TLS 1.0', 0x0302: 'TLS 1.1', 0x0303: 'TLS 1.2', 0x0304: 'TLS 1.3' }[t.versionCode ?? 0]);
        expect(facts.changeCipherSpec).toEqual(t.ccs);
        // type-21 records only: TLS 1.3 alerts recognised by size are type 23 to tshark
        const ours = facts.alerts.filter((a) => !a.encrypted || !a.byLength);
        expect(ours.map((a) => [a.from, a.encrypted ? null : a.code])).toEqual(t.alerts.map((a) => [a.fromServer ? 'server' : 'client', a.code]));
        expect(ours.map((a) => (a.encrypted ? null : a.level === 'fatal' ? 2 : 1))).toEqual(t.alerts.map((a) => a.level));
        expect(facts.serverCertificate === null ? null : [facts.serverCertificate.sha256, facts.serverCertificate.chainLength]).toEqual(
          t.serverCert === null ? null : [t.serverCert.sha256, t.serverCert.chain],
        );
        expect(facts.clientCertificate === null ? null : [facts.clientCertificate.sha256, facts.clientCertificate.chainLength]).toEqual(
          t.clientCert === null ? null : [t.clientCert.sha256, t.clientCert.chain],
        );
      });

      it('is incomplete when the capture stops at any frame before the handshake is over', () => {
        const frames = [...new Set([...fx.payload.client.marks, ...fx.payload.server.marks].map((m) => m.record))].sort((a, b) => a - b);
        for (const frame of [0, ...frames]) {
          const p: FlowPayload = { client: upTo(fx.payload.client, frame), server: upTo(fx.payload.server, frame) };
          const f = inspectTls(p, { atMs: AT });
          if (frame < Math.max(c.doneAt.client, c.doneAt.server)) {
            expect(f.incomplete, `stopped at frame ${frame}`).toBe(frame > 0);
            expect(f.established).toBe(false);
          } else {
            expect(f.incomplete, `stopped at frame ${frame}`).toBe(false);
            expect(f.established).toBe(c.expected.established);
          }
        }
      });

      // a session that ends with an alert is over as soon as the alert is there: cut the
      // alert's sender only
      const alertFrom = c.expected.established ? null : (c.expected.alert ?? c.expected.alerts?.[0])?.from;
      const dirs = alertFrom ? [alertFrom] : (['client', 'server'] as const);
      it(`is incomplete when ${dirs.join(' or ')} is cut at any byte of the handshake`, () => {
        for (const dir of dirs) {
          // both directions as they stood when the handshake was over, then one of them cut
          const done: FlowPayload = { client: upTo(fx.payload.client, c.doneAt.client), server: upTo(fx.payload.server, c.doneAt.server) };
          expect(inspectTls(done).incomplete).toBe(false);
          const hsEnd = done[dir].bytes.length;
          for (let n = 0; n < hsEnd; n++) {
            const f = inspectTls({ ...done, [dir]: cut(done[dir], n) }, { atMs: AT });
            if (f.established || !f.incomplete) throw new Error(`${name} ${dir} cut at ${n}/${hsEnd}: ${JSON.stringify(f)}`);
          }
        }
      });
    });
  }
});

describe.skipIf(TSHARK === null)('names against Wireshark\'s tables (needs tshark on PATH)', () => {
  it('names every cipher suite of the table as Wireshark does', () => {
    const ws = tsharkValues('tls.handshake.ciphersuite');
    expect(ws.size).toBeGreaterThan(300);
    let named = 0;
    for (const [code, name] of ws) {
      const ours = cipherSuiteName(code);
      if (ours.startsWith('0x')) continue; // not in our (short) table
      expect(ours, `0x${code.toString(16)}`).toBe(name);
      named++;
    }
    expect(named).toBeGreaterThanOrEqual(40);
  });

  it('has the code of every alert Wireshark knows under the same name (lower case, underscores)', () => {
    const ws = tsharkValues('tls.alert_message.desc');
    let compared = 0;
    for (const [code, name] of ws) {
      if (code === 1) continue; // "End of Early Data": a handshake message, not an alert in any RFC
      expect(alertDescriptionName(code)).toBe(name.toLowerCase().replace(/ /g, '_'));
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(34);
  });
});
