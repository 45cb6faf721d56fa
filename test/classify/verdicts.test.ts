// The verdict lab captures (fixtures/verdicts, made by fixtures/verdicts/make.sh with real
// programs in namespaces): every flow's app, verdict, reason and TLS facts against its
// truth file, and the same answers for any worker count.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeCaptures } from '../../src/analyze.js';
import type { ClassifiedFlow } from '../../src/classify/classify.js';
import { loadCatalog } from '../../src/catalog/load.js';
import { feedFiles } from '../../src/session/files.js';
import { FlowSession } from '../../src/session/session.js';
import { tempDir } from '../helpers/build.js';
import { REPO } from '../helpers/shared.js';

const DIR = resolve(REPO, 'fixtures/verdicts');
const CAPTURES = readdirSync(DIR).filter((f) => f.endsWith('.pcap')).sort();

/** The application records of the JSON contract; a truth file's expect.<app> lists the fields it vouches for. */
const APP_RECORDS = ['ldap', 'kerberos', 'radius', 'snmp', 'ntp', 'syslog', 'rpc'] as const;
/** Keys of expect.<app> that are the lab's notes, not contract fields. */
const NOTES = new Set(['linkedWith', 'community']);

interface TruthCert {
  subject: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  sha256: string;
  expired: boolean;
  onWire: boolean;
}

interface TruthFlow {
  id: string;
  transport: string;
  client: string;
  server: string;
  client_port: number;
  server_port: number;
  expect: {
    app: string | null;
    verdict: string;
    reason: string | null;
    tls?: {
      version: string | null;
      clientVersion: string | null;
      handshakeComplete: boolean;
      alert: { level: string; description: string; sentBy: string; encrypted: boolean } | null;
      serverCertificate: TruthCert | null;
      clientCertificate: TruthCert | null;
    };
  };
}

function find(flows: ClassifiedFlow[], t: TruthFlow): ClassifiedFlow | undefined {
  return flows.find((f) => f.transport === t.transport && f.client === t.client && f.server === t.server && f.clientPort === t.client_port && f.serverPort === t.server_port);
}

function verdictOf(f: ClassifiedFlow) {
  return { app: f.app, verdict: f.verdict, reason: f.reason, detail: f.detail, tcp: f.tcp, tls: f.tls, ssh: f.ssh, communityId: f.communityId, ...Object.fromEntries(APP_RECORDS.map((r) => [r, f[r]])) };
}

describe.each(CAPTURES)('%s', (capture) => {
  const truth = JSON.parse(readFileSync(resolve(DIR, capture.replace(/\.pcap$/, '.truth.json')), 'utf8')) as { flows: TruthFlow[] };

  it('every flow gets the expected app, verdict, reason and TLS facts', async () => {
    const { flows } = await analyzeCaptures([resolve(DIR, capture)], { workers: 1 });
    let right = 0;
    for (const t of truth.flows) {
      const f = find(flows, t);
      expect(f, `${t.id} found`).toBeDefined();
      const e = t.expect;
      const app = e.app === null || e.app === 'unknown' ? null : e.app;
      expect({ id: t.id, app: f!.app, verdict: f!.verdict, reason: f!.reason }).toEqual({ id: t.id, app, verdict: e.verdict, reason: e.reason });
      expect(f!.detail === null, `${t.id} detail`).toBe(e.reason === null);
      if (e.tls !== undefined) {
        const tls = f!.tls!;
        expect(tls, t.id).not.toBeNull();
        // Without a ServerHello the contract's version is the ClientHello's highest offer.
        expect(tls.version, t.id).toBe(e.tls.version ?? e.tls.clientVersion);
        // The truth's handshakeComplete is "the handshake got through" (TLS 1.3: both Finished).
        expect(tls.established, t.id).toBe(e.tls.handshakeComplete);
        if (e.tls.alert !== null) {
          const a = tls.alert!;
          expect(a.from, t.id).toBe(e.tls.alert.sentBy);
          expect(a.encrypted, t.id).toBe(e.tls.alert.encrypted);
          if (!a.encrypted) expect({ level: a.level, description: a.description }).toEqual({ level: e.tls.alert.level, description: e.tls.alert.description });
        }
        for (const which of ['serverCertificate', 'clientCertificate'] as const) {
          const want = e.tls[which];
          const got = tls[which];
          if (want === null || !want.onWire) {
            expect(got, `${t.id} ${which}`).toBeNull();
            continue;
          }
          expect({ subject: got?.subject, issuer: got?.issuer, notBefore: got?.notBefore, notAfter: got?.notAfter, sha256: got?.sha256 }).toEqual({
            subject: want.subject.replace(/,(?=[A-Z]+=)/g, ','),
            issuer: want.issuer,
            notBefore: want.notBefore,
            notAfter: want.notAfter,
            sha256: want.sha256,
          });
          expect(got!.daysLeft! < 0, `${t.id} ${which} expired`).toBe(want.expired);
        }
      }
      for (const rec of APP_RECORDS) {
        const want = (e as Record<string, unknown>)[rec] as Record<string, unknown> | undefined;
        if (want === undefined) continue;
        const got = f![rec] as Record<string, unknown> | null;
        expect(got, `${t.id} ${rec}`).not.toBeNull();
        for (const [k, v] of Object.entries(want)) if (!NOTES.has(k)) expect(got![k], `${t.id} ${rec}.${k}`).toEqual(v);
      }
      right++;
    }
    expect(right).toBe(truth.flows.length);
  });

  it('gives the same verdicts with 0, 1 and 2 workers and small batches', async () => {
    const runs = await Promise.all(
      [0, 1, 2].map(async (workers) => {
        const { flows } = await analyzeCaptures([resolve(DIR, capture)], { workers, batchBytes: 16384 } as never);
        return flows.map(verdictOf);
      }),
    );
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).toEqual(runs[0]);
  });
});

// The issue's own example: a01 with the NTP and SNMP replies filtered out. Those channels
// were "up" on the handshake-only verdict; now their requests fail with no-reply.
describe('requests whose replies never came', () => {
  const tmp = tempDir('pantap-noreply-');
  afterAll(() => tmp.remove());

  /** a01 (classic pcap, Ethernet) without the UDP datagrams sent from port 123 or 161. */
  function withoutReplies(): string {
    const src = readFileSync(resolve(REPO, 'fixtures/pan-lab/a01_management.pcap'));
    const out: Buffer[] = [src.subarray(0, 24)];
    let dropped = 0;
    for (let at = 24; at + 16 <= src.length; ) {
      const caplen = src.readUInt32LE(at + 8);
      const frame = src.subarray(at + 16, at + 16 + caplen);
      const ihl = (frame[14] & 15) * 4;
      const udpFromService = frame.readUInt16BE(12) === 0x0800 && frame[23] === 17 && [123, 161].includes(frame.readUInt16BE(14 + ihl));
      if (udpFromService) dropped++;
      else out.push(src.subarray(at, at + 16 + caplen));
      at += 16 + caplen;
    }
    expect(dropped).toBeGreaterThan(0);
    const path = resolve(tmp.dir, 'a01-noreply.pcap');
    writeFileSync(path, Buffer.concat(out));
    return path;
  }

  it('NTP and SNMP polling fail with no-reply, and their entries are failing', async () => {
    const { summary, flows } = await analyzeCaptures([withoutReplies()], { workers: 0 });
    for (const id of ['management.ntp.123', 'management.snmp.161']) {
      const e = summary.entries.find((x) => x.id === id)!;
      expect([id, e.status, e.failed]).toEqual([id, 'failing', e.flows]);
      expect(e.failures.every((f) => f.reason === 'no-reply')).toBe(true);
    }
    const ntp = flows.find((f) => f.serverPort === 123)!;
    expect([ntp.verdict, ntp.reason, ntp.serverPackets]).toEqual(['failed', 'no-reply', 0]);
    // One-way services stay up: syslog over UDP, SNMP traps and NetFlow get no reply by design.
    for (const id of ['management.syslog-udp.514', 'management.snmp-trap.162', 'management.netflow.2055']) {
      const e = summary.entries.find((x) => x.id === id)!;
      expect([id, e.flows > 0, e.status]).toEqual([id, true, 'up']);
    }
  });
});

// The live view judges flows still active on what their packets showed so far (inline
// aggregation, the live default), not only once they expire; a flow younger than 5 s of
// capture time is in its first exchange and not called unfinished yet.
describe('the live view of active flows', () => {
  it('shows TLS alerts and resets of flows that have not expired yet', async () => {
    const never = 1e15;
    const session = new FlowSession({
      catalog: loadCatalog(),
      inventory: null,
      maxFlows: 1000,
      allFlows: false,
      maxListed: 100,
      topPairs: 5,
      timeouts: { tcpUs: never, tcpClosedUs: never, udpUs: never, otherUs: never },
      workers: 0,
    });
    await feedFiles(session, [resolve(DIR, 'v01_tls_certs.pcap')], {});
    await session.flush();
    const v = session.view();
    expect(v.expired).toBe(0);
    // The handshake that never completes started within the last 5 s of capture time:
    // in its first exchange, not "incomplete" yet...
    expect(v.failing.map((f) => f.reason).sort()).toEqual(['tls-alert', 'tls-alert', 'tls-alert', 'tls-alert', 'tls-alert', 'tls-alert']);
    expect(v.warning.map((f) => f.reason)).toEqual(['certificate-expired']);
    expect(v.sections.find((s) => s.id === 'panorama')).toMatchObject({ flows: 10, failed: 6, degraded: 1 });
    // ...and once it is 5 s old it is.
    session.nowUs += 5e6;
    const later = session.view();
    expect(later.failing.map((f) => f.reason).sort()).toEqual(['tls-alert', 'tls-alert', 'tls-alert', 'tls-alert', 'tls-alert', 'tls-alert', 'tls-incomplete']);
    expect(later.sections.find((s) => s.id === 'panorama')).toMatchObject({ flows: 10, failed: 7, degraded: 1 });
    await session.abort();
  });
});
