// TLS over TCP (SSL 3.0 to TLS 1.3, RFC 6101/2246/4346/5246/8446): what a passive observer
// can read from the records of both directions — versions, SNI, ALPN, cipher suite, the
// certificates sent in clear (TLS ≤ 1.2), ChangeCipherSpec, alerts — and whether the
// handshake got through. Pure: bytes in, facts out; never throws on any input.
import { escapeAscii } from './text.js';
import { recordAt, type FlowPayload, type StreamPrefix } from './stream.js';
import { certificateFacts, type CertificateFacts } from './x509.js';

export type { CertificateFacts } from './x509.js';

export type TlsVersion = 'SSL 3.0' | 'TLS 1.0' | 'TLS 1.1' | 'TLS 1.2' | 'TLS 1.3';
export type TlsSide = 'client' | 'server';

/**
 * An alert record. Plaintext alerts carry level and description; an alert sent under
 * encryption shows only who sent it. In TLS ≤ 1.2 it is a record of type 21 after its
 * sender's ChangeCipherSpec. In TLS 1.3 an encrypted alert is a record of outer type 23 like
 * any other; it is reported only when recognised by its size (`byLength`: the last record
 * of a direction that ended, of exactly the size of an encrypted alert without padding).
 */
export type TlsAlert =
  | {
      encrypted: false;
      from: TlsSide;
      level: 'warning' | 'fatal' | 'unknown';
      /** RFC 8446/5246 name (`handshake_failure`), `unknown_<code>` for others. */
      description: string;
      code: number;
    }
  | { encrypted: true; from: TlsSide; byLength: boolean };

export interface TlsFacts {
  /**
   * Negotiated version: the ServerHello's supported_versions if present, else its version;
   * without a ServerHello (or HelloRetryRequest), the client's highest offer.
   */
  version: TlsVersion | null;
  /** Highest version the ClientHello offered (supported_versions, else legacy_version). */
  clientVersion: TlsVersion | null;
  /** The ClientHello's server_name (host_name), escaped as printable ASCII. */
  sni: string | null;
  /** Protocols the ClientHello offered (ALPN), in its order. */
  alpn: string[];
  /** Protocol the ServerHello selected (TLS ≤ 1.2 only: TLS 1.3 sends it encrypted). */
  alpnSelected: string | null;
  /** Cipher suite of the ServerHello: IANA name, or `0xC0FF`-style hex when unknown. */
  cipher: string | null;
  /**
   * TLS ≤ 1.2: ChangeCipherSpec from both sides, each followed by a complete record (its
   * Finished), and no plaintext fatal alert. TLS 1.3: after the ServerHello the client sent
   * an encrypted record, and after the client's first one the server sent an encrypted
   * record (neither counting a trailing alert-sized record). Order across directions comes
   * from the segment marks' record numbers; without marks it is not checked.
   */
  established: boolean;
  /**
   * TLS 1.3: encrypted records the client sent after the ServerHello (not counting a
   * trailing alert-sized one); 0 for earlier versions. Beyond its own handshake (at most
   * three records: Certificate, CertificateVerify, Finished) they are application data.
   */
  clientEncryptedRecords: number;
  /** The first plaintext fatal alert, else the first alert of either side (record order). */
  alert: TlsAlert | null;
  /** Every alert seen, in record order (at most 8 per side). */
  alerts: TlsAlert[];
  /** Leaf of the server's Certificate message (TLS ≤ 1.2: TLS 1.3 encrypts it). */
  serverCertificate: CertificateFacts | null;
  /** Leaf of the client's Certificate message (TLS ≤ 1.2); null also when it was empty. */
  clientCertificate: CertificateFacts | null;
  /** Which sides sent a ChangeCipherSpec record (in TLS 1.3 a compatibility no-op). */
  changeCipherSpec: { client: boolean; server: boolean };
  /** The server sent a CertificateRequest in clear (TLS ≤ 1.2). */
  certificateRequested: boolean;
  clientHelloSeen: boolean;
  /** A ServerHello other than a HelloRetryRequest. */
  serverHelloSeen: boolean;
  helloRetryRequest: boolean;
  /** The handshake started but neither got established nor ended by an alert in the bytes given. */
  incomplete: boolean;
  /** A record header or handshake message that does not parse; that direction stopped there. */
  malformed: boolean;
}

export interface TlsOptions {
  /** Time certificates' daysLeft is counted from; default `payload.flowTimeMs`. */
  atMs?: number;
}

const CT_CCS = 20;
const CT_ALERT = 21;
const CT_HANDSHAKE = 22;
const CT_APPDATA = 23;
const CT_HEARTBEAT = 24;

const HS_CLIENT_HELLO = 1;
const HS_SERVER_HELLO = 2;
const HS_CERTIFICATE = 11;
const HS_CERTIFICATE_REQUEST = 13;

const EXT_SERVER_NAME = 0;
const EXT_ALPN = 16;
const EXT_SUPPORTED_VERSIONS = 43;

/** 2^14 plaintext + 2048 expansion (RFC 5246 §6.2.3), the most any version allows. */
const MAX_RECORD_LEN = 16384 + 2048;
/** Records looked at per direction; 16 KiB of minimal records is ~3300. */
const MAX_RECORDS = 4096;
/** Handshake bytes reassembled per direction: more than any hello or certificate chain needs. */
const MAX_HANDSHAKE_BYTES = 65536;
const MAX_ALERTS_PER_SIDE = 8;
const MAX_ALPN = 16;
const MAX_NAME_BYTES = 255;
const MAX_CHAIN = 64;

/** ServerHello.random of a HelloRetryRequest: SHA-256("HelloRetryRequest") (RFC 8446 §4.1.3). */
const HRR_RANDOM = [
  0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
  0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/** IANA names of the cipher suites commonly seen (TLS Cipher Suites registry). */
const CIPHER_SUITES: ReadonlyMap<number, string> = new Map([
  [0x1301, 'TLS_AES_128_GCM_SHA256'],
  [0x1302, 'TLS_AES_256_GCM_SHA384'],
  [0x1303, 'TLS_CHACHA20_POLY1305_SHA256'],
  [0x1304, 'TLS_AES_128_CCM_SHA256'],
  [0x1305, 'TLS_AES_128_CCM_8_SHA256'],
  [0xc02b, 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'],
  [0xc02c, 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384'],
  [0xc02f, 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'],
  [0xc030, 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384'],
  [0xcca8, 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256'],
  [0xcca9, 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256'],
  [0xccaa, 'TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256'],
  [0xc009, 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA'],
  [0xc00a, 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA'],
  [0xc013, 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA'],
  [0xc014, 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA'],
  [0xc023, 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256'],
  [0xc024, 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384'],
  [0xc027, 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256'],
  [0xc028, 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384'],
  [0xc012, 'TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA'],
  [0xc011, 'TLS_ECDHE_RSA_WITH_RC4_128_SHA'],
  [0xc0ac, 'TLS_ECDHE_ECDSA_WITH_AES_128_CCM'],
  [0xc0ad, 'TLS_ECDHE_ECDSA_WITH_AES_256_CCM'],
  [0x009e, 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256'],
  [0x009f, 'TLS_DHE_RSA_WITH_AES_256_GCM_SHA384'],
  [0x0033, 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA'],
  [0x0039, 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA'],
  [0x0067, 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA256'],
  [0x006b, 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA256'],
  [0x0016, 'TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA'],
  [0x009c, 'TLS_RSA_WITH_AES_128_GCM_SHA256'],
  [0x009d, 'TLS_RSA_WITH_AES_256_GCM_SHA384'],
  [0x002f, 'TLS_RSA_WITH_AES_128_CBC_SHA'],
  [0x0035, 'TLS_RSA_WITH_AES_256_CBC_SHA'],
  [0x003c, 'TLS_RSA_WITH_AES_128_CBC_SHA256'],
  [0x003d, 'TLS_RSA_WITH_AES_256_CBC_SHA256'],
  [0x000a, 'TLS_RSA_WITH_3DES_EDE_CBC_SHA'],
  [0x0005, 'TLS_RSA_WITH_RC4_128_SHA'],
  [0x0004, 'TLS_RSA_WITH_RC4_128_MD5'],
  [0x0000, 'TLS_NULL_WITH_NULL_NULL'],
  [0x00ff, 'TLS_EMPTY_RENEGOTIATION_INFO_SCSV'],
  [0x5600, 'TLS_FALLBACK_SCSV'],
]);

/** Alert descriptions (RFC 8446 §6, RFC 5246 §7.2, RFC 6101, RFC 6066, RFC 7301, RFC 4279, ECH). */
const ALERT_DESCRIPTIONS: ReadonlyMap<number, string> = new Map([
  [0, 'close_notify'],
  [10, 'unexpected_message'],
  [20, 'bad_record_mac'],
  [21, 'decryption_failed'],
  [22, 'record_overflow'],
  [30, 'decompression_failure'],
  [40, 'handshake_failure'],
  [41, 'no_certificate'],
  [42, 'bad_certificate'],
  [43, 'unsupported_certificate'],
  [44, 'certificate_revoked'],
  [45, 'certificate_expired'],
  [46, 'certificate_unknown'],
  [47, 'illegal_parameter'],
  [48, 'unknown_ca'],
  [49, 'access_denied'],
  [50, 'decode_error'],
  [51, 'decrypt_error'],
  [60, 'export_restriction'],
  [70, 'protocol_version'],
  [71, 'insufficient_security'],
  [80, 'internal_error'],
  [86, 'inappropriate_fallback'],
  [90, 'user_canceled'],
  [100, 'no_renegotiation'],
  [109, 'missing_extension'],
  [110, 'unsupported_extension'],
  [111, 'certificate_unobtainable'],
  [112, 'unrecognized_name'],
  [113, 'bad_certificate_status_response'],
  [114, 'bad_certificate_hash_value'],
  [115, 'unknown_psk_identity'],
  [116, 'certificate_required'],
  [120, 'no_application_protocol'],
  [121, 'ech_required'],
]);

/** IANA name of a cipher suite, or its code as `0xC0FF`. */
export function cipherSuiteName(code: number): string {
  return CIPHER_SUITES.get(code) ?? '0x' + (code & 0xffff).toString(16).toUpperCase().padStart(4, '0');
}

/** Name of an alert description, or `unknown_<code>`. */
export function alertDescriptionName(code: number): string {
  return ALERT_DESCRIPTIONS.get(code) ?? `unknown_${code}`;
}

/** Name of a protocol version code; TLS 1.3 drafts (0x7fNN) count as TLS 1.3; else null. */
export function tlsVersionName(code: number): TlsVersion | null {
  switch (code) {
    case 0x0300:
      return 'SSL 3.0';
    case 0x0301:
      return 'TLS 1.0';
    case 0x0302:
      return 'TLS 1.1';
    case 0x0303:
      return 'TLS 1.2';
    case 0x0304:
      return 'TLS 1.3';
    default:
      return code >> 8 === 0x7f ? 'TLS 1.3' : null;
  }
}

const VERSION_RANK: Record<TlsVersion, number> = { 'SSL 3.0': 0, 'TLS 1.0': 1, 'TLS 1.1': 2, 'TLS 1.2': 3, 'TLS 1.3': 4 };

/**
 * Content detection on the first bytes of a stream: a handshake record (type 22, version
 * 0x0300-0x0304, length 1..18432) starting a ClientHello or ServerHello (of at least the
 * minimal hello size when the handshake header is there).
 */
export function looksLikeTls(first: Uint8Array): boolean {
  if (first.length < 6) return false;
  if (first[0] !== CT_HANDSHAKE || first[1] !== 3 || first[2] > 4) return false;
  const len = (first[3] << 8) | first[4];
  if (len === 0 || len > MAX_RECORD_LEN) return false;
  if (first[5] !== HS_CLIENT_HELLO && first[5] !== HS_SERVER_HELLO) return false;
  if (first.length >= 9) {
    const hsLen = (first[6] << 16) | (first[7] << 8) | first[8];
    if (hsLen < 38) return false; // a ServerHello body has at least 38 bytes, a ClientHello more
  }
  return true;
}

// ---------------------------------------------------------------------------------------
// Records

interface TlsRecord {
  type: number;
  /** Offset of the 5-byte header in the prefix. */
  start: number;
  /** End of the body (exclusive). */
  end: number;
  /** Record number of the packet holding the header's first byte (null: no mark). */
  packet: number | null;
}

interface RecordScan {
  records: TlsRecord[];
  /** Bytes after the last complete record: a cut record, an impossible header, or past the cap. */
  rest: boolean;
  malformed: boolean;
  /** Start of a record whose header is whole but whose body the prefix cut, or -1. */
  partial: number;
}

/** Splits a direction into records; stops at the first impossible header or the cap. */
function scanRecords(prefix: StreamPrefix): RecordScan {
  const b = prefix.bytes;
  const records: TlsRecord[] = [];
  let p = 0;
  let malformed = false;
  let partial = -1;
  while (p < b.length && records.length < MAX_RECORDS) {
    if (!headerPrefixValid(b, p)) {
      malformed = true;
      break;
    }
    if (p + 5 > b.length) break;
    const len = (b[p + 3] << 8) | b[p + 4];
    if (p + 5 + len > b.length) {
      partial = p;
      break;
    }
    records.push({ type: b[p], start: p, end: p + 5 + len, packet: recordAt(prefix, p) });
    p += 5 + len;
  }
  return { records, rest: p < b.length, malformed, partial };
}

/** The header bytes present at `p` (possibly fewer than 5) are those of a valid record. */
function headerPrefixValid(b: Uint8Array, p: number): boolean {
  const type = b[p];
  if (type < CT_CCS || type > CT_HEARTBEAT) return false;
  if (p + 1 < b.length && b[p + 1] !== 3) return false;
  if (p + 2 < b.length && b[p + 2] > 4) return false;
  if (p + 4 < b.length && ((b[p + 3] << 8) | b[p + 4]) > MAX_RECORD_LEN) return false;
  return true;
}

// ---------------------------------------------------------------------------------------
// Handshake reassembly: record bodies of type 22 are concatenated (bounded) and cut into
// messages; a message may span records and a record may hold several messages.

interface HandshakeMessage {
  type: number;
  /** The message body, a view into the reassembly buffer. */
  body: Uint8Array;
  /** Offset of the message header in the reassembly buffer. */
  at: number;
}

class HandshakeReassembler {
  private buf = new Uint8Array(0);
  private filled = 0;
  private consumed = 0;
  /** Buffer offset and stream offset of each appended chunk (ascending), to map messages back to packets. */
  private chunkBuf: number[] = [];
  private chunkStream: number[] = [];

  push(src: Uint8Array, start: number, end: number): void {
    const n = Math.min(end - start, MAX_HANDSHAKE_BYTES - this.filled);
    if (n <= 0) return;
    if (this.filled + n > this.buf.length) {
      const grown = new Uint8Array(Math.min(MAX_HANDSHAKE_BYTES, Math.max(this.buf.length * 2, this.filled + n, 4096)));
      grown.set(this.buf.subarray(0, this.filled));
      this.buf = grown;
    }
    this.buf.set(src.subarray(start, start + n), this.filled);
    this.chunkBuf.push(this.filled);
    this.chunkStream.push(start);
    this.filled += n;
  }

  /** The next complete message, or null when the rest is incomplete (or nothing is left). */
  next(): HandshakeMessage | null {
    const p = this.consumed;
    if (p + 4 > this.filled) return null;
    const len = (this.buf[p + 1] << 16) | (this.buf[p + 2] << 8) | this.buf[p + 3];
    if (p + 4 + len > this.filled) return null;
    this.consumed = p + 4 + len;
    return { type: this.buf[p], body: this.buf.subarray(p + 4, p + 4 + len), at: p };
  }

  /** Offset in the stream prefix of a message's first byte. */
  streamOffset(m: HandshakeMessage): number {
    let lo = 0;
    let hi = this.chunkBuf.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.chunkBuf[mid] <= m.at) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found < this.chunkStream.length ? this.chunkStream[found] + (m.at - this.chunkBuf[found]) : 0;
  }
}

// ---------------------------------------------------------------------------------------
// Hello and Certificate messages. Each reader checks every length against its end before
// using it and returns what it parsed so far plus whether the message was well-formed.

interface HelloExtensions {
  sni: string | null;
  alpn: string[];
  /** ClientHello: versions offered; ServerHello: the selected one. */
  versions: number[];
}

interface ClientHello extends HelloExtensions {
  legacyVersion: number;
  ok: boolean;
}

interface ServerHello extends HelloExtensions {
  legacyVersion: number;
  cipher: number | null;
  helloRetry: boolean;
  ok: boolean;
}

function u16(b: Uint8Array, p: number): number {
  return (b[p] << 8) | b[p + 1];
}

function u24(b: Uint8Array, p: number): number {
  return (b[p] << 16) | (b[p + 1] << 8) | b[p + 2];
}

function parseClientHello(b: Uint8Array): ClientHello {
  const hello: ClientHello = { legacyVersion: -1, sni: null, alpn: [], versions: [], ok: false };
  const end = b.length;
  if (end < 2 + 32 + 1) return hello;
  hello.legacyVersion = u16(b, 0);
  let p = 34;
  const sid = b[p];
  p += 1 + sid;
  if (sid > 32 || p + 2 > end) return hello;
  const suites = u16(b, p);
  p += 2 + suites;
  if (p + 1 > end) return hello;
  const comp = b[p];
  p += 1 + comp;
  if (p > end) return hello;
  if (p === end) {
    hello.ok = true; // SSL 3.0 / early TLS: no extensions block
    return hello;
  }
  hello.ok = parseExtensions(b, p, end, hello, true);
  return hello;
}

function parseServerHello(b: Uint8Array): ServerHello {
  const hello: ServerHello = { legacyVersion: -1, cipher: null, helloRetry: false, sni: null, alpn: [], versions: [], ok: false };
  const end = b.length;
  if (end < 2 + 32 + 1) return hello;
  hello.legacyVersion = u16(b, 0);
  let retry = true;
  for (let i = 0; i < 32; i++) if (b[2 + i] !== HRR_RANDOM[i]) retry = false;
  hello.helloRetry = retry;
  let p = 34;
  const sid = b[p];
  p += 1 + sid;
  if (sid > 32 || p + 3 > end) return hello;
  hello.cipher = u16(b, p);
  p += 3; // cipher suite, compression method
  if (p === end) {
    hello.ok = true;
    return hello;
  }
  hello.ok = parseExtensions(b, p, end, hello, false);
  return hello;
}

/** Extensions block at `p` (2-byte length, then type/length/data entries) up to `end`. */
function parseExtensions(b: Uint8Array, p: number, end: number, out: HelloExtensions, client: boolean): boolean {
  if (p + 2 > end) return false;
  const extEnd = p + 2 + u16(b, p);
  if (extEnd > end) return false;
  p += 2;
  while (p + 4 <= extEnd) {
    const type = u16(b, p);
    const len = u16(b, p + 2);
    const data = p + 4;
    const dataEnd = data + len;
    if (dataEnd > extEnd) return false;
    if (type === EXT_SERVER_NAME && client && out.sni === null) {
      out.sni = readServerName(b, data, dataEnd);
    } else if (type === EXT_ALPN && out.alpn.length === 0) {
      out.alpn = readAlpn(b, data, dataEnd);
    } else if (type === EXT_SUPPORTED_VERSIONS && out.versions.length === 0) {
      if (client) {
        // 1-byte length, then 2-byte versions
        if (data < dataEnd) {
          const vEnd = Math.min(dataEnd, data + 1 + b[data]);
          for (let v = data + 1; v + 2 <= vEnd; v += 2) out.versions.push(u16(b, v));
        }
      } else if (len >= 2) {
        out.versions.push(u16(b, data));
      }
    }
    p = dataEnd;
  }
  return p === extEnd;
}

/** server_name extension: the first host_name entry. */
function readServerName(b: Uint8Array, p: number, end: number): string | null {
  if (p + 2 > end) return null;
  const listEnd = Math.min(end, p + 2 + u16(b, p));
  p += 2;
  while (p + 3 <= listEnd) {
    const nameType = b[p];
    const len = u16(b, p + 1);
    const start = p + 3;
    if (start + len > listEnd) return null;
    if (nameType === 0) return escapeAscii(b, start, start + len, MAX_NAME_BYTES);
    p = start + len;
  }
  return null;
}

/** ALPN extension: protocol names, each a 1-byte length and the bytes. */
function readAlpn(b: Uint8Array, p: number, end: number): string[] {
  const names: string[] = [];
  if (p + 2 > end) return names;
  const listEnd = Math.min(end, p + 2 + u16(b, p));
  p += 2;
  while (p < listEnd && names.length < MAX_ALPN) {
    const len = b[p];
    if (p + 1 + len > listEnd) break;
    names.push(escapeAscii(b, p + 1, p + 1 + len, MAX_NAME_BYTES));
    p += 1 + len;
  }
  return names;
}

/** TLS ≤ 1.2 Certificate: 3-byte list length, then 3-byte length + DER per certificate. */
function parseCertificateList(b: Uint8Array, atMs: number | undefined): { cert: CertificateFacts | null; ok: boolean } {
  if (b.length < 3) return { cert: null, ok: false };
  const listEnd = 3 + u24(b, 0);
  if (listEnd > b.length) return { cert: null, ok: false };
  let p = 3;
  let count = 0;
  let leaf: [number, number] | null = null;
  while (p + 3 <= listEnd && count < MAX_CHAIN) {
    const len = u24(b, p);
    if (p + 3 + len > listEnd) return { cert: null, ok: false };
    if (leaf === null) leaf = [p + 3, p + 3 + len];
    count++;
    p += 3 + len;
  }
  if (leaf === null) return { cert: null, ok: p === listEnd };
  return { cert: certificateFacts(b.subarray(leaf[0], leaf[1]), atMs, count), ok: true };
}

// ---------------------------------------------------------------------------------------
// Both directions

interface AlertEvent {
  alert: TlsAlert;
  packet: number | null;
  offset: number;
}

interface SideState {
  scan: RecordScan;
  /** Index in scan.records of the side's first ChangeCipherSpec, or -1. */
  ccs: number;
  alerts: AlertEvent[];
  malformed: boolean;
}

function newSide(prefix: StreamPrefix): SideState {
  const scan = scanRecords(prefix);
  return { scan, ccs: -1, alerts: [], malformed: scan.malformed };
}

/** Highest known version in a list of version codes (GREASE and unknown codes ignored). */
function highest(codes: number[]): TlsVersion | null {
  let best: TlsVersion | null = null;
  for (const c of codes) {
    const v = tlsVersionName(c);
    if (v !== null && (best === null || VERSION_RANK[v] > VERSION_RANK[best])) best = v;
  }
  return best;
}

/** `a` happened after `b` in capture order; unknown when a mark is missing, then assumed. */
function after(a: number | null, b: number | null): boolean {
  return a === null || b === null || a > b;
}

/** Reads alerts out of a type-21 record. */
function recordAlerts(side: SideState, from: TlsSide, bytes: Uint8Array, r: TlsRecord, encrypted: boolean): void {
  const len = r.end - r.start - 5;
  const push = (alert: TlsAlert) => {
    if (side.alerts.length < MAX_ALERTS_PER_SIDE) side.alerts.push({ alert, packet: r.packet, offset: r.start });
  };
  if (encrypted) {
    push({ encrypted: true, from, byLength: false });
    return;
  }
  // TLS ≤ 1.2 may coalesce alerts in one plaintext record; TLS 1.3's are exactly 2 bytes.
  for (let p = r.start + 5; p + 2 <= r.end && side.alerts.length < MAX_ALERTS_PER_SIDE; p += 2) {
    const level = bytes[p];
    const code = bytes[p + 1];
    push({
      encrypted: false,
      from,
      level: level === 1 ? 'warning' : level === 2 ? 'fatal' : 'unknown',
      description: alertDescriptionName(code),
      code,
    });
  }
  if (len < 2) side.malformed = true;
}

/**
 * Walks one direction's records: notes its first ChangeCipherSpec, reads its alerts, and
 * hands each complete plaintext handshake message to `onMessage`.
 */
function walkRecords(
  side: SideState,
  from: TlsSide,
  bytes: Uint8Array,
  isTls13: () => boolean,
  onMessage: (m: HandshakeMessage, hs: HandshakeReassembler) => void,
): void {
  const hs = new HandshakeReassembler();
  const recs = side.scan.records;
  for (let i = 0; i < recs.length; i++) {
    const r = recs[i];
    const tls13 = isTls13();
    if (r.type === CT_CCS) {
      if (side.ccs < 0) side.ccs = i;
    } else if (r.type === CT_ALERT) {
      // TLS ≤ 1.2: encrypted once its sender's CCS is behind it. TLS 1.3: the CCS changes
      // nothing, a plaintext alert is exactly 2 bytes, anything longer is not readable.
      recordAlerts(side, from, bytes, r, tls13 ? r.end - r.start !== 7 : side.ccs >= 0 && side.ccs < i);
    } else if (r.type === CT_HANDSHAKE && (tls13 || side.ccs < 0)) {
      // TLS 1.3 encrypts handshake messages in type-23 records: every type-22 one is plaintext
      hs.push(bytes, r.start + 5, r.end);
      for (let m = hs.next(); m !== null; m = hs.next()) onMessage(m, hs);
    }
  }
  // A plaintext handshake record the prefix cut (a server flight packed in one 16 KiB
  // record): the whole messages at its start (the ServerHello) still count.
  const cut = side.scan.partial;
  if (cut >= 0 && bytes[cut] === CT_HANDSHAKE && (isTls13() || side.ccs < 0)) {
    hs.push(bytes, cut + 5, bytes.length);
    for (let m = hs.next(); m !== null; m = hs.next()) onMessage(m, hs);
  }
}

/**
 * Facts about a TLS session from both directions' stream prefixes. Never throws; bytes that
 * are not TLS give a result with nothing seen and `malformed` set.
 */
export function inspectTls(payload: FlowPayload, options: TlsOptions = {}): TlsFacts {
  const atMs = options.atMs ?? payload.flowTimeMs;
  const facts: TlsFacts = {
    version: null,
    clientVersion: null,
    sni: null,
    alpn: [],
    alpnSelected: null,
    cipher: null,
    established: false,
    clientEncryptedRecords: 0,
    alert: null,
    alerts: [],
    serverCertificate: null,
    clientCertificate: null,
    changeCipherSpec: { client: false, server: false },
    certificateRequested: false,
    clientHelloSeen: false,
    serverHelloSeen: false,
    helloRetryRequest: false,
    incomplete: false,
    malformed: false,
  };
  const cb = payload.client.bytes;
  const sb = payload.server.bytes;
  const client = newSide(payload.client);
  const server = newSide(payload.server);

  // Server first: its hello decides the version, which decides what the client's
  // ChangeCipherSpec means (TLS 1.3's is a compatibility no-op, not the start of encryption).
  let tls13 = false;
  let negotiated: TlsVersion | null = null;
  let cipherCode: number | null = null;
  let serverHelloPacket: number | null = null;
  walkRecords(server, 'server', sb, () => tls13, (m, hs) => {
    if (m.type === HS_SERVER_HELLO && !facts.serverHelloSeen) {
      const sh = parseServerHello(m.body);
      if (!sh.ok) server.malformed = true;
      const v = sh.versions.length > 0 ? tlsVersionName(sh.versions[0]) : tlsVersionName(sh.legacyVersion);
      if (sh.helloRetry) {
        facts.helloRetryRequest = true;
        tls13 = true; // only TLS 1.3 has HelloRetryRequest; the real ServerHello follows
        negotiated = 'TLS 1.3';
        return;
      }
      if (v === 'TLS 1.3') tls13 = true;
      facts.serverHelloSeen = true;
      negotiated = v;
      cipherCode = sh.cipher;
      facts.alpnSelected = sh.alpn.length > 0 ? sh.alpn[0] : null;
      serverHelloPacket = recordAt(payload.server, hs.streamOffset(m));
    } else if (m.type === HS_CERTIFICATE && !tls13 && facts.serverCertificate === null) {
      const c = parseCertificateList(m.body, atMs);
      if (!c.ok) server.malformed = true;
      facts.serverCertificate = c.cert;
    } else if (m.type === HS_CERTIFICATE_REQUEST && !tls13) {
      facts.certificateRequested = true;
    }
  });
  walkRecords(client, 'client', cb, () => tls13, (m) => {
    if (m.type === HS_CLIENT_HELLO && !facts.clientHelloSeen) {
      const ch = parseClientHello(m.body);
      if (!ch.ok) client.malformed = true;
      facts.clientHelloSeen = true;
      facts.sni = ch.sni;
      facts.alpn = ch.alpn;
      facts.clientVersion = highest(ch.versions.length > 0 ? ch.versions : [ch.legacyVersion]);
    } else if (m.type === HS_CERTIFICATE && !tls13 && facts.clientCertificate === null) {
      const c = parseCertificateList(m.body, atMs);
      if (!c.ok) client.malformed = true;
      facts.clientCertificate = c.cert;
    }
  });

  facts.version = negotiated ?? (facts.serverHelloSeen ? null : facts.clientVersion);
  facts.cipher = cipherCode === null ? null : cipherSuiteName(cipherCode);
  facts.malformed = client.malformed || server.malformed;
  facts.changeCipherSpec = { client: client.ccs >= 0, server: server.ccs >= 0 };

  if (tls13) {
    // An unpadded encrypted alert is 2 bytes + 1 content type + the AEAD tag (8 bytes for
    // TLS_AES_128_CCM_8_SHA256, 16 for the others).
    const alertLen = 5 + (cipherCode === 0x1305 ? 11 : 19);
    const trailing = (side: SideState, prefix: StreamPrefix): TlsRecord | null => {
      const recs = side.scan.records;
      const last = recs[recs.length - 1];
      if (last === undefined || side.scan.rest || prefix.truncated || side.malformed) return null;
      if (last.type !== CT_APPDATA || last.end - last.start !== alertLen) return null;
      return after(last.packet, serverHelloPacket) ? last : null;
    };
    const cTrail = trailing(client, payload.client);
    const sTrail = trailing(server, payload.server);
    let firstClient: TlsRecord | null = null;
    if (facts.serverHelloSeen) {
      for (const r of client.scan.records) {
        if (r.type === CT_APPDATA && r !== cTrail && after(r.packet, serverHelloPacket)) {
          firstClient ??= r;
          facts.clientEncryptedRecords++;
        }
      }
    }
    let serverAfter = false;
    if (firstClient !== null) {
      for (const r of server.scan.records) {
        if (r.type === CT_APPDATA && r !== sTrail && after(r.packet, firstClient.packet)) {
          serverAfter = true;
          break;
        }
      }
    }
    for (const [side, from, t] of [[client, 'client', cTrail], [server, 'server', sTrail]] as const) {
      if (t !== null && side.alerts.length < MAX_ALERTS_PER_SIDE) {
        side.alerts.push({ alert: { encrypted: true, from, byLength: true }, packet: t.packet, offset: t.start });
      }
    }
    facts.established = serverAfter && !hasPlaintextFatal(client, server);
  } else {
    const finished = (side: SideState) => side.ccs >= 0 && side.ccs + 1 < side.scan.records.length;
    facts.established = finished(client) && finished(server) && !hasPlaintextFatal(client, server);
  }

  const events = [...client.alerts.map((e) => [e, 0] as const), ...server.alerts.map((e) => [e, 1] as const)];
  // record order; without marks, after those with marks; then client first, then stream order
  events.sort(([a, sideA], [b, sideB]) => {
    const pa = a.packet ?? Number.MAX_SAFE_INTEGER;
    const pb = b.packet ?? Number.MAX_SAFE_INTEGER;
    return pa !== pb ? pa - pb : sideA !== sideB ? sideA - sideB : a.offset - b.offset;
  });
  facts.alerts = events.map(([e]) => e.alert);
  facts.alert = facts.alerts.find((a) => !a.encrypted && a.level === 'fatal') ?? facts.alerts[0] ?? null;

  const started =
    facts.clientHelloSeen ||
    facts.serverHelloSeen ||
    (cb.length > 0 && cb[0] === CT_HANDSHAKE) ||
    (sb.length > 0 && sb[0] === CT_HANDSHAKE);
  const ended = facts.alerts.some((a) => a.encrypted || a.level === 'fatal' || a.code === 0);
  facts.incomplete = started && !facts.established && !ended;
  return facts;
}

function hasPlaintextFatal(...sides: SideState[]): boolean {
  return sides.some((s) => s.alerts.some((e) => !e.alert.encrypted && e.alert.level === 'fatal'));
}
