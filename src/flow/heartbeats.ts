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

/**
 * A growing, capped time log of one flow. Entries are pairs of doubles in one array (one
 * object and store to reach per packet): the time, then flags + 8 × echo (below 2^35:
 * exact). The budget is charged ENTRY_BYTES per entry, as for the three arrays handed out.
 */
export class BeatLog {
  /** `budget`: the store's, charged for the arrays as they grow (none: not charged). */
  constructor(private readonly budget: PayloadBudget | null = null) {}
  private log = new Float64Array(32);
  private n = 0;
  private dropped = 0;

  add(tsUs: number, side: Side, kind: number, echo: number): void {
    const n = this.n;
    let log = this.log;
    if (2 * n === log.length) {
      const cap = Math.min(MAX_BEATS, n * 2);
      const more = (cap - n) * ENTRY_BYTES;
      const b = this.budget;
      if (n >= MAX_BEATS || (b !== null && more > b.limit - b.used)) {
        this.dropped++;
        return;
      }
      if (b !== null) b.used += more;
      const t = new Float64Array(2 * cap);
      t.set(log);
      this.log = log = t;
    }
    log[2 * n] = tsUs;
    log[2 * n + 1] = (side | (kind << 1)) + 8 * (echo >>> 0);
    this.n = n + 1;
  }

  get size(): number {
    return this.n;
  }

  /** The log so far; `final`: the flow leaves, and the budget gets its bytes back. */
  facts(final = false): BeatFacts {
    const f = beatFacts(this.log, 0, this.n, this.dropped);
    if (final) this.end();
    return f;
  }

  /**
   * The log as it is kept, for a worker's hand-over (beatFacts reads it on the other side):
   * `n` entries of two doubles from 0 of `log`. The flow leaves: the budget gets its bytes back.
   */
  take(): { log: Float64Array; n: number; dropped: number } {
    this.end();
    return { log: this.log, n: this.n, dropped: this.dropped };
  }

  private end(): void {
    if (this.budget !== null) this.budget.used -= Math.max(0, this.log.length / 2 - 16) * ENTRY_BYTES;
  }
}

/** The BeatFacts of `n` log entries (pairs of doubles: the time, flags + 8 × echo) from `at` of `log`. */
export function beatFacts(log: Float64Array, at: number, n: number, dropped: number): BeatFacts {
  const times = new Float64Array(n);
  const flags = new Uint8Array(n);
  const echo = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    times[i] = log[at + 2 * i];
    const x = log[at + 2 * i + 1];
    // x - 8·floor(x / 8), not x % 8: optimised code does a double's % as a call to C's fmod
    // (small-4M: 507,823 entries). Exact: x is an integer below 2^35.
    const e = Math.floor(x / 8);
    flags[i] = x - 8 * e;
    echo[i] = e;
  }
  return { times, flags, echo, dropped };
}
