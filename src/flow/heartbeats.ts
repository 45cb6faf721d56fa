// The packet times of flows that can be HA heartbeats (issue 11, HA cadence): ICMP echo
// between two hosts (the HA1 heartbeat when they turn out to be HA peers), HA1 hellos on
// TCP 28769/28260, HA2 keep-alives on UDP 29281, IP protocol 99 and ethertype 0x7261.
// Whether two hosts are HA peers is known only after classification, so every flow that
// can be one keeps a small time log in the aggregator that owns it (the same routing as
// TCP health and UDP datagrams: identical for any worker count). A log holds three
// parallel typed arrays (time, side and kind, echo identifier and sequence), grown by
// doubling up to MAX_BEATS entries; past that, or when the store's payload budget (shared
// with the streams and datagrams: an ICMP flood makes many such flows) has no room for the
// next growth, it counts what it did not keep (capHit).
import type { PayloadBudget } from './stream.js';
import type { Side } from './table.js';

/** TCP ports of HA1 (clear text, and its alternative port): their payload segments are hellos and heartbeats. */
export const HEARTBEAT_TCP_PORTS: readonly number[] = [28769, 28260];
/** UDP port of HA2 over UDP (keep-alives travel with the sync traffic). */
export const HEARTBEAT_UDP_PORT = 29281;
/** IP protocol of HA2 over IP. */
export const HEARTBEAT_IP_PROTOCOL = 99;
/** Ethertype of HA2 over Ethernet. */
export const HEARTBEAT_ETHERTYPE = 0x7261;

/** Entries kept per flow: 9 h of one echo request and reply a second, at 12 bytes each (786 KB). */
export const MAX_BEATS = 65536;

/** What a logged packet is: a plain heartbeat packet, or one half of an ICMP echo. */
export const BEAT_PLAIN = 0;
export const BEAT_REQUEST = 1;
export const BEAT_REPLY = 2;

/** The logged packets of one flow, in capture order. */
export interface BeatFacts {
  /** Capture time of each packet, µs since the epoch. */
  times: Float64Array;
  /** Per packet: canonical side | kind << 1 (BEAT_*). */
  flags: Uint8Array;
  /** Per packet: echo identifier << 16 | sequence number (0 for plain packets). */
  echo: Uint32Array;
  /** Packets the per-flow cap turned away (their times are not in the log). */
  dropped: number;
}

/** Whether a TCP or UDP flow with these ports can carry heartbeats. */
export function heartbeatTcp(sport: number, dport: number): boolean {
  return HEARTBEAT_TCP_PORTS.includes(sport) || HEARTBEAT_TCP_PORTS.includes(dport);
}

/** Bytes one log entry takes (time, flags, echo). */
const ENTRY_BYTES = 8 + 1 + 4;

/** A growing, capped time log of one flow. */
export class BeatLog {
  /** `budget`: the store's, charged for the arrays as they grow (none: not charged). */
  constructor(private readonly budget: PayloadBudget | null = null) {}
  private times = new Float64Array(16);
  private flags = new Uint8Array(16);
  private echo = new Uint32Array(16);
  private n = 0;
  private dropped = 0;

  add(tsUs: number, side: Side, kind: number, echo: number): void {
    const n = this.n;
    if (n === this.times.length) {
      const cap = Math.min(MAX_BEATS, n * 2);
      const more = (cap - n) * ENTRY_BYTES;
      const b = this.budget;
      if (n >= MAX_BEATS || (b !== null && more > b.limit - b.used)) {
        this.dropped++;
        return;
      }
      if (b !== null) b.used += more;
      const t = new Float64Array(cap);
      t.set(this.times);
      this.times = t;
      const f = new Uint8Array(cap);
      f.set(this.flags);
      this.flags = f;
      const e = new Uint32Array(cap);
      e.set(this.echo);
      this.echo = e;
    }
    this.times[n] = tsUs;
    this.flags[n] = side | (kind << 1);
    this.echo[n] = echo;
    this.n = n + 1;
  }

  get size(): number {
    return this.n;
  }

  /**
   * The log so far: copies while the log goes on; `final`, views of its own arrays (the flow
   * leaves: no copy) and the budget gets its bytes back.
   */
  facts(final = false): BeatFacts {
    const n = this.n;
    if (!final) return { times: this.times.slice(0, n), flags: this.flags.slice(0, n), echo: this.echo.slice(0, n), dropped: this.dropped };
    if (this.budget !== null) this.budget.used -= Math.max(0, this.times.length - 16) * ENTRY_BYTES;
    return { times: this.times.subarray(0, n), flags: this.flags.subarray(0, n), echo: this.echo.subarray(0, n), dropped: this.dropped };
  }
}
