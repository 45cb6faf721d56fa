// RADIUS (RFC 2865 authentication, RFC 2866 accounting, RFC 5176 dynamic authorization,
// RFC 5997 Status-Server): the code and identifier of each packet, Access-Requests matched
// to their answers by identifier. Of the attributes only User-Name and Reply-Message are
// read: every other value (User-Password, CHAP-Password, Message-Authenticator, vendor
// attributes) is skipped unread, and authenticators never leave this module.
import type { AppMessage } from './datagram.js';
import { escapeAscii, hexBytes } from './text.js';

export type RadiusResponseCode = 'Access-Accept' | 'Access-Reject' | 'Access-Challenge';

export interface RadiusFacts {
  /** Code of the last Access-Accept/Reject/Challenge seen (the answer to an Access-Request); null when none. */
  code: RadiusResponseCode | null;
  /**
   * Access-Requests. A retransmission (same identifier and same Request Authenticator, RFC
   * 2865 §2.5) counts once.
   */
  requests: number;
  /** Access-Accept, Access-Reject and Access-Challenge packets (a resent answer counts again). */
  responses: number;
  /** Access-Requests whose identifier never got an answer. */
  unanswered: number;
  accepts: number;
  rejects: number;
  challenges: number;
  /** The first User-Name of an Access-Request, escaped, at most 64 bytes shown. */
  userName: string | null;
  /** Reply-Message(s) of the last Access-Reject that carried any, escaped, capped. */
  replyMessage: string | null;
  /** Accounting-Request (retransmissions once) and Accounting-Response packets. */
  accounting: { requests: number; responses: number };
  /** Status-Server probes (RFC 5997), whose Access-Accept answers are not counted above. */
  statusServer: number;
  /** Packets with a known code whose length field is below 20, above 4096 or past the datagram. */
  malformed: number;
}

const HEADER = 20;
/** RFC 2865 §3: the maximum length of a packet. */
const MAX_LENGTH = 4096;
const MAX_USER_NAME = 64;
const MAX_REPLY = 256;
/** Datagrams looked at: the session keeps fewer; this bounds the work on any input. */
const MAX_MESSAGES = 4096;

const CODE_NAMES: Readonly<Record<number, string>> = {
  1: 'Access-Request',
  2: 'Access-Accept',
  3: 'Access-Reject',
  4: 'Accounting-Request',
  5: 'Accounting-Response',
  11: 'Access-Challenge',
  12: 'Status-Server',
  13: 'Status-Client',
  40: 'Disconnect-Request',
  41: 'Disconnect-ACK',
  42: 'Disconnect-NAK',
  43: 'CoA-Request',
  44: 'CoA-ACK',
  45: 'CoA-NAK',
};

const ATTR_USER_NAME = 1;
const ATTR_REPLY_MESSAGE = 18;

/** The name of a RADIUS code ("Access-Reject"), or null for an unassigned one. */
export function radiusCodeName(code: number): string | null {
  return CODE_NAMES[code] ?? null;
}

/**
 * Content detection: a known code, a length field of 20-4096 that the datagram holds (RFC
 * 2865 §3: octets past it are padding), and attributes that tile the packet exactly.
 */
export function looksLikeRadius(first: Uint8Array): boolean {
  if (first.length < HEADER || CODE_NAMES[first[0]] === undefined) return false;
  const length = (first[2] << 8) | first[3];
  if (length < HEADER || length > MAX_LENGTH || length > first.length) return false;
  let p = HEADER;
  while (p < length) {
    if (p + 2 > length) return false;
    const alen = first[p + 1];
    if (alen < 2 || p + alen > length) return false;
    p += alen;
  }
  return true;
}

interface Pending {
  /** The Request Authenticator as hex: only to recognise retransmissions, never output. */
  auth: string;
  kind: 'access' | 'status';
  answered: boolean;
}

/** What RADIUS packets of a UDP flow show; null when none of its datagrams is RADIUS. */
export function inspectRadius(msgs: readonly AppMessage[]): RadiusFacts | null {
  const f: RadiusFacts = {
    code: null,
    requests: 0,
    responses: 0,
    unanswered: 0,
    accepts: 0,
    rejects: 0,
    challenges: 0,
    userName: null,
    replyMessage: null,
    accounting: { requests: 0, responses: 0 },
    statusServer: 0,
    malformed: 0,
  };
  let seen = 0;
  // per identifier: the latest Access-Request or Status-Server, to match answers and
  // recognise retransmissions (256 identifiers: bounded)
  const pending = new Map<number, Pending>();
  const accountingAuth = new Map<number, string>();
  const n = Math.min(msgs.length, MAX_MESSAGES);
  for (let i = 0; i < n; i++) {
    const b = msgs[i].bytes;
    if (b.length < 4 || CODE_NAMES[b[0]] === undefined) continue;
    seen++;
    const code = b[0];
    const id = b[1];
    const declared = (b[2] << 8) | b[3];
    const wire = Number.isFinite(msgs[i].wireLength) ? msgs[i].wireLength : b.length;
    if (declared < HEADER || declared > MAX_LENGTH || declared > Math.max(wire, b.length)) {
      f.malformed++;
      continue;
    }
    // attributes are read only within both the length field and the captured bytes
    const end = Math.min(declared, b.length);
    const auth = b.length >= HEADER ? hexBytes(b, 4, HEADER) : '';
    if (code === 1 || code === 12) {
      const prev = pending.get(id);
      if (prev !== undefined && prev.auth === auth && auth !== '') continue; // retransmission
      if (prev !== undefined && !prev.answered && prev.kind === 'access') f.unanswered++;
      pending.set(id, { auth, kind: code === 1 ? 'access' : 'status', answered: false });
      if (code === 12) {
        f.statusServer++;
        continue;
      }
      f.requests++;
      if (f.userName === null) {
        const at = findAttribute(b, end, ATTR_USER_NAME);
        if (at >= 0) f.userName = escapeAscii(b, at + 2, at + b[at + 1], MAX_USER_NAME);
      }
    } else if (code === 2 || code === 3 || code === 11) {
      const req = pending.get(id);
      if (req !== undefined) req.answered = true;
      // an Access-Accept to a Status-Server is a liveness answer, not an authentication
      if (req !== undefined && req.kind === 'status') continue;
      f.responses++;
      if (code === 2) {
        f.accepts++;
        f.code = 'Access-Accept';
      } else if (code === 3) {
        f.rejects++;
        f.code = 'Access-Reject';
        const reply = replyMessages(b, end);
        if (reply !== null) f.replyMessage = reply;
      } else {
        f.challenges++;
        f.code = 'Access-Challenge';
      }
    } else if (code === 4) {
      if (accountingAuth.get(id) === auth && auth !== '') continue;
      accountingAuth.set(id, auth);
      f.accounting.requests++;
    } else if (code === 5) {
      f.accounting.responses++;
    }
  }
  if (seen === 0) return null;
  for (const p of pending.values()) if (!p.answered && p.kind === 'access') f.unanswered++;
  return f;
}

/** Offset of the first attribute of `type` in [20, end), or -1; stops at a malformed one. */
function findAttribute(b: Uint8Array, end: number, type: number, from = HEADER): number {
  let p = from;
  while (p + 2 <= end) {
    const alen = b[p + 1];
    if (alen < 2 || p + alen > end) return -1;
    if (b[p] === type) return p;
    p += alen;
  }
  return -1;
}

/** Every Reply-Message of a packet in order (RFC 2865 §5.18), escaped, joined by a space, capped. */
function replyMessages(b: Uint8Array, end: number): string | null {
  const parts: string[] = [];
  let total = 0;
  for (let at = findAttribute(b, end, ATTR_REPLY_MESSAGE); at >= 0 && total < MAX_REPLY; ) {
    const text = escapeAscii(b, at + 2, at + b[at + 1], MAX_REPLY - total);
    parts.push(text);
    total += text.length + 1;
    at = findAttribute(b, end, ATTR_REPLY_MESSAGE, at + b[at + 1]);
  }
  return parts.length === 0 ? null : parts.join(' ');
}
