// Tests for the pantap-live native addon (native-bindings/live). Capture tests only touch
// the loopback interface and only send to 127.0.0.1.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import dgram from 'node:dgram';
import { Worker } from 'node:worker_threads';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type * as LiveModule from '../../native-bindings/live/index.js';

type Live = typeof LiveModule;
type LiveHandle = LiveModule.LiveHandle;

const require = createRequire(import.meta.url);
const addonPath = fileURLToPath(new URL('../../native-bindings/live/index.js', import.meta.url));

let live: Live | null = null;
let loadError: string | null = null;
try {
  live = require(addonPath) as Live;
} catch (err) {
  loadError = (err as Error).message;
}
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

if (!live) {
  console.warn(`[test/live/addon] SKIPPED: pantap-live addon not available: ${loadError}`);
} else if (!isRoot) {
  console.warn('[test/live/addon] capture tests SKIPPED: live capture needs root (or CAP_NET_RAW)');
}

const PORT = 29281;
const REC_WORDS = 6;
const ETH_IP_UDP = 14 + 20 + 8;

interface Rec {
  offset: number;
  caplen: number;
  origlen: number;
  sec: number;
  nsec: number;
  linktype: number;
  bytes: Uint8Array;
}

function records(data: ArrayBuffer, index: ArrayBuffer, count: number): Rec[] {
  const idx = new Uint32Array(index);
  const out: Rec[] = [];
  for (let i = 0; i < count; i++) {
    const w = i * REC_WORDS;
    const offset = idx[w];
    const caplen = idx[w + 1];
    out.push({
      offset,
      caplen,
      origlen: idx[w + 2],
      sec: idx[w + 3],
      nsec: idx[w + 4],
      linktype: idx[w + 5],
      bytes: new Uint8Array(data, offset, caplen),
    });
  }
  return out;
}

/** Sequence number a test datagram carries in its first 4 payload bytes. */
function seqOf(r: Rec): number {
  const view = new DataView(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength);
  return view.getUint32(ETH_IP_UDP);
}

async function sendDatagrams(n: number, size: (i: number) => number): Promise<void> {
  const sock = dgram.createSocket('udp4');
  try {
    for (let i = 0; i < n; i++) {
      const payload = Buffer.alloc(size(i), 0x5a);
      payload.writeUInt32BE(i, 0);
      await new Promise<void>((resolve, reject) =>
        sock.send(payload, PORT, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
      );
    }
  } finally {
    sock.close();
  }
}

/** Read batches until `want` records arrived or the deadline passes. */
async function collect(
  h: LiveHandle,
  want: number,
  opts: { dataBytes?: number; maxRecords?: number; deadlineMs?: number } = {},
): Promise<Rec[]> {
  const got: Rec[] = [];
  const deadline = Date.now() + (opts.deadlineMs ?? 10_000);
  const maxRecords = opts.maxRecords ?? 1024;
  for (let iter = 0; iter < 10_000 && got.length < want && Date.now() < deadline; iter++) {
    // Fresh buffers per batch so earlier records stay valid.
    const data = new ArrayBuffer(opts.dataBytes ?? 1 << 20);
    const index = new ArrayBuffer(maxRecords * REC_WORDS * 4);
    const { count, bytes } = await h.read(data, index, maxRecords);
    expect(count).toBeLessThanOrEqual(maxRecords);
    const recs = records(data, index, count);
    if (count > 0) {
      const last = recs[count - 1];
      expect(bytes).toBe(last.offset + last.caplen);
    } else {
      expect(bytes).toBe(0);
    }
    got.push(...recs);
  }
  return got;
}

describe.skipIf(!live)('pantap-live addon (no privileges needed)', () => {
  it('reports the libpcap version', () => {
    expect(live!.libpcapVersion()).toMatch(/libpcap/i);
  });

  it('lists interfaces including lo', () => {
    const ifs = live!.listInterfaces();
    const lo = ifs.find((i) => i.name === 'lo');
    expect(lo).toBeDefined();
    expect(lo!.loopback).toBe(true);
    expect(lo!.up).toBe(true);
    expect(lo!.addresses).toContainEqual({ family: 'inet', address: '127.0.0.1', netmask: '255.0.0.0' });
    for (const i of ifs) {
      expect(typeof i.name).toBe('string');
      expect(i.description === null || typeof i.description === 'string').toBe(true);
      for (const a of i.addresses) expect(['inet', 'inet6', 'link']).toContain(a.family);
    }
  });

  it('rejects bad options with TypeError / RangeError', () => {
    expect(() => live!.open({} as never)).toThrow(TypeError);
    expect(() => live!.open({ device: 'lo', snaplen: 0 })).toThrow(RangeError);
    expect(() => live!.open({ device: 'lo', timeoutMs: -1 })).toThrow(RangeError);
    expect(() => new (live!.LiveHandle as unknown as new () => unknown)()).toThrow(/use open\(\)/);
  });

  it('loads inside worker_threads (context-aware), alongside the main thread', async () => {
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const live = require(workerData.addonPath);
      const names = live.listInterfaces().map((i) => i.name);
      (async () => {
        let readCount = null;
        if (workerData.isRoot) {
          const h = live.open({ device: 'lo', filter: 'udp port 29282', timeoutMs: 20 });
          const r = await h.read(new ArrayBuffer(65536), new ArrayBuffer(24 * 16), 16);
          readCount = r.count;
          h.close();
          // A handle left open and a read in flight when the worker exits must not crash.
          const h2 = live.open({ device: 'lo', filter: 'udp port 29282', timeoutMs: 5000 });
          h2.read(new ArrayBuffer(65536), new ArrayBuffer(24 * 16), 16);
        }
        parentPort.postMessage({ names, version: live.libpcapVersion(), readCount });
      })().catch((e) => parentPort.postMessage({ error: String(e && e.stack || e) }));
    `;
    const runWorker = () =>
      new Promise<{ names?: string[]; version?: string; readCount?: number | null; error?: string }>(
        (resolve, reject) => {
          const w = new Worker(code, { eval: true, workerData: { addonPath, isRoot } });
          w.once('message', (m) => {
            resolve(m);
            void w.terminate();
          });
          w.once('error', reject);
          w.once('exit', (c) => (c !== 0 && c !== 1 ? reject(new Error(`worker exit ${c}`)) : undefined));
        },
      );
    const [a, b] = await Promise.all([runWorker(), runWorker()]);
    for (const m of [a, b]) {
      expect(m.error).toBeUndefined();
      expect(m.names).toContain('lo');
      expect(m.version).toBe(live!.libpcapVersion());
      if (isRoot) expect(m.readCount).toBeGreaterThanOrEqual(0);
    }
    // The main thread's instance still works after the workers' environments were torn down.
    expect(live!.listInterfaces().some((i) => i.name === 'lo')).toBe(true);
  });
});

describe.skipIf(!live || !isRoot)('pantap-live capture on lo (root)', () => {
  let receiver: dgram.Socket;
  let received = 0;

  beforeAll(async () => {
    // A bound receiver keeps the kernel from answering with ICMP port unreachable.
    receiver = dgram.createSocket('udp4');
    receiver.on('message', () => {
      received++;
    });
    await new Promise<void>((resolve) => receiver.bind(PORT, '127.0.0.1', resolve));
  });

  afterAll(() => {
    receiver?.close();
  });

  it('captures 50 UDP datagrams as a well-formed record batch', async () => {
    const h = live!.open({ device: 'lo', filter: `udp port ${PORT}`, timeoutMs: 50 });
    try {
      expect(h.linktype).toBe(1); // DLT_EN10MB / LINKTYPE_ETHERNET on Linux lo
      expect(h.snaplen).toBe(262144);
      expect(h.closed).toBe(false);
      const before = received;
      const size = (i: number) => 8 + i * 7;
      await sendDatagrams(50, size);
      const recs = await collect(h, 50);
      expect(recs.length).toBe(50);

      const nowSec = Date.now() / 1000;
      const seen = new Set<number>();
      let prevTs = 0;
      for (const r of recs) {
        expect(r.offset % 4).toBe(0);
        const seq = seqOf(r);
        seen.add(seq);
        const wire = ETH_IP_UDP + size(seq);
        expect(r.caplen).toBe(wire);
        expect(r.origlen).toBe(wire);
        expect(r.linktype).toBe(1);
        expect(r.sec).toBeGreaterThan(nowSec - 60);
        expect(r.sec).toBeLessThanOrEqual(nowSec + 1);
        expect(r.nsec).toBeLessThan(1_000_000_000);
        const ts = r.sec + r.nsec / 1e9;
        expect(ts).toBeGreaterThanOrEqual(prevTs);
        prevTs = ts;
        // Ethernet type IPv4, protocol UDP, destination port.
        expect((r.bytes[12] << 8) | r.bytes[13]).toBe(0x0800);
        expect(r.bytes[14 + 9]).toBe(17);
        expect((r.bytes[14 + 20 + 2] << 8) | r.bytes[14 + 20 + 3]).toBe(PORT);
      }
      expect(seen.size).toBe(50);
      const st = h.stats();
      expect(st.received).toBeGreaterThanOrEqual(50);
      expect(st.dropped).toBe(0);
      expect(typeof st.ifDropped).toBe('number');
      expect(received - before).toBe(50);
    } finally {
      h.close();
    }
  });

  it('returns count 0 after timeoutMs when nothing arrives', async () => {
    const h = live!.open({ device: 'lo', filter: 'udp port 29283', timeoutMs: 100 });
    try {
      const t0 = performance.now();
      const r = await h.read(new ArrayBuffer(65536), new ArrayBuffer(24 * 8), 8);
      const dt = performance.now() - t0;
      expect(r).toEqual({ count: 0, bytes: 0 });
      expect(dt).toBeGreaterThanOrEqual(90);
      expect(dt).toBeLessThan(2000);
    } finally {
      h.close();
    }
  });

  it('never loses or truncates a packet when data or index space runs out', async () => {
    const h = live!.open({ device: 'lo', filter: `udp port ${PORT}`, timeoutMs: 50 });
    try {
      await sendDatagrams(20, () => 100); // 142 bytes on the wire, 144 aligned
      // Room for two packets of data; at most three records per batch.
      const small = await collect(h, 10, { dataBytes: 300, maxRecords: 3 });
      const rest = await collect(h, 10, { maxRecords: 3 });
      const all = [...small, ...rest];
      expect(all.length).toBe(20);
      expect(all.map(seqOf)).toEqual(Array.from({ length: 20 }, (_, i) => i));
      for (const r of all) expect(r.caplen).toBe(ETH_IP_UDP + 100);
      // A data buffer that can never hold the next packet is an ERANGE; the packet is kept.
      await sendDatagrams(2, () => 400);
      let rangeErr: (Error & { code?: string }) | null = null;
      for (let i = 0; i < 100 && !rangeErr; i++) {
        const r = await h
          .read(new ArrayBuffer(200), new ArrayBuffer(24 * 4), 4)
          .catch((e: Error & { code?: string }) => e);
        if (r instanceof Error) rangeErr = r;
        else expect(r.count).toBe(0);
      }
      expect(rangeErr?.code).toBe('ERANGE');
      const after = await collect(h, 2);
      expect(after.map(seqOf)).toEqual([0, 1]);
      for (const r of after) expect(r.caplen).toBe(ETH_IP_UDP + 400);
    } finally {
      h.close();
    }
  });

  it('close() is idempotent and breaks a read in flight', async () => {
    const h = live!.open({ device: 'lo', filter: 'udp port 29283', timeoutMs: 5000 });
    const t0 = performance.now();
    const pending = h.read(new ArrayBuffer(65536), new ArrayBuffer(24 * 8), 8);
    await expect(h.read(new ArrayBuffer(1024), new ArrayBuffer(24), 1)).rejects.toMatchObject({ code: 'EBUSY' });
    await new Promise((r) => setTimeout(r, 50));
    h.close();
    h.close();
    expect(h.closed).toBe(true);
    await expect(pending).resolves.toEqual({ count: 0, bytes: 0 });
    expect(performance.now() - t0).toBeLessThan(2000);
    await expect(h.read(new ArrayBuffer(1024), new ArrayBuffer(24), 1)).rejects.toMatchObject({ code: 'ECLOSED' });
    expect(() => h.stats()).toThrow(expect.objectContaining({ code: 'ECLOSED' }));
  });

  it('a bad BPF filter throws EFILTER with libpcap text', () => {
    let err: (Error & { code?: string }) | null = null;
    try {
      live!.open({ device: 'lo', filter: 'udp portt 29281' });
    } catch (e) {
      err = e as Error & { code?: string };
    }
    expect(err).toBeInstanceOf(Error);
    expect(err!.code).toBe('EFILTER');
    expect(err!.message).toMatch(/syntax error|portt/);
  });

  it('an unknown device throws ENODEV (or EPCAP with a clear message)', () => {
    let err: (Error & { code?: string }) | null = null;
    try {
      live!.open({ device: 'pantapnope0' });
    } catch (e) {
      err = e as Error & { code?: string };
    }
    expect(err).toBeInstanceOf(Error);
    expect(['ENODEV', 'EPCAP']).toContain(err!.code);
    expect(err!.message).toMatch(/pantapnope0/);
  });
});
