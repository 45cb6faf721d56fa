// Input problems are worded once (report/build.ts inputProblems): the text report and the
// CLI's stderr say the same sentence, and each problem is said once per channel.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/analyze.js';
import { inputProblems } from '../../src/report/build.js';
import { tempDir } from '../helpers/build.js';
import { REPO } from '../helpers/shared.js';

const tmp = tempDir('pantap-problems-');
afterAll(() => tmp.remove());
const a06 = readFileSync(resolve(REPO, 'fixtures/pan-lab/a06_failures.pcap'));
// cut inside the 20th record: a truncated file
const cut = tmp.file('cut.pcap', a06.subarray(0, Math.floor(a06.length / 2) + 3));
const BIN = resolve(REPO, 'dist/cli/bin.js');

describe('input problems', () => {
  it('a truncated file and an unreadable one: one sentence each, naming the file', async () => {
    const s = await analyze([cut, resolve(tmp.dir, 'missing.pcap')], { workers: 0 });
    const problems = inputProblems(s.input);
    expect(problems).toEqual([
      { level: 'warning', message: expect.stringMatching(/^.*cut\.pcap: ends inside a record at byte offset \d+; the \d+ complete records before it were kept$/) },
      { level: 'error', message: expect.stringMatching(/missing\.pcap: cannot open \(no such file\)$/) },
    ]);
  });

  it('stderr (with -F json) and the text report use the same words, once each', () => {
    const json = spawnSync(process.execPath, [BIN, 'analyze', cut, '-F', 'json', '-w', '0'], { encoding: 'utf8' });
    const text = spawnSync(process.execPath, [BIN, 'analyze', cut, '-w', '0'], { encoding: 'utf8' });
    const stderrLines = json.stderr.trim().split('\n');
    expect(stderrLines).toHaveLength(1);
    const sentence = stderrLines[0].replace(/^pantap: /, '');
    expect(sentence).toMatch(/ends inside a record/);
    expect(text.stdout.split('\n').filter((l) => l.includes(sentence))).toHaveLength(1);
    // stdout is a pipe here, so stderr gets it too: a script sees it whatever the format
    expect(text.stderr.trim()).toBe(`pantap: ${sentence}`);
  });
});
