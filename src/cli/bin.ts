#!/usr/bin/env node
// Entry point of the `pantap` command.
import { main } from './main.js';
import type { CliIo } from './analyze-command.js';
import { batchClock } from '../pipeline/pool.js';

const io: CliIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  warn: (m) => process.stderr.write(`pantap: ${m}\n`),
};
// A reader that goes away (`| head`) is not an error: stop quietly, as tcpdump does.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}
// PANTAP_TIMINGS=1: one stderr line at exit with when the first and the last batch were
// aggregated and when the process exits, in ms since it started (performance.timeOrigin,
// printed as epoch ms so a parent can relate them to its own clock), and the process's CPU
// time at the first batch and at exit. bench/compare.mjs
// uses it to time start-up and the report phase.
if (process.env.PANTAP_TIMINGS === '1') {
  process.on('exit', () => {
    const ms = (t: number) => (t < 0 ? 'none' : t.toFixed(1));
    const cpu = process.cpuUsage();
    process.stderr.write(`pantap: timings (ms since process start): first-batch ${ms(batchClock.first)}, last-batch ${ms(batchClock.last)}, exit ${ms(performance.now())}; cpu at first-batch ${ms(batchClock.firstCpu)}, at last-batch ${ms(batchClock.lastCpu)}, at exit ${ms((cpu.user + cpu.system) / 1000)}; origin ${performance.timeOrigin.toFixed(3)}\n`);
  });
}
main(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // Not a typed error: a bug. Still one line; PANTAP_DEBUG=1 adds the stack.
    const e = err instanceof Error ? err : new Error(String(err));
    process.stderr.write(`pantap: internal error: ${e.message}\n${process.env.PANTAP_DEBUG ? `${e.stack ?? ''}\n` : ''}`);
    process.exitCode = 3;
  },
);
