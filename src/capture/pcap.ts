// Classic pcap (libpcap savefile) framing: the four magics (micro/nanosecond, both byte
// orders) plus Kuznetzov's patched format, whose record headers are 8 bytes longer.
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

export const PCAP_HEADER_LEN = 24;

export const MAGIC_USEC = 0xa1b2c3d4;
export const MAGIC_NSEC = 0xa1b23c4d;
export const MAGIC_KUZNETZOV = 0xa1b2cd34;

export class PcapFramer implements Framer {
  readonly format = 'pcap';
  count = 0;
  readonly skipping = 0;
  needed = 0;
  readonly warnings = new Warnings();
  headerDone = false;
  private le = true;
  private nano = false;
  private recHdr = 16;
  snaplen = 0;
  /** LINKTYPE number in the low 16 bits; FCS bytes per frame in bits 16-23. */
  linkWord = 0;
  versionMajor = 0;
  versionMinor = 0;

  constructor(private readonly file: string) {}

  frame(buf: Uint8Array, dv: DataView, start: number, end: number, base: number, idx: Uint32Array, maxRecs: number): number {
    let pos = start;
    if (!this.headerDone) {
      if (end - pos < PCAP_HEADER_LEN) {
        this.needed = PCAP_HEADER_LEN;
        return pos;
      }
      this.readHeader(dv, pos, base);
      pos += PCAP_HEADER_LEN;
    }
    const le = this.le;
    const recHdr = this.recHdr;
    const nsecMul = this.nano ? 1 : 1000;
    const fracPerSec = this.nano ? 1e9 : 1e6;
    const linkWord = this.linkWord;
    const snaplen = this.snaplen;
    let n = this.count;
    let needed = recHdr;
    while (n < maxRecs && end - pos >= recHdr) {
      const caplen = dv.getUint32(pos + 8, le);
      if (caplen > MAX_CAPLEN) {
        this.count = n;
        throw new CaptureError('FORMAT', this.file, `corrupt record: caplen ${caplen} exceeds the ${MAX_CAPLEN}-byte bound`, base + pos);
      }
      if (end - pos - recHdr < caplen) {
        needed = recHdr + caplen;
        break;
      }
      if (caplen > snaplen && snaplen > 0) {
        if (this.warnings.full) this.warnings.suppressed++;
        else this.warnings.add(`record at byte offset ${base + pos} has caplen ${caplen} above the file's snaplen ${snaplen}`);
      }
      const o = n * REC_WORDS;
      idx[o + REC_OFFSET] = pos + recHdr;
      idx[o + REC_CAPLEN] = caplen;
      idx[o + REC_ORIGLEN] = dv.getUint32(pos + 12, le);
      let sec = dv.getUint32(pos, le);
      let frac = dv.getUint32(pos + 4, le);
      if (frac >= fracPerSec) {
        // An invalid fraction (a full second or more): carry it into the seconds rather than
        // let frac * 1000 wrap in the uint32 slot.
        sec += Math.floor(frac / fracPerSec);
        frac %= fracPerSec;
      }
      idx[o + REC_TS_SEC] = sec;
      idx[o + REC_TS_NSEC] = frac * nsecMul;
      idx[o + REC_LINKTYPE] = linkWord;
      n++;
      pos += recHdr + caplen;
    }
    this.count = n;
    this.needed = needed;
    return pos;
  }

  private readHeader(dv: DataView, pos: number, base: number): void {
    const magicBE = dv.getUint32(pos, false);
    const magicLE = dv.getUint32(pos, true);
    let magic: number;
    if (magicBE === MAGIC_USEC || magicBE === MAGIC_NSEC || magicBE === MAGIC_KUZNETZOV) {
      this.le = false;
      magic = magicBE;
    } else {
      this.le = true;
      magic = magicLE;
    }
    this.nano = magic === MAGIC_NSEC;
    this.recHdr = magic === MAGIC_KUZNETZOV ? 24 : 16;
    const le = this.le;
    this.versionMajor = dv.getUint16(pos + 4, le);
    this.versionMinor = dv.getUint16(pos + 6, le);
    if (this.versionMajor !== 2) {
      throw new CaptureError('FORMAT', this.file, `unsupported pcap version ${this.versionMajor}.${this.versionMinor} (expected 2.x)`, base + pos + 4);
    }
    this.snaplen = dv.getUint32(pos + 16, le);
    const network = dv.getUint32(pos + 20, le);
    // The P bit (26) says bits 28-31 carry the FCS length in 16-bit words (pcap spec,
    // LinkType field; libpcap's LT_FCS_LENGTH_PRESENT / LT_FCS_LENGTH).
    const fcsBytes = network & 0x04000000 ? ((network >>> 28) & 15) * 2 : 0;
    this.linkWord = (network & 0xffff) | (fcsBytes << 16);
    this.headerDone = true;
  }
}
