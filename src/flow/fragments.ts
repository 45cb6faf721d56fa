// IP fragments after the first carry no ports. Aggregators (workers) log first and later
// fragments (typed arrays, bounded); after merging, one FragmentResolver attributes each
// later fragment to the flow of its first fragment, by one rule with one window, for files
// and live alike:
//   a later fragment joins the latest first fragment with the same source, destination,
//   protocol and IP ID that precedes it in the capture (global record number) and is at
//   most REASSEMBLY_US older; failing that (senders may emit fragments last-first), the
//   earliest one that follows it within REASSEMBLY_US; failing that, it is an orphan.
// Deciding by global record number makes the result the same whatever worker read which
// fragment; live capture decides each fragment as soon as the rule allows.
import { F_DPORT, F_DST, F_ICMPERR, F_IPID, F_KIND, F_PROTO, F_SPORT, F_SRC, F_TCPFLAGS, newPacketFields, type PacketFields } from '../decode/fields.js';
import type { FlowTable } from './table.js';

/** Words per logged fragment: kind, proto, src4, dst4, id, ports (first) — as uint32. */
const LW = 12;
/** Float64 per logged fragment: seq, tsUs, bytes. */
const LF = 3;

export const DEFAULT_MAX_FRAGMENTS = 1 << 20;
/** How far apart (capture time) a datagram's fragments may be: Linux's ipfrag_time, 30 s. */
export const REASSEMBLY_US = 30e6;

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
  push(pf: PacketFields, seq: number, tsUs: number, bytes: number, max: number): boolean {
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
    u[o] = pf[F_KIND];
    u[o + 1] = pf[F_PROTO];
    for (let i = 0; i < 4; i++) {
      u[o + 2 + i] = pf[F_SRC + i];
      u[o + 6 + i] = pf[F_DST + i];
    }
    u[o + 10] = pf[F_IPID];
    u[o + 11] = (pf[F_SPORT] | (pf[F_DPORT] << 16)) >>> 0;
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

  /** Logs the first fragment of a datagram (decoded into `pf`, ports included). */
  addFirst(pf: PacketFields, seq: number, tsUs: number): void {
    if (!this.first.push(pf, seq, tsUs, 0, this.max)) this.dropped++;
  }

  /** Logs a later fragment (decoded into `pf`), to be attributed after merging. */
  addLater(pf: PacketFields, seq: number, tsUs: number, bytes: number): void {
    if (!this.later.push(pf, seq, tsUs, bytes, this.max)) this.dropped++;
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

  /** Forgets what was logged (after each hand-over to the resolver). */
  clear(): void {
    this.first.count = 0;
    this.later.count = 0;
    this.dropped = 0;
  }
}

/** Result of attributing later fragments. */
export interface FragmentResolution {
  attributed: number;
  /** Later fragments with no first fragment within the reassembly window. */
  orphans: number;
  dropped: number;
}

interface First {
  seq: number;
  ts: number;
  ports: number;
}

interface Later {
  key: string;
  seq: number;
  ts: number;
  bytes: number;
  /** The logged words (kind, proto, addresses), for the packet fields of the attribution. */
  words: Uint32Array;
}

function datagramKey(u: Uint32Array, o: number): string {
  // Once per fragment after merging, not per packet: a string key is fine here.
  return Array.prototype.join.call(u.subarray(o, o + 11), ',');
}

/**
 * Attributes later fragments to flows after merging. File analysis adds every snapshot and
 * resolves once at the end; live capture adds the snapshots of each hand-over and resolves
 * what can be decided at the capture time reached, keeping first fragments for the window.
 */
export class FragmentResolver {
  readonly result: FragmentResolution = { attributed: 0, orphans: 0, dropped: 0 };
  /** First fragments by datagram key, in record order. */
  private firsts = new Map<string, First[]>();
  /** Later fragments not decided yet. */
  private pending: Later[] = [];
  private readonly pf = newPacketFields();

  add(snap: FragmentSnapshot): void {
    this.result.dropped += snap.dropped;
    for (let j = 0; j < snap.firstCount; j++) {
      const key = datagramKey(snap.firstU, j * LW);
      let list = this.firsts.get(key);
      if (list === undefined) this.firsts.set(key, (list = []));
      list.push({ seq: snap.firstF[j * LF], ts: snap.firstF[j * LF + 1], ports: snap.firstU[j * LW + 11] });
    }
    for (let j = 0; j < snap.laterCount; j++) {
      const o = j * LW;
      this.pending.push({
        key: datagramKey(snap.laterU, o),
        seq: snap.laterF[j * LF],
        ts: snap.laterF[j * LF + 1],
        bytes: snap.laterF[j * LF + 2],
        words: snap.laterU.slice(o, o + LW),
      });
    }
  }

  /**
   * Attributes every pending later fragment whose first fragment is known, and counts as
   * orphans those that can no longer get one: all of them when `final`, else those older
   * than the window at capture time `nowUs`. Every first fragment logged before `nowUs`
   * must have been added. Then forgets first fragments no later fragment can join.
   */
  resolve(table: FlowTable, nowUs: number, final: boolean): void {
    for (const list of this.firsts.values()) list.sort((x, y) => x.seq - y.seq);
    const held: Later[] = [];
    for (const l of this.pending) {
      const first = this.firstOf(l);
      if (first !== null) this.attribute(table, l, first);
      else if (final || nowUs - l.ts > REASSEMBLY_US) this.result.orphans++;
      else held.push(l);
    }
    this.pending = held;
    if (final) this.firsts.clear();
    else this.forgetBefore(nowUs - 2 * REASSEMBLY_US);
  }

  /** The first fragment this later one belongs to by the rule above, or null. */
  private firstOf(l: Later): First | null {
    const list = this.firsts.get(l.key);
    if (list === undefined) return null;
    // latest first fragment before this one
    let best = -1;
    let lo = 0;
    let hi = list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].seq < l.seq) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (best >= 0 && l.ts - list[best].ts <= REASSEMBLY_US) return list[best];
    const next = best + 1;
    if (next < list.length && list[next].ts - l.ts <= REASSEMBLY_US) return list[next];
    return null;
  }

  private attribute(table: FlowTable, l: Later, first: First): void {
    const pf = this.pf;
    this.fieldsOf(l.words, first.ports, pf);
    if (table.addPacket(pf, l.seq, l.ts, l.bytes) >= 0) this.result.attributed++;
  }

  /** Packet fields of a datagram from its logged words and its first fragment's ports. */
  private fieldsOf(u: ArrayLike<number>, ports: number, pf: PacketFields): void {
    pf[F_KIND] = u[0];
    pf[F_PROTO] = u[1];
    for (let i = 0; i < 4; i++) {
      pf[F_SRC + i] = u[2 + i];
      pf[F_DST + i] = u[6 + i];
    }
    pf[F_IPID] = u[10];
    pf[F_SPORT] = ports & 0xffff;
    pf[F_DPORT] = ports >>> 16;
    pf[F_TCPFLAGS] = 0;
    pf[F_ICMPERR] = 0;
  }

  private forgetBefore(tsUs: number): void {
    for (const [key, list] of this.firsts) {
      let n = 0;
      while (n < list.length && list[n].ts < tsUs) n++;
      if (n === list.length) this.firsts.delete(key);
      else if (n > 0) list.splice(0, n);
    }
  }
}

/** Resolves all snapshots at once (file analysis, tests). */
export function resolveFragments(table: FlowTable, snaps: FragmentSnapshot[]): FragmentResolution {
  const r = new FragmentResolver();
  for (const s of snaps) r.add(s);
  r.resolve(table, Infinity, true);
  return r.result;
}
