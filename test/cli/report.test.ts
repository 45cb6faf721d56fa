// `pantap report --from clickhouse://…` end to end (the built dist/cli/bin.js) against a real
// ClickHouse (Debian's 18.16 in CI): two sensors export the pan-lab captures at once with
// `analyze --export`, and the report from the store has the sections, entries, pairs,
// failures, health and timeline of analysing all the captures at once; --sensor and
// --since/--until narrow it; errors are one line, exit 2, never showing a password.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Summary } from '../../src/report/model.js';
import { clickHouseMissing, startClickHouse, type ClickHouse } from '../helpers/clickhouse.js';
import { HAVE_SHARED, REPO, SHARED, SKIP_REASON } from '../helpers/shared.js';

const BIN = resolve(REPO, 'dist/cli/bin.js');
const ROLES = 'fixtures/pan-lab/lab-roles.yaml';
const lab = (...names: string[]) => names.map((n) => `fixtures/pan-lab/${n}.pcap`);
// Disjoint captures per sensor, one inventory for both (README: roles inferred by one sensor do
// not narrow another's flows); a02 and a07 share an HA2-over-Ethernet flow, so both go to s2.
const S1 = lab('a01_management', 'a03_panorama', 'a04_userid', 'a05_unexpected');
const S2 = lab('a02_ha', 'a06_failures', 'a07_mixed');

// No credentials from the environment: the throwaway server's default user has none.
const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
delete env.CLICKHOUSE_USER;
delete env.CLICKHOUSE_PASSWORD;
const pantap = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: REPO, encoding: 'utf8', env });

/** Runs pantap in the background (two sensors exporting at the same time). */
function pantapAsync(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const c = spawn(process.execPath, [BIN, ...args], { cwd: REPO, env });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('close', (status) => done({ status, stdout, stderr }));
  });
}

/** The server may close an idle keep-alive connection just as fetch reuses it: try again once. */
async function retried<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch {
    return f();
  }
}

let ch: ClickHouse | null = null;
let url = '';
let all: Summary;

beforeAll(async () => {
  ch = await startClickHouse();
  if (!ch) {
    console.warn(`test/cli/report: skipped, ${clickHouseMissing}`);
    return;
  }
  url = ch.chUrl('fleet');
  const [a, b] = await Promise.all([
    pantapAsync('analyze', '--roles', ROLES, '--export', url, '--sensor', 's1', '-F', 'json', ...S1),
    pantapAsync('analyze', '--roles', ROLES, '--export', url, '--sensor', 's2', '-F', 'json', ...S2),
  ]);
  expect([a.status, a.stderr, b.status, b.stderr]).toEqual([0, '', 0, '']);
  all = JSON.parse(pantap('analyze', '--roles', ROLES, '-F', 'json', ...S1, ...S2).stdout) as Summary;
}, 120_000);

afterAll(async () => {
  await ch?.stop();
});

const totals = (x: Summary['sections'][number] | Summary['entries'][number]) => [x.id, x.flows, x.packets, x.bytes, x.failed, x.degraded, x.firstSeen, x.lastSeen];

describe.skipIf(clickHouseMissing !== '')(`pantap report --from (needs clickhouse-server${clickHouseMissing ? `: ${clickHouseMissing}` : ''})`, () => {
  it('two sensors exported at once: the report equals analysing all captures at once, and validates against the JSON contract', () => {
    const r = pantap('report', '--from', url, '-F', 'json');
    expect([r.status, r.stderr]).toEqual([0, '']);
    const f = JSON.parse(r.stdout) as Summary;
    expect(f.sections.map(totals)).toEqual(all.sections.map(totals));
    expect(f.sections.map((s) => [s.id, s.flows, s.failed, s.degraded])).toEqual([
      ['management', 18, 2, 0],
      ['ha', 9, 1, 1],
      ['panorama', 15, 3, 0],
      ['user-id', 19, 2, 0],
      ['unexpected', 4, 0, 0],
    ]);
    expect(f.entries.map(totals)).toEqual(all.entries.map(totals));
    expect(f.entries.map((e) => [e.status, e.pairs, e.pairCount, e.failures, e.failureCount])).toEqual(all.entries.map((e) => [e.status, e.pairs, e.pairCount, e.failures, e.failureCount]));
    expect(f.health).toEqual(all.health);
    expect(f.timeline).toEqual(all.timeline);
    expect(f.flows).toEqual(all.flows);
    expect([f.input.packets, f.input.bytes]).toEqual([1437, all.input.bytes]);
    const { Ajv } = createRequire(import.meta.url)('ajv') as typeof import('ajv');
    const validate = new Ajv({ allowUnionTypes: true }).compile(JSON.parse(readFileSync(resolve(REPO, 'src/report/summary.schema.json'), 'utf8')));
    expect(validate(f), JSON.stringify(validate.errors)).toBe(true);
  });

  it('the text report: one line per sensor, then the health list of analyze', () => {
    const r = pantap('report', '--from', url);
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('Files (2)  sensor s1, 1 run: fixtures/pan-lab/a01_management.pcap, fixtures/pan-lab/a03_panorama.pcap, fixtures/pan-lab/a04_userid.pcap, fixtures/pan-lab/a05_unexpected.pcap (990 packets)');
    expect(lines[1]).toBe('           sensor s2, 1 run: fixtures/pan-lab/a02_ha.pcap, fixtures/pan-lab/a06_failures.pcap, fixtures/pan-lab/a07_mixed.pcap (447 packets)');
    expect(r.stdout).toContain('Health — 49 channels (entry × client → server): 4 FAILING, 4 partial, 1 degraded, 40 up');
    const analyzed = pantap('analyze', '--roles', ROLES, ...S1, ...S2).stdout;
    const health = (s: string) => s.slice(s.indexOf('Health —'), s.indexOf('\n\n', s.indexOf('Health —')));
    expect(health(r.stdout)).toBe(health(analyzed));
  });

  it('--sensor and --since/--until narrow the report (exact counts)', () => {
    const one = JSON.parse(pantap('report', '--from', url, '--sensor', 's2', '-F', 'json').stdout) as Summary;
    const s2 = JSON.parse(pantap('analyze', '--roles', ROLES, '-F', 'json', ...S2).stdout) as Summary;
    expect(one.sections.map(totals)).toEqual(s2.sections.map(totals));
    expect(one.health).toEqual(s2.health);
    expect(one.input.packets).toBe(447);
    const both = JSON.parse(pantap('report', '--from', url, '--sensor', 's1', '--sensor', 's2', '-F', 'json').stdout) as Summary;
    expect(both.sections.map(totals)).toEqual(all.sections.map(totals));
    // Flows overlapping the window: last packet at or after --since, first packet before --until.
    const w = JSON.parse(pantap('report', '--from', url, '--since', '2026-11-25T16:14:30Z', '--until', '2026-11-25T17:15:10+01:00', '-F', 'json').stdout) as Summary;
    expect(w.sections.map((s) => s.flows)).toEqual([0, 1, 11, 17, 2]);
    expect(w.input.filter).toMatchObject({ since: '2026-11-25T16:14:30.000000Z', until: '2026-11-25T16:15:10.000000Z' });
    const ws = JSON.parse(pantap('report', '--from', url, '--sensor', 's1', '--since', '2026-11-25T16:14:30Z', '-F', 'json').stdout) as Summary;
    expect(ws.sections.map((s) => s.flows)).toEqual([0, 0, 11, 17, 4]);
    const unknown = pantap('report', '--from', url, '--sensor', 'nope', '-F', 'json');
    expect([unknown.status, unknown.stderr]).toEqual([0, `pantap: ${url}: no run of sensor 'nope' in the store\n`]);
    expect((JSON.parse(unknown.stdout) as Summary).sections.every((s) => s.flows === 0)).toBe(true);
  });

  it.skipIf(!HAVE_SHARED)(`ICMPv6 neighbour and router discovery: ipv6Infrastructure and other as analyze has them${HAVE_SHARED ? '' : ` (${SKIP_REASON})`}`, () => {
    const v6 = [resolve(SHARED, 'captures/tcpdump-tests/icmpv6-ns-nonce.pcap'), resolve(SHARED, 'captures/tcpdump-tests/icmpv6-ra-pref64.pcap')];
    expect(pantap('analyze', '--export', ch!.chUrl('v6'), '--sensor', 'v6', '-F', 'json', ...v6).status).toBe(0);
    const f = JSON.parse(pantap('report', '--from', ch!.chUrl('v6'), '-F', 'json').stdout) as Summary;
    const a = JSON.parse(pantap('analyze', '-F', 'json', ...v6).stdout) as Summary;
    expect([f.ipv6Infrastructure, f.other]).toEqual([a.ipv6Infrastructure, a.other]);
    expect(f.ipv6Infrastructure).toEqual([
      { kind: 'neighbor-discovery', flows: 1, packets: 1, bytes: 86 },
      { kind: 'router-discovery', flows: 1, packets: 4, bytes: 504 },
    ]);
    expect(f.input.flowTable.maxFlows).toBe(a.input.flowTable.maxFlows);
  });

  it('--fail-on: exit 1 when it holds', () => {
    expect(pantap('report', '--from', url, '--fail-on', 'failed', '-F', 'json').status).toBe(1);
    expect(pantap('report', '--from', url, '--sensor', 's1', '--since', '2026-11-25T16:15:20Z', '--fail-on', 'failed', '-F', 'json').status).toBe(0);
  });

  it('errors: one line, exit 2, no password', async () => {
    const down = pantap('report', '--from', 'clickhouse://pantap:s3cret@127.0.0.1:1/fleet');
    expect([down.status, down.stdout]).toEqual([2, '']);
    expect(down.stderr).toMatch(/^pantap: clickhouse:\/\/pantap:\*\*\*@127\.0\.0\.1:1\/fleet: cannot reach the ClickHouse server: .*ECONNREFUSED.*\n$/);
    expect(down.stderr).not.toContain('s3cret');
    const missing = pantap('report', '--from', ch!.chUrl('nothing_here'));
    expect([missing.status, missing.stderr]).toEqual([2, `pantap: ${ch!.chUrl('nothing_here')}: no pantap tables in database nothing_here (export to it first)\n`]);
    // A store written by a newer pantap.
    expect(pantap('analyze', '--export', ch!.chUrl('newer'), '--sensor', 'x', '-F', 'json', ...lab('a06_failures')).status).toBe(0);
    await retried(() => ch!.query('INSERT INTO newer.schema_version VALUES (2, now())'));
    const newer = pantap('report', '--from', ch!.chUrl('newer'));
    expect([newer.status, newer.stderr]).toEqual([2, `pantap: ${ch!.chUrl('newer')}: the store has schema version 2, written by a newer pantap; this pantap knows version 1\n`]);
    const relative = pantap('report', '--from', url, '--since', '+30');
    expect(relative.status).toBe(2);
    expect(relative.stderr).toBe(
      "pantap: --since +SECONDS counts from a capture's first packet; a store has none: give an ISO-8601 time with a zone (2026-11-24T10:15:00Z) (see 'pantap report --help')\n",
    );
    expect(pantap('report', '--from', url, '--since', '2026-11-25T16:15:00Z', '--until', '2026-11-25T16:15:00Z').stderr).toBe("pantap: --since must be before --until (see 'pantap report --help')\n");
    expect(pantap('report').stderr).toBe("pantap: required option '--from <url>' not specified (see 'pantap report --help')\n");
  });
});
