// Capture sets: what `analyze`'s arguments name, as the list of capture files to read.
// A directory stands for the capture files in it (not recursive), a glob (a pattern the
// shell did not expand, as when it is quoted) for the files it matches; both are sorted by
// name and sniffed: a file that is not a capture (by its magic bytes, gunzipped when gzip,
// never by its name) is skipped with a note. A file named twice — the same file (device and
// inode), or the same content (size and SHA-256 of its first and last MiB) — is read once,
// with a warning. Plain paths and '-' (stdin) are kept as given: the reader reports their
// problems.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, readdirSync, statSync, type Stats } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { constants as zc, gunzipSync } from 'node:zlib';
import { CaptureError } from '../errors.js';
import { detectFramer } from './detect.js';
import { isGzip } from './source.js';

/** An argument's file that is not read, and why. */
export interface SkippedInput {
  file: string;
  why: string;
}

export interface InputSet {
  /** Files to read, in order (`-` for stdin). */
  paths: string[];
  /** Files of a directory or glob that are not captures, and files named twice. */
  skipped: SkippedInput[];
  /** Arguments that name nothing to read: a glob that matches no file, a directory without captures. */
  failed: CaptureError[];
}

/**
 * Bytes hashed at each end of a file whose size equals another's: two different captures
 * of the very same size that agree on their first and last MiB are taken as one.
 */
export const HASH_EDGE_BYTES = 1 << 20;
/** Bytes read to tell whether a file is a capture (a gzip one is gunzipped from them). */
const SNIFF_BYTES = 64 << 10;

/** Characters without which an argument is no glob: tinyglobby is loaded only when one is there. */
const GLOB_CHARS = /[*?[\]{}()!+@]/;
const tinyglobby = () => import('tinyglobby');

export async function expandInputs(args: readonly string[]): Promise<InputSet> {
  const set: InputSet = { paths: [], skipped: [], failed: [] };
  for (const arg of args) {
    if (arg === '-') {
      set.paths.push(arg);
      continue;
    }
    const st = statOrNull(arg);
    if (st?.isDirectory()) {
      const names = readdirSync(arg).sort(byName);
      const found = sniffAll(
        names.map((n) => join(arg, n)),
        set,
      );
      if (found === 0) set.failed.push(new CaptureError('INPUT', arg, 'directory holds no capture file'));
    } else if (st === null && GLOB_CHARS.test(arg) && (await tinyglobby()).isDynamicPattern(arg)) {
      const { glob } = await tinyglobby();
      const matched = (await glob(arg, { onlyFiles: true, dot: false, expandDirectories: false, absolute: isAbsolute(arg) })).sort(byName);
      if (matched.length === 0) set.failed.push(new CaptureError('INPUT', arg, 'no file matches this pattern'));
      else if (sniffAll(matched, set) === 0) set.failed.push(new CaptureError('INPUT', arg, 'no capture file matches this pattern'));
    } else set.paths.push(arg);
  }
  set.paths = readOnce(set.paths, set.skipped);
  return set;
}

/** Byte order of the names (as `ls` in the C locale): rotated files (cap_00001...) sort by number. */
function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/** Adds the captures among `files` to the set, the rest to its skipped list; returns how many were captures. */
function sniffAll(files: string[], set: InputSet): number {
  let found = 0;
  for (const f of files) {
    const why = notCapture(f);
    if (why === null) {
      set.paths.push(f);
      found++;
    } else set.skipped.push({ file: f, why });
  }
  return found;
}

/** Why `path` is not a capture file to read, or null when it is one. */
export function notCapture(path: string): string | null {
  const st = statOrNull(path);
  if (st === null) return 'cannot be read';
  if (st.isDirectory()) return 'a directory (directories are not read recursively)';
  if (!st.isFile()) return 'not a regular file';
  let head: Uint8Array;
  try {
    head = readHead(path, SNIFF_BYTES);
  } catch (err) {
    return `cannot be read (${(err as { code?: string }).code ?? String(err)})`;
  }
  if (isGzip(head)) {
    try {
      // A partial gzip stream: flush what it holds rather than fail at its missing end.
      head = gunzipSync(head, { finishFlush: zc.Z_SYNC_FLUSH });
    } catch {
      return 'gzip data that does not decompress';
    }
  }
  try {
    detectFramer(path, head.subarray(0, 4));
    return null;
  } catch (err) {
    return err instanceof CaptureError ? err.reason : String(err);
  }
}

function readHead(path: string, n: number): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(n);
    const got = readSync(fd, buf, 0, n, 0);
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/**
 * Keeps the first of each file named more than once: the same file (device and inode, so
 * hard links and `a ./a` too), or a copy (equal size and equal SHA-256 of the first and last
 * HASH_EDGE_BYTES). Only files whose size equals another's are hashed. The others go to
 * `skipped`.
 */
function readOnce(paths: string[], skipped: SkippedInput[]): string[] {
  const stats = paths.map((p) => (p === '-' ? null : statOrNull(p)));
  const bySize = new Map<number, number>();
  for (const st of stats) if (st?.isFile()) bySize.set(st.size, (bySize.get(st.size) ?? 0) + 1);
  const inodes = new Map<string, string>();
  const digests = new Map<string, string>();
  const out: string[] = [];
  paths.forEach((p, i) => {
    const st = stats[i];
    if (st === null) {
      out.push(p);
      return;
    }
    const ino = `${st.dev}:${st.ino}`;
    const same = inodes.get(ino);
    if (same !== undefined) {
      skipped.push({ file: p, why: same === p ? 'named more than once, read once' : `same file as ${same}, read once` });
      return;
    }
    inodes.set(ino, p);
    if (st.isFile() && (bySize.get(st.size) ?? 0) > 1) {
      const digest = edgeDigest(p, st.size);
      if (digest !== null) {
        const copy = digests.get(digest);
        if (copy !== undefined) {
          skipped.push({ file: p, why: `same content as ${copy}, read once` });
          return;
        }
        digests.set(digest, p);
      }
    }
    out.push(p);
  });
  return out;
}

/** size + SHA-256 of the first and last HASH_EDGE_BYTES (the whole file when smaller); null when unreadable. */
function edgeDigest(path: string, size: number): string | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const h = createHash('sha256');
    const buf = Buffer.allocUnsafe(HASH_EDGE_BYTES);
    const ranges: [number, number][] = size <= 2 * HASH_EDGE_BYTES ? [[0, size]] : [[0, HASH_EDGE_BYTES], [size - HASH_EDGE_BYTES, HASH_EDGE_BYTES]];
    for (const [from, len] of ranges) {
      let done = 0;
      while (done < len) {
        const n = readSync(fd, buf, 0, Math.min(buf.length, len - done), from + done);
        if (n === 0) break;
        h.update(buf.subarray(0, n));
        done += n;
      }
    }
    return `${size}:${h.digest('hex')}`;
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}
