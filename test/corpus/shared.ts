// Where the shared robustness corpus lives: the `shared` folder beside the repository
// (../shared from the repository root). Tests that need it skip, visibly, without it.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export const SHARED = resolve(here, '../../../shared');
export const CORPUS = join(SHARED, 'captures', 'tcpdump-tests');
export const REPO = resolve(here, '../..');

export const corpusPresent = existsSync(CORPUS);

/** Every *.pcap / *.pcapng file of the corpus, sorted by name (byte order). */
export function corpusFiles(): string[] {
  if (!corpusPresent) return [];
  return readdirSync(CORPUS)
    .filter((f) => /\.(pcap|pcapng)$/.test(f))
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/** The describe title, and a console warning, when the corpus is missing. */
export function corpusTitle(title: string, testFile: string): string {
  if (corpusPresent) return title;
  console.warn(`[${testFile}] SKIPPED: ${CORPUS} not found (the shared corpus beside the repository)`);
  return `${title} (skipped: ../shared not found)`;
}
