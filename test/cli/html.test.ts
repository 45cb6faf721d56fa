// `-F html` end to end (the built dist/cli/bin.js): the page is written to -o, nothing to
// stdout, with the page script and styles copied to dist/ and uPlot read from node_modules.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/shared.js';

const BIN = resolve(REPO, 'dist/cli/bin.js');
const pantap = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: REPO, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

describe('pantap analyze -F html (CLI)', () => {
  it('writes one self-contained page to -o and exits 0', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pantap-html-'));
    try {
      const out = join(dir, 'report.html');
      const r = pantap('analyze', 'fixtures/pan-lab/a06_failures.pcap', 'fixtures/pan-lab/a03_panorama.pcap', '-F', 'html', '-o', out);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('');
      expect(r.status).toBe(0);
      const html = readFileSync(out, 'utf8');
      expect(html.startsWith('<!DOCTYPE html>\n<html lang="en">\n')).toBe(true);
      expect(html).toContain('uPlot (v1.6.32)');
      expect(html).toContain('window.pantapReady = true;');
      expect(html).toContain('.matrix td.cell');
      expect(html).not.toMatch(/https?:\/\/|sourceMappingURL/);
      expect(html).toContain('"healthCounts":{"failing":7,"partial":1,"up":10}');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is for analyze: live keeps its formats', () => {
    const r = pantap('live', '-i', 'lo', '-F', 'html');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("argument 'html' is invalid");
  });
});
