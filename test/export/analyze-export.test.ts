// `pantap analyze --export clickhouse://…` against a real ClickHouse server the test starts
// (Debian's clickhouse-server 18.16 in CI; skipped with the reason when it is missing):
// every flow and the channel health land in the store and add up to the JSON summary, a
// flow's `record` is the --flows JSON record, two sensors export at once, an unreachable
// server is one line and exit 2 before anything is read, a failed export still prints the
// summary and exits 2. Needs a build (npm run build).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ETH_IPV4, PROTO_UDP, eth, ipv4, pcap, tempDir, udp } from '../helpers/build.js';
import { clickHouseMissing, startClickHouse, type ClickHouse } from '../helpers/clickhouse.js';
import { HAVE_SHARED, REPO, SHARED, SKIP_REASON } from '../helpers/shared.js';

const BIN = resolve(REPO, 'dist/cli/bin.js');
const LAB = resolve(REPO, 'fixtures/pan-lab');
const ROLES = `${LAB}/lab-roles.yaml`;
const FILES = ['a01_management', 'a02_ha', 'a03_panorama', 'a04_userid', 'a05_unexpected', 'a06_failures', 'a07_mixed'].map((n) => `${LAB}/${n}.pcap`);
const skip = clickHouseMissing || (existsSync(BIN) ? '' : `${BIN} not found: run npm run build first`);
if (skip) console.warn(`[test/export/analyze-export] SKIPPED: ${skip}`);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function pantap(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolveRun) => {
    const c = spawn(process.execPath, [BIN, ...args], { cwd: REPO, env: { ...process.env, NO_COLOR: '1', ...env } });
    let stdout = '';
    let stderr = '';
    c.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    c.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    c.on('close', (code) => resolveRun({ code, stdout, stderr }));
  });
}

/** A loopback port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((r) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => r(typeof a === 'object' && a ? a.port : 1));
    });
  });
}

let ch: ClickHouse | null = null;
beforeAll(async () => {
  if (!skip) ch = await startClickHouse();
});
afterAll(async () => {
  await ch?.stop();
});

/** Rows of a query as objects (JSONEachRow; 64-bit integers come as strings). */
async function rows(sql: string): Promise<Record<string, unknown>[]> {
  const body = await ch!.query(`${sql} FORMAT JSONEachRow`);
  return body
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe.skipIf(skip !== '')(`analyze --export (needs clickhouse-server${skip ? `: ${skip}` : ''})`, () => {
  it('the pan-lab captures: every flow, its record, channel health and the run add up to the JSON summary', async () => {
    const r = await pantap(['analyze', ...FILES, '--roles', ROLES, '--flows', '-F', 'json', '--export', ch!.chUrl('lab'), '--sensor', 'fw-lab']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    const flows = s.flows as { packets: number; bytes: number; section: string }[];
    expect(flows.length).toBe(s.input.flowTable.flows);

    const [t] = await rows("SELECT count() AS n, sum(packets) AS p, sum(bytes) AS b, uniqExact(run_id) AS runs FROM lab.flows WHERE sensor = 'fw-lab'");
    expect(t).toEqual({ n: String(flows.length), p: String(flows.reduce((a, f) => a + f.packets, 0)), b: String(flows.reduce((a, f) => a + f.bytes, 0)), runs: '1' });
    expect(Number(t.p)).toBe(s.input.packets);
    expect(Number(t.b)).toBe(s.input.bytes);

    // Per section: flows, packets, bytes, failed as the summary's sections count them.
    const bySection = new Map((await rows("SELECT section, count() AS n, sum(packets) AS p, sum(bytes) AS b, countIf(verdict = 'failed') AS f FROM lab.flows GROUP BY section")).map((x) => [x.section, x]));
    for (const sec of s.sections as { id: string; flows: number; packets: number; bytes: number; failed: number }[]) {
      const x = bySection.get(sec.id) ?? { n: '0', p: '0', b: '0', f: '0' };
      expect([sec.id, Number(x.n), Number(x.p), Number(x.b), Number(x.f)]).toEqual([sec.id, sec.flows, sec.packets, sec.bytes, sec.failed]);
    }

    // `record` is the --flows JSON record, key for key.
    const records = (await rows('SELECT record FROM lab.flows')).map((x) => x.record as string).sort();
    expect(records).toEqual(flows.map((f) => JSON.stringify(f)).sort());
    // The typed columns are the record's scalars.
    const typed = await rows('SELECT record, client, server, client_port, server_port, transport, verdict, reason, entries, first_seen_us, toUnixTimestamp(first_seen) AS fs, community_id FROM lab.flows');
    for (const x of typed) {
      const f = JSON.parse(x.record as string);
      expect([x.client, x.server, x.client_port, x.server_port, x.transport, x.verdict, x.reason, x.entries, x.community_id]).toEqual([f.client, f.server, f.clientPort, f.serverPort, f.transport, f.verdict, f.reason, f.entries, f.communityId]);
      const us = Date.parse(f.firstSeen) * 1000 + Number(f.firstSeen.slice(20, 26)) - Number(f.firstSeen.slice(20, 23)) * 1000;
      expect(Number(x.first_seen_us)).toBe(us);
      expect(Number(x.fs)).toBe(Math.floor(us / 1e6));
    }

    // Channel health: the summary's timeline, interval for interval.
    const timeline: string[] = [];
    for (const c of s.timeline.channels) for (const b of c.buckets) timeline.push([c.entry, c.client, c.server, b.start.slice(0, 19), b.flows, b.started, b.failed, b.warnings].join(' '));
    const health = (await rows("SELECT entry, client, server, formatDateTime(interval_start, '%Y-%m-%dT%H:%M:%S') AS t, interval_seconds AS w, flows, started, failed, warnings FROM lab.channel_health")).map((x) => {
      expect(x.w).toBe(s.timeline.intervalSeconds);
      return [x.entry, x.client, x.server, x.t, x.flows, x.started, x.failed, x.warnings].join(' ');
    });
    expect(timeline.length).toBeGreaterThan(50);
    expect(health.sort()).toEqual(timeline.sort());

    // The run.
    expect(await rows("SELECT sensor, files, packets, bytes, malformed, flows, overflow_flows, max_flows FROM lab.runs WHERE sensor = 'fw-lab'")).toEqual([
      { sensor: 'fw-lab', files: s.input.files, packets: String(s.input.packets), bytes: String(s.input.bytes), malformed: String(s.input.malformed), flows: String(s.input.flowTable.flows), overflow_flows: '0', max_flows: '500000' },
    ]);
    // ICMPv6 upkeep flows (none in this IPv4-only lab) are marked as the summary counts them.
    const infra = (s.ipv6Infrastructure as { flows: number }[]).reduce((a, x) => a + x.flows, 0);
    expect((await ch!.query('SELECT countIf(infrastructure IS NOT NULL) FROM lab.flows')).trim()).toBe(String(infra));
    expect((await rows('SELECT version FROM lab.schema_version')).map((x) => x.version)).toEqual([1]);
  });

  it("each flow's file is the capture its first packet came from", async () => {
    const [a, b] = [FILES[0], FILES[1]];
    const r = await pantap(['analyze', a, b, '-F', 'json', '--export', ch!.chUrl('files'), '--sensor', 'f']);
    expect(r.code, r.stderr).toBe(0);
    const total = JSON.parse(r.stdout).input.flowTable.flows as number;
    const aloneA = JSON.parse((await pantap(['analyze', a, '-F', 'json'])).stdout).input.flowTable.flows as number;
    // Every flow of the first file started there; a flow the second file continues (ARP
    // between the same hosts) is still the first file's.
    expect(await rows('SELECT file, count() AS n FROM files.flows GROUP BY file ORDER BY file')).toEqual([
      { file: a, n: String(aloneA) },
      { file: b, n: String(total - aloneA) },
    ]);
    expect(total - aloneA).toBeGreaterThan(0);
  });

  it('25,000 flows go in batches of 10,000, every one of them', async () => {
    const dir = tempDir('pantap-export-');
    try {
      const records = Array.from({ length: 25_000 }, (_, i) => ({
        sec: 1_764_000_000 + Math.floor(i / 1000),
        frac: i % 1000,
        data: eth({ ethertype: ETH_IPV4, payload: ipv4({ src: `10.1.${i >> 8}.${i & 255}`, dst: '10.9.9.9', proto: PROTO_UDP, payload: udp({ sport: 40000, dport: 5000, payload: Buffer.alloc(20) }) }) }),
      }));
      const file = dir.file('many.pcap', pcap(records));
      const r = await pantap(['analyze', file, '-F', 'json', '--export', ch!.chUrl('many'), '--sensor', 'big']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).input.flowTable.flows).toBe(25_000);
      expect((await ch!.query('SELECT count(), uniqExact(client), sum(packets) FROM many.flows')).trim()).toBe('25000\t25000\t25000');
    } finally {
      dir.remove();
    }
  });

  it.skipIf(!HAVE_SHARED)(`ICMPv6 upkeep flows carry their kind in infrastructure (../shared corpus${HAVE_SHARED ? '' : `; ${SKIP_REASON}`})`, async () => {
    const files = ['icmpv6-ns-nonce.pcap', 'icmpv6-ra-pref64.pcap'].map((f) => `${SHARED}/captures/tcpdump-tests/${f}`);
    const r = await pantap(['analyze', ...files, FILES[0], '-F', 'json', '--export', ch!.chUrl('infra')]);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    const kinds = (s.ipv6Infrastructure as { kind: string; flows: number }[]).filter((x) => x.flows > 0).map((x) => ({ infrastructure: x.kind, n: String(x.flows) }));
    expect(kinds).toEqual([
      { infrastructure: 'neighbor-discovery', n: '1' },
      { infrastructure: 'router-discovery', n: '1' },
    ]);
    expect(await rows('SELECT infrastructure, count() AS n FROM infra.flows WHERE infrastructure IS NOT NULL GROUP BY infrastructure ORDER BY infrastructure')).toEqual(kinds);
  });

  it('two sensors exporting at once both complete, each with all its rows', async () => {
    const [x, y] = await Promise.all([
      pantap(['analyze', ...FILES, '--roles', ROLES, '-F', 'json', '--export', ch!.chUrl('two'), '--sensor', 'site-a']),
      pantap(['analyze', FILES[6], FILES[5], '-F', 'json', '--export', ch!.chUrl('two'), '--sensor', 'site-b']),
    ]);
    expect([x.code, x.stderr, y.code, y.stderr]).toEqual([0, '', 0, '']);
    const [sx, sy] = [JSON.parse(x.stdout), JSON.parse(y.stdout)];
    expect(await rows('SELECT sensor, count() AS n, sum(packets) AS p FROM two.flows GROUP BY sensor ORDER BY sensor')).toEqual([
      { sensor: 'site-a', n: String(sx.input.flowTable.flows), p: String(sx.input.packets) },
      { sensor: 'site-b', n: String(sy.input.flowTable.flows), p: String(sy.input.packets) },
    ]);
    expect((await rows('SELECT sensor FROM two.runs ORDER BY sensor')).map((r) => r.sensor)).toEqual(['site-a', 'site-b']);
  });

  it('the sensor defaults to the host name', async () => {
    const r = await pantap(['analyze', FILES[0], '-F', 'json', '--export', ch!.chUrl('host')]);
    expect(r.code, r.stderr).toBe(0);
    const { hostname } = await import('node:os');
    expect(await rows('SELECT DISTINCT sensor FROM host.flows')).toEqual([{ sensor: hostname() }]);
  });

  it('an unreachable server: one line naming the URL without its password, exit 2, before any capture is read', async () => {
    const port = await closedPort();
    // The capture does not exist: the error is the server's, so nothing was read first.
    const r = await pantap(['analyze', '/nonexistent.pcap', '--export', `clickhouse://bob:hunter2@127.0.0.1:${port}/fleet`]);
    expect(r).toEqual({ code: 2, stdout: '', stderr: `pantap: clickhouse://bob:***@127.0.0.1:${port}/fleet: cannot reach the ClickHouse server: connect ECONNREFUSED 127.0.0.1:${port}\n` });
  });

  it('a bad URL or a wrong password: one line, exit 2, the password never shown', async () => {
    const bad = await pantap(['analyze', FILES[0], '--export', 'clickhouse://bob:hunter2@127.0.0.1:99999/fleet']);
    expect(bad).toEqual({ code: 2, stdout: '', stderr: 'pantap: clickhouse://bob:***@127.0.0.1:99999/fleet: not a valid URL (expected clickhouse://[user[:password]@]HOST[:PORT]/DATABASE)\n' });
    const wrong = await pantap(['analyze', FILES[0], '--export', ch!.chUrl('fleet')], { CLICKHOUSE_PASSWORD: 'hunter2' });
    expect(wrong.code).toBe(2);
    expect(wrong.stdout).toBe('');
    expect(wrong.stderr).toMatch(new RegExp(`^pantap: clickhouse://127\\.0\\.0\\.1:${ch!.httpPort}/fleet: the ClickHouse server refused pantap: .*(password|Authentication).*\\n$`, 'i'));
    expect(wrong.stderr).not.toContain('hunter2');
    expect(wrong.stderr.split('\n').length).toBe(2);
  });

  it('a store of a newer schema version is refused (exit 2), nothing written', async () => {
    await ch!.query('CREATE DATABASE IF NOT EXISTS future');
    await ch!.query('CREATE TABLE future.schema_version (version UInt32, applied DateTime) ENGINE = MergeTree ORDER BY version');
    await ch!.query('INSERT INTO future.schema_version VALUES (7, now())');
    const r = await pantap(['analyze', FILES[0], '--export', ch!.chUrl('future')]);
    expect(r).toEqual({ code: 2, stdout: '', stderr: `pantap: clickhouse://127.0.0.1:${ch!.httpPort}/future: the store has schema version 7, written by a newer pantap; this pantap knows version 1 (upgrade pantap or use another database)\n` });
  });

  it('an export that fails mid-run: said on stderr, the summary printed anyway, exit 2', async () => {
    // A flows table the rows do not fit (made before pantap's IF NOT EXISTS): the INSERT fails.
    await ch!.query('CREATE DATABASE IF NOT EXISTS broken');
    await ch!.query('CREATE TABLE broken.flows (sensor String) ENGINE = MergeTree ORDER BY sensor');
    const r = await pantap(['analyze', FILES[0], '-F', 'json', '--export', ch!.chUrl('broken')]);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).input.files).toEqual([FILES[0]]);
    expect(r.stderr).toMatch(new RegExp(`^pantap: clickhouse://127\\.0\\.0\\.1:${ch!.httpPort}/broken: export failed after 0 flow rows \\(insert into flows\\): .+\\n$`));
    expect(r.stderr.split('\n').length).toBe(2);
  });
});
