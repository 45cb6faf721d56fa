// The protobuf summary: round trip of the fixture, and corrupted input.
import { describe, expect, it } from 'vitest';
import { microsFromIso } from '../../src/report/format.js';
import { resolve } from 'node:path';
import { analyze } from '../../src/analyze.js';
import { renderJson } from '../../src/report/json.js';
import { REPO } from '../helpers/shared.js';
import { decodeSummary, encodeSummary, summaryFromProtobuf } from '../../src/report/protobuf.js';
import { fixtureSummary, HA_A, PANORAMA_CERT_SHA256, T0 } from './fixture.js';

type Obj = Record<string, unknown>;
const list = (o: Obj, key: string) => o[key] as Obj[];

describe('protobuf summary', () => {
  const s = fixtureSummary();
  const buf = encodeSummary(s);
  const back = decodeSummary(buf);

  it('keeps every flow, entry, section and their counts', () => {
    expect(buf).toBeInstanceOf(Uint8Array);
    expect(back.schema).toBe('pantap.summary.v1');
    expect(list(back, 'flows')).toHaveLength(s.flows.length);
    expect(list(back, 'entries')).toHaveLength(s.entries.length);
    expect(list(back, 'sections').map((x) => x.id)).toEqual(['SECTION_ID_MANAGEMENT', 'SECTION_ID_HA', 'SECTION_ID_PANORAMA', 'SECTION_ID_USER_ID', 'SECTION_ID_UNEXPECTED']);
    expect(list(back, 'entries').map((e) => [e.id, e.flows, e.packets, e.bytes, e.failed])).toEqual(
      s.entries.map((e) => [e.id, e.flows, e.packets, e.bytes, e.failed]),
    );
    expect(list(back, 'flows').map((f) => [f.client, f.server, f.packets, f.bytes, f.entries])).toEqual(
      s.flows.map((f) => [f.client, f.server, f.packets, f.bytes, f.entries]),
    );
    expect(back.input).toMatchObject({ files: s.input.files, packets: s.input.packets, bytes: s.input.bytes, malformed: 1, truncated: false });
    expect(back.nonIp).toEqual(s.nonIp);
    expect(back.ipv6Infrastructure).toEqual(s.ipv6Infrastructure);
    expect(back.other).toEqual(s.other);
    expect(back.allFlows).toBe(false);
  });

  it('carries timestamps as ISO strings and as microseconds', () => {
    const f = list(back, 'flows').find((x) => x.serverPort === 3978)!;
    expect(f.firstSeen).toBe('2026-11-24T10:13:46.351000Z');
    expect(f.firstSeenUs).toBe(T0 + 52);
    expect(f.lastSeenUs).toBe(microsFromIso(f.lastSeen as string));
    expect((back.input as Obj).firstSeenUs).toBe(T0);
    // An entry never seen has no time at all, not epoch 0.
    const unseen = list(back, 'entries').find((e) => e.id === 'management.ntp.123')!;
    expect(unseen.firstSeen).toBeUndefined();
    expect(unseen.firstSeenUs).toBeUndefined();
  });

  it('maps nulls to absent optional fields and strings to enums', () => {
    const ha2 = list(back, 'flows').find((x) => x.client === HA_A)!;
    expect(ha2).toMatchObject({ transport: 'TRANSPORT_ETHERTYPE', ethertype: 0x7261, state: 'STATE_UNSPECIFIED', section: 'SECTION_ID_HA', direction: 'DIRECTION_FIRST_PACKET' });
    expect(ha2.clientPort).toBeUndefined();
    expect(ha2.ipProtocol).toBeUndefined();
    const https = list(back, 'entries').find((e) => e.id === 'management.https.443')!;
    expect(list(https, 'failures')).toEqual([{ client: '10.99.1.50', server: '10.99.1.2', reason: 'REASON_REJECTED', state: 'STATE_REJECTED', flows: 1 }]);
    const rpc = list(back, 'entries').find((e) => e.id === 'user-id.rpc-dynamic.49152-65535')!;
    expect(rpc.portRange).toEqual({ first: 49152, last: 65535 });
    expect(rpc.port).toBeUndefined();
    expect(list(back, 'roles')[0]).toEqual({ address: '10.99.1.2', roles: ['firewall'], source: 'ROLE_SOURCE_INFERRED', evidence: ['3978 client to panorama 10.99.1.5'], possible: [] });
  });

  it('gives a flow without verdict facts the zero values: no app, no reason, no tcp/tls/ssh', () => {
    const ha2 = list(back, 'flows').find((x) => x.client === HA_A)!;
    expect(ha2).toMatchObject({ app: 'APP_UNSPECIFIED', verdict: 'VERDICT_OK', reason: 'REASON_UNSPECIFIED', tcp: null, tls: null, ssh: null });
    expect(ha2.detail).toBeUndefined();
    expect(ha2.communityId).toBeUndefined();
  });

  it('carries a failed flow\'s verdict, reason, detail, TCP facts and TLS alert', () => {
    const f = list(back, 'flows').find((x) => x.serverPort === 6514)!;
    expect(f).toMatchObject({
      app: 'APP_TLS',
      verdict: 'VERDICT_FAILED',
      reason: 'REASON_TLS_ALERT',
      detail: 'TLS alert certificate_expired sent by the client 10.99.1.2',
      communityId: '1:wCb3OG7yAFWelaUydu0D+125CLM=',
      ssh: null,
    });
    expect(f.tcp).toEqual({
      connState: 'CONN_STATE_SF',
      history: 'ShADadFf',
      retransmissions: { client: 0, server: 0 },
      zeroWindows: { client: 0, server: 0 },
      duplicateAcks: { client: 0, server: 0 },
      rttMs: { synToSynAck: 0.2 }, // synAckToAck null: absent
      mss: { client: 1460 }, // the server sent no MSS option: absent
      maxSegment: { client: 1448, server: 1448 },
    });
    const tls = f.tls as Obj;
    expect(tls).toMatchObject({ version: 'TLS_VERSION_TLS_1_3', sni: 'syslog.lab', alpn: ['h2', 'http/1.1'], established: false, clientCertificate: null });
    expect(tls.cipher).toBeUndefined();
    expect(tls.alert).toEqual({ encrypted: false, level: 'ALERT_LEVEL_FATAL', description: 'certificate_expired', from: 'SIDE_CLIENT' });
    expect(tls.serverCertificate).toEqual({
      subject: 'CN=syslog.lab',
      issuer: 'CN=Lab CA',
      notBefore: '2023-01-01T00:00:00Z',
      notBeforeUs: Date.UTC(2023, 0, 1) * 1000,
      notAfter: '2026-10-30T00:00:00Z',
      notAfterUs: Date.UTC(2026, 9, 30) * 1000,
      sha256: 'b'.repeat(64),
      daysLeft: -25,
    });
  });

  it('carries a warning flow and its SSH banners, and an ok flow\'s certificates', () => {
    const ssh = list(back, 'flows').find((x) => x.serverPort === 22)!;
    expect(ssh).toMatchObject({ app: 'APP_SSH', verdict: 'VERDICT_WARNING', reason: 'REASON_RETRANSMISSIONS', tls: null });
    expect(ssh.ssh).toEqual({ clientBanner: 'SSH-2.0-OpenSSH_9.2p1 Debian-2', serverBanner: 'SSH-2.0-OpenSSH_9.2p1' });
    expect((ssh.tcp as Obj).retransmissions).toEqual({ client: 18, server: 0 });
    expect((ssh.tcp as Obj).rttMs).toEqual({ synToSynAck: 0.412, synAckToAck: 0.088 });
    const p = list(back, 'flows').find((x) => x.serverPort === 3978)!;
    expect(p).toMatchObject({ verdict: 'VERDICT_OK', reason: 'REASON_UNSPECIFIED' });
    expect(p.detail).toBeUndefined();
    expect((p.tls as Obj).alert).toBeNull();
    expect(((p.tls as Obj).serverCertificate as Obj).sha256).toBe(PANORAMA_CERT_SHA256);
    expect(((p.tls as Obj).clientCertificate as Obj).subject).toBe('CN=fw2,OU=firewalls');
    expect((p.tls as Obj).cipher).toBe('TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384');
  });

  it('carries an alert sent under encryption as who sent it, without level or description', () => {
    const s2 = fixtureSummary();
    const f = s2.flows.find((x) => x.serverPort === 6514)!;
    f.tls!.alert = { encrypted: true, from: 'server' };
    f.tcp!.rttMs = null;
    const g = list(decodeSummary(encodeSummary(s2)), 'flows').find((x) => x.serverPort === 6514)!;
    expect((g.tls as Obj).alert).toEqual({ encrypted: true, level: 'ALERT_LEVEL_UNSPECIFIED', from: 'SIDE_SERVER' });
    expect((g.tcp as Obj).rttMs).toBeNull();
  });

  it('carries statuses and degraded counts of entries and pairs, sections\' degraded, the inspection counters', () => {
    const entries = list(back, 'entries');
    expect(entries.map((e) => [e.id, e.status, e.degraded])).toEqual(s.entries.map((e) => [e.id, `CHANNEL_STATUS_${e.status.toUpperCase().replace('-', '_')}`, e.degraded]));
    expect(new Set(entries.map((e) => e.status))).toEqual(new Set(['CHANNEL_STATUS_DEGRADED', 'CHANNEL_STATUS_FAILING', 'CHANNEL_STATUS_UP', 'CHANNEL_STATUS_NOT_SEEN']));
    const ssh = entries.find((e) => e.id === 'management.ssh.22')!;
    expect(list(ssh, 'pairs')).toEqual([{ client: '10.99.1.50', server: '10.99.1.2', flows: 1, packets: 410, bytes: 48000, failed: 0, status: 'CHANNEL_STATUS_DEGRADED', degraded: 1 }]);
    const tls = entries.find((e) => e.id === 'management.syslog-tls.6514')!;
    expect(list(tls, 'failures')).toEqual([{ client: '10.99.1.2', server: '10.99.1.20', reason: 'REASON_TLS_ALERT', state: 'STATE_CLOSED', flows: 1 }]);
    expect(list(back, 'sections')[0]).toMatchObject({ id: 'SECTION_ID_MANAGEMENT', failed: 2, degraded: 1 });
    expect((back.input as Obj).inspection).toEqual({ flows: 4, bytesKept: 9216, capHit: 0 });
  });

  it('carries the health list: enums, null reason and times as absent, times both ways', () => {
    const health = list(back, 'health');
    expect(health.map((h) => [h.entry, h.status, h.reason, h.flows, h.failed, h.degraded])).toEqual([
      ['management.https.443', 'CHANNEL_STATUS_FAILING', 'REASON_REJECTED', 1, 1, 0],
      ['management.syslog-tls.6514', 'CHANNEL_STATUS_FAILING', 'REASON_TLS_ALERT', 1, 1, 0],
      ['management.ssh.22', 'CHANNEL_STATUS_DEGRADED', 'REASON_RETRANSMISSIONS', 1, 0, 1],
      ['ha.ha2-ether.7261', 'CHANNEL_STATUS_UP', 'REASON_UNSPECIFIED', 1, 0, 0],
      ['panorama.device-mgmt.3978', 'CHANNEL_STATUS_UP', 'REASON_UNSPECIFIED', 1, 0, 0],
    ]);
    const https = health[0];
    expect(https.lastSuccess).toBeUndefined();
    expect(https.lastSuccessUs).toBeUndefined();
    expect(https.lastFailure).toBe(s.health[0].lastFailure);
    expect(https.lastFailureUs).toBe(microsFromIso(s.health[0].lastFailure!));
    expect(health[4].lastSuccessUs).toBe(microsFromIso(s.health[4].lastSuccess!));
    expect(health[4].lastFailure).toBeUndefined();
  });

  it('carries the timeline: width, channels, buckets and gaps with times both ways', () => {
    const t = back.timeline as Obj;
    expect(t.intervalSeconds).toBe(10);
    const [ch] = list(t, 'channels');
    expect([ch.entry, ch.client, ch.server]).toEqual(['ha.ha1-clear.28769', s.timeline.channels[0].client, '10.99.1.3']);
    const want = s.timeline.channels[0];
    expect(list(ch, 'buckets')).toEqual(want.buckets.map((b) => ({ ...b, startUs: microsFromIso(b.start) })));
    expect(list(ch, 'gaps')).toEqual(want.gaps.map((g) => ({ ...g, startUs: microsFromIso(g.start), endUs: microsFromIso(g.end) })));
  });

  it('is deterministic', () => {
    expect(Buffer.from(encodeSummary(fixtureSummary())).equals(Buffer.from(buf))).toBe(true);
  });

  it('throws on a corrupted buffer', () => {
    const badWireType = Uint8Array.from(buf);
    badWireType[0] = 0x0f; // field 1 with wire type 7, which does not exist
    expect(() => decodeSummary(badWireType)).toThrow(/wire type/);
    expect(() => decodeSummary(buf.subarray(0, buf.length - 7))).toThrow();
    expect(() => decodeSummary(new Uint8Array(0))).toThrow(/not a pantap summary/);
  });

  it('refuses a value the .proto does not know instead of writing 0', () => {
    const bad = fixtureSummary();
    (bad.flows[0] as { section: string }).section = 'dmz';
    expect(() => encodeSummary(bad)).toThrow('SectionId has no value for "dmz"');
    const badCount = fixtureSummary();
    (badCount.input as { packets: unknown }).packets = '12';
    expect(() => encodeSummary(badCount)).toThrow(/packets/);
    const badReason = fixtureSummary();
    (badReason.flows[0] as { reason: string }).reason = 'slow';
    expect(() => encodeSummary(badReason)).toThrow('Reason has no value for "slow"');
    const badStatus = fixtureSummary();
    (badStatus.entries[0] as { status: string }).status = 'down';
    expect(() => encodeSummary(badStatus)).toThrow('ChannelStatus has no value for "down"');
  });
});

describe('protobuf summary of a live capture', () => {
  it('keeps the capture block, with absent kernel counters', () => {
    const s = fixtureSummary();
    s.input.details[0].format = 'live';
    s.flows[0].direction = 'dominant-sender';
    s.capture = { interface: 'eth1', backend: 'cap', filter: 'tcp port 3978', received: null, dropped: null, ifDropped: null };
    const back = decodeSummary(encodeSummary(s));
    expect(back.capture).toEqual({ interface: 'eth1', backend: 'cap', filter: 'tcp port 3978' });
    expect(list(back.input as Obj, 'details')[0].format).toBe('CAPTURE_FORMAT_LIVE');
    expect(list(back, 'flows')[0].direction).toBe('DIRECTION_DOMINANT_SENDER');
  });

  it('has no capture block for files', () => {
    expect(decodeSummary(encodeSummary(fixtureSummary())).capture).toBeNull();
  });
});

// Issue 12 (`pantap merge`): the protobuf summary decodes back into the model.
describe('summaryFromProtobuf', () => {
  it('gives back the summary: its JSON is the JSON of the summary encoded', () => {
    const s = fixtureSummary();
    const back = summaryFromProtobuf(encodeSummary(s));
    expect(renderJson(back)).toBe(renderJson(s));
    expect(back.mergeState).toBeUndefined();
  });

  it("keeps a run's merge state: every channel's volume, reasons and failures, the sketch's registers", async () => {
    const s = await analyze([resolve(REPO, 'fixtures/pan-lab/a06_failures.pcap')], { workers: 0 });
    const back = summaryFromProtobuf(encodeSummary(s));
    expect(back).toEqual(s);
    expect(back.mergeState!.channels).toEqual(s.mergeState!.channels);
    expect(back.mergeState!.overflowSketch).toEqual(s.mergeState!.overflowSketch);
    expect(back.mergeState!.channels.length).toBe(s.health.length);
  });

  it('keeps an LDAP bind DN (bind_dn is bindDn to protobufjs)', () => {
    const s = fixtureSummary();
    const f = s.flows[0];
    const withLdap = { ...s, flows: [{ ...f, ldap: { resultCode: 0, resultName: 'success', diagnostic: null, bindDN: 'cn=pantap,dc=lab', operations: 1 } }] };
    expect(summaryFromProtobuf(encodeSummary(withLdap)).flows[0].ldap!.bindDN).toBe('cn=pantap,dc=lab');
  });
});
