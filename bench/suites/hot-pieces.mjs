#!/usr/bin/env node
// benny suite: the hot pieces of pantap's pipeline, each alone, over a slice of mixed-2M.
//
//   framing      readCapture (file reads + pcap framing into record batches) with a submit
//                that only releases the buffers to the pool
//   decode       decodeRecord over every record of the pre-framed batches (no flow table)
//   flow insert  FlowTable.addPacket of every pre-decoded packet into a fresh table (its
//                flows are inserted, the table grows, later packets look them up)
//   flow lookup  the same into a table that already holds every flow (lookups only)
//   merge        FlowTable.merge of two 20,000-flow snapshots into a fresh table (as the
//                run merges per-worker results: the first inserts, the second updates)
//
//   node bench/suites/hot-pieces.mjs [--quick]
//
// Results: bench/results/hot-pieces.json (benny's format).
import b from 'benny';
import { config, cycle, describe, dist, mulberry32, quick, saveOptions, serial, slice } from './common.mjs';

const { readCapture, BufferPool } = await dist('capture/reader.js');
const rec = await dist('capture/records.js');
const { decodeRecord } = await dist('decode/link.js');
const F = await dist('decode/fields.js');
const { FlowTable, DEFAULT_MAX_FLOWS } = await dist('flow/table.js');

const { newPacketFields, F_COUNT, R_OK, F_FRAG, FRAG_NONE } = F;
// The decoder's output block, owned here as a decode loop owns it (reused for every packet).
const pkt = newPacketFields();
const { REC_WORDS, REC_OFFSET, REC_CAPLEN, REC_ORIGLEN, REC_TS_SEC, REC_TS_NSEC, REC_LINKTYPE } = rec;

const { path, packets, bytes } = slice();
console.log(`slice: ${path} (${packets} packets, ${(bytes / 1e6).toFixed(1)} MB)${quick ? ' [--quick]' : ''}`);

// --- framing alone ----------------------------------------------------------------------
async function framing() {
  const pool = new BufferPool();
  const report = await readCapture(path, { fileIndex: 0, seqBase: 0, pool, submit: (batch) => pool.release(batch) });
  return report.records;
}

// --- pre-framed batches (kept, never released) --------------------------------------------
const batches = [];
{
  const pool = new BufferPool();
  await readCapture(path, { fileIndex: 0, seqBase: 0, pool, submit: (batch) => void batches.push(batch) });
}
const views = batches.map((x) => ({
  b: new Uint8Array(x.data),
  dv: new DataView(x.data),
  idx: new Uint32Array(x.index, 0, x.count * REC_WORDS),
  n: x.count,
}));
const framed = views.reduce((a, v) => a + v.n, 0);

function decodeAll() {
  let ok = 0;
  for (const { b: u8, dv, idx, n } of views) {
    for (let r = 0; r < n; r++) {
      const o = r * REC_WORDS;
      if (decodeRecord(pkt, u8, dv, idx[o + REC_OFFSET], idx[o + REC_CAPLEN], idx[o + REC_ORIGLEN], idx[o + REC_LINKTYPE]) === R_OK) ok++;
    }
  }
  return ok;
}

// --- pre-decoded packets: the pkt words, sequence number, timestamp and wire length ------
const fields = new Uint32Array(framed * F_COUNT);
const seqs = new Float64Array(framed);
const tss = new Float64Array(framed);
const lens = new Float64Array(framed);
let decoded = 0;
{
  let seq = 0;
  for (const { b: u8, dv, idx, n } of views) {
    for (let r = 0; r < n; r++, seq++) {
      const o = r * REC_WORDS;
      const st = decodeRecord(pkt, u8, dv, idx[o + REC_OFFSET], idx[o + REC_CAPLEN], idx[o + REC_ORIGLEN], idx[o + REC_LINKTYPE]);
      if (st !== R_OK || pkt[F_FRAG] !== FRAG_NONE) continue;
      fields.set(pkt, decoded * F_COUNT);
      seqs[decoded] = seq;
      tss[decoded] = idx[o + REC_TS_SEC] * 1e6 + Math.floor(idx[o + REC_TS_NSEC] / 1000);
      lens[decoded] = idx[o + REC_ORIGLEN];
      decoded++;
    }
  }
}

function addAll(table) {
  for (let i = 0; i < decoded; i++) {
    const base = i * F_COUNT;
    for (let w = 0; w < F_COUNT; w++) pkt[w] = fields[base + w];
    table.addPacket(pkt, seqs[i], tss[i], lens[i]);
  }
  return table;
}
const flowInsert = () => addAll(new FlowTable(DEFAULT_MAX_FLOWS)).size;
const filled = addAll(new FlowTable(DEFAULT_MAX_FLOWS));
const flowLookup = () => addAll(filled).size;

// --- two 20,000-flow snapshots of the same flows (as two workers report them) -------------
const MERGE_FLOWS = 20_000;
function snapshotOf(seed) {
  const rnd = mulberry32(0x3e26e);
  const jitter = mulberry32(seed);
  const t = new FlowTable(DEFAULT_MAX_FLOWS);
  for (let f = 0; f < MERGE_FLOWS; f++) {
    const tcp = rnd() % 100 < 70;
    const cip = (0x0a010000 | (rnd() & 0xffff)) >>> 0;
    const sip = (0x0a000100 | (1 + (rnd() % 60))) >>> 0;
    const cport = 32768 + (rnd() % 28232);
    const sport = tcp ? 443 : 514;
    for (let k = 0; k < 4; k++) {
      const fromClient = (k & 1) === 0;
      pkt.fill(0);
      pkt[F.F_KIND] = F.KIND_IPV4;
      pkt[F.F_PROTO] = tcp ? 6 : 17;
      pkt[F.F_SRC] = fromClient ? cip : sip;
      pkt[F.F_DST] = fromClient ? sip : cip;
      pkt[F.F_SPORT] = fromClient ? cport : sport;
      pkt[F.F_DPORT] = fromClient ? sport : cport;
      pkt[F.F_TCPFLAGS] = tcp ? (k === 0 ? F.TCP_SYN : k === 1 ? F.TCP_SYN | F.TCP_ACK : F.TCP_ACK) : 0;
      t.addPacket(pkt, f * 4 + k, 1.7e15 + f * 10 + (jitter() % 10), 64 + (jitter() % 1400));
    }
  }
  return t.snapshot();
}
const snapA = snapshotOf(1);
const snapB = snapshotOf(2);
function merge() {
  const t = new FlowTable(DEFAULT_MAX_FLOWS, 1024);
  t.merge(snapA);
  t.merge(snapB);
  return t.size;
}

// Sanity checks before timing anything.
const checks = { framing: await framing(), decode: decodeAll(), insert: flowInsert(), merge: merge() };
if (checks.framing !== packets || framed !== packets || checks.decode !== packets || decoded !== packets ||
    checks.insert !== filled.size || snapA.count !== MERGE_FLOWS || checks.merge !== MERGE_FLOWS) {
  console.error(`sanity check failed: ${JSON.stringify({ packets, framed, decoded, ...checks, snapA: snapA.count })}`);
  process.exit(1);
}
console.log(`check: ${packets} packets framed and decoded in ${batches.length} batches, ${filled.size} flows; merge of 2 x ${MERGE_FLOWS} flows gives ${checks.merge}`);

const CASES = {
  framing: 'framing (readCapture, no-op submit)',
  decode: 'decode (decodeRecord over pre-framed batches)',
  insert: 'flow table insert+lookup (fresh table)',
  lookup: 'flow table lookup (table holds every flow)',
  merge: `merge (2 x ${MERGE_FLOWS / 1000}k-flow snapshots)`,
};

const summary = await b.suite(
  'hot-pieces',
  config(),
  b.add(CASES.framing, serial(framing)),
  b.add(CASES.decode, () => decodeAll()),
  b.add(CASES.insert, () => flowInsert()),
  b.add(CASES.lookup, () => flowLookup()),
  b.add(CASES.merge, () => merge()),
  cycle(),
  b.complete(),
  b.save(saveOptions('hot-pieces')),
);

console.log('per item (packets; snapshot flows for merge):');
console.log(describe(summary, {
  [CASES.framing]: packets, [CASES.decode]: packets, [CASES.insert]: packets, [CASES.lookup]: packets,
  [CASES.merge]: 2 * MERGE_FLOWS,
}));
