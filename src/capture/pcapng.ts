// pcapng framing: sections (each with its own byte order and interfaces), IDB options
// if_tsresol / if_tsoffset / if_fcslen, EPB, SPB and the obsolete OPB. Every other block
// is skipped by its length, even when it is larger than the read window.
import { CaptureError } from '../errors.js';
import { type Framer, Warnings } from './framer.js';
import {
  MAX_CAPLEN,
  REC_CAPLEN,
  REC_LINKTYPE,
  REC_OFFSET,
  REC_ORIGLEN,
  REC_TS_NSEC,
  REC_TS_SEC,
  REC_WORDS,
} from './records.js';

export const BT_SHB = 0x0a0d0d0a;
export const BT_IDB = 0x00000001;
export const BT_OPB = 0x00000002;
export const BT_SPB = 0x00000003;
export const BT_EPB = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/** Blocks we must hold whole in the window are bounded so a corrupt length cannot stall us. */
const MAX_PARSED_BLOCK = MAX_CAPLEN + 64 * 1024;

const OPT_END = 0;
const OPT_IF_TSRESOL = 9;
const OPT_IF_FCSLEN = 13;
const OPT_IF_TSOFFSET = 14;

const TWO32 = 4294967296;

interface Iface {
  linkWord: number;
  snaplen: number;
  /** Timestamp units per second when a power of ten (10^n), else 0. */
  div10: number;
  /** Fractional bits when the resolution is a power of two, else -1. */
  shift2: number;
  /** if_tsoffset, seconds added to every timestamp. */
  offset: number;
}

export class PcapngFramer implements Framer {
  readonly format = 'pcapng';
  count = 0;
  skipping = 0;
  /** File offset of the block being skipped while `skipping` > 0 (where a cut file is truncated). */
  skipFrom = 0;
  /** Length of that block, to check against its trailing copy once that arrives. */
  private skipLen = 0;
  needed = 0;
  readonly warnings = new Warnings();
  sections = 0;
  private le = true;
  private ifaces: Iface[] = [];
  /** Link types of every interface seen, in order (for the report). */
  readonly linktypes: number[] = [];
  // Scratch results of tsToSecNsec, kept as fields to avoid allocating per packet.
  private tsSec = 0;
  private tsNsec = 0;

  constructor(private readonly file: string) {}

  frame(buf: Uint8Array, dv: DataView, start: number, end: number, base: number, idx: Uint32Array, maxRecs: number): number {
    let pos = start;
    if (this.skipping > 0) {
      // Skip up to the trailing length, then check it as for a block held whole: where the
      // window ends must not decide whether a bad block is noticed.
      if (this.skipping > 4) {
        const n = Math.min(this.skipping - 4, end - pos);
        this.skipping -= n;
        pos += n;
      }
      if (this.skipping > 4 || end - pos < 4) return pos;
      const trailer = dv.getUint32(pos, this.le);
      this.skipping = 0;
      pos += 4;
      if (trailer !== this.skipLen) this.corrupt(`block length ${this.skipLen} does not match its trailing copy`, this.skipFrom);
    }
    let n = this.count;
    // type, length and (in a section header) the byte-order magic that says how to read it
    let needed = 12;
    while (n < maxRecs && end - pos >= 12) {
      const type = dv.getUint32(pos, this.le);
      // The SHB type reads the same in both byte orders, so it is found before we know ours.
      if (type === BT_SHB) {
        const bomLE = dv.getUint32(pos + 8, true);
        if (bomLE === BYTE_ORDER_MAGIC) this.le = true;
        else if (dv.getUint32(pos + 8, false) === BYTE_ORDER_MAGIC) this.le = false;
        else this.corrupt(`section header block has no byte-order magic (found 0x${bomLE.toString(16)})`, base + pos + 8);
      } else if (this.sections === 0) {
        this.corrupt('pcapng file does not start with a section header block', base + pos);
      }
      const le = this.le;
      const len = dv.getUint32(pos + 4, le);
      if (len % 4 !== 0 || len < minLength(type)) {
        this.corrupt(`block of type 0x${type.toString(16)} has invalid length ${len}`, base + pos);
      }
      const parsed = type === BT_SHB || type === BT_IDB || type === BT_EPB || type === BT_SPB || type === BT_OPB;
      if (!parsed) {
        // Skipped by length (NRB, ISB, DSB, custom, unknown). One that runs past the window
        // is skipped across windows, up to its trailer, which is checked when it arrives.
        if (end - pos < len) {
          const n = Math.min(len - 4, end - pos);
          this.skipping = len - n;
          this.skipFrom = base + pos;
          this.skipLen = len;
          pos += n;
          break;
        }
        if (dv.getUint32(pos + len - 4, le) !== len) this.corrupt(`block length ${len} does not match its trailing copy`, base + pos);
        pos += len;
        continue;
      }
      if (len > MAX_PARSED_BLOCK) this.corrupt(`block of type 0x${type.toString(16)} claims ${len} bytes`, base + pos);
      if (end - pos < len) {
        needed = len;
        break;
      }
      if (dv.getUint32(pos + len - 4, le) !== len) this.corrupt(`block length ${len} does not match its trailing copy`, base + pos);
      switch (type) {
        case BT_SHB: {
          const major = dv.getUint16(pos + 12, le);
          if (major !== 1) this.corrupt(`unsupported pcapng version ${major}.${dv.getUint16(pos + 14, le)}`, base + pos + 12);
          this.sections++;
          this.ifaces = [];
          break;
        }
        case BT_IDB:
          this.readIdb(dv, pos, len);
          break;
        case BT_EPB:
        case BT_OPB: {
          const ifId = type === BT_EPB ? dv.getUint32(pos + 8, le) : dv.getUint16(pos + 8, le);
          const ifc = this.ifaces[ifId];
          if (ifc === undefined) this.corrupt(`packet block refers to undefined interface ${ifId}`, base + pos);
          const caplen = dv.getUint32(pos + 20, le);
          if (caplen > MAX_CAPLEN) this.corrupt(`corrupt record: caplen ${caplen} exceeds the ${MAX_CAPLEN}-byte bound`, base + pos);
          if (28 + caplen + 4 > len) this.corrupt(`packet block of ${len} bytes is too short for ${caplen} bytes of packet data`, base + pos);
          this.tsToSecNsec(ifc, dv.getUint32(pos + 12, le), dv.getUint32(pos + 16, le));
          const o = n * REC_WORDS;
          idx[o + REC_OFFSET] = pos + 28;
          idx[o + REC_CAPLEN] = caplen;
          idx[o + REC_ORIGLEN] = dv.getUint32(pos + 24, le);
          idx[o + REC_TS_SEC] = this.tsSec;
          idx[o + REC_TS_NSEC] = this.tsNsec;
          idx[o + REC_LINKTYPE] = ifc.linkWord;
          this.count = ++n; // kept current: a corrupt block later in this window must not lose these
          break;
        }
        case BT_SPB: {
          const ifc = this.ifaces[0];
          if (ifc === undefined) this.corrupt('simple packet block without an interface description', base + pos);
          const origlen = dv.getUint32(pos + 8, le);
          let caplen = Math.min(origlen, len - 16);
          if (ifc.snaplen > 0 && caplen > ifc.snaplen) caplen = ifc.snaplen;
          const o = n * REC_WORDS;
          idx[o + REC_OFFSET] = pos + 12;
          idx[o + REC_CAPLEN] = caplen;
          idx[o + REC_ORIGLEN] = origlen;
          idx[o + REC_TS_SEC] = 0; // SPBs carry no timestamp
          idx[o + REC_TS_NSEC] = 0;
          idx[o + REC_LINKTYPE] = ifc.linkWord;
          this.count = ++n; // kept current: a corrupt block later in this window must not lose these
          break;
        }
      }
      pos += len;
    }
    this.count = n;
    this.needed = needed;
    return pos;
  }

  private corrupt(message: string, offset: number): never {
    throw new CaptureError('FORMAT', this.file, message, offset);
  }

  private readIdb(dv: DataView, pos: number, len: number): void {
    const le = this.le;
    const ifc: Iface = { linkWord: dv.getUint16(pos + 8, le), snaplen: dv.getUint32(pos + 12, le), div10: 1e6, shift2: -1, offset: 0 };
    // Options run from byte 16 to the trailer; a malformed option ends option parsing
    // (the interface stays usable, as in libpcap).
    let p = pos + 16;
    const stop = pos + len - 4;
    while (p + 4 <= stop) {
      const code = dv.getUint16(p, le);
      const olen = dv.getUint16(p + 2, le);
      if (code === OPT_END || p + 4 + olen > stop) break;
      const v = p + 4;
      if (code === OPT_IF_TSRESOL && olen >= 1) {
        const r = dv.getUint8(v);
        if (r & 0x80) {
          ifc.shift2 = r & 0x7f;
          ifc.div10 = 0;
        } else {
          ifc.div10 = 10 ** r;
          ifc.shift2 = -1;
        }
      } else if (code === OPT_IF_TSOFFSET && olen >= 8) {
        ifc.offset = dv.getInt32(le ? v + 4 : v, le) * TWO32 + dv.getUint32(le ? v : v + 4, le);
      } else if (code === OPT_IF_FCSLEN && olen >= 1) {
        // if_fcslen is in bits (pcapng spec; Wireshark reads it so); the link word holds bytes.
        ifc.linkWord = (ifc.linkWord & 0xffff) | ((dv.getUint8(v) >>> 3) << 16);
      }
      p = v + ((olen + 3) & ~3);
    }
    this.ifaces.push(ifc);
    this.linktypes.push(ifc.linkWord & 0xffff);
  }

  /** Splits a 64-bit count of interface time units into seconds and nanoseconds, exactly. */
  private tsToSecNsec(ifc: Iface, hi: number, lo: number): void {
    let sec: number;
    let nsec: number;
    const d = ifc.div10;
    if (d === 1e6) {
      // The common case: microseconds since 1970 stay below 2^53, so plain division is exact.
      const units = hi * TWO32 + lo;
      sec = Math.floor(units / 1e6);
      nsec = (units - sec * 1e6) * 1000;
    } else if (d > 0 && d <= 1e9) {
      // Long division in 16-bit steps keeps every intermediate below 2^53.
      const x = hi * 65536 + (lo >>> 16);
      const qx = Math.floor(x / d);
      const y = (x - qx * d) * 65536 + (lo & 0xffff);
      const qy = Math.floor(y / d);
      sec = qx * 65536 + qy;
      nsec = Math.round(((y - qy * d) * 1e9) / d);
    } else if (d > 1e9) {
      const units = hi * TWO32 + lo; // finer than nanoseconds: precision beyond 2^53 is lost
      sec = Math.floor(units / d);
      nsec = Math.floor(((units - sec * d) * 1e9) / d);
    } else {
      const s = ifc.shift2;
      if (s <= 32) {
        sec = hi * 2 ** (32 - s) + Math.floor(lo / 2 ** s);
        nsec = Math.floor(((lo % 2 ** s) * 1e9) / 2 ** s);
      } else {
        const fracBits = s - 32;
        sec = Math.floor(hi / 2 ** fracBits);
        nsec = Math.floor((((hi % 2 ** fracBits) * TWO32 + lo) * 1e9) / 2 ** s);
      }
    }
    sec += ifc.offset;
    if (nsec >= 1e9) {
      sec += 1;
      nsec -= 1e9;
    }
    this.tsSec = sec >>> 0;
    this.tsNsec = nsec;
  }
}

function minLength(type: number): number {
  switch (type) {
    case BT_SHB:
      return 28;
    case BT_IDB:
      return 20;
    case BT_EPB:
    case BT_OPB:
      return 32;
    case BT_SPB:
      return 16;
    default:
      return 12;
  }
}
