// The folder tree is the data path, and imports only run down it (DESIGN.md, README
// "Architecture"): a folder may import itself and the folders below it, never one above
// or beside it on the same level. This test reads every import of src/ and names the
// offending ones.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './helpers/shared.js';

const SRC = resolve(REPO, 'src');

/** Level of each folder of src/ ('.' = files at the top); higher levels import lower ones. */
const LEVEL: Record<string, number> = {
  errors: 0,
  capture: 1,
  catalog: 1,
  decode: 2,
  inspect: 2, // payload decoders: bytes in, facts out
  flow: 3,
  pipeline: 4,
  classify: 4,
  report: 5,
  export: 5.5, // beside report: may import report, classify, catalog; cli wires it
  session: 6,
  '.': 7, // analyze.ts (the file adapter's entry) and index.ts (the library)
  cli: 8,
};

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

function folderOf(path: string): string {
  const rel = relative(SRC, path).replace(/\.js$/, '.ts');
  if (rel === 'errors.ts') return 'errors';
  const i = rel.indexOf('/');
  return i < 0 ? '.' : rel.slice(0, i);
}

function imports(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*)'(\.{1,2}\/[^']+)'/g)) out.push(resolve(dirname(path), m[1]));
  return out;
}

/** Whether an import from folder `from` to folder `to` breaks the rule. */
function upward(from: string, to: string): boolean {
  return to !== from && !(LEVEL[to] < LEVEL[from]);
}

describe('architecture', () => {
  it('every folder of src/ has a level', () => {
    const folders = new Set(files(SRC).map(folderOf));
    for (const f of folders) expect(LEVEL[f], `folder src/${f}`).toBeTypeOf('number');
  });

  it('imports only run down the data path', () => {
    const bad: string[] = [];
    for (const file of files(SRC)) {
      const from = folderOf(file);
      for (const target of imports(file)) {
        const to = folderOf(target);
        if (upward(from, to)) bad.push(`${relative(REPO, file)} imports ${relative(REPO, target)} (${from} → ${to})`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('the rule catches imports up the path and between siblings (report → session, classify ⇄ pipeline)', () => {
    expect(upward('report', 'session')).toBe(true);
    expect(upward('classify', 'report')).toBe(true);
    expect(upward('classify', 'pipeline')).toBe(true);
    expect(upward('pipeline', 'classify')).toBe(true);
    expect(upward('session', 'report')).toBe(false);
    expect(upward('flow', 'flow')).toBe(false);
  });
});
