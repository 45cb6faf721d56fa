// Every classic pcap of the shared tcpdump corpus gives the same record stream (seconds,
// microseconds, caplen, origlen and the bytes) as the independent `pcap-parser` package,
// wherever pcap-parser can read the file (it knows only the microsecond magic).
import { createRequire } from 'node:module';
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { BufferPool } from '../../src/capture/reader.js';
import { CaptureError } from '../../src/errors.js';
import { readAll } from '../helpers/build.js';
import { CORPUS, corpusFiles, corpusPresent, corpusTitle } from './shared.js';

interface PPHeader {
  timestampSeconds: number;
  timestampMicroseconds: number;
  capturedLength: number;
  originalLength: number;
}
interface PPRecord {
  sec: number;
  usec: number;
  caplen: number;
  origlen: number;
  data: Buffer;
}

const require = createRequire(import.meta.url);
const pcapParser = require('pcap-parser') as { parse(input: string): EventEmitter };

/** pcap-parser's view of a file: its records, or the error it gave up with. */
function parseWithPcapParser(path: string): Promise<{ records: PPRecord[]; error: string | null }> {
  return new Promise((resolve) => {
    const records: PPRecord[] = [];
    let error: string | null = null;
    const p = pcapParser.parse(path);
    p.on('packet', (pk: { header: PPHeader; data: Buffer }) => {
      records.push({
        sec: pk.header.timestampSeconds,
        usec: pk.header.timestampMicroseconds,
        caplen: pk.header.capturedLength,
        origlen: pk.header.originalLength,
        data: Buffer.from(pk.data),
      });
    });
    p.on('error', (e: Error) => {
      error = e.message;
    });
    p.on('end', () => resolve({ records, error }));
  });
}

function head4(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(4);
    const n = readSync(fd, b, 0, 4, 0);
    return b.subarray(0, n).toString('hex');
  } finally {
    closeSync(fd);
  }
}

const PCAP_MAGICS = new Set(['d4c3b2a1', 'a1b2c3d4', '4d3cb2a1', 'a1b23c4d', '34cdb2a1', 'a1b2cd34']);

describe.skipIf(!corpusPresent)(corpusTitle('corpus: record streams equal to pcap-parser', 'corpus-pcap-parser'), () => {
  it('every classic pcap file pcap-parser can read', async () => {
    const files = corpusFiles().filter((f) => PCAP_MAGICS.has(head4(join(CORPUS, f))));
    const skipped: Record<string, string[]> = {};
    const differences: string[] = [];
    let compared = 0;
    let equal = 0;
    let recordsCompared = 0;
    const invalidUsec: string[] = [];
    const pool = new BufferPool(1 << 20, 8192);
    for (const f of files) {
      const path = join(CORPUS, f);
      const theirs = await parseWithPcapParser(path);
      if (theirs.error !== null) {
        (skipped[theirs.error.replace(/: .*/, '')] ??= []).push(f);
        continue;
      }
      let ours: Awaited<ReturnType<typeof readAll>>;
      try {
        ours = await readAll(path, { pool });
      } catch (err) {
        if (!(err instanceof CaptureError)) throw err;
        differences.push(`${f}: pcap-parser read ${theirs.records.length} records, pantap: ${err.message}`);
        continue;
      }
      compared++;
      const mine = ours.records.map((r) => ({ sec: r.sec, usec: r.nsec / 1000, caplen: r.caplen, origlen: r.origlen, data: r.data }));
      let diff: string | null = null;
      if (mine.length !== theirs.records.length) diff = `${mine.length} records, pcap-parser ${theirs.records.length}`;
      for (let i = 0; diff === null && i < mine.length; i++) {
        const a = mine[i];
        const b = theirs.records[i];
        // A microsecond field of a second or more is invalid; pantap carries it into the
        // seconds (pcap-parser passes it through), so compare the total time then.
        const sameTime = b.usec < 1e6 ? a.sec === b.sec && a.usec === b.usec : a.sec * 1e6 + a.usec === ((b.sec + Math.floor(b.usec / 1e6)) % 2 ** 32) * 1e6 + (b.usec % 1e6);
        if (b.usec >= 1e6) invalidUsec.push(`${f}#${i}`);
        if (!sameTime || a.caplen !== b.caplen || a.origlen !== b.origlen || !a.data.equals(b.data)) {
          diff = `record ${i}: pantap ${JSON.stringify({ ...a, data: a.data.length })}, pcap-parser ${JSON.stringify({ ...b, data: b.data.length })}`;
        }
      }
      recordsCompared += mine.length;
      if (diff === null) equal++;
      else differences.push(`${f}: ${diff}`);
    }
    console.log(
      `[corpus-pcap-parser] ${files.length} classic pcap files; compared ${compared} (${recordsCompared} records), equal ${equal}; ` +
        `not readable by pcap-parser: ${Object.entries(skipped)
          .map(([why, list]) => `${list.length} (${why}: ${list.join(', ')})`)
          .join('; ') || 'none'}; records with an invalid microsecond field (compared as total time): ${invalidUsec.join(', ') || 'none'}`,
    );
    expect(differences).toEqual([]);
    expect(compared).toBeGreaterThan(300);
    expect(equal).toBe(compared);
  });
});
