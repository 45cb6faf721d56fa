// Syslog: the format of each message (RFC 5424, or the BSD format of RFC 3164), its
// facility and severity, and on TCP the framing (RFC 6587: octet counting or a trailer
// byte). What the User-ID syslog listener needs is checked: one message per line, none over
// its size limit, UDP messages not split across datagrams.
import type { AppMessage } from './datagram.js';
import type { FlowPayload } from './stream.js';
import { escapeAscii } from './text.js';

export type SyslogFormat = 'rfc5424' | 'rfc3164' | 'unknown';
export type SyslogFraming = 'octet-counted' | 'lf';

export interface SyslogFacts {
  /** Format of the first message that has a PRI; 'unknown' when none has one or it is neither. */
  format: SyslogFormat;
  /** Messages with a PRI came in more than one format. */
  mixed: boolean;
  /** TCP framing, decided from the first message; null for UDP. */
  framing: SyslogFraming | null;
  /** Messages (UDP: datagrams; TCP: frames, a cut last one included). */
  messages: number;
  /** Messages longer than SYSLOG_USERID_MAX_BYTES (by wire length on UDP, by the octet count when cut). */
  oversize: number;
  /** TCP: 1 when the last message is cut at the end of the captured prefix. */
  partial: number;
  /** Of the first message with a PRI. */
  facility: number | null;
  severity: number | null;
  facilityName: string | null;
  severityName: string | null;
  /** HOSTNAME of the first message with a PRI, escaped, capped; null when absent or "-". */
  hostname: string | null;
  /** RFC 5424 APP-NAME or the RFC 3164 TAG (without "[pid]:"), escaped, capped. */
  appName: string | null;
  /**
   * UDP datagrams without a PRI that follow a datagram with one (or another such datagram)
   * from the same side: the rest of a message the sender split across datagrams.
   */
  split: number;
  /** Messages that do not start with a PRI (split ones included). */
  noPri: number;
  /** TCP octet counting: a frame header that is not "LEN SP" (parsing stops there). */
  badFrames: number;
}

/**
 * The longest message the User-ID syslog listener parses: "The maximum size for individual
 * messages is 8,000 bytes" (PAN-OS 10.x admin guide, User-ID > Syslog; 2,048 up to 9.1).
 */
export const SYSLOG_USERID_MAX_BYTES = 8000;

const MAX_MESSAGES = 100_000;
const MAX_HOSTNAME = 255;
const MAX_APP_NAME = 48;
/** RFC 6587 sets no limit on MSG-LEN; 9 digits (up to ~1 GB) is more than any receiver takes. */
const MAX_LEN_DIGITS = 9;

export const SYSLOG_FACILITIES: readonly string[] = [
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp', 'ntp', 'audit', 'alert', 'clock',
  'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
];
export const SYSLOG_SEVERITIES: readonly string[] = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

/** The PRI value (0-191) of "<PRI>" at `at`, and where it ends; null when there is none. */
function priAt(b: Uint8Array, at: number, end: number): { pri: number; next: number } | null {
  if (at >= end || b[at] !== 0x3c) return null;
  let v = 0;
  let i = at + 1;
  while (i < end && i <= at + 3 && isDigit(b[i])) v = v * 10 + b[i++] - 0x30;
  if (i === at + 1 || i >= end || b[i] !== 0x3e || v > 191) return null;
  return { pri: v, next: i + 1 };
}

/**
 * Content detection: "<PRI>" (0-191) followed by a printable character (the RFC 5424
 * version, a BSD timestamp or host, or text), or RFC 6587 octet counting ("LEN SP <PRI>").
 */
export function looksLikeSyslog(first: Uint8Array): boolean {
  let at = 0;
  if (first.length > 0 && first[0] >= 0x31 && first[0] <= 0x39) {
    while (at < first.length && at < MAX_LEN_DIGITS && isDigit(first[at])) at++;
    if (first[at] !== 0x20) return false;
    at++;
  }
  const p = priAt(first, at, first.length);
  return p !== null && p.next < first.length && first[p.next] >= 0x20 && first[p.next] <= 0x7e;
}

interface Header {
  pri: number;
  format: SyslogFormat;
  hostname: string | null;
  appName: string | null;
}

/** The header of the message in [start, end): PRI, format and the names; null without a PRI. */
function parseHeader(b: Uint8Array, start: number, end: number): Header | null {
  const p = priAt(b, start, end);
  if (p === null) return null;
  const h: Header = { pri: p.pri, format: 'unknown', hostname: null, appName: null };
  let q = p.next;
  // RFC 5424: VERSION (1-3 digits, no leading zero) SP TIMESTAMP ("-" or a full date)
  let v = q;
  while (v < end && v < q + 3 && isDigit(b[v])) v++;
  if (v > q && b[q] !== 0x30 && b[v] === 0x20 && v + 1 < end && (b[v + 1] === 0x2d || isoDateAt(b, v + 1, end))) {
    h.format = 'rfc5424';
    const ts = token(b, v + 1, end);
    const host = token(b, ts.next, end);
    const app = token(b, host.next, end);
    h.hostname = nilOr(b, host, MAX_HOSTNAME);
    h.appName = nilOr(b, app, MAX_APP_NAME);
    return h;
  }
  // BSD: "Mmm dd hh:mm:ss " (dd space-padded); rsyslog's forwarding format puts an RFC 3339
  // timestamp there instead, still without a version: BSD too
  let afterTs = -1;
  if (bsdTimestampAt(b, q, end)) afterTs = q + 16;
  else if (isoDateAt(b, q, end)) afterTs = token(b, q, end).next;
  if (afterTs < 0) return h;
  h.format = 'rfc3164';
  q = afterTs;
  const first = token(b, q, end);
  if (first.end === first.start) return h;
  // with no HOSTNAME the first word is already the TAG ("prog[12]:" or "prog:")
  const firstIsTag = tagEnd(b, first.start, first.end) >= 0;
  const tag = firstIsTag ? first : token(b, first.next, end);
  if (!firstIsTag) h.hostname = escapeAscii(b, first.start, first.end, MAX_HOSTNAME);
  const te = tagEnd(b, tag.start, tag.end);
  if (te > tag.start) h.appName = escapeAscii(b, tag.start, te, MAX_APP_NAME);
  return h;
}

/** Where a TAG ends ("[" or ":" ending the word), or -1 when the word is not a TAG. */
function tagEnd(b: Uint8Array, start: number, end: number): number {
  if (end <= start) return -1;
  for (let i = start; i < end; i++) if (b[i] === 0x5b) return i;
  return b[end - 1] === 0x3a ? end - 1 : -1;
}

/** The word at `at` up to a space (at most 256 bytes), and where the next word starts. */
function token(b: Uint8Array, at: number, end: number): { start: number; end: number; next: number } {
  let i = at;
  const stop = Math.min(end, at + 256);
  while (i < stop && b[i] !== 0x20) i++;
  return { start: at, end: i, next: i < end ? i + 1 : i };
}

function nilOr(b: Uint8Array, t: { start: number; end: number }, max: number): string | null {
  if (t.end === t.start || (t.end === t.start + 1 && b[t.start] === 0x2d)) return null;
  return escapeAscii(b, t.start, t.end, max);
}

/** "YYYY-MM-DDT" at `at`. */
function isoDateAt(b: Uint8Array, at: number, end: number): boolean {
  if (at + 11 > end) return false;
  for (const i of [0, 1, 2, 3, 5, 6, 8, 9]) if (!isDigit(b[at + i])) return false;
  return b[at + 4] === 0x2d && b[at + 7] === 0x2d && b[at + 10] === 0x54;
}

/** "Mmm dd hh:mm:ss " at `at` (RFC 3164 §4.1.2; the day is space-padded). */
function bsdTimestampAt(b: Uint8Array, at: number, end: number): boolean {
  if (at + 16 > end) return false;
  const mon = String.fromCharCode(b[at], b[at + 1], b[at + 2]);
  if (!MONTHS.includes(mon) || b[at + 3] !== 0x20) return false;
  if (!(b[at + 4] === 0x20 || isDigit(b[at + 4])) || !isDigit(b[at + 5]) || b[at + 6] !== 0x20) return false;
  for (const i of [7, 8, 10, 11, 13, 14]) if (!isDigit(b[at + i])) return false;
  return b[at + 9] === 0x3a && b[at + 12] === 0x3a && b[at + 15] === 0x20;
}

/** Accumulates messages into facts. */
class Collector {
  readonly f: SyslogFacts;
  private firstFormat: SyslogFormat | null = null;

  constructor(framing: SyslogFraming | null) {
    this.f = {
      format: 'unknown',
      mixed: false,
      framing,
      messages: 0,
      oversize: 0,
      partial: 0,
      facility: null,
      severity: null,
      facilityName: null,
      severityName: null,
      hostname: null,
      appName: null,
      split: 0,
      noPri: 0,
      badFrames: 0,
    };
  }

  /** One message in [start, end) of `b`, `length` bytes long in full; true when it had a PRI. */
  add(b: Uint8Array, start: number, end: number, length: number): boolean {
    const f = this.f;
    f.messages++;
    if (length > SYSLOG_USERID_MAX_BYTES) f.oversize++;
    const h = parseHeader(b, start, end);
    if (h === null) {
      f.noPri++;
      return false;
    }
    if (this.firstFormat === null) {
      this.firstFormat = h.format;
      f.format = h.format;
      f.facility = h.pri >> 3;
      f.severity = h.pri & 7;
      f.facilityName = SYSLOG_FACILITIES[f.facility];
      f.severityName = SYSLOG_SEVERITIES[f.severity];
      f.hostname = h.hostname;
      f.appName = h.appName;
    } else if (h.format !== this.firstFormat) {
      f.mixed = true;
    }
    return true;
  }
}

/** Syslog over UDP: one message per datagram; null when there are none. */
export function inspectSyslogMessages(msgs: readonly AppMessage[]): SyslogFacts | null {
  if (msgs.length === 0) return null;
  const c = new Collector(null);
  // per side: whether the previous datagram began a message a PRI-less one could continue
  const open = { client: false, server: false };
  const n = Math.min(msgs.length, MAX_MESSAGES);
  for (let i = 0; i < n; i++) {
    const m = msgs[i];
    const b = m.bytes;
    const wire = Number.isFinite(m.wireLength) ? Math.max(m.wireLength, b.length) : b.length;
    const side = m.from === 'server' ? 'server' : 'client';
    if (c.add(b, 0, b.length, wire)) {
      open[side] = true;
    } else if (open[side]) {
      c.f.split++;
    }
  }
  return c.f;
}

/** Syslog over TCP (RFC 6587) in the client's captured prefix; null when it is empty. */
export function inspectSyslogStream(payload: FlowPayload): SyslogFacts | null {
  const b = payload.client.bytes;
  if (b.length === 0) return null;
  const octets = b[0] >= 0x31 && b[0] <= 0x39;
  const c = new Collector(octets ? 'octet-counted' : 'lf');
  if (octets) octetCounted(b, c);
  else trailerFramed(b, payload.client.truncated, c);
  return c.f;
}

/** "MSG-LEN SP SYSLOG-MSG" frames; stops at a bad header. A stray LF between frames is skipped. */
function octetCounted(b: Uint8Array, c: Collector): void {
  let p = 0;
  while (p < b.length && c.f.messages < MAX_MESSAGES) {
    if (b[p] === 0x0a || b[p] === 0x0d || b[p] === 0x00) {
      p++;
      continue;
    }
    let q = p;
    let len = 0;
    while (q < b.length && q < p + MAX_LEN_DIGITS && isDigit(b[q])) len = len * 10 + b[q++] - 0x30;
    if (q === b.length) {
      // the header itself is cut
      c.f.messages++;
      c.f.partial = 1;
      return;
    }
    if (q === p || b[p] === 0x30 || b[q] !== 0x20) {
      c.f.badFrames++;
      return;
    }
    const start = q + 1;
    if (start + len > b.length) {
      c.add(b, start, b.length, len);
      c.f.partial = 1;
      return;
    }
    c.add(b, start, start + len, len);
    p = start + len;
  }
}

/** Messages ended by LF (or NUL, RFC 6587 §3.4.2); a trailing CR is not part of a message. */
function trailerFramed(b: Uint8Array, truncated: boolean, c: Collector): void {
  let p = 0;
  while (p < b.length && c.f.messages < MAX_MESSAGES) {
    let e = p;
    while (e < b.length && b[e] !== 0x0a && b[e] !== 0x00) e++;
    if (e === b.length) {
      // no trailer: cut by the prefix, or the sender closed after an unterminated message
      c.add(b, p, e, e - p);
      if (truncated) c.f.partial = 1;
      return;
    }
    const end = e > p && b[e - 1] === 0x0d ? e - 1 : e;
    if (end > p) c.add(b, p, end, end - p);
    p = e + 1;
  }
}
