// Writes the summary (-o) so that a reader, or a crash, never sees half of it: a regular
// file is replaced by rename(2) from a fully written and fsynced temporary file in the same
// folder, so the old summary stays whole until the new one is complete. Devices, FIFOs and
// other special files are opened and written in place: renaming over /dev/null as root would
// replace the device with a regular file. An inherited descriptor (/dev/stdout, /dev/fd/N)
// is written through as it is, at its offset: neither reopened (O_TRUNC would empty the file
// of `>> log`) nor followed to its file and renamed over.
import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fchownSync, fsyncSync, openSync, renameSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CaptureError } from '../errors.js';
import { writeFully, writeFullySync } from '../report/ndjson.js';
import { openOutput } from './open-output.js';
import { resolveOutput } from './outputs.js';
import { chunksOf, type Rendered } from './rendered.js';

const errCode = (err: unknown): string => (err as { code?: string }).code ?? String(err);

function writeAllSync(fd: number, data: Rendered): void {
  for (const c of chunksOf(data)) writeFullySync(fd, c);
}

async function writeAll(fd: number, data: Rendered): Promise<void> {
  for (const c of chunksOf(data)) await writeFully(fd, c);
}

/**
 * Writes `data` to `path` as the CLI does, without blocking the main thread on a reader: an
 * inherited descriptor that is not a regular file, and a FIFO (which waits for its reader,
 * see open-output.ts), are written from libuv's thread pool. Resolves false, having written
 * nothing, when `signal` ends the wait for a FIFO's reader.
 */
export async function writeOutput(path: string, data: Rendered, signal?: AbortSignal): Promise<boolean> {
  const fail = (err: unknown) => (err instanceof CaptureError ? err : new CaptureError('OUTPUT', path, `cannot write output (${errCode(err)})`));
  const target = resolveOutput(path);
  if (target.exists && target.fd !== undefined) {
    try {
      if (target.stats.isFile()) writeAllSync(target.fd, data);
      else await writeAll(target.fd, data);
    } catch (err) {
      throw fail(err);
    }
    return true;
  }
  if (!target.exists || target.stats.isFile()) {
    writeOutputFile(path, data);
    return true;
  }
  const fd = await openOutput(path, 'cannot write output', signal);
  if (fd === null) return false;
  try {
    await writeAll(fd, data);
  } catch (err) {
    try {
      closeSync(fd);
    } catch {
      // The write's error is the one reported.
    }
    throw fail(err);
  }
  try {
    closeSync(fd);
  } catch (err) {
    throw fail(err);
  }
  return true;
}

/** Writes `data` to `path`: atomically when it is or will be a regular file. */
export function writeOutputFile(path: string, data: Rendered): void {
  const target = resolveOutput(path);
  if (target.exists && target.fd !== undefined) {
    try {
      writeAllSync(target.fd, data);
    } catch (err) {
      throw new CaptureError('OUTPUT', path, `cannot write output (${errCode(err)})`);
    }
    return;
  }
  if (target.exists && !target.stats.isFile()) {
    try {
      const fd = openSync(path, 'w');
      try {
        writeAllSync(fd, data);
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      throw new CaptureError('OUTPUT', path, `cannot write output (${errCode(err)})`);
    }
    return;
  }
  // Beside the target, so rename stays within one filesystem; hidden, and named so that a
  // stray one (left by SIGKILL or power loss) says where it came from.
  const tmp = join(dirname(target.path), `.${basename(target.path)}.pantap-${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'wx', 0o666);
    writeAllSync(fd, data);
    if (target.exists) keepOwnerAndMode(fd, target.stats.mode, target.stats.uid, target.stats.gid);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, target.path);
  } catch (err) {
    if (fd !== null) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // Never created, or already gone: nothing to clean.
    }
    throw new CaptureError('OUTPUT', path, `cannot write output (${errCode(err)})`);
  }
  syncFolder(dirname(target.path));
}

/** The replacement looks like the file it replaces: same permissions, same owner when allowed. */
function keepOwnerAndMode(fd: number, mode: number, uid: number, gid: number): void {
  if (uid !== process.geteuid?.() || gid !== process.getegid?.()) {
    try {
      fchownSync(fd, uid, gid);
    } catch {
      // Only root may give a file away: as a user the file becomes ours, as with any editor.
    }
  }
  fchmodSync(fd, mode & 0o7777);
}

/** Makes the rename itself durable; a folder that cannot be opened or synced only loses that. */
function syncFolder(folder: string): void {
  try {
    const fd = openSync(folder, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some filesystems refuse fsync on a directory; the data itself was synced.
  }
}
