// The CLI edge: parses arguments (commander), runs a command, and renders every typed
// error once, as one line `pantap: ...`, with its exit code.
import { exportOptions } from './export-options.js';
import { Command, Option } from 'commander';
import { ArgumentError, PantapError, exitCodeFor, signalExitCode } from '../errors.js';
import { DEFAULT_OTHER_TIMEOUT, DEFAULT_TCP_TIMEOUT, DEFAULT_UDP_TIMEOUT, TCP_CLOSED_TIMEOUT } from '../flow/expire.js';
import { DEFAULT_MAX_FLOWS } from '../flow/table.js';
import { defaultWorkers } from '../pipeline/pool.js';
import { runAnalyze, type CliIo } from './analyze-command.js';
import { collect, decimal, hosts, integer as int, repeat, timeBound } from './args.js';
import { INTERVAL_NAMES } from '../report/intervals.js';
import { DEFAULT_DEDUP_WINDOW_MS } from '../pipeline/dedup.js';

function colorWanted(stream: NodeJS.WriteStream, flag: boolean | undefined): boolean {
  if (flag === false || process.env.NO_COLOR !== undefined) return false;
  if (flag === true) return true;
  return stream.isTTY === true;
}

/**
 * Ends the process by the signal's default action, which the shell reports as 128 + its
 * number. process.exit() would not do: it waits for libuv's threads, and one blocked
 * writing to a stalled pipe (--flows-ndjson to a FIFO nobody reads) never returns.
 */
function dieOf(sig: NodeJS.Signals, handler: (sig: NodeJS.Signals) => void): void {
  process.off('SIGINT', handler);
  process.off('SIGTERM', handler);
  process.kill(process.pid, sig);
  process.exit(signalExitCode(sig)); // only if the signal is blocked or ignored
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  let code = 0;
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    // First Ctrl-C or SIGTERM: stop reading and report what was seen (the reason tells
    // analyze which exit code a shell expects); second: leave at once.
    if (++interrupts > 1) dieOf(sig, onSignal);
    else controller.abort(sig);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  // The command being parsed, for the hint that ends every argument error.
  let command = 'pantap';
  const hint = () => `(see '${command} --help')`;
  const program = new Command('pantap')
    .description('Classify packet-capture flows against the ports Palo Alto Networks devices use')
    .version('0.2.0')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      // commander's `error: ...` becomes pantap's one line: `pantap: ... (see 'pantap analyze --help')`.
      outputError: (s, write) => write(`pantap: ${s.replace(/^error: /, '').trimEnd().replace(/\n+/g, ' ')} ${hint()}\n`),
    })
    .hook('preSubcommand', (_program, sub) => {
      command = `pantap ${sub.name()}`;
    });

  program
    .command('analyze')
    .description('analyze capture files (pcap, pcapng, optionally gzip-compressed; - for stdin)')
    .argument('[files...]', 'capture files, directories (their capture files) or quoted globs, merged by time; - reads stdin')
    .option('-r, --read <file>', 'a capture file, directory or glob, as the positional ones (tcpdump habit; repeatable)', repeat, [])
    .option('-f, --filter <bpf>', "BPF filter on the packets read, as tcpdump's (needs the pantap-live addon)")
    .option('--host <addr>', 'keep packets from or to ADDR (IPv4/IPv6 address or CIDR block; repeatable, or comma-separated)', hosts, [])
    .option('--since <time>', 'keep packets at or after TIME: ISO-8601 with a zone (2026-11-24T10:15:00Z), or +SECONDS from the first packet', timeBound)
    .option('--until <time>', 'keep packets before TIME (as --since)', timeBound)
    .option('-c, --count <n>', 'stop after N packets (those the filters keep)', int(1, Number.MAX_SAFE_INTEGER))
    .option('--dedup', 'drop copies of a packet seen again within the window (SPAN, multi-stage captures), ignoring link headers, VLAN tags, TTL and the IPv4 checksum')
    .option('--dedup-window <ms>', `--dedup window in milliseconds (default ${DEFAULT_DEDUP_WINDOW_MS})`, decimal(0, 60_000))
    .addOption(new Option('-F, --format <format>', 'report format (html: one self-contained page, give -o FILE)').choices(['text', 'json', 'protobuf', 'markdown', 'html']).default('text'))
    .option('-o, --output <file>', 'write the summary to FILE instead of stdout')
    .option('--flows', 'list every flow (default: only unexpected, failed and warning ones)')
    .option('--flows-ndjson <file>', 'write every flow as one JSON object per line to FILE')
    .option('--max-listed <n>', 'without --flows, list at most N unexpected/failed/warning flows (most bytes first)', int(0, 50_000_000), 10_000)
    .option('--max-channels <n>', 'list at most N channels in the health list and timeline (the worst; the rest are counted per status)', int(1, 50_000_000), 10_000)
    .option('--catalog <file>', 'catalog override file (JSON or YAML): add entries, move configurable ports')
    .option('--roles <file>', 'inventory of PAN devices and servers (JSON or YAML) to narrow shared ports')
    .option('-w, --workers <n>', 'decode worker threads; 0 decodes on the main thread', int(0, 64), defaultWorkers())
    .option('--max-flows <n>', 'flow table bound; further flows are counted as overflow', int(1, 50_000_000), DEFAULT_MAX_FLOWS)
    .option('--top <n>', 'client → server pairs listed per entry', int(1, 1000), 5)
    .addOption(new Option('--interval <width>', 'timeline interval (default: the smallest giving at most 120 over the capture)').choices(Object.keys(INTERVAL_NAMES)))
    .option('--fail-on <what>', 'exit 1 when there are unexpected flows, failed flows (whatever the reason), or flows failed or with warnings (unexpected, failed, degraded; repeatable)', collect, [])
    .option('--all-entries', 'text and Markdown: list catalog entries never seen as rows (default: one line per section)')
    .option('--no-progress', 'no progress bar (it only ever shows on a terminal)')
    .option('--color', 'force colors')
    .option('--no-color', 'no colors (also NO_COLOR=1)')
    .action(async (files: string[], o) => {
      code = await runAnalyze([...o.read, ...files], { ...o, format: o.format, color: colorWanted(io.stdout, o.color) }, io, controller.signal);
    });

  program
    .command('catalog')
    .description('print the catalog of PAN ports, grouped by section')
    .option('--section <id>', 'only this section (management, ha, panorama, user-id)')
    .addOption(new Option('-F, --format <format>', 'table or json').choices(['table', 'json']).default('table'))
    .option('--catalog <file>', 'catalog override file (JSON or YAML)')
    .option('--color', 'force colors')
    .option('--no-color', 'no colors (also NO_COLOR=1)')
    .action(async (o) => {
      // Command modules load on use: `analyze` should not pay for cli-table3 or the addon.
      const { renderCatalog } = await import('./catalog-command.js');
      const { loadCatalog } = await import('../catalog/load.js');
      const out = renderCatalog(loadCatalog(o.catalog), { section: o.section, format: o.format, color: colorWanted(io.stdout, o.color) });
      io.stdout.write(out.endsWith('\n') ? out : `${out}\n`);
    });

  program
    .command('interfaces')
    .description('list live capture devices and their addresses')
    .addOption(new Option('-F, --format <format>', 'table or json').choices(['table', 'json']).default('table'))
    .action(async (o) => {
      const { runInterfaces } = await import('./live-command.js');
      code = await runInterfaces(o, io);
    });

  program
    .command('live')
    .description('capture from an interface and classify flows as they happen')
    .requiredOption('-i, --interface <name>', 'interface to capture on (see pantap interfaces)')
    .option('-f, --filter <bpf>', 'BPF capture filter')
    .option('-c, --count <n>', 'stop after N packets', int(1, Number.MAX_SAFE_INTEGER))
    .option('--duration <sec>', 'stop after SEC seconds (0.5, 30)', decimal(0, 31 * 86400))
    .option('-W, --write <file>', 'also write captured packets to FILE as pcapng')
    .option('-Z, --relinquish-privileges <user>', 'after opening the interface, drop root and run (and write outputs) as USER')
    .option('--snaplen <n>', 'bytes captured per packet', int(64, 262144), 262144)
    .option('-w, --workers <n>', 'decode worker threads (default 0: the main thread aggregates; see README, "Design choices")', int(0, 64), 0)
    .addOption(new Option('--backend <name>', 'native (pantap-live addon) or cap (the cap package)').choices(['native', 'cap']).default('native'))
    .addOption(new Option('-F, --format <format>', 'final summary format').choices(['text', 'json', 'protobuf', 'markdown']).default('text'))
    .option('--all-entries', 'text and Markdown: list catalog entries never seen as rows in the final summary')
    .option('-o, --output <file>', 'write the final summary to FILE')
    .option('--flows', 'list every flow in the final summary')
    .option('--max-listed <n>', 'without --flows, list at most N unexpected/failed/warning flows', int(0, 50_000_000), 10_000)
    .option('--max-channels <n>', 'list at most N channels in the health list and timeline (the worst; the rest are counted per status)', int(1, 50_000_000), 10_000)
    .option('--flows-ndjson <file>', 'write every flow as one JSON object per line to FILE as it expires (the rest when the capture ends)')
    .option('--catalog <file>', 'catalog override file')
    .option('--roles <file>', 'roles inventory file')
    .option('--max-flows <n>', 'flow table bound (active flows; idle ones expire)', int(1, 50_000_000), DEFAULT_MAX_FLOWS)
    .option('--top <n>', 'client → server pairs listed per entry', int(1, 1000), 5)
    .addOption(new Option('--interval <width>', 'timeline interval of the final summary (default: the smallest giving at most 120 over the capture)').choices(Object.keys(INTERVAL_NAMES)))
    .option('--tcp-timeout <sec>', `expire TCP flows idle for SEC seconds (closed/reset ones after ${TCP_CLOSED_TIMEOUT} s, or SEC if shorter)`, int(1, 31 * 86400), DEFAULT_TCP_TIMEOUT)
    .option('--udp-timeout <sec>', 'expire UDP flows idle for SEC seconds', int(1, 31 * 86400), DEFAULT_UDP_TIMEOUT)
    .option('--other-timeout <sec>', 'expire ICMP, other IP and non-IP flows idle for SEC seconds', int(1, 31 * 86400), DEFAULT_OTHER_TIMEOUT)
    .option('--color', 'force colors')
    .option('--no-color', 'no colors (also NO_COLOR=1)')
    .action(async (o) => {
      const { runLive } = await import('./live-command.js');
      code = await runLive({ ...o, color: colorWanted(io.stdout, o.color) }, io, controller.signal);
    });

  // --export / --sensor (issue 12: export to ClickHouse), on analyze and live.
  for (const c of program.commands) if (c.name() === 'analyze' || c.name() === 'live') exportOptions(c, c.name() === 'live');

  // `report --from clickhouse://…` (issue 12): the fleet summary of what sensors exported.
  program
    .command('report')
    .description('the summary of what sensors exported to a ClickHouse store (analyze/live --export), aggregated by ClickHouse')
    .requiredOption('--from <url>', 'the store: clickhouse://[user[:password]@]HOST[:PORT]/DATABASE (HTTP port, default 8123; user and password also from CLICKHOUSE_USER / CLICKHOUSE_PASSWORD)')
    .option('--sensor <name>', 'only flows this sensor exported (repeatable)', repeat, [])
    .option('--since <time>', 'only flows whose last packet is at or after TIME (ISO-8601 with a zone: 2026-11-24T10:15:00Z)', timeBound)
    .option('--until <time>', 'only flows whose first packet is before TIME (as --since)', timeBound)
    .addOption(new Option('-F, --format <format>', 'report format (html: one self-contained page, give -o FILE)').choices(['text', 'json', 'protobuf', 'markdown', 'html']).default('text'))
    .option('-o, --output <file>', 'write the summary to FILE instead of stdout')
    .option('--max-listed <n>', 'list at most N unexpected/failed/warning flows (most bytes first)', int(0, 50_000_000), 10_000)
    .option('--max-channels <n>', 'list at most N channels in the health list and timeline (the worst; the rest are counted per status)', int(1, 50_000_000), 10_000)
    .option('--top <n>', 'client → server pairs listed per entry', int(1, 1000), 5)
    .addOption(new Option('--interval <width>', 'timeline interval (default: the smallest giving at most 120 over the flows, at least the widest stored)').choices(Object.keys(INTERVAL_NAMES)))
    .option('--catalog <file>', 'catalog override file (JSON or YAML), as the sensors used')
    .option('--fail-on <what>', 'exit 1 when there are unexpected flows, failed flows, or flows failed or with warnings (unexpected, failed, degraded; repeatable)', collect, [])
    .option('--all-entries', 'text and Markdown: list catalog entries never seen as rows')
    .option('--color', 'force colors')
    .option('--no-color', 'no colors (also NO_COLOR=1)')
    .action(async (o) => {
      const { runReport } = await import('./report-command.js');
      code = await runReport({ ...o, color: colorWanted(io.stdout, o.color) }, io, controller.signal);
    });

  // `pantap merge` (issue 12): protobuf summaries in, one summary out.
  program
    .command('merge')
    .description('merge protobuf summaries (analyze -F protobuf, from any host or run) into one summary')
    .argument('[files...]', 'protobuf summaries; - reads stdin')
    .addOption(new Option('-F, --format <format>', 'report format (html: one self-contained page, give -o FILE)').choices(['text', 'json', 'protobuf', 'markdown', 'html']).default('text'))
    .option('-o, --output <file>', 'write the summary to FILE instead of stdout')
    .option('--max-listed <n>', 'list at most N unexpected/failed/warning flows (most bytes first)', int(0, 50_000_000), 10_000)
    .option('--max-channels <n>', 'list at most N channels in the health list and timeline (the worst; the rest are counted per status)', int(1, 50_000_000), 10_000)
    .option('--top <n>', 'client → server pairs listed per entry', int(1, 1000), 5)
    .addOption(new Option('--interval <width>', "timeline interval, no finer than any input's (default: the coarsest of the inputs' and of the default for the merged span)").choices(Object.keys(INTERVAL_NAMES)))
    .option('--fail-on <what>', 'exit 1 when there are unexpected flows, failed flows, or flows failed or with warnings (unexpected, failed, degraded; repeatable)', collect, [])
    .option('--catalog <file>', 'catalog override file (JSON or YAML): the order of entries')
    .option('--all-entries', 'text and Markdown: list catalog entries never seen as rows')
    .option('--color', 'force colors')
    .option('--no-color', 'no colors (also NO_COLOR=1)')
    .action(async (files: string[], o) => {
      const { runMerge } = await import('./merge-command.js');
      code = await runMerge(files, { ...o, color: colorWanted(io.stdout, o.color) }, io, controller.signal);
    });

  // Bare `pantap`: what it can do, on stderr, and the usage-error code.
  if (argv.length === 0) {
    io.stderr.write(program.helpInformation());
    return 2;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    const e = err as { code?: string; exitCode?: number };
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
      // help and version exit 0; usage errors were already printed by commander
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help' ? 0 : 2;
    }
    if (err instanceof ArgumentError) {
      io.warn(`${err.message} ${hint()}`);
      return exitCodeFor(err);
    }
    if (err instanceof PantapError) {
      io.warn(err.message);
      return exitCodeFor(err);
    }
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return code;
}
