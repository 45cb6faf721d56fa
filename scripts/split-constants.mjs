// The bundle step's constants pass (scripts/bundle-cli.mjs): a module's top-level numeric
// constants moved into a module of their own, so that esbuild writes them as literals.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import ts from 'typescript';

/**
 * A module's top-level constants of numbers (`const X = 40;`, `export const Y = X * 2;`)
 * moved into a module of their own that imports nothing, which the module imports (and
 * re-exports): esbuild inlines such constants as literals wherever they are used
 * (minifySyntax), where it keeps the constants of a module that imports anything as
 * variables. V8 loads a chunk's top-level variable at every use (and an imported binding
 * from its cell, with a hole and a small-integer check); literals fold into the compiled
 * code: the per-packet path indexes its typed arrays with named constants (issue 13,
 * bench/README.md "The feed, fourth pass"). A constant defined from imported ones whose
 * values are known (`imported`: importedConstants(), e.g. `const W_FLAGS = TCP_USER_W0 + 1`)
 * is moved too, as its value (the constants' module still imports nothing). Line numbers
 * stay as they were. Returns the module's new text (importing them from `from`) and the
 * constants' module, or null when it has none.
 */
export function splitConstants(src, from, imported = new Map()) {
  const moved = numericConstants(src, imported);
  if (moved.length === 0) return null;
  const lines = src.split('\n');
  for (const { line } of moved) lines[line] = '';
  lines[moved[0].line] = `import { ${moved.map((c) => c.name).join(', ')} } from ${JSON.stringify(from)};`;
  const exported = moved.filter((c) => c.exported).map((c) => c.name);
  if (exported.length > 0) lines[moved[moved.length - 1].line] += ` export { ${exported.join(', ')} };`;
  const text = (c) => `export const ${c.name} = ${c.fromImports ? literal(c.value) : c.expr};`;
  return { contents: lines.join('\n'), constants: moved.map(text).join('\n') };
}

/**
 * The values of the numeric constants a module (`src`, at `path`) imports by name from the
 * modules beside it (relative specifiers, read from disk): what splitConstants() may fold.
 */
export function importedConstants(src, path) {
  const out = new Map();
  const file = ts.createSourceFile('module.js', src, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
  for (const st of file.statements) {
    if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier) || !st.moduleSpecifier.text.startsWith('.')) continue;
    const bindings = st.importClause?.namedBindings;
    if (bindings === undefined || !ts.isNamedImports(bindings)) continue;
    const values = exportedConstants(resolve(dirname(path), st.moduleSpecifier.text));
    for (const el of bindings.elements) {
      const v = values.get((el.propertyName ?? el.name).text);
      if (v !== undefined) out.set(el.name.text, v);
    }
  }
  return out;
}

/** Per module path, its exported numeric constants' values (null while being read: an import cycle). */
const exportedCache = new Map();

/** A module's exported numeric constants (those splitConstants() moves) and their values. */
function exportedConstants(path) {
  const known = exportedCache.get(path);
  if (known !== undefined) return known ?? new Map();
  let src;
  try {
    src = readFileSync(path, 'utf8');
  } catch {
    // not a file (a package's folder, a name resolved otherwise): nothing known
    return new Map();
  }
  exportedCache.set(path, null);
  const values = new Map();
  for (const c of numericConstants(src, importedConstants(src, path))) if (c.exported) values.set(c.name, c.value);
  exportedCache.set(path, values);
  return values;
}

/**
 * The top-level `const NAME = EXPR;` statements of one line whose EXPR is numbers, operators
 * and the constants before it or `imported` (names with known values): line, name, EXPR,
 * its value, whether it names an imported constant, whether it is exported.
 */
function numericConstants(src, imported) {
  const top = topLevelConstLines(src);
  const decl = /^(export )?const ([A-Za-z_$][\w$]*) = ([^;]+);(\s*\/\/.*)?$/;
  const token = /\s+|0[xX][0-9a-fA-F_]+|0[bB][01_]+|\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?|[A-Za-z_$][\w$]*|\*\*|<<|>>>|>>|[-+*/%|&^~()]/y;
  const lines = src.split('\n');
  /** The values of the constants moved so far. */
  const own = new Map();
  const moved = [];
  for (let i = 0; i < lines.length; i++) {
    // Only a statement of the module's top level: never a line of a template string or comment.
    const m = top.has(i) ? decl.exec(lines[i]) : null;
    if (m === null || own.has(m[2])) continue;
    // Numbers, operators and the constants moved before it or imported: nothing else.
    const expr = m[3];
    let ok = true;
    let fromImports = false;
    let valueExpr = '';
    token.lastIndex = 0;
    while (ok && token.lastIndex < expr.length) {
      const t = token.exec(expr);
      if (t === null) ok = false;
      else if (!/^[A-Za-z_$]/.test(t[0])) valueExpr += t[0];
      else if (own.has(t[0])) valueExpr += `(${literal(own.get(t[0]))})`;
      else if (imported.has(t[0])) {
        fromImports = true;
        valueExpr += `(${literal(imported.get(t[0]))})`;
      } else ok = false;
    }
    if (!ok) continue;
    // Only numbers, operators and parentheses are left: evaluating it runs nothing else.
    const value = Function(`return (${valueExpr});`)();
    if (typeof value !== 'number' || (fromImports && !Number.isFinite(value))) continue;
    own.set(m[2], value);
    moved.push({ line: i, name: m[2], expr, value, fromImports, exported: m[1] !== undefined });
  }
  return moved;
}

/** A number as JavaScript source. */
function literal(v) {
  return Object.is(v, -0) ? '-0' : String(v);
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
