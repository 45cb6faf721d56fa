// The bundle step's constants pass (scripts/split-constants.mjs): which lines it moves.
import { describe, expect, it } from 'vitest';

type Split = (src: string, from: string) => { contents: string; constants: string } | null;
const { splitConstants } = (await import('../../scripts/split-constants.mjs' as string)) as { splitConstants: Split };

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
});
