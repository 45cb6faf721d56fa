// NTP (RFC 5905; control mode 6 of RFC 9327, private mode 7 of ntpd): the header of each
// packet, the server's synchronisation state (leap indicator, stratum, kiss-o'-death codes)
// and an offset estimate from a request and its reply. Control and private packets are
// counted and named, never parsed further.
import type { AppMessage } from './datagram.js';
import { escapeAscii, hexBytes } from './text.js';

export type NtpMode = 'reserved' | 'symmetric-active' | 'symmetric-passive' | 'client' | 'server' | 'broadcast' | 'control' | 'private';

export interface NtpFacts {
  /** The mode of the last server reply (or broadcast) when one was seen, else of the client's first packet. */
  mode: NtpMode;
  /** Of the same packet, as on the wire. */
  version: number;
  stratum: number;
  /** Leap indicator 0-3 (3: the clock is not synchronised); 0 for control/private packets. */
  leap: number;
  /**
   * Reference id. Stratum 0, 1 and 16: its ASCII (a kiss code, a source like "GPS" or
   * ntpd's "INIT"), trailing NULs dropped, other bytes escaped; stratum 2-15 and 17+: the
   * dotted quad (an IPv4 address, or the first 4 bytes of an IPv6 address's MD5).
   */
  refId: string;
  /** The kiss code of the reported packet: stratum 0 and a refid of 4 printable ASCII characters. */
  kissCode: string | null;
  /**
   * Clock offset of the server against the capture clock in ms, from the last request and
   * reply pair seen: ((T2 - T1) + (T3 - T4)) / 2 with T1 and T4 the capture times (some
   * clients randomise their own timestamps) and T2, T3 the server's receive and transmit
   * timestamps. Null when no pair was seen.
   */
  offsetMs: number | null;
  /** Client (mode 3), symmetric-active and control/private request packets. */
  requests: number;
  /** Server (mode 4), symmetric-passive and control/private response packets. */
  responses: number;
  /** Requests no response was matched to. */
  unanswered: number;
  /** Of the reported packet (NTP short format), ms; null for control/private packets. */
  rootDelayMs: number | null;
  rootDispersionMs: number | null;
  /** The last server reply had leap 3, stratum 16, or stratum 0 without a kiss code. */
  unsynchronized: boolean;
  /** The kiss code of the last kiss-o'-death reply of the flow (DENY, RSTR, RATE, ...), even if later replies were normal. */
  kiss: string | null;
  /** Datagrams of an NTP version and mode that are too short for their header. */
  malformed: number;
}

const MODES: readonly NtpMode[] = ['reserved', 'symmetric-active', 'symmetric-passive', 'client', 'server', 'broadcast', 'control', 'private'];
const HEADER = 48;
const MAX_MESSAGES = 4096;
/** Requests waiting for a reply: a client sends few before giving up; older ones are dropped. */
const MAX_PENDING = 64;
/** Seconds from 1900-01-01 (NTP era 0) to 1970-01-01. */
const NTP_UNIX_DELTA_S = 2_208_988_800;
const ERA_MS = 2 ** 32 * 1000;

/** The name of an NTP mode (0-7). */
export function ntpModeName(mode: number): NtpMode {
  return MODES[mode & 7];
}

/** Content detection: at least a 48-byte header, version 1-4 and mode 1-5, a stratum of at most 16. */
export function looksLikeNtp(first: Uint8Array): boolean {
  if (first.length < HEADER) return false;
  const version = (first[0] >> 3) & 7;
  const mode = first[0] & 7;
  return version >= 1 && version <= 4 && mode >= 1 && mode <= 5 && first[1] <= 16;
}

interface Packet {
  mode: number;
  version: number;
  leap: number;
  /** Null for control and private packets. */
  head: Uint8Array | null;
  timeMs: number;
}

interface Request {
  /** Transmit timestamp as sent (raw 8 bytes as hex), echoed by the server as origin. */
  xmt: string | null;
  control: boolean;
  timeMs: number;
  answered: boolean;
}

/** What the NTP packets of a UDP flow show; null when none is NTP. */
export function inspectNtp(msgs: readonly AppMessage[]): NtpFacts | null {
  let requests = 0;
  let responses = 0;
  let malformed = 0;
  let reply: Packet | null = null;
  let firstClient: Packet | null = null;
  let firstAny: Packet | null = null;
  let kiss: string | null = null;
  let offsetMs: number | null = null;
  const pending: Request[] = [];
  const n = Math.min(msgs.length, MAX_MESSAGES);
  for (let i = 0; i < n; i++) {
    const b = msgs[i].bytes;
    if (b.length < 1) continue;
    const version = (b[0] >> 3) & 7;
    const mode = b[0] & 7;
    if (version < 1 || version > 4 || mode === 0) continue;
    const control = mode === 6 || mode === 7;
    // control needs its 12-byte header (mode 6) or 4 bytes (mode 7) to say request or response
    if (control ? b.length < (mode === 6 ? 12 : 4) : b.length < HEADER) {
      malformed++;
      continue;
    }
    const p: Packet = { mode, version, leap: control ? 0 : b[0] >> 6, head: control ? null : b.subarray(0, HEADER), timeMs: msgs[i].timeMs };
    firstAny ??= p;
    // mode 6: the R bit is the top bit of byte 1; mode 7: the top bit of byte 0
    const isResponse = control ? (mode === 6 ? b[1] & 0x80 : b[0] & 0x80) !== 0 : mode === 4 || mode === 2;
    const isRequest = control ? !isResponse : mode === 3 || mode === 1;
    if (isRequest) {
      requests++;
      if (!control) firstClient ??= p;
      if (pending.length >= MAX_PENDING) pending.shift();
      pending.push({ xmt: control ? null : hexBytes(b, 40, 48), control, timeMs: p.timeMs, answered: false });
    } else if (isResponse || mode === 5) {
      if (isResponse) responses++;
      if (!control || reply === null || reply.head === null) reply = p;
      if (!control) {
        const code = kissCodeOf(b);
        if (code !== null) kiss = code;
      }
      if (isResponse) {
        const req = matchRequest(pending, control ? null : hexBytes(b, 24, 32), control);
        if (req !== null && !control) {
          const o = offset(req.timeMs, b, p.timeMs);
          if (o !== null && kissCodeOf(b) === null) offsetMs = o;
        }
      }
    }
  }
  const shown = reply ?? firstClient ?? firstAny;
  if (shown === null) return null;
  let unanswered = 0;
  for (const r of pending) if (!r.answered) unanswered++;
  const facts: NtpFacts = {
    mode: MODES[shown.mode],
    version: shown.version,
    stratum: 0,
    leap: shown.leap,
    refId: '',
    kissCode: null,
    offsetMs,
    requests,
    responses,
    unanswered,
    rootDelayMs: null,
    rootDispersionMs: null,
    unsynchronized: false,
    kiss,
    malformed,
  };
  const h = shown.head;
  if (h !== null) {
    facts.stratum = h[1];
    facts.refId = refIdText(h);
    facts.kissCode = kissCodeOf(h);
    facts.rootDelayMs = shortFormatMs(h, 4);
    facts.rootDispersionMs = shortFormatMs(h, 8);
    // A kiss-o'-death always carries leap 3 and stratum 0 (RFC 5905 7.4): it says why the
    // server would not serve, not that its clock is unsynchronised.
    if (shown === reply) facts.unsynchronized = facts.kissCode === null && (shown.leap === 3 || h[1] === 16 || h[1] === 0);
  }
  return facts;
}

/**
 * The request a reply answers: the one whose transmit timestamp the reply echoes as its
 * origin timestamp, else the latest unanswered one of the same kind. Marks it answered.
 */
function matchRequest(pending: Request[], origin: string | null, control: boolean): Request | null {
  if (origin !== null) {
    for (let i = pending.length - 1; i >= 0; i--) {
      const r = pending[i];
      if (!r.control && r.xmt === origin) {
        r.answered = true;
        return r;
      }
    }
  }
  for (let i = pending.length - 1; i >= 0; i--) {
    const r = pending[i];
    if (r.control === control && !r.answered) {
      r.answered = true;
      return r;
    }
  }
  return null;
}

/** Stratum 0 and a refid of 4 printable ASCII characters (RFC 5905 §7.4). */
function kissCodeOf(h: Uint8Array): string | null {
  if (h[1] !== 0) return null;
  for (let i = 12; i < 16; i++) if (h[i] < 0x21 || h[i] > 0x7e) return null;
  return String.fromCharCode(h[12], h[13], h[14], h[15]);
}

function refIdText(h: Uint8Array): string {
  const stratum = h[1];
  if (stratum === 0 || stratum === 1 || stratum === 16) {
    let end = 16;
    while (end > 12 && h[end - 1] === 0) end--;
    return escapeAscii(h, 12, end, 4);
  }
  return `${h[12]}.${h[13]}.${h[14]}.${h[15]}`;
}

/** An NTP short format (16.16 unsigned seconds) field in ms, to the microsecond. */
function shortFormatMs(h: Uint8Array, at: number): number {
  const v = ((h[at] << 24) | (h[at + 1] << 16) | (h[at + 2] << 8) | h[at + 3]) >>> 0;
  return Math.round((v / 65536) * 1e6) / 1e3;
}

/**
 * The NTP timestamp (64-bit, seconds since 1900 and a 2^-32 fraction) at `at` in Unix ms,
 * in the era that puts it nearest `nearMs` (NTP timestamps wrap every 2^32 s, in 2036).
 * Null for the zero timestamp, which means "not set".
 */
function timestampMs(b: Uint8Array, at: number, nearMs: number): number | null {
  const sec = ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
  const frac = ((b[at + 4] << 24) | (b[at + 5] << 16) | (b[at + 6] << 8) | b[at + 7]) >>> 0;
  if (sec === 0 && frac === 0) return null;
  let ms = (sec - NTP_UNIX_DELTA_S) * 1000 + (frac / 2 ** 32) * 1000;
  const eras = Math.round((nearMs - ms) / ERA_MS);
  ms += eras * ERA_MS;
  return ms;
}

/** The offset estimate in ms, to the microsecond, or null when a time is missing. */
function offset(t1: number, reply: Uint8Array, t4: number): number | null {
  if (!Number.isFinite(t1) || !Number.isFinite(t4) || Math.abs(t1) > 1e15 || Math.abs(t4) > 1e15) return null;
  const t2 = timestampMs(reply, 32, t1);
  const t3 = timestampMs(reply, 40, t4);
  if (t2 === null || t3 === null) return null;
  return Math.round(((t2 - t1 + (t3 - t4)) / 2) * 1000) / 1000;
}
