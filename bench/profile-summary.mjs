#!/usr/bin/env node
// Sums self time per function in V8 .cpuprofile files (node --cpu-prof) and prints the top N.
//
//   node --cpu-prof --cpu-prof-dir=/tmp/prof dist/cli/bin.js analyze bench/data/mixed-2M.pcap \
//     --workers 0 --format json > /dev/null
//   node bench/profile-summary.mjs /tmp/prof [--top 20]
//
// Argument: .cpuprofile files or directories holding them (every profile in a directory is
// summed: with workers, each thread writes its own). Self time of a sample = the time delta
// that follows it, charged to the function on top of the stack; functions are grouped by
// name, file and line.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const args = process.argv.slice(2);
let top = 20;
const inputs = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--top') top = Number(args[++i]);
  else inputs.push(args[i]);
}
if (inputs.length === 0) {
  console.error('usage: node bench/profile-summary.mjs FILE.cpuprofile|DIR ... [--top N]');
  process.exit(64);
}
const files = inputs.flatMap((p) =>
  statSync(p).isDirectory() ? readdirSync(p).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(p, f)) : [p],
);

const self = new Map();
let total = 0;
for (const file of files) {
  const prof = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const { samples, timeDeltas } = prof;
  for (let i = 0; i < samples.length; i++) {
    // timeDeltas[i] is the time before sample i; the time after it is timeDeltas[i + 1].
    const dt = i + 1 < timeDeltas.length ? timeDeltas[i + 1] : 0;
    const node = byId.get(samples[i]);
    const cf = node.callFrame;
    const url = cf.url ? relative(process.cwd(), cf.url.replace(/^file:\/\//, '')) : '';
    const key = `${cf.functionName || '(anonymous)'}\t${url}${url ? `:${cf.lineNumber + 1}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  }
}

const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
console.log(`${files.length} profile(s), ${(total / 1e6).toFixed(2)} s sampled`);
console.log('| self ms | self % | function | where |');
console.log('| ---: | ---: | --- | --- |');
for (const [key, us] of rows) {
  const [name, where] = key.split('\t');
  console.log(`| ${(us / 1e3).toFixed(0)} | ${((100 * us) / total).toFixed(1)} | ${name} | ${where} |`);
}
