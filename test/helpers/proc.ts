// Watching a child pantap through /proc (Linux): its I/O counters, signal mask and open
// files tell a test when pantap has taken in what was sent, or sits waiting, without
// guessing with sleeps.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A `key: value` line of /proc/PID/FILE, or null. */
export function procField(pid: number, file: string, key: string): string | null {
  try {
    return new RegExp(`^${key}:\\s*(\\S+)`, 'm').exec(readFileSync(`/proc/${pid}/${file}`, 'utf8'))?.[1] ?? null;
  } catch {
    return null;
  }
}

/** rchar/wchar of the process: changes whenever it reads or writes. */
const ioCounters = (pid: number): string => `${procField(pid, 'io', 'rchar')}/${procField(pid, 'io', 'wchar')}`;

/** Whether the process has `path` open. */
function holds(pid: number, path: string): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === path;
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

/**
 * Resolves once the process has read and written nothing for `quietMs` while `busy()` was
 * false (blocked, waiting, or done); throws after `timeoutMs`.
 */
export async function settled(pid: number, o: { quietMs?: number; timeoutMs?: number; busy?: () => boolean; what?: string } = {}): Promise<void> {
  const quiet = o.quietMs ?? 300;
  const deadline = Date.now() + (o.timeoutMs ?? 20_000);
  let last = ioCounters(pid);
  let since = Date.now();
  for (;;) {
    await sleep(10);
    const now = ioCounters(pid);
    if (now !== last || (o.busy?.() ?? false)) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quiet) return;
    if (Date.now() > deadline) throw new Error(`pantap never settled${o.what ? ` (${o.what})` : ''}`);
  }
}

/**
 * Resolves once pantap waits for the reader of `fifo`: it reads and writes nothing for
 * 300 ms and does not hold the FIFO open (it tries the FIFO from a timer; a blocking open
 * would look the same from here).
 */
export function waitingForReader(pid: number, fifo: string): Promise<void> {
  return settled(pid, { busy: () => holds(pid, fifo), what: 'to wait for the FIFO reader' });
}

/**
 * Resolves once `pid` runs pantap's bin.js (not a shell about to exec it). Node catches
 * SIGINT and SIGTERM from its own start (its SigCgt mask has both before any module runs), so
 * this does not say that pantap's main() handles them yet: a test that signals pantap also
 * waits for it to read its input. Without /proc (not Linux), after `fallbackMs`.
 */
export async function pantapStarted(pid: number, fallbackMs = 700): Promise<void> {
  if (!existsSync(`/proc/${pid}/cmdline`)) return sleep(fallbackMs);
  const deadline = Date.now() + 20_000;
  const isPantap = (): boolean => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('bin.js');
    } catch {
      return false;
    }
  };
  while (!isPantap()) {
    if (Date.now() > deadline) throw new Error('pantap never started');
    await sleep(5);
  }
}

/**
 * Bytes waiting in `pid`'s stdin, when that is a Unix socket (what Node's `stdio: 'pipe'`
 * gives a child: a socketpair, whose kernel buffer takes ≈ 200 KiB before its reader reads
 * anything), read from `ss -xn`'s Recv-Q; null without /proc or ss. Bytes the kernel took
 * less this are bytes the process has read.
 */
export function stdinQueued(pid: number): number | null {
  try {
    const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/0`))?.[1];
    if (inode === undefined) return null;
    const out = execFileSync('ss', ['-xn'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    for (const line of out.split('\n')) {
      // Netid State Recv-Q Send-Q Local-Address Port Peer-Address Port
      const f = line.trim().split(/\s+/);
      if (f[0] === 'u_str' && f[5] === inode) return Number(f[2]);
    }
    return null;
  } catch {
    return null;
  }
}
