// Copies non-TypeScript assets that the compiled code loads at run time (catalog data,
// protobuf schema, the HTML report's page script and styles) from src/ to dist/, keeping
// their relative paths. uPlot, inlined into the HTML report, is read from node_modules.
import { cpSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const exts = ['.json', '.proto', '.yaml', '.css', '.client.js'];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (exts.some((e) => name.endsWith(e))) cpSync(p, join('dist', relative('src', p)));
  }
}
if (existsSync('src')) walk('src');
