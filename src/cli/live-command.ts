// `pantap live` and `pantap interfaces`. Live packets arrive as record batches in the
// same layout the file reader produces and go into the same flow session as files (the
// live adapter), with idle expiry on: a capture of hours keeps only the active flows in
// memory, and expired flows are folded into the running summary.
import Table from 'cli-table3';
import { loadBackend, type LiveSource } from '../capture/live.js';
import { PcapngWriter } from '../capture/pcapng-writer.js';
import { loadCatalog } from '../catalog/load.js';
import { loadInventory } from '../classify/inventory.js';
import { idleTimeouts } from '../flow/expire.js';
import { feedLive } from '../session/live.js';
import { FlowSession } from '../session/session.js';
import { liveScreen } from '../report/live-view.js';
import { writeFlows } from '../report/ndjson.js';
import type { NdjsonWriter } from '../report/ndjson.js';
import { checkOutput, emit, openNdjson, reportInputProblemsUnlessShown, waitInterrupted, type CliIo } from './analyze-command.js';
import { openOutput } from './open-output.js';
import { checkOutputs, inheritedFd } from './outputs.js';
import { AltScreen } from './live-screen.js';
import { dropPrivileges, relinquishTarget } from './privileges.js';
import { INTERVAL_NAMES } from '../report/intervals.js';
import type { LiveCounters, LiveExport } from '../export/live.js';
import type { ExportTarget } from '../export/run.js';
import { sensorName, type ExportCliOptions } from './export-options.js';
import { DEFAULT_EXPORT_BUFFER } from '../export/defaults.js';

export interface LiveCliOptions extends ExportCliOptions {
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
  /** Text and Markdown: list catalog entries never seen as rows in the final summary. */
  allEntries?: boolean;
  maxListed: number;
  maxChannels: number;
  flowsNdjson?: string;
  catalog?: string;
  roles?: string;
  maxFlows: number;
  top: number;
  /** --interval: timeline width of the final summary (1s, 10s, 1m, 10m, 1h). */
  interval?: string;
  /** Idle timeouts in seconds (defaults: TCP 300, UDP 60, other 60). */
  tcpTimeout?: number;
  udpTimeout?: number;
  otherTimeout?: number;
  /** Decode workers (default 0: aggregate on the main thread). */
  workers?: number;
  /** -Z USER: become USER once the interface is open. */
  relinquishPrivileges?: string;
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
  checkOutput(o, io);
  checkOutputs(liveOutputs(o), []);
  const runAs = o.relinquishPrivileges !== undefined ? relinquishTarget(o.relinquishPrivileges) : null;
  const catalog = loadCatalog(o.catalog);
  const inventory = o.roles ? loadInventory(o.roles) : null;
  // --export (issue 12): the store is reached and its tables made before the capture starts
  // (an unreachable server is one line, exit 2); afterwards it never makes capture wait.
  const store = o.export !== undefined ? await (await import('../export/run.js')).openExport(o.export, sensorName(o)) : null;
  try {
    return await capture(o, io, signal, runAs, catalog, inventory, store);
  } finally {
    if (store !== null) await (await import('../export/run.js')).closeExport(store);
  }
}

function liveOutputs(o: LiveCliOptions): { option: string; path: string | undefined; replace?: boolean }[] {
  return [{ option: '-o', path: o.output, replace: true }, { option: '--flows-ndjson', path: o.flowsNdjson }, { option: '-W', path: o.write }];
}

async function capture(
  o: LiveCliOptions,
  io: CliIo,
  signal: AbortSignal,
  runAs: ReturnType<typeof relinquishTarget> | null,
  catalog: ReturnType<typeof loadCatalog>,
  inventory: ReturnType<typeof loadInventory> | null,
  store: ExportTarget | null,
): Promise<number> {
  const outputs = liveOutputs(o);
  const backend = loadBackend(o.backend);
  const src: LiveSource = backend.open({ device: o.interface, snaplen: o.snaplen, filter: o.filter });
  // Everything opened from here on is closed in the finally below whatever fails (an addon
  // read, a full disk under -W or --flows-ndjson), and only the first error is reported:
  // cleaning up after it may fail the same way and must not hide it.
  let srcOpen = true;
  let session: FlowSession | null = null;
  let ndjson: NdjsonWriter | null = null;
  let writer: PcapngWriter | null = null;
  let screen: AltScreen | null = null;
  // --export: ended in the finally below when the capture fails (finished normally otherwise).
  let exp: LiveExport | null = null;
  try {
    if (runAs !== null) {
      // Root was needed for the interface only; outputs are created (and checked) as the user.
      dropPrivileges(runAs);
      checkOutputs(outputs, []);
    }
    // Flows are written as they expire: open the files before capturing, so that a bad path
    // is one clear error, not a lost capture. A FIFO waits here for its reader, as with
    // tcpdump -w; Ctrl-C ends the wait.
    if (o.flowsNdjson) {
      ndjson = await openNdjson(o.flowsNdjson, io, signal);
      if (ndjson === null) return waitInterrupted(`--flows-ndjson ${o.flowsNdjson}`, io, signal);
    }
    if (o.write) {
      writer = await openPcapng(o.write, src.linktype, o.snaplen, signal);
      if (writer === null) return waitInterrupted(`-W ${o.write}`, io, signal);
    }
    // Aggregated on this thread: at the replay rates measured (README, "Design choices") the
    // main thread keeps up with a fraction of a core, and expiry needs the merged table every
    // second, which a worker pool would have to hand over each time.
    session = new FlowSession({
      catalog,
      inventory,
      maxFlows: o.maxFlows,
      allFlows: o.flows ?? false,
      maxListed: o.maxListed,
      maxChannels: o.maxChannels,
      topPairs: o.top,
      interval: o.interval === undefined ? null : INTERVAL_NAMES[o.interval],
      timeouts: idleTimeouts({ tcp: o.tcpTimeout, udp: o.udpTimeout, other: o.otherTimeout }),
      workers: o.workers ?? 0,
      batchBytes: 4 << 20,
      batchRecords: 1 << 15,
    });
    const live = session;
    // The view classifies active flows: its modules load before the capture starts.
    await live.ready();
    const started = Date.now();
    // The view only on a terminal, in text format: a pipe or a file gets the summary alone.
    screen = o.format === 'text' && io.stdout.isTTY === true ? new AltScreen(io.stdout) : null;
    // --export: notes about the server (away, back) wait for the screen to close.
    const held: string[] = [];
    exp = store === null ? null : await liveExport(store, catalog, o, (m) => (screen !== null ? held.push(m) : io.warn(m)));
    const exporting = exp;
    let lastView = 0;
    let lastSeq = 0;
    let lastPacketAt = started;
    let seenSeq = 0;
    const file = await feedLive(live, src, {
      name: `live:${o.interface}`,
      snaplen: o.snaplen,
      count: o.count,
      deadlineMs: o.duration !== undefined ? started + o.duration * 1000 : undefined,
      signal,
      onBatch: (batch) => writer?.write(batch),
      // Each group of expired flows is in the file (one write) before the capture goes on.
      onFlows: async (expired) => {
        exporting?.flows(expired);
        if (ndjson !== null) await writeFlows(ndjson, expired, catalog);
      },
      onTick: (seq) => {
        const now = Date.now();
        exporting?.tick(() => liveCounters(live, seq));
        if (seq !== seenSeq) [seenSeq, lastPacketAt] = [seq, now];
        if (screen === null || (now - lastView < 1000 && !screen.resized)) return;
        const rate = lastView === 0 ? 0 : ((seq - lastSeq) * 1000) / (now - lastView);
        lastView = now;
        lastSeq = seq;
        const k = src.stats();
        const status = { interface: o.interface, filter: o.filter, elapsedMs: now - started, packets: seq, rate, idleMs: now - lastPacketAt, kernel: k, export: exporting === null ? undefined : exportStatus(exporting) };
        screen.draw(liveScreen(status, live.view(), live.matcher.catalog, { ...screen.size, color: o.color }));
      },
    });
    // Back to the main screen before anything else is said (warnings, the summary).
    screen?.close();
    for (const m of held.splice(0)) io.warn(m);
    writer?.close();
    const kernel = src.stats();
    srcOpen = false;
    src.close();

    session = null; // finish() ends the workers however it ends
    const { summary, remaining } = await live.finish({ files: [file] });
    summary.capture = { interface: o.interface, backend: backend.name, filter: o.filter ?? null, received: kernel?.received ?? null, dropped: kernel?.dropped ?? null, ifDropped: kernel?.ifDropped ?? null };
    if (kernel !== null && kernel.dropped + kernel.ifDropped > 0) io.warn(`the kernel dropped ${kernel.dropped} packets (interface: ${kernel.ifDropped}): the summary is incomplete`);
    if (kernel === null) io.warn('the cap backend reports no kernel drop statistics');
    const lost = src.droppedByPantap?.() ?? 0;
    if (lost > 0) io.warn(`${lost} packets arrived faster than the cap backend could hand them over and were lost: the summary is incomplete`);
    await reportInputProblemsUnlessShown(summary, o, io);
    if (ndjson !== null) {
      await writeFlows(ndjson, remaining, catalog);
      await ndjson.close();
    }
    // --export: the rest goes to the store (given a grace period if the server is away); rows
    // dropped or left unsent are said on stderr, and the exit code is 2 after the summary.
    const exportProblem = exporting === null ? null : await finishLiveExport(exporting, remaining, summary, (m) => io.warn(m));
    exp = null;
    if (!(await emit(summary, o, io, signal))) return waitInterrupted(`-o ${o.output}`, io, signal);
    if (exportProblem) return 2;
    // Ending a capture with Ctrl-C is the normal way to stop it (as with tcpdump): exit 0.
    return 0;
  } finally {
    // Each already closed unless something failed; then quietly, the first error wins.
    screen?.close();
    if (exp !== null) await exp.abandon();
    if (session !== null) await session.abort().catch(() => undefined);
    writer?.abandon();
    ndjson?.abandon();
    if (srcOpen) {
      try {
        src.close();
      } catch {
        // The first error is the one reported.
      }
    }
  }
}

/**
 * Opens the -W file: /dev/stdout and /dev/fd/N through the inherited descriptor (left open),
 * a FIFO once its reader is there (see open-output.ts). Null when a signal ended that wait.
 */
async function openPcapng(path: string, linktype: number, snaplen: number, signal: AbortSignal): Promise<PcapngWriter | null> {
  const inherited = inheritedFd(path);
  if (inherited !== null) return new PcapngWriter(path, linktype, snaplen, { fd: inherited, closeFd: false });
  const fd = await openOutput(path, 'cannot create', signal);
  return fd === null ? null : new PcapngWriter(path, linktype, snaplen, { fd });
}

// --export (issue 12) in live: the export object, its counters for the screen and the run
// row, and its end.

async function liveExport(store: ExportTarget, catalog: ReturnType<typeof loadCatalog>, o: LiveCliOptions, note: (m: string) => void): Promise<LiveExport> {
  const { LiveExport } = await import('../export/live.js');
  // Tests shorten the retry delays (PANTAP_EXPORT_BACKOFF_MS=min,max); not a user option.
  const backoff = (process.env.PANTAP_EXPORT_BACKOFF_MS ?? '').split(',').map(Number);
  const [backoffMinMs, backoffMaxMs] = backoff.length === 2 && backoff.every((n) => Number.isInteger(n) && n > 0) ? backoff : [undefined, undefined];
  return new LiveExport(store, catalog, {
    input: `live:${o.interface}`,
    bufferRows: o.exportBuffer ?? DEFAULT_EXPORT_BUFFER,
    intervalSeconds: o.interval === undefined ? undefined : INTERVAL_NAMES[o.interval],
    onNote: note,
    backoffMinMs,
    backoffMaxMs,
  });
}

function liveCounters(s: FlowSession, packets: number): LiveCounters {
  const d = s.decodeStats;
  return { packets, bytes: d.bytes, malformed: d.malformed, flows: s.expiredFlows + s.table.size, overflowFlows: s.table.overflowFlows, overflowPackets: s.table.overflowPackets, maxFlows: s.opts.maxFlows };
}

function exportStatus(exp: LiveExport): { url: string; sent: number; buffered: number; dropped: number; away: boolean } {
  const s = exp.stats();
  return { url: exp.target.url.shown, sent: s.exported.flows + s.exported.channel_health, buffered: s.buffered, dropped: s.dropped.flows + s.dropped.channel_health, away: s.away };
}

/** Ends the export; returns whether something was lost (said on stderr). */
async function finishLiveExport(exp: LiveExport, remaining: Parameters<LiveExport['finish']>[0], summary: Parameters<LiveExport['finish']>[1], warn: (m: string) => void): Promise<boolean> {
  const { liveExportProblem } = await import('../export/live.js');
  const stats = await exp.finish(remaining, summary);
  const problem = liveExportProblem(stats, exp.target.url.shown);
  if (problem !== null) warn(problem);
  return problem !== null;
}
