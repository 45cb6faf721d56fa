// The RADIUS, NTP, syslog and DCE/RPC decoders over seeded mutations of valid exchanges:
// bit flips, bytes set, length fields set to extremes (RADIUS length and attribute lengths,
// DCE/RPC frag_length, auth_length, counts, NDR and tower lengths, syslog octet counts),
// truncations, splices, repeated and deleted chunks; datagram lists dropped, repeated,
// reordered, with hostile wire lengths and times. The property: no exception, no hang,
// bounded output. INSPECT_FUZZ_SEED and INSPECT_APPS_FUZZ_COUNT choose the run; a failure
// prints the iteration, which INSPECT_FUZZ_ONLY=<i> replays alone.
import { describe, it } from 'vitest';
import type { AppMessage } from '../../src/inspect/datagram.js';
import { inspectRpcStream, looksLikeDcerpc, looksLikeDcerpcResponse, type RpcFacts } from '../../src/inspect/dcerpc.js';
import { inspectNtp, looksLikeNtp, type NtpFacts } from '../../src/inspect/ntp.js';
import { inspectRadius, looksLikeRadius, type RadiusFacts } from '../../src/inspect/radius.js';
import { inspectSyslogMessages, inspectSyslogStream, looksLikeSyslog, type SyslogFacts } from '../../src/inspect/syslog.js';
import { prefixFromSegments, type FlowPayload } from '../../src/inspect/stream.js';
import { ascii, cat } from './tls-build.js';
import { deleteChunk, eitherSide, flipBits, fuzzInputs, fuzzKnobs, hex, insertJunk, int, mutateBytes as mutateWith, pick, repeatChunk, runFuzz, setByte, setField, splice, truncate, type Field, type Mutator, type Rand } from '../helpers/fuzz.js';

// the seed and single-iteration variables are the TLS fuzz test's; the count is this test's own
const KNOBS = fuzzKnobs({ seed: 'INSPECT_FUZZ_SEED', count: 'INSPECT_APPS_FUZZ_COUNT', only: 'INSPECT_FUZZ_ONLY' }, { seed: 20261126, count: 128_000 });
/** Mutated streams are kept below this (the session's cap is 16 KiB a direction). */
const MAX_STREAM = 24 * 1024;
/** Mutated datagrams stay below the largest UDP payload. */
const MAX_DATAGRAM = 65_507;
const MAX_DATAGRAMS = 64;

// ---- the corpus: valid exchanges of each protocol -------------------------------------

const u16le = (v: number) => Uint8Array.of(v & 255, (v >> 8) & 255);
const u32le = (v: number) => Uint8Array.of(v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255);
const swap = (b: Uint8Array, le: boolean) => (le ? b : b.slice().reverse());
const w16 = (v: number, le: boolean) => swap(u16le(v), le);
const w32 = (v: number, le: boolean) => swap(u32le(v), le);
const zeros = (n: number) => new Uint8Array(n);
const pad4 = (b: Uint8Array, from = 0) => cat(b, zeros((4 - ((b.length + from) % 4)) % 4));

function radius(code: number, id: number, attrs: [number, string | Uint8Array][], authByte = id): Uint8Array {
  const body = cat(...attrs.map(([t, v]) => {
    const value = typeof v === 'string' ? ascii(v) : v;
    return cat(Uint8Array.of(t, value.length + 2), value);
  }));
  const len = 20 + body.length;
  return cat(Uint8Array.of(code, id, len >> 8, len & 255), zeros(16).fill(authByte), body);
}

function ntp(first: number, stratum: number, refId: string | number[], t: { org?: number; rec?: number; xmt?: number } = {}): Uint8Array {
  const b = new Uint8Array(48);
  const v = new DataView(b.buffer);
  b[0] = first;
  b[1] = stratum;
  v.setUint32(4, 0x00012345);
  v.setUint32(8, 0x00000456);
  b.set(typeof refId === 'string' ? ascii(refId) : refId, 12);
  const put = (at: number, ms: number | undefined) => {
    if (ms === undefined) return;
    v.setUint32(at, (Math.floor(ms / 1000) + 2_208_988_800) % 2 ** 32);
    v.setUint32(at + 4, Math.floor(((ms % 1000) / 1000) * 2 ** 32));
  };
  put(24, t.org);
  put(32, t.rec);
  put(40, t.xmt);
  return b;
}

const EPM = 'e1af8308-5d1f-11c9-91a4-08002b14a0fa';
const NDR = '8a885d04-1ceb-11c9-9fe8-08002b104860';

function uuid(s: string, le: boolean): Uint8Array {
  const h = s.replace(/-/g, '');
  const n = (a: number, z: number) => parseInt(h.slice(a, z), 16);
  const tail = Uint8Array.from({ length: 8 }, (_, i) => n(16 + 2 * i, 18 + 2 * i));
  return cat(w32(n(0, 8), le), w16(n(8, 12), le), w16(n(12, 16), le), tail);
}

function pdu(type: number, body: Uint8Array, le: boolean, callId: number, flags = 3, auth = 0): Uint8Array {
  const trailer = auth > 0 ? cat(zeros(4), Uint8Array.of(10, 6, 4, 0), u32le(1), zeros(auth).fill(0xaa)) : zeros(0);
  const b = cat(body, trailer);
  return cat(Uint8Array.of(5, 0, type, flags, le ? 0x10 : 0, 0, 0, 0), w16(16 + b.length, le), w16(auth, le), w32(callId, le), b);
}

function tower(port: number, ip: number[]): Uint8Array {
  const floorUuid = (u: string, ver: number) => cat(u16le(19), Uint8Array.of(0x0d), uuid(u, true), u16le(ver), u16le(2), u16le(0));
  return cat(u16le(5), floorUuid(EPM, 3), floorUuid(NDR, 2), u16le(1), Uint8Array.of(0x0b), u16le(2), u16le(0), u16le(1), Uint8Array.of(7), u16le(2), Uint8Array.of(port >> 8, port & 255), u16le(1), Uint8Array.of(9), u16le(4), Uint8Array.from(ip));
}

function rpcSession(le: boolean, answer: 'map' | 'nak' | 'fault' | 'none' | 'frag' | 'auth'): FlowPayload {
  const ctx = cat(w16(0, le), Uint8Array.of(1, 0), uuid(EPM, le), w16(3, le), w16(0, le), uuid(NDR, le), w32(2, le));
  const bind = pdu(11, cat(w16(5840, le), w16(5840, le), w32(0, le), Uint8Array.of(1, 0, 0, 0), ctx), le, 2);
  const t = tower(49667, [192, 0, 2, 10]);
  const mapIn = cat(w32(1, le), zeros(16), w32(2, le), w32(t.length, le), w32(t.length, le), pad4(t), zeros(20), w32(4, le));
  const request = pdu(0, cat(w32(mapIn.length, le), w16(0, le), w16(3, le), mapIn), le, 3);
  const port = ascii('135\x00');
  const ack = pdu(12, cat(w16(5840, le), w16(5840, le), w32(0x1234, le), pad4(cat(w16(port.length, le), port), 24), Uint8Array.of(1, 0, 0, 0), w16(0, le), w16(0, le), uuid(NDR, le), w32(2, le)), le, 2);
  const out = cat(zeros(20), w32(1, le), w32(4, le), w32(0, le), w32(1, le), w32(3, le), w32(t.length, le), w32(t.length, le), pad4(t), w32(0, le));
  const resp = (stub: Uint8Array, flags = 3, auth = 0) => pdu(2, cat(w32(stub.length, le), w16(0, le), Uint8Array.of(0, 0), stub), le, 3, flags, auth);
  const server =
    answer === 'nak' ? pdu(13, cat(w16(4, le), Uint8Array.of(1, 5, 0)), le, 2)
    : answer === 'fault' ? cat(ack, pdu(3, cat(w32(32, le), w16(0, le), Uint8Array.of(0, 0), w32(5, le), w32(0, le)), le, 3))
    : answer === 'none' ? cat(ack, resp(cat(zeros(20), w32(0, le), w32(4, le), w32(0, le), w32(0, le), w32(0x16c9a0d6, le))))
    : answer === 'frag' ? cat(ack, resp(out.subarray(0, 40), 1), resp(out.subarray(40), 2))
    : answer === 'auth' ? cat(ack, resp(out, 3, 16))
    : cat(ack, resp(out));
  return { client: prefixFromSegments([{ bytes: cat(bind, request), record: 1 }]), server: prefixFromSegments([{ bytes: server, record: 2 }]) };
}

const SYSLOG = [
  '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3"] An application event',
  "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
  '<13>Feb  5 10:00:00 myprog[123]: hello',
  '<30>2024-03-01T10:00:00.123456+00:00 gw sshd[42]: Accepted password for alice from 192.0.2.7',
  '<12>Apr 14 16:48:54 paloalto.test.net 1,2020/04/14 16:48:54,unknown,SYSTEM,auth,0',
];

const msg = (from: 'client' | 'server', bytes: Uint8Array, timeMs = 1.7e12): AppMessage => ({ from, bytes, wireLength: bytes.length, timeMs });

interface Corpus {
  lists: AppMessage[][];
  flows: FlowPayload[];
}

function corpus(): Corpus {
  const T = Date.UTC(2026, 0, 15);
  const password = zeros(16).fill(0x5e);
  const lists: AppMessage[][] = [
    [msg('client', radius(1, 7, [[1, 'alice'], [2, password], [4, Uint8Array.of(192, 0, 2, 1)], [80, zeros(16)]])), msg('server', radius(2, 7, [[18, 'Welcome'], [26, zeros(12)]]))],
    [msg('client', radius(1, 9, [[1, 'bob'], [3, zeros(17)]])), msg('server', radius(3, 9, [[18, 'Authentication failed'], [18, 'again']])), msg('client', radius(1, 9, [[1, 'bob']], 3)), msg('server', radius(11, 9, [[24, 'state']]))],
    [msg('client', radius(4, 1, [[40, u32le(1)], [1, 'carol']])), msg('server', radius(5, 1, [])), msg('client', radius(12, 2, [[80, zeros(16)]])), msg('server', radius(2, 2, []))],
    [msg('client', ntp(0x23, 0, [0, 0, 0, 0], { xmt: T }), T), msg('server', ntp(0x24, 2, [192, 0, 2, 1], { org: T, rec: T + 260, xmt: T + 261 }), T + 21)],
    [msg('client', ntp(0x1b, 0, [0, 0, 0, 0], { xmt: T }), T), msg('server', ntp(0xe4, 16, 'INIT', { org: T }), T + 5)],
    [msg('client', ntp(0x23, 0, [0, 0, 0, 0], { xmt: T }), T), msg('server', ntp(0x24, 0, 'RATE', { org: T }), T + 5), msg('client', ntp(0x23, 0, [0, 0, 0, 0], { xmt: T + 64e3 }), T + 64e3), msg('server', ntp(0x24, 1, 'GPS\x00', { org: T + 64e3, rec: T + 64e3, xmt: T + 64e3 + 1 }), T + 64e3 + 2)],
    [msg('client', Uint8Array.of(0x26, 0x02, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0)), msg('server', Uint8Array.of(0x26, 0x82, 0, 1, 0, 0, 0, 0, 0, 0, 0, 3, 0x61, 0x3d, 0x31, 0)), msg('client', Uint8Array.of(0x17, 0, 3, 42))],
    SYSLOG.map((s) => msg('client', ascii(s))),
    [msg('client', ascii(SYSLOG[1] + ' ' + 'x'.repeat(1400))), msg('client', ascii('continued text of the message')), msg('client', ascii(SYSLOG[0]))],
  ];
  const octet = SYSLOG.map((s) => `${s.length} ${s}`).join('');
  const flows: FlowPayload[] = [
    ...(['map', 'nak', 'fault', 'none', 'frag', 'auth'] as const).flatMap((a) => [rpcSession(true, a), rpcSession(false, a)]),
    { client: prefixFromSegments([{ bytes: ascii(octet), record: 1 }]), server: prefixFromSegments([]) },
    { client: prefixFromSegments([{ bytes: ascii(SYSLOG.join('\n') + '\n' + SYSLOG[0] + ' ' + 'y'.repeat(8100) + '\r\n'), record: 1 }], true), server: prefixFromSegments([]) },
  ];
  return { lists, flows };
}

// ---- mutations ------------------------------------------------------------------------

/** Offsets of length and count fields the decoders trust, found by walking the bytes as each protocol. */
function fieldOffsets(b: Uint8Array): Field[] {
  const out: Field[] = [];
  // DCE/RPC PDUs: frag_length, auth_length, n_context_elem, and the ept_map NDR counts
  for (let p = 0; p + 16 <= b.length && out.length < 64; ) {
    if (b[p] !== 5) break;
    const le = (b[p + 4] & 0xf0) === 0x10;
    out.push({ at: p + 8, width: 2, le }, { at: p + 10, width: 2, le }, { at: p + 24, width: 1, le });
    if (b[p + 2] === 2) for (const o of [44, 48, 52, 56, 60, 64, 68]) out.push({ at: p + o, width: 4, le });
    const frag = le ? b[p + 8] | (b[p + 9] << 8) : (b[p + 8] << 8) | b[p + 9];
    if (frag < 16) break;
    p += frag;
  }
  // RADIUS: the length field and each attribute's length byte
  if (b.length >= 20) {
    out.push({ at: 2, width: 2, le: false });
    for (let p = 20; p + 2 <= b.length && out.length < 128; p += Math.max(2, b[p + 1])) out.push({ at: p + 1, width: 1, le: false });
  }
  return out;
}

/** A length or count field set to an extreme. */
const lengthField: Mutator = (r, out) => {
  const fields = fieldOffsets(out);
  const f = fields.length > 0 && r() < 0.8 ? pick(r, fields) : { at: int(r, Math.max(1, out.length)), width: pick(r, [1, 2, 4] as const), le: r() < 0.5 };
  const max = 2 ** (8 * f.width) - 1;
  setField(out, f, pick(r, [0, 1, 2, 3, 15, 16, 19, 20, 47, 48, max, max - 1, 0x4000, 0x8000, int(r, max + 1)]) % (max + 1));
  return out;
};

/** A syslog octet count, or a digit run, replaced. */
const syslogCount: Mutator = (r, out) => {
  const s = int(r, out.length + 1);
  return cat(out.subarray(0, s), ascii(pick(r, ['0 ', '1 ', '99999999 ', '999999999 ', '1234567890 ', `${int(r, 20000)} `, '\n', '\x00'])), out.subarray(s));
};

/** The whole input doubled: many PDUs, many messages. */
const double: Mutator = (_r, out) => cat(out, out);

// length fields twice as often as the others; double last: it always applies
const OPS = [flipBits(8), setByte([0, 0xff, 0x7f, 0x80, 0x0a, 0x3c, 0x3e, 0x20]), lengthField, lengthField, truncate, splice, repeatChunk, deleteChunk, insertJunk, syslogCount, double];
const mutateBytes = (r: Rand, b: Uint8Array, other: Uint8Array, max: number) => mutateWith(r, b, other, OPS, { rounds: 4, max });

function mutateList(r: Rand, base: AppMessage[], other: AppMessage[]): AppMessage[] {
  let list = base.map((m) => ({ ...m }));
  const op = int(r, 8);
  if (op === 0) list = list.concat(other.map((m) => ({ ...m })));
  else if (op === 1) list.reverse();
  else if (op === 2 && list.length > 0) list.splice(int(r, list.length), 1);
  else if (op === 3 && list.length > 0) for (let n = int(r, 40); n > 0; n--) list.push({ ...pick(r, list) });
  else if (op === 4) for (const m of list) m.from = r() < 0.5 ? 'client' : 'server';
  for (const m of list) {
    if (r() < 0.5) m.bytes = mutateBytes(r, m.bytes, pick(r, other.length > 0 ? other : list).bytes, MAX_DATAGRAM);
    if (r() < 0.2) m.wireLength = pick(r, [0, -1, NaN, Infinity, m.bytes.length + int(r, 9000), 2 ** 31]);
    if (r() < 0.2) m.timeMs = pick(r, [0, -1e15, 8.64e15, NaN, Infinity, m.timeMs + int(r, 2 ** 33), m.timeMs - 2 ** 32 * 1000]);
  }
  return list.slice(0, MAX_DATAGRAMS);
}

function mutateFlow(r: Rand, base: FlowPayload, other: FlowPayload): FlowPayload {
  // each side rebuilt as one segment: the marks are not this test's subject
  return eitherSide(r, base, other, (p, o, touch) => {
    const src = r() < 0.5 ? o.bytes : p.bytes;
    return prefixFromSegments([{ bytes: touch ? mutateBytes(r, p.bytes, src, MAX_STREAM) : p.bytes, record: 1 }], r() < 0.3);
  });
}

// ---- properties -------------------------------------------------------------------------

const count = (n: number) => Number.isInteger(n) && n >= 0 && n <= 1e6;
const maxLen = (s: string | null, n: number) => s === null || s.length <= n;

function checkRadius(f: RadiusFacts | null): void {
  if (f === null) return;
  if (![null, 'Access-Accept', 'Access-Reject', 'Access-Challenge'].includes(f.code)) throw new Error(`code ${f.code}`);
  for (const n of [f.requests, f.responses, f.unanswered, f.accepts, f.rejects, f.challenges, f.statusServer, f.malformed, f.accounting.requests, f.accounting.responses]) if (!count(n)) throw new Error(`count ${n}`);
  if (f.unanswered > f.requests) throw new Error('unanswered > requests');
  if (!maxLen(f.userName, 4 * 64 + 3) || !maxLen(f.replyMessage, 4 * 256 + 1024)) throw new Error('strings too long');
}

const MODES = ['reserved', 'symmetric-active', 'symmetric-passive', 'client', 'server', 'broadcast', 'control', 'private'];

function checkNtp(f: NtpFacts | null): void {
  if (f === null) return;
  if (!MODES.includes(f.mode) || f.version < 1 || f.version > 4 || f.leap < 0 || f.leap > 3 || f.stratum < 0 || f.stratum > 255) throw new Error(`header ${JSON.stringify(f)}`);
  if (f.refId.length > 19 || (f.kissCode !== null && f.kissCode.length !== 4) || (f.kiss !== null && f.kiss.length !== 4)) throw new Error(`refid ${f.refId}`);
  if (f.offsetMs !== null && !Number.isFinite(f.offsetMs)) throw new Error(`offset ${f.offsetMs}`);
  for (const n of [f.rootDelayMs, f.rootDispersionMs]) if (n !== null && !(n >= 0 && n < 65536 * 1000)) throw new Error(`root ${n}`);
  for (const n of [f.requests, f.responses, f.unanswered, f.malformed]) if (!count(n)) throw new Error(`count ${n}`);
  if (f.unanswered > f.requests) throw new Error('unanswered > requests');
}

function checkSyslog(f: SyslogFacts | null): void {
  if (f === null) return;
  if (!['rfc5424', 'rfc3164', 'unknown'].includes(f.format) || ![null, 'octet-counted', 'lf'].includes(f.framing)) throw new Error(`format ${f.format}`);
  for (const n of [f.messages, f.oversize, f.partial, f.split, f.noPri, f.badFrames]) if (!count(n)) throw new Error(`count ${n}`);
  if (f.oversize > f.messages || f.noPri > f.messages || f.split > f.noPri || f.partial > 1) throw new Error(`counts ${JSON.stringify(f)}`);
  if (f.facility !== null && (f.facility > 23 || f.severity === null || f.severity > 7 || f.facilityName === null)) throw new Error('pri');
  if (!maxLen(f.hostname, 4 * 255 + 3) || !maxLen(f.appName, 4 * 48 + 3)) throw new Error('strings too long');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function checkRpc(f: RpcFacts | null): void {
  if (f === null) return;
  if (f.interfaces.length > 16 || !f.interfaces.every((u) => UUID.test(u))) throw new Error('interfaces');
  if (f.dynamicPort !== null && !(Number.isInteger(f.dynamicPort) && f.dynamicPort >= 0 && f.dynamicPort <= 65535)) throw new Error('port');
  if (f.dynamicHost !== null && !/^\d{1,3}(\.\d{1,3}){3}$/.test(f.dynamicHost)) throw new Error('host');
  if (!maxLen(f.status, 96) || !count(f.binds)) throw new Error(`status ${f.status}`);
  if (f.failure && (f.status === null || f.status === 'ok')) throw new Error('failure without a status');
}

/** How often the decoders got far into their input. */
const REACHED = ['radiusCode', 'radiusUser', 'ntpServer', 'ntpOffset', 'ntpKiss', 'syslogPri', 'syslogOversize', 'rpcBind', 'rpcPort', 'rpcFailure'] as const;
type Reach = (what: (typeof REACHED)[number]) => void;

function runList(list: AppMessage[], reach: Reach): number {
  const ra = inspectRadius(list);
  checkRadius(ra);
  if (ra?.code) reach('radiusCode');
  if (ra?.userName) reach('radiusUser');
  const nt = inspectNtp(list);
  checkNtp(nt);
  if (nt?.mode === 'server') reach('ntpServer');
  if (nt?.offsetMs !== null && nt?.offsetMs !== undefined) reach('ntpOffset');
  if (nt?.kiss) reach('ntpKiss');
  const sy = inspectSyslogMessages(list);
  checkSyslog(sy);
  if (sy?.facility !== null && sy?.facility !== undefined) reach('syslogPri');
  for (const m of list) {
    looksLikeRadius(m.bytes);
    looksLikeNtp(m.bytes);
    looksLikeSyslog(m.bytes);
  }
  return 3 + 3 * list.length;
}

function runFlow(p: FlowPayload, reach: Reach): number {
  const rpc = inspectRpcStream(p);
  checkRpc(rpc);
  if (rpc?.binds) reach('rpcBind');
  if (rpc?.dynamicPort !== null && rpc?.dynamicPort !== undefined) reach('rpcPort');
  if (rpc?.failure) reach('rpcFailure');
  const sy = inspectSyslogStream(p);
  checkSyslog(sy);
  if (sy?.facility !== null && sy?.facility !== undefined) reach('syslogPri');
  if (sy?.oversize) reach('syslogOversize');
  for (const s of [p.client.bytes, p.server.bytes]) {
    looksLikeDcerpc(s);
    looksLikeDcerpcResponse(s);
    looksLikeSyslog(s);
  }
  return 8;
}

/** Even iterations datagram lists (RADIUS, NTP, syslog/UDP), odd ones streams (DCE/RPC, syslog/TCP). */
type Input = { list: AppMessage[] } | { flow: FlowPayload };

describe('fuzz: RADIUS, NTP, syslog, DCE/RPC', () => {
  it(`the four decoders over ${fuzzInputs(KNOBS)} mutated inputs (seed ${KNOBS.seed}): no exception, no hang, bounded output`, () => {
    const { lists, flows } = corpus();
    runFuzz<Input, (typeof REACHED)[number]>(KNOBS, {
      name: 'apps fuzz',
      mix: 0x85ebca6b,
      input: (r, i) => ((i & 1) === 0 ? { list: mutateList(r, pick(r, lists), pick(r, lists)) } : { flow: mutateFlow(r, pick(r, flows), pick(r, flows)) }),
      bytes: (x) => ('list' in x ? x.list.reduce((n, m) => n + m.bytes.length, 0) : x.flow.client.bytes.length + x.flow.server.bytes.length),
      exercise: (x, _r, reach) => ('list' in x ? runList(x.list, reach) : runFlow(x.flow, reach)),
      dump: (x) => ('list' in x ? x.list.map((m) => `${m.from} wire=${m.wireLength} t=${m.timeMs} ${hex(m.bytes)}`).join('\n') : `client ${hex(x.flow.client.bytes)}\nserver ${hex(x.flow.server.bytes)}`),
      reached: REACHED,
      callsPerInput: 8,
      reachDivisor: 200,
    });
  }, 600_000);
});
