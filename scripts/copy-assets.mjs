// Copies non-TypeScript assets that the compiled code loads at run time (catalog data,
// protobuf schema) from src/ to dist/, keeping their relative paths.
import { cpSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const exts = ['.json', '.proto', '.yaml'];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (exts.some((e) => name.endsWith(e))) cpSync(p, join('dist', relative('src', p)));
  }
}
if (existsSync('src')) walk('src');
