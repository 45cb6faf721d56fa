// Read-ahead through the whole analysis: a capture large enough to be read ahead gives the
// summary of the same records read as a capture set (which is never read ahead), inline
// and with a worker.
import { resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { analyzeCaptures } from '../../src/analyze.js';
import { ReadAhead } from '../../src/capture/ahead.js';
import { pcapRecords, shiftPcap } from '../helpers/pcap-split.js';
import { tempDir } from '../helpers/build.js';
import { REPO } from '../helpers/shared.js';

const tmp = tempDir('pantap-ahead-');
afterAll(() => tmp.remove());
afterEach(() => vi.restoreAllMocks());

/** The summary's JSON without what names the inputs. */
function comparable(s: Awaited<ReturnType<typeof analyzeCaptures>>['summary']): unknown {
  const { files: _f, details: _d, skipped: _s, dedup: _x, ...input } = s.input;
  return JSON.parse(JSON.stringify({ ...s, input }));
}

describe('read-ahead in a session', () => {
  // a07_mixed.pcap (45 KB) again and again, each copy an hour after the one before: 34 MB,
  // above the 32 MiB from which a file is read ahead
  const lab = resolve(REPO, 'fixtures/pan-lab/a07_mixed.pcap');
  const { header } = pcapRecords(lab);
  const copies: Buffer[] = [];
  for (let i = 0; copies.reduce((n, c) => n + c.length, 0) < 34e6; i++) copies.push(shiftPcap(lab, i * 3_600_000_000).subarray(24));
  const half = copies.length >> 1;
  const big = tmp.file('big.pcap', Buffer.concat([header, ...copies]));
  const parts = [tmp.file('big.0.pcap', Buffer.concat([header, ...copies.slice(0, half)])), tmp.file('big.1.pcap', Buffer.concat([header, ...copies.slice(half)]))];

  for (const workers of [0, 1]) {
    it(`gives the summary of the same records read as a capture set (workers ${workers})`, async () => {
      const take = vi.spyOn(ReadAhead.prototype, 'take');
      const one = await analyzeCaptures([big], { allFlows: true, workers });
      // 34 MB in parts of 1.75 MiB, all but the first read ahead
      expect(take.mock.calls.length).toBeGreaterThan(15);
      take.mockClear();
      const set = await analyzeCaptures(parts, { allFlows: true, workers });
      expect(take.mock.calls.length).toBe(0);
      expect(one.summary.input.packets).toBe(set.summary.input.packets);
      expect(one.summary.input.details[0]).toMatchObject({ truncatedAt: null, error: null });
      expect(comparable(one.summary)).toEqual(comparable(set.summary));
    }, 120_000);
  }
});
