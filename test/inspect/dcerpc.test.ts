// DCE/RPC connection-oriented PDUs and the endpoint mapper's ept_map, on hand-built PDUs in
// both byte orders.
import { describe, expect, it } from 'vitest';
import { inspectRpcStream, looksLikeDcerpc, looksLikeDcerpcResponse, rpcRejectReasonName, rpcStatusName } from '../../src/inspect/dcerpc.js';
import { ascii, cat, flow } from './tls-build.js';

const EPM = 'e1af8308-5d1f-11c9-91a4-08002b14a0fa';
const NDR = '8a885d04-1ceb-11c9-9fe8-08002b104860';
const NDR64 = '71710533-beba-4937-8319-b5dbef9ccc36';
const BTFN = '6cb71c2c-9812-4540-0300-000000000000';
const SAMR = '12345778-1234-abcd-ef00-0123456789ac';

/** Little- or big-endian integer writer. */
class W {
  private parts: number[] = [];
  constructor(readonly le: boolean) {}
  u8(v: number): this {
    this.parts.push(v & 255);
    return this;
  }
  u16(v: number): this {
    const b = [v & 255, (v >> 8) & 255];
    this.parts.push(...(this.le ? b : b.reverse()));
    return this;
  }
  u32(v: number): this {
    const b = [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255];
    this.parts.push(...(this.le ? b : b.reverse()));
    return this;
  }
  raw(b: Uint8Array | number[]): this {
    this.parts.push(...b);
    return this;
  }
  uuid(s: string): this {
    const h = s.replace(/-/g, '');
    const n = (a: number, z: number) => parseInt(h.slice(a, z), 16);
    this.u32(n(0, 8)).u16(n(8, 12)).u16(n(12, 16));
    for (let i = 16; i < 32; i += 2) this.u8(n(i, i + 2));
    return this;
  }
  pad4(from = 0): this {
    while ((this.parts.length - from) % 4 !== 0) this.parts.push(0);
    return this;
  }
  get length(): number {
    return this.parts.length;
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

interface PduOpts {
  le?: boolean;
  callId?: number;
  flags?: number;
  auth?: { pad: number; value: Uint8Array };
}

function pdu(type: number, body: (w: W) => void, o: PduOpts = {}): Uint8Array {
  const le = o.le ?? true;
  const w = new W(le);
  body(w);
  if (o.auth) {
    for (let i = 0; i < o.auth.pad; i++) w.u8(0);
    w.u8(10).u8(6).u8(o.auth.pad).u8(0).u32(1).raw(o.auth.value); // NTLMSSP, privacy
  }
  const b = w.bytes();
  const h = new W(le).u8(5).u8(0).u8(type).u8(o.flags ?? 3).raw([le ? 0x10 : 0, 0, 0, 0]);
  h.u16(16 + b.length).u16(o.auth ? o.auth.value.length : 0).u32(o.callId ?? 1);
  return cat(h.bytes(), b);
}

type Ctx = { id: number; uuid: string; major: number; transfers?: string[] };

function bind(ctxs: Ctx[], o: PduOpts = {}, type = 11): Uint8Array {
  return pdu(type, (w) => {
    w.u16(5840).u16(5840).u32(0).u8(ctxs.length).u8(0).u16(0);
    for (const c of ctxs) {
      const ts = c.transfers ?? [NDR];
      w.u16(c.id).u8(ts.length).u8(0).uuid(c.uuid).u16(c.major).u16(0);
      for (const t of ts) w.uuid(t).u32(t === NDR ? 2 : 1);
    }
  }, o);
}

function bindAck(results: [number, number][], o: PduOpts = {}): Uint8Array {
  return pdu(12, (w) => {
    w.u16(5840).u16(5840).u32(0x1234);
    const port = ascii('135\x00');
    w.u16(port.length).raw(port).pad4(-16);
    w.u8(results.length).u8(0).u16(0);
    for (const [result, reason] of results) w.u16(result).u16(reason).uuid(result === 0 ? NDR : '00000000-0000-0000-0000-000000000000').u32(result === 0 ? 2 : 0);
  }, o);
}

const bindNak = (reason: number, o: PduOpts = {}) => pdu(13, (w) => w.u16(reason).u8(1).u8(5).u8(0), o);
const fault = (status: number, o: PduOpts = {}) => pdu(3, (w) => w.u32(32).u16(0).u8(0).u8(0).u32(status).u32(0), o);
const request = (ctx: number, opnum: number, stub: Uint8Array, o: PduOpts = {}) => pdu(0, (w) => w.u32(stub.length).u16(ctx).u16(opnum).raw(stub), o);
const response = (stub: Uint8Array, o: PduOpts = {}) => pdu(2, (w) => w.u32(stub.length).u16(0).u8(0).u8(0).raw(stub), o);

/** A TCP tower: the interface, NDR, RPC connection-oriented, TCP port, IPv4 address (C706 appendix L). */
function tower(port: number, ip: number[], ifUuid = SAMR): Uint8Array {
  const w = new W(true).u16(5);
  const floorUuid = (u: string, ver: number) => {
    const l = new W(true).u8(0x0d).uuid(u).u16(ver).bytes();
    w.u16(l.length).raw(l).u16(2).u16(0);
  };
  floorUuid(ifUuid, 1);
  floorUuid(NDR, 2);
  w.u16(1).u8(0x0b).u16(2).u16(0);
  w.u16(1).u8(0x07).u16(2).raw([port >> 8, port & 255]);
  w.u16(1).u8(0x09).u16(4).raw(ip);
  return w.bytes();
}

/** ept_map's out parameters: handle, num_towers, the tower pointer array, towers, status. */
function eptMapOut(towers: Uint8Array[], status: number, le = true): Uint8Array {
  const w = new W(le).u32(0).raw(new Uint8Array(16)).u32(towers.length);
  w.u32(4).u32(0).u32(towers.length);
  towers.forEach((_, i) => w.u32(0x3 + i));
  for (const t of towers) w.pad4().u32(t.length).u32(t.length).raw(t);
  return w.pad4().u32(status).bytes();
}

/** ept_map's in parameters (object UUID pointer, the tower asked for, handle, max_towers); not read by the decoder. */
const EPT_MAP_IN = ((t: Uint8Array) => new W(true).u32(1).raw(new Uint8Array(16)).u32(2).u32(t.length).u32(t.length).raw(t).pad4().raw(new Uint8Array(20)).u32(4).bytes())(tower(0, [0, 0, 0, 0]));

function epmSession(le: boolean, answer: Uint8Array[]) {
  return flow([
    ['c', bind([{ id: 0, uuid: EPM, major: 3 }], { le, callId: 2 })],
    ['s', bindAck([[0, 0]], { le, callId: 2 })],
    ['c', request(0, 3, EPT_MAP_IN, { le, callId: 3 })],
    ['s', cat(...answer)],
  ]);
}

const OK = {
  endpointMapper: true,
  dynamicPort: 49667,
  dynamicHost: '192.0.2.10',
  status: 'ok',
  binds: 1,
  interfaces: [EPM],
  failure: false,
  malformed: false,
};

describe('inspectRpcStream', () => {
  it('reads the dynamic port of an ept_map answer, in both byte orders', () => {
    for (const le of [true, false]) {
      const f = inspectRpcStream(epmSession(le, [response(eptMapOut([tower(49667, [192, 0, 2, 10])], 0, le), { le, callId: 3 })]));
      expect(f, `le=${le}`).toEqual(OK);
    }
  });

  it('takes the first TCP tower of the first good answer; skips null tower pointers', () => {
    const stub = eptMapOut([tower(49667, [192, 0, 2, 10]), tower(50000, [0, 0, 0, 0])], 0);
    expect(inspectRpcStream(epmSession(true, [response(stub, { callId: 3 })]))).toEqual(OK);
    // a null first referent: no tower data for it
    const w = new W(true).u32(0).raw(new Uint8Array(16)).u32(2).u32(4).u32(0).u32(2).u32(0).u32(7);
    const t = tower(49667, [192, 0, 2, 10]);
    w.u32(t.length).u32(t.length).raw(t).pad4().u32(0);
    expect(inspectRpcStream(epmSession(true, [response(w.bytes(), { callId: 3 })]))).toEqual(OK);
  });

  it('reads an answer with an auth trailer and one split over two fragments', () => {
    const stub = eptMapOut([tower(49667, [192, 0, 2, 10])], 0);
    const authed = response(stub, { callId: 3, auth: { pad: 4, value: new Uint8Array(16).fill(0xaa) } });
    expect(inspectRpcStream(epmSession(true, [authed]))).toEqual(OK);
    const first = response(stub.subarray(0, 50), { callId: 3, flags: 1 });
    const last = response(stub.subarray(50), { callId: 3, flags: 2 });
    expect(inspectRpcStream(epmSession(true, [first, last]))).toEqual(OK);
  });

  it('reports ept_map\'s not-registered status', () => {
    const f = inspectRpcStream(epmSession(true, [response(eptMapOut([], 0x16c9a0d6), { callId: 3 })]));
    expect(f).toEqual({ ...OK, dynamicPort: null, dynamicHost: null, status: 'ept_map: ept_s_not_registered (0x16c9a0d6)' });
  });

  it('reports a bind_nak with its reason', () => {
    const p = flow([['c', bind([{ id: 0, uuid: EPM, major: 3 }])], ['s', bindNak(4)]]);
    expect(inspectRpcStream(p)).toEqual({ ...OK, dynamicPort: null, dynamicHost: null, status: 'bind_nak: protocol_version_not_supported', failure: true });
  });

  it('reports a fault (access denied) after a good bind', () => {
    const p = epmSession(true, [fault(5, { callId: 3 })]);
    expect(inspectRpcStream(p)).toEqual({ ...OK, dynamicPort: null, dynamicHost: null, status: 'fault: nca_s_fault_access_denied (0x00000005)', failure: true });
    expect(inspectRpcStream(epmSession(false, [fault(0x1c010003, { le: false, callId: 3 })]))?.status).toBe('fault: nca_unk_if (0x1c010003)');
  });

  it('accepts a Windows bind (NDR, NDR64, bind-time feature negotiation) with one context accepted', () => {
    const ctxs = [
      { id: 0, uuid: SAMR, major: 1 },
      { id: 1, uuid: SAMR, major: 1, transfers: [NDR64] },
      { id: 2, uuid: SAMR, major: 1, transfers: [BTFN] },
    ];
    const p = flow([['c', bind(ctxs)], ['s', bindAck([[2, 2], [0, 0], [3, 3]])]]);
    expect(inspectRpcStream(p)).toEqual({ ...OK, endpointMapper: false, dynamicPort: null, dynamicHost: null, interfaces: [SAMR] });
    const rejected = flow([['c', bind([{ id: 0, uuid: SAMR, major: 9 }])], ['s', bindAck([[2, 1]])]]);
    expect(inspectRpcStream(rejected)).toMatchObject({ status: 'bind_ack: abstract_syntax_not_supported', failure: true });
  });

  it('counts binds and alter_contexts and keeps distinct interfaces', () => {
    const p = flow([
      ['c', cat(bind([{ id: 0, uuid: SAMR, major: 1 }]), bind([{ id: 1, uuid: EPM, major: 3 }], {}, 14), bind([{ id: 2, uuid: SAMR, major: 1 }], {}, 14))],
    ]);
    expect(inspectRpcStream(p)).toMatchObject({ binds: 3, interfaces: [SAMR, EPM], endpointMapper: true, status: null });
  });

  it('ignores answers to calls that are not ept_map', () => {
    const stub = eptMapOut([tower(49667, [192, 0, 2, 10])], 0);
    expect(inspectRpcStream(epmSession(true, [response(stub, { callId: 99 })]))).toMatchObject({ dynamicPort: null, status: 'ok' });
    const p = flow([
      ['c', cat(bind([{ id: 0, uuid: EPM, major: 3 }], { callId: 2 }), request(0, 2, EPT_MAP_IN, { callId: 3 }))],
      ['s', cat(bindAck([[0, 0]], { callId: 2 }), response(stub, { callId: 3 }))],
    ]);
    expect(inspectRpcStream(p)).toMatchObject({ dynamicPort: null, status: 'ok' });
  });

  it('stops at a cut PDU, an over-long frag_length and a frag_length below 16', () => {
    const answer = response(eptMapOut([tower(49667, [192, 0, 2, 10])], 0), { callId: 3 });
    expect(inspectRpcStream(epmSession(true, [answer.subarray(0, answer.length - 1)]))).toMatchObject({ dynamicPort: null, status: 'ok', malformed: false });
    const long = answer.slice();
    long[8] = 0xff;
    long[9] = 0xff;
    expect(inspectRpcStream(epmSession(true, [long]))).toMatchObject({ dynamicPort: null, status: 'ok' });
    const tiny = answer.slice();
    tiny[8] = 15;
    tiny[9] = 0;
    expect(inspectRpcStream(epmSession(true, [tiny]))).toMatchObject({ dynamicPort: null, malformed: true });
    // a bind cut inside its second context: the first is still read
    const b = bind([{ id: 0, uuid: SAMR, major: 1 }, { id: 1, uuid: EPM, major: 3 }]);
    expect(inspectRpcStream(flow([['c', b.subarray(0, 80)]]))).toMatchObject({ interfaces: [SAMR], endpointMapper: false, binds: 1 });
  });

  it('survives towers and arrays with lying lengths', () => {
    const stub = eptMapOut([tower(49667, [192, 0, 2, 10])], 0);
    const lying = stub.slice();
    lying[32] = 0xff; // actual_count 255
    expect(inspectRpcStream(epmSession(true, [response(lying, { callId: 3 })]))).toMatchObject({ dynamicPort: null });
    const floors = stub.slice();
    floors[48] = 0xff; // floor_count: the floors run out first
    floors[49] = 0xff;
    expect(inspectRpcStream(epmSession(true, [response(floors, { callId: 3 })]))).toMatchObject({ dynamicPort: 49667 });
    const towerLen = stub.slice();
    towerLen[44] = 0xff; // tower_length past the stub
    expect(inspectRpcStream(epmSession(true, [response(towerLen, { callId: 3 })]))).toMatchObject({ dynamicPort: null, status: 'ok' });
  });

  it('is null without a PDU', () => {
    expect(inspectRpcStream(flow([['c', ascii('GET / HTTP/1.1\r\n\r\n')]]))).toBeNull();
    expect(inspectRpcStream(flow([]))).toBeNull();
  });
});

describe('looksLikeDcerpc', () => {
  it('takes a bind, an alter_context or a request of version 5', () => {
    expect(looksLikeDcerpc(bind([{ id: 0, uuid: EPM, major: 3 }]))).toBe(true);
    expect(looksLikeDcerpc(bind([{ id: 0, uuid: EPM, major: 3 }], { le: false }, 14))).toBe(true);
    expect(looksLikeDcerpc(request(0, 3, EPT_MAP_IN))).toBe(true);
  });

  it('refuses other types, versions and inconsistent lengths', () => {
    const b = bind([{ id: 0, uuid: EPM, major: 3 }]);
    expect(looksLikeDcerpc(b.subarray(0, b.length - 1))).toBe(false);
    const v4 = b.slice();
    v4[0] = 4;
    expect(looksLikeDcerpc(v4)).toBe(false);
    const drep = b.slice();
    drep[4] = 0x20;
    expect(looksLikeDcerpc(drep)).toBe(false);
    const short = b.slice();
    short[8] = 20;
    expect(looksLikeDcerpc(short)).toBe(false);
    expect(looksLikeDcerpc(bindAck([[0, 0]]))).toBe(false);
  });

  it('server side: bind_ack, bind_nak, response and fault', () => {
    for (const b of [bindAck([[0, 0]]), bindNak(0), response(new Uint8Array(8)), fault(5)]) expect(looksLikeDcerpcResponse(b)).toBe(true);
    expect(looksLikeDcerpcResponse(bind([{ id: 0, uuid: EPM, major: 3 }]))).toBe(false);
  });
});

describe('names', () => {
  it('names statuses and reject reasons', () => {
    expect(rpcStatusName(0x6d9)).toBe('ept_s_not_registered (0x000006d9)');
    expect(rpcStatusName(0xdeadbeef)).toBe('0xdeadbeef');
    expect(rpcRejectReasonName(8)).toBe('authentication_type_not_recognized');
    expect(rpcRejectReasonName(77)).toBe('reason 77');
  });
});
