// `pantap merge` end to end (the built dist/cli/bin.js): summaries written by
// `analyze -F protobuf`, merged in any order and grouping to the same bytes, equal to
// `analyze a b c` for captures with disjoint flows (the fields that legitimately differ are
// listed), --fail-on, and exit 2 with one line naming the file for every unreadable input.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import protobuf from 'protobufjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeSummary, summaryFromProtobuf } from '../../src/report/protobuf.js';
import { HAVE_SHARED, REPO, SHARED, SKIP_REASON } from '../helpers/shared.js';
import { shiftPcap } from '../helpers/pcap-split.js';
import { differences } from '../helpers/json-diff.js';

const BIN = resolve(REPO, 'dist/cli/bin.js');
const pantap = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: REPO, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
const pantapBytes = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: REPO, env: { ...process.env, NO_COLOR: '1' } });
const SIX = ['a01_management', 'a02_ha', 'a03_panorama', 'a04_userid', 'a05_unexpected', 'a06_failures'];
const ROLES = 'fixtures/pan-lab/lab-roles.yaml';

describe('pantap merge (CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pantap-merge-'));
  const pb = (n: string) => join(dir, `${n}.pb`);
  beforeAll(() => {
    for (const n of SIX) {
      const r = pantap('analyze', '-w', '0', '--roles', ROLES, `fixtures/pan-lab/${n}.pcap`, '-F', 'protobuf', '-o', pb(n));
      expect(r.status, r.stderr).toBe(0);
    }
  }, 120_000);

  it('merged equals `analyze a b c` at once for captures with disjoint flows (a01..a06)', () => {
    const once = pantap('analyze', '-w', '0', '--roles', ROLES, ...SIX.map((n) => `fixtures/pan-lab/${n}.pcap`), '-F', 'json');
    const merged = pantap('merge', ...SIX.map(pb), '-F', 'json');
    expect([once.status, merged.status]).toEqual([0, 0]);
    const [m, o] = [JSON.parse(merged.stdout), JSON.parse(once.stdout)];
    // Legitimately different (README, "pantap merge"): ARP between the same two hosts is one
    // flow of the run at once, one per capture merged; the merged summary says it is one.
    expect(differences(m, o).sort()).toEqual(['.input.flowTable.flows', '.merge', '.nonIp.0.flows']);
    expect(m.merge).toEqual({ summaries: 6, lowerBound: [] });
    const { Ajv } = createRequire(import.meta.url)('ajv') as typeof import('ajv');
    const validate = new Ajv({ allowUnionTypes: true }).compile(JSON.parse(readFileSync(resolve(REPO, 'src/report/summary.schema.json'), 'utf8')));
    expect(validate(m), JSON.stringify(validate.errors)).toBe(true);
    expect(m.input.files).toEqual(SIX.map((n) => `fixtures/pan-lab/${n}.pcap`));
  });

  it('any order and any grouping gives byte-identical output (JSON, text, protobuf)', () => {
    const [a, b, c] = ['a02_ha', 'a04_userid', 'a06_failures'].map(pb);
    const want = { json: pantap('merge', a, b, c, '-F', 'json').stdout, text: pantap('merge', a, b, c).stdout };
    for (const order of [
      [a, c, b],
      [b, a, c],
      [b, c, a],
      [c, a, b],
      [c, b, a],
    ]) {
      expect(pantap('merge', ...order, '-F', 'json').stdout).toBe(want.json);
      expect(pantap('merge', ...order).stdout).toBe(want.text);
    }
    // ((a+b)+c) and (a+(b+c)), through protobuf files.
    expect(pantap('merge', a, b, '-F', 'protobuf', '-o', join(dir, 'ab.pb')).status).toBe(0);
    expect(pantap('merge', b, c, '-F', 'protobuf', '-o', join(dir, 'bc.pb')).status).toBe(0);
    expect(pantap('merge', join(dir, 'ab.pb'), c, '-F', 'json').stdout).toBe(want.json);
    expect(pantap('merge', a, join(dir, 'bc.pb'), '-F', 'json').stdout).toBe(want.json);
    const p1 = pantapBytes('merge', join(dir, 'ab.pb'), c, '-F', 'protobuf').stdout;
    const p2 = pantapBytes('merge', join(dir, 'bc.pb'), a, '-F', 'protobuf').stdout;
    expect(Buffer.compare(p1, p2)).toBe(0);
    expect(summaryFromProtobuf(p1).merge).toEqual({ summaries: 3, lowerBound: [] });
  });

  it('says in JSON and in words where an input was cut (--max-listed)', () => {
    const cut = join(dir, 'cut.pb');
    expect(pantap('analyze', '-w', '0', 'fixtures/pan-lab/a05_unexpected.pcap', '--max-listed', '1', '-F', 'protobuf', '-o', cut).status).toBe(0);
    const j = JSON.parse(pantap('merge', cut, pb('a06_failures'), '-F', 'json').stdout);
    expect(j.merge).toEqual({ summaries: 2, lowerBound: ['flows'] });
    const t = pantap('merge', cut, pb('a06_failures')).stdout;
    expect(t).toContain('note: merged from 2 summaries: flows are not joined across them');
    expect(t).toContain("warning: an input's flow list was cut (--max-listed): the flows listed may miss some of the largest (the counts are exact)");
  });

  it('--fail-on, --top and --interval as analyze has them', () => {
    expect(pantap('merge', pb('a06_failures'), pb('a01_management'), '--fail-on', 'failed', '-F', 'json').status).toBe(1);
    expect(pantap('merge', pb('a03_panorama'), pb('a01_management'), '--fail-on', 'unexpected', '-F', 'json').status).toBe(0);
    const j = JSON.parse(pantap('merge', pb('a06_failures'), pb('a01_management'), '--top', '1', '--interval', '1m', '-F', 'json').stdout);
    expect(Math.max(...j.entries.map((e: { pairs: unknown[] }) => e.pairs.length))).toBe(1);
    expect(j.timeline.intervalSeconds).toBe(60);
  });

  it('exit 2, one line naming the file, for a missing input, a non-summary, a summary cut short, another schema', () => {
    const good = pb('a01_management');
    const whole = readFileSync(good);
    writeFileSync(join(dir, 'half.pb'), whole.subarray(0, Math.floor(whole.length / 2)));
    writeFileSync(join(dir, 'v2.pb'), encodeSummary({ ...summaryFromProtobuf(whole), schema: 'pantap.summary.v2' as 'pantap.summary.v1' }));
    writeFileSync(join(dir, 'empty.pb'), '');
    const decoded = summaryFromProtobuf(whole);
    writeFileSync(join(dir, 'ladder.pb'), encodeSummary({ ...decoded, timeline: { ...decoded.timeline, intervalSeconds: 7 } }));
    // Another producer's summary with a timestamp that is not one (pantap's encoder would not write it).
    const T = protobuf.loadSync(resolve(REPO, 'src/report/summary.proto')).lookupType('pantap.v1.Summary');
    const raw = T.decode(whole) as unknown as { sections: { firstSeen?: string }[] };
    raw.sections.find((x) => x.firstSeen)!.firstSeen = 'yesterday';
    writeFileSync(join(dir, 'time.pb'), T.encode(raw as unknown as protobuf.Message).finish());
    const cases: [string, RegExp][] = [
      [join(dir, 'missing.pb'), /^pantap: \S+missing\.pb: no such file\n$/],
      ['fixtures/pan-lab/a01_management.pcap', /^pantap: fixtures\/pan-lab\/a01_management\.pcap: not a pantap protobuf summary, or one cut short \(.+\)\n$/],
      [join(dir, 'half.pb'), /^pantap: \S+half\.pb: (not a pantap protobuf summary, or one cut short \(.+\)|ends early: the summary was cut short)\n$/],
      [join(dir, 'v2.pb'), /^pantap: \S+v2\.pb: summary schema pantap\.summary\.v2 is not pantap\.summary\.v1, the one this pantap reads\n$/],
      [join(dir, 'empty.pb'), /^pantap: \S+empty\.pb: is empty, not a pantap protobuf summary\n$/],
      [join(dir, 'ladder.pb'), /^pantap: \S+ladder\.pb: not a valid pantap summary \(its timeline interval of 7 s is not one of 1, 10, 60, 600, 3600 s\)\n$/],
      [join(dir, 'time.pb'), /^pantap: \S+time\.pb: not a valid pantap summary \(not an ISO-8601 date-time: "yesterday"\)\n$/],
    ];
    for (const [bad, message] of cases) {
      const r = pantap('merge', good, bad, '-F', 'json');
      expect(r.status, bad).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
    }
    const none = pantap('merge');
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/^pantap: no summary to merge: .*\(see 'pantap merge --help'\)\n$/);
  });
});

describe('pantap merge of capture-set summaries', () => {
  it('skipped files are listed and --dedup copies add up, over the widest window', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pantap-merge-sets-'));
    // a07 with every packet copied 1 µs later (170 copies), read with a07 named twice (skipped once).
    const a07 = resolve(REPO, 'fixtures/pan-lab/a07_mixed.pcap');
    const twice = join(dir, 'a07-twice.pcap');
    writeFileSync(twice, shiftPcap(a07, 1));
    const one = join(dir, 'one.pb');
    const two = join(dir, 'two.pb');
    expect(pantap('analyze', '-w', '0', '--dedup', a07, twice, a07, '-F', 'protobuf', '-o', one).status).toBe(0);
    expect(pantap('analyze', '-w', '0', '--dedup', '--dedup-window', '20', 'fixtures/pan-lab/a06_failures.pcap', '-F', 'protobuf', '-o', two).status).toBe(0);
    const [a, b] = [one, two].map((f) => JSON.parse(pantap('merge', f, '-F', 'json').stdout).input);
    expect(a.dedup).toEqual({ windowMs: 5, dropped: 170 });
    expect(a.skipped).toHaveLength(1);
    expect(b.dedup).toEqual({ windowMs: 20, dropped: 0 });
    expect(b.skipped).toBeUndefined();
    const m = JSON.parse(pantap('merge', two, one, '-F', 'json').stdout).input;
    expect(m.dedup).toEqual({ windowMs: 20, dropped: 170 });
    expect(m.skipped).toEqual(a.skipped);
  }, 60_000);
});

describe.skipIf(!HAVE_SHARED)(`pantap merge on ../shared/captures/pan-lab ${HAVE_SHARED ? '' : `(${SKIP_REASON})`}`, () => {
  it('the shared captures: merged in two orders gives the same JSON, with the counts of analysing them at once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pantap-merge-shared-'));
    const caps = ['a01_management', 'a04_userid', 'a06_failures'].map((n) => resolve(SHARED, 'captures/pan-lab', `${n}.pcap`));
    const pbs = caps.map((c, i) => {
      const out = join(dir, `${i}.pb`);
      expect(pantap('analyze', '-w', '0', '--roles', ROLES, c, '-F', 'protobuf', '-o', out).status).toBe(0);
      return out;
    });
    const m1 = pantap('merge', ...pbs, '-F', 'json').stdout;
    expect(pantap('merge', ...[...pbs].reverse(), '-F', 'json').stdout).toBe(m1);
    const once = JSON.parse(pantap('analyze', '-w', '0', '--roles', ROLES, ...caps, '-F', 'json').stdout);
    const m = JSON.parse(m1);
    expect(m.sections).toEqual(once.sections);
    expect(m.entries).toEqual(once.entries);
    expect(m.health).toEqual(once.health);
  }, 60_000);
});
