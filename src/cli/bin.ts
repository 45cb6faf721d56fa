#!/usr/bin/env node
// Entry point of the `pantap` command.
import { main } from './main.js';
import type { CliIo } from './analyze-command.js';

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
