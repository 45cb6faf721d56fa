// The packet times of flows that can be HA heartbeats (issue 11, HA cadence): ICMP echo
// between two hosts (the HA1 heartbeat when they turn out to be HA peers), HA1 hellos on
// TCP 28769/28260, HA2 keep-alives on UDP 29281, IP protocol 99 and ethertype 0x7261.
// Whether two hosts are HA peers is known only after classification, so every flow that
// can be one keeps a small time log in the aggregator that owns it (the same routing as
// TCP health and UDP datagrams: identical for any worker count). A log holds three
// parallel typed arrays (time, side and kind, echo identifier and sequence), grown by
// doubling up to MAX_BEATS entries; past that it counts what it did not keep (capHit).
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
  return sport === 28769 || dport === 28769 || sport === 28260 || dport === 28260;
}

/** A growing, capped time log of one flow. */
export class BeatLog {
  private times = new Float64Array(16);
  private flags = new Uint8Array(16);
  private echo = new Uint32Array(16);
  private n = 0;
  private dropped = 0;

  add(tsUs: number, side: Side, kind: number, echo: number): void {
    const n = this.n;
    if (n === this.times.length) {
      if (n >= MAX_BEATS) {
        this.dropped++;
        return;
      }
      const cap = Math.min(MAX_BEATS, n * 2);
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

  /** The log so far (copies: the log goes on). */
  facts(): BeatFacts {
    return { times: this.times.slice(0, this.n), flags: this.flags.slice(0, this.n), echo: this.echo.slice(0, this.n), dropped: this.dropped };
  }
}
