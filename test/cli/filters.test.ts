// Offline filters and tcpdump habits end to end (the built dist/cli/bin.js): -f against
// tcpdump as the oracle (`tcpdump -r F -w - 'expr' | pantap analyze -` and `pantap analyze
// F -f 'expr'` give the same flows), a pcapng mixing Ethernet and raw-IP interfaces, the
// -f errors, --host against tcpdump's `ip host`/`net`, --since/--until against tcpdump's
// timestamps, -c against tcpdump -c, -r as the positional, strict numbers, bare pantap.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeSummary } from '../../src/report/protobuf.js';
import { cat, epb, idb, pcap, shb, tempDir } from '../helpers/build.js';
import { REPO } from '../helpers/shared.js';

const BIN = resolve(REPO, 'dist/cli/bin.js');
const LAB = resolve(REPO, 'fixtures/pan-lab');
type Run = { status: number | null; stdout: string; stderr: string };
const pantap = (args: string[], input?: Buffer): Run =>
  spawnSync(process.execPath, [BIN, ...args], { cwd: REPO, encoding: 'utf8', input, env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 64 << 20 });

let bpfMissing: string | null = null;
try {
  const live = createRequire(import.meta.url)(resolve(REPO, 'native-bindings/live/index.js')) as { BpfFilter?: unknown };
  if (typeof live.BpfFilter !== 'function') bpfMissing = 'the pantap-live addon was built before BpfFilter existed (npm run rebuild in native-bindings/live)';
} catch (err) {
  bpfMissing = `the pantap-live addon is not built (${(err as Error).message.split('\n')[0]})`;
}
const tcpdumpMissing = spawnSync('tcpdump', ['--version']).status === 0 ? null : 'tcpdump is not installed';
const bpfSkip = bpfMissing ?? tcpdumpMissing;
const oracleSkip = tcpdumpMissing;
if (bpfSkip) console.warn(`[test/cli/filters] -f tests SKIPPED: ${bpfSkip}`);
if (oracleSkip) console.warn(`[test/cli/filters] tcpdump oracle tests SKIPPED: ${oracleSkip}`);

/** tcpdump's filtered copy of a capture (pcap on stdout). */
function tcpdump(args: string[]): Buffer {
  const r = spawnSync('tcpdump', ['-w', '-', ...args], { maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`tcpdump ${args.join(' ')}: ${r.stderr.toString()}`);
  return r.stdout;
}

/** The flows of a JSON summary as comparable lines, sorted. */
function flows(json: string): string[] {
  const s = JSON.parse(json) as { flows: Record<string, unknown>[] };
  return s.flows
    .map((f) => [f.transport, f.client, f.clientPort, f.server, f.serverPort, f.ipProtocol, f.ethertype, f.clientPackets, f.serverPackets, f.clientBytes, f.serverBytes, f.section, f.verdict, f.reason].join(' '))
    .sort();
}

function json(args: string[], input?: Buffer) {
  const r = pantap([...args, '-F', 'json', '--flows'], input);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return { s: JSON.parse(r.stdout), text: r.stdout };
}

/** The records of a classic pcap (microsecond, little-endian, as the lab files are). */
function records(file: string): { sec: number; usec: number; data: Buffer; origlen: number }[] {
  const b = readFileSync(file);
  expect(b.readUInt32LE(0)).toBe(0xa1b2c3d4);
  const out = [];
  for (let p = 24; p + 16 <= b.length; ) {
    const caplen = b.readUInt32LE(p + 8);
    out.push({ sec: b.readUInt32LE(p), usec: b.readUInt32LE(p + 4), origlen: b.readUInt32LE(p + 12), data: b.subarray(p + 16, p + 16 + caplen) });
    p += 16 + caplen;
  }
  return out;
}

describe.skipIf(bpfSkip !== null)(`-f on files, tcpdump as the oracle${bpfSkip ? ` (SKIPPED: ${bpfSkip})` : ''}`, () => {
  const cases: [string, string][] = [
    ['a07_mixed.pcap', 'tcp port 3978'],
    ['a02_ha.pcap', 'not arp and not icmp'],
    ['a06_failures.pcap', 'tcp[tcpflags] & (tcp-syn|tcp-rst) != 0 or udp'],
    ['a04_userid.pcap', 'net 10.99.0.0/16 and (udp or tcp portrange 5000-6000)'],
    ['a01_management.pcap', 'port 443 or port 22'],
  ];
  it.each(cases)('%s -f %s: the same flows as tcpdump -w - | pantap analyze -', (file, expr) => {
    const path = join(LAB, file);
    const viaTcpdump = json(['analyze', '-'], tcpdump(['-r', path, expr]));
    const withF = json(['analyze', path, '-f', expr]);
    expect(flows(withF.text)).toEqual(flows(viaTcpdump.text));
    expect(withF.s.input.packets).toBe(viaTcpdump.s.input.packets);
    expect(withF.s.input.bytes).toBe(viaTcpdump.s.input.bytes);
    expect(withF.s.input.malformed).toBe(viaTcpdump.s.input.malformed);
    const total = records(path).length;
    expect(withF.s.input.filter).toEqual({ bpf: expr, hosts: [], since: null, until: null, count: null, filteredOut: total - viaTcpdump.s.input.packets, stoppedEarly: false });
    expect(withF.s.input.details[0].packets).toBe(total);
    expect(withF.s.input.packets).toBeGreaterThan(0);
    expect(withF.s.input.packets).toBeLessThan(total);
    // through workers (whose batches a JavaScript reader could share; the addon's filter takes ArrayBuffers only): the same
    expect(json(['analyze', path, '-f', expr, '-w', '2']).text).toBe(withF.text);
  });

  it('a pcapng mixing Ethernet and raw IP: compiled per link type, the same flows as tcpdump on each part', () => {
    // UDP over IPv4 goes to a raw-IP interface (its Ethernet header cut off), the rest stays
    // on Ethernet: each flow keeps its packets, in order, on one interface.
    const d = tempDir('pantap-filters-');
    const blocks: Buffer[] = [shb(), idb({ linktype: 1, snaplen: 65535 }), idb({ linktype: 101, snaplen: 65535 })];
    const ethRecs: Parameters<typeof pcap>[0] = [];
    const rawRecs: Parameters<typeof pcap>[0] = [];
    for (const r of records(join(LAB, 'a07_mixed.pcap'))) {
      const ts = BigInt(r.sec) * 1_000_000n + BigInt(r.usec);
      const udp4 = r.data.readUInt16BE(12) === 0x0800 && r.data[14 + 9] === 17;
      if (udp4) {
        const data = r.data.subarray(14);
        blocks.push(epb({ ifId: 1, ts, data, origlen: r.origlen - 14 }));
        rawRecs.push({ sec: r.sec, frac: r.usec, data, origlen: r.origlen - 14 });
      } else {
        blocks.push(epb({ ifId: 0, ts, data: r.data, origlen: r.origlen }));
        ethRecs.push({ sec: r.sec, frac: r.usec, data: r.data, origlen: r.origlen });
      }
    }
    expect(rawRecs.length).toBeGreaterThan(0);
    const mixed = d.file('mixed.pcapng', cat(...blocks));
    const ethFile = d.file('eth.pcap', pcap(ethRecs, { linktype: 1 }));
    const rawFile = d.file('raw.pcap', pcap(rawRecs, { linktype: 101 }));
    for (const expr of ['ip and (udp or tcp port 3978)', 'src net 10.99.1.0/24', 'ip[8] < 128 and not tcp']) {
      const e = d.file(`e-${expr.length}.pcap`, tcpdump(['-r', ethFile, expr]));
      const r = d.file(`r-${expr.length}.pcap`, tcpdump(['-r', rawFile, expr]));
      const oracle = json(['analyze', e, r]);
      const withF = json(['analyze', mixed, '-f', expr]);
      expect(flows(withF.text), expr).toEqual(flows(oracle.text));
      expect(withF.s.input.packets, expr).toBe(oracle.s.input.packets);
      expect(withF.s.input.linktypes.map((l: { linktype: number }) => l.linktype), expr).toEqual(oracle.s.input.linktypes.map((l: { linktype: number }) => l.linktype));
    }
    // An expression libpcap compiles for Ethernet but not for raw IP fails when the first raw
    // record comes, naming the file, the expression, the link type and libpcap's words.
    const bad = pantap(['analyze', mixed, '-f', 'ether broadcast or udp']);
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(new RegExp(`^pantap: ${mixed.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: -f 'ether broadcast or udp': libpcap cannot compile it for link type 101: [^\\n]+\\n$`));
  });

  it('an expression libpcap cannot parse: one line naming it and libpcap\'s message, exit 2, nothing read', () => {
    const r = pantap(['analyze', join(LAB, 'a07_mixed.pcap'), '-f', 'tcp port (((']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^pantap: -f 'tcp port \(\(\(': libpcap cannot compile it: [^\n]*syntax error\n$/);
    const q = pantap(['analyze', join(LAB, 'a07_mixed.pcap'), '-f', "host it's"]);
    expect(q.stderr).toMatch(/^pantap: -f 'host it'\\''s': libpcap cannot compile it: [^\n]+\n$/);
  });

  it('the text report states the filter and what it dropped', () => {
    const r = pantap(['analyze', join(LAB, 'a07_mixed.pcap'), '-f', 'tcp port 3978']);
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').slice(0, 5)).toEqual([
      'File       fixtures/pan-lab/a07_mixed.pcap (pcap, 170 packets)'.replace('fixtures/pan-lab/a07_mixed.pcap', join(LAB, 'a07_mixed.pcap')),
      'Packets    56 (22.0 kB on the wire)',
      'Time       2026-11-25T16:15:35.906637Z → 2026-11-25T16:15:44.438400Z (8.53 s)',
      'Malformed  0',
      "Filter     -f 'tcp port 3978': 114 packets filtered out",
    ]);
  });
});

describe.skipIf(oracleSkip !== null)(`--host, --since/--until, -c against tcpdump${oracleSkip ? ` (SKIPPED: ${oracleSkip})` : ''}`, () => {
  const a07 = join(LAB, 'a07_mixed.pcap');

  it.each([
    [['10.99.1.5'], 'ip host 10.99.1.5'],
    [['10.99.1.0/28'], 'ip net 10.99.1.0/28'],
    [['10.99.1.2', '10.99.1.10/31'], 'ip host 10.99.1.2 or ip net 10.99.1.10/31'],
  ])('--host %s keeps what tcpdump %s keeps', (hosts, expr) => {
    const oracle = json(['analyze', '-'], tcpdump(['-r', a07, expr]));
    const r = json(['analyze', a07, ...hosts.flatMap((h) => ['--host', h])]);
    expect(flows(r.text)).toEqual(flows(oracle.text));
    expect(r.s.input.packets).toBe(oracle.s.input.packets);
    expect(r.s.input.filter.hosts).toEqual(hosts);
    expect(r.s.input.filter.filteredOut).toBe(170 - oracle.s.input.packets);
  });

  it('--since (inclusive) and --until (exclusive), ISO with a zone or +SECONDS, at packet times', () => {
    const ts = spawnSync('tcpdump', ['-tt', '-nr', a07], { encoding: 'utf8' }).stdout.split('\n').flatMap((l) => /^(\d+\.\d{6}) /.exec(l)?.[1] ?? []);
    expect(ts.length).toBe(170);
    const us = ts.map((t) => Math.round(Number(t) * 1e6));
    const iso = (u: number) => `${new Date(Math.floor(u / 1000)).toISOString().slice(0, 19)}.${String(u % 1e6).padStart(6, '0')}Z`;
    const within = (lo: number, hi: number) => us.filter((u) => u >= lo && u < hi).length;
    const [lo, hi] = [us[40], us[120]];
    const r = json(['analyze', a07, '--since', iso(lo), '--until', iso(hi)]);
    expect(r.s.input.packets).toBe(within(lo, hi));
    expect(r.s.input.filter).toMatchObject({ since: iso(lo), until: iso(hi), filteredOut: 170 - within(lo, hi) });
    expect(r.s.input.firstSeen).toBe(iso(lo));
    // The same instants in another zone.
    const plus2 = (u: number) => `${new Date(Math.floor(u / 1000) + 7_200_000).toISOString().slice(0, 19)}.${String(u % 1e6).padStart(6, '0')}+02:00`;
    expect(json(['analyze', a07, '--since', plus2(lo), '--until', plus2(hi)]).s.input.packets).toBe(within(lo, hi));
    // +SECONDS from the first packet.
    const rel = json(['analyze', a07, '--since', '+2', '--until', '+4.5']);
    expect(rel.s.input.packets).toBe(within(us[0] + 2e6, us[0] + 4.5e6));
    expect(rel.s.input.filter).toMatchObject({ since: iso(us[0] + 2e6), until: iso(us[0] + 4.5e6) });
  });

  it('-c N stops after N packets (those kept), as tcpdump -c, and says so', () => {
    const oracle = json(['analyze', '-'], tcpdump(['-r', a07, '-c', '25', 'tcp']));
    expect(oracle.s.input.packets).toBe(25);
    const hostOracle = json(['analyze', '-'], tcpdump(['-r', a07, '-c', '25', 'ip host 10.99.1.5']));
    const r = json(['analyze', a07, '--host', '10.99.1.5', '-c', '25']);
    expect(flows(r.text)).toEqual(flows(hostOracle.text));
    expect(r.s.input.packets).toBe(25);
    expect(r.s.input.filter).toMatchObject({ count: 25, stoppedEarly: true });
    // Records read: up to the 25th kept one; the ones before it that were dropped are counted.
    expect(r.s.input.details[0].packets).toBe(25 + r.s.input.filter.filteredOut);
    const text = pantap(['analyze', a07, '-c', '10']);
    expect(text.stdout).toContain('Filter     -c 10: 0 packets filtered out; stopped reading after 10 packets (-c)');
    expect(text.stdout).toContain('(pcap, 10 packets)');
    // A limit the capture never reaches does not stop anything.
    expect(json(['analyze', a07, '-c', '1000']).s.input.filter).toMatchObject({ count: 1000, stoppedEarly: false, filteredOut: 0 });
    // From stdin, through workers: the same.
    const piped = json(['analyze', '-', '-c', '25', '--host', '10.99.1.5', '-w', '2'], readFileSync(a07));
    expect(flows(piped.text)).toEqual(flows(hostOracle.text));
  });
});

describe('tcpdump habits and argument errors', () => {
  const a = join(LAB, 'a02_ha.pcap');
  const b = join(LAB, 'a03_panorama.pcap');

  it('-r FILE is the positional file (repeatable, and with positional ones)', () => {
    const positional = pantap(['analyze', a, b, '-F', 'json']);
    expect(positional.status).toBe(0);
    expect(pantap(['analyze', '-r', a, '-r', b, '-F', 'json']).stdout).toBe(positional.stdout);
    expect(pantap(['analyze', '-r', a, b, '-F', 'json']).stdout).toBe(positional.stdout);
    expect(JSON.parse(positional.stdout).input.filter).toBeUndefined();
  });

  it('the filter reaches JSON and protobuf', () => {
    const d = tempDir('pantap-filters-');
    const out = join(d.dir, 's.pb');
    expect(pantap(['analyze', a, '--host', '10.99.2.0/24', '--since', '+1', '-c', '50', '-F', 'protobuf', '-o', out]).status).toBe(0);
    const s = decodeSummary(readFileSync(out)) as { input: { filter: Record<string, unknown>; packets: number } };
    const j = JSON.parse(pantap(['analyze', a, '--host', '10.99.2.0/24', '--since', '+1', '-c', '50', '-F', 'json']).stdout).input;
    expect(j.filter.hosts).toEqual(['10.99.2.0/24']);
    expect(Number(s.input.filter.filteredOut)).toBe(j.filter.filteredOut);
    expect(s.input.filter.hosts).toEqual(['10.99.2.0/24']);
    expect(s.input.filter.since).toBe(j.filter.since);
    expect(Number(s.input.filter.count)).toBe(50);
    expect(Number(s.input.packets)).toBe(j.packets);
  });

  it('numbers are parsed strictly in every numeric option; errors start with pantap: and end with a --help hint', () => {
    const refused = (args: string[], command: string, opt: string) => {
      const r = pantap(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr, args.join(' ')).toMatch(new RegExp(`^pantap: option '${opt}' argument '[^']*' is invalid\\. [^\\n]+ \\(see '${command} --help'\\)\\n$`));
    };
    refused(['analyze', a, '--top', '1e3'], 'pantap analyze', '--top <n>');
    refused(['analyze', a, '--top', '0x10'], 'pantap analyze', '--top <n>');
    refused(['analyze', a, '--top', '5.5'], 'pantap analyze', '--top <n>');
    refused(['analyze', a, '--max-flows', '1_000'], 'pantap analyze', '--max-flows <n>');
    refused(['analyze', a, '--max-listed', '-1'], 'pantap analyze', '--max-listed <n>');
    refused(['analyze', a, '-w', ' 2'], 'pantap analyze', '-w, --workers <n>');
    refused(['analyze', a, '-c', '0'], 'pantap analyze', '-c, --count <n>');
    refused(['analyze', a, '--since', '2026-11-25T16:00:00'], 'pantap analyze', '--since <time>');
    refused(['analyze', a, '--host', '10.0.0.1/8'], 'pantap analyze', '--host <addr>');
    refused(['live', '-i', 'lo', '--duration', '1e3'], 'pantap live', '--duration <sec>');
    refused(['live', '-i', 'lo', '--snaplen', '0x100'], 'pantap live', '--snaplen <n>');
    refused(['live', '-i', 'lo', '--tcp-timeout', '30s'], 'pantap live', '--tcp-timeout <sec>');
    refused(['live', '-i', 'lo', '-c', '+5'], 'pantap live', '-c, --count <n>');
    expect(pantap(['analyze', a, '--top', '1000', '--max-flows', '100000', '-w', '0', '-F', 'json']).status).toBe(0);
    // --duration takes fractions: 0.5 passes the parser (the capture then fails or runs, not the option).
    const half = pantap(['live', '-i', 'pantap-no-such-if0', '--duration', '0.5']);
    expect(half.status).toBe(2);
    expect(half.stderr).not.toMatch(/duration/);
  });

  it('other argument errors: the same shape', () => {
    const cases: [string[], string][] = [
      [['analyze'], "pantap: no capture to read: name capture files (- reads stdin) or give -r FILE (see 'pantap analyze --help')\n"],
      [['analyze', a, '--since', '+5', '--until', '+2'], "pantap: --since must be before --until (see 'pantap analyze --help')\n"],
      [['analyze', a, '--fail-on', 'bad'], "pantap: --fail-on takes unexpected, failed or degraded (got 'bad') (see 'pantap analyze --help')\n"],
      [['analyze', a, '--bogus'], "pantap: unknown option '--bogus' (see 'pantap analyze --help')\n"],
      [['bogus'], "pantap: unknown command 'bogus' (see 'pantap --help')\n"],
    ];
    for (const [args, line] of cases) {
      const r = pantap(args);
      expect(r.stderr, args.join(' ')).toBe(line);
      expect(r.status, args.join(' ')).toBe(2);
    }
  });

  it('bare pantap prints the help on stderr and exits 2; --help exits 0', () => {
    const r = pantap([]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^Usage: pantap \[options\] \[command\]\n/);
    expect(r.stderr).toContain('analyze [options] [files...]');
    const h = pantap(['analyze', '--help']);
    expect(h.status).toBe(0);
    for (const o of ['-r, --read <file>', '-f, --filter <bpf>', '--host <addr>', '--since <time>', '--until <time>', '-c, --count <n>']) expect(h.stdout).toContain(o);
  });
});

describe('the addon missing', () => {
  it('openBpf says -f needs the addon and how to build it, in one line', async () => {
    const { openBpf } = await import('../../src/capture/bpf.js');
    const { FilterError } = await import('../../src/errors.js');
    const fail = () => {
      const err = new Error('pantap-live native addon is not built (install libpcap-dev and a C++ toolchain, then run `npm install` again in the pantap folder)');
      (err as { code?: string }).code = 'ERR_PANTAP_LIVE_UNAVAILABLE';
      throw err;
    };
    expect(() => openBpf('tcp', fail)).toThrow(FilterError);
    expect(() => openBpf('tcp', fail)).toThrow(
      /^-f needs the pantap-live addon, which is not available \(pantap-live native addon is not built [^\n]*\): install libpcap and a C\+\+ toolchain \(apt-get install libpcap-dev g\+\+ make python3\), then run npm install again in the pantap folder \(or npm run rebuild in native-bindings\/live\)$/,
    );
    // An addon built before BpfFilter existed.
    expect(() => openBpf('tcp', () => undefined as never)).toThrow(/^-f needs the pantap-live addon, which is not available \(the addon has no BpfFilter/);
  });

  it.skipIf(bpfMissing !== null)('with the addon: a bad expression is a FilterError naming it; a link-specific one compiles', async () => {
    const { openBpf } = await import('../../src/capture/bpf.js');
    expect(() => openBpf('port 80 and')).toThrow(/^-f 'port 80 and': libpcap cannot compile it: /);
    expect(openBpf('inbound').expression).toBe('inbound'); // Linux cooked captures only
    expect(openBpf('ether host 00:1b:17:00:01:10').check(101)).toMatch(/ethernet/i);
  });
});
