// Content detection and the decoders over every TCP stream of the lab captures
// (fixtures/pan-lab: real daemons in namespaces), compared with tshark's dissection of
// the same streams. Skipped without tshark or without the captures.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectApp } from '../../src/inspect/detect.js';
import { inspectHttp } from '../../src/inspect/http.js';
import { sshBanners } from '../../src/inspect/ssh.js';
import { cipherSuiteName, inspectTls, tlsVersionName } from '../../src/inspect/tls.js';
import { HERE } from './tls-build.js';
import { TSHARK, tsharkDissect } from './tshark.js';

const LAB = join(HERE, '..', '..', 'fixtures', 'pan-lab');
const PCAPS = existsSync(LAB) ? readdirSync(LAB).filter((f) => f.endsWith('.pcap')).sort() : [];

describe.skipIf(TSHARK === null || PCAPS.length === 0)('lab captures against tshark (needs tshark and fixtures/pan-lab)', () => {
  const seen: Record<string, number> = { tls: 0, ssh: 0, http: 0, ldap: 0, kerberos: 0, dcerpc: 0, syslog: 0, none: 0 };

  for (const file of PCAPS) {
    it(file, () => {
      const pcap = join(LAB, file);
      let streams = tsharkDissect(pcap);
      // SSH on ports tshark has no dissector for (28: Panorama HA): dissect them as SSH
      const sshPorts = [...new Set(streams.filter((s) => detectApp(s.payload) === 'ssh' && s.ssh.server === null).map((s) => s.serverPort))];
      if (sshPorts.length > 0) streams = tsharkDissect(pcap, sshPorts.map((p) => [p, 'ssh']));

      for (const s of streams) {
        const where = `${file} stream ${s.stream} (port ${s.serverPort})`;
        const app = detectApp(s.payload);
        seen[app ?? 'none']++;
        // what tshark recognises from the first bytes, we recognise, and the other way round
        const theirs = s.tls?.opensWithClientHello ? 'tls' : s.ssh.client !== null || s.ssh.server !== null ? 'ssh' : s.http.method !== null ? 'http' : ([...s.apps][0] ?? null);
        expect(app, where).toBe(theirs);

        if (app === 'tls' && s.tls !== null) {
          const f = inspectTls(s.payload);
          const t = s.tls;
          expect(f.sni, where).toBe(t.sni);
          expect(f.alpn, where).toEqual(t.alpn);
          expect(f.cipher, where).toBe(t.cipherCode === null ? null : cipherSuiteName(t.cipherCode));
          expect(f.version, where).toBe(t.versionCode === null ? f.clientVersion : tlsVersionName(t.versionCode));
          expect(f.changeCipherSpec, where).toEqual(t.ccs);
          const ours = f.alerts.filter((a) => !a.encrypted || !a.byLength);
          expect(ours.map((a) => [a.from, a.encrypted ? null : a.code]), where).toEqual(t.alerts.map((a) => [a.fromServer ? 'server' : 'client', a.code]));
          expect(f.serverCertificate?.sha256 ?? null, where).toBe(t.serverCert?.sha256 ?? null);
          expect(f.clientCertificate?.sha256 ?? null, where).toBe(t.clientCert?.sha256 ?? null);
          expect(f.malformed, where).toBe(false);
        }
        if (app === 'ssh') {
          expect(sshBanners(s.payload), where).toEqual({ clientBanner: s.ssh.client, serverBanner: s.ssh.server });
        }
        if (app === 'http') {
          const h = inspectHttp(s.payload);
          expect(h.request && [h.request.method, h.request.target, `HTTP/${h.request.version}`], where).toEqual([s.http.method, s.http.uri, s.http.version]);
          expect(h.response?.status ?? null, where).toBe(s.http.status);
        }
      }
    });
  }

  it('found each protocol in the lab captures', () => {
    // runs after the per-file tests (same file, sequential): the comparison above was not vacuous
    expect(seen.tls).toBeGreaterThanOrEqual(10);
    expect(seen.ssh).toBeGreaterThanOrEqual(4);
    expect(seen.http).toBeGreaterThanOrEqual(3);
    expect(seen.ldap + seen.syslog).toBeGreaterThanOrEqual(3);
  });
});
