// DCE/RPC connection-oriented PDUs (C706 ch. 12, MS-RPCE 2.2.2) on a TCP stream, read far
// enough to follow the endpoint mapper: the binds (which interfaces), bind_nak and fault
// outcomes, and the ept_map answer (MS-RPCE 2.2.1.2.5, C706 appendix L towers) that hands
// out the dynamic TCP port the client connects to next. Each PDU says its own byte order
// (drep); tower floors are little-endian lengths with big-endian ports and addresses.
import type { FlowPayload } from './stream.js';

export interface RpcFacts {
  /** The client bound the endpoint mapper interface (e1af8308-5d1f-11c9-91a4-08002b14a0fa v3). */
  endpointMapper: boolean;
  /** TCP port (tower floor 0x07) of the first ept_map answer with status 0, or null. */
  dynamicPort: number | null;
  /** IPv4 address (floor 0x09) of the same tower, or null (0.0.0.0 means "the address you asked"). */
  dynamicHost: string | null;
  /**
   * 'ok' when the server accepted the binds and answered; otherwise the first failure:
   * 'bind_nak: <reason>', 'bind_ack: <reason>' (every context rejected), 'fault: <status>',
   * 'ept_map: <status>' (a non-zero ept_map status, e.g. ept_s_not_registered (0x16c9a0d6)).
   * Null when the server answered nothing that tells.
   */
  status: string | null;
  /** bind and alter_context PDUs of the client. */
  binds: number;
  /** Interface UUIDs the client asked to bind, in order, distinct, at most 16. */
  interfaces: string[];
  /** A bind_nak, a fault, or a bind_ack that rejected every context. */
  failure: boolean;
  /** A PDU header that is not DCE/RPC v5 (or a frag_length below 16) stopped the parsing of a direction. */
  malformed: boolean;
}

const EPM_UUID = 'e1af8308-5d1f-11c9-91a4-08002b14a0fa';
const EPM_MAJOR = 3;
const OP_EPT_MAP = 3;

const PT_REQUEST = 0;
const PT_RESPONSE = 2;
const PT_FAULT = 3;
const PT_BIND = 11;
const PT_BIND_ACK = 12;
const PT_BIND_NAK = 13;
const PT_ALTER_CONTEXT = 14;
const PT_ALTER_CONTEXT_RESP = 15;
const PFC_FIRST_FRAG = 0x01;
const PFC_LAST_FRAG = 0x02;

const HEADER = 16;
const MAX_PDUS = 1024;
const MAX_INTERFACES = 16;
const MAX_CONTEXTS = 64;
const MAX_CALLS = 256;
/** An ept_map answer is small (a few towers); a reassembled stub is cut here. */
const MAX_STUB = 16384;
const MAX_TOWERS = 64;
const MAX_FLOORS = 16;

/** C706 / MS-RPCE 2.2.2.5 provider reject reasons of bind_nak. */
const REJECT_REASONS = [
  'reason_not_specified', 'temporary_congestion', 'local_limit_exceeded', 'called_paddr_unknown',
  'protocol_version_not_supported', 'default_context_not_supported', 'user_data_not_readable',
  'no_psap_available', 'authentication_type_not_recognized', 'invalid_checksum',
];
/** p_cont_def_result_t reasons of a rejected presentation context (bind_ack). */
const CONTEXT_REASONS = ['reason_not_specified', 'abstract_syntax_not_supported', 'proposed_transfer_syntaxes_not_supported', 'local_limit_exceeded'];

/** Fault and ept_map status names (C706 appendix E, the Windows values MS-RPCE uses). */
const STATUS_NAMES: ReadonlyMap<number, string> = new Map([
  [0x00000001, 'nca_s_fault_other'],
  [0x00000005, 'nca_s_fault_access_denied'],
  [0x000006d8, 'nca_s_fault_cant_perform'],
  [0x000006d9, 'ept_s_not_registered'],
  [0x000006f7, 'nca_s_fault_ndr'],
  [0x00000721, 'nca_s_fault_sec_pkg_error'],
  [0x1c000007, 'nca_s_fault_invalid_bound'],
  [0x1c00001a, 'nca_s_fault_context_mismatch'],
  [0x1c00001b, 'nca_s_fault_remote_no_memory'],
  [0x1c00001c, 'nca_invalid_pres_context_id'],
  [0x1c00001d, 'nca_unsupported_authn_level'],
  [0x1c010002, 'nca_op_rng_error'],
  [0x1c010003, 'nca_unk_if'],
  [0x1c01000b, 'nca_proto_error'],
  [0x1c010014, 'nca_server_too_busy'],
  [0x16c9a0d6, 'ept_s_not_registered'],
]);

/** "name (0x0000abcd)", or the hex alone for a status without a name. */
export function rpcStatusName(status: number): string {
  const hex = '0x' + (status >>> 0).toString(16).padStart(8, '0');
  const name = STATUS_NAMES.get(status >>> 0);
  return name === undefined ? hex : `${name} (${hex})`;
}

/** The bind_nak provider reject reason's name (C706 / MS-RPCE), or "reason N". */
export function rpcRejectReasonName(reason: number): string {
  return REJECT_REASONS[reason] ?? `reason ${reason}`;
}

function u16(b: Uint8Array, at: number, le: boolean): number {
  return le ? b[at] | (b[at + 1] << 8) : (b[at] << 8) | b[at + 1];
}

function u32(b: Uint8Array, at: number, le: boolean): number {
  return (le ? b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24) : (b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

/** Common header checks: version 5.0/5.1, a known integer representation, a sane frag_length. */
function headerOk(b: Uint8Array, types: readonly number[], minBody: (type: number) => number): boolean {
  if (b.length < HEADER || b[0] !== 5 || b[1] > 1 || !types.includes(b[2]) || b[4] >> 4 > 1) return false;
  const le = (b[4] & 0xf0) === 0x10;
  const frag = u16(b, 8, le);
  const auth = u16(b, 10, le);
  return frag <= b.length && frag >= HEADER + minBody(b[2]) + (auth > 0 ? auth + 8 : 0);
}

/**
 * Content detection (client): a v5 connection-oriented bind, alter_context or request
 * whose frag_length covers its fixed fields (and auth trailer) and fits the bytes.
 */
export function looksLikeDcerpc(first: Uint8Array): boolean {
  return headerOk(first, [PT_BIND, PT_ALTER_CONTEXT, PT_REQUEST], (t) => (t === PT_REQUEST ? 8 : 12));
}

/** Content detection (server): bind_ack, bind_nak, alter_context_resp, response or fault. */
export function looksLikeDcerpcResponse(first: Uint8Array): boolean {
  return headerOk(first, [PT_BIND_ACK, PT_BIND_NAK, PT_ALTER_CONTEXT_RESP, PT_RESPONSE, PT_FAULT], (t) =>
    t === PT_BIND_NAK ? 2 : t === PT_FAULT ? 16 : t === PT_RESPONSE ? 8 : 12,
  );
}

interface Pdu {
  type: number;
  flags: number;
  le: boolean;
  callId: number;
  authLength: number;
  start: number;
  /** End of the PDU as declared (may be past the bytes when cut). */
  end: number;
  /** End of what was captured of it. */
  avail: number;
  cut: boolean;
}

/** The PDUs of one direction, in order; stops at a cut PDU or a header that is not DCE/RPC. */
function pdus(b: Uint8Array): { list: Pdu[]; malformed: boolean } {
  const list: Pdu[] = [];
  let p = 0;
  while (p + HEADER <= b.length && list.length < MAX_PDUS) {
    if (b[p] !== 5 || b[p + 1] > 1 || b[p + 4] >> 4 > 1) return { list, malformed: true };
    const le = (b[p + 4] & 0xf0) === 0x10;
    const frag = u16(b, p + 8, le);
    if (frag < HEADER) return { list, malformed: true };
    const end = p + frag;
    const cut = end > b.length;
    list.push({ type: b[p + 2], flags: b[p + 3], le, callId: u32(b, p + 12, le), authLength: u16(b, p + 10, le), start: p, end, avail: Math.min(end, b.length), cut });
    if (cut) break;
    p = end;
  }
  return { list, malformed: false };
}

function uuidAt(b: Uint8Array, at: number, le: boolean): string {
  const h = (v: number, n: number) => v.toString(16).padStart(n, '0');
  let tail = '';
  for (let i = 8; i < 16; i++) tail += h(b[at + i], 2) + (i === 9 ? '-' : '');
  return `${h(u32(b, at, le), 8)}-${h(u16(b, at + 4, le), 4)}-${h(u16(b, at + 6, le), 4)}-${tail}`;
}

/** What the PDUs of a DCE/RPC connection show; null when neither direction holds one. */
export function inspectRpcStream(payload: FlowPayload): RpcFacts | null {
  const client = pdus(payload.client.bytes);
  const server = pdus(payload.server.bytes);
  if (client.list.length === 0 && server.list.length === 0) return null;
  const f: RpcFacts = {
    endpointMapper: false,
    dynamicPort: null,
    dynamicHost: null,
    status: null,
    binds: 0,
    interfaces: [],
    failure: false,
    malformed: client.malformed || server.malformed,
  };
  // presentation context id -> interface bound on it; call ids of ept_map requests
  const contexts = new Map<number, { uuid: string; major: number }>();
  const eptCalls = new Set<number>();
  const cb = payload.client.bytes;
  for (const pdu of client.list) {
    if (pdu.type === PT_BIND || pdu.type === PT_ALTER_CONTEXT) {
      f.binds++;
      bindContexts(cb, pdu, contexts, f);
    } else if (pdu.type === PT_REQUEST && pdu.start + 24 <= pdu.avail) {
      const ctx = contexts.get(u16(cb, pdu.start + 20, pdu.le));
      const opnum = u16(cb, pdu.start + 22, pdu.le);
      if (ctx !== undefined && ctx.uuid === EPM_UUID && ctx.major === EPM_MAJOR && opnum === OP_EPT_MAP && eptCalls.size < MAX_CALLS) eptCalls.add(pdu.callId);
    }
  }
  const sb = payload.server.bytes;
  const fail = (s: string) => {
    f.failure = true;
    if (f.status === null || f.status === 'ok') f.status = s;
  };
  const ok = () => {
    if (f.status === null) f.status = 'ok';
  };
  // one buffer for the fragments of the ept_map answer being gathered (-1: none)
  let stub: Uint8Array | null = null;
  let stubLen = -1;
  for (const pdu of server.list) {
    const s = pdu.start;
    if (pdu.type === PT_BIND_NAK) {
      fail('bind_nak: ' + (s + 18 <= pdu.avail ? rpcRejectReasonName(u16(sb, s + 16, pdu.le)) : 'reason unknown'));
    } else if (pdu.type === PT_FAULT) {
      fail('fault: ' + (s + 28 <= pdu.avail ? rpcStatusName(u32(sb, s + 24, pdu.le)) : 'status unknown'));
    } else if (pdu.type === PT_BIND_ACK || pdu.type === PT_ALTER_CONTEXT_RESP) {
      const rejected = bindAckRejection(sb, pdu);
      if (rejected === null) ok();
      else fail('bind_ack: ' + rejected);
    } else if (pdu.type === PT_RESPONSE && eptCalls.has(pdu.callId) && !pdu.cut) {
      // gather the stub of the call's fragments, then read ept_map's out parameters
      const body = stubRange(sb, pdu);
      if (body === null) continue;
      if (pdu.flags & PFC_FIRST_FRAG || stubLen < 0) stubLen = 0;
      stub ??= new Uint8Array(MAX_STUB);
      const take = Math.min(body[1] - body[0], MAX_STUB - stubLen);
      stub.set(sb.subarray(body[0], body[0] + take), stubLen);
      stubLen += take;
      if (!(pdu.flags & PFC_LAST_FRAG)) continue;
      const r = eptMapResult(stub.subarray(0, stubLen), pdu.le);
      stubLen = -1;
      if (r === null) continue;
      if (r.status !== 0) {
        if (f.status === null || f.status === 'ok') f.status = 'ept_map: ' + rpcStatusName(r.status);
      } else {
        ok();
        if (f.dynamicPort === null && r.port !== null) {
          f.dynamicPort = r.port;
          f.dynamicHost = r.host;
        }
      }
    }
  }
  return f;
}

/** The presentation contexts of a bind or alter_context (p_cont_list_t at offset 24). */
function bindContexts(b: Uint8Array, pdu: Pdu, contexts: Map<number, { uuid: string; major: number }>, f: RpcFacts): void {
  if (pdu.start + 28 > pdu.avail) return;
  const n = b[pdu.start + 24];
  let p = pdu.start + 28;
  for (let i = 0; i < n; i++) {
    // p_cont_id(2) n_transfer_syn(1) reserved(1) abstract_syntax(16 + 4)
    if (p + 24 > pdu.avail) return;
    const id = u16(b, p, pdu.le);
    const nTransfer = b[p + 2];
    const uuid = uuidAt(b, p + 4, pdu.le);
    const major = u16(b, p + 20, pdu.le);
    if (contexts.size < MAX_CONTEXTS || contexts.has(id)) contexts.set(id, { uuid, major });
    if (uuid === EPM_UUID && major === EPM_MAJOR) f.endpointMapper = true;
    if (f.interfaces.length < MAX_INTERFACES && !f.interfaces.includes(uuid)) f.interfaces.push(uuid);
    p += 24 + 20 * nTransfer;
  }
}

/**
 * Null when a bind_ack accepted at least one context (or lists none readable); else the
 * reason of the first rejected one.
 */
function bindAckRejection(b: Uint8Array, pdu: Pdu): string | null {
  const s = pdu.start;
  if (s + 26 > pdu.avail) return null;
  // sec_addr: port_spec length(2) and bytes, then aligned to 4 from the PDU start
  let p = s + 26 + u16(b, s + 24, pdu.le);
  p = s + ((p - s + 3) & ~3);
  if (p + 4 > pdu.avail) return null;
  const n = b[p];
  if (n === 0) return null;
  let first: string | null = null;
  p += 4;
  for (let i = 0; i < n && p + 24 <= pdu.avail; i++, p += 24) {
    const result = u16(b, p, pdu.le);
    if (result === 0) return null;
    // 3 (negotiate_ack) answers the bind-time feature negotiation, not a context
    if (result !== 3 && first === null) first = CONTEXT_REASONS[u16(b, p + 2, pdu.le)] ?? `reason ${u16(b, p + 2, pdu.le)}`;
  }
  return first;
}

/** [start, end) of a response's stub data: after its 8 fixed bytes, before any auth trailer and its padding. */
function stubRange(b: Uint8Array, pdu: Pdu): [number, number] | null {
  const start = pdu.start + 24;
  let end = pdu.end;
  if (pdu.authLength > 0) {
    const trailer = pdu.end - pdu.authLength - 8;
    if (trailer < start) return null;
    end = trailer - b[trailer + 2]; // auth_pad_length
  }
  return end >= start ? [start, end] : null;
}

/**
 * ept_map's out parameters (NDR, 32-bit): entry_handle (20), num_towers, the towers'
 * conformant varying array of pointers (max, offset, actual, referents), each non-null
 * tower (twr_t: conformance, tower_length, octets, aligned to 4), then the status.
 */
function eptMapResult(s: Uint8Array, le: boolean): { status: number; port: number | null; host: string | null } | null {
  if (s.length < 40) return null;
  const actual = u32(s, 32, le);
  if (actual > MAX_TOWERS) return null;
  let p = 36 + 4 * actual;
  let port: number | null = null;
  let host: string | null = null;
  for (let i = 0; i < actual; i++) {
    if (u32(s, 36 + 4 * i, le) === 0) continue; // null pointer: no tower
    p = (p + 3) & ~3;
    if (p + 8 > s.length) return null;
    const len = u32(s, p + 4, le);
    if (len > s.length - p - 8) return null;
    if (port === null) {
      const t = towerEndpoint(s.subarray(p + 8, p + 8 + len));
      port = t.port;
      if (port !== null) host = t.host;
    }
    p += 8 + len;
  }
  p = (p + 3) & ~3;
  if (p + 4 > s.length) return null;
  return { status: u32(s, p, le), port, host };
}

/** The TCP port (floor 0x07) and IPv4 address (floor 0x09) of a protocol tower. */
function towerEndpoint(t: Uint8Array): { port: number | null; host: string | null } {
  let port: number | null = null;
  let host: string | null = null;
  if (t.length < 2) return { port, host };
  const floors = Math.min(t[0] | (t[1] << 8), MAX_FLOORS);
  let p = 2;
  for (let i = 0; i < floors; i++) {
    if (p + 2 > t.length) break;
    const lhsLen = t[p] | (t[p + 1] << 8);
    const lhs = p + 2;
    if (lhsLen < 1 || lhs + lhsLen + 2 > t.length) break;
    const rhsLen = t[lhs + lhsLen] | (t[lhs + lhsLen + 1] << 8);
    const rhs = lhs + lhsLen + 2;
    if (rhs + rhsLen > t.length) break;
    if (t[lhs] === 0x07 && rhsLen >= 2) port = (t[rhs] << 8) | t[rhs + 1];
    else if (t[lhs] === 0x09 && rhsLen >= 4) host = `${t[rhs]}.${t[rhs + 1]}.${t[rhs + 2]}.${t[rhs + 3]}`;
    p = rhs + rhsLen;
  }
  return { port, host };
}
