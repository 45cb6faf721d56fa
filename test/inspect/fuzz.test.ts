// Every decoder over seeded mutations of valid sessions: bit flips, bytes set, length
// fields set to extremes, truncations, splices of two sessions, repeated and deleted
// chunks, and hostile segment marks. The property: no exception, no hang, bounded output,
// no memory kept. INSPECT_FUZZ_SEED and INSPECT_FUZZ_COUNT choose the run; a failure
// prints the iteration, which INSPECT_FUZZ_ONLY=<i> replays alone.
import { describe, it } from 'vitest';
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
import { deleteChunk, flipBits, fuzzInputs, fuzzKnobs, hex, insertJunk, int, mutateBytes, mutateStreams, pick, repeatChunk, runFuzz, setByte, setField, splice, truncate, type Mutator, type Rand } from '../helpers/fuzz.js';

const KNOBS = fuzzKnobs({ seed: 'INSPECT_FUZZ_SEED', count: 'INSPECT_FUZZ_COUNT', only: 'INSPECT_FUZZ_ONLY' }, { seed: 20261126, count: 100_000 });
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

/**
 * A length field set to an extreme: a record's 2-byte length, a handshake (or certificate,
 * extension...) 3-byte length, or any 2-byte field.
 */
const tlsLength: Mutator = (r, out) => {
  const { rec, hs } = lengthFieldOffsets(out);
  const kind = int(r, 3);
  const at = kind === 0 && rec.length > 0 ? pick(r, rec) : kind === 1 && hs.length > 0 ? pick(r, hs) : int(r, Math.max(1, out.length));
  const width = kind === 1 ? 3 : 2;
  const cur = width === 3 ? (out[at] << 16) | (out[at + 1] << 8) | out[at + 2] : (out[at] << 8) | out[at + 1];
  const max = width === 3 ? 0xffffff : 0xffff;
  setField(out, { at, width, le: false }, pick(r, [0, 1, 2, max, max - 1, 0x4000, 0x4800, 0x4801, cur + 1, cur - 1, cur * 2, int(r, max + 1)]) & max);
  return out;
};

/** A valid record planted somewhere: an alert, CCS or handshake fragment. */
const plantRecord: Mutator = (r, out) => {
  const s = int(r, out.length + 1);
  const planted = pick(r, [alert(int(r, 3), int(r, 256)), ccs(), opaque(CT.appData, pick(r, [0, 11, 19, 40])), record(CT.handshake, certificate([certDer('valid')]).subarray(0, int(r, 700)))]);
  return cat(out.subarray(0, s), planted, out.subarray(s));
};

// length fields twice as often as the others; plantRecord last: it always applies
const OPS = [flipBits(8), setByte([0, 0xff, 0x7f, 0x80]), tlsLength, tlsLength, truncate, splice, repeatChunk, deleteChunk, insertJunk, plantRecord];

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
  const out = mutateStreams(r, base, other, (r, b, o) => mutateBytes(r, b, o, OPS, { rounds: 4, max: MAX_STREAM }), mutateMarks);
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
const REACHED = ['clientHello', 'serverHello', 'certificate', 'established', 'alert', 'malformed', 'ssh', 'http'] as const;

/** Runs every decoder on one input; returns the number of decoder calls. */
function runAll(p: FlowPayload, r: Rand, reach: (what: (typeof REACHED)[number]) => void): number {
  // atMs: mostly the flow's time (mutated too), sometimes an explicit one
  const tls = r() < 0.9 ? inspectTls(p) : inspectTls(p, { atMs: pick(r, [0, NaN, -Infinity, Date.UTC(2030, 0, 1)]) });
  checkTls(tls);
  if (tls.clientHelloSeen) reach('clientHello');
  if (tls.serverHelloSeen) reach('serverHello');
  if (tls.serverCertificate?.parsed || tls.clientCertificate?.parsed) reach('certificate');
  if (tls.established) reach('established');
  if (tls.alert !== null) reach('alert');
  if (tls.malformed) reach('malformed');
  const ssh = sshBanners(p);
  if (ssh.serverBanner !== null) reach('ssh');
  for (const b of [ssh.clientBanner, ssh.serverBanner]) if (b !== null && (b.length > 4 * 255 + 3 || !/^[\x20-\x7e]*$/.test(b))) throw new Error(`banner ${b}`);
  const http = inspectHttp(p);
  if (http.request !== null) reach('http');
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

describe('fuzz', () => {
  it(`every decoder over ${fuzzInputs(KNOBS)} mutated inputs (seed ${KNOBS.seed}): no exception, no hang, bounded memory`, () => {
    const base = corpus();
    runFuzz(KNOBS, {
      name: 'inspect fuzz',
      mix: 0x9e3779b1,
      input: (r) => mutate(r, pick(r, base), pick(r, base)),
      bytes: (p) => p.client.bytes.length + p.server.bytes.length,
      exercise: runAll,
      dump: (p) => `client ${hex(p.client.bytes)}\nserver ${hex(p.server.bytes)}\nmarks ${JSON.stringify([p.client.marks, p.server.marks])}`,
      reached: REACHED,
      callsPerInput: 16,
      reachDivisor: 100,
    });
  }, 600_000);
});
