// IP fragments after the first carry no ports. Workers log first fragments and later
// fragments (typed arrays, bounded); after merging, each later fragment joins the flow of
// the latest first fragment with the same source, destination, protocol and IP ID that
// precedes it in the capture. Deciding by global record number, once, makes the result
// the same whatever worker read which fragment.
import { F_DPORT, F_DST, F_ICMPERR, F_IPID, F_KIND, F_PROTO, F_SPORT, F_SRC, F_TCPFLAGS, pkt } from '../decode/fields.js';
import type { FlowTable } from './table.js';

/** Words per logged fragment: kind, proto, src4, dst4, id, ports (first) — as uint32. */
const LW = 12;
/** Float64 per logged fragment: seq, tsUs, bytes. */
const LF = 3;

export const DEFAULT_MAX_FRAGMENTS = 1 << 20;
/** How far apart (capture time) a datagram's fragments may be: Linux's ipfrag_time, 30 s. */
const REASSEMBLY_US = 30e6;

export interface FragmentSnapshot {
  firstCount: number;
  firstU: Uint32Array;
  firstF: Float64Array;
  laterCount: number;
  laterU: Uint32Array;
  laterF: Float64Array;
  dropped: number;
}

class Log {
  count = 0;
  u = new Uint32Array(64 * LW);
  f = new Float64Array(64 * LF);
  push(seq: number, tsUs: number, bytes: number, max: number): boolean {
    if (this.count >= max) return false;
    if ((this.count + 1) * LW > this.u.length) {
      const u = new Uint32Array(this.u.length * 2);
      u.set(this.u);
      this.u = u;
      const f = new Float64Array(this.f.length * 2);
      f.set(this.f);
      this.f = f;
    }
    const o = this.count * LW;
    const u = this.u;
    u[o] = pkt[F_KIND];
    u[o + 1] = pkt[F_PROTO];
    for (let i = 0; i < 4; i++) {
      u[o + 2 + i] = pkt[F_SRC + i];
      u[o + 6 + i] = pkt[F_DST + i];
    }
    u[o + 10] = pkt[F_IPID];
    u[o + 11] = (pkt[F_SPORT] | (pkt[F_DPORT] << 16)) >>> 0;
    const p = this.count * LF;
    this.f[p] = seq;
    this.f[p + 1] = tsUs;
    this.f[p + 2] = bytes;
    this.count++;
    return true;
  }
}

export class FragmentLog {
  private readonly first = new Log();
  private readonly later = new Log();
  dropped = 0;
  constructor(readonly max = DEFAULT_MAX_FRAGMENTS) {}

  /** Logs the first fragment of a datagram (its ports come from `pkt`). */
  addFirst(seq: number, tsUs: number): void {
    if (!this.first.push(seq, tsUs, 0, this.max)) this.dropped++;
  }

  /** Logs a later fragment, to be attributed after merging. */
  addLater(seq: number, tsUs: number, bytes: number): void {
    if (!this.later.push(seq, tsUs, bytes, this.max)) this.dropped++;
  }

  snapshot(): FragmentSnapshot {
    const f = this.first;
    const l = this.later;
    return {
      firstCount: f.count,
      firstU: f.u.slice(0, f.count * LW),
      firstF: f.f.slice(0, f.count * LF),
      laterCount: l.count,
      laterU: l.u.slice(0, l.count * LW),
      laterF: l.f.slice(0, l.count * LF),
      dropped: this.dropped,
    };
  }

  /** Forgets what was logged (live capture resolves fragments as it goes, then clears). */
  clear(): void {
    this.first.count = 0;
    this.later.count = 0;
    this.dropped = 0;
  }
}

/** Result of attributing later fragments. */
export interface FragmentResolution {
  attributed: number;
  /** Later fragments whose first fragment was never seen (or came after them). */
  orphans: number;
  dropped: number;
}

function datagramKey(u: Uint32Array, o: number): string {
  // Once per fragment at the end of a run, not per packet: a string key is fine here.
  return Array.prototype.join.call(u.subarray(o, o + 11), ',');
}

/** Attributes every logged later fragment to its flow in `table` (the merged table). */
export function resolveFragments(table: FlowTable, snaps: FragmentSnapshot[]): FragmentResolution {
  const firsts = new Map<string, { seq: number; ts: number; ports: number }[]>();
  let dropped = 0;
  for (const s of snaps) {
    dropped += s.dropped;
    for (let j = 0; j < s.firstCount; j++) {
      const key = datagramKey(s.firstU, j * LW);
      let list = firsts.get(key);
      if (list === undefined) firsts.set(key, (list = []));
      list.push({ seq: s.firstF[j * LF], ts: s.firstF[j * LF + 1], ports: s.firstU[j * LW + 11] });
    }
  }
  for (const list of firsts.values()) list.sort((x, y) => x.seq - y.seq);
  let attributed = 0;
  let orphans = 0;
  for (const s of snaps) {
    for (let j = 0; j < s.laterCount; j++) {
      const o = j * LW;
      const seq = s.laterF[j * LF];
      const list = firsts.get(datagramKey(s.laterU, o));
      let best = -1;
      if (list !== undefined) {
        // latest first fragment before this one
        let lo = 0;
        let hi = list.length - 1;
        while (lo <= hi) {
          const mid = (lo + hi) >> 1;
          if (list[mid].seq < seq) {
            best = mid;
            lo = mid + 1;
          } else hi = mid - 1;
        }
      }
      // Senders may emit fragments last-first (Linux does for some sizes): with no first
      // fragment before it, the next one after it joins if within the reassembly timeout.
      if (best < 0 && list !== undefined && Math.abs(list[0].ts - s.laterF[j * LF + 1]) <= REASSEMBLY_US) best = 0;
      if (best < 0) {
        orphans++;
        continue;
      }
      pkt[F_KIND] = s.laterU[o];
      pkt[F_PROTO] = s.laterU[o + 1];
      for (let i = 0; i < 4; i++) {
        pkt[F_SRC + i] = s.laterU[o + 2 + i];
        pkt[F_DST + i] = s.laterU[o + 6 + i];
      }
      const ports = list![best].ports;
      pkt[F_SPORT] = ports & 0xffff;
      pkt[F_DPORT] = ports >>> 16;
      pkt[F_TCPFLAGS] = 0;
      pkt[F_ICMPERR] = 0;
      if (table.addPacket(seq, s.laterF[j * LF + 1], s.laterF[j * LF + 2]) >= 0) attributed++;
    }
  }
  return { attributed, orphans, dropped };
}
