// The bundled CLI and decode worker (scripts/bundle-cli.mjs) hold the per-packet path's
// named constants as literals: V8 loads a variable, or an imported binding from its cell,
// at every use (issue 13, bench/README.md "The feed, fourth pass"). Checked on the build.
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/shared.js';

const CLI = resolve(REPO, 'dist/cli');
const chunks = readdirSync(CLI)
  .filter((f) => /^bin.*\.js$/.test(f))
  // The code only: the comments kept in the bundle name constants too.
  .map((f) => readFileSync(resolve(CLI, f), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, ''));
/** The text of function `name` (up to the next function at the chunk's top level) in the bundle. */
function body(name: string): string {
  const text = chunks.find((c) => c.includes(`function ${name}(`) || c.includes(`  ${name}(`));
  expect(text, name).toBeDefined();
  const at = Math.max(text!.indexOf(`function ${name}(`), text!.indexOf(`  ${name}(`));
  const end = text!.indexOf('\nfunction ', at + 1);
  return text!.slice(at, end < 0 ? undefined : end);
}

describe('the bundled CLI and decode worker', () => {
  it('indexes the decoder fields with literals (constants of a module that imports nothing)', () => {
    const t = body('decodeTransport');
    expect(t).toContain('pf[10] = 0');
    expect(t).not.toMatch(/\bF_SPORT\b/);
  });

  it("inlines the constants of modules that import others (the flow table's layout, the TCP block's words)", () => {
    const table = body('addPacketNow');
    expect(table).not.toMatch(/\b(TS|TD|RECENT|K_PORTS|V_PKTS|U_FLAGS)\b/);
    const all = chunks.join('\n');
    for (const name of ['TCP_WORDS', 'S_NEXTSEQ', 'RECENT', 'F_SPORT', 'REC_WORDS']) expect(all, name).not.toMatch(new RegExp(`\\b${name}\\b`));
  });

  it('bundles the decode worker on its own, with the same literals', () => {
    const worker = readFileSync(resolve(REPO, 'dist/pipeline/worker.js'), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    expect(worker).toContain('pf[10] = 0');
    expect(worker).not.toMatch(/^import .* from "\.\.?\//m);
    for (const name of ['TCP_WORDS', 'RECENT', 'F_SPORT', 'REC_WORDS']) expect(worker, name).not.toMatch(new RegExp(`\\b${name}\\b`));
  });
});
