// Builders for the inspect tests: TLS records and handshake messages made by hand, flows
// with segment marks, certificates from PEM, and the recorded fixtures.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prefixFromSegments, type FlowPayload, type StreamPrefix } from '../../src/inspect/stream.js';

export const HERE = dirname(fileURLToPath(import.meta.url));

export function cat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export const bytes = (...xs: number[]): Uint8Array => Uint8Array.from(xs);
export const ascii = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));
export const be16 = (n: number): Uint8Array => bytes((n >> 8) & 255, n & 255);
export const be24 = (n: number): Uint8Array => bytes((n >> 16) & 255, (n >> 8) & 255, n & 255);

export const CT = { ccs: 20, alert: 21, handshake: 22, appData: 23 } as const;
export const HS = { clientHello: 1, serverHello: 2, certificate: 11, serverKeyExchange: 12, certificateRequest: 13, serverHelloDone: 14, clientKeyExchange: 16, finished: 20 } as const;

export function record(type: number, body: Uint8Array, version = 0x0303): Uint8Array {
  return cat(bytes(type), be16(version), be16(body.length), body);
}

/** Records of `type` holding `body` in fragments of at most `size` bytes. */
export function fragment(type: number, body: Uint8Array, size: number, version = 0x0303): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let at = 0; at < body.length; at += size) parts.push(record(type, body.subarray(at, at + size), version));
  return cat(...parts);
}

export function handshake(type: number, body: Uint8Array): Uint8Array {
  return cat(bytes(type), be24(body.length), body);
}

export function extension(type: number, data: Uint8Array): Uint8Array {
  return cat(be16(type), be16(data.length), data);
}

export function sniExtension(host: string): Uint8Array {
  const name = ascii(host);
  const entry = cat(bytes(0), be16(name.length), name);
  return extension(0, cat(be16(entry.length), entry));
}

export function alpnExtension(protocols: string[]): Uint8Array {
  const list = cat(...protocols.map((p) => cat(bytes(p.length), ascii(p))));
  return extension(16, cat(be16(list.length), list));
}

export function clientVersionsExtension(versions: number[]): Uint8Array {
  return extension(43, cat(bytes(versions.length * 2), ...versions.map(be16)));
}

export interface ClientHelloOptions {
  legacyVersion?: number;
  sni?: string;
  alpn?: string[];
  versions?: number[];
  /** Leave out the extensions block entirely (SSL 3.0 style). */
  noExtensions?: boolean;
  extra?: Uint8Array[];
}

/** A ClientHello handshake message (header included). */
export function clientHello(o: ClientHelloOptions = {}): Uint8Array {
  const exts: Uint8Array[] = [];
  if (o.sni !== undefined) exts.push(sniExtension(o.sni));
  if (o.alpn !== undefined) exts.push(alpnExtension(o.alpn));
  if (o.versions !== undefined) exts.push(clientVersionsExtension(o.versions));
  exts.push(...(o.extra ?? []));
  const extBlock = cat(...exts);
  const suites = cat(be16(0x1301), be16(0xc02f), be16(0x009c));
  const body = cat(
    be16(o.legacyVersion ?? 0x0303),
    new Uint8Array(32).fill(0x11),
    bytes(32),
    new Uint8Array(32).fill(0x22),
    be16(suites.length),
    suites,
    bytes(1, 0),
    o.noExtensions ? new Uint8Array(0) : cat(be16(extBlock.length), extBlock),
  );
  return handshake(HS.clientHello, body);
}

export const HRR_RANDOM = Uint8Array.from(Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex'));

export interface ServerHelloOptions {
  legacyVersion?: number;
  cipher?: number;
  /** supported_versions' selected version (TLS 1.3). */
  version?: number;
  alpn?: string;
  helloRetry?: boolean;
  noExtensions?: boolean;
}

/** A ServerHello handshake message (header included). */
export function serverHello(o: ServerHelloOptions = {}): Uint8Array {
  const exts: Uint8Array[] = [];
  if (o.version !== undefined) exts.push(extension(43, be16(o.version)));
  if (o.alpn !== undefined) exts.push(alpnExtension([o.alpn]));
  const extBlock = cat(...exts);
  const body = cat(
    be16(o.legacyVersion ?? 0x0303),
    o.helloRetry ? HRR_RANDOM : new Uint8Array(32).fill(0x33),
    bytes(32),
    new Uint8Array(32).fill(0x44),
    be16(o.cipher ?? 0xc02f),
    bytes(0),
    o.noExtensions ? new Uint8Array(0) : cat(be16(extBlock.length), extBlock),
  );
  return handshake(HS.serverHello, body);
}

/** A TLS ≤ 1.2 Certificate message with these DER certificates (leaf first). */
export function certificate(ders: Uint8Array[]): Uint8Array {
  const list = cat(...ders.map((d) => cat(be24(d.length), d)));
  return handshake(HS.certificate, cat(be24(list.length), list));
}

export const serverHelloDone = (): Uint8Array => handshake(HS.serverHelloDone, new Uint8Array(0));
export const certificateRequest = (): Uint8Array => handshake(HS.certificateRequest, bytes(1, 1, 0, 0));
export const clientKeyExchange = (): Uint8Array => handshake(HS.clientKeyExchange, cat(bytes(32), new Uint8Array(32).fill(5)));
export const ccs = (version = 0x0303): Uint8Array => record(CT.ccs, bytes(1), version);
export const alert = (level: number, description: number, version = 0x0303): Uint8Array =>
  record(CT.alert, bytes(level, description), version);
/** An opaque (encrypted) record of `type` with a body of `len` bytes. */
export const opaque = (type: number, len: number, version = 0x0303): Uint8Array =>
  record(type, new Uint8Array(len).fill(0xa5), version);
/** An encrypted Finished as TLS 1.2 AES-GCM sends it (8 explicit nonce + 16 + 16 tag). */
export const encryptedFinished = (): Uint8Array => opaque(CT.handshake, 40);

export type Dir = 'c' | 's';
/** One step of a flow: who sends what, optionally cut into segments of `segment` bytes. */
export type Step = [Dir, Uint8Array] | [Dir, Uint8Array, number];

/**
 * Both directions of a flow from steps in capture order: each segment gets the next record
 * number (starting at `firstRecord`), so that the marks order the two directions.
 */
export function flow(steps: Step[], o: { firstRecord?: number; truncated?: boolean; flowTimeMs?: number } = {}): FlowPayload {
  const segs: Record<Dir, { bytes: Uint8Array; record: number }[]> = { c: [], s: [] };
  let record = o.firstRecord ?? 1;
  for (const [dir, data, size] of steps) {
    const step = size ?? Math.max(1, data.length);
    for (let at = 0; at < data.length; at += step) segs[dir].push({ bytes: data.subarray(at, at + step), record: record++ });
  }
  const payload: FlowPayload = {
    client: prefixFromSegments(segs.c, o.truncated ?? false),
    server: prefixFromSegments(segs.s, o.truncated ?? false),
  };
  if (o.flowTimeMs !== undefined) payload.flowTimeMs = o.flowTimeMs;
  return payload;
}

/** The first `n` bytes of a prefix (marks kept where they still start inside), marked truncated. */
export function cut(prefix: StreamPrefix, n: number): StreamPrefix {
  return { bytes: prefix.bytes.subarray(0, n), marks: prefix.marks.filter((m) => m.offset < n), truncated: n < prefix.bytes.length || prefix.truncated };
}

export function derFromPem(pem: string): Uint8Array {
  const b64 = pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  return Uint8Array.from(Buffer.from(b64, 'base64'));
}

export function certDer(name: 'valid' | 'expired' | 'special' | 'multi'): Uint8Array {
  return derFromPem(readFileSync(join(HERE, 'certs', `${name}.pem`), 'utf8'));
}

export interface Fixture {
  name: string;
  pcap: string;
  serverPort: number;
  payload: FlowPayload;
}

/** A recorded session (see fixtures/make-tls-fixtures.sh): segments become prefixes with marks. */
export function loadFixture(name: string): Fixture {
  const json = JSON.parse(readFileSync(join(HERE, 'fixtures', `${name}.json`), 'utf8')) as {
    serverPort: number;
    client: [number, string][];
    server: [number, string][];
  };
  const side = (segs: [number, string][]) =>
    prefixFromSegments(segs.map(([record, hex]) => ({ record, bytes: Uint8Array.from(Buffer.from(hex, 'hex')) })));
  return {
    name,
    pcap: join(HERE, 'fixtures', `${name}.pcap`),
    serverPort: json.serverPort,
    payload: { client: side(json.client), server: side(json.server) },
  };
}
