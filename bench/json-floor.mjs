#!/usr/bin/env node
// The floor of the report phase for a given report: how long V8 takes only to serialise
// pantap's finished JSON document (JSON.stringify with pantap's 2-space indent) and encode
// it to UTF-8, with every object already built. Whatever pantap does before it (classify,
// summarise) comes on top; bench/run.mjs prints it beside the report target.
//
//   node bench/json-floor.mjs FILE.json [--rounds N]   a report pantap wrote (-F json)
//   node bench/json-floor.mjs CAPTURE.pcap [--rounds N] runs `pantap analyze -F json` first
// Prints one JSON line: {"bytes", "stringifyMs", "encodeMs", "totalMs"} (the fastest round).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [file, flag, n] = process.argv.slice(2);
const rounds = flag === '--rounds' ? Number(n) : 5;
if (!file || !(rounds >= 1)) {
  console.error('usage: node bench/json-floor.mjs FILE.json|CAPTURE [--rounds N]');
  process.exit(64);
}

let text;
if (file.endsWith('.json')) {
  text = readFileSync(file, 'utf8');
} else {
  const r = spawnSync(process.execPath, [join(root, 'dist/cli/bin.js'), 'analyze', file, '--format', 'json'],
    { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) {
    console.error(`json-floor: pantap analyze ${file} failed (exit ${r.status ?? r.signal}): ${r.stderr.trim()}`);
    process.exit(1);
  }
  text = r.stdout;
}
const doc = JSON.parse(text);
let best = null;
for (let i = 0; i < rounds; i++) {
  const t0 = performance.now();
  const s = JSON.stringify(doc, null, 2);
  const t1 = performance.now();
  const b = Buffer.from(s + '\n');
  const t2 = performance.now();
  const round = { bytes: b.length, stringifyMs: t1 - t0, encodeMs: t2 - t1, totalMs: t2 - t0 };
  if (!best || round.totalMs < best.totalMs) best = round;
}
if (best.bytes !== Buffer.byteLength(text)) {
  // pantap's own writer and JSON.stringify must agree byte for byte, or this is no floor of it.
  console.error(`json-floor: JSON.stringify gave ${best.bytes} bytes where pantap wrote ${Buffer.byteLength(text)}`);
  process.exit(1);
}
const round2 = (x) => Math.round(x * 10) / 10;
console.log(JSON.stringify({ bytes: best.bytes, stringifyMs: round2(best.stringifyMs), encodeMs: round2(best.encodeMs), totalMs: round2(best.totalMs) }));
