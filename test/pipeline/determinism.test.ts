// The JSON summary is byte-identical for --workers 1, 2 and 4 (and inline), on every
// pan-lab capture and every corpus file. Small batches force flows, fragments and TCP
// handshakes to be split across batches and workers.
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeCaptures } from '../../src/analyze.js';
import { renderJson } from '../../src/report/json.js';
import { ACK, eth, ETH_IPV4, ipv4, pcap, PROTO_TCP, PROTO_UDP, RST, SYN, tcp, tempDir, udp, type PcapRecord } from '../helpers/build.js';
import { HAVE_SHARED, REPO, SHARED, SKIP_REASON } from '../helpers/shared.js';

async function jsonFor(files: string[], workers: number, batchBytes: number, o: { maxFlows?: number; batchRecords?: number } = {}): Promise<string> {
  const { summary } = await analyzeCaptures(files, { workers, allFlows: true, batchBytes, ...o });
  return renderJson(summary);
}

const tmp = tempDir();
afterAll(() => tmp.remove());

/**
 * 400 flows (TCP and UDP, both directions) in 2,400 packets: a new flow every few packets,
 * the others' packets spread over the whole capture, so that flows kept by a full table go on
 * after it filled, and flows it turned away come back.
 */
function manyFlows(): string {
  let x = 777;
  const rnd = (n: number): number => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return (x >>> 8) % n;
  };
  const recs: PcapRecord[] = [];
  let started = 0;
  for (let t = 0; t < 2400; t++) {
    const fresh = started < 400 && (started === 0 || rnd(3) === 0);
    const f = fresh ? started++ : rnd(started);
    const client = `10.${(f >>> 8) + 1}.${f & 255}.9`;
    const server = `192.0.2.${1 + (f % 5)}`;
    const cport = 40000 + f;
    const reply = !fresh && rnd(2) === 1;
    const [src, dst, sport, dport] = reply ? [server, client, 443, cport] : [client, server, cport, 443];
    const payload =
      f % 3 === 0 ? udp({ sport, dport, payload: Buffer.alloc(rnd(40)) }) : tcp({ sport, dport, flags: fresh ? SYN : reply ? [SYN | ACK, ACK, RST][rnd(3)] : ACK });
    recs.push({ sec: 1_700_000_000, frac: t * 100, data: eth({ ethertype: ETH_IPV4, payload: ipv4({ src, dst, proto: f % 3 === 0 ? PROTO_UDP : PROTO_TCP, payload }) }) });
  }
  return tmp.file('many-flows.pcap', pcap(recs));
}

describe('determinism across worker counts', () => {
  const lab = resolve(REPO, 'fixtures/pan-lab');
  const captures = readdirSync(lab).filter((f) => f.endsWith('.pcap')).sort();

  it.each(captures)('pan-lab %s: same JSON for 0, 1, 2 and 4 workers with 16 KiB batches', async (name) => {
    const f = [resolve(lab, name)];
    const ref = await jsonFor(f, 0, 1 << 20);
    for (const w of [1, 2, 4]) expect(await jsonFor(f, w, 16 << 10)).toBe(ref);
  });

  it('a full flow table keeps the same flows (the first by record) for 0, 1 and 2 workers and any batch size', async () => {
    const f = [manyFlows()];
    const ref = await jsonFor(f, 0, 1 << 20, { maxFlows: 60 });
    const summary = JSON.parse(ref) as { input: { flowTable: { flows: number; overflowFlows: number; overflowPackets: number } }; flows: { clientPort: number }[] };
    const table = summary.input.flowTable;
    expect(table.flows).toBe(60);
    // the first 60 flows of the capture (flow f's client port is 40000 + f)
    expect(summary.flows.map((x) => x.clientPort).sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, f) => 40000 + f));
    expect(table.overflowPackets).toBeGreaterThan(1000);
    expect(Math.abs(table.overflowFlows - 340)).toBeLessThan(15);
    for (const w of [0, 1, 2]) for (const [bytes, records] of [[4 << 10, 16], [64 << 10, 300]]) expect(await jsonFor(f, w, bytes, { maxFlows: 60, batchRecords: records }), `${w} workers, ${bytes} B / ${records} records a batch`).toBe(ref);
  });

  it('all pan-lab captures in one run: same JSON for 1 and 4 workers', async () => {
    const files = captures.map((c) => resolve(lab, c));
    expect(await jsonFor(files, 4, 16 << 10)).toBe(await jsonFor(files, 1, 1 << 20));
  });

  describe.skipIf(!HAVE_SHARED)(`tcpdump corpus${HAVE_SHARED ? '' : ` (${SKIP_REASON})`}`, () => {
    it('every corpus file: same JSON for 1, 2 and 4 workers', async () => {
      const dir = resolve(SHARED, 'captures/tcpdump-tests');
      const files = readdirSync(dir).filter((f) => /\.pcap(ng)?$/.test(f)).sort();
      expect(files.length).toBeGreaterThan(400);
      for (const name of files) {
        const f = [resolve(dir, name)];
        const ref = await jsonFor(f, 1, 300 << 10);
        for (const w of [2, 4]) expect(await jsonFor(f, w, 300 << 10), name).toBe(ref);
      }
    }, 600_000);
  });
});
