// Reads a capture with the repo's reader and decoder and returns its TCP segments with the
// header fields the decoder does not extract yet (seq, ack, window, options, payload),
// grouped by flow. Test-side only: a small link/IP walker finds the TCP header of each
// packet the decoder accepted as TCP.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { F_DPORT, F_DST, F_FRAG, F_ICMPERR, F_KIND, F_PROTO, F_SPORT, F_SRC, FRAG_LATER, KIND_IPV6, R_OK, newPacketFields } from '../../src/decode/fields.js';
import { decodeRecord } from '../../src/decode/link.js';
import { readAll } from './build.js';
import { HAVE_SHARED, SKIP_REASON } from './shared.js';

export interface TcpSegment {
  /** 0-based record number (tshark's frame.number - 1). */
  record: number;
  tsUs: number;
  ipv6: boolean;
  /** Address words as the decoder gives them (4 each). */
  src: number[];
  dst: number[];
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  /** Wire payload length (from the IP length). */
  payloadLen: number;
  /** Captured payload bytes (may be shorter than payloadLen). */
  payload: Uint8Array;
  options: Uint8Array;
}

export interface TcpFlow {
  key: string;
  /** The first packet's sender is direction 0. */
  packets: { dir: number; seg: TcpSegment }[];
}

const isIp = (et: number): boolean => et === 0x0800 || et === 0x86dd;

/** Offset of the IP header in a frame of link type `link`, or -1 (test-side link walker). */
export function ipOffset(b: Uint8Array, off: number, caplen: number, link: number): number {
  const lt = link & 0xffff;
  const end = off + caplen;
  if (lt === 1) {
    let p = off + 12;
    if (end < off + 14) return -1;
    let et = (b[p] << 8) | b[p + 1];
    p += 2;
    while (et === 0x8100 || et === 0x88a8 || et === 0x9100 || et === 0x9200) {
      if (end < p + 4) return -1;
      et = (b[p + 2] << 8) | b[p + 3];
      p += 4;
    }
    if (et < 0x0600) {
      if (b[p] !== 0xaa || b[p + 1] !== 0xaa || b[p + 2] !== 0x03) return -1;
      et = (b[p + 6] << 8) | b[p + 7];
      p += 8;
    }
    return isIp(et) ? p : -1;
  }
  if (lt === 101 || lt === 12 || lt === 14 || lt === 228 || lt === 229) return off;
  if (lt === 0 || lt === 108) return off + 4;
  if (lt === 113) return isIp((b[off + 14] << 8) | b[off + 15]) ? off + 16 : -1;
  if (lt === 276) return isIp((b[off] << 8) | b[off + 1]) ? off + 20 : -1;
  return -1;
}

/** Every TCP segment the decoder accepts (not ICMP-quoted, not later fragments). */
export async function readTcpSegments(path: string): Promise<TcpSegment[]> {
  const { records } = await readAll(path);
  const out: TcpSegment[] = [];
  const pkt = newPacketFields();
  records.forEach((r, i) => {
    const ab = new ArrayBuffer(r.data.length);
    const u8 = new Uint8Array(ab);
    u8.set(r.data);
    const dv = new DataView(ab);
    if (decodeRecord(pkt, u8, dv, 0, r.caplen, r.origlen, r.link) !== R_OK) return;
    if (pkt[F_PROTO] !== 6 || pkt[F_ICMPERR] !== 0 || pkt[F_FRAG] === FRAG_LATER) return;
    const ipv6 = pkt[F_KIND] === KIND_IPV6;
    let p = ipOffset(u8, 0, r.caplen, r.link);
    if (p < 0) return;
    let ipEnd: number;
    if (!ipv6) {
      const ihl = (u8[p] & 15) * 4;
      let total = (u8[p + 2] << 8) | u8[p + 3];
      if (total === 0) total = r.origlen - p;
      ipEnd = p + total;
      p += ihl;
    } else {
      const plen = (u8[p + 4] << 8) | u8[p + 5];
      ipEnd = plen === 0 ? r.origlen : p + 40 + plen;
      let next = u8[p + 6];
      p += 40;
      for (let hops = 0; hops < 16 && next !== 6; hops++) {
        if (next === 44) {
          next = u8[p];
          p += 8;
        } else if (next === 51) {
          const l = (u8[p + 1] + 2) * 4;
          next = u8[p];
          p += l;
        } else {
          const l = (u8[p + 1] + 1) * 8;
          next = u8[p];
          p += l;
        }
      }
    }
    if (r.caplen < p + 20) return;
    const thl = (u8[p + 12] >> 4) * 4;
    const payloadLen = Math.max(0, ipEnd - p - thl);
    const capEnd = Math.min(r.caplen, ipEnd);
    out.push({
      record: i,
      tsUs: r.sec * 1e6 + Math.floor(r.nsec / 1000),
      ipv6,
      src: Array.from(pkt.subarray(F_SRC, F_SRC + 4)),
      dst: Array.from(pkt.subarray(F_DST, F_DST + 4)),
      sport: pkt[F_SPORT],
      dport: pkt[F_DPORT],
      seq: dv.getUint32(p + 4),
      ack: dv.getUint32(p + 8),
      flags: u8[p + 13],
      window: dv.getUint16(p + 14),
      payloadLen,
      payload: u8.slice(Math.min(p + thl, capEnd), capEnd),
      options: u8.slice(p + 20, Math.min(p + thl, r.caplen)),
    });
  });
  return out;
}

/** Groups segments by connection 4-tuple (both directions), in order of first packet. */
export function tcpFlows(segs: TcpSegment[]): TcpFlow[] {
  const map = new Map<string, TcpFlow>();
  for (const s of segs) {
    const a = `${s.src.join('.')}:${s.sport}`;
    const b = `${s.dst.join('.')}:${s.dport}`;
    const k1 = `${a}>${b}`;
    const k2 = `${b}>${a}`;
    let f = map.get(k1);
    let dir = 0;
    if (f === undefined) {
      f = map.get(k2);
      dir = 1;
    }
    if (f === undefined) {
      f = { key: k1, packets: [] };
      map.set(k1, f);
      dir = 0;
    }
    f.packets.push({ dir, seg: s });
  }
  return [...map.values()];
}

/**
 * Why a capture named in test/flow/fixtures/tshark-expected.json cannot be checked against
 * it, or null: ../shared is absent (for its captures), or the file is not the one the
 * figures were made from (someone re-recorded it; rerun make-captures.sh --expected-only).
 * Our own fixtures must be there and unchanged: for them this throws instead.
 */
export function captureUnusable(name: string, path: string, sha1: string): string | null {
  const own = !name.includes('/');
  const shared = !own && !name.startsWith('verdicts/');
  if (shared && !HAVE_SHARED) return SKIP_REASON;
  if (!existsSync(path)) {
    if (own) throw new Error(`${path} is missing`);
    return `skipped: ${path} is missing`;
  }
  const now = createHash('sha1').update(readFileSync(path)).digest('hex');
  if (now === sha1) return null;
  if (own) throw new Error(`${path} differs from the capture tshark-expected.json was made from: rerun test/flow/fixtures/make-captures.sh --expected-only`);
  return `skipped: ${path} changed since test/flow/fixtures/tshark-expected.json was made (rerun make-captures.sh --expected-only)`;
}
