// Build step (after tsc): bundles the command's entry, dist/cli/bin.js, with every module
// it imports into bin.js itself, and what it imports on use (classification, renderers,
// the other commands) into chunks beside it (dist/cli/bin-*.js), with esbuild. Node's ESM loader resolves, reads
// and compiles each module on its own: for the ~50 modules before the first batch that
// cost ~20 ms of start-up (bench/README.md, "Issue 13"). npm packages stay imports; the
// other dist/ files stay as they are (the library, dist/index.js), but the decode worker,
// dist/pipeline/worker.js, is bundled in place on its own. Each module's import.meta.url is rewritten to its own dist/
// path, so the files it finds beside it (catalog, protobuf schema, HTML assets, addons)
// are found as before.
import { copyFileSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { build } from 'esbuild';

const entry = resolve('dist/cli/bin.js');
const MARK = '// bundled by scripts/bundle-cli.mjs';
if (readFileSync(entry, 'utf8').includes(MARK)) {
  console.error('bundle-cli: dist/cli/bin.js is bundled already: run tsc -p tsconfig.build.json first (npm run build does)');
  process.exit(1);
}

/** Every dependency of package.json (and its subpaths) but `keep`. */
function packagesBut(keep) {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
  const names = Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies, ...pkg.devDependencies }).filter((n) => !keep.includes(n));
  return names.flatMap((n) => [n, `${n}/*`]);
}

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
function splitConstants(src, from) {
  const decl = /^(export )?const ([A-Za-z_$][\w$]*) = ([^;]+);(\s*\/\/.*)?$/;
  const token = /\s+|0[xX][0-9a-fA-F_]+|0[bB][01_]+|\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?|[A-Za-z_$][\w$]*|\*\*|<<|>>>|>>|[-+*/%|&^~()]/y;
  const names = new Set();
  const lines = src.split('\n');
  const moved = [];
  const exported = [];
  for (let i = 0; i < lines.length; i++) {
    const m = decl.exec(lines[i]);
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

const CONSTANTS_PREFIX = 'pantap-constants:';

/** Rewrites each module's import.meta.url to its own dist/ path (from a bundle in `outDir`), and moves its constants (splitConstants). */
const ownUrl = (outDir) => ({
  name: 'own-import-meta-url',
  setup(b) {
    /** Per module (its path from the repository: what the source map names), the constants splitConstants() moved out of it. */
    const constants = new Map();
    b.onLoad({ filter: /[\\/]dist[\\/].*\.js$/, namespace: 'file' }, (args) => {
      const rel = relative(outDir, args.path).split('\\').join('/');
      const src = readFileSync(args.path, 'utf8');
      const url = `new URL(${JSON.stringify(rel.startsWith('.') ? rel : `./${rel}`)}, import.meta.url).href`;
      let contents = src.replaceAll('import.meta.url', url);
      const key = relative(process.cwd(), args.path).split('\\').join('/');
      const split = splitConstants(contents, CONSTANTS_PREFIX + key);
      if (split !== null) {
        constants.set(key, split.constants);
        contents = split.contents;
      }
      return { contents, loader: 'js', resolveDir: dirname(args.path) };
    });
    b.onResolve({ filter: /^pantap-constants:/ }, (args) => ({ path: args.path.slice(CONSTANTS_PREFIX.length), namespace: 'pantap-constants' }));
    b.onLoad({ filter: /.*/, namespace: 'pantap-constants' }, (args) => ({ contents: constants.get(args.path), loader: 'js' }));
  },
});

// Chunks of an earlier build (their names carry a hash) go first.
for (const f of readdirSync(dirname(entry))) if (/^bin-.*\.js(\.map)?$/.test(f)) rmSync(resolve(dirname(entry), f));
// tsc's entry stays as dist/cli/entry.js: the same command over the unbundled modules, for
// profiles that name each function's own file (node --cpu-prof dist/cli/entry.js ...).
writeFileSync(resolve(dirname(entry), 'entry.js'), readFileSync(entry, 'utf8').replace('sourceMappingURL=bin.js.map', 'sourceMappingURL=entry.js.map'));
copyFileSync(`${entry}.map`, resolve(dirname(entry), 'entry.js.map'));

await build({
  entryPoints: [entry],
  outdir: dirname(entry),
  entryNames: '[name]',
  // What the command loads on use (the classification, the renderers...) stays in chunks
  // of its own beside bin.js, loaded when used as before.
  splitting: true,
  chunkNames: 'bin-[name]-[hash]',
  allowOverwrite: true,
  banner: { js: `${MARK}\nimport { createRequire as __pantapCreateRequire } from 'node:module';\nconst require = __pantapCreateRequire(import.meta.url);` },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // npm packages stay imports, except commander: the command line is parsed first, and
  // Node's CommonJS loader (its export lexer, the wrapper) cost more than commander's code.
  // Bundled CommonJS requires Node's built-ins through `require`, which an ES module has
  // not: the banner gives each chunk one.
  external: packagesBut(['commander']),
  sourcemap: 'linked',
  // Constants inlined as literals (esbuild folds every primitive top-level const, across
  // modules): V8 loads an imported binding, or a chunk's shared top-level variable, from its
  // cell at every use, with a hole and a small-integer check (issue 13: the per-packet path
  // indexes its field arrays with named constants; bench/README.md, "The feed, fourth pass").
  minifySyntax: true,
  logLevel: 'warning',
  plugins: [ownUrl(dirname(entry))],
});

// The decode worker (dist/pipeline/worker.js, which the command's and the library's pools
// start: with workers the feed runs there) bundled in place the same way, on its own.
const worker = resolve('dist/pipeline/worker.js');
await build({
  entryPoints: [worker],
  outfile: worker,
  allowOverwrite: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: packagesBut([]),
  sourcemap: 'linked',
  minifySyntax: true,
  logLevel: 'warning',
  plugins: [ownUrl(dirname(worker))],
});
