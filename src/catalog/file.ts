// Reading the small user-written files (catalog overrides, role inventories). YAML 1.2 is
// a superset of JSON, so one parser takes either; every failure becomes a CatalogError
// naming the file, never a raw fs or parser exception.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { CatalogError } from '../errors.js';

export function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new CatalogError(file, `cannot read file (${(err as NodeJS.ErrnoException).code ?? 'unknown error'})`);
  }
}

/** Parses a JSON or YAML document. */
export function readDocument(file: string): unknown {
  const text = readText(file);
  // Loaded on use: most runs read no YAML, and start-up time counts on small captures.
  const { parse, YAMLError } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  try {
    // 'error' keeps the parser from printing warnings itself while still throwing errors.
    return parse(text, { logLevel: 'error' });
  } catch (err) {
    if (err instanceof YAMLError) {
      throw new CatalogError(file, `not valid YAML or JSON: ${err.message.split('\n')[0]}`);
    }
    throw err;
  }
}
