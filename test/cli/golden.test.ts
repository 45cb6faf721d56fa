// Golden reports of the pan-lab captures, each alone and a03 + a06 together (a channel that
// works for one pair and fails for another): text, JSON and Markdown from the built CLI,
// byte for byte. PANTAP_UPDATE_GOLDEN=1 rewrites them from this build (then read the diff).
// The demo capture's --flows JSON and text goldens are analyze.test.ts's.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/shared.js';

const BIN = resolve(REPO, 'dist/cli/bin.js');
const pantap = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: REPO, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
const UPDATE = process.env.PANTAP_UPDATE_GOLDEN === '1';

const CASES: { name: string; files: string[] }[] = [
  ...['a01_management', 'a02_ha', 'a03_panorama', 'a04_userid', 'a05_unexpected', 'a06_failures', 'a07_mixed'].map((n) => ({ name: n, files: [`fixtures/pan-lab/${n}.pcap`] })),
  { name: 'a03+a06', files: ['fixtures/pan-lab/a03_panorama.pcap', 'fixtures/pan-lab/a06_failures.pcap'] },
];
const FORMATS = [
  { format: 'text', ext: 'txt' },
  { format: 'json', ext: 'json' },
  { format: 'markdown', ext: 'md' },
];

const { Ajv } = createRequire(import.meta.url)('ajv') as typeof import('ajv');
const validate = new Ajv({ allowUnionTypes: true }).compile(JSON.parse(readFileSync(resolve(REPO, 'src/report/summary.schema.json'), 'utf8')));

describe('golden reports of the pan-lab captures', () => {
  for (const c of CASES) {
    for (const f of FORMATS) {
      // The demo capture's text golden is analyze.test.ts's (same command).
      if (c.name === 'a07_mixed' && f.format === 'text') continue;
      it(`${c.name}: ${f.format}`, () => {
        const r = pantap('analyze', ...c.files, '-F', f.format);
        expect(r.status, r.stderr).toBe(0);
        const path = resolve(REPO, `fixtures/golden/${c.name}.${f.ext}`);
        if (UPDATE) writeFileSync(path, r.stdout);
        expect(r.stdout).toBe(readFileSync(path, 'utf8'));
        if (f.format === 'json') expect(validate(JSON.parse(r.stdout)), JSON.stringify(validate.errors)).toBe(true);
      });
    }
  }

  it('a03 + a06: 3978 is up for one pair, partial for another and failing for a third', () => {
    const s = JSON.parse(readFileSync(resolve(REPO, 'fixtures/golden/a03+a06.json'), 'utf8'));
    const lines = s.health.filter((h: { entry: string }) => h.entry === 'panorama.device-mgmt.3978');
    expect(lines).toEqual([
      { entry: 'panorama.device-mgmt.3978', client: '10.99.1.1', server: '10.99.1.99', status: 'failing', reason: 'unanswered', flows: 1, failed: 1, degraded: 0, lastSuccess: null, lastFailure: expect.stringMatching(/^2026-11-25T16:15:/) },
      { entry: 'panorama.device-mgmt.3978', client: '10.99.1.1', server: '10.99.1.5', status: 'partial', reason: 'rejected', flows: 2, failed: 1, degraded: 0, lastSuccess: expect.stringMatching(/^2026-11-25T16:14:/), lastFailure: expect.stringMatching(/^2026-11-25T16:15:/) },
      { entry: 'panorama.device-mgmt.3978', client: '10.99.1.7', server: '10.99.1.5', status: 'up', reason: null, flows: 1, failed: 0, degraded: 0, lastSuccess: expect.stringMatching(/^2026-11-25T16:14:/), lastFailure: null },
    ]);
    expect(s.entries.find((e: { id: string }) => e.id === 'panorama.device-mgmt.3978').status).toBe('partial');
    const text = readFileSync(resolve(REPO, 'fixtures/golden/a03+a06.txt'), 'utf8');
    // The report opens with the health list, right after the header.
    expect(text.split('\n\n')[1].split('\n')[0]).toBe('Health — 18 channels (entry × client → server): 7 FAILING, 1 partial, 10 up');
  });
});
