// Capture sets end to end (the built dist/cli/bin.js): two overlapping files give the flows
// of `mergecap -w - a b | pantap analyze -`; a directory with a file that is not a capture
// (a one-line note, input.skipped, exit 0); a glob matching nothing (exit 2); a file named
// twice (a warning, read once); --dedup's line and JSON.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/build.js';
import { shiftPcap } from '../helpers/pcap-split.js';
import { REPO } from '../helpers/shared.js';

const BIN = resolve(REPO, 'dist/cli/bin.js');
const LAB = resolve(REPO, 'fixtures/pan-lab');
type Run = { status: number | null; stdout: string; stderr: string };
const pantap = (args: string[], input?: Buffer): Run =>
  spawnSync(process.execPath, [BIN, ...args], { cwd: REPO, encoding: 'utf8', input, env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 64 << 20 });
const mergecapMissing = spawnSync('mergecap', ['-v']).status === 0 ? null : 'mergecap (wireshark-common) is not installed';
if (mergecapMissing) console.warn(`[test/cli/capture-sets] mergecap oracle SKIPPED: ${mergecapMissing}`);

const tmp = tempDir('pantap-cli-sets-');
afterAll(() => tmp.remove());
const json = (r: Run) => JSON.parse(r.stdout) as { flows: unknown[]; sections: unknown; input: Record<string, unknown> };

describe('analyze with capture sets', () => {
  const a = join(LAB, 'a01_management.pcap');
  // a02 moved 8 s earlier: its packets interleave with a01's last seconds
  const b = tmp.file('a02_early.pcap', shiftPcap(join(LAB, 'a02_ha.pcap'), -8e6));

  it.skipIf(mergecapMissing !== null)('two overlapping files: the flows of mergecap -w - a b | pantap analyze -', () => {
    const merged = spawnSync('mergecap', ['-F', 'pcap', '-w', '-', a, b], { maxBuffer: 64 << 20 });
    expect(merged.status).toBe(0);
    const oracle = pantap(['analyze', '-F', 'json', '--flows', '-'], merged.stdout);
    expect(oracle.status).toBe(0);
    for (const order of [
      [a, b],
      [b, a],
    ]) {
      const r = pantap(['analyze', '-F', 'json', '--flows', ...order]);
      expect(r.status).toBe(0);
      expect(json(r).flows).toEqual(json(oracle).flows);
      expect(json(r).sections).toEqual(json(oracle).sections);
    }
    expect(json(oracle).flows.length).toBe(34);
  });

  it('a directory: captures read, other files skipped with a one-line note, listed in input.skipped', () => {
    const dir = join(tmp.dir, 'caps');
    mkdirSync(dir);
    tmp.file('caps/1.pcap', readFileSync(a));
    tmp.file('caps/2.pcap', readFileSync(b));
    tmp.file('caps/README.txt', 'rotated captures\n');
    const r = pantap(['analyze', '-F', 'json', '--flows', dir]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(`pantap: ${dir}/README.txt: skipped: not a pcap or pcapng file (starts with 72 6f 74 61)\n`);
    const s = json(r);
    expect(s.input.files).toEqual([`${dir}/1.pcap`, `${dir}/2.pcap`]);
    expect(s.input.skipped).toEqual([{ file: `${dir}/README.txt`, why: 'not a pcap or pcapng file (starts with 72 6f 74 61)' }]);
    expect(s.input.packets).toBe(444);
    // -r takes a directory too
    expect(json(pantap(['analyze', '-F', 'json', '--flows', '-r', dir])).flows).toEqual(s.flows);
  });

  it('a glob the shell did not expand; one that matches nothing is an error (exit 2)', () => {
    const r = pantap(['analyze', '-F', 'json', `${LAB}/a0[12]_*.pcap`]);
    expect(r.status).toBe(0);
    expect(json(r).input.files).toEqual([a, join(LAB, 'a02_ha.pcap')]);
    const none = pantap(['analyze', `${tmp.dir}/nothing-*.pcap`]);
    expect(none.status).toBe(2);
    expect(none.stderr).toBe(`pantap: ${tmp.dir}/nothing-*.pcap: no file matches this pattern\n`);
    expect(none.stdout).toBe('');
    // with a readable file too: the summary is written, the exit code still says an input failed
    const some = pantap(['analyze', '-F', 'json', a, `${tmp.dir}/nothing-*.pcap`]);
    expect(some.status).toBe(2);
    expect(json(some).input.packets).toBe(205);
  });

  it('the same file twice and a copy: read once, with a warning', () => {
    const copy = tmp.file('copy.pcap', readFileSync(a));
    const r = pantap(['analyze', '-F', 'json', a, a, copy]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(`pantap: ${a}: skipped: named more than once, read once\npantap: ${copy}: skipped: same content as ${a}, read once\n`);
    expect(json(r).input.packets).toBe(205);
  });

  it('--dedup: the text line and input.dedup', () => {
    const later = tmp.file('a01_later.pcap', shiftPcap(a, 1));
    const r = pantap(['analyze', '--dedup', a, later]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('\nDedup      205 duplicate packets dropped (window 5 ms)\n');
    const j = pantap(['analyze', '-F', 'json', '--dedup-window', '0.5', a, later]);
    expect(json(j).input.dedup).toEqual({ windowMs: 0.5, dropped: 205 });
    expect(json(j).input.packets).toBe(205);
    expect(pantap(['analyze', '--dedup-window', '0', a]).status).toBe(2);
  });
});
