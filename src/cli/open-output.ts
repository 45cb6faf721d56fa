// Opening an output for writing without stalling the process. Opening a FIFO for writing
// waits until some process opens it for reading; done with openSync on the main thread, that
// wait could not be interrupted: Node handles SIGINT and SIGTERM on the event loop, so only
// SIGKILL would end pantap. Special files are therefore opened from libuv's thread pool.
//
// pantap waits for the reader rather than failing at once (O_NONBLOCK gives ENXIO when none
// is there) because that is what `tcpdump -w FIFO` does and what a pipeline expects: the
// consumer (`jq < flows.fifo`) may well be started after pantap. Ctrl-C during the wait ends
// it: the wait is released (see below), nothing is written, and the run ends with 130/143.
import { closeSync, constants, open, openSync, statSync } from 'node:fs';
import { CaptureError } from '../errors.js';

const errCode = (err: unknown): string => (err as { code?: string }).code ?? String(err);

/**
 * Opens `path` for writing (created or truncated, as open(2) with O_CREAT | O_TRUNC) and
 * returns its descriptor; failures are OUTPUT errors `PATH: WHAT (CODE)`. A FIFO or other
 * special file is opened asynchronously; when `signal` is aborted during that wait (and was
 * not already), the wait is given up and the result is null.
 */
export async function openOutput(path: string, what: string, signal?: AbortSignal): Promise<number | null> {
  const fail = (err: unknown) => new CaptureError('OUTPUT', path, `${what} (${errCode(err)})`);
  let special = false;
  try {
    special = !statSync(path).isFile();
  } catch {
    // Missing (it is created) or unreachable (open says why).
  }
  if (!special) {
    try {
      return openSync(path, 'w', 0o666);
    } catch (err) {
      throw fail(err);
    }
  }

  const opening = new Promise<number>((resolve, reject) => open(path, 'w', 0o666, (err, fd) => (err ? reject(err) : resolve(fd))));
  // A signal that arrived before the wait (Ctrl-C that ended reading) does not cancel it:
  // the summary it asked for is on its way. The next one ends pantap (main.ts).
  if (signal === undefined || signal.aborted) {
    try {
      return await opening;
    } catch (err) {
      throw fail(err);
    }
  }
  let onAbort = (): void => undefined;
  const aborted = new Promise<null>((resolve) => {
    onAbort = () => resolve(null);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const fd = await Promise.race([opening, aborted]);
    if (fd !== null) return fd;
  } catch (err) {
    throw fail(err);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  await release(path, opening);
  return null;
}

/**
 * Ends a thread-pool open(2) still waiting for a FIFO's reader by being that reader for a
 * moment: the open completes and both ends are closed, having passed nothing. Left waiting,
 * the thread would keep the process from exiting (libuv joins its threads at exit).
 */
async function release(path: string, opening: Promise<number>): Promise<void> {
  let reader: number;
  try {
    reader = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    // Not a FIFO, or gone: the open ends by itself or not at all; do not wait for it.
    opening.then(closeQuietly, () => undefined);
    return;
  }
  try {
    closeSync(await opening);
  } catch {
    // It failed instead: nothing to close.
  }
  closeQuietly(reader);
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Nothing was written through it: nothing to lose.
  }
}
