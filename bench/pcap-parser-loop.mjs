#!/usr/bin/env node
// Baseline for bench/compare.mjs: pcap-parser's bare event loop over a classic pcap file,
// counting 'packet' events and decoding nothing (the cost of the popular npm parser alone).
//
//   node bench/pcap-parser-loop.mjs FILE
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const pcapParser = require('pcap-parser');

const file = process.argv[2];
if (!file) {
  console.error('usage: node bench/pcap-parser-loop.mjs FILE');
  process.exit(64);
}

let packets = 0;
const parser = pcapParser.parse(file);
parser.on('packet', () => {
  packets++;
});
parser.on('error', (err) => {
  console.error(`pcap-parser: ${err.message}`);
  process.exitCode = 1;
});
parser.on('end', () => {
  console.log(`${packets} packets`);
});
