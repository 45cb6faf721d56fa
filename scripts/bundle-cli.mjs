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
import { importedConstants, splitConstants } from './split-constants.mjs';

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
      // Constants defined from imported ones are folded to their values (read from the modules they come from).
      const split = splitConstants(contents, CONSTANTS_PREFIX + key, importedConstants(contents, args.path));
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
