// Opening an output for writing without stalling the process. Opening a FIFO for writing
// waits until some process opens it for reading; done with a blocking open(2) on the main
// thread, that wait could not be interrupted: Node handles SIGINT and SIGTERM on the event
// loop, so only SIGKILL would end pantap.
//
// pantap waits for the reader rather than failing at once because that is what
// `tcpdump -w FIFO` does and what a pipeline expects: the consumer (`jq . flows.fifo`) may
// well be started after pantap. It waits by trying open(2) with O_NONBLOCK, which fails with
// ENXIO until a reader is there, every 50 ms from a timer: the event loop stays free, so
// Ctrl-C or SIGTERM end the wait at once (nothing written, exit 130/143). A blocking open in
// libuv's thread pool would leave that thread stuck after the signal (only a reader releases
// it, and the FIFO may have been removed meanwhile), and a stuck thread keeps the process
// from exiting. Once a reader is there the FIFO is opened again without O_NONBLOCK (which
// then returns at once) so that writes wait for a slow reader in the kernel, not in a loop
// of retries.
import { closeSync, constants, fstatSync, open as openCb, openSync, statSync } from 'node:fs';
import { CaptureError } from '../errors.js';

const errCode = (err: unknown): string => (err as { code?: string }).code ?? String(err);

/** How often a FIFO is tried while no process reads it. */
const FIFO_POLL_MS = 50;

/**
 * Opens `path` for writing (created or truncated, as open(2) with O_CREAT | O_TRUNC) and
 * returns its descriptor; failures are OUTPUT errors `PATH: WHAT (CODE)`. A FIFO is opened
 * once a process reads it; when `signal` is aborted during that wait (and was not already:
 * the Ctrl-C that ended reading does not cancel writing its results) the result is null.
 */
export async function openOutput(path: string, what: string, signal?: AbortSignal): Promise<number | null> {
  const fail = (err: unknown) => new CaptureError('OUTPUT', path, `${what} (${errCode(err)})`);
  let fifo = false;
  try {
    fifo = statSync(path).isFIFO();
  } catch {
    // Missing (it is created) or unreachable (open says why).
  }
  const open = (): number => {
    try {
      return openSync(path, 'w', 0o666);
    } catch (err) {
      throw fail(err);
    }
  };
  if (!fifo) return open();

  const cancellable = signal !== undefined && !signal.aborted;
  for (;;) {
    let fd: number | null = null;
    try {
      fd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (err) {
      if (errCode(err) !== 'ENXIO') throw fail(err);
    }
    if (fd !== null) {
      const probe = fd;
      try {
        // Replaced by something else while pantap waited: open that as any output.
        if (!fstatSync(probe).isFIFO()) return open();
        return await reopenBlocking(path, fail, cancellable ? signal : undefined);
      } finally {
        closeSync(probe);
      }
    }
    if (cancellable && signal.aborted) return null;
    await pause(FIFO_POLL_MS, cancellable ? signal : undefined);
    if (cancellable && signal.aborted) return null;
  }
}

/**
 * Opens the FIFO `path` for writing, blocking, from the thread pool: at once while a reader
 * is there. Should the reader have gone in between, the open waits for the next; a signal
 * then releases it by opening the FIFO for reading a moment, and the result is null.
 */
async function reopenBlocking(path: string, fail: (err: unknown) => Error, signal: AbortSignal | undefined): Promise<number | null> {
  const opening = new Promise<number>((resolve, reject) => openCb(path, constants.O_WRONLY, (err, fd) => (err ? reject(err) : resolve(fd))));
  let onAbort = (): void => undefined;
  const aborted = new Promise<null>((resolve) => {
    onAbort = () => resolve(null);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const fd = await Promise.race([opening, aborted]);
    if (fd !== null) return fd;
  } catch (err) {
    throw fail(err);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  const closeQuietly = (fd: number): void => {
    try {
      closeSync(fd);
    } catch {
      // Nothing was written through it.
    }
  };
  try {
    const reader = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    await opening.then(closeQuietly, () => undefined);
    closeQuietly(reader);
  } catch {
    // Gone: the open ends when it ends; its descriptor is closed then.
    opening.then(closeQuietly, () => undefined);
  }
  return null;
}

/** Resolves after `ms`, or as soon as `signal` aborts. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
