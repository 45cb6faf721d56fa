// Locates ../shared (the capture corpora beside the repo). Tests that need it skip with a
// visible reason when it is absent, so `npm test` passes on a user's fresh clone.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

export const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const SHARED = resolve(REPO, '..', 'shared');
export const HAVE_SHARED = existsSync(resolve(SHARED, 'captures'));
export const SKIP_REASON = `skipped: ${SHARED} not found (the capture corpora live beside the repo)`;

if (!HAVE_SHARED) console.warn(`pantap tests: ${SKIP_REASON}`);
