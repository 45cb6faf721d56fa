// HTTP/1.x start lines (RFC 9112 §3 and §4): the request line a client opens with and the
// status line a server answers with. Only the first line of each direction is read.
import type { FlowPayload } from './stream.js';
import { escapeAscii, indexOfByte, startsWithAscii } from './text.js';

export interface HttpRequestLine {
  method: string;
  /** Request target, printable ASCII (`\xHH` for other bytes), at most 2048 bytes shown. */
  target: string;
  /** "1.0", "1.1" */
  version: string;
}

export interface HttpStatusLine {
  version: string;
  /** 100-599 */
  status: number;
  /** Reason phrase, escaped, possibly empty. */
  reason: string;
}

export interface HttpFacts {
  request: HttpRequestLine | null;
  response: HttpStatusLine | null;
}

/** Methods recognised: RFC 9110 and PATCH, plus the WebDAV ones management interfaces use. */
const METHODS = [
  'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH',
  'PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'REPORT', 'SEARCH',
];
/** Longest request target looked for (RFC 9112 recommends supporting at least 8000). */
const MAX_TARGET = 8192;
const MAX_TARGET_SHOWN = 2048;
const MAX_REASON = 256;

/**
 * The request line at the start of `bytes`: METHOD SP target SP HTTP/1.D, followed by CR LF,
 * LF or the end of the bytes (a first segment may stop there). Null when it is not one.
 */
export function parseHttpRequestLine(bytes: Uint8Array): HttpRequestLine | null {
  let method: string | null = null;
  for (const m of METHODS) {
    if (startsWithAscii(bytes, 0, m) && bytes[m.length] === 0x20) {
      method = m;
      break;
    }
  }
  if (method === null) return null;
  const targetStart = method.length + 1;
  const sp = indexOfByte(bytes, 0x20, targetStart, targetStart + MAX_TARGET + 1);
  if (sp <= targetStart) return null;
  // a target is visible characters; bytes >= 0x80 are tolerated (raw UTF-8 from sloppy clients)
  for (let i = targetStart; i < sp; i++) if (bytes[i] <= 0x20 || bytes[i] === 0x7f) return null;
  const version = httpVersionAt(bytes, sp + 1);
  if (version === null || !lineEndsAt(bytes, sp + 9)) return null;
  return { method, target: escapeAscii(bytes, targetStart, sp, MAX_TARGET_SHOWN), version };
}

/**
 * The status line at the start of `bytes`: HTTP/1.D SP 3DIGIT, then SP reason, or the line
 * end (a missing reason is common), or the end of the bytes. Null when it is not one.
 */
export function parseHttpStatusLine(bytes: Uint8Array): HttpStatusLine | null {
  const version = httpVersionAt(bytes, 0);
  if (version === null || bytes[8] !== 0x20 || bytes.length < 12) return null;
  let status = 0;
  for (let i = 9; i < 12; i++) {
    const d = bytes[i] - 0x30;
    if (d < 0 || d > 9) return null;
    status = status * 10 + d;
  }
  if (status < 100 || status > 599) return null;
  let reason = '';
  if (bytes.length > 12) {
    const next = bytes[12];
    if (next === 0x20) {
      const stop = Math.min(bytes.length, 13 + MAX_REASON);
      let end = 13;
      while (end < stop && bytes[end] !== 0x0d && bytes[end] !== 0x0a) end++;
      reason = escapeAscii(bytes, 13, end, MAX_REASON);
    } else if (!lineEndsAt(bytes, 12)) {
      return null;
    }
  }
  return { version, status, reason };
}

/** Content detection on a client's first bytes. */
export function looksLikeHttpRequest(first: Uint8Array): boolean {
  return parseHttpRequestLine(first) !== null;
}

/** Content detection on a server's first bytes. */
export function looksLikeHttpResponse(first: Uint8Array): boolean {
  return parseHttpStatusLine(first) !== null;
}

/** The first request line of the client and the first status line of the server. */
export function inspectHttp(payload: FlowPayload): HttpFacts {
  return { request: parseHttpRequestLine(payload.client.bytes), response: parseHttpStatusLine(payload.server.bytes) };
}

/** "1.0"/"1.1" for "HTTP/1.D" at `p`, else null. */
function httpVersionAt(bytes: Uint8Array, p: number): string | null {
  if (!startsWithAscii(bytes, p, 'HTTP/1.') || p + 8 > bytes.length) return null;
  const minor = bytes[p + 7];
  return minor >= 0x30 && minor <= 0x39 ? '1.' + String.fromCharCode(minor) : null;
}

/** CR LF, a bare LF, or the end of the bytes (or a lone CR as the last byte) at `p`. */
function lineEndsAt(bytes: Uint8Array, p: number): boolean {
  if (p >= bytes.length) return true;
  if (bytes[p] === 0x0a) return true;
  return bytes[p] === 0x0d && (p + 1 >= bytes.length || bytes[p + 1] === 0x0a);
}
