// Bundles a benchmark's entry (a string importing dist/ modules by file URL) with esbuild into
// one file, with every dist module's top-level numeric constants inlined as `npm run build`
// inlines them (scripts/split-constants.mjs), so a benchmark times the code the CLI runs.
// `transform(contents, path)` may rewrite a dist module's text first (a patched variant).
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { splitConstants } from '../scripts/split-constants.mjs';

const PREFIX = 'pantap-constants:';

export async function bundleDist({ entry, out, resolveDir, sourcefile, transform = null }) {
  const constants = new Map();
  await build({
    stdin: { contents: entry, resolveDir, sourcefile, loader: 'js' },
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minifySyntax: true,
    logLevel: 'warning',
    allowOverwrite: true,
    plugins: [
      {
        name: 'constants',
        setup(b) {
          b.onResolve({ filter: /^file:/ }, (args) => ({ path: fileURLToPath(args.path) }));
          b.onLoad({ filter: /[\\/]dist[\\/].*\.js$/, namespace: 'file' }, (args) => {
            let contents = readFileSync(args.path, 'utf8');
            if (transform !== null) contents = transform(contents, args.path);
            const split = splitConstants(contents, PREFIX + args.path);
            if (split !== null) {
              constants.set(args.path, split.constants);
              contents = split.contents;
            }
            return { contents, loader: 'js', resolveDir: dirname(args.path) };
          });
          b.onResolve({ filter: /^pantap-constants:/ }, (args) => ({ path: args.path.slice(PREFIX.length), namespace: 'constants' }));
          b.onLoad({ filter: /.*/, namespace: 'constants' }, (args) => ({ contents: constants.get(args.path), loader: 'js' }));
        },
      },
    ],
  });
}
