// NTP (RFC 5905) on hand-built packets: modes, synchronisation state, kiss codes, offset.
import { describe, expect, it } from 'vitest';
import type { AppMessage } from '../../src/inspect/datagram.js';
import { inspectNtp, looksLikeNtp, ntpModeName } from '../../src/inspect/ntp.js';
import { ascii } from './tls-build.js';

const NTP_UNIX_DELTA_S = 2_208_988_800;

/** An NTP timestamp for a Unix time in ms (era wrap included), as 8 bytes. */
function ts(ms: number): Uint8Array {
  const out = new Uint8Array(8);
  const secs = Math.floor(ms / 1000);
  const sec = (secs + NTP_UNIX_DELTA_S) % 2 ** 32;
  const frac = Math.round(((ms - secs * 1000) / 1000) * 2 ** 32);
  new DataView(out.buffer).setUint32(0, sec);
  new DataView(out.buffer).setUint32(4, frac);
  return out;
}

interface Ntp {
  li?: number;
  vn?: number;
  mode: number;
  stratum?: number;
  rootDelay?: number;
  rootDisp?: number;
  refId?: Uint8Array | string;
  org?: Uint8Array;
  rec?: Uint8Array;
  xmt?: Uint8Array;
}

function ntp(o: Ntp): Uint8Array {
  const b = new Uint8Array(48);
  const v = new DataView(b.buffer);
  b[0] = ((o.li ?? 0) << 6) | ((o.vn ?? 4) << 3) | o.mode;
  b[1] = o.stratum ?? 0;
  b[2] = 6;
  b[3] = 0xe9;
  v.setUint32(4, o.rootDelay ?? 0);
  v.setUint32(8, o.rootDisp ?? 0);
  b.set(typeof o.refId === 'string' ? ascii(o.refId) : (o.refId ?? new Uint8Array(4)), 12);
  if (o.org) b.set(o.org, 24);
  if (o.rec) b.set(o.rec, 32);
  if (o.xmt) b.set(o.xmt, 40);
  return b;
}

const msg = (from: 'client' | 'server', bytes: Uint8Array, timeMs: number): AppMessage => ({ from, bytes, wireLength: bytes.length, timeMs });

const T1 = Date.UTC(2026, 0, 15, 12, 0, 0, 125);
/** A client that randomises its transmit timestamp (chrony): not the capture time. */
const RANDOM_XMT = Uint8Array.of(0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0);

/** A request at `t1` and the reply of a server `offset` ms ahead, `delay` ms each way. */
function exchange(t1: number, offset: number, delay = 10, xmt = RANDOM_XMT, server: Partial<Ntp> = {}): AppMessage[] {
  const t2 = t1 + delay + offset;
  const t3 = t2 + 1;
  const t4 = t1 + 2 * delay + 1;
  return [
    msg('client', ntp({ mode: 3, xmt }), t1),
    msg('server', ntp({ mode: 4, stratum: 2, refId: Uint8Array.of(192, 0, 2, 1), rootDelay: 0x00018000, rootDisp: 0x00000042, org: xmt, rec: ts(t2), xmt: ts(t3), ...server }), t4),
  ];
}

describe('inspectNtp', () => {
  it('reads a synchronised server and estimates a 250 ms offset', () => {
    expect(inspectNtp(exchange(T1, 250))).toEqual({
      mode: 'server',
      version: 4,
      stratum: 2,
      leap: 0,
      refId: '192.0.2.1',
      kissCode: null,
      offsetMs: 250,
      requests: 1,
      responses: 1,
      unanswered: 0,
      rootDelayMs: 1500,
      rootDispersionMs: 1.007,
      unsynchronized: false,
      kiss: null,
      malformed: 0,
    });
    expect(inspectNtp(exchange(T1, -3.5, 40))?.offsetMs).toBe(-3.5);
  });

  it('estimates the offset across the 2036 era wrap', () => {
    const t = Date.UTC(2036, 1, 7, 6, 28, 15, 900); // era 0 ends at 06:28:16 UTC
    expect(inspectNtp(exchange(t, 250))?.offsetMs).toBe(250);
    expect(inspectNtp(exchange(Date.UTC(2040, 5, 1), 250))?.offsetMs).toBe(250);
  });

  it('matches a reply to its request by the origin timestamp, and uses the last pair', () => {
    const xa = Uint8Array.of(1, 1, 1, 1, 1, 1, 1, 1);
    const xb = Uint8Array.of(2, 2, 2, 2, 2, 2, 2, 2);
    const [reqA, repA] = exchange(T1, 100, 10, xa);
    const [reqB] = exchange(T1 + 500, 0, 10, xb);
    // the reply to A comes after B was sent: matched to A, so the offset is still 100
    repA.timeMs = T1 + 21;
    const f = inspectNtp([reqA, reqB, repA]);
    expect(f).toMatchObject({ offsetMs: 100, requests: 2, responses: 1, unanswered: 1 });
    // a reply echoing nothing known answers the latest unanswered request
    const [req1] = exchange(T1, 0);
    const [, rep2] = exchange(T1, 50, 10, xb);
    rep2.bytes.fill(0, 24, 32);
    expect(inspectNtp([req1, rep2])).toMatchObject({ offsetMs: 50, unanswered: 0 });
  });

  it('leaves the offset null without a pair, and counts unanswered requests', () => {
    const [req] = exchange(T1, 0);
    expect(inspectNtp([req, req, req])).toEqual({
      mode: 'client',
      version: 4,
      stratum: 0,
      leap: 0,
      refId: '',
      kissCode: null,
      offsetMs: null,
      requests: 3,
      responses: 0,
      unanswered: 3,
      rootDelayMs: 0,
      rootDispersionMs: 0,
      unsynchronized: false,
      kiss: null,
      malformed: 0,
    });
  });

  it('calls a server with leap 3 and stratum 16 unsynchronised', () => {
    const f = inspectNtp(exchange(T1, 0, 10, RANDOM_XMT, { li: 3, stratum: 16, refId: 'INIT' }));
    expect(f).toMatchObject({ mode: 'server', leap: 3, stratum: 16, refId: 'INIT', kissCode: null, unsynchronized: true, kiss: null });
    expect(inspectNtp(exchange(T1, 0, 10, RANDOM_XMT, { li: 3, stratum: 3 }))?.unsynchronized).toBe(true);
    expect(inspectNtp(exchange(T1, 0, 10, RANDOM_XMT, { stratum: 16 }))?.unsynchronized).toBe(true);
    // stratum 0 without a kiss code: a refid of NULs
    expect(inspectNtp(exchange(T1, 0, 10, RANDOM_XMT, { stratum: 0, refId: new Uint8Array(4) }))).toMatchObject({ stratum: 0, refId: '', kissCode: null, unsynchronized: true });
    // a client's leap 3 says nothing about the server
    expect(inspectNtp([msg('client', ntp({ mode: 3, li: 3 }), T1)])?.unsynchronized).toBe(false);
  });

  it('reads kiss-o\'-death codes', () => {
    for (const code of ['DENY', 'RSTR', 'RATE']) {
      const f = inspectNtp(exchange(T1, 0, 10, RANDOM_XMT, { stratum: 0, refId: code, rec: new Uint8Array(8), xmt: new Uint8Array(8) }));
      expect(f).toMatchObject({ stratum: 0, refId: code, kissCode: code, kiss: code, unsynchronized: false, offsetMs: null, unanswered: 0 });
      // as sent on the wire: a kiss-o'-death carries leap 3 (RFC 5905 7.4), and is still not "unsynchronised"
      const wire = inspectNtp(exchange(T1, 0, 10, RANDOM_XMT, { li: 3, stratum: 0, refId: code, rec: new Uint8Array(8), xmt: new Uint8Array(8) }));
      expect(wire).toMatchObject({ leap: 3, kissCode: code, unsynchronized: false });
    }
    // a RATE earlier in the flow is kept in `kiss` once the server answers normally again
    const f = inspectNtp([...exchange(T1, 0, 10, RANDOM_XMT, { stratum: 0, refId: 'RATE' }), ...exchange(T1 + 64_000, 20)]);
    expect(f).toMatchObject({ kissCode: null, kiss: 'RATE', offsetMs: 20, stratum: 2, requests: 2, responses: 2 });
  });

  it('shows a stratum-1 source as ASCII and escapes what is not printable', () => {
    expect(inspectNtp(exchange(T1, 0, 10, RANDOM_XMT, { stratum: 1, refId: 'GPS\x00' }))?.refId).toBe('GPS');
    expect(inspectNtp(exchange(T1, 0, 10, RANDOM_XMT, { stratum: 1, refId: Uint8Array.of(0x50, 0x5c, 0x01, 0) }))?.refId).toBe('P\\x5c\\x01');
  });

  it('names control and private packets without parsing them', () => {
    const ctlReq = Uint8Array.of(0x26, 0x02, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0);
    const ctlRes = Uint8Array.of(0x26, 0x82, 0, 1, 0, 0, 0, 0, 0, 0, 0, 5, 0x61, 0x3d, 0x31, 0, 0);
    expect(inspectNtp([msg('client', ctlReq, T1), msg('server', ctlRes, T1 + 1)])).toEqual({
      mode: 'control',
      version: 4,
      stratum: 0,
      leap: 0,
      refId: '',
      kissCode: null,
      offsetMs: null,
      requests: 1,
      responses: 1,
      unanswered: 0,
      rootDelayMs: null,
      rootDispersionMs: null,
      unsynchronized: false,
      kiss: null,
      malformed: 0,
    });
    expect(inspectNtp([msg('client', Uint8Array.of(0x17, 0, 3, 42), T1)])).toMatchObject({ mode: 'private', version: 2, requests: 1, unanswered: 1 });
  });

  it('counts truncated packets as malformed and is null without NTP', () => {
    const [req, rep] = exchange(T1, 0);
    expect(inspectNtp([req, msg('server', rep.bytes.subarray(0, 47), T1 + 5)])).toMatchObject({ mode: 'client', requests: 1, responses: 0, malformed: 1, unanswered: 1 });
    expect(inspectNtp([msg('client', req.bytes.subarray(0, 20), T1)])).toBeNull();
    expect(inspectNtp([msg('client', new Uint8Array(48), T1)])).toBeNull(); // version 0
    expect(inspectNtp([])).toBeNull();
  });

  it('takes nonsense capture times without an offset', () => {
    const pair = exchange(T1, 250);
    pair[0].timeMs = NaN;
    expect(inspectNtp(pair)?.offsetMs).toBeNull();
  });
});

describe('looksLikeNtp', () => {
  it('takes 48-byte headers of version 1-4 and mode 1-5', () => {
    expect(looksLikeNtp(ntp({ mode: 3 }))).toBe(true);
    expect(looksLikeNtp(ntp({ mode: 4, vn: 3, stratum: 16 }))).toBe(true);
    expect(looksLikeNtp(new Uint8Array([...ntp({ mode: 3 }), ...new Uint8Array(20)]))).toBe(true); // with a MAC
  });

  it('refuses the rest', () => {
    expect(looksLikeNtp(ntp({ mode: 3 }).subarray(0, 47))).toBe(false);
    expect(looksLikeNtp(ntp({ mode: 3, vn: 0 }))).toBe(false);
    expect(looksLikeNtp(ntp({ mode: 3, vn: 5 }))).toBe(false);
    expect(looksLikeNtp(ntp({ mode: 0 }))).toBe(false);
    expect(looksLikeNtp(ntp({ mode: 6 }))).toBe(false);
    expect(looksLikeNtp(ntp({ mode: 4, stratum: 17 }))).toBe(false);
  });

  it('names modes', () => {
    expect(ntpModeName(5)).toBe('broadcast');
    expect(ntpModeName(1)).toBe('symmetric-active');
  });
});
