// Tells a capture format from its first four bytes.
import { CaptureError } from '../errors.js';
import { MAGIC_KUZNETZOV, MAGIC_NSEC, MAGIC_USEC, PcapFramer } from './pcap.js';
import { BT_SHB, PcapngFramer } from './pcapng.js';
import type { Framer } from './framer.js';

export function detectFramer(file: string, head: Uint8Array): Framer {
  if (head.length === 0) throw new CaptureError('FORMAT', file, 'empty file, not a pcap or pcapng file');
  if (head.length >= 4) {
    const dv = new DataView(head.buffer, head.byteOffset, 4);
    const be = dv.getUint32(0, false);
    const le = dv.getUint32(0, true);
    for (const m of [MAGIC_USEC, MAGIC_NSEC, MAGIC_KUZNETZOV]) {
      if (be === m || le === m) return new PcapFramer(file);
    }
    if (be === BT_SHB) return new PcapngFramer(file);
  }
  const hex = Array.from(head.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new CaptureError('FORMAT', file, `not a pcap or pcapng file (starts with ${hex})`);
}
