// RADIUS (RFC 2865/2866/5997) on hand-built datagrams.
import { describe, expect, it } from 'vitest';
import type { AppMessage } from '../../src/inspect/datagram.js';
import { inspectRadius, looksLikeRadius, radiusCodeName } from '../../src/inspect/radius.js';
import { ascii, cat } from './tls-build.js';

type Attr = [number, Uint8Array | string];

function radius(code: number, id: number, attrs: Attr[] = [], auth: Uint8Array = new Uint8Array(16).fill(id)): Uint8Array {
  const body = cat(...attrs.map(([t, v]) => {
    const value = typeof v === 'string' ? ascii(v) : v;
    return cat(Uint8Array.of(t, value.length + 2), value);
  }));
  const len = 20 + body.length;
  return cat(Uint8Array.of(code, id, len >> 8, len & 255), auth, body);
}

const msg = (from: 'client' | 'server', bytes: Uint8Array, wireLength = bytes.length, timeMs = 0): AppMessage => ({ from, bytes, wireLength, timeMs });

const PASSWORD = Uint8Array.from([0x5e, 0x1c, 0x7f, 0x99, 0x20, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd]);
const AUTH = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
const request = (id: number, user = 'alice', auth = AUTH) =>
  radius(1, id, [[1, user], [2, PASSWORD], [4, Uint8Array.of(192, 0, 2, 1)], [80, new Uint8Array(16).fill(0xee)]], auth);

const BASE = {
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

describe('inspectRadius', () => {
  it('matches an Access-Accept to its request and keeps only User-Name', () => {
    const f = inspectRadius([msg('client', request(7)), msg('server', radius(2, 7, [[18, 'Welcome']]))]);
    expect(f).toEqual({ ...BASE, code: 'Access-Accept', requests: 1, responses: 1, accepts: 1, userName: 'alice' });
    const json = JSON.stringify(f);
    expect(json).not.toMatch(/5e1c|a0a1|eeee|Welcome/);
  });

  it('reports an Access-Reject with its Reply-Messages in order', () => {
    const f = inspectRadius([msg('client', request(9)), msg('server', radius(3, 9, [[18, 'Authentication failed'], [80, new Uint8Array(16)], [18, 'try again\r\n']]))]);
    expect(f).toEqual({ ...BASE, code: 'Access-Reject', requests: 1, responses: 1, rejects: 1, userName: 'alice', replyMessage: 'Authentication failed try again\\x0d\\x0a' });
  });

  it('counts a retransmission (same identifier and authenticator) once, and unanswered requests', () => {
    const other = new Uint8Array(16).fill(0x42);
    const f = inspectRadius([msg('client', request(1)), msg('client', request(1)), msg('client', request(1)), msg('client', request(1, 'alice', other)), msg('client', request(2))]);
    expect(f).toEqual({ ...BASE, requests: 3, unanswered: 3, userName: 'alice' });
  });

  it('follows a challenge to the final answer; the code is the last answer', () => {
    const f = inspectRadius([
      msg('client', request(3)),
      msg('server', radius(11, 3, [[24, 'state'], [18, 'Enter OTP']])),
      msg('client', request(4, 'alice', new Uint8Array(16).fill(4))),
      msg('server', radius(2, 4)),
      msg('client', request(5, 'alice', new Uint8Array(16).fill(5))),
    ]);
    expect(f).toEqual({ ...BASE, code: 'Access-Accept', requests: 3, responses: 2, unanswered: 1, accepts: 1, challenges: 1, userName: 'alice' });
  });

  it('an Access-Reject with no Reply-Message leaves it null; a later accept keeps the earlier message', () => {
    expect(inspectRadius([msg('client', request(1)), msg('server', radius(3, 1))])).toMatchObject({ code: 'Access-Reject', replyMessage: null });
    const f = inspectRadius([msg('client', request(1)), msg('server', radius(3, 1, [[18, 'no']])), msg('client', request(2, 'bob', new Uint8Array(16))), msg('server', radius(2, 2))]);
    expect(f).toMatchObject({ code: 'Access-Accept', rejects: 1, accepts: 1, replyMessage: 'no', userName: 'alice' });
  });

  it('does not take the Access-Accept of a Status-Server for an authentication', () => {
    const f = inspectRadius([msg('client', radius(12, 200, [[80, new Uint8Array(16)]])), msg('server', radius(2, 200))]);
    expect(f).toEqual({ ...BASE, statusServer: 1 });
  });

  it('counts accounting packets apart', () => {
    const acct = radius(4, 10, [[40, Uint8Array.of(0, 0, 0, 1)], [1, 'bob']]);
    const f = inspectRadius([msg('client', acct), msg('client', acct), msg('server', radius(5, 10)), msg('client', radius(4, 11, [], new Uint8Array(16).fill(1)))]);
    expect(f).toEqual({ ...BASE, accounting: { requests: 2, responses: 1 } });
  });

  it('reads a datagram cut by the snaplen within what was captured', () => {
    const full = request(6, 'a-very-long-user-name-that-is-cut');
    const f = inspectRadius([msg('client', full.subarray(0, 30), full.length)]);
    // the User-Name attribute runs past the captured bytes: not read
    expect(f).toEqual({ ...BASE, requests: 1, unanswered: 1 });
    expect(inspectRadius([msg('client', full.subarray(0, 10), full.length)])).toEqual({ ...BASE, requests: 1, unanswered: 1 });
  });

  it('counts packets whose length field is out of bounds as malformed', () => {
    const long = request(1);
    long[2] = 0x13; // 4864 > 4096
    const past = request(2);
    past[3] += 1; // one more than the datagram
    const short = radius(2, 3);
    short[3] = 19;
    expect(inspectRadius([msg('client', long), msg('client', past), msg('server', short)])).toEqual({ ...BASE, malformed: 3 });
  });

  it('stops at a malformed attribute and caps and escapes the User-Name', () => {
    const bad = radius(1, 1, [[1, 'x']]);
    bad[21] = 0; // attribute length 0
    expect(inspectRadius([msg('client', bad)])?.userName).toBeNull();
    const name = '\x1bname\\' + 'u'.repeat(100);
    expect(inspectRadius([msg('client', radius(1, 1, [[1, name]]))])?.userName).toBe('\\x1bname\\x5c' + 'u'.repeat(58) + '...');
  });

  it('is null when no datagram is RADIUS', () => {
    expect(inspectRadius([])).toBeNull();
    expect(inspectRadius([msg('client', Uint8Array.of(0, 1, 0, 20)), msg('client', Uint8Array.of(1, 2))])).toBeNull();
  });
});

describe('looksLikeRadius', () => {
  it('takes a consistent packet of a known code', () => {
    expect(looksLikeRadius(request(1))).toBe(true);
    expect(looksLikeRadius(radius(40, 1))).toBe(true);
    expect(looksLikeRadius(cat(radius(2, 1), new Uint8Array(4)))).toBe(true); // padding after the length
  });

  it('refuses unknown codes and inconsistent lengths', () => {
    expect(looksLikeRadius(radius(6, 1))).toBe(false);
    expect(looksLikeRadius(request(1).subarray(0, 30))).toBe(false);
    const bad = request(1);
    bad[21] = 200; // attribute past the packet
    expect(looksLikeRadius(bad)).toBe(false);
    const short = radius(2, 1);
    short[3] = 19;
    expect(looksLikeRadius(short)).toBe(false);
    expect(looksLikeRadius(Uint8Array.of(1, 2, 0))).toBe(false);
  });

  it('names codes', () => {
    expect(radiusCodeName(3)).toBe('Access-Reject');
    expect(radiusCodeName(45)).toBe('CoA-NAK');
    expect(radiusCodeName(99)).toBeNull();
  });
});
