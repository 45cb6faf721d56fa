// The bundle step's constants pass (scripts/bundle-cli.mjs): a module's top-level numeric
// constants moved into a module of their own, so that esbuild writes them as literals.
import ts from 'typescript';

/**
 * A module's top-level constants of numbers (`const X = 40;`, `export const Y = X * 2;`)
 * moved into a module of their own that imports nothing, which the module imports (and
 * re-exports): esbuild inlines such constants as literals wherever they are used
 * (minifySyntax), where it keeps the constants of a module that imports anything as
 * variables. V8 loads a chunk's top-level variable at every use (and an imported binding
 * from its cell, with a hole and a small-integer check); literals fold into the compiled
 * code: the per-packet path indexes its typed arrays with named constants (issue 13,
 * bench/README.md "The feed, fourth pass"). Line numbers stay as they were. Returns the
 * module's new text (importing them from `from`) and the constants' module, or null when it
 * has none.
 */
export function splitConstants(src, from) {
  const top = topLevelConstLines(src);
  const decl = /^(export )?const ([A-Za-z_$][\w$]*) = ([^;]+);(\s*\/\/.*)?$/;
  const token = /\s+|0[xX][0-9a-fA-F_]+|0[bB][01_]+|\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?|[A-Za-z_$][\w$]*|\*\*|<<|>>>|>>|[-+*/%|&^~()]/y;
  const names = new Set();
  const lines = src.split('\n');
  const moved = [];
  const exported = [];
  for (let i = 0; i < lines.length; i++) {
    // Only a statement of the module's top level: never a line of a template string or comment.
    const m = top.has(i) ? decl.exec(lines[i]) : null;
    if (m === null || names.has(m[2])) continue;
    // Numbers, operators and the constants moved before it: nothing else.
    const expr = m[3];
    let ok = true;
    token.lastIndex = 0;
    while (ok && token.lastIndex < expr.length) {
      const t = token.exec(expr);
      if (t === null) ok = false;
      else if (/^[A-Za-z_$]/.test(t[0]) && !names.has(t[0])) ok = false;
    }
    if (!ok) continue;
    names.add(m[2]);
    moved.push({ line: i, text: `export const ${m[2]} = ${expr};` });
    if (m[1] !== undefined) exported.push(m[2]);
  }
  if (moved.length === 0) return null;
  for (const { line } of moved) lines[line] = '';
  lines[moved[0].line] = `import { ${[...names].join(', ')} } from ${JSON.stringify(from)};`;
  if (exported.length > 0) lines[moved[moved.length - 1].line] += ` export { ${exported.join(', ')} };`;
  return { contents: lines.join('\n'), constants: moved.map((c) => c.text).join('\n') };
}

/** Lines (0-based) on which a top-level `const` statement starts and ends, by TypeScript's parser. */
function topLevelConstLines(src) {
  const file = ts.createSourceFile('module.js', src, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
  const lines = new Set();
  for (const st of file.statements) {
    if (!ts.isVariableStatement(st) || (st.declarationList.flags & ts.NodeFlags.Const) === 0) continue;
    const first = file.getLineAndCharacterOfPosition(st.getStart(file)).line;
    if (first === file.getLineAndCharacterOfPosition(st.getEnd()).line) lines.add(first);
  }
  return lines;
}
