// The protobuf summary: round trip of the fixture, and corrupted input.
import { describe, expect, it } from 'vitest';
import { microsFromIso } from '../../src/report/format.js';
import { decodeSummary, encodeSummary } from '../../src/report/protobuf.js';
import { fixtureSummary, HA_A, T0 } from './fixture.js';

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
    const unseen = list(back, 'entries').find((e) => e.id === 'management.ssh.22')!;
    expect(unseen.firstSeen).toBeUndefined();
    expect(unseen.firstSeenUs).toBeUndefined();
  });

  it('maps nulls to absent optional fields and strings to enums', () => {
    const ha2 = list(back, 'flows').find((x) => x.client === HA_A)!;
    expect(ha2).toMatchObject({ transport: 'TRANSPORT_ETHERTYPE', ethertype: 0x7261, state: 'STATE_UNSPECIFIED', section: 'SECTION_ID_HA', direction: 'DIRECTION_FIRST_PACKET' });
    expect(ha2.clientPort).toBeUndefined();
    expect(ha2.ipProtocol).toBeUndefined();
    const https = list(back, 'entries').find((e) => e.id === 'management.https.443')!;
    expect(list(https, 'failures')).toEqual([{ client: '10.99.1.50', server: '10.99.1.2', state: 'STATE_REJECTED', flows: 1 }]);
    const rpc = list(back, 'entries').find((e) => e.id === 'user-id.rpc-dynamic.49152-65535')!;
    expect(rpc.portRange).toEqual({ first: 49152, last: 65535 });
    expect(rpc.port).toBeUndefined();
    expect(list(back, 'roles')[0]).toEqual({ address: '10.99.1.2', roles: ['firewall'], source: 'ROLE_SOURCE_INFERRED' });
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
