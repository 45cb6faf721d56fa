// Capture sets through the whole analysis: a capture split into rotated files gives exactly
// the flows of the whole file (a flow spanning files is one flow), with or without workers
// and at batch sizes that cut every file; the file map names each flow's first file; --dedup
// on a capture merged with itself shifted by 1 µs gives the original's flows and drops
// every copy.
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeCaptures } from '../../src/analyze.js';
import { hosts } from '../../src/cli/args.js';
import { sourceFile } from '../../src/session/files.js';
import { pcapRecords, shiftPcap, splitPcap } from '../helpers/pcap-split.js';
import { tempDir } from '../helpers/build.js';
import { REPO } from '../helpers/shared.js';

const tmp = tempDir('pantap-sets-');
afterAll(() => tmp.remove());
const LAB = resolve(REPO, 'fixtures/pan-lab');

/** The summary's JSON without what names the inputs (files, per-file details, skipped). */
function comparable(s: Awaited<ReturnType<typeof analyzeCaptures>>['summary']): unknown {
  const { files: _f, details: _d, skipped: _s, dedup: _x, ...input } = s.input;
  return JSON.parse(JSON.stringify({ ...s, input }));
}

describe('capture sets', () => {
  for (const name of ['a07_mixed.pcap', 'a03_panorama.pcap', 'a02_ha.pcap']) {
    const whole = resolve(LAB, name);
    const total = pcapRecords(whole).records.length;
    const per = Math.ceil(total / 5);
    const parts = splitPcap(whole, per).map((b, i) => tmp.file(`${name}.${String(i).padStart(2, '0')}`, b));

    for (const [workers, batchBytes, batchRecords] of [
      [0, undefined, undefined],
      [2, 8192, 16],
    ] as const) {
      it(`${name} split into ${parts.length} rotated files gives the same flows (workers ${workers}, batch ${batchBytes ?? 'default'})`, async () => {
        const opts = { allFlows: true, workers, batchBytes, batchRecords };
        const one = await analyzeCaptures([whole], opts);
        // the directory, read in name order: the rotated files
        const set = await analyzeCaptures([tmp.dir + `/${name}.*`], opts);
        expect(set.summary.input.files).toEqual(parts);
        expect(set.summary.input.details.map((d) => d.packets).reduce((a, b) => a + b)).toBe(total);
        expect(comparable(set.summary)).toEqual(comparable(one.summary));
        expect(set.summary.flows.length).toBeGreaterThan(0);
        // named in any order, they are read in time order
        const reversed = await analyzeCaptures([...parts].reverse(), opts);
        expect(comparable(reversed.summary)).toEqual(comparable(one.summary));
        // each flow's first record lies in the file the map names
        for (const f of set.flows) {
          const file = set.read.map.fileOf(f.firstSeq);
          expect(Math.floor(f.firstSeq / per), `flow ${f.client} → ${f.server}`).toBe(file);
        }
      });
    }
  }

  it('--dedup on a capture merged with itself 1 µs later: the original flows, every copy dropped', async () => {
    const whole = resolve(LAB, 'a07_mixed.pcap');
    const later = tmp.file('a07_later.pcap', shiftPcap(whole, 1));
    const one = await analyzeCaptures([whole], { allFlows: true, workers: 0 });
    const both = await analyzeCaptures([whole, later], { allFlows: true, workers: 0, dedup: {} });
    expect(both.summary.input.dedup).toEqual({ windowMs: 5, dropped: 170 });
    expect(comparable(both.summary)).toEqual(comparable(one.summary));
    // -c counts packets, not copies: the 100th packet is the 199th record of the merged stream
    const first100 = await analyzeCaptures([whole, later], { workers: 0, dedup: {}, filter: { bpf: null, hosts: [], since: null, until: null, count: 100 } });
    expect(first100.summary.input.packets).toBe(100);
    expect(first100.summary.input.dedup).toEqual({ windowMs: 5, dropped: 99 });
    expect(first100.summary.input.details.map((d) => d.packets)).toEqual([100, 99]);
    expect(first100.summary.input.filter).toMatchObject({ filteredOut: 0, stoppedEarly: true });
    // without --dedup every packet counts twice
    const doubled = await analyzeCaptures([whole, later], { allFlows: true, workers: 0 });
    expect(doubled.summary.input.packets).toBe(340);
    expect(doubled.summary.input.dedup).toBeUndefined();
  });

  it('the same file twice is read once; the summary lists it as skipped', async () => {
    const whole = resolve(LAB, 'a07_mixed.pcap');
    const r = await analyzeCaptures([whole, whole], { workers: 0 });
    expect(r.summary.input.packets).toBe(170);
    expect(r.summary.input.files).toEqual([whole]);
    expect(r.summary.input.skipped).toEqual([{ file: whole, why: 'named more than once, read once' }]);
  });
});

describe('the file of a flow (sourceFile, for the ClickHouse export)', () => {
  const a = resolve(LAB, 'a01_management.pcap');
  const b = tmp.file('a02_early.pcap', shiftPcap(resolve(LAB, 'a02_ha.pcap'), -8e6));
  const aLater = tmp.file('a01_later.pcap', shiftPcap(a, 1));
  const key = (f: { client: string; server: string; clientPort: number | null; serverPort: number | null; transport: string }) => `${f.transport} ${f.client}:${f.clientPort} ${f.server}:${f.serverPort}`;

  it('names the file of each flow of interleaved files, with filters and --dedup dropping records inside merged batches', async () => {
    const inA = new Set((await analyzeCaptures([a], { allFlows: true, workers: 0 })).summary.flows.map(key));
    const inB = new Set((await analyzeCaptures([b], { allFlows: true, workers: 0 })).summary.flows.map(key));
    const host = hosts('10.99.1.10,10.99.2.0/24', []);
    for (const workers of [0, 2]) {
      const r = await analyzeCaptures([a, b, aLater], {
        allFlows: true,
        workers,
        batchBytes: 4096,
        batchRecords: 8,
        dedup: {},
        filter: { bpf: null, hosts: host, since: null, until: null, count: null },
      });
      expect(r.summary.input.dedup!.dropped).toBeGreaterThan(0);
      expect(r.flows.length).toBeGreaterThan(4);
      for (const f of r.flows) {
        const k = key(f as never);
        const want = inA.has(k) ? a : inB.has(k) ? b : 'neither';
        expect(sourceFile(r.read, f.firstSeq), k).toBe(want);
      }
    }
  });
});
