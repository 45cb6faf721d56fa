// `pantap live` and `pantap interfaces`. Live packets arrive as record batches in the
// same layout the file reader produces, so the same aggregation, classification and
// report code serves both.
import Table from 'cli-table3';
import { loadBackend, type LiveSource } from '../capture/live.js';
import { PcapngWriter } from '../capture/pcapng-writer.js';
import { BufferPool, type FileReport } from '../capture/reader.js';
import type { RecordBatch } from '../capture/records.js';
import { CatalogMatcher } from '../catalog/matcher.js';
import { loadCatalog } from '../catalog/load.js';
import { classifyFlows } from '../classify/classify.js';
import { loadInventory } from '../classify/inventory.js';
import { UsageError } from '../errors.js';
import { resolveFragments } from '../flow/fragments.js';
import { FlowTable } from '../flow/table.js';
import { BatchAggregator } from '../pipeline/aggregate.js';
import type { RunResult } from '../pipeline/run.js';
import { buildSummary, flowRecord } from '../report/build.js';
import { openNdjson, renderSummary, writeOut, type CliIo } from './analyze-command.js';

export interface LiveCliOptions {
  interface: string;
  filter?: string;
  count?: number;
  duration?: number;
  write?: string;
  snaplen: number;
  backend: 'native' | 'cap';
  format: string;
  output?: string;
  flows?: boolean;
  maxListed: number;
  flowsNdjson?: string;
  catalog?: string;
  roles?: string;
  maxFlows: number;
  top: number;
  color: boolean;
}

export async function runInterfaces(o: { format: string }, io: CliIo): Promise<number> {
  const list = loadBackend('native').listInterfaces();
  if (o.format === 'json') {
    io.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    return 0;
  }
  const t = new Table({ head: ['Interface', 'State', 'Addresses'], style: { head: [], border: [] } });
  for (const i of list) {
    const state = [i.up ? 'up' : 'down', i.running ? 'running' : '', i.loopback ? 'loopback' : ''].filter(Boolean).join(', ');
    t.push([i.name, state, i.addresses.map((a) => a.address).join('\n') || '-']);
  }
  io.stdout.write(`${t.toString()}\n`);
  return 0;
}

export async function runLive(o: LiveCliOptions, io: CliIo, signal: AbortSignal): Promise<number> {
  if (!['text', 'json', 'protobuf'].includes(o.format)) throw new UsageError(`--format must be text, json or protobuf (got '${o.format}')`);
  const catalog = loadCatalog(o.catalog);
  const matcher = new CatalogMatcher(catalog);
  const inventory = o.roles ? loadInventory(o.roles) : null;
  const backend = loadBackend(o.backend);
  const src: LiveSource = backend.open({ device: o.interface, snaplen: o.snaplen, filter: o.filter });
  const writer = o.write ? new PcapngWriter(o.write, src.linktype, o.snaplen) : null;
  const pool = new BufferPool(4 << 20, 1 << 15);
  const agg = new BatchAggregator(o.maxFlows);
  const started = Date.now();
  const view = o.format === 'text' && io.stdout.isTTY === true;
  let seq = 0;
  let lastView = 0;
  let lastSeq = 0;
  const deadline = o.duration !== undefined ? started + o.duration * 1000 : Infinity;

  try {
    while (!signal.aborted && Date.now() < deadline && (o.count === undefined || seq < o.count)) {
      const bufs = pool.acquire();
      const { count } = await src.read(bufs.data, bufs.index, pool.maxRecords);
      const n = o.count === undefined ? count : Math.min(count, o.count - seq);
      if (n > 0) {
        const batch: RecordBatch = { data: bufs.data, index: bufs.index, count: n, seqBase: seq, fileIndex: 0, fileOffset: 0 };
        writer?.write(batch);
        agg.add(batch);
        seq += n;
      }
      pool.release(bufs);
      const now = Date.now();
      if (view && now - lastView >= 1000) {
        const rate = lastView === 0 ? 0 : ((seq - lastSeq) * 1000) / (now - lastView);
        lastView = now;
        lastSeq = seq;
        io.stdout.write(`\x1b[H\x1b[2J${liveView(o, agg, matcher, inventory, src, seq, rate, now - started)}`);
      }
    }
  } finally {
    writer?.close();
  }
  const kernel = src.stats();
  src.close();

  const part = agg.result();
  const table = new FlowTable(o.maxFlows, 1024);
  table.merge(part.flows);
  const fragments = resolveFragments(table, [part.fragments]);
  const file: FileReport = {
    file: `live:${o.interface}`,
    format: 'live',
    gzip: false,
    records: seq,
    bytesRead: part.stats.capturedBytes,
    linktypes: [src.linktype],
    snaplen: o.snaplen,
    sections: null,
    truncatedAt: null,
    error: null,
    warnings: [],
    warningsSuppressed: 0,
  };
  const run: RunResult = { files: [file], failed: [], stats: part.stats, table, fragments, interrupted: false };
  const { flows, roles } = classifyFlows(table, matcher, inventory);
  const summary = buildSummary(run, catalog, flows, roles, { allFlows: o.flows ?? false, maxListed: o.maxListed, topPairs: o.top, maxFlows: o.maxFlows });
  summary.capture = { interface: o.interface, backend: backend.name, filter: o.filter ?? null, received: kernel?.received ?? null, dropped: kernel?.dropped ?? null, ifDropped: kernel?.ifDropped ?? null };
  if (kernel !== null && kernel.dropped + kernel.ifDropped > 0) io.warn(`the kernel dropped ${kernel.dropped} packets (interface: ${kernel.ifDropped}): the summary is incomplete`);
  if (kernel === null) io.warn('the cap backend reports no kernel drop statistics');
  if (o.flowsNdjson) {
    const w = openNdjson(o.flowsNdjson);
    for (const f of flows) await w.write(flowRecord(f, catalog));
    await w.close();
  }
  const out = await renderSummary(summary, o.format, o.color, io.stdout.columns);
  if (o.output) writeOut(o.output, out);
  else io.stdout.write(out);
  return 0;
}

/** The refreshing screen: counters per section, failing channels, newest unexpected flows. */
function liveView(
  o: LiveCliOptions,
  agg: BatchAggregator,
  matcher: CatalogMatcher,
  inventory: ReturnType<typeof loadInventory> | null,
  src: LiveSource,
  packets: number,
  rate: number,
  elapsedMs: number,
): string {
  const { flows } = classifyFlows(agg.table, matcher, inventory);
  const k = src.stats();
  const lines: string[] = [];
  lines.push(`pantap live on ${o.interface}${o.filter ? ` (filter: ${o.filter})` : ''} — ${Math.round(elapsedMs / 1000)} s, ${packets} packets, ${Math.round(rate)} pkt/s`);
  lines.push(k ? `kernel: received ${k.received}, dropped ${k.dropped}, interface dropped ${k.ifDropped}` : 'kernel drop statistics: not available with the cap backend');
  const t = new Table({ head: ['Section', 'Flows', 'Packets', 'Failed'], style: { head: [], border: [] } });
  for (const id of ['management', 'ha', 'panorama', 'user-id', 'unexpected']) {
    const list = flows.filter((f) => f.section === id);
    t.push([id, list.length, list.reduce((a, f) => a + f.clientPackets + f.serverPackets, 0), list.filter((f) => f.failed).length]);
  }
  lines.push(t.toString());
  const failing = flows.filter((f) => f.failed).slice(-5);
  if (failing.length) lines.push('Failing:', ...failing.map((f) => `  ${f.client} → ${f.server}:${f.serverPort ?? ''} ${f.state ?? ''} ${f.entries.map((i) => matcher.catalog.entries[i].id).join(',')}`));
  const unexpected = flows.filter((f) => f.section === 'unexpected').slice(-5);
  if (unexpected.length) lines.push('Newest unexpected:', ...unexpected.map((f) => `  ${f.transport} ${f.client} → ${f.server}${f.serverPort !== null ? `:${f.serverPort}` : ''}`));
  lines.push('Ctrl-C ends the capture and prints the summary.');
  return `${lines.join('\n')}\n`;
}
