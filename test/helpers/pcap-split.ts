// Classic pcap files cut and shifted in tests: a capture split into rotated files at record
// boundaries (as tcpdump -C / editcap -c write them), and a capture's timestamps shifted.
import { readFileSync } from 'node:fs';

/** The file header and each record (header + bytes) of a little- or big-endian usec/nsec pcap. */
export function pcapRecords(path: string): { header: Buffer; records: Buffer[]; le: boolean } {
  const buf = readFileSync(path);
  const le = buf.readUInt32LE(0) === 0xa1b2c3d4 || buf.readUInt32LE(0) === 0xa1b23c4d;
  const header = buf.subarray(0, 24);
  const records: Buffer[] = [];
  let p = 24;
  while (p + 16 <= buf.length) {
    const caplen = le ? buf.readUInt32LE(p + 8) : buf.readUInt32BE(p + 8);
    records.push(buf.subarray(p, p + 16 + caplen));
    p += 16 + caplen;
  }
  return { header, records, le };
}

/** The capture as files of at most `per` records each. */
export function splitPcap(path: string, per: number): Buffer[] {
  const { header, records } = pcapRecords(path);
  const out: Buffer[] = [];
  for (let i = 0; i < records.length; i += per) out.push(Buffer.concat([header, ...records.slice(i, i + per)]));
  return out;
}

/** The capture with every timestamp moved by `us` microseconds (a usec pcap). */
export function shiftPcap(path: string, us: number): Buffer {
  const { header, records, le } = pcapRecords(path);
  const moved = records.map((r) => {
    const c = Buffer.from(r);
    const sec = le ? c.readUInt32LE(0) : c.readUInt32BE(0);
    const usec = le ? c.readUInt32LE(4) : c.readUInt32BE(4);
    const t = sec * 1e6 + usec + us;
    const s = Math.floor(t / 1e6);
    const u = t - s * 1e6;
    if (le) {
      c.writeUInt32LE(s, 0);
      c.writeUInt32LE(u, 4);
    } else {
      c.writeUInt32BE(s, 0);
      c.writeUInt32BE(u, 4);
    }
    return c;
  });
  return Buffer.concat([header, ...moved]);
}
