// Payload reassembly inside a whole session: a TLS handshake whose client and server
// flights are cut into small segments, sent out of order, overlapping and retransmitted,
// gives the same TLS facts as the same bytes sent in order — with any batch size (down to
// one record per batch), inline or on one or two workers. A payload cap that is hit is
// counted in input.inspection, never fatal.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeCaptures } from '../../src/analyze.js';
import { inputProblems } from '../../src/report/build.js';
import { ACK, eth, ipv4, pcap, PROTO_TCP, PSH, SYN, tcp, tempDir } from '../helpers/build.js';
import { mulberry32 } from '../helpers/random.js';
import { clientHello, handshake, HS, record, CT, serverHello, cat } from '../inspect/tls-build.js';

const tmp = tempDir('pantap-reassembly-');
afterAll(() => tmp.remove());

const C = '10.99.1.1';
const S = '10.99.1.5';
const CISN = 1_000_000;
const SISN = 4_000_000_000; // past 2^31: sequence arithmetic must wrap correctly
const T0 = 1_764_000_000;

/** The client and server flights of a TLS 1.2 handshake that stops after the ServerHello flight. */
function flights(): { client: Uint8Array; server: Uint8Array } {
  const client = record(CT.handshake, clientHello({ sni: 'pano.panlab.test', alpn: ['h2', 'http/1.1'] }));
  const server = cat(record(CT.handshake, serverHello({ cipher: 0xc02f })), record(CT.handshake, handshake(HS.serverHelloDone, new Uint8Array(0))));
  return { client, server };
}

interface Seg {
  from: 'c' | 's';
  seq: number;
  flags: number;
  data: Uint8Array;
}

/** Cuts `bytes` into pieces of 1..max bytes starting at stream offset 0 (seq isn + 1). */
function pieces(bytes: Uint8Array, isn: number, from: 'c' | 's', rnd: () => number, max: number): Seg[] {
  const out: Seg[] = [];
  for (let at = 0; at < bytes.length; ) {
    const n = Math.min(bytes.length - at, 1 + Math.floor(rnd() * max));
    out.push({ from, seq: (isn + 1 + at) >>> 0, flags: ACK | PSH, data: bytes.subarray(at, at + n) });
    at += n;
  }
  return out;
}

function write(name: string, segs: Seg[]): string {
  const frames = segs.map((g, i) => {
    const [src, dst, sport, dport, ack] = g.from === 'c' ? [C, S, 40000, 3978, SISN + 1] : [S, C, 3978, 40000, CISN + 1];
    const t = tcp({ sport, dport, seq: g.seq, ack: g.flags & SYN && g.from === 'c' ? 0 : ack >>> 0, flags: g.flags, payload: g.data });
    return { sec: T0, frac: i, data: eth({ ethertype: 0x0800, payload: ipv4({ src, dst, proto: PROTO_TCP, df: true, payload: t }) }) };
  });
  const path = join(tmp.dir, `${name}.pcap`);
  writeFileSync(path, pcap(frames));
  return path;
}

function handshakeSegs(): Seg[] {
  return [
    { from: 'c', seq: CISN, flags: SYN, data: new Uint8Array(0) },
    { from: 's', seq: SISN, flags: SYN | ACK, data: new Uint8Array(0) },
    { from: 'c', seq: CISN + 1, flags: ACK, data: new Uint8Array(0) },
  ];
}

async function tlsOf(path: string, workers: number, batchRecords?: number) {
  const { flows, summary } = await analyzeCaptures([path], { workers, ...(batchRecords ? { batchRecords, batchBytes: 65536 } : {}) });
  const f = flows.find((x) => x.transport === 'tcp')!;
  return { app: f.app, tls: f.tls, verdict: f.verdict, reason: f.reason, inspection: summary.input.inspection };
}

describe('reassembly in a session', () => {
  it('shuffled, overlapping and retransmitted segments give the TLS facts of the ordered stream, for any batch size and worker count', async () => {
    const { client, server } = flights();
    const rnd = mulberry32(0x7e57);
    const ordered = write('ordered', [...handshakeSegs(), ...pieces(client, CISN, 'c', rnd, 400), ...pieces(server, SISN, 's', rnd, 400)]);
    const want = await tlsOf(ordered, 0);
    expect(want.app).toBe('tls');
    expect(want.tls?.sni).toBe('pano.panlab.test');
    expect(want.tls?.alpn).toEqual(['h2', 'http/1.1']);
    expect(want.tls?.cipher).toBe('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256');
    for (let round = 0; round < 4; round++) {
      // Small pieces, shuffled within each direction, some sent twice, some overlapping
      // their neighbours (same bytes: a retransmission that re-segments).
      const c = pieces(client, CISN, 'c', rnd, 37);
      const s = pieces(server, SISN, 's', rnd, 53);
      const extra: Seg[] = [];
      for (const list of [c, s]) {
        for (const g of list) if (rnd() < 0.2) extra.push({ ...g });
        for (let i = 0; i + 1 < list.length; i++) {
          if (rnd() < 0.15) {
            const a = list[i];
            const b = list[i + 1];
            extra.push({ from: a.from, seq: a.seq, flags: a.flags, data: cat(a.data, b.data) });
          }
        }
      }
      const body = [...c, ...s, ...extra];
      for (let i = body.length - 1; i > 0; i--) {
        const j = Math.floor(rnd() * (i + 1));
        [body[i], body[j]] = [body[j], body[i]];
      }
      const path = write(`shuffled-${round}`, [...handshakeSegs(), ...body]);
      for (const [workers, batch] of [
        [0, 1],
        [1, 3],
        [2, 2],
        [2, undefined],
      ] as const) {
        const got = await tlsOf(path, workers, batch);
        expect({ app: got.app, tls: got.tls }, `round ${round}, ${workers} workers, batches of ${batch ?? 'default'}`).toEqual({ app: want.app, tls: want.tls });
      }
    }
  });

  it('a payload cap that is hit is counted, and the flow is still judged', async () => {
    const { client, server } = flights();
    const rnd = mulberry32(3);
    const path = write('capped', [...handshakeSegs(), ...pieces(client, CISN, 'c', rnd, 100), ...pieces(server, SISN, 's', rnd, 100)]);
    const { flows, summary } = await analyzeCaptures([path], { workers: 0, inspect: { maxBytes: 16384, maxSegments: 12, budgetBytes: 100 } });
    expect(summary.input.inspection.capHit).toBeGreaterThan(0);
    const f = flows.find((x) => x.transport === 'tcp')!;
    expect(f.verdict).toBeDefined();
    // What was kept is less than the whole: the ClientHello is cut, so no SNI can be read.
    expect(f.tls?.sni ?? null).toBeNull();
  });
});

describe('a payload cap in the report', () => {
  it('is said once, as a warning, in the text report', async () => {
    const { client, server } = flights();
    const rnd = mulberry32(5);
    const path = write('capped-report', [...handshakeSegs(), ...pieces(client, CISN, 'c', rnd, 100), ...pieces(server, SISN, 's', rnd, 100)]);
    const { summary } = await analyzeCaptures([path], { workers: 0, inspect: { maxBytes: 16384, maxSegments: 12, budgetBytes: 100 } });
    const problems = inputProblems(summary.input).map((p) => p.message);
    expect(problems.filter((m) => m.startsWith('payload inspection hit a memory cap'))).toHaveLength(1);
  });
});
