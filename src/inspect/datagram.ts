// The input of the payload decoders for UDP flows (and for TCP messages once split from a
// stream): the first datagrams of a flow in capture order (flow/datagrams.ts keeps them),
// with their side and time. A decoder reads only `bytes` (what was captured and kept),
// never past it; `wireLength` says how long the payload was on the wire.

/** One application message: a UDP datagram's payload, or a message split from a TCP stream. */
export interface AppMessage {
  from: 'client' | 'server';
  /** Captured payload bytes; shorter than wireLength when the snaplen or the keep cap cut it. */
  bytes: Uint8Array;
  /** Payload length on the wire. */
  wireLength: number;
  /** Capture time, ms since the epoch (fractional). */
  timeMs: number;
}
