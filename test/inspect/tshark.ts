// tshark as the reference for the inspect tests: per-stream payloads (reassembled by
// sequence number, as the session does) and tshark's own dissection of TLS, SSH and HTTP,
// all from one tshark run per capture.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { prefixFromSegments, type FlowPayload } from '../../src/inspect/stream.js';

function which(tool: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() !== '' ? r.stdout.trim() : null;
}

export const TSHARK = which('tshark');
export const OPENSSL = which('openssl');

export interface TsharkTls {
  /** tshark found a ClientHello in the client's first data frame. */
  opensWithClientHello: boolean;
  sni: string | null;
  alpn: string[];
  /** Of the last ServerHello (after a HelloRetryRequest, the real one). */
  cipherCode: number | null;
  /** supported_versions of the ServerHello, else its version. */
  versionCode: number | null;
  /** type-21 records in frame order: plaintext ones with level and description. */
  alerts: { fromServer: boolean; level: number | null; code: number | null }[];
  ccs: { client: boolean; server: boolean };
  serverCert: { sha256: string; chain: number } | null;
  clientCert: { sha256: string; chain: number } | null;
}

export interface TsharkStream {
  stream: number;
  serverPort: number;
  payload: FlowPayload;
  /** Set when tshark dissected TLS in the stream. */
  tls: TsharkTls | null;
  ssh: { client: string | null; server: string | null };
  http: { method: string | null; uri: string | null; version: string | null; status: number | null };
  /** Application protocols tshark dissected in the stream's payload (issue 10's: ldap, kerberos, dcerpc, syslog). */
  apps: Set<string>;
}

/** frame.protocols names of the applications the lab tests compare detection for. */
const APP_PROTOCOLS = new Set(['ldap', 'kerberos', 'dcerpc', 'syslog']);

const FIELDS = [
  'tcp.stream', 'frame.number', 'tcp.srcport', 'tcp.dstport', 'tcp.seq', 'tcp.flags.syn', 'tcp.flags.ack', 'tcp.payload',
  'tls.record.content_type', 'tls.handshake.type', 'tls.handshake.extensions_server_name', 'tls.handshake.extensions_alpn_str',
  'tls.handshake.ciphersuite', 'tls.handshake.extensions.supported_version', 'tls.handshake.version',
  'tls.alert_message.level', 'tls.alert_message.desc', 'tls.handshake.certificate',
  'ssh.protocol', 'http.request.method', 'http.request.uri', 'http.request.version', 'http.response.code', 'frame.protocols',
];

const split = (v: string | undefined): string[] => (v === undefined || v === '' ? [] : v.split(','));

/**
 * Every TCP stream of a capture. The server is the receiver of the SYN (else the lower
 * port); each direction is its bytes in sequence order from its first segment, retransmitted
 * bytes dropped, stopping at a gap (then marked truncated). `decodeAs` maps ports to a
 * dissector (`ssh`, `tls`) for ports tshark would not dissect by itself.
 */
export function tsharkDissect(pcap: string, decodeAs: [number, string][] = []): TsharkStream[] {
  const args = ['-r', pcap, '-o', 'tcp.relative_sequence_numbers:TRUE'];
  // syslog over TCP: tshark 4.0 takes 514/tcp for rsh unless told
  for (const [port, proto] of [[514, 'syslog'] as [number, string], ...decodeAs]) args.push('-d', `tcp.port==${port},${proto}`);
  args.push('-Y', 'tcp', '-T', 'fields', '-E', 'aggregator=,', '-E', 'occurrence=a');
  for (const f of FIELDS) args.push('-e', f);
  const r = spawnSync(TSHARK ?? 'tshark', args, { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`tshark failed: ${r.stderr}`);

  type Dir = { segs: { record: number; bytes: Uint8Array }[]; next: number | null; gap: boolean };
  type St = { out: TsharkStream; c: Dir; s: Dir };
  const streams = new Map<number, St>();
  for (const line of r.stdout.split('\n')) {
    if (line === '') continue;
    const [s, frame, sport, dport, seq, syn, ack, hex, types, hsTypes, sni, alpn, suites, sv, hv, levels, descs, certs, sshProto, method, uri, version, code, protocols] =
      line.split('\t');
    const id = Number(s);
    let st = streams.get(id);
    if (st === undefined) {
      const serverPort = syn === '1' && ack === '0' ? Number(dport) : Math.min(Number(sport), Number(dport));
      st = {
        out: { stream: id, serverPort, payload: { client: prefixFromSegments([]), server: prefixFromSegments([]) }, tls: null, ssh: { client: null, server: null }, http: { method: null, uri: null, version: null, status: null }, apps: new Set() },
        c: { segs: [], next: null, gap: false },
        s: { segs: [], next: null, gap: false },
      };
      streams.set(id, st);
    }
    const fromServer = Number(sport) === st.out.serverPort;

    // payload, in sequence order
    const dir = fromServer ? st.s : st.c;
    if (hex && !dir.gap) {
      let data = Uint8Array.from(Buffer.from(hex.replace(/:/g, ''), 'hex'));
      let at = Number(seq);
      if (dir.next !== null && at > dir.next) dir.gap = true;
      else {
        if (dir.next !== null && at < dir.next) {
          data = data.subarray(Math.min(data.length, dir.next - at)); // retransmitted bytes
          at = dir.next;
        }
        if (data.length > 0) {
          dir.segs.push({ record: Number(frame), bytes: data });
          dir.next = at + data.length;
        }
      }
    }

    // the protocol right above TCP: what the stream's own bytes are (not DCE/RPC inside SMB)
    const layers = (protocols ?? '').split(':');
    const above = layers[layers.indexOf('tcp') + 1];
    if (hex && above !== undefined && APP_PROTOCOLS.has(above)) st.out.apps.add(above);

    // TLS
    const ct = split(types).map(Number);
    if (ct.length > 0) {
      const t = (st.out.tls ??= { opensWithClientHello: false, sni: null, alpn: [], cipherCode: null, versionCode: null, alerts: [], ccs: { client: false, server: false }, serverCert: null, clientCert: null });
      const hs = split(hsTypes).map(Number);
      if (hs.includes(1) && !fromServer && st.c.segs.length > 0 && st.c.segs[0].record === Number(frame)) t.opensWithClientHello = true;
      if (hs.includes(1) && t.sni === null && sni) t.sni = sni;
      if (hs.includes(1) && t.alpn.length === 0) t.alpn = split(alpn);
      if (hs.includes(2)) {
        t.cipherCode = Number(split(suites).at(-1));
        const v = split(sv).at(-1) ?? split(hv).at(-1);
        t.versionCode = v === undefined ? null : Number(v);
      }
      if (ct.includes(20)) t.ccs[fromServer ? 'server' : 'client'] = true;
      const lv = split(levels).map(Number);
      const ds = split(descs).map(Number);
      const nAlerts = ct.filter((x) => x === 21).length;
      for (let i = 0; i < nAlerts; i++) t.alerts.push({ fromServer, level: i < lv.length ? lv[i] : null, code: i < ds.length ? ds[i] : null });
      const list = split(certs);
      if (hs.includes(11) && list.length > 0) {
        const cert = { sha256: createHash('sha256').update(Buffer.from(list[0].replace(/:/g, ''), 'hex')).digest('hex'), chain: list.length };
        if (fromServer && t.serverCert === null) t.serverCert = cert;
        if (!fromServer && t.clientCert === null) t.clientCert = cert;
      }
    }
    // SSH, HTTP: the first of each
    if (sshProto) {
      const side = fromServer ? 'server' : 'client';
      st.out.ssh[side] ??= sshProto;
    }
    if (method && st.out.http.method === null) {
      st.out.http.method = method;
      st.out.http.uri = uri ?? null;
      st.out.http.version = version ?? null;
    }
    if (code && st.out.http.status === null) st.out.http.status = Number(code);
  }
  return [...streams.values()].map((st) => {
    st.out.payload = { client: prefixFromSegments(st.c.segs, st.c.gap), server: prefixFromSegments(st.s.segs, st.s.gap) };
    return st.out;
  });
}

/** Wireshark's value strings for a field (`tshark -G values`): code → name. */
export function tsharkValues(field: string): Map<number, string> {
  const r = spawnSync(TSHARK ?? 'tshark', ['-G', 'values'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const out = new Map<number, string>();
  for (const line of r.stdout.split('\n')) {
    const [kind, f, code, name] = line.split('\t');
    if (kind === 'V' && f === field) out.set(Number(code), name);
  }
  return out;
}
