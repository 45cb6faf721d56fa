// The bundle step's constants pass (scripts/split-constants.mjs): which lines it moves, and
// that the built command has the constants defined from imported ones folded to literals.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TCP_USER_D0, TCP_USER_W0 } from '../../src/flow/tcp-health.js';
import { tempDir } from '../helpers/build.js';
import { REPO } from '../helpers/shared.js';

type Split = (src: string, from: string, imported?: Map<string, number>) => { contents: string; constants: string } | null;
const { splitConstants, importedConstants } = (await import('../../scripts/split-constants.mjs' as string)) as {
  splitConstants: Split;
  importedConstants: (src: string, path: string) => Map<string, number>;
};

describe('splitConstants', () => {
  it('moves top-level numeric constants, keeps line numbers, and re-exports the exported ones', () => {
    const src = ['const A = 4;', 'export const B = A * 2; // why', 'const C = f(A);', 'export function g() { return A + B + C; }', ''].join('\n');
    const r = splitConstants(src, 'pantap-constants:m.js');
    expect(r).not.toBeNull();
    const lines = r!.contents.split('\n');
    expect(lines.length).toBe(5);
    expect(lines[0]).toBe('import { A, B } from "pantap-constants:m.js";');
    expect(lines[1]).toBe(' export { B };');
    expect(lines[2]).toBe('const C = f(A);');
    expect(r!.constants).toBe('export const A = 4;\nexport const B = A * 2;');
  });

  it('leaves a line that only looks like a constant inside a template string or a block comment', () => {
    const src = ['const t = `', 'const X = 1;', '`;', '/*', 'const Y = 2;', '*/', 'const Z = 3;', ''].join('\n');
    const r = splitConstants(src, 'pantap-constants:m.js');
    expect(r!.constants).toBe('export const Z = 3;');
    expect(r!.contents.split('\n').slice(0, 6)).toEqual(src.split('\n').slice(0, 6));
  });

  it('leaves constants that are not numbers or that name what was not moved', () => {
    expect(splitConstants(["const S = 'x';", 'const N = M + 1;', 'function h() {', 'const L = 5;', '}', ''].join('\n'), 'c')).toBeNull();
  });

  it('folds a constant defined from imported constants to its value, read from the module it comes from', () => {
    const dir = tempDir('pantap-split-');
    try {
      dir.file('a.js', ['import { K } from "./k.js";', 'export const A = 4;', 'export const B = A + K;', 'export const S = "s";', 'export function f(x) { return x; }', ''].join('\n'));
      dir.file('k.js', 'export const K = 1 << 3;\n');
      const src = ['import { A, B as BB, S, f } from "./a.js";', 'const W = A;', 'const X = BB * 2 + 1;', 'const Y = X + 1;', 'const Z = f(A);', 'const T = S;', 'export function g(a) { return a[W] + a[X] + a[Y] + Z; }', ''].join('\n');
      const imported = importedConstants(src, join(dir.dir, 'm.js'));
      expect([...imported]).toEqual([
        ['A', 4],
        ['BB', 12],
      ]);
      const r = splitConstants(src, 'c', imported);
      expect(r!.constants).toBe('export const W = 4;\nexport const X = 25;\nexport const Y = X + 1;');
      expect(r!.contents.split('\n').slice(4)).toEqual(src.split('\n').slice(4));
      // Without the values, as before: nothing that names an import moves.
      expect(splitConstants(src, 'c')).toBeNull();
    } finally {
      dir.remove();
    }
  });
});

describe('the built command (dist/cli/bin.js and its chunks, dist/pipeline/worker.js)', () => {
  const cli = join(REPO, 'dist/cli');
  const files = [...readdirSync(cli).filter((f) => /^bin(-.*)?\.js$/.test(f)).map((f) => join(cli, f)), join(REPO, 'dist/pipeline/worker.js')];
  const text = files.map((f) => readFileSync(f, 'utf8'));
  const bundled = text[0]?.includes('// bundled by scripts/bundle-cli.mjs') ?? false;

  it.skipIf(!bundled)('has the conversation block\'s owner words (named from tcp-health\'s TCP_USER_*) as literals', () => {
    // conversation.ts names them `const W_FLAGS = TCP_USER_W0;` and so on: neither name is left.
    for (const name of ['W_FLAGS', 'W_KEEP', 'D_IGNORED0', 'D_IGNORED1', 'D_SILENT0', 'D_SILENT1', 'TCP_USER_W0', 'TCP_USER_W1', 'TCP_USER_D0', 'TCP_USER_D2']) {
      const where = files.filter((_, i) => new RegExp(`\\b${name}\\d*\\b`).test(text[i]));
      expect(where, `${name} left as a variable`).toEqual([]);
    }
    // ... and their values are where the packet path indexes the block with them.
    const all = text.join('\n');
    expect(all).toContain(`[base + ${TCP_USER_W0}]`);
    expect(all).toContain(`[(base >> 1) + ${TCP_USER_D0}`);
  });
});
