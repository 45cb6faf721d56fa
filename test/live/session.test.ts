// The live aggregation step without a network: crafted record batches go through the same
// FlowSession that `pantap live` drives (add → periodic expiry → running summary), with
// capture timestamps deciding what is idle. No root, no addon.
import { Writable } from 'node:stream';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/analyze.js';
import { readCapture, type FileReport } from '../../src/capture/reader.js';
import { REC_CAPLEN, REC_LINKTYPE, REC_OFFSET, REC_ORIGLEN, REC_TS_NSEC, REC_TS_SEC, REC_WORDS, type RecordBatch } from '../../src/capture/records.js';
import { loadCatalog } from '../../src/catalog/load.js';
import type { ClassifiedFlow } from '../../src/classify/classify.js';
import { loadInventory } from '../../src/classify/inventory.js';
import { idleTimeouts, type IdleTimeouts } from '../../src/flow/expire.js';
import { DEFAULT_MAX_FLOWS } from '../../src/flow/table.js';
import { writeFlows } from '../../src/report/ndjson.js';
import { renderJson } from '../../src/report/json.js';
import type { Summary } from '../../src/report/model.js';
import { NdjsonWriter } from '../../src/report/ndjson.js';
import { FlowSession } from '../../src/session/session.js';
import { ACK, FIN, ipv4, pcap, PROTO_TCP, PROTO_UDP, PSH, SYN, tcp, tempDir, udp } from '../helpers/build.js';
import { dumpFlows, totalPackets } from '../helpers/flows.js';
import { REPO } from '../helpers/shared.js';

const S = 1e6;
const T0 = Date.UTC(2026, 10, 25, 16, 0, 0) * 1000;
const catalog = loadCatalog();
const tmp = tempDir('pantap-session-');
afterAll(() => tmp.remove());

interface Rec {
  tsUs: number;
  frame: Buffer;
  /** Wire length; defaults to the frame's length. */
  origlen?: number;
}

const udp4 = (src: string, dst: string, sport: number, dport: number, payload = 20): Buffer =>
  ipv4({ src, dst, proto: PROTO_UDP, payload: udp({ sport, dport, payload: Buffer.alloc(payload) }) });
const tcp4 = (src: string, dst: string, sport: number, dport: number, flags: number, payload = 0): Buffer =>
  ipv4({ src, dst, proto: PROTO_TCP, payload: tcp({ sport, dport, flags, payload: Buffer.alloc(payload) }) });

/** One record batch (raw IPv4, link type 101) in the layout the readers and the live addon produce. */
function batchOf(recs: Rec[], seqBase: number): RecordBatch {
  const total = recs.reduce((a, r) => a + r.frame.length, 0);
  const data = new ArrayBuffer(Math.max(1, total));
  const u8 = new Uint8Array(data);
  const index = new ArrayBuffer(Math.max(1, recs.length) * REC_WORDS * 4);
  const idx = new Uint32Array(index);
  let off = 0;
  recs.forEach((r, i) => {
    u8.set(r.frame, off);
    const o = i * REC_WORDS;
    idx[o + REC_OFFSET] = off;
    idx[o + REC_CAPLEN] = r.frame.length;
    idx[o + REC_ORIGLEN] = r.origlen ?? r.frame.length;
    idx[o + REC_TS_SEC] = Math.floor(r.tsUs / S);
    idx[o + REC_TS_NSEC] = (r.tsUs % S) * 1000;
    idx[o + REC_LINKTYPE] = 101;
    off += r.frame.length;
  });
  return { data, index, count: recs.length, seqBase, fileIndex: 0, fileOffset: 0 };
}

/** Feeds batches to a session with running record numbers, as live-command does. */
class Feeder {
  seq = 0;
  constructor(readonly session: FlowSession) {}
  async add(recs: Rec[]): Promise<ClassifiedFlow[]> {
    const expired = await this.session.add(batchOf(recs, this.seq));
    this.seq += recs.length;
    return expired;
  }
  report(): FileReport {
    return { file: 'live:test0', format: 'live', gzip: false, records: this.seq, bytesRead: 0, linktypes: [101], snaplen: 262144, sections: null, truncatedAt: null, error: null, warnings: [], warningsSuppressed: 0 };
  }
}

interface SessionOptions {
  timeouts?: IdleTimeouts | null;
  allFlows?: boolean;
  maxListed?: number;
  roles?: string;
  workers?: number;
  batchRecords?: number;
}

function session(o: SessionOptions = {}): FlowSession {
  return new FlowSession({
    catalog,
    inventory: o.roles ? loadInventory(o.roles) : null,
    maxFlows: DEFAULT_MAX_FLOWS,
    allFlows: o.allFlows ?? false,
    maxListed: o.maxListed ?? 10_000,
    topPairs: 5,
    timeouts: o.timeouts === undefined ? idleTimeouts() : o.timeouts,
    workers: o.workers ?? 0,
    batchRecords: o.batchRecords,
  });
}

const entry = (s: Summary, id: string) => s.entries.find((e) => e.id === id)!;
const section = (s: Summary, id: string) => s.sections.find((x) => x.id === id)!;
const FW = '10.99.1.2';
const NMS = '10.99.1.20';

describe('FlowSession: idle expiry', () => {
  it('(a) a UDP flow idle for more than 60 s leaves the table once; a flow that goes on stays', async () => {
    const s = session();
    const feed = new Feeder(s);
    const expiredAt: { tick: number; flows: ClassifiedFlow[] }[] = [];
    for (let tick = 0; tick <= 150; tick += 10) {
      const recs: Rec[] = [];
      if (tick === 0) {
        // SNMP poll and answer, then silence
        recs.push({ tsUs: T0, frame: udp4(NMS, FW, 40000, 161, 40) }, { tsUs: T0 + 0.5 * S, frame: udp4(FW, NMS, 161, 40000, 80) });
        // an unexpected flow, also quiet afterwards
        recs.push({ tsUs: T0 + 0.7 * S, frame: udp4('10.99.1.60', FW, 5000, 9999, 10) });
      }
      // NTP every 10 s: never idle for long
      recs.push({ tsUs: T0 + tick * S + 1000, frame: udp4(FW, '10.99.1.30', 50123, 123, 48) });
      const flows = await feed.add(recs);
      if (flows.length > 0) expiredAt.push({ tick, flows });
    }
    // idle 59.3 s at tick 60, 69.3 s at tick 70
    expect(expiredAt.map((x) => [x.tick, x.flows.map((f) => f.serverPort)])).toEqual([[70, [161, 9999]]]);
    const snmp = expiredAt[0].flows[0];
    expect([snmp.client, snmp.server, snmp.clientPackets, snmp.serverPackets, snmp.state, snmp.section]).toEqual([NMS, FW, 1, 1, null, 'management']);
    expect(s.expiredFlows).toBe(2);
    expect(s.table.size).toBe(1);

    // The running view counts the expired flows and the active one as the summary will.
    const mid = s.view();
    expect(s.view()).toEqual(mid); // view() leaves the session as it was
    expect([mid.expired, mid.active]).toEqual([2, 1]);
    const { summary, remaining } = await s.finish({ files: [feed.report()] });
    expect(summary.sections.map(({ id, flows, packets, bytes, failed, degraded }) => ({ id, flows, packets, bytes, failed, degraded }))).toEqual(mid.sections);
    expect(remaining.map((f) => f.serverPort)).toEqual([123]);
    expect(mid.health).toEqual(summary.health); // the health list too, active flows included
    expect(mid.health.length).toBeGreaterThan(0);
    expect(summary.input.packets).toBe(3 + 16);
    expect(summary.input.flowTable.flows).toBe(3);
    const e161 = entry(summary, 'management.snmp.161');
    expect([e161.flows, e161.packets, e161.bytes, e161.failed]).toEqual([1, 2, 40 + 80 + 2 * 28, 0]);
    expect(e161.pairs).toEqual([{ client: NMS, server: FW, flows: 1, packets: 2, bytes: 176, failed: 0, status: 'up', degraded: 0 }]);
    const ntp = entry(summary, 'management.ntp.123');
    expect([ntp.flows, ntp.packets]).toEqual([1, 16]);
    expect(ntp.firstSeen).toBe('2026-11-25T16:00:00.001000Z');
    expect(ntp.lastSeen).toBe('2026-11-25T16:02:30.001000Z');
    expect([section(summary, 'management').flows, section(summary, 'management').packets]).toEqual([2, 18]);
    expect([section(summary, 'unexpected').flows, section(summary, 'unexpected').packets]).toEqual([1, 1]);
    // Listed: the unexpected flow, and NTP, whose 16 requests got no reply (failed: no-reply).
    expect(summary.flows.map((f) => [f.server, f.serverPort, f.packets, f.section, f.reason])).toEqual([
      ['10.99.1.30', 123, 16, 'management', 'no-reply'],
      [FW, 9999, 1, 'unexpected', null],
    ]);
  });

  it('(b) a TCP flow closed with FINs from both sides expires after 30 s, an open one after 5 minutes', async () => {
    const s = session();
    const feed = new Feeder(s);
    const C = '10.99.1.1';
    const P = '10.99.1.5';
    const conv = (sport: number, close: boolean): Rec[] => {
      const r = [
        tcp4(C, P, sport, 3978, SYN),
        tcp4(P, C, 3978, sport, SYN | ACK),
        tcp4(C, P, sport, 3978, ACK),
        tcp4(C, P, sport, 3978, PSH | ACK, 100),
        tcp4(P, C, 3978, sport, PSH | ACK, 300),
      ];
      if (close) r.push(tcp4(C, P, sport, 3978, FIN | ACK), tcp4(P, C, 3978, sport, FIN | ACK), tcp4(C, P, sport, 3978, ACK));
      return r.map((frame, i) => ({ tsUs: T0 + i * 1000 + (close ? 0 : 500), frame }));
    };
    expect(await feed.add([...conv(50001, true), ...conv(50002, false)])).toEqual([]);
    const last = T0 + 7000; // the closed flow's final ACK
    // Explicit checks at chosen capture times, as the periodic step makes them.
    expect(await s.flush(last + 30 * S)).toEqual([]);
    const closed = await s.flush(last + 30 * S + 1);
    expect(closed.map((f) => [f.clientPort, f.state, f.clientPackets + f.serverPackets, f.section])).toEqual([[50001, 'closed', 8, 'panorama']]);
    expect(s.table.size).toBe(1);
    // A packet 6 minutes on triggers the periodic check: the open flow (idle > 300 s) goes.
    const later = await feed.add([{ tsUs: T0 + 360 * S, frame: udp4(C, NMS, 5514, 514) }]);
    expect(later.map((f) => [f.clientPort, f.state])).toEqual([[50002, 'established']]);
    const { summary } = await s.finish({ files: [feed.report()] });
    const e = entry(summary, 'panorama.device-mgmt.3978');
    expect([e.flows, e.packets, e.failed, e.pairCount]).toEqual([2, 13, 0, 1]);
    expect(summary.roles).toEqual([{ address: P, roles: ['panorama'], source: 'inferred', evidence: [`3978 server for ${C}`], possible: [] }]);
    expect(summary.input.flowTable.flows).toBe(3);
  });

  it('roles learnt from expired flows persist: a later flow on a shared port is narrowed by them', async () => {
    const s = session();
    const feed = new Feeder(s);
    const C = '10.99.1.1';
    const P = '10.99.1.5';
    // 3978 proves that P is a Panorama; the flow expires (closed) long before the next one.
    await feed.add(
      [tcp4(C, P, 50001, 3978, SYN), tcp4(P, C, 3978, 50001, SYN | ACK), tcp4(C, P, 50001, 3978, FIN | ACK), tcp4(P, C, 3978, 50001, FIN | ACK)].map((frame, i) => ({ tsUs: T0 + i, frame })),
    );
    expect(await feed.add([{ tsUs: T0 + 40 * S, frame: udp4(C, NMS, 5514, 514) }])).toHaveLength(1);
    expect(s.table.size).toBe(1);
    // HTTPS to P: management.https.443 or panorama.https.443; the role picks Panorama.
    await feed.add([tcp4('10.99.1.50', P, 51000, 443, SYN), tcp4(P, '10.99.1.50', 443, 51000, SYN | ACK)].map((frame, i) => ({ tsUs: T0 + 41 * S + i, frame })));
    const { summary } = await s.finish({ files: [feed.report()] });
    expect(entry(summary, 'panorama.https.443').flows).toBe(1);
    expect(entry(summary, 'management.https.443').flows).toBe(0);
  });

  it('(c) 200,000 short flows over simulated hours: the table stays small, the totals are exact', async () => {
    const s = session();
    const feed = new Feeder(s);
    const udpTpl = udp4('10.99.1.100', FW, 1024, 161, 30);
    const FLOWS = 200_000;
    const PER_SECOND = 20;
    const PER_BATCH = 100; // 5 s of capture per batch
    let maxSize = 0;
    let expired = 0;
    let wireBytes = 0;
    for (let b = 0; b < FLOWS / PER_BATCH; b++) {
      const recs: Rec[] = [];
      for (let k = 0; k < PER_BATCH; k++) {
        const i = b * PER_BATCH + k;
        const t = T0 + Math.floor((i * S) / PER_SECOND);
        const cport = 30000 + (Math.floor(i / 50) % 30000); // no catalog port among them
        // three in four: SNMP polls answered; one in four: probes of port 9999 (unexpected)
        const dport = i % 4 === 3 ? 9999 : 161;
        const q = Buffer.from(udpTpl);
        q.writeUInt32BE(0x0a630300 + (i % 50), 12); // 10.99.3.x: 50 clients
        q.writeUInt16BE(cport, 20);
        q.writeUInt16BE(dport, 22);
        const a = Buffer.from(udpTpl);
        a.writeUInt32BE(0x0a630102, 12);
        a.writeUInt32BE(0x0a630300 + (i % 50), 16);
        a.writeUInt16BE(dport, 20);
        a.writeUInt16BE(cport, 22);
        recs.push({ tsUs: t, frame: q, origlen: 100 + (i % 7) }, { tsUs: t + 1000, frame: a, origlen: 200 });
        wireBytes += 300 + (i % 7);
      }
      expired += (await feed.add(recs)).length;
      maxSize = Math.max(maxSize, s.table.size);
    }
    // 20 new flows a second, each idle for 60 s before it goes, checked every 5 s of capture.
    expect(maxSize).toBeLessThan(1500);
    expect(s.table.capacity).toBeLessThanOrEqual(4096);
    expect(expired).toBeGreaterThan(FLOWS - 1500);
    expect(s.expiredFlows).toBe(expired);
    const { summary, remaining } = await s.finish({ files: [feed.report()] });
    expect(expired + remaining.length).toBe(FLOWS);
    expect(summary.input.packets).toBe(2 * FLOWS);
    expect(summary.input.bytes).toBe(wireBytes);
    expect(summary.input.flowTable.flows).toBe(FLOWS);
    const sum = (k: 'flows' | 'packets' | 'bytes') => summary.sections.reduce((a, x) => a + x[k], 0) + summary.other[k] + summary.nonIp.reduce((a, x) => a + x[k], 0);
    expect([sum('flows'), sum('packets'), sum('bytes')]).toEqual([FLOWS, 2 * FLOWS, wireBytes]);
    const snmp = entry(summary, 'management.snmp.161');
    expect([snmp.flows, snmp.packets, snmp.pairCount]).toEqual([150_000, 300_000, 50]);
    expect(snmp.pairs).toHaveLength(5);
    expect(snmp.pairs.reduce((a, p) => a + p.flows, 0)).toBeLessThanOrEqual(150_000);
    expect(section(summary, 'unexpected').flows).toBe(50_000);
    expect(summary.flows).toHaveLength(10_000);
    expect(summary.flowsOmitted).toBe(40_000);
    // the largest kept, then first seen first
    for (let i = 1; i < summary.flows.length; i++) expect(summary.flows[i - 1].bytes).toBeGreaterThanOrEqual(summary.flows[i].bytes);
    expect(summary.flows[0].bytes).toBe(306);
    expect(summary.input.firstSeen).toBe('2026-11-25T16:00:00.000000Z');
    expect(summary.input.lastSeen).toBe('2026-11-25T18:46:39.951000Z');
  });
});

describe('FlowSession: --flows-ndjson', () => {
  it('(d) writes each flow when it expires, and the rest at the end, each once', async () => {
    const lines: string[] = [];
    const out = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        cb();
      },
    });
    const w = new NdjsonWriter(out);
    const s = session({ allFlows: true });
    const feed = new Feeder(s);
    const written: number[] = [];
    for (let tick = 0; tick <= 130; tick += 10) {
      const recs: Rec[] = [{ tsUs: T0 + tick * S, frame: udp4(FW, '10.99.1.30', 50123, 123) }];
      if (tick === 0) recs.push({ tsUs: T0 + 1, frame: udp4(NMS, FW, 40000, 161) });
      if (tick === 50) recs.push({ tsUs: T0 + 50 * S + 1, frame: udp4(NMS, FW, 40001, 161) });
      await writeFlows(w, await feed.add(recs), catalog);
      written.push(lines.length);
    }
    // the first SNMP flow at 70 s (idle 70 s), the second at 120 s
    expect(written).toEqual([0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2]);
    expect(JSON.parse(lines[0])).toMatchObject({ client: NMS, server: FW, clientPort: 40000, serverPort: 161, packets: 1, section: 'management', entries: ['management.snmp.161'] });
    const { summary, remaining } = await s.finish({ files: [feed.report()] });
    await writeFlows(w, remaining, catalog);
    await w.close();
    expect(lines).toHaveLength(3);
    // The same objects, keys in the same order, as the JSON summary's flows (all listed here).
    const json = JSON.parse(renderJson(summary)) as { flows: unknown[] };
    const key = (x: unknown) => JSON.stringify(x);
    expect(lines.map((l) => key(JSON.parse(l))).sort()).toEqual(json.flows.map(key).sort());
  });
});

describe('FlowSession with expiry agrees with file analysis', () => {
  /** Reads a capture into the session through its own buffer pool, as the file adapter does. */
  async function feedFile(path: string, s: FlowSession): Promise<FileReport> {
    let seq = 0;
    return readCapture(path, {
      fileIndex: 0,
      seqBase: 0,
      pool: s.buffers,
      async submit(b) {
        expect(b.seqBase).toBe(seq);
        seq += b.count;
        await s.add(b);
      },
    });
  }

  const A07 = resolve(REPO, 'fixtures/pan-lab/a07_mixed.pcap');
  const ROLES = resolve(REPO, 'fixtures/pan-lab/lab-roles.yaml');

  it.each([
    ['defaults', {}, 0],
    ['--flows', { allFlows: true }, 0],
    ['--roles', { roles: ROLES }, 0],
    ['defaults', {}, 2],
    ['--flows', { allFlows: true }, 1],
  ] as const)('(e) a07 without expiry: the same summary as analyze() (%s, workers: %s)', async (_name, o, workers) => {
    const s = session({ timeouts: null, workers, ...o });
    const report = await feedFile(A07, s);
    const file = await analyze([A07], { workers: 0, allFlows: 'allFlows' in o ? o.allFlows : false, rolesFile: 'roles' in o ? o.roles : undefined });
    const { summary: live } = await s.finish({ files: [report] });
    expect(live).toEqual(file);
    expect(renderJson(live)).toBe(renderJson(file));
  });

  it.each([0, 2])('a07 with expiry checks whose timeouts are never reached, in batches of 7 records: still the same (workers: %s)', async (workers) => {
    const s = session({ timeouts: idleTimeouts({ tcp: 86400, udp: 86400, other: 86400 }), allFlows: true, workers, batchRecords: 7 });
    const report = await feedFile(A07, s);
    expect(report.records).toBeGreaterThan(7 * 10);
    const file = await analyze([A07], { workers: 0, allFlows: true });
    expect(renderJson((await s.finish({ files: [report] })).summary)).toBe(renderJson(file));
  });

  it.each([0, 2])('IP fragments split across expiry checks join their flow as in file analysis (workers: %s)', async (workers) => {
    const recs: Rec[] = [];
    const P = '10.99.1.20';
    for (let k = 0; k < 6; k++) {
      const t = T0 + k * 2 * S;
      const body = Buffer.alloc(64, k);
      const full = udp({ sport: 40000 + k, dport: 514, payload: body });
      const id = 0x100 + k;
      recs.push({ tsUs: t, frame: ipv4({ src: FW, dst: P, proto: PROTO_UDP, id, mf: true, payload: full.subarray(0, 40) }) });
      // the later fragment 1.5 s after its first fragment (after at least one check), or, as
      // senders may emit them last-first, 0.8 s before it
      const dt = k % 2 === 0 ? 1.5 * S : -0.8 * S;
      recs.push({ tsUs: t + dt, frame: ipv4({ src: FW, dst: P, proto: PROTO_UDP, id, fragOffset: 5, payload: full.subarray(40) }) });
    }
    recs.push({ tsUs: T0 + 13 * S, frame: ipv4({ src: FW, dst: P, proto: PROTO_UDP, id: 0x999, fragOffset: 5, payload: Buffer.alloc(8) }) }); // orphan
    recs.push({ tsUs: T0 + 20 * S, frame: udp4(FW, P, 1, 2) }); // the clock moves on
    recs.sort((a, b) => a.tsUs - b.tsUs);
    const path = tmp.file(`frags-${workers}.pcap`, pcap(recs.map((r) => ({ sec: Math.floor(r.tsUs / S), frac: r.tsUs % S, data: r.frame })), { linktype: 101 }));
    const s = session({ allFlows: true, workers });
    const feed = new Feeder(s);
    for (const r of recs) await feed.add([r]);
    // resolved as they go: every fragment is in its flow before the end (a flush brings
    // the merged table up to the last record, which a worker may still hold)
    await s.flush();
    const active = dumpFlows(s.table);
    expect([active.length, active.reduce((a, f) => a + totalPackets(f), 0)]).toEqual([7, 13]);
    expect(s.fragmentResult).toEqual({ attributed: 6, orphans: 0, dropped: 0 }); // the orphan may still get its first fragment
    const live = (await s.finish({ files: [feed.report()] })).summary;
    const file = await analyze([path], { workers: 0, allFlows: true });
    expect(live.input.fragments).toEqual({ attributed: 6, orphans: 1, dropped: 0 });
    expect(live.input.fragments).toEqual(file.input.fragments);
    expect(live.flows).toEqual(file.flows);
    expect(live.entries).toEqual(file.entries);
  });
});
