// Verdicts where the capture, not the peers, stops what can be known — and where the
// evidence must come from the right packets. Each case is a scripted capture run through
// the whole analysis (inline), with a control that the real failure is still found.
// - A TLS handshake that completed is not "incomplete" or "reset before the handshake
//   completed" because the snaplen cut its segments, a packet is missing from the capture,
//   or the server's flight is larger than the 16 KiB kept (however the segments align).
// - A SYN answered only by ICMP errors is an icmp-error, not a reset.
// - A retransmitted SYN is not a share of the data segments.
// - Large segments retransmitted to a peer that never sends again are not a path-MTU black
//   hole: the peer must be seen alive after them (small packets getting through).
// - An SSH client's banner does not make a non-SSH server on 22 look like SSH.
// - A TLS 1.3 client on a one-way service that goes on sending data completed its handshake,
//   even when the server never writes again.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeCaptures } from '../../src/analyze.js';
import { ACK, cat as catBuf, eth, FIN, icmpError, ipv4, PROTO_ICMP, PROTO_TCP, PSH, SYN, tcp, tempDir } from '../helpers/build.js';
import { TcpScript } from '../helpers/tcp-script.js';
import { CT, HS, cat, ccs, certificate, clientHello, handshake, opaque, record, serverHello, serverHelloDone } from '../inspect/tls-build.js';

const tmp = tempDir('pantap-verdict-edges-');
afterAll(() => tmp.remove());

const C = '10.1.1.10';
const S = '10.1.1.20';

/** A scripted conversation between the client C and the server S. */
class Script extends TcpScript {
  constructor(cport: number, sport: number, snaplen?: number) {
    super(C, S, cport, sport, snaplen);
  }
}

let n = 0;
async function judged(script: Script) {
  const path = script.write(join(tmp.dir, `e${n++}.pcap`));
  const { flows, summary } = await analyzeCaptures([path], { workers: 0, allFlows: true });
  const f = flows.find((x) => x.serverPort === script.sport)!;
  return { verdict: f.verdict, reason: f.reason, detail: f.detail, app: f.app, established: f.tls?.established ?? null, capHit: summary.input.inspection.capHit };
}

const finished = () => record(CT.handshake, new Uint8Array(40).fill(9));

/** A TLS 1.2 session that completes: hellos, key exchange, both Finished, data both ways. */
function tls12(o: { snaplen?: number; flight?: Uint8Array; mss?: number; dropServerFinished?: boolean; end?: 'fin' | 'rst' } = {}): Script {
  const t = new Script(40000 + n, 3978, o.snaplen).handshake();
  t.c(record(CT.handshake, clientHello({ sni: 'panorama.example' })));
  t.s(o.flight ?? record(CT.handshake, cat(serverHello({ cipher: 0xc02f }), serverHelloDone())), o.mss);
  t.c(cat(record(CT.handshake, handshake(HS.clientKeyExchange, new Uint8Array(66).fill(4))), ccs(), finished()));
  t.s(cat(ccs(), finished()), 1448, o.dropServerFinished);
  t.c(record(CT.appData, new Uint8Array(300).fill(7)));
  t.s(record(CT.appData, new Uint8Array(300).fill(7)));
  return o.end === 'rst' ? t.rst() : t.fin();
}

/** A server flight of ~18 KB (three 6,000-byte certificates) in 16 KiB records. */
function bigFlight(): Uint8Array {
  const flight = cat(serverHello({ cipher: 0xc02f }), certificate([new Uint8Array(6000).fill(0x30), new Uint8Array(6000).fill(0x30), new Uint8Array(6000).fill(0x30)]), serverHelloDone());
  const recs: Uint8Array[] = [];
  for (let i = 0; i < flight.length; i += 16384) recs.push(record(CT.handshake, flight.subarray(i, i + 16384)));
  return cat(...recs);
}

describe('verdicts the capture cannot support', () => {
  it('control: a TLS handshake the server never finishes is tls-incomplete', async () => {
    const t = new Script(39999, 3978).handshake();
    t.c(record(CT.handshake, clientHello({ sni: 'panorama.example' })));
    t.s(record(CT.handshake, cat(serverHello({ cipher: 0xc02f }), serverHelloDone())));
    t.c(cat(record(CT.handshake, handshake(HS.clientKeyExchange, new Uint8Array(66).fill(4))), ccs(), finished()));
    expect(await judged(t.fin())).toMatchObject({ verdict: 'failed', reason: 'tls-incomplete' });
  });

  it('control: a server flight lost before the capture point (a hole nobody acknowledges past) is still tls-incomplete', async () => {
    // The black hole seen downstream of the small-MTU hop: the flight's first 1448 bytes
    // never arrive, its small tail does, the client acknowledges only up to the hole.
    const t = new Script(39998, 3978).handshake();
    t.c(record(CT.handshake, clientHello({ sni: 'panorama.example' })));
    t.s(record(CT.handshake, cat(serverHello({ cipher: 0xc02f }), certificate([new Uint8Array(3000).fill(0x30)]), serverHelloDone())), 1448, false);
    // drop the flight's first segment from the capture: it was lost on the way
    const first = t.frames.findIndex((f, i) => i > 3 && f.data.length > 1000);
    t.frames.splice(first, 1);
    // the client gives up: its FIN acknowledges nothing past the hole either
    t.frame('c', t.cs, 501, ACK).frame('c', t.cs, 501, ACK).frame('c', t.cs, 501, ACK | FIN);
    expect(await judged(t)).toMatchObject({ verdict: 'failed', reason: 'tls-incomplete' });
  });

  it('a completed TLS session captured with a 68- or 128-byte snaplen is not a failure', async () => {
    expect(await judged(tls12({ snaplen: 68 }))).toMatchObject({ verdict: 'ok', reason: null });
    expect(await judged(tls12({ snaplen: 128 }))).toMatchObject({ verdict: 'ok', reason: null });
  });

  it('a server Finished missing from the capture (the client acknowledges it) is not a failure, closed either way', async () => {
    expect(await judged(tls12({ dropServerFinished: true }))).toMatchObject({ verdict: 'ok', reason: null });
    expect(await judged(tls12({ dropServerFinished: true, end: 'rst' }))).toMatchObject({ verdict: 'ok', reason: null });
  });

  it('a server flight larger than the 16 KiB kept is not a failure, whatever the segment size; the cap is counted', async () => {
    for (const mss of [1448, 1024]) {
      for (const end of ['fin', 'rst'] as const) {
        const got = await judged(tls12({ flight: bigFlight(), mss, end }));
        expect(got, `mss ${mss}, ${end}`).toMatchObject({ verdict: 'ok', reason: null });
        expect(got.capHit, `mss ${mss}, ${end}`).toBeGreaterThan(0);
      }
    }
  });
});

describe('TLS 1.3 on a one-way service', () => {
  // The client (a firewall forwarding logs) finishes its handshake and sends records; the
  // server never writes after its own flight (no session tickets).
  function tls13(port: number, clientRecords: number): Script {
    const t = new Script(41000 + port, port).handshake();
    t.c(record(CT.handshake, clientHello({ sni: 'logs.example', versions: [0x0304, 0x0303] }), 0x0301));
    t.s(cat(record(CT.handshake, serverHello({ version: 0x0304, cipher: 0x1301 })), ccs(), opaque(CT.appData, 1200)));
    for (let i = 0; i < clientRecords; i++) t.c(opaque(CT.appData, 200));
    return t.fin();
  }

  it('a client that goes on sending application data completed its handshake (syslog over TLS, 6514)', async () => {
    expect(await judged(tls13(6514, 6))).toMatchObject({ verdict: 'ok', reason: null, app: 'tls' });
  });

  it('control: the same on 3978 (a session: the server must answer), or with only the client Finished on 6514, is tls-incomplete', async () => {
    expect(await judged(tls13(3978, 6))).toMatchObject({ verdict: 'failed', reason: 'tls-incomplete' });
    expect(await judged(tls13(6514, 1))).toMatchObject({ verdict: 'failed', reason: 'tls-incomplete' });
  });
});

describe('verdict evidence from the right packets', () => {
  it('a SYN answered only by ICMP errors from a router is icmp-error, not a reset', async () => {
    const t = new Script(40001, 3978);
    const quoted = ipv4({ src: C, dst: S, proto: PROTO_TCP, payload: tcp({ sport: 40001, dport: 3978, flags: SYN, seq: 100 }) });
    const unreachable = eth({ ethertype: 0x0800, payload: ipv4({ src: '10.1.1.1', dst: C, proto: PROTO_ICMP, payload: icmpError(quoted, { type: 3, code: 13 }) }) });
    t.frame('c', 100, 0, SYN).raw(unreachable).frame('c', 100, 0, SYN).raw(unreachable);
    const got = await judged(t);
    expect(got).toMatchObject({ verdict: 'failed', reason: 'icmp-error' });
    expect(got.detail).toContain('communication administratively prohibited');
    expect(got.detail).not.toContain('reset');
  });

  it('large segments retransmitted to a peer that never answers again are not a path-MTU black hole', async () => {
    const t = new Script(40005, 3978).handshake();
    const big = new Uint8Array(1448).fill(3);
    for (let i = 0; i < 5; i++) t.frame('c', t.cs, t.ss, ACK | PSH, big); // sent, then retransmitted 4 times
    const got = await judged(t);
    expect(got.reason).not.toBe('pmtu-blackhole');
    expect(got).toMatchObject({ verdict: 'warning', reason: 'retransmissions' });
  });

  it('a retransmitted SYN is not a retransmitted data segment', async () => {
    const t = new Script(40002, 3978).frame('c', 100, 0, SYN).frame('c', 100, 0, SYN).frame('s', 500, 101, SYN | ACK).frame('c', 101, 501, ACK);
    for (let i = 0; i < 11; i++) t.c(new Uint8Array(100).fill(1)).frame('s', t.ss, t.cs, ACK);
    expect(await judged(t.fin())).toMatchObject({ verdict: 'ok', reason: null });
  });

  it('an SSH client banner does not hide a server on 22 that is not SSH', async () => {
    for (const greeting of ['HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n', '220 mail.example ESMTP ready\r\n']) {
      const t = new Script(40003, 22).handshake().c(catBuf(Buffer.from('SSH-2.0-OpenSSH_9.6\r\n'))).s(Buffer.from(greeting));
      const got = await judged(t.fin());
      expect(got, greeting).toMatchObject({ verdict: 'failed', reason: 'unexpected-protocol' });
      expect(got.detail).toContain('does not speak SSH');
    }
    // control: a real SSH server (with a line before its identification, as RFC 4253 allows)
    const ok = new Script(40004, 22).handshake().c(Buffer.from('SSH-2.0-OpenSSH_9.6\r\n')).s(Buffer.from('hello\r\nSSH-2.0-OpenSSH_9.2p1\r\n'));
    expect(await judged(ok.fin())).toMatchObject({ verdict: 'ok', app: 'ssh' });
  });
});
