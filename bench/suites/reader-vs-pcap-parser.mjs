#!/usr/bin/env node
// benny suite: pantap's reader + full decoder on one thread (as --workers 0 runs it:
// readCapture into a BufferPool, a submit that runs a BatchAggregator over the batch and
// releases the buffers to the pool) against pcap-parser's bare event loop (counting
// 'packet' events, decoding nothing), over a slice of mixed-2M.
//
//   node bench/suites/reader-vs-pcap-parser.mjs [--quick]
//
// Issue target: pantap's reader + full decoder >= 3x faster than pcap-parser's bare loop.
// Results: bench/results/reader-vs-pcap-parser.json (benny's format).
import { createRequire } from 'node:module';
import b from 'benny';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { config, cycle, describe, dist, quick, resultsDir, saveOptions, secondsPerOp, serial, slice } from './common.mjs';

const require = createRequire(import.meta.url);
const pcapParser = require('pcap-parser');
const { readCapture, BufferPool } = await dist('capture/reader.js');
const { BatchAggregator } = await dist('pipeline/aggregate.js');
const { DEFAULT_MAX_FLOWS } = await dist('flow/table.js');

const { path, packets, bytes } = slice();
console.log(`slice: ${path} (${packets} packets, ${(bytes / 1e6).toFixed(1)} MB)${quick ? ' [--quick]' : ''}`);

async function pantapInline() {
  const pool = new BufferPool();
  const agg = new BatchAggregator(DEFAULT_MAX_FLOWS);
  const report = await readCapture(path, {
    fileIndex: 0,
    seqBase: 0,
    pool,
    submit(batch) {
      agg.add(batch);
      pool.release(batch);
    },
  });
  return { records: report.records, decoded: agg.stats().packets, flows: agg.table.size };
}

function pcapParserLoop() {
  return new Promise((resolve, reject) => {
    let n = 0;
    const parser = pcapParser.parse(path);
    parser.on('packet', () => {
      n++;
    });
    parser.on('error', reject);
    parser.on('end', () => resolve(n));
  });
}

// Both sides must see every packet, or the comparison means nothing.
const check = await pantapInline();
const checkPp = await pcapParserLoop();
if (check.records !== packets || check.decoded !== packets || checkPp !== packets) {
  console.error(`packet counts differ: slice ${packets}, pantap read ${check.records} decoded ${check.decoded}, pcap-parser ${checkPp}`);
  process.exit(1);
}
console.log(`check: both count ${packets} packets; pantap tracks ${check.flows} flows`);

const PANTAP = 'pantap readCapture + BatchAggregator (1 thread)';
const PP = 'pcap-parser bare event loop';

const summary = await b.suite(
  'reader-vs-pcap-parser',
  config(),
  b.add(PANTAP, serial(pantapInline)),
  b.add(PP, serial(pcapParserLoop)),
  cycle(),
  b.complete(),
  b.save(saveOptions('reader-vs-pcap-parser')),
);

console.log(describe(summary, { [PANTAP]: packets, [PP]: packets }));
const p = secondsPerOp(summary, PANTAP);
const q = secondsPerOp(summary, PP);
const ratio = q.mean / p.mean;
const ratioMedian = q.median / p.median;
console.log(`RATIO pantap reader+decoder vs pcap-parser bare loop: ${ratio.toFixed(2)}x faster on the mean time per op, ${ratioMedian.toFixed(2)}x on the median (target >= 3x: ${ratio >= 3 ? 'met' : 'NOT met'})`);
writeFileSync(join(resultsDir, `reader-vs-pcap-parser.ratio${quick ? '.quick' : ''}.json`),
  JSON.stringify({ date: new Date().toISOString(), packets, pantapMeanSeconds: p.mean, pcapParserMeanSeconds: q.mean, ratioMean: ratio, ratioMedian, target: 3, met: ratio >= 3 }, null, 2) + '\n');
