// Certificate facts: RFC 4514 names (checked against `openssl x509 -nameopt RFC2253`),
// ISO-8601 validity, SHA-256 of the DER, days left; damaged DER never throws.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { certificateFacts, isoSeconds, parseOpenSslTime, rfc4514FromNode } from '../../src/inspect/x509.js';
import { certDer, derFromPem, HERE } from './tls-build.js';
import { OPENSSL } from './tshark.js';

const CERTS = {
  valid: {
    subject: 'CN=valid.pantap.test,O=Pantap Lab,C=US',
    notBefore: '2024-01-01T00:00:00Z',
    notAfter: '2099-12-31T23:59:59Z',
    sha256: '823794a58c11727c2d3d133112552596c38e79eca6ddc01774734cf774e99d0e',
  },
  expired: {
    subject: 'CN=expired.pantap.test,O=Pantap Lab,C=US',
    notBefore: '2020-01-01T00:00:00Z',
    notAfter: '2021-01-01T12:00:00Z',
    sha256: '0c2429a511367e8c33abfab0d12e3bbdede494cd860eb8326bef1c029dde0573',
  },
  special: {
    subject: 'CN=a\\,b\\+c,OU=\\#1 \\<ops\\>\\; \\"x\\",O=Example\\, Inc.,C=US',
    notBefore: '2025-03-01T00:00:00Z',
    notAfter: '2030-03-01T00:00:00Z',
    sha256: '605cc77221d41b7a6ba3afaa49fd8eac8ba0c652f76726467efcc3a6e5e945bd',
  },
  multi: {
    subject: 'UID=42+CN=host,O=Café,C=DE',
    notBefore: '2025-03-01T00:00:00Z',
    notAfter: '2030-03-01T00:00:00Z',
    sha256: '862ee1a649dddefb00dbd65118ba406040a54fd7124a9bc529d87c1d017233c1',
  },
} as const;

/** openssl's view of a PEM file: RFC 2253 names (UTF-8 kept), dates, fingerprint. */
function opensslView(pemPath: string) {
  const r = spawnSync(OPENSSL ?? 'openssl', ['x509', '-in', pemPath, '-noout', '-subject', '-issuer', '-startdate', '-enddate', '-fingerprint', '-sha256', '-nameopt', 'RFC2253,-esc_msb'], { encoding: 'utf8' });
  const get = (key: string) => {
    const line = r.stdout.split('\n').find((l) => l.startsWith(key + '='));
    return line === undefined ? null : line.slice(key.length + 1);
  };
  const iso = (s: string | null) => (s === null ? null : isoSeconds(parseOpenSslTime(s) ?? NaN));
  return {
    subject: get('subject'),
    issuer: get('issuer'),
    notBefore: iso(get('notBefore')),
    notAfter: iso(get('notAfter')),
    sha256: (get('sha256 Fingerprint') ?? get('SHA256 Fingerprint') ?? '').replace(/:/g, '').toLowerCase(),
  };
}

describe('certificateFacts', () => {
  for (const [name, want] of Object.entries(CERTS)) {
    it(`${name}: subject, issuer, dates and SHA-256`, () => {
      const f = certificateFacts(certDer(name as keyof typeof CERTS), Date.UTC(2026, 0, 1));
      expect(f).toMatchObject({ parsed: true, ...want, issuer: want.subject, chainLength: 1 });
    });

    it.skipIf(OPENSSL === null)(`${name}: the same as openssl x509 -nameopt RFC2253 (needs openssl on PATH)`, () => {
      const f = certificateFacts(certDer(name as keyof typeof CERTS));
      const o = opensslView(join(HERE, 'certs', `${name}.pem`));
      expect({ subject: f.subject, issuer: f.issuer, notBefore: f.notBefore, notAfter: f.notAfter, sha256: f.sha256 }).toEqual(o);
    });
  }

  it('counts days left as floor((notAfter - t) / 1 day), negative once expired', () => {
    const der = certDer('valid');
    const notAfter = Date.UTC(2099, 11, 31, 23, 59, 59);
    const DAY = 86_400_000;
    expect(certificateFacts(der, notAfter - 10 * DAY).daysLeft).toBe(10);
    expect(certificateFacts(der, notAfter - 10 * DAY + 1).daysLeft).toBe(9);
    expect(certificateFacts(der, notAfter - 1000).daysLeft).toBe(0);
    expect(certificateFacts(der, notAfter).daysLeft).toBe(0);
    expect(certificateFacts(der, notAfter + 1000).daysLeft).toBe(-1);
    expect(certificateFacts(certDer('expired'), Date.UTC(2021, 0, 11, 12)).daysLeft).toBe(-10);
    expect(certificateFacts(der).daysLeft).toBeNull();
    expect(certificateFacts(der, NaN).daysLeft).toBeNull();
  });

  it('never throws on damaged DER and still hashes it', () => {
    const der = certDer('valid');
    for (const bad of [new Uint8Array(0), der.subarray(0, 100), Uint8Array.from([0x30, 0x82, 0xff, 0xff]), new Uint8Array(300).fill(0x30)]) {
      const f = certificateFacts(bad, 0, 3);
      expect(f).toMatchObject({ parsed: false, subject: null, notAfter: null, daysLeft: null, chainLength: 3 });
      expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
    // PEM text is not DER, even though Node would read it
    const pem = Uint8Array.from(readFileSync(join(HERE, 'certs', 'valid.pem')));
    expect(certificateFacts(pem).parsed).toBe(false);
    expect(certificateFacts(derFromPem(Buffer.from(pem).toString('latin1'))).parsed).toBe(true);
  });

  it.skipIf(OPENSSL === null)('reads a certificate openssl req -x509 makes now (needs openssl on PATH)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pantap-x509-'));
    try {
      const subj = '/C=FR/ST=Île/O=R&D\\, "Lab"/OU=a\\+b;c/CN=#gw <1>';
      const r = spawnSync(OPENSSL ?? 'openssl', ['req', '-x509', '-utf8', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '7', '-subj', subj], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const f = certificateFacts(derFromPem(readFileSync(join(dir, 'c.pem'), 'utf8')), Date.now());
      const o = opensslView(join(dir, 'c.pem'));
      expect(f.subject).toBe('CN=\\#gw \\<1\\>,OU=a\\+b\\;c,O=R&D\\, \\"Lab\\",ST=Île,C=FR');
      expect({ subject: f.subject, issuer: f.issuer, notBefore: f.notBefore, notAfter: f.notAfter, sha256: f.sha256 }).toEqual(o);
      expect(f.daysLeft).toBe(6); // 7 days from a moment ago, floored
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('rfc4514FromNode', () => {
  it('reverses the RDNs, joins with commas and multi-valued AVAs with +', () => {
    expect(rfc4514FromNode('C=US\nO=Org\nCN=host')).toBe('CN=host,O=Org,C=US');
    expect(rfc4514FromNode('CN=foo + UID=bar\nO=x')).toBe('O=x,UID=bar+CN=foo');
    expect(rfc4514FromNode('')).toBe('');
  });

  it('does not split on an escaped plus or an escaped space before " + "', () => {
    expect(rfc4514FromNode('CN=a \\+ b')).toBe('CN=a \\+ b');
    expect(rfc4514FromNode('CN=x\\  + UID=y')).toBe('UID=y+CN=x\\ ');
    expect(rfc4514FromNode('O=a\\\\ + CN=b')).toBe('CN=b+O=a\\\\');
  });
});

describe('parseOpenSslTime', () => {
  it('reads OpenSSL time strings, space-padded days and fractions included', () => {
    expect(isoSeconds(parseOpenSslTime('Jan  5 01:02:03 2030 GMT') ?? NaN)).toBe('2030-01-05T01:02:03Z');
    expect(isoSeconds(parseOpenSslTime('Dec 31 23:59:59.5 2049 GMT') ?? NaN)).toBe('2049-12-31T23:59:59Z');
    expect(isoSeconds(parseOpenSslTime('Feb 29 00:00:00 0050 GMT') ?? NaN)).toBe('0050-03-01T00:00:00Z'); // 50 is not a leap year, and not 1950
  });

  it('rejects anything else', () => {
    for (const s of ['', 'Bad time value', 'Foo  5 01:02:03 2030 GMT', 'Jan 5 25:02:03 2030 GMT', 'Jan 5 01:02:03 2030', 'Jan 32 01:02:03 2030 GMT']) {
      expect(parseOpenSslTime(s)).toBeNull();
    }
  });
});
