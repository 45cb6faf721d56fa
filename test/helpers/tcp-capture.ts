// Reads a capture with the repo's reader and decoder and returns its TCP segments (seq,
// ack, window, options, payload, as the decoder gives them), grouped by flow. ipOffset is a
// small independent link walker, kept for the Community ID test, which computes tshark's
// per-frame figure from the outer IP header (the decoder files ICMP errors under the flow
// they quote).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { F_ACK, F_DPORT, F_DST, F_FRAG, F_ICMPERR, F_KIND, F_L4END, F_L4OFF, F_PAYLEN, F_PROTO, F_SEQ, F_SPORT, F_SRC, F_TCPFLAGS, F_TCPHLEN, F_WIN, FRAG_LATER, KIND_IPV6, R_OK, newPacketFields } from '../../src/decode/fields.js';
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

/** Every TCP segment the decoder accepts with its whole header (not ICMP-quoted, not later fragments). */
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
    if (pkt[F_PROTO] !== 6 || pkt[F_ICMPERR] !== 0 || pkt[F_FRAG] === FRAG_LATER || pkt[F_TCPHLEN] === 0) return;
    // The decoder's own TCP fields: where the header is, how long, what the IP length leaves for payload.
    const p = pkt[F_L4OFF];
    const thl = pkt[F_TCPHLEN];
    const capEnd = pkt[F_L4END];
    out.push({
      record: i,
      tsUs: r.sec * 1e6 + Math.floor(r.nsec / 1000),
      ipv6: pkt[F_KIND] === KIND_IPV6,
      src: Array.from(pkt.subarray(F_SRC, F_SRC + 4)),
      dst: Array.from(pkt.subarray(F_DST, F_DST + 4)),
      sport: pkt[F_SPORT],
      dport: pkt[F_DPORT],
      seq: pkt[F_SEQ],
      ack: pkt[F_ACK],
      flags: pkt[F_TCPFLAGS],
      window: pkt[F_WIN],
      payloadLen: pkt[F_PAYLEN],
      payload: u8.slice(Math.min(p + thl, capEnd), capEnd),
      options: u8.slice(p + 20, p + thl),
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
