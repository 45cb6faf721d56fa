// The `ha` part of the summary (issue 11, HA cadence): heartbeat flows folded per channel
// (catalog entry × client → server), their series of times joined across the channel's
// flows (an HA1 connection that restarts, a live capture's expired flows), and the
// intervals and gaps computed once, at the end, by classify/cadence.ts.
import { cadence, joined } from '../classify/cadence.js';
import type { FlowHeartbeat } from '../classify/cadence.js';
import type { ClassifiedFlow } from '../classify/classify.js';
import { MAX_BEATS } from '../flow/heartbeats.js';
import { cmp, isoMicros } from './format.js';
import type { HaSummary, HeartbeatSummary } from './model.js';

interface Channel {
  entry: string;
  client: string;
  server: string;
  transport: HeartbeatSummary['transport'];
  flows: number;
  /**
   * Per series index (echo: answered; others: client, server), the flows' series as they
   * came, each cut to what the channel's cap kept: joined only at the end, and only for a
   * channel of several flows (most channels are one flow, whose cadence is its own).
   */
  series: Float64Array[][];
  kept: number;
  unanswered: number;
  capHit: boolean;
  /** The channel's one flow's heartbeat while its times are all the channel has, each series in order. */
  only: FlowHeartbeat | null;
}

/** Times kept per channel over all its flows (a live capture's channel outlives its flows). */
const MAX_CHANNEL_BEATS = 2 * MAX_BEATS;

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

export class HeartbeatAccumulator {
  /** By the channel's number in the summary's ChannelStore: one per entry, client and server. */
  private readonly channels = new Map<number, Channel>();

  /**
   * Folds in a heartbeat flow: f, its heartbeat h (f.heartbeat) and `channel`, the number of
   * f's channel of h's entry (ChannelStore.find): no key made of the texts per flow.
   */
  add(f: ClassifiedFlow, h: FlowHeartbeat, channel: number): void {
    const entry = h.entry;
    let ch = this.channels.get(channel);
    if (ch === undefined) {
      ch = { entry, client: f.client, server: f.server, transport: h.transport, flows: 0, series: [], kept: 0, unanswered: 0, capHit: false, only: null };
      this.channels.set(channel, ch);
    }
    ch.flows++;
    // Every series in time order: sorting the channel's series would change nothing.
    ch.only = ch.flows === 1 && h.ordered ? h : null;
    ch.unanswered += h.unanswered;
    if (h.dropped > 0) ch.capHit = true;
    for (let i = 0; i < h.series.length; i++) {
      const s = h.series[i];
      const into = (ch.series[i] ??= []);
      const room = MAX_CHANNEL_BEATS - ch.kept;
      if (s.length > room) ch.capHit = true;
      const n = Math.min(s.length, room);
      if (n > 0) into.push(n === s.length ? s : s.subarray(0, n));
      ch.kept += n;
    }
  }

  summary(): HaSummary {
    const heartbeats: HeartbeatSummary[] = [];
    for (const ch of this.channels.values()) {
      // A channel of one flow whose times were all kept and in order: the flow's cadence
      // (classification computed it from the same series) is the channel's.
      const one = ch.only !== null && ch.kept === ch.only.series.reduce((a, s) => a + s.length, 0) ? ch.only : null;
      const c = one ?? cadence(ch.series.filter((s) => s !== undefined).map((parts) => joined(parts).sort()));
      heartbeats.push({
        peers: [ch.client, ch.server],
        transport: ch.transport,
        entry: ch.entry,
        flows: ch.flows,
        heartbeats: ch.kept,
        intervalMs: c.intervalMs === null ? null : { median: round3(c.intervalMs.median), p99: round3(c.intervalMs.p99), max: round3(c.intervalMs.max) },
        unanswered: ch.unanswered,
        gaps: c.gaps.map((g) => ({ start: isoMicros(g.startUs), end: isoMicros(g.endUs), seconds: round3((g.endUs - g.startUs) / 1e6), missed: g.missed })),
        capHit: ch.capHit,
      });
    }
    const icmpFirst = (h: HeartbeatSummary) => (h.transport === 'icmp' ? 0 : 1);
    heartbeats.sort((a, b) => icmpFirst(a) - icmpFirst(b) || cmp(a.entry, b.entry) || cmp(a.peers[0], b.peers[0]) || cmp(a.peers[1], b.peers[1]));
    return { heartbeats };
  }
}
