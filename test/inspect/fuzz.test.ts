// Every decoder over seeded mutations of valid sessions: bit flips, bytes set, length
// fields set to extremes, truncations, splices of two sessions, repeated and deleted
// chunks, and hostile segment marks. The property: no exception, no hang, bounded output,
// no memory kept. INSPECT_FUZZ_SEED and INSPECT_FUZZ_COUNT choose the run; a failure
// prints the iteration, which INSPECT_FUZZ_ONLY=<i> replays alone.
import { describe, expect, it } from 'vitest';
import { detectApp } from '../../src/inspect/detect.js';
import { inspectHttp, looksLikeHttpRequest, looksLikeHttpResponse } from '../../src/inspect/http.js';
import { looksLikeSsh, parseSshIdentification, sshBanners } from '../../src/inspect/ssh.js';
import { recordAt, type FlowPayload, type SegmentMark, type StreamPrefix } from '../../src/inspect/stream.js';
import { inspectTls, looksLikeTls, type TlsFacts } from '../../src/inspect/tls.js';
import { certificateFacts } from '../../src/inspect/x509.js';
import {
  alert,
  ascii,
  cat,
  ccs,
  certDer,
  certificate,
  certificateRequest,
  clientHello,
  clientKeyExchange,
  CT,
  encryptedFinished,
  flow,
  fragment,
  loadFixture,
  opaque,
  record,
  serverHello,
  serverHelloDone,
} from './tls-build.js';
import { mulberry32 } from '../helpers/random.js';

const SEED = Number(process.env.INSPECT_FUZZ_SEED ?? 20261126) >>> 0;
const COUNT = Number(process.env.INSPECT_FUZZ_COUNT ?? 100_000);
const ONLY = process.env.INSPECT_FUZZ_ONLY === undefined ? null : Number(process.env.INSPECT_FUZZ_ONLY);
/** Mutated streams are kept below this (the session's cap is ~16 KiB). */
const MAX_STREAM = 24 * 1024;

// ---- the corpus: real sessions, hand-built ones, other protocols -------------------------

function corpus(): FlowPayload[] {
  const out: FlowPayload[] = [];
  for (const n of ['tls10', 'tls12', 'tls12-mtls', 'tls12-nocert', 'tls12-unknown-ca', 'tls12-expired', 'tls13', 'tls13-hrr', 'tls13-nocert', 'tls13-unknown-ca']) {
    out.push(loadFixture(n).payload);
  }
  const ch = clientHello({ sni: 'fw.example.test', alpn: ['h2', 'http/1.1'], versions: [0x0304, 0x0303] });
  const flight = cat(serverHello({ cipher: 0xc02f, alpn: 'h2' }), certificate([certDer('special'), certDer('valid')]), certificateRequest(), serverHelloDone());
  out.push(
    flow([
      ['c', record(CT.handshake, ch)],
      ['s', fragment(CT.handshake, flight, 300), 200],
      ['c', cat(record(CT.handshake, cat(certificate([certDer('multi')]), clientKeyExchange())), ccs(), encryptedFinished())],
      ['s', cat(ccs(), encryptedFinished(), alert(2, 42))],
    ]),
    flow([
      ['c', record(CT.handshake, ch, 0x0301)],
      ['s', cat(record(CT.handshake, serverHello({ version: 0x0304, cipher: 0x1302, helloRetry: true })), ccs())],
      ['c', cat(ccs(), record(CT.handshake, ch))],
      ['s', cat(record(CT.handshake, serverHello({ version: 0x0304, cipher: 0x1305 })), opaque(CT.appData, 500))],
      ['c', cat(opaque(CT.appData, 53), opaque(CT.appData, 11))],
    ]),
    flow([
      ['c', record(CT.handshake, clientHello({ legacyVersion: 0x0300, noExtensions: true }), 0x0300)],
      ['s', record(CT.handshake, cat(serverHello({ legacyVersion: 0x0300, cipher: 0x000a, noExtensions: true }), certificate([certDer('expired')])), 0x0300)],
    ]),
    flow([['s', ascii('Banner line\r\nSSH-2.0-OpenSSH_9.2p1 Debian-2\r\n\x00\x00\x04\x2c\x0a\x14')], ['c', ascii('SSH-2.0-PuTTY_Release_0.81\r\n')]]),
    flow([['c', ascii('POST /api/?type=user-id HTTP/1.1\r\nHost: fw\r\nContent-Length: 4\r\n\r\nabcd')], ['s', ascii('HTTP/1.1 200 OK\r\nServer: x\r\n\r\n')]]),
  );
  return out;
}

// ---- mutations ------------------------------------------------------------------------

type Rand = () => number;
const int = (r: Rand, n: number) => Math.floor(r() * n);
const pick = <T,>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)];

/** Offsets of TLS record headers and of the handshake headers right behind them. */
function lengthFieldOffsets(b: Uint8Array): { rec: number[]; hs: number[] } {
  const rec: number[] = [];
  const hs: number[] = [];
  for (let p = 0; p + 5 <= b.length && rec.length < 256; ) {
    rec.push(p + 3);
    if (b[p] === CT.handshake && p + 9 <= b.length) hs.push(p + 6);
    p += 5 + ((b[p + 3] << 8) | b[p + 4]);
  }
  return { rec, hs };
}

function mutateBytes(r: Rand, b: Uint8Array, other: Uint8Array): Uint8Array {
  let out: Uint8Array = Uint8Array.from(b);
  const ops = 1 + int(r, 4);
  for (let k = 0; k < ops; k++) {
    const op = int(r, 10);
    if (op === 0 && out.length > 0) {
      for (let f = 1 + int(r, 8); f > 0; f--) out[int(r, out.length)] ^= 1 << int(r, 8);
    } else if (op === 1 && out.length > 0) {
      out[int(r, out.length)] = pick(r, [0, 0xff, 0x7f, 0x80, int(r, 256)]);
    } else if (op === 2 || op === 3) {
      // a length field set to an extreme: a record's 2-byte length, a handshake (or
      // certificate, extension...) 3-byte length, or any 2-byte field
      const { rec, hs } = lengthFieldOffsets(out);
      const kind = int(r, 3);
      const at = kind === 0 && rec.length > 0 ? pick(r, rec) : kind === 1 && hs.length > 0 ? pick(r, hs) : int(r, Math.max(1, out.length));
      const width = kind === 1 ? 3 : 2;
      const cur = width === 3 ? (out[at] << 16) | (out[at + 1] << 8) | out[at + 2] : (out[at] << 8) | out[at + 1];
      const max = width === 3 ? 0xffffff : 0xffff;
      const v = pick(r, [0, 1, 2, max, max - 1, 0x4000, 0x4800, 0x4801, cur + 1, cur - 1, cur * 2, int(r, max + 1)]) & max;
      for (let i = 0; i < width; i++) if (at + i < out.length) out[at + i] = (v >> (8 * (width - 1 - i))) & 0xff;
    } else if (op === 4) {
      out = out.subarray(0, int(r, out.length + 1));
    } else if (op === 5) {
      // splice: a prefix of this stream, the rest from another session
      out = cat(out.subarray(0, int(r, out.length + 1)), other.subarray(int(r, other.length + 1)));
    } else if (op === 6 && out.length > 0) {
      // a chunk repeated: many records, many messages
      const s = int(r, out.length);
      const chunk = out.subarray(s, s + 1 + int(r, 64));
      const parts = [out.subarray(0, s)];
      for (let n = 1 + int(r, 200); n > 0; n--) parts.push(chunk);
      parts.push(out.subarray(s));
      out = cat(...parts);
    } else if (op === 7 && out.length > 0) {
      const s = int(r, out.length);
      out = cat(out.subarray(0, s), out.subarray(s + 1 + int(r, 32)));
    } else if (op === 8) {
      const s = int(r, out.length + 1);
      const junk = Uint8Array.from({ length: 1 + int(r, 16) }, () => int(r, 256));
      out = cat(out.subarray(0, s), junk, out.subarray(s));
    } else {
      // a valid record planted somewhere: an alert, CCS or handshake fragment
      const s = int(r, out.length + 1);
      const planted = pick(r, [alert(int(r, 3), int(r, 256)), ccs(), opaque(CT.appData, pick(r, [0, 11, 19, 40])), record(CT.handshake, certificate([certDer('valid')]).subarray(0, int(r, 700)))]);
      out = cat(out.subarray(0, s), planted, out.subarray(s));
    }
  }
  return out.length > MAX_STREAM ? out.subarray(0, MAX_STREAM) : out;
}

function mutateMarks(r: Rand, p: StreamPrefix, bytes: Uint8Array): SegmentMark[] {
  // marks kept in range, most of the time; sometimes hostile
  let marks: SegmentMark[] = p.marks.filter((m) => m.offset < bytes.length).map((m) => ({ ...m }));
  if (marks.length === 0 && bytes.length > 0) marks.push({ offset: 0, record: 1 });
  const op = int(r, 12);
  if (op === 0) marks = [];
  else if (op === 1) marks.reverse();
  else if (op === 2) for (const m of marks) m.record = pick(r, [NaN, -1, Infinity, 2 ** 53, int(r, 50)]);
  else if (op === 3) for (const m of marks) m.offset = pick(r, [-5, bytes.length + 3, NaN, int(r, bytes.length + 1)]);
  else if (op === 4) for (let i = 0; i < 1 + int(r, 10); i++) marks.push({ offset: int(r, bytes.length + 1), record: int(r, 40) });
  return marks;
}

function mutate(r: Rand, base: FlowPayload, other: FlowPayload): FlowPayload {
  const side = (p: StreamPrefix, o: StreamPrefix, touch: boolean): StreamPrefix => {
    if (!touch) return { ...p, truncated: r() < 0.2 };
    const bytes = mutateBytes(r, p.bytes, r() < 0.5 ? o.bytes : p.bytes);
    return { bytes, marks: mutateMarks(r, p, bytes), truncated: r() < 0.3 };
  };
  const which = int(r, 3); // client, server, both
  const out: FlowPayload = {
    client: side(base.client, other.client, which !== 1),
    server: side(base.server, other.server, which !== 0),
  };
  if (r() < 0.7) out.flowTimeMs = pick(r, [Date.UTC(2026, 0, 1), 0, -1e15, 8.64e15, NaN, Infinity, int(r, 2 ** 40)]);
  return out;
}

// ---- the run --------------------------------------------------------------------------

const VERSIONS = new Set([null, 'SSL 3.0', 'TLS 1.0', 'TLS 1.1', 'TLS 1.2', 'TLS 1.3']);

function checkTls(f: TlsFacts): void {
  if (!VERSIONS.has(f.version) || !VERSIONS.has(f.clientVersion)) throw new Error(`version ${f.version}`);
  if (f.established && f.incomplete) throw new Error('established and incomplete');
  if (f.alerts.length > 16 || f.alpn.length > 16) throw new Error('unbounded lists');
  if (f.cipher !== null && !/^(TLS_\w+|0x[0-9A-F]{4})$/.test(f.cipher)) throw new Error(`cipher ${f.cipher}`);
  if (JSON.stringify(f).length > 32 * 1024) throw new Error('facts too large');
}

/** How often the decoders got far into their input: the mutations are not all rejected at once. */
const reached = { clientHello: 0, serverHello: 0, certificate: 0, established: 0, alert: 0, malformed: 0, ssh: 0, http: 0 };

/** Runs every decoder on one input; returns the number of decoder calls. */
function runAll(p: FlowPayload, r: Rand): number {
  // atMs: mostly the flow's time (mutated too), sometimes an explicit one
  const tls = r() < 0.9 ? inspectTls(p) : inspectTls(p, { atMs: pick(r, [0, NaN, -Infinity, Date.UTC(2030, 0, 1)]) });
  checkTls(tls);
  if (tls.clientHelloSeen) reached.clientHello++;
  if (tls.serverHelloSeen) reached.serverHello++;
  if (tls.serverCertificate?.parsed || tls.clientCertificate?.parsed) reached.certificate++;
  if (tls.established) reached.established++;
  if (tls.alert !== null) reached.alert++;
  if (tls.malformed) reached.malformed++;
  const ssh = sshBanners(p);
  if (ssh.serverBanner !== null) reached.ssh++;
  for (const b of [ssh.clientBanner, ssh.serverBanner]) if (b !== null && (b.length > 4 * 255 + 3 || !/^[\x20-\x7e]*$/.test(b))) throw new Error(`banner ${b}`);
  const http = inspectHttp(p);
  if (http.request !== null) reached.http++;
  if (http.request !== null && http.request.target.length > 4 * 2048 + 3) throw new Error('target too long');
  detectApp(p);
  let calls = 4;
  for (const s of [p.client, p.server]) {
    looksLikeTls(s.bytes);
    looksLikeSsh(s.bytes);
    looksLikeHttpRequest(s.bytes);
    looksLikeHttpResponse(s.bytes);
    parseSshIdentification(s.bytes, true);
    recordAt(s, int(r, s.bytes.length + 2) - 1);
    calls += 6;
  }
  // X.509 straight on damaged DER, more often than the TLS path reaches it
  if (r() < 0.05) {
    const b = p.server.bytes;
    const s = int(r, b.length + 1);
    const f = certificateFacts(b.subarray(s, s + int(r, 2000)), Date.UTC(2026, 0, 1));
    if (!/^[0-9a-f]{64}$/.test(f.sha256)) throw new Error('sha256');
    calls++;
  }
  return calls;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('fuzz', () => {
  it(`every decoder over ${ONLY === null ? COUNT : 1} mutated inputs (seed ${SEED}): no exception, no hang, bounded memory`, () => {
    const base = corpus();
    const started = performance.now();
    const heapStart = process.memoryUsage().heapUsed;
    let heapMax = heapStart;
    let slowest = 0;
    let slowestAt = -1;
    let calls = 0;
    let bytes = 0;
    const first = ONLY ?? 0;
    const last = ONLY === null ? COUNT : ONLY + 1;
    for (let i = first; i < last; i++) {
      const r = mulberry32((SEED ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0); // one stream per input: replayable alone
      const p = mutate(r, pick(r, base), pick(r, base));
      bytes += p.client.bytes.length + p.server.bytes.length;
      const t0 = performance.now();
      try {
        calls += runAll(p, r);
      } catch (e) {
        throw new Error(
          `iteration ${i} (INSPECT_FUZZ_SEED=${SEED} INSPECT_FUZZ_ONLY=${i}): ${(e as Error).stack}\n` +
            `client ${hex(p.client.bytes)}\nserver ${hex(p.server.bytes)}\nmarks ${JSON.stringify([p.client.marks, p.server.marks])}`,
        );
      }
      const dt = performance.now() - t0;
      if (dt > slowest) {
        slowest = dt;
        slowestAt = i;
      }
      if ((i & 1023) === 0) heapMax = Math.max(heapMax, process.memoryUsage().heapUsed);
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `inspect fuzz: seed=${SEED} inputs=${last - first} decoder calls=${calls} bytes=${(bytes / 1e6).toFixed(1)} MB ` +
        `time=${seconds.toFixed(1)} s slowest input=${slowest.toFixed(1)} ms (#${slowestAt}) ` +
        `heap start=${(heapStart / 1e6).toFixed(0)} MB max=${(heapMax / 1e6).toFixed(0)} MB\n  inputs reaching: ${JSON.stringify(reached)}`,
    );
    expect(calls).toBeGreaterThanOrEqual((last - first) * 16);
    if (ONLY === null && COUNT >= 10_000) {
      // the mutations keep enough structure to reach deep into the decoders
      for (const [what, n] of Object.entries(reached)) expect(n, what).toBeGreaterThan(COUNT / 100);
    }
    // no input may take long: the work is linear in the (capped) bytes
    expect(slowest).toBeLessThan(1000);
    // nothing is kept between inputs: the heap stays near where it started
    expect(heapMax - heapStart).toBeLessThan(256e6);
  }, 600_000);
});
