// Facts about one DER certificate seen in a TLS Certificate message: names as RFC 4514
// strings, validity as ISO-8601 UTC, SHA-256 of the DER, days left at a given time.
// X.509 parsing itself is Node's (OpenSSL's); this file only reshapes what Node returns.
import { createHash, X509Certificate } from 'node:crypto';

export interface CertificateFacts {
  /** False when the DER did not parse as X.509: then only `sha256` and `chainLength` are set. */
  parsed: boolean;
  /** RFC 4514 string, most specific RDN first (`CN=host,O=Org,C=US`). */
  subject: string | null;
  issuer: string | null;
  /** notBefore / notAfter as `YYYY-MM-DDTHH:MM:SSZ`. */
  notBefore: string | null;
  notAfter: string | null;
  /** floor((notAfter − at) / 1 day); negative once expired; null without a time or a date. */
  daysLeft: number | null;
  /** SHA-256 of the DER, 64 lowercase hex digits. */
  sha256: string;
  /** Certificates in the message this one came from (leaf first). */
  chainLength: number;
}

const DAY_MS = 86_400_000;

/** What the DER says, independent of the time asked about. */
interface Parsed {
  parsed: boolean;
  subject: string | null;
  issuer: string | null;
  fromMs: number | null;
  toMs: number | null;
}

/**
 * Parsed certificates by SHA-256, least recently used first. Parsing costs ~0.3 ms and the
 * same few server certificates come back in every flow of a capture; the results depend on
 * the bytes only, so the cache changes no answer. Bounded.
 */
const cache = new Map<string, Parsed>();
const CACHE_MAX = 1024;

/**
 * Facts about the certificate `der`. `atMs` is the time daysLeft is counted from (usually
 * the flow's time); without it daysLeft is null. Never throws.
 */
export function certificateFacts(der: Uint8Array, atMs?: number, chainLength = 1): CertificateFacts {
  const sha256 = createHash('sha256').update(der).digest('hex');
  let p = cache.get(sha256);
  if (p === undefined) {
    p = parse(der);
    if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string);
  } else {
    cache.delete(sha256); // re-inserted below as the most recent
  }
  cache.set(sha256, p);
  return {
    parsed: p.parsed,
    subject: p.subject,
    issuer: p.issuer,
    notBefore: p.fromMs === null ? null : isoSeconds(p.fromMs),
    notAfter: p.toMs === null ? null : isoSeconds(p.toMs),
    daysLeft: p.toMs !== null && atMs !== undefined && Number.isFinite(atMs) ? Math.floor((p.toMs - atMs) / DAY_MS) : null,
    sha256,
    chainLength,
  };
}

function parse(der: Uint8Array): Parsed {
  const out: Parsed = { parsed: false, subject: null, issuer: null, fromMs: null, toMs: null };
  // A DER certificate is a SEQUENCE; Node would also accept PEM text, which a TLS
  // Certificate message cannot legitimately carry.
  if (der.length < 2 || der[0] !== 0x30) return out;
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der);
  } catch {
    return out; // not a certificate OpenSSL can read: hostile or damaged bytes
  }
  out.parsed = true;
  const subject: unknown = cert.subject;
  const issuer: unknown = cert.issuer;
  const from: unknown = cert.validFrom;
  const to: unknown = cert.validTo;
  if (typeof subject === 'string') out.subject = rfc4514FromNode(subject);
  if (typeof issuer === 'string') out.issuer = rfc4514FromNode(issuer);
  if (typeof from === 'string') out.fromMs = parseOpenSslTime(from);
  if (typeof to === 'string') out.toMs = parseOpenSslTime(to);
  return out;
}

/**
 * Node prints a name one attribute per line in DER order (`C=US\nO=Org\nCN=host`), the
 * AVAs of a multi-valued RDN joined by ` + `, values already escaped as RFC 4514 requires
 * (OpenSSL's ASN1_STRFLGS_ESC_2253: `, + " \ < > ;`, a leading `#` or space, a trailing
 * space; control characters as `\XX`, so a value never contains a raw newline). RFC 4514
 * wants the RDNs from the last of the sequence to the first, comma-separated, AVAs joined by
 * `+`. Within an RDN the AVAs are reversed too, as `openssl -nameopt RFC2253` does, so the
 * two strings compare equal (RFC 4514 gives AVA order no meaning).
 */
export function rfc4514FromNode(multiline: string): string {
  if (multiline === '') return '';
  const rdns = multiline.split('\n');
  const out: string[] = [];
  for (let i = rdns.length - 1; i >= 0; i--) out.push(splitAvas(rdns[i]).reverse().join('+'));
  return out.join(',');
}

/** Splits one printed RDN on the ` + ` separators that are not inside an escape. */
function splitAvas(rdn: string): string[] {
  const avas: string[] = [];
  let start = 0;
  for (let i = 0; i < rdn.length; i++) {
    const c = rdn.charCodeAt(i);
    if (c === 0x5c) {
      i++; // `\x` escapes one character (a `\XX` hex pair holds no space or `+`)
    } else if (c === 0x20 && rdn.charCodeAt(i + 1) === 0x2b && rdn.charCodeAt(i + 2) === 0x20) {
      avas.push(rdn.slice(start, i));
      start = i + 3;
      i += 2;
    }
  }
  avas.push(rdn.slice(start));
  return avas;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
// OpenSSL's ASN1_TIME_print: "Dec 26 12:56:16 2026 GMT", day space-padded, optional fraction
const OPENSSL_TIME = /^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.\d+)? (\d{4}) GMT$/;

/** Milliseconds since the epoch for an OpenSSL-printed time, or null. */
export function parseOpenSslTime(s: string): number | null {
  const m = OPENSSL_TIME.exec(s);
  if (m === null) return null;
  const month = MONTHS.indexOf(m[1]);
  const day = Number(m[2]);
  const h = Number(m[3]);
  const min = Number(m[4]);
  const sec = Number(m[5]);
  if (month < 0 || day < 1 || day > 31 || h > 23 || min > 59 || sec > 60) return null;
  const d = new Date(0);
  d.setUTCFullYear(Number(m[6]), month, day); // not Date.UTC: it maps years 0-99 to 19xx
  d.setUTCHours(h, min, sec, 0);
  const ms = d.getTime();
  return Number.isFinite(ms) ? ms : null;
}

/** `YYYY-MM-DDTHH:MM:SSZ` (ISO-8601 UTC, whole seconds). */
export function isoSeconds(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    `${p(d.getUTCFullYear(), 4)}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}` +
    `T${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}Z`
  );
}
