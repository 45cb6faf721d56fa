// Verdicts in the summary, from hand-built classified flows: the status of entries and
// client → server pairs (failing, partial, degraded, up, not-seen), failed and degraded
// counts by verdict (not by TCP outcome), failures grouped by reason, which flows are
// listed, and every verdict fact of a flow carried to JSON, NDJSON and protobuf.
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/load.js';
import type { ClassifiedFlow } from '../../src/classify/classify.js';
import type { TcpFacts, TlsRecord } from '../../src/classify/flow-facts.js';
import { REASON_VERDICT, type ReasonCode } from '../../src/classify/vocabulary.js';
import { SummaryAccumulator } from '../../src/report/accumulate.js';
import { buildInput } from '../../src/report/build.js';
import { orderedFlow } from '../../src/report/flow-record.js';
import { renderJson } from '../../src/report/json.js';
import type { InputSummary, Summary } from '../../src/report/model.js';
import { flowLine } from '../../src/report/ndjson.js';
import { decodeSummary, encodeSummary } from '../../src/report/protobuf.js';
import { renderText } from '../../src/report/text.js';
import { emptyStats } from '../../src/decode/stats.js';
import { failOnHolds } from '../../src/cli/analyze-command.js';
import { NO_APP_RECORDS } from '../../src/classify/flow-facts.js';

const catalog = loadCatalog();
const index = (id: string) => {
  const i = catalog.entries.findIndex((e) => e.id === id);
  if (i < 0) throw new Error(`no entry ${id}`);
  return i;
};
const T0 = Date.UTC(2026, 10, 25, 16, 0, 0) * 1000;

const ADMIN = '10.99.1.10';
const FW = '10.99.1.1';
const FW2 = '10.99.1.2';
const PANO = '10.99.1.5';
const NTP = '10.99.1.20';
const ids = new Map<string, number>();
const idOf = (a: string) => {
  if (!ids.has(a)) ids.set(a, ids.size);
  return ids.get(a)!;
};

let seq = 0;
interface FlowArgs {
  client: string;
  server: string;
  entry: string;
  reason?: ReasonCode | null;
  state?: ClassifiedFlow['state'];
  bytes?: number;
  port?: number;
  transport?: 'tcp' | 'udp';
  detail?: string | null;
  more?: Partial<ClassifiedFlow>;
}

/** A classified flow as classification will fill it: the verdict follows the reason. */
function flow(a: FlowArgs): ClassifiedFlow {
  seq++;
  const reason = a.reason ?? null;
  const verdict = reason === null ? 'ok' : REASON_VERDICT[reason];
  const e = catalog.entries[index(a.entry)];
  const bytes = a.bytes ?? 1000 + seq;
  return {
    transport: a.transport ?? (e.transport === 'udp' ? 'udp' : 'tcp'),
    client: a.client,
    server: a.server,
    clientId: idOf(a.client),
    serverId: idOf(a.server),
    clientPort: 40000 + seq,
    serverPort: a.port ?? e.port,
    ipProtocol: e.transport === 'udp' ? 17 : 6,
    ethertype: null,
    clientPackets: 5,
    serverPackets: 5,
    clientBytes: bytes - 400,
    serverBytes: 400,
    firstTs: T0 + seq * 1000,
    lastTs: T0 + seq * 1000 + 500,
    firstSeq: seq,
    state: a.state === undefined ? (e.transport === 'udp' ? null : 'closed') : a.state,
    failed: verdict === 'failed',
    icmpErrors: 0,
    direction: 'handshake',
    entries: [index(a.entry)],
    section: e.section,
    app: null,
    verdict,
    reason,
    detail: a.detail !== undefined ? a.detail : reason === null ? null : `evidence for ${reason} #${seq}`,
    communityId: `1:${Buffer.from(String(seq).padStart(20, '0')).toString('base64')}`,
    tcp: null,
    tls: null,
    ssh: null,
    ...NO_APP_RECORDS,
    ...a.more,
  };
}

const tcpFacts: TcpFacts = {
  connState: 'RSTO',
  history: 'ShADadR',
  retransmissions: { client: 7, server: 0 },
  zeroWindows: { client: 0, server: 3 },
  duplicateAcks: { client: 1, server: 2 },
  rttMs: { synToSynAck: 0.31, synAckToAck: null },
  mss: { client: 1460, server: null },
  maxSegment: { client: 1448, server: 0 },
};
const tlsFacts: TlsRecord = {
  version: 'TLS 1.2',
  sni: 'panorama.lab',
  alpn: ['http/1.1'],
  cipher: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  established: false,
  alert: { encrypted: false, level: 'fatal', description: 'certificate_expired', from: 'client' },
  serverCertificate: {
    subject: 'CN=panorama.lab',
    issuer: 'CN=Lab CA',
    notBefore: '2023-01-01T00:00:00Z',
    notAfter: '2026-10-31T00:00:00Z',
    sha256: '0123456789abcdef'.repeat(4),
    daysLeft: -25,
  },
  clientCertificate: null,
};

function input(): InputSummary {
  return buildInput({
    files: [],
    failed: [],
    stats: emptyStats(),
    fragments: { attributed: 0, orphans: 0, dropped: 0 },
    flowTable: { flows: 0, maxFlows: 1000, overflowFlows: 0, overflowPackets: 0 },
    interrupted: false,
    inspection: { flows: 3, bytesKept: 4096, capHit: 1 },
  });
}

/**
 * 3978: one pair failing (2 flows: a TLS alert, a reset after connect), one partial (1 ok,
 * 1 refused), one degraded (retransmissions), one up. 443 (management and Panorama share it):
 * degraded only. NTP: failing (no reply). SSH 22: up. Everything else: not seen.
 */
function flows(): ClassifiedFlow[] {
  return [
    flow({ client: FW, server: PANO, entry: 'panorama.device-mgmt.3978', reason: 'tls-alert', more: { app: 'tls', tls: tlsFacts, tcp: tcpFacts }, detail: 'TLS alert certificate_expired sent by the client 10.99.1.1' }),
    flow({ client: FW, server: PANO, entry: 'panorama.device-mgmt.3978', reason: 'reset-after-connect', state: 'reset' }),
    flow({ client: FW2, server: PANO, entry: 'panorama.device-mgmt.3978' }),
    flow({ client: FW2, server: PANO, entry: 'panorama.device-mgmt.3978', reason: 'rejected', state: 'rejected', detail: null }),
    flow({ client: '10.99.1.3', server: PANO, entry: 'panorama.device-mgmt.3978', reason: 'retransmissions', state: 'closed' }),
    flow({ client: '10.99.1.4', server: PANO, entry: 'panorama.device-mgmt.3978' }),
    { ...flow({ client: ADMIN, server: PANO, entry: 'panorama.https.443', reason: 'certificate-expired' }), entries: [index('management.https.443'), index('panorama.https.443')] },
    flow({ client: FW, server: NTP, entry: 'management.ntp.123', reason: 'no-reply', state: null }),
    flow({ client: FW, server: NTP, entry: 'management.ntp.123', reason: 'no-reply', state: null }),
    flow({ client: ADMIN, server: FW, entry: 'management.ssh.22', more: { app: 'ssh', ssh: { clientBanner: 'SSH-2.0-PuTTY_Release_0.81', serverBanner: null } } }),
  ];
}

function summarize(list = flows(), opts = { allFlows: false, maxListed: 1000, topPairs: 10 }): Summary {
  const acc = new SummaryAccumulator(catalog, opts);
  acc.addFlows(list);
  return acc.summary(input(), { roles: new Map() });
}

const entry = (s: Summary, id: string) => s.entries.find((e) => e.id === id)!;

describe('verdicts in the summary', () => {
  const s = summarize();

  it('gives entries their status from their flows: failing, partial, degraded, up, not-seen', () => {
    expect(['panorama.device-mgmt.3978', 'management.https.443', 'panorama.https.443', 'management.ntp.123', 'management.ssh.22', 'ha.ha2-ether.7261'].map((id) => {
      const e = entry(s, id);
      return [id, e.flows, e.failed, e.degraded, e.status];
    })).toEqual([
      ['panorama.device-mgmt.3978', 6, 3, 1, 'partial'],
      ['management.https.443', 1, 0, 1, 'degraded'],
      ['panorama.https.443', 1, 0, 1, 'degraded'],
      ['management.ntp.123', 2, 2, 0, 'failing'],
      ['management.ssh.22', 1, 0, 0, 'up'],
      ['ha.ha2-ether.7261', 0, 0, 0, 'not-seen'],
    ]);
    expect(s.entries.filter((e) => e.flows === 0).every((e) => e.status === 'not-seen')).toBe(true);
  });

  it('gives each client → server pair its own status', () => {
    const pairs = entry(s, 'panorama.device-mgmt.3978').pairs.map((p) => [p.client, p.flows, p.failed, p.degraded, p.status]);
    expect(pairs.sort()).toEqual([
      ['10.99.1.1', 2, 2, 0, 'failing'],
      ['10.99.1.2', 2, 1, 0, 'partial'],
      ['10.99.1.3', 1, 0, 1, 'degraded'],
      ['10.99.1.4', 1, 0, 0, 'up'],
    ]);
  });

  it('counts failed flows by verdict, in sections too, and the warnings as degraded', () => {
    const sec = (id: string) => s.sections.find((x) => x.id === id)!;
    // Reset after connect and the TLS alert have TCP outcomes that are no failure: they count.
    expect([sec('panorama').flows, sec('panorama').failed, sec('panorama').degraded]).toEqual([7, 3, 2]);
    expect([sec('management').flows, sec('management').failed, sec('management').degraded]).toEqual([3, 2, 0]);
  });

  it('lists failures of any reason, grouped by client, server and reason, with the flows\' state', () => {
    const e = entry(s, 'panorama.device-mgmt.3978');
    expect(e.failures).toEqual([
      { client: FW, server: PANO, reason: 'tls-alert', state: 'closed', flows: 1 },
      { client: FW, server: PANO, reason: 'reset-after-connect', state: 'reset', flows: 1 },
      { client: FW2, server: PANO, reason: 'rejected', state: 'rejected', flows: 1 },
    ]);
    expect(e.failureCount).toBe(3);
    expect(entry(s, 'management.ntp.123').failures).toEqual([{ client: FW, server: NTP, reason: 'no-reply', state: null, flows: 2 }]);
    expect(entry(s, 'management.https.443').failures).toEqual([]);
  });

  it('keeps apart failures of one reason that ended differently (state), and counts them in failureCount', () => {
    const more = [...flows(), flow({ client: FW, server: PANO, entry: 'panorama.device-mgmt.3978', reason: 'tls-alert', state: 'reset' }), flow({ client: FW, server: PANO, entry: 'panorama.device-mgmt.3978', reason: 'tls-alert' })];
    const e = entry(summarize(more), 'panorama.device-mgmt.3978');
    expect(e.failures.slice(0, 2)).toEqual([
      { client: FW, server: PANO, reason: 'tls-alert', state: 'closed', flows: 2 },
      { client: FW, server: PANO, reason: 'tls-alert', state: 'reset', flows: 1 },
    ]);
    expect(e.failureCount).toBe(4);
  });

  it('lists failed and warning flows without --flows, not the ok ones', () => {
    expect(s.flows.map((f) => f.verdict).sort()).toEqual(['failed', 'failed', 'failed', 'failed', 'failed', 'warning', 'warning']);
    expect(summarize(flows(), { allFlows: false, maxListed: 2, topPairs: 10 }).flowsOmitted).toBe(5);
    expect(summarize(flows(), { allFlows: true, maxListed: 2, topPairs: 10 }).flows).toHaveLength(10);
  });

  it('copies every verdict fact into the flow record, and JSON/NDJSON print them in the contract\'s order', () => {
    const f = s.flows.find((x) => x.reason === 'tls-alert')!;
    expect(f).toMatchObject({ app: 'tls', verdict: 'failed', reason: 'tls-alert', detail: 'TLS alert certificate_expired sent by the client 10.99.1.1', tcp: tcpFacts, tls: tlsFacts, ssh: null });
    expect(f.communityId).toMatch(/^1:/);
    const o = orderedFlow(f);
    expect(Object.keys(o).slice(-15)).toEqual(['app', 'verdict', 'reason', 'detail', 'communityId', 'tcp', 'tls', 'ssh', 'ldap', 'kerberos', 'radius', 'snmp', 'ntp', 'syslog', 'rpc']);
    expect(Object.keys(o.tcp as object)).toEqual(['connState', 'history', 'retransmissions', 'zeroWindows', 'duplicateAcks', 'rttMs', 'mss', 'maxSegment']);
    expect(Object.keys(o.tls as object)).toEqual(['version', 'sni', 'alpn', 'cipher', 'established', 'alert', 'serverCertificate', 'clientCertificate']);
    expect((o.tls as { alert: object }).alert).toEqual({ level: 'fatal', description: 'certificate_expired', from: 'client', encrypted: false });
    expect(JSON.parse(flowLine(f))).toEqual(o);
    expect(flowLine(f)).toBe(`${JSON.stringify(o)}\n`);
    const doc = JSON.parse(renderJson(s));
    expect(doc.flows.find((x: { reason: string }) => x.reason === 'tls-alert')).toEqual(o);
    expect(doc.input.inspection).toEqual({ flows: 3, bytesKept: 4096, capHit: 1 });
  });

  it('prints JSON the schema accepts, with the statuses and reasons', () => {
    const schema = JSON.parse(readFileSync(new URL('../../src/report/summary.schema.json', import.meta.url), 'utf8')) as object;
    const validate = new Ajv({ allowUnionTypes: true, allErrors: true }).compile(schema);
    for (const all of [false, true]) {
      const doc = JSON.parse(renderJson(summarize(flows(), { allFlows: all, maxListed: 1000, topPairs: 10 })));
      expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    }
    const e = JSON.parse(renderJson(s)).entries.find((x: { id: string }) => x.id === 'panorama.device-mgmt.3978');
    expect(Object.keys(e).slice(0, 12)).toEqual(['id', 'section', 'transport', 'port', 'ipProtocol', 'ethertype', 'flows', 'packets', 'bytes', 'failed', 'status', 'degraded']);
    expect(Object.keys(e.pairs[0])).toEqual(['client', 'server', 'flows', 'packets', 'bytes', 'failed', 'status', 'degraded']);
    expect(Object.keys(e.failures[0])).toEqual(['client', 'server', 'reason', 'state', 'flows']);
  });

  it('round-trips every verdict fact through protobuf', () => {
    const back = decodeSummary(encodeSummary(s)) as { flows: Record<string, unknown>[]; entries: Record<string, unknown>[] };
    const f = back.flows.find((x) => x.reason === 'REASON_TLS_ALERT')!;
    expect(f).toMatchObject({ app: 'APP_TLS', verdict: 'VERDICT_FAILED', detail: 'TLS alert certificate_expired sent by the client 10.99.1.1', ssh: null });
    expect(f.tcp).toEqual({ ...tcpFacts, connState: 'CONN_STATE_RSTO', rttMs: { synToSynAck: 0.31 }, mss: { client: 1460 } });
    expect(f.tls).toMatchObject({ version: 'TLS_VERSION_TLS_1_2', alert: { encrypted: false, level: 'ALERT_LEVEL_FATAL', description: 'certificate_expired', from: 'SIDE_CLIENT' }, clientCertificate: null });
    const ntp = back.entries.find((e) => e.id === 'management.ntp.123')!;
    expect(ntp).toMatchObject({ status: 'CHANNEL_STATUS_FAILING', failed: 2, degraded: 0, failures: [{ client: FW, server: NTP, reason: 'REASON_NO_REPLY', state: 'STATE_UNSPECIFIED', flows: 2 }] });
    const all = decodeSummary(encodeSummary(summarize(flows(), { allFlows: true, maxListed: 0, topPairs: 10 }))) as { flows: Record<string, unknown>[] };
    expect(all.flows.find((x) => x.app === 'APP_SSH')!.ssh).toEqual({ clientBanner: 'SSH-2.0-PuTTY_Release_0.81' });
  });

  it('text: statuses in the tables and the header, failures with their evidence or plain words, then warnings', () => {
    const o = renderText(s, { color: false, width: 140 });
    // Below the health list, which names the same entries first.
    const line = (has: string) => o.slice(o.indexOf('\nManagement —')).split('\n').find((l) => l.includes(has)) ?? '';
    expect(line('3978/tcp Panorama ↔ device')).toMatch(/ 6 +.* 3 +partial /);
    expect(line('123/udp NTP')).toContain('FAILING');
    expect(line('443/tcp Panorama web interface')).toContain('degraded');
    expect(o).toMatch(/^Entries +1 FAILING, 1 partial, 2 degraded, 1 up, 41 not seen$/m);
    const lines = o.split('\n');
    const at = (has: string) => lines.findIndex((l) => l.includes(has));
    expect(lines[at('10.99.1.1 → 10.99.1.5:3978/tcp  TLS alert')]).toMatch(/TLS alert +1 +Panorama ↔ device$/);
    expect(lines[at('10.99.1.1 → 10.99.1.5:3978/tcp  TLS alert') + 1]).toBe('      TLS alert certificate_expired sent by the client 10.99.1.1');
    expect(lines[at('10.99.1.1 → 10.99.1.5:3978/tcp  reset after')]).toMatch(/reset after connecting +1/);
    expect(line('10.99.1.20:123/udp')).toMatch(/no reply +2 +NTP$/);
    // No detail: the plain words are the whole story, and no empty evidence line follows.
    expect(lines[at('10.99.1.2 → 10.99.1.5:3978/tcp') + 1]).not.toMatch(/^ {6}/);
    const warnings = o.slice(o.indexOf('Warnings — 2 flows'));
    expect(o.indexOf('Warnings — 2 flows')).toBeGreaterThan(o.indexOf('Failures — 5 flows'));
    // One flow on a port two entries share is one flow, for both.
    expect(warnings).toMatch(/10\.99\.1\.10 → 10\.99\.1\.5:443\/tcp +certificate expired +1 +Web interface \/ VM information source \/ Panorama web interface/);
    expect(warnings).toMatch(/10\.99\.1\.3 → 10\.99\.1\.5:3978\/tcp +retransmissions +1 +Panorama ↔ device\n {6}evidence for retransmissions #5\n/);
  });

  it('--fail-on failed follows the verdicts: a TLS alert on a closed connection fails the run, warnings do not', () => {
    const alertOnly = summarize([flow({ client: FW, server: PANO, entry: 'panorama.device-mgmt.3978', reason: 'tls-alert', state: 'closed' })]);
    expect(failOnHolds(alertOnly, ['failed'])).toBe(true);
    expect(failOnHolds(alertOnly, ['unexpected'])).toBe(false);
    const warningsOnly = summarize([
      flow({ client: FW, server: PANO, entry: 'panorama.device-mgmt.3978', reason: 'zero-window' }),
      flow({ client: ADMIN, server: FW, entry: 'management.ssh.22', reason: 'retransmissions' }),
    ]);
    expect(failOnHolds(warningsOnly, ['failed'])).toBe(false);
    expect(failOnHolds(s, ['failed'])).toBe(true);
  });
});
