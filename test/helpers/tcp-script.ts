// A scripted TCP conversation as a capture: frames in order, each with the length the
// capture kept of it (a snaplen, or a cut of one frame), written as classic pcap.
import { writeFileSync } from 'node:fs';
import { ACK, eth, FIN, ipv4, pcap, PROTO_TCP, PSH, RST, SYN, tcp } from './build.js';

export class TcpScript {
  frames: { data: Buffer; caplen?: number }[] = [];
  /** Next sequence number of the client and of the server (after handshake()). */
  cs = 101;
  ss = 501;
  constructor(
    readonly client: string,
    readonly server: string,
    readonly cport: number,
    readonly sport: number,
    /** Bytes the capture keeps of every frame (none: whole frames). */
    readonly snaplen?: number,
  ) {}

  /** One segment; `caplen` cuts this frame (else the snaplen does). */
  frame(from: 'c' | 's', seq: number, ack: number, flags: number, payload: Uint8Array | string = new Uint8Array(0), caplen = this.snaplen): this {
    const [src, dst, sp, dp] = from === 'c' ? [this.client, this.server, this.cport, this.sport] : [this.server, this.client, this.sport, this.cport];
    const segment = tcp({ sport: sp, dport: dp, seq, ack, flags, payload: Buffer.from(payload) });
    this.frames.push({ data: eth({ ethertype: 0x0800, payload: ipv4({ src, dst, proto: PROTO_TCP, df: true, payload: segment }) }), caplen });
    return this;
  }

  /** Any other frame, kept whole. */
  raw(data: Buffer): this {
    this.frames.push({ data });
    return this;
  }

  /** SYN (ISN 100), SYN-ACK (ISN 500), ACK. */
  handshake(): this {
    return this.frame('c', 100, 0, SYN).frame('s', 500, 101, SYN | ACK).frame('c', 101, 501, ACK);
  }

  /** Client data in one segment. */
  c(b: Uint8Array): this {
    this.frame('c', this.cs, this.ss, ACK | PSH, b);
    this.cs += b.length;
    return this;
  }

  /** Server data in segments of `mss` bytes; `drop`: sent but not in the capture. */
  s(b: Uint8Array, mss = 1448, drop = false): this {
    for (let i = 0; i < b.length; i += mss) {
      const p = b.subarray(i, i + mss);
      if (!drop) this.frame('s', this.ss, this.cs, ACK | PSH, p);
      this.ss += p.length;
    }
    return this;
  }

  /** FIN from the client, FIN from the server, the last ACK. */
  fin(): this {
    return this.frame('c', this.cs, this.ss, ACK | FIN).frame('s', this.ss, this.cs + 1, ACK | FIN).frame('c', this.cs + 1, this.ss + 1, ACK);
  }

  rst(): this {
    return this.frame('c', this.cs, this.ss, ACK | RST);
  }

  /** Writes the frames (1 ms apart) to `path` as classic pcap, with their captured lengths. */
  write(path: string): string {
    writeFileSync(
      path,
      pcap(
        this.frames.map((f, i) => {
          const data = f.caplen === undefined ? f.data : f.data.subarray(0, f.caplen);
          return { sec: 1_764_000_000, frac: i * 1000, data, caplen: data.length, origlen: f.data.length };
        }),
      ),
    );
    return path;
  }
}
