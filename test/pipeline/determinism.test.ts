// The JSON summary is byte-identical for --workers 1, 2 and 4 (and inline), on every
// pan-lab capture and every corpus file. Small batches force flows, fragments and TCP
// handshakes to be split across batches and workers.
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeCaptures } from '../../src/analyze.js';
import { renderJson } from '../../src/report/json.js';
import { HAVE_SHARED, REPO, SHARED, SKIP_REASON } from '../helpers/shared.js';

async function jsonFor(files: string[], workers: number, batchBytes: number): Promise<string> {
  const { summary } = await analyzeCaptures(files, { workers, allFlows: true, batchBytes });
  return renderJson(summary);
}

describe('determinism across worker counts', () => {
  const lab = resolve(REPO, 'fixtures/pan-lab');
  const captures = readdirSync(lab).filter((f) => f.endsWith('.pcap')).sort();

  it.each(captures)('pan-lab %s: same JSON for 0, 1, 2 and 4 workers with 16 KiB batches', async (name) => {
    const f = [resolve(lab, name)];
    const ref = await jsonFor(f, 0, 1 << 20);
    for (const w of [1, 2, 4]) expect(await jsonFor(f, w, 16 << 10)).toBe(ref);
  });

  it('all pan-lab captures in one run: same JSON for 1 and 4 workers', async () => {
    const files = captures.map((c) => resolve(lab, c));
    expect(await jsonFor(files, 4, 16 << 10)).toBe(await jsonFor(files, 1, 1 << 20));
  });

  describe.skipIf(!HAVE_SHARED)(`tcpdump corpus${HAVE_SHARED ? '' : ` (${SKIP_REASON})`}`, () => {
    it('every corpus file: same JSON for 1, 2 and 4 workers', async () => {
      const dir = resolve(SHARED, 'captures/tcpdump-tests');
      const files = readdirSync(dir).filter((f) => /\.pcap(ng)?$/.test(f)).sort();
      expect(files.length).toBeGreaterThan(400);
      for (const name of files) {
        const f = [resolve(dir, name)];
        const ref = await jsonFor(f, 1, 300 << 10);
        for (const w of [2, 4]) expect(await jsonFor(f, w, 300 << 10), name).toBe(ref);
      }
    }, 600_000);
  });
});
