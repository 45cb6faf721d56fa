// Every file of the shared tcpdump corpus gives the packet count tshark reported
// (fixtures/corpus/tshark-counts.json, made by fixtures/corpus/make-counts.sh), is read
// without throwing and within a few seconds. Where tshark itself reported an error the
// counts may legitimately differ; those are listed, not compared.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAnalysis } from '../helpers/run.js';
import { CORPUS, corpusFiles, corpusPresent, corpusTitle, REPO } from './shared.js';

interface CountEntry {
  packets: number;
  format: 'pcap' | 'pcapng' | null;
  linktypes: number[];
  tsharkError: string | null;
  tsharkErrorDetail?: string;
  tsharkExit?: number;
}

const COUNTS = join(REPO, 'fixtures', 'corpus', 'tshark-counts.json');
const countsPresent = existsSync(COUNTS);
if (corpusPresent && !countsPresent) console.warn(`[corpus-tshark] SKIPPED: ${COUNTS} not found (make it with fixtures/corpus/make-counts.sh)`);

/** Files that are not captures at all (CaptureError expected); none in this corpus. */
const NOT_CAPTURES: string[] = [];
/** Most time one file may take. */
const MAX_MS = 5000;

describe.skipIf(!corpusPresent || !countsPresent)(
  corpusTitle(countsPresent ? 'corpus: packet counts equal to tshark' : 'corpus: packet counts equal to tshark (skipped: tshark-counts.json not found)', 'corpus-tshark'),
  () => {
    it('every corpus file', async () => {
      const counts = JSON.parse(readFileSync(COUNTS, 'utf8')) as Record<string, CountEntry> & { _meta: unknown };
      const files = corpusFiles();
      // the reference covers exactly the corpus
      expect(Object.keys(counts).filter((k) => k !== '_meta').sort()).toEqual([...files].sort());

      let equal = 0;
      const mismatches: string[] = [];
      const tsharkErrorDiffs: string[] = [];
      const failed: string[] = [];
      const slow: string[] = [];
      let packets = 0;
      let malformed = 0;
      let slowest = { file: '', ms: 0 };
      for (const f of files) {
        const ref = counts[f];
        const t0 = performance.now();
        const run = await runAnalysis([join(CORPUS, f)], { workers: 0, maxFlows: 100_000 });
        const ms = performance.now() - t0;
        if (ms > slowest.ms) slowest = { file: f, ms };
        if (ms > MAX_MS) slow.push(`${f} (${ms.toFixed(0)} ms)`);
        if (run.failed.length > 0) {
          failed.push(f);
          continue;
        }
        const rep = run.files[0];
        expect(rep.records).toBeGreaterThanOrEqual(0);
        expect(run.stats.packets).toBe(rep.records);
        expect(rep.format).toBe(ref.format);
        packets += rep.records;
        malformed += run.stats.malformed;
        if (ref.tsharkError !== null) {
          if (rep.records !== ref.packets) {
            tsharkErrorDiffs.push(`${f}: pantap ${rep.records}, tshark ${ref.packets} (${ref.tsharkError}${ref.tsharkErrorDetail ? ` ${ref.tsharkErrorDetail}` : ''})`);
          } else equal++;
          continue;
        }
        if (rep.records === ref.packets) equal++;
        else mismatches.push(`${f}: pantap ${rep.records} (error ${rep.error}, truncatedAt ${rep.truncatedAt}), tshark ${ref.packets}`);
      }
      const withoutError = files.filter((f) => counts[f].tsharkError === null).length;
      console.log(
        `[corpus-tshark] ${files.length} files, ${packets} packets (${malformed} malformed); equal to tshark: ${equal}/${files.length} ` +
          `(${withoutError - mismatches.length}/${withoutError} of the files tshark read without error); slowest ${slowest.file} ${slowest.ms.toFixed(0)} ms\n` +
          `  where tshark reported an error and the counts differ:\n    ${tsharkErrorDiffs.join('\n    ') || 'none'}`,
      );
      expect(failed).toEqual(NOT_CAPTURES);
      expect(mismatches).toEqual([]);
      expect(slow).toEqual([]);
    });
  },
);
