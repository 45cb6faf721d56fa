#!/usr/bin/env node
// Deterministic benchmark workloads for pantap: classic pcap files (little-endian,
// microsecond timestamps, LINKTYPE_ETHERNET), the same bytes on every run and machine.
//
//   node bench/workload.mjs mixed-2M|small-4M|flood-1M|all [--out bench/data] [--force]
//
// A file that already exists with the expected size is not regenerated (unless --force);
// its size and sha256 prefix are printed either way and compared with the values below.
//
// Workloads (see bench/README.md for the details):
//   mixed-2M  2,000,000 Ethernet/IPv4 packets in 20,000 flows (70 % TCP / 30 % UDP by flow),
//             both directions interleaved, frames 64..1514 bytes (records average ~473 bytes
//             with the 16-byte record header: ~946 MB); TCP flows open with SYN, SYN-ACK, ACK
//             and close with FIN-ACK both ways; ~30 % of flows go to PAN catalog ports.
//   small-4M  4,000,000 64-byte UDP frames in 4,000 flows (320 MB).
//   flood-1M  1,000,000 TCP SYNs, each from a distinct source address and port (60-byte
//             frames: IPv4 total length 40 plus 6 bytes of Ethernet padding, as a receiver
//             captures a bare SYN).
//
// Plain Node ESM, no dependencies: headers are written into one large reused Buffer which is
// flushed with fs.writeSync (and fed to sha256 on the way) whenever it fills up.
import { openSync, writeSync, closeSync, statSync, existsSync, mkdirSync, renameSync, readSync, unlinkSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

// Sizes and sha256 prefixes of the files this version of the generator writes. A change
// to the generator that changes the bytes must update these.
const EXPECTED = {
  'mixed-2M': { size: 947_043_299, sha256: '017b02a85bb453cf' },
  'small-4M': { size: 24 + 4_000_000 * (16 + 64), sha256: '29fe79f6033c800a' },
  'flood-1M': { size: 24 + 1_000_000 * (16 + 60), sha256: '9a86bafd8b9aeb7f' },
};

const CHUNK = 8 << 20; // 8 MiB write buffer
const MAX_RECORD = 16 + 1514;

// ---------------------------------------------------------------------------------------
// Seeded PRNG: mulberry32 (32-bit state, Math.imul only: bit-exact everywhere).
function mulberry32(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

// ---------------------------------------------------------------------------------------
// Output: a reused chunk buffer, flushed with writeSync and hashed as it goes.
class PcapWriter {
  constructor(path) {
    this.path = path;
    this.fd = openSync(path, 'w');
    this.buf = Buffer.alloc(CHUNK);
    this.pos = 0;
    this.bytes = 0;
    this.hash = createHash('sha256');
    // Global header: magic, v2.4, thiszone 0, sigfigs 0, snaplen 65535, LINKTYPE_ETHERNET.
    const b = this.buf;
    b.writeUInt32LE(0xa1b2c3d4, 0);
    b.writeUInt16LE(2, 4);
    b.writeUInt16LE(4, 6);
    b.writeInt32LE(0, 8);
    b.writeUInt32LE(0, 12);
    b.writeUInt32LE(65535, 16);
    b.writeUInt32LE(1, 20);
    this.pos = 24;
  }
  // Makes room for one record; returns the offset where its 16-byte header goes.
  reserve() {
    if (this.pos + MAX_RECORD > CHUNK) this.flush();
    return this.pos;
  }
  flush() {
    if (this.pos === 0) return;
    const view = this.buf.subarray(0, this.pos);
    this.hash.update(view);
    let off = 0;
    while (off < this.pos) off += writeSync(this.fd, this.buf, off, this.pos - off);
    this.bytes += this.pos;
    this.pos = 0;
  }
  close() {
    this.flush();
    closeSync(this.fd);
    return { size: this.bytes, sha256: this.hash.digest('hex') };
  }
}

// Writes the Ethernet + IPv4 headers at `o` (frame start). Returns the L4 offset.
// IPv4 header checksum is computed (cheap) so that tools show no checksum warnings.
function ethIpv4(b, o, srcMacTag, srcIp, dstMacTag, dstIp, proto, ipTotalLen, ipId) {
  // dst MAC 02:xx:ip, src MAC 02:xx:ip (locally administered, derived from the address)
  b[o] = 0x02; b[o + 1] = dstMacTag;
  b.writeUInt32BE(dstIp, o + 2);
  b[o + 6] = 0x02; b[o + 7] = srcMacTag;
  b.writeUInt32BE(srcIp, o + 8);
  b[o + 12] = 0x08; b[o + 13] = 0x00;
  const ip = o + 14;
  b[ip] = 0x45; b[ip + 1] = 0;
  b.writeUInt16BE(ipTotalLen, ip + 2);
  b.writeUInt16BE(ipId, ip + 4);
  b[ip + 6] = 0x40; b[ip + 7] = 0; // DF
  b[ip + 8] = 64; b[ip + 9] = proto;
  b.writeUInt32BE(srcIp, ip + 12);
  b.writeUInt32BE(dstIp, ip + 16);
  let sum = 0x4500 + ipTotalLen + ipId + 0x4000 + ((64 << 8) | proto) +
    (srcIp >>> 16) + (srcIp & 0xffff) + (dstIp >>> 16) + (dstIp & 0xffff);
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  b.writeUInt16BE(~sum & 0xffff, ip + 10);
  return ip + 20;
}

function recordHeader(b, o, tsUsecTotal, caplen, origlen) {
  b.writeUInt32LE(Math.floor(tsUsecTotal / 1e6), o);
  b.writeUInt32LE(tsUsecTotal % 1e6, o + 4);
  b.writeUInt32LE(caplen, o + 8);
  b.writeUInt32LE(origlen, o + 12);
}

function tcpHeader(b, t, sport, dport, seq, ack, flags) {
  b.writeUInt16BE(sport, t);
  b.writeUInt16BE(dport, t + 2);
  b.writeUInt32BE(seq >>> 0, t + 4);
  b.writeUInt32BE(ack >>> 0, t + 8);
  b[t + 12] = 0x50; // data offset 5, no options
  b[t + 13] = flags;
  b[t + 14] = 0xff; b[t + 15] = 0xff; // window 65535
  b[t + 16] = 0; b[t + 17] = 0; // checksum not computed
  b[t + 18] = 0; b[t + 19] = 0;
}

function udpHeader(b, u, sport, dport, udpLen) {
  b.writeUInt16BE(sport, u);
  b.writeUInt16BE(dport, u + 2);
  b.writeUInt16BE(udpLen, u + 4);
  b[u + 6] = 0; b[u + 7] = 0; // checksum 0 = none (IPv4)
}

const ip4 = (a, b, c, d) => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
const FIN = 0x01, SYN = 0x02, PSH = 0x08, ACK = 0x10;
const START_SEC = 1_700_000_000; // 2023-11-14T22:13:20Z

// Fixed payload bytes (seeded), copied into each payload.
function payloadPattern(seed) {
  const r = mulberry32(seed);
  const p = Buffer.alloc(1516);
  for (let i = 0; i < p.length; i += 4) p.writeUInt32LE(r(), i);
  return p;
}

// Ports that the PAN catalog (src/catalog/pan-ports.json) lists, which "other" flows avoid.
const CATALOG_TCP = new Set([22, 28, 80, 135, 139, 389, 443, 445, 514, 636, 2049, 3978, 5006, 5007, 5008,
  6081, 6082, 6514, 28260, 28270, 28769, 28770, 28771, 49160, 49190]);
const CATALOG_UDP = new Set([88, 123, 161, 162, 514, 1812, 2055, 29281]);

// ---------------------------------------------------------------------------------------
// mixed-2M
function genMixed(w) {
  const NFLOWS = 20_000;
  const NPKTS = 2_000_000;
  const ACTIVE = 2_000; // flows in progress at once: packets of these interleave
  const rnd = mulberry32(0x9a17a9);
  const pattern = payloadPattern(0x5eed);

  // Flow table (struct of arrays).
  const isTcp = new Uint8Array(NFLOWS);
  const cIp = new Uint32Array(NFLOWS), sIp = new Uint32Array(NFLOWS);
  const cPort = new Uint16Array(NFLOWS), sPort = new Uint16Array(NFLOWS);
  const npk = new Uint32Array(NFLOWS), sent = new Uint32Array(NFLOWS);
  const cSeq = new Uint32Array(NFLOWS), sSeq = new Uint32Array(NFLOWS);

  // Servers: 4 PAN devices (10.0.0.1-4) and 60 other servers (10.0.1.1-60).
  const panTcp = [22, 443, 3978, 28769, 5007];
  const panUdp = [514, 29281];
  const otherTcp = [8080, 3306, 5432, 8443, 25, 993, 1433, 6379];
  // "Other" UDP flows use random ports: well-known UDP services (DNS, VXLAN...) with random
  // payload bytes would make dissectors (tshark, nDPI) report malformed packets.
  const randomServerPort = (catalog) => {
    for (;;) {
      const p = 1024 + (rnd() % (32768 - 1024));
      if (!catalog.has(p)) return p;
    }
  };
  const seen = new Set();
  let tcpFlows = 0;
  for (let f = 0; f < NFLOWS; f++) {
    for (;;) {
      const tcp = rnd() % 100 < 70;
      const toPan = rnd() % 100 < 30;
      let sip, sport;
      if (toPan) {
        sip = ip4(10, 0, 0, 1 + (rnd() % 4));
        sport = tcp ? panTcp[rnd() % panTcp.length] : panUdp[rnd() % panUdp.length];
      } else {
        sip = ip4(10, 0, 1, 1 + (rnd() % 60));
        const r = rnd() % 100;
        if (tcp) sport = r < 50 ? otherTcp[rnd() % otherTcp.length] : randomServerPort(CATALOG_TCP);
        else sport = randomServerPort(CATALOG_UDP);
      }
      const x = rnd();
      const cip = ip4(10, 1 + (x >>> 24) % 8, (x >>> 16) & 0xff, 1 + ((x & 0xff) % 254));
      const cport = 32768 + (rnd() % (61000 - 32768)); // Linux ephemeral range
      const key = `${tcp ? 6 : 17}|${cip}|${cport}|${sip}|${sport}`;
      if (seen.has(key)) continue;
      seen.add(key);
      isTcp[f] = tcp ? 1 : 0;
      if (tcp) tcpFlows++;
      cIp[f] = cip; sIp[f] = sip; cPort[f] = cport; sPort[f] = sport;
      cSeq[f] = rnd(); sSeq[f] = rnd();
      break;
    }
  }

  // Packets per flow: 5 each, the rest spread by skewed weights (u^3), exact total.
  const MIN = 5;
  const weight = new Float64Array(NFLOWS);
  let wsum = 0;
  for (let f = 0; f < NFLOWS; f++) {
    const u = rnd() / 4294967296;
    weight[f] = 0.002 + u * u * u;
    wsum += weight[f];
  }
  const spare = NPKTS - MIN * NFLOWS;
  let assigned = 0;
  for (let f = 0; f < NFLOWS; f++) {
    npk[f] = MIN + Math.floor((weight[f] / wsum) * spare);
    assigned += npk[f];
  }
  for (let f = 0; assigned < NPKTS; f = (f + 1) % NFLOWS) { npk[f]++; assigned++; }

  // Frame sizes of data packets: cumulative per-mille table of [upTo, lo, hi].
  const SIZES = [
    [420, 64, 64],
    [640, 65, 300],
    [790, 301, 1020],
    [840, 1021, 1499],
    [1000, 1514, 1514],
  ];
  const dataSize = () => {
    const r = rnd() % 1000;
    for (const [upTo, lo, hi] of SIZES) {
      if (r < upTo) return lo === hi ? lo : lo + (rnd() % (hi - lo + 1));
    }
    return 1514;
  };

  const active = new Int32Array(ACTIVE);
  let nActive = 0, nextFlow = 0;
  while (nActive < ACTIVE && nextFlow < NFLOWS) active[nActive++] = nextFlow++;

  const b = w.buf;
  let ts = START_SEC * 1e6;
  let ipId = 0;
  let frameBytes = 0;
  for (let i = 0; i < NPKTS; i++) {
    const slot = rnd() % nActive;
    const f = active[slot];
    const k = sent[f]++;
    const n = npk[f];
    ts += 1 + (rnd() % 9);
    ipId = (ipId + 1) & 0xffff;

    let fromClient, frame, flags = 0;
    if (isTcp[f]) {
      if (k === 0) { fromClient = true; flags = SYN; frame = 64; }
      else if (k === 1) { fromClient = false; flags = SYN | ACK; frame = 64; }
      else if (k === 2) { fromClient = true; flags = ACK; frame = 64; }
      else if (k === n - 2) { fromClient = true; flags = FIN | ACK; frame = 64; }
      else if (k === n - 1) { fromClient = false; flags = FIN | ACK; frame = 64; }
      else { fromClient = (rnd() & 1) === 0; frame = dataSize(); flags = frame > 64 ? PSH | ACK : ACK; }
    } else {
      fromClient = k === 0 ? true : (rnd() & 1) === 0;
      frame = dataSize();
    }

    const o = w.reserve();
    recordHeader(b, o, ts, frame, frame);
    const e = o + 16;
    const src = fromClient ? cIp[f] : sIp[f], dst = fromClient ? sIp[f] : cIp[f];
    const sp = fromClient ? cPort[f] : sPort[f], dp = fromClient ? sPort[f] : cPort[f];
    const l4 = ethIpv4(b, e, fromClient ? 0xc1 : 0x5e, src, fromClient ? 0x5e : 0xc1, dst,
      isTcp[f] ? 6 : 17, frame - 14, ipId);
    let payload;
    if (isTcp[f]) {
      payload = frame - 54;
      const seq = fromClient ? cSeq[f] : sSeq[f];
      const ack = (flags & ACK) ? (fromClient ? sSeq[f] : cSeq[f]) : 0;
      tcpHeader(b, l4, sp, dp, seq, ack, flags);
      const used = payload + ((flags & (SYN | FIN)) ? 1 : 0);
      if (fromClient) cSeq[f] = (seq + used) >>> 0; else sSeq[f] = (seq + used) >>> 0;
      b.set(pattern.subarray(0, payload), l4 + 20);
    } else {
      payload = frame - 42;
      udpHeader(b, l4, sp, dp, frame - 34);
      b.set(pattern.subarray(0, payload), l4 + 8);
    }
    w.pos = e + frame;
    frameBytes += frame;

    if (k + 1 === n) {
      if (nextFlow < NFLOWS) active[slot] = nextFlow++;
      else active[slot] = active[--nActive];
    }
  }
  return { packets: NPKTS, flows: NFLOWS, tcpFlows, udpFlows: NFLOWS - tcpFlows, avgFrame: frameBytes / NPKTS };
}

// ---------------------------------------------------------------------------------------
// small-4M
function genSmall(w) {
  const NFLOWS = 4_000;
  const NPKTS = 4_000_000;
  const FRAME = 64; // 14 + 20 + 8 + 22 bytes of payload
  const rnd = mulberry32(0x5a11);
  const pattern = payloadPattern(0x5eed);
  const cIp = new Uint32Array(NFLOWS), sIp = new Uint32Array(NFLOWS);
  const cPort = new Uint16Array(NFLOWS), sPort = new Uint16Array(NFLOWS);
  const ports = [514, 29281, 7777, 12345, 20000, 24000, 27000, 31000];
  const seen = new Set();
  for (let f = 0; f < NFLOWS; f++) {
    for (;;) {
      const sport = ports[rnd() % ports.length];
      const sip = sport === 514 || sport === 29281 ? ip4(10, 0, 0, 1 + (rnd() % 4)) : ip4(10, 0, 1, 1 + (rnd() % 60));
      const x = rnd();
      const cip = ip4(10, 1 + (x >>> 24) % 8, (x >>> 16) & 0xff, 1 + ((x & 0xff) % 254));
      const cport = 32768 + (rnd() % (61000 - 32768));
      const key = `${cip}|${cport}|${sip}|${sport}`;
      if (seen.has(key)) continue;
      seen.add(key);
      cIp[f] = cip; sIp[f] = sip; cPort[f] = cport; sPort[f] = sport;
      break;
    }
  }
  const b = w.buf;
  let ts = START_SEC * 1e6;
  for (let i = 0; i < NPKTS; i++) {
    const r = rnd();
    const f = r % NFLOWS;
    const fromClient = (r >>> 31) === 0;
    ts += 1 + ((r >>> 20) & 3);
    const o = w.reserve();
    recordHeader(b, o, ts, FRAME, FRAME);
    const e = o + 16;
    const l4 = ethIpv4(b, e, fromClient ? 0xc1 : 0x5e, fromClient ? cIp[f] : sIp[f],
      fromClient ? 0x5e : 0xc1, fromClient ? sIp[f] : cIp[f], 17, FRAME - 14, i & 0xffff);
    udpHeader(b, l4, fromClient ? cPort[f] : sPort[f], fromClient ? sPort[f] : cPort[f], FRAME - 34);
    b.set(pattern.subarray(0, FRAME - 42), l4 + 8);
    w.pos = e + FRAME;
  }
  return { packets: NPKTS, flows: NFLOWS };
}

// ---------------------------------------------------------------------------------------
// flood-1M
function genFlood(w) {
  const NPKTS = 1_000_000;
  const FRAME = 60; // 14 + 20 + 20, then 6 bytes of Ethernet padding (IP total length 40)
  const rnd = mulberry32(0xf100d);
  const b = w.buf;
  const target = ip4(10, 0, 0, 1);
  const dports = [443, 22, 80, 8443];
  let ts = START_SEC * 1e6;
  for (let i = 0; i < NPKTS; i++) {
    // Distinct sources: i -> odd multiplier mod 2^22 is a bijection on 100.64.0.0/10.
    const host = Math.imul(i, 0x2c1b3) & 0x3fffff;
    const src = (ip4(100, 64, 0, 0) | host) >>> 0;
    const sport = 1024 + ((Math.imul(i, 0x9e37) >>> 0) % 64512);
    const r = rnd();
    ts += 1 + (r & 1);
    const o = w.reserve();
    recordHeader(b, o, ts, FRAME, FRAME);
    const e = o + 16;
    const l4 = ethIpv4(b, e, 0xc1, src, 0x5e, target, 6, 40, i & 0xffff);
    tcpHeader(b, l4, sport, dports[(r >>> 8) & 3], r, 0, SYN);
    b.fill(0, l4 + 20, e + FRAME);
    w.pos = e + FRAME;
  }
  return { packets: NPKTS, flows: NPKTS };
}

const GENERATORS = { 'mixed-2M': genMixed, 'small-4M': genSmall, 'flood-1M': genFlood };

// ---------------------------------------------------------------------------------------
function sha256File(path) {
  const h = createHash('sha256');
  const fd = openSync(path, 'r');
  const buf = Buffer.allocUnsafe(CHUNK);
  for (;;) {
    const n = readSync(fd, buf, 0, CHUNK, null);
    if (n === 0) break;
    h.update(buf.subarray(0, n));
  }
  closeSync(fd);
  return h.digest('hex');
}

function report(name, path, size, sha, extra, seconds) {
  const exp = EXPECTED[name];
  const mb = (size / 1e6).toFixed(1);
  let check = '';
  if (exp.size && exp.size !== size) check += ` [size differs from expected ${exp.size}]`;
  if (exp.sha256 && !sha.startsWith(exp.sha256)) check += ` [sha256 differs from expected ${exp.sha256}]`;
  if (exp.size && exp.sha256 && !check) check = ' [matches expected]';
  const info = extra ? ' ' + JSON.stringify(extra) : '';
  const time = seconds !== undefined ? ` in ${seconds.toFixed(2)} s` : ' (existing file)';
  console.log(`${name}: ${path} ${size} bytes (${mb} MB) sha256 ${sha.slice(0, 16)}${time}${check}${info}`);
}

function main(argv) {
  const args = argv.slice(2);
  let out = join(dirname(fileURLToPath(import.meta.url)), 'data');
  let force = false;
  const names = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--out') out = args[++i];
    else if (a.startsWith('--out=')) out = a.slice(6);
    else if (a === '--force') force = true;
    else if (a === '-h' || a === '--help') names.push('help');
    else names.push(a);
  }
  if (names.length === 0 || names.includes('help') || !out) {
    console.error('usage: node bench/workload.mjs mixed-2M|small-4M|flood-1M|all [--out bench/data] [--force]');
    process.exit(names.includes('help') ? 0 : 64);
  }
  const list = names.includes('all') ? Object.keys(GENERATORS) : names;
  for (const n of list) {
    if (!GENERATORS[n]) {
      console.error(`unknown workload "${n}" (expected one of: ${Object.keys(GENERATORS).join(', ')}, all)`);
      process.exit(64);
    }
  }
  mkdirSync(out, { recursive: true });
  for (const name of list) {
    const path = join(out, `${name}.pcap`);
    const exp = EXPECTED[name];
    if (!force && exp.size && existsSync(path) && statSync(path).size === exp.size) {
      report(name, path, exp.size, sha256File(path));
      continue;
    }
    const t0 = process.hrtime.bigint();
    const tmp = `${path}.tmp-${process.pid}`;
    const w = new PcapWriter(tmp);
    let extra;
    try {
      extra = GENERATORS[name](w);
    } catch (err) {
      try { closeSync(w.fd); unlinkSync(tmp); } catch { /* ignore */ }
      throw err;
    }
    const { size, sha256 } = w.close();
    renameSync(tmp, path);
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    report(name, path, size, sha256, extra, secs);
  }
}

main(process.argv);
