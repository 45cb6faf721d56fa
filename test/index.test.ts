// The library entry: `analyze(files, options)` returns the summary object (the JSON
// contract's), package.json's main/exports point at the built entry, and what the CLI
// prints as JSON is that object rendered.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, PantapError, renderJson } from '../src/index.js';
import { REPO } from './helpers/shared.js';

const A06 = resolve(REPO, 'fixtures/pan-lab/a06_failures.pcap');

describe('library entry', () => {
  it('analyze() returns the summary the CLI prints with -F json', async () => {
    const summary = await analyze([A06], { workers: 0 });
    expect(summary.schema).toBe('pantap.summary.v1');
    expect(summary.input.packets).toBe(38);
    const cli = execFileSync(process.execPath, [resolve(REPO, 'dist/cli/bin.js'), 'analyze', A06, '-F', 'json', '-w', '0'], { encoding: 'utf8' });
    expect(renderJson(summary)).toBe(cli);
  });

  it('an unreadable input is listed with its error; a bad option file throws a PantapError', async () => {
    const summary = await analyze([A06, resolve(REPO, 'no-such.pcap')], { workers: 0 });
    expect(summary.input.details.map((d) => d.error === null)).toEqual([true, false]);
    expect(summary.input.details[1].error).toMatch(/no-such\.pcap: cannot open \(no such file\)/);
    await expect(analyze([A06], { catalogFile: resolve(REPO, 'no-such.yaml') })).rejects.toBeInstanceOf(PantapError);
  });

  it("package.json's main and exports name the built entry", () => {
    const pkg = JSON.parse(readFileSync(resolve(REPO, 'package.json'), 'utf8')) as { main: string; types: string; exports: Record<string, { import: string; types: string }> };
    expect(pkg.main).toBe('dist/index.js');
    expect(pkg.exports['.'].import).toBe('./dist/index.js');
    expect(pkg.exports['.'].types).toBe('./dist/index.d.ts');
    for (const f of [pkg.main, pkg.types]) expect(existsSync(resolve(REPO, f)), f).toBe(true);
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', "const m = await import('pantap'); console.log(typeof m.analyze)"], { cwd: REPO, encoding: 'utf8' });
    expect(out.trim()).toBe('function');
  });
});

describe('library entry: merge', () => {
  it('mergeSummaries over protobuf round trips, as pantap merge', async () => {
    const { encodeSummary, mergeSummaries, summaryFromProtobuf } = await import('../src/index.js');
    const one = summaryFromProtobuf(encodeSummary(await analyze([A06], { workers: 0 })));
    const m = mergeSummaries([one, one], { topPairs: 5, maxListed: 10_000 });
    expect(m.merge).toEqual({ summaries: 2, lowerBound: [] });
    expect(m.input.packets).toBe(76);
  });
});
