// Tiny byte builders for tests: classic pcap and pcapng files, and the frames inside them
// (link headers, IPv4/IPv6 with options and extension headers, TCP/UDP/ICMP). Everything
// returns a Buffer; nothing here computes checksums (pantap never looks at them).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BufferPool, readCapture, type FileReport } from '../../src/capture/reader.js';
import {
  REC_CAPLEN,
  REC_LINKTYPE,
  REC_OFFSET,
  REC_ORIGLEN,
  REC_TS_NSEC,
  REC_TS_SEC,
  REC_WORDS,
  type RecordBatch,
} from '../../src/capture/records.js';
import {
  F_COUNT,
  F_DPORT,
  F_DST,
  F_ETHERTYPE,
  F_FRAG,
  F_ICMPERR,
  F_IPID,
  F_KIND,
  F_PROTO,
  F_SPORT,
  F_SRC,
  F_TCPFLAGS,
  R_OK,
  newPacketFields,
  type PacketFields,
} from '../../src/decode/fields.js';
import { decodeRecord } from '../../src/decode/link.js';
import type { FlowTable } from '../../src/flow/table.js';

export type Bytes = Buffer | Uint8Array | number[];

export const cat = (...parts: Bytes[]): Buffer => Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p as number[]))));

export function u16(v: number, le = false): Buffer {
  const b = Buffer.alloc(2);
  if (le) b.writeUInt16LE(v & 0xffff);
  else b.writeUInt16BE(v & 0xffff);
  return b;
}

export function u32(v: number, le = false): Buffer {
  const b = Buffer.alloc(4);
  if (le) b.writeUInt32LE(v >>> 0);
  else b.writeUInt32BE(v >>> 0);
  return b;
}

/** 64-bit value split into two 32-bit words (as pcapng stores timestamps: high word first). */
export function hiLo(v: bigint): [number, number] {
  return [Number((v >> 32n) & 0xffffffffn), Number(v & 0xffffffffn)];
}

const pad4 = (n: number): number => (n + 3) & ~3;

// ---------------------------------------------------------------------------------------
// Temp files

export interface TempDir {
  dir: string;
  /** Writes `bytes` to dir/name and returns the path. */
  file(name: string, bytes: Bytes | string): string;
  remove(): void;
}

export function tempDir(prefix = 'pantap-test-'): TempDir {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    file(name, bytes) {
      const p = join(dir, name);
      writeFileSync(p, typeof bytes === 'string' ? bytes : Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes as number[]));
      return p;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------
// Classic pcap

export interface PcapRecord {
  sec: number;
  /** Microseconds, or nanoseconds for nsec files. */
  frac: number;
  data: Bytes;
  /** Header caplen; defaults to data length (set it to lie). */
  caplen?: number;
  /** Defaults to caplen. */
  origlen?: number;
}

export interface PcapOptions {
  nsec?: boolean;
  /** Kuznetzov's patched format (magic a1b2cd34, 24-byte record headers). */
  kuznetzov?: boolean;
  le?: boolean;
  /** LINKTYPE; default 1 (Ethernet). */
  linktype?: number;
  /** FCS length in bytes announced in the link-type field (P bit 26, length in bits 28-31). */
  fcsBytes?: number;
  /** The raw 32-bit link-type field, overriding linktype/fcsBytes. */
  linkField?: number;
  snaplen?: number;
  major?: number;
  minor?: number;
}

export const MAGIC_USEC = 0xa1b2c3d4;
export const MAGIC_NSEC = 0xa1b23c4d;
export const MAGIC_KUZ = 0xa1b2cd34;

export function pcapHeader(o: PcapOptions = {}): Buffer {
  const le = o.le ?? true;
  const magic = o.kuznetzov ? MAGIC_KUZ : o.nsec ? MAGIC_NSEC : MAGIC_USEC;
  const fcsWords = (o.fcsBytes ?? 0) / 2;
  const field = o.linkField ?? ((o.linktype ?? 1) | (o.fcsBytes ? 0x04000000 | (fcsWords << 28) : 0));
  return cat(u32(magic, le), u16(o.major ?? 2, le), u16(o.minor ?? 4, le), u32(0, le), u32(0, le), u32(o.snaplen ?? 65535, le), u32(field, le));
}

export function pcapRecord(r: PcapRecord, o: PcapOptions = {}): Buffer {
  const le = o.le ?? true;
  const data = cat(r.data);
  const caplen = r.caplen ?? data.length;
  const hdr = cat(u32(r.sec, le), u32(r.frac, le), u32(caplen, le), u32(r.origlen ?? caplen, le));
  // Kuznetzov: ifindex(4) protocol(2) pkt_type(1) pad(1)
  return o.kuznetzov ? cat(hdr, u32(3, le), u16(0x0800, le), [0, 0], data) : cat(hdr, data);
}

export function pcap(records: PcapRecord[], o: PcapOptions = {}): Buffer {
  return cat(pcapHeader(o), ...records.map((r) => pcapRecord(r, o)));
}

// ---------------------------------------------------------------------------------------
// pcapng

export interface BlockOptions {
  le?: boolean;
  /** Overrides the leading length. */
  len?: number;
  /** Overrides the trailing length. */
  trailer?: number;
}

/** A block: type, length, body (padded to 4), length. */
export function block(type: number, body: Bytes, o: BlockOptions = {}): Buffer {
  const le = o.le ?? true;
  const b = cat(body);
  const padded = cat(b, Buffer.alloc(pad4(b.length) - b.length));
  const len = 12 + padded.length;
  return cat(u32(type, le), u32(o.len ?? len, le), padded, u32(o.trailer ?? o.len ?? len, le));
}

export interface Opt {
  code: number;
  value: Bytes;
}

/** An options list (each padded to 4) with opt_endofopt, or empty when there are none. */
export function options(opts: Opt[], le = true): Buffer {
  if (opts.length === 0) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  for (const op of opts) {
    const v = cat(op.value);
    parts.push(u16(op.code, le), u16(v.length, le), v, Buffer.alloc(pad4(v.length) - v.length));
  }
  parts.push(Buffer.alloc(4));
  return cat(...parts);
}

export const OPT_COMMENT = 1;
export const OPT_IF_TSRESOL = 9;
export const OPT_IF_FCSLEN = 13;
export const OPT_IF_TSOFFSET = 14;

/** if_tsresol: 10^-n when `pow2` is false, 2^-n when true. */
export const tsresol = (n: number, pow2 = false): Opt => ({ code: OPT_IF_TSRESOL, value: [(pow2 ? 0x80 : 0) | n] });

/** if_tsoffset in seconds (64-bit, in the section's byte order). */
export function tsoffset(sec: bigint, le = true): Opt {
  const b = Buffer.alloc(8);
  if (le) b.writeBigInt64LE(sec);
  else b.writeBigInt64BE(sec);
  return { code: OPT_IF_TSOFFSET, value: b };
}

export const comment = (text: string): Opt => ({ code: OPT_COMMENT, value: Buffer.from(text) });

export const BT_SHB = 0x0a0d0d0a;
export const BT_IDB = 1;
export const BT_OPB = 2;
export const BT_SPB = 3;
export const BT_NRB = 4;
export const BT_ISB = 5;
export const BT_EPB = 6;
export const BT_CUSTOM = 0x00000bad;
export const BT_CUSTOM_NOCOPY = 0x40000bad;

export interface ShbOptions extends BlockOptions {
  major?: number;
  minor?: number;
  opts?: Opt[];
}

export function shb(o: ShbOptions = {}): Buffer {
  const le = o.le ?? true;
  const body = cat(u32(0x1a2b3c4d, le), u16(o.major ?? 1, le), u16(o.minor ?? 0, le), u32(0xffffffff, le), u32(0xffffffff, le), options(o.opts ?? [], le));
  return block(BT_SHB, body, o);
}

export interface IdbOptions extends BlockOptions {
  linktype?: number;
  snaplen?: number;
  opts?: Opt[];
}

export function idb(o: IdbOptions = {}): Buffer {
  const le = o.le ?? true;
  return block(BT_IDB, cat(u16(o.linktype ?? 1, le), u16(0, le), u32(o.snaplen ?? 0, le), options(o.opts ?? [], le)), o);
}

export interface EpbOptions extends BlockOptions {
  ifId?: number;
  /** Timestamp in interface units (64-bit). */
  ts?: bigint;
  data: Bytes;
  caplen?: number;
  origlen?: number;
  opts?: Opt[];
}

export function epb(o: EpbOptions): Buffer {
  const le = o.le ?? true;
  const data = cat(o.data);
  const [hi, lo] = hiLo(o.ts ?? 0n);
  const caplen = o.caplen ?? data.length;
  const body = cat(u32(o.ifId ?? 0, le), u32(hi, le), u32(lo, le), u32(caplen, le), u32(o.origlen ?? caplen, le), data, Buffer.alloc(pad4(data.length) - data.length), options(o.opts ?? [], le));
  return block(BT_EPB, body, o);
}

/** The obsolete Packet Block: 16-bit interface id and drops count. */
export function opb(o: EpbOptions & { drops?: number }): Buffer {
  const le = o.le ?? true;
  const data = cat(o.data);
  const [hi, lo] = hiLo(o.ts ?? 0n);
  const caplen = o.caplen ?? data.length;
  const body = cat(u16(o.ifId ?? 0, le), u16(o.drops ?? 0, le), u32(hi, le), u32(lo, le), u32(caplen, le), u32(o.origlen ?? caplen, le), data, Buffer.alloc(pad4(data.length) - data.length), options(o.opts ?? [], le));
  return block(BT_OPB, body, o);
}

export function spb(o: BlockOptions & { data: Bytes; origlen?: number }): Buffer {
  const le = o.le ?? true;
  const data = cat(o.data);
  return block(BT_SPB, cat(u32(o.origlen ?? data.length, le), data), o);
}

/** Name Resolution Block with one IPv4 record (and nrb_record_end). */
export function nrb(o: BlockOptions & { ip?: Bytes; name?: string } = {}): Buffer {
  const le = o.le ?? true;
  const value = cat(o.ip ?? [10, 0, 0, 1], Buffer.from(`${o.name ?? 'fw.example'}\0`));
  const rec = cat(u16(1, le), u16(value.length, le), value, Buffer.alloc(pad4(value.length) - value.length));
  return block(BT_NRB, cat(rec, u32(0, le)), o);
}

/** Interface Statistics Block. */
export function isb(o: BlockOptions & { ifId?: number; ts?: bigint } = {}): Buffer {
  const le = o.le ?? true;
  const [hi, lo] = hiLo(o.ts ?? 0n);
  return block(BT_ISB, cat(u32(o.ifId ?? 0, le), u32(hi, le), u32(lo, le)), o);
}

/** Custom block: private enterprise number then data. */
export function customBlock(o: BlockOptions & { pen?: number; data?: Bytes; copy?: boolean } = {}): Buffer {
  const le = o.le ?? true;
  return block(o.copy === false ? BT_CUSTOM_NOCOPY : BT_CUSTOM, cat(u32(o.pen ?? 25461, le), o.data ?? [1, 2, 3]), o);
}

// ---------------------------------------------------------------------------------------
// Addresses

export function mac(s: string): Buffer {
  return Buffer.from(s.split(':').map((h) => parseInt(h, 16)));
}

export function ip4(s: string): Buffer {
  return Buffer.from(s.split('.').map(Number));
}

export function ip6(s: string): Buffer {
  const [head, tail] = s.includes('::') ? s.split('::') : [s, null];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === null ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return cat(...groups.map((g) => u16(parseInt(g, 16))));
}

/** IPv4 address as the decoder's uint32 word. */
export const ip4Word = (s: string): number => ip4(s).readUInt32BE(0);
/** IPv6 address as the decoder's four big-endian words. */
export const ip6Words = (s: string): number[] => {
  const b = ip6(s);
  return [0, 4, 8, 12].map((i) => b.readUInt32BE(i));
};
/** MAC as the decoder's [hi16, lo32] words. */
export const macWords = (s: string): [number, number] => {
  const b = mac(s);
  return [b.readUInt16BE(0), b.readUInt32BE(2)];
};

// ---------------------------------------------------------------------------------------
// Link layer

export const ETH_IPV4 = 0x0800;
export const ETH_IPV6 = 0x86dd;
export const ETH_ARP = 0x0806;
export const ETH_HA2 = 0x7261;

export const MAC_A = '00:1b:17:00:01:10';
export const MAC_B = '00:1b:17:00:02:20';

export interface EthOptions {
  dst?: string;
  src?: string;
  /** Tags outermost first: [tpid, tci]. */
  tags?: [number, number][];
  ethertype: number;
  payload: Bytes;
}

export function eth(o: EthOptions): Buffer {
  const tags = (o.tags ?? []).map(([tpid, tci]) => cat(u16(tpid), u16(tci)));
  return cat(mac(o.dst ?? MAC_B), mac(o.src ?? MAC_A), ...tags, u16(o.ethertype), o.payload);
}

/** 802.3 frame with a length field and an LLC header (no SNAP). */
export function llc(o: { dst?: string; src?: string; dsap?: number; ssap?: number; ctrl?: number; payload?: Bytes }): Buffer {
  const body = cat([o.dsap ?? 0x42, o.ssap ?? 0x42, o.ctrl ?? 0x03], o.payload ?? Buffer.alloc(35));
  return cat(mac(o.dst ?? '01:80:c2:00:00:00'), mac(o.src ?? MAC_A), u16(body.length), body);
}

/** 802.3 frame with LLC AA AA 03 + SNAP (OUI 0) carrying `ethertype`. */
export function snap(o: { dst?: string; src?: string; ethertype: number; payload: Bytes }): Buffer {
  const body = cat([0xaa, 0xaa, 0x03, 0, 0, 0], u16(o.ethertype), o.payload);
  return cat(mac(o.dst ?? MAC_B), mac(o.src ?? MAC_A), u16(body.length), body);
}

/** Linux cooked capture v1 (16-byte header). */
export function sll(o: { pktType?: number; hatype?: number; addr?: string; protocol: number; payload: Bytes }): Buffer {
  const a = mac(o.addr ?? MAC_A);
  const addr = cat(a, Buffer.alloc(8 - a.length));
  return cat(u16(o.pktType ?? 0), u16(o.hatype ?? 1), u16(a.length), addr, u16(o.protocol), o.payload);
}

/** Linux cooked capture v2 (20-byte header). */
export function sll2(o: { protocol: number; ifindex?: number; hatype?: number; pktType?: number; addr?: string; payload: Bytes }): Buffer {
  const a = mac(o.addr ?? MAC_A);
  const addr = cat(a, Buffer.alloc(8 - a.length));
  return cat(u16(o.protocol), u16(0), u32(o.ifindex ?? 2), u16(o.hatype ?? 1), [o.pktType ?? 0, a.length], addr, o.payload);
}

/** BSD loopback (LINKTYPE_NULL): the address family in the capturing host's byte order. */
export const nullHdr = (af: number, le: boolean, payload: Bytes): Buffer => cat(u32(af, le), payload);

/** OpenBSD loopback (LINKTYPE_LOOP): the address family always big-endian. */
export const loopHdr = (af: number, payload: Bytes): Buffer => cat(u32(af, false), payload);

// ---------------------------------------------------------------------------------------
// IPv4 / IPv6

export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
export const PROTO_ICMPV6 = 58;

export interface Ipv4Options {
  src?: string;
  dst?: string;
  proto: number;
  id?: number;
  /** More-fragments flag. */
  mf?: boolean;
  df?: boolean;
  /** Fragment offset in 8-byte units. */
  fragOffset?: number;
  /** Options bytes (padded to a multiple of 4 with zeros). */
  options?: Bytes;
  ttl?: number;
  payload: Bytes;
  /** Override the total length field. */
  totalLength?: number;
  /** Override the IHL field (in 32-bit words). */
  ihl?: number;
  version?: number;
}

export function ipv4(o: Ipv4Options): Buffer {
  const opts0 = cat(o.options ?? []);
  const opts = cat(opts0, Buffer.alloc(pad4(opts0.length) - opts0.length));
  const ihlWords = o.ihl ?? 5 + opts.length / 4;
  const payload = cat(o.payload);
  const total = o.totalLength ?? 20 + opts.length + payload.length;
  const ff = (o.df ? 0x4000 : 0) | (o.mf ? 0x2000 : 0) | ((o.fragOffset ?? 0) & 0x1fff);
  return cat(
    [((o.version ?? 4) << 4) | (ihlWords & 15), 0],
    u16(total),
    u16(o.id ?? 0x1234),
    u16(ff),
    [o.ttl ?? 64, o.proto],
    u16(0),
    ip4(o.src ?? '10.0.0.1'),
    ip4(o.dst ?? '10.0.0.2'),
    opts,
    payload,
  );
}

export interface Ipv6Options {
  src?: string;
  dst?: string;
  /** Next header after the fixed header (the first extension, or the transport). */
  next: number;
  payload: Bytes;
  payloadLength?: number;
  hopLimit?: number;
}

export function ipv6(o: Ipv6Options): Buffer {
  const payload = cat(o.payload);
  return cat([0x60, 0, 0, 0], u16(o.payloadLength ?? payload.length), [o.next, o.hopLimit ?? 64], ip6(o.src ?? '2001:db8::1'), ip6(o.dst ?? '2001:db8::2'), payload);
}

export const EXT_HOPOPTS = 0;
export const EXT_ROUTING = 43;
export const EXT_FRAGMENT = 44;
export const EXT_AH = 51;
export const EXT_DSTOPTS = 60;

/** Hop-by-hop or destination options: next, len (8-byte units - 1), PadN to fill. */
export function ext6Options(next: number, units = 1): Buffer {
  const len = units * 8;
  const padN = len - 2;
  // One PadN option covering the rest: type 1, length padN-2, zeros.
  return cat([next, units - 1, 1, padN - 2], Buffer.alloc(padN - 2));
}

/** Type 0 / type 2 routing header with `addrs` addresses. */
export function ext6Routing(next: number, addrs: string[], type = 2): Buffer {
  return cat([next, addrs.length * 2, type, addrs.length, 0, 0, 0, 0], ...addrs.map(ip6));
}

export function ext6Fragment(next: number, o: { offset?: number; more?: boolean; id?: number } = {}): Buffer {
  return cat([next, 0], u16(((o.offset ?? 0) << 3) | (o.more ? 1 : 0)), u32(o.id ?? 0xdeadbeef));
}

/** Authentication header with `icvWords` 32-bit words of ICV; length field = total/4 - 2. */
export function ext6Ah(next: number, icvWords = 3): Buffer {
  const total = 12 + icvWords * 4;
  return cat([next, total / 4 - 2, 0, 0], u32(0x1000), u32(1), Buffer.alloc(icvWords * 4));
}

// ---------------------------------------------------------------------------------------
// Transport

export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;

export function tcp(o: { sport: number; dport: number; flags?: number; seq?: number; ack?: number; dataOffset?: number; payload?: Bytes; options?: Bytes }): Buffer {
  const opts0 = cat(o.options ?? []);
  const opts = cat(opts0, Buffer.alloc(pad4(opts0.length) - opts0.length));
  const doff = o.dataOffset ?? 5 + opts.length / 4;
  return cat(u16(o.sport), u16(o.dport), u32(o.seq ?? 1000), u32(o.ack ?? 0), [doff << 4, o.flags ?? 0], u16(65535), u16(0), u16(0), opts, o.payload ?? []);
}

export function udp(o: { sport: number; dport: number; payload?: Bytes; length?: number }): Buffer {
  const payload = cat(o.payload ?? []);
  return cat(u16(o.sport), u16(o.dport), u16(o.length ?? 8 + payload.length), u16(0), payload);
}

export function icmpEcho(o: { reply?: boolean; id?: number; seq?: number; payload?: Bytes } = {}): Buffer {
  return cat([o.reply ? 0 : 8, 0], u16(0), u16(o.id ?? 1), u16(o.seq ?? 1), o.payload ?? Buffer.alloc(8));
}

/** ICMP error (default: destination unreachable, port unreachable) quoting `quoted`. */
export function icmpError(quoted: Bytes, o: { type?: number; code?: number } = {}): Buffer {
  return cat([o.type ?? 3, o.code ?? 3], u16(0), u32(0), quoted);
}

/** ICMPv6 error (default: destination unreachable, port unreachable) quoting `quoted`. */
export function icmp6Error(quoted: Bytes, o: { type?: number; code?: number } = {}): Buffer {
  return cat([o.type ?? 1, o.code ?? 4], u16(0), u32(0), quoted);
}

export function icmp6Echo(o: { reply?: boolean } = {}): Buffer {
  return cat([o.reply ? 129 : 128, 0], u16(0), u16(1), u16(1));
}

// ---------------------------------------------------------------------------------------
// Reading helpers

export interface Rec {
  /** File offset (after decompression) of the packet's first byte. */
  offset: number;
  sec: number;
  nsec: number;
  caplen: number;
  origlen: number;
  /** Link word: LINKTYPE in the low 16 bits, FCS bytes in bits 16-23. */
  link: number;
  data: Buffer;
}

/** Copies the records of a batch out (with file offsets) and releases its buffers. */
export function recordsOf(batch: RecordBatch): Rec[] {
  const idx = new Uint32Array(batch.index, 0, batch.count * REC_WORDS);
  const data = Buffer.from(batch.data);
  const out: Rec[] = [];
  for (let r = 0; r < batch.count; r++) {
    const o = r * REC_WORDS;
    const off = idx[o + REC_OFFSET];
    const caplen = idx[o + REC_CAPLEN];
    out.push({
      offset: batch.fileOffset + off,
      sec: idx[o + REC_TS_SEC],
      nsec: idx[o + REC_TS_NSEC],
      caplen,
      origlen: idx[o + REC_ORIGLEN],
      link: idx[o + REC_LINKTYPE],
      data: Buffer.from(data.subarray(off, off + caplen)),
    });
  }
  return out;
}

export interface ReadResult {
  report: FileReport;
  records: Rec[];
  batches: number;
}

/** Reads a capture with readCapture, copying out every record. */
export async function readAll(path: string, o: { pool?: BufferPool; stdin?: NodeJS.ReadableStream; signal?: AbortSignal } = {}): Promise<ReadResult> {
  const pool = o.pool ?? new BufferPool(1 << 20, 4096);
  const records: Rec[] = [];
  let batches = 0;
  const report = await readCapture(path, {
    fileIndex: 0,
    seqBase: 0,
    pool,
    stdin: o.stdin,
    signal: o.signal,
    submit(batch) {
      batches++;
      records.push(...recordsOf(batch));
      pool.release(batch);
    },
  });
  return { report, records, batches };
}

// ---------------------------------------------------------------------------------------
// Decoding helpers

export interface Decoded {
  status: number;
  /** A copy of every packet-field slot after decoding. */
  f: number[];
}

/** The packet fields the helpers below decode into (one block, reused, as a decode loop does). */
const testFields: PacketFields = newPacketFields();

/**
 * Runs decodeRecord on `frame` placed at a non-zero offset in a larger buffer surrounded
 * by 0xee bytes (so reads past the frame's end would show up as wrong values), into `pf`
 * (first filled with 0xabcdef, so slots the decoder leaves alone show). Returns the status.
 */
export function decodeInto(pf: PacketFields, frame: Bytes, link: number, o: { origlen?: number; caplen?: number; fcs?: number; at?: number } = {}): number {
  const f = cat(frame);
  const at = o.at ?? 37;
  const buf = Buffer.alloc(at + f.length + 64, 0xee);
  f.copy(buf, at);
  const ab = new ArrayBuffer(buf.length);
  const u8 = new Uint8Array(ab);
  u8.set(buf);
  const caplen = o.caplen ?? f.length;
  pf.fill(0xabcdef);
  return decodeRecord(pf, u8, new DataView(ab), at, caplen, o.origlen ?? caplen, (link & 0xffff) | ((o.fcs ?? 0) << 16));
}

/** decodeInto a fresh field block; returns the status and a copy of every slot. */
export function decode(frame: Bytes, link: number, o: { origlen?: number; caplen?: number; fcs?: number; at?: number } = {}): Decoded {
  const pf = newPacketFields();
  const status = decodeInto(pf, frame, link, o);
  return { status, f: Array.from(pf.subarray(0, F_COUNT)) };
}

/** The packet fields of `frame` (raw IP unless `link`), which must decode; a fresh block. */
export function fieldsOf(frame: Bytes, link = 101): PacketFields {
  const pf = newPacketFields();
  const st = decodeInto(pf, frame, link);
  if (st !== R_OK) throw new Error(`test frame did not decode (status ${st})`);
  return pf;
}

/** The decoder's slots by name (addresses as their four words). */
export interface Fields {
  kind: number;
  proto: number;
  src: number[];
  dst: number[];
  sport: number;
  dport: number;
  flags: number;
  ethertype: number;
  frag: number;
  ipid: number;
  icmperr: number;
}

export function fields(d: Decoded): Fields {
  const f = d.f;
  return {
    kind: f[F_KIND],
    proto: f[F_PROTO],
    src: f.slice(F_SRC, F_SRC + 4),
    dst: f.slice(F_DST, F_DST + 4),
    sport: f[F_SPORT],
    dport: f[F_DPORT],
    flags: f[F_TCPFLAGS],
    ethertype: f[F_ETHERTYPE],
    frag: f[F_FRAG],
    ipid: f[F_IPID],
    icmperr: f[F_ICMPERR],
  };
}

/** A record batch (as the reader would build it) holding `frames`, all of link type `link`. */
export function batchOf(frames: { frame: Bytes; tsUs?: number; origlen?: number }[], opts: { seqBase?: number; link?: number; fileIndex?: number } = {}): RecordBatch {
  const total = frames.reduce((a, f) => a + cat(f.frame).length + 3, 16);
  const data = new ArrayBuffer(total);
  const u8 = new Uint8Array(data);
  const index = new ArrayBuffer(Math.max(1, frames.length) * REC_WORDS * 4);
  const idx = new Uint32Array(index);
  let pos = 5; // frames start at odd offsets, as they can in a real batch
  frames.forEach((f, r) => {
    const b = cat(f.frame);
    u8.set(b, pos);
    const ts = f.tsUs ?? 0;
    const o = r * REC_WORDS;
    idx[o + REC_OFFSET] = pos;
    idx[o + REC_CAPLEN] = b.length;
    idx[o + REC_ORIGLEN] = f.origlen ?? b.length;
    idx[o + REC_TS_SEC] = Math.floor(ts / 1e6);
    idx[o + REC_TS_NSEC] = (ts % 1e6) * 1000;
    idx[o + REC_LINKTYPE] = opts.link ?? 101;
    pos += b.length + 3;
  });
  return { data, index, count: frames.length, seqBase: opts.seqBase ?? 0, fileIndex: opts.fileIndex ?? 0, fileOffset: 0 };
}

/** Decodes `frame` (raw IP unless `link`) into the helpers' packet fields and counts it in `t`; returns the slot. */
export function addFrame(t: FlowTable, frame: Bytes, seq: number, tsUs: number, bytes = 100, link = 101): number {
  const st = decodeInto(testFields, frame, link);
  if (st !== R_OK) throw new Error(`test frame did not decode (status ${st})`);
  return t.addPacket(testFields, seq, tsUs, bytes);
}
