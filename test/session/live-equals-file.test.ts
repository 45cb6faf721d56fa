// Live equals file: a capture replayed through the live adapter (batches pulled from a
// source, idle expiry on, flushes every second of capture time) gives the same flows and
// the same summary as `analyze` on the file, for every pan-lab capture and for crafted IP
// fragment cases (later fragments 1 s, 27 s and 55 s after the first, while the flow is
// active and after it went idle), with the session aggregating inline and on a worker.
import { readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeCaptures } from '../../src/analyze.js';
import { BufferPool, readCapture } from '../../src/capture/reader.js';
import { REC_WORDS, type RecordBatch } from '../../src/capture/records.js';
import { loadCatalog } from '../../src/catalog/load.js';
import type { ClassifiedFlow } from '../../src/classify/classify.js';
import { idleTimeouts, type IdleTimeouts } from '../../src/flow/expire.js';
import { DEFAULT_MAX_FLOWS } from '../../src/flow/table.js';
import { flowRecord } from '../../src/report/flow-record.js';
import type { Summary } from '../../src/report/model.js';
import { feedLive, type BatchSource } from '../../src/session/live.js';
import { FlowSession } from '../../src/session/session.js';
import { ACK, FIN, ipv4, pcap, PROTO_TCP, PROTO_UDP, PSH, SYN, tcp, tempDir, udp } from '../helpers/build.js';
import { REPO } from '../helpers/shared.js';

const PAN_LAB = resolve(REPO, 'fixtures/pan-lab');
const catalog = loadCatalog();
const tmp = tempDir('pantap-live-file-');
afterAll(() => tmp.remove());

/** A finite batch source that replays a capture file in batches of `perBatch` records. */
async function replay(path: string, perBatch: number): Promise<BatchSource & { linktype: number }> {
  const batches: { data: Uint8Array; index: Uint32Array; count: number }[] = [];
  const pool = new BufferPool(1 << 16, perBatch);
  const rep = await readCapture(path, {
    fileIndex: 0,
    seqBase: 0,
    pool,
    submit: (b: RecordBatch) => {
      batches.push({ data: new Uint8Array(b.data.slice(0)), index: new Uint32Array(b.index.slice(0, b.count * REC_WORDS * 4)), count: b.count });
      pool.release(b);
    },
  });
  let next = 0;
  return {
    linktype: rep.linktypes[0] ?? 1,
    ended: () => next >= batches.length,
    async read(data: ArrayBuffer, index: ArrayBuffer, max: number) {
      const b = batches[next++];
      if (b.count > max) throw new Error('replay batch larger than the session buffers');
      new Uint8Array(data).set(b.data);
      new Uint32Array(index).set(b.index);
      return { count: b.count };
    },
  };
}

interface Options {
  timeouts?: IdleTimeouts;
  workers?: number;
  perBatch?: number;
  maxFlows?: number;
}

/** Replays `path` through the live adapter; returns every flow (expired or not) and the summary. */
async function live(path: string, o: Options = {}): Promise<{ flows: ClassifiedFlow[]; summary: Summary; expired: number }> {
  const session = new FlowSession({
    catalog,
    inventory: null,
    maxFlows: o.maxFlows ?? DEFAULT_MAX_FLOWS,
    allFlows: true,
    maxListed: 10_000,
    topPairs: 5,
    timeouts: o.timeouts ?? idleTimeouts(),
    workers: o.workers ?? 0,
  });
  const flows: ClassifiedFlow[] = [];
  const src = await replay(path, o.perBatch ?? 7);
  const file = await feedLive(session, src, { name: 'live:replay', snaplen: 262144, onFlows: (f) => void flows.push(...f) });
  const expired = flows.length;
  const { summary, remaining } = await session.finish({ files: [file] });
  return { flows: [...flows, ...remaining], summary, expired };
}

/** The summary without what says where packets came from (a file vs an interface). */
function comparable(s: Summary): unknown {
  const { files: _f, details: _d, ...input } = s.input;
  return { ...s, input };
}

const records = (flows: ClassifiedFlow[]) =>
  flows
    .map((f) => JSON.stringify(flowRecord(f, catalog)))
    .sort();

async function expectLiveEqualsFile(path: string, o: Options = {}): Promise<{ expired: number; summary: Summary }> {
  const file = await analyzeCaptures([path], { workers: 0, allFlows: true });
  const l = await live(path, o);
  expect(records(l.flows)).toEqual(records(file.flows));
  expect(comparable(l.summary)).toEqual(comparable(file.summary));
  return { expired: l.expired, summary: l.summary };
}

const captures = readdirSync(PAN_LAB).filter((f) => f.endsWith('.pcap')).sort();
const VERDICTS = resolve(REPO, 'fixtures/verdicts');
const verdictCaptures = readdirSync(VERDICTS).filter((f) => f.endsWith('.pcap')).sort();

describe('live equals file: pan-lab captures', () => {
  it('there are pan-lab captures to replay', () => expect(captures.length).toBeGreaterThanOrEqual(7));
  for (const name of captures) {
    it.each([
      ['inline', 0, 7],
      ['one worker', 1, 5],
    ])(`${name}: same flows and summary (%s: %i workers, batches of %i records)`, async (_how, workers, perBatch) => {
      await expectLiveEqualsFile(join(PAN_LAB, name), { workers, perBatch });
    });
  }
});

// Verdicts need every packet of a flow in order (TCP health, payload): expiry, batching and
// the worker must not change them.
describe('live equals file: verdict lab captures', () => {
  for (const name of verdictCaptures) {
    it.each([
      ['inline', 0, 3],
      ['one worker', 1, 5],
      ['two workers', 2, 4],
    ])(`${name}: same flows, verdicts and summary (%s: %i workers, batches of %i records)`, async (_how, workers, perBatch) => {
      const file = await analyzeCaptures([join(VERDICTS, name)], { workers: 0, allFlows: true });
      const l = await live(join(VERDICTS, name), { workers, perBatch, timeouts: { ...idleTimeouts({ udp: 10 }), tcpClosedUs: 1e6 } });
      const verdicts = (flows: ClassifiedFlow[]) => flows.map((f) => JSON.stringify([f.client, f.clientPort, f.serverPort, f.app, f.verdict, f.reason, f.detail, f.tcp, f.tls, f.ssh, f.communityId])).sort();
      expect(verdicts(l.flows)).toEqual(verdicts(file.flows));
      // Expiry took part when a flow had been idle past its timeout (closed TCP 1 s, UDP 10 s)
      // with a check (every second of capture time) to spare before the capture ended.
      const end = Math.max(...file.flows.map((f) => f.lastTs));
      const idleFor = (f: ClassifiedFlow) => (f.transport === 'udp' ? 10e6 : f.state === 'closed' ? 1e6 : Infinity);
      if (file.flows.some((f) => f.lastTs + idleFor(f) + 2e6 < end)) expect(l.expired).toBeGreaterThan(0);
    });
  }
});

// A UDP flow 10.0.0.5:5514 → 10.0.0.9:514 (syslog) with a datagram in two fragments.
const C = '10.0.0.5';
const S = '10.0.0.9';
const T0 = 1_700_000_000;
const whole = udp({ sport: 5514, dport: 514, payload: Buffer.alloc(2000, 0x42) });
const first = (id: number) => ipv4({ src: C, dst: S, proto: PROTO_UDP, id, mf: true, payload: whole.subarray(0, 1480) });
const later = (id: number) => ipv4({ src: C, dst: S, proto: PROTO_UDP, id, fragOffset: 185, payload: whole.subarray(1480) });
const small = () => ipv4({ src: C, dst: S, proto: PROTO_UDP, payload: udp({ sport: 5514, dport: 514, payload: Buffer.from('<13>hello') }) });

function capture(name: string, packets: [number, Buffer][]): string {
  const path = join(tmp.dir, `${name}.pcap`);
  writeFileSync(path, pcap(packets.map(([t, data]) => ({ sec: T0 + Math.floor(t), frac: Math.round((t % 1) * 1e6), data })), { linktype: 101 }));
  return path;
}

/** Messages every 5 s from 0 to `until` s (the flow stays active), plus the given packets. */
function active(until: number, extra: [number, Buffer][]): [number, Buffer][] {
  const out: [number, Buffer][] = [...extra];
  for (let t = 0; t <= until; t += 5) out.push([t + 0.5, small()]);
  return out.sort((a, b) => a[0] - b[0]);
}

describe('live equals file: IP fragments', () => {
  it.each([1, 27, 55])('later fragment %i s after the first while the flow is active', async (delay) => {
    const path = capture(`active-${delay}`, active(70, [
      [2, first(7)],
      [2 + delay, later(7)],
    ]));
    const { summary } = await expectLiveEqualsFile(path, { timeouts: idleTimeouts({ udp: 10 }), perBatch: 1 });
    // one rule, one window (30 s): the 55 s fragment is an orphan in both
    expect(summary.input.fragments).toEqual({ attributed: delay <= 30 ? 1 : 0, orphans: delay <= 30 ? 0 : 1, dropped: 0 });
    expect(summary.flows).toHaveLength(1);
    expect(summary.flows[0].packets).toBe(15 + 1 + (delay <= 30 ? 1 : 0));
  });

  it.each([1, 27, 55])('later fragment %i s after the first, the flow idle after it (UDP timeout 10 s)', async (delay) => {
    const path = capture(`idle-${delay}`, [
      [0, small()],
      [2, first(9)],
      [2 + delay, later(9)],
      // an unrelated flow keeps the capture clock moving
      ...Array.from({ length: 20 }, (_, i): [number, Buffer] => [i * 4 + 1, ipv4({ src: '10.0.0.77', dst: S, proto: PROTO_UDP, payload: udp({ sport: 40000, dport: 123 }) })]),
    ].sort((a, b) => (a[0] as number) - (b[0] as number)) as [number, Buffer][]);
    const { summary, expired } = await expectLiveEqualsFile(path, { timeouts: idleTimeouts({ udp: 10 }), perBatch: 1 });
    expect(expired).toBeGreaterThan(0);
    expect(summary.input.fragments.attributed).toBe(delay <= 30 ? 1 : 0);
    expect(summary.input.fragments.orphans).toBe(delay <= 30 ? 0 : 1);
    const syslog = summary.flows.filter((f) => f.serverPort === 514);
    expect(syslog).toHaveLength(1);
    expect(syslog[0].packets).toBe(2 + (delay <= 30 ? 1 : 0));
  });

  it.each([1, 27, 55])('later fragment sent %i s before its first (last-first)', async (delay) => {
    const path = capture(`lastfirst-${delay}`, active(70, [
      [3, later(11)],
      [3 + delay, first(11)],
    ]));
    const { summary } = await expectLiveEqualsFile(path, { timeouts: idleTimeouts({ udp: 10 }), workers: 1, perBatch: 2 });
    expect(summary.input.fragments.attributed).toBe(delay <= 30 ? 1 : 0);
  });
});

describe('live: expiry depends on timestamps, not on batches', () => {
  for (const name of captures) {
    it(`${name}: 3 s timeouts give the same flows whatever the batch size (1, 7, 64, 4096 records)`, async () => {
      const t = idleTimeouts({ tcp: 3, udp: 3, other: 3 });
      const runs = [];
      for (const perBatch of [1, 7, 64, 4096]) runs.push(await live(join(PAN_LAB, name), { timeouts: t, perBatch }));
      for (const r of runs.slice(1)) {
        expect(r.expired).toBe(runs[0].expired);
        expect(records(r.flows)).toEqual(records(runs[0].flows));
        expect(comparable(r.summary)).toEqual(comparable(runs[0].summary));
      }
    });
  }

  it('flows do expire with 3 s timeouts (so the test above compares expiry)', async () => {
    const r = await live(join(PAN_LAB, 'a02_ha.pcap'), { timeouts: idleTimeouts({ tcp: 3, udp: 3, other: 3 }), perBatch: 7 });
    expect(r.expired).toBeGreaterThan(0);
  });
});

describe('live: a full flow table keeps the same flows for any worker count', () => {
  it('30 new UDP flows a second, 3 s timeouts, a table of 50: the same flows, overflow and summary inline, with 1 and 2 workers', async () => {
    const packets: [number, Buffer][] = [];
    let x = 99;
    const rnd = (n: number): number => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return (x >>> 8) % n;
    };
    for (let t = 0; t < 40; t++) {
      for (let i = 0; i < 30; i++) {
        const port = 20000 + t * 30 + i;
        const at = t + i * 0.01;
        // each flow's datagrams, some answered, over up to 2 s
        for (let k = 0, n = 1 + rnd(3); k < n; k++) {
          const out = rnd(3) !== 0;
          const u = out ? udp({ sport: port, dport: 514 }) : udp({ sport: 514, dport: port });
          packets.push([at + k * rnd(100) * 0.02, ipv4({ src: out ? '10.0.6.1' : '10.0.6.9', dst: out ? '10.0.6.9' : '10.0.6.1', proto: PROTO_UDP, payload: u })]);
        }
      }
      // one flow that goes on all along (kept from the start)
      packets.push([t + 0.5, ipv4({ src: '10.0.6.2', dst: '10.0.6.9', proto: PROTO_UDP, payload: udp({ sport: 9999, dport: 123 }) })]);
    }
    const path = capture('overflow', packets.sort((a, b) => a[0] - b[0]));
    const timeouts = idleTimeouts({ tcp: 3, udp: 3, other: 3 });
    const ref = await live(path, { timeouts, maxFlows: 50, perBatch: 7 });
    expect(ref.summary.input.flowTable.overflowPackets).toBeGreaterThan(500);
    expect(ref.expired).toBeGreaterThan(300);
    for (const [workers, perBatch] of [
      [1, 5],
      [2, 4],
      [2, 64],
    ]) {
      const r = await live(path, { timeouts, maxFlows: 50, workers, perBatch });
      expect(r.expired).toBe(ref.expired);
      expect(records(r.flows)).toEqual(records(ref.flows));
      expect(comparable(r.summary)).toEqual(comparable(ref.summary));
    }
  });
});

describe('live: roles proven by flows still active count for the flows that expire', () => {
  it('an SSH session to Panorama that ends while the 3978 connection proving the role goes on', async () => {
    const FW1 = '10.0.5.1';
    const PANO = '10.0.5.9';
    const ADMIN = '10.0.5.50';
    const seg = (src: string, dst: string, sport: number, dport: number, flags: number, payload = Buffer.alloc(0)) =>
      ipv4({ src, dst, proto: PROTO_TCP, payload: tcp({ sport, dport, flags, payload }) });
    const packets: [number, Buffer][] = [
      // admin → Panorama SSH, over after 1 s (closed TCP expires 30 s later)
      [0, seg(ADMIN, PANO, 50000, 22, SYN)],
      [0.001, seg(PANO, ADMIN, 22, 50000, SYN | ACK)],
      [0.002, seg(ADMIN, PANO, 50000, 22, ACK)],
      [0.5, seg(ADMIN, PANO, 50000, 22, ACK | PSH, Buffer.from('SSH-2.0-x\r\n'))],
      [1, seg(ADMIN, PANO, 50000, 22, FIN | ACK)],
      [1.001, seg(PANO, ADMIN, 22, 50000, FIN | ACK)],
      [1.002, seg(ADMIN, PANO, 50000, 22, ACK)],
      // firewall → Panorama 3978, established, keeps talking every 10 s for 100 s
      [5, seg(FW1, PANO, 40000, 3978, SYN)],
      [5.001, seg(PANO, FW1, 3978, 40000, SYN | ACK)],
      [5.002, seg(FW1, PANO, 40000, 3978, ACK)],
    ];
    for (let t = 10; t <= 100; t += 10) packets.push([t, seg(FW1, PANO, 40000, 3978, ACK | PSH, Buffer.from('x'))]);
    const path = capture('roles', packets);
    const { expired, summary } = await expectLiveEqualsFile(path, { perBatch: 1 });
    expect(expired).toBeGreaterThan(0);
    const ssh = summary.flows.find((f) => f.serverPort === 22)!;
    expect(ssh.entries).toEqual(['panorama.ssh.22']);
  });
});
