// --export / --sensor (issue 12) for `analyze` and `live`: the options and the CLI's side of
// an export (the sensor's default name, the stderr lines). The work is in src/export.
import { hostname } from 'node:os';
import { Option, type Command } from 'commander';
import { DEFAULT_EXPORT_BUFFER } from '../export/defaults.js';
import { integer } from './args.js';

export interface ExportCliOptions {
  /** --export clickhouse://[user[:password]@]HOST[:PORT]/DATABASE */
  export?: string;
  /** --sensor NAME (default: the host name). */
  sensor?: string;
  /** live: --export-buffer N rows. */
  exportBuffer?: number;
}

/** Adds --export and --sensor (and, for live, --export-buffer) to a command. */
export function exportOptions(cmd: Command, live: boolean): Command {
  cmd
    // The URL is parsed by the command, not here: commander would echo a bad value, password included.
    .option('--export <url>', 'also write every flow and the channel health to ClickHouse: clickhouse://[user[:password]@]HOST[:PORT]/DATABASE (HTTP port, default 8123; user and password also from CLICKHOUSE_USER, CLICKHOUSE_PASSWORD)')
    .option('--sensor <name>', 'sensor name of the exported rows (default: the host name)');
  if (live) cmd.addOption(new Option('--export-buffer <rows>', `rows held while the ClickHouse server is away; more are dropped and counted`).argParser(integer(1, 50_000_000)).default(DEFAULT_EXPORT_BUFFER));
  return cmd;
}

/** --sensor, or the host name. */
export function sensorName(o: ExportCliOptions): string {
  return o.sensor ?? hostname();
}
