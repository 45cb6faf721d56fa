// The calling thread's CPU time in ms (/proc/thread-self/schedstat's run time), for benchmark
// entries that time the main thread while libuv's and V8's threads run beside it; the
// process's CPU (all threads) where /proc does not have it.
import { readFileSync } from 'node:fs';

let schedstat = true;
try {
  readFileSync('/proc/thread-self/schedstat', 'utf8');
} catch {
  schedstat = false;
}

export function threadCpuMs() {
  if (schedstat) return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
}
