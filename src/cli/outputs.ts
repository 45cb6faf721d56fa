// Output paths are checked before anything is opened or read: an output that is one of the
// inputs would destroy the capture it is about to summarize, two outputs naming one file
// would clobber each other, and a missing or read-only folder should fail at once rather
// than after an hour of analysis. Nothing here creates, opens or truncates a file.
//
// /dev/stdout, /dev/stderr, /dev/fd/N and /proc/self/fd/N name descriptors pantap inherited
// (`-o /dev/stdout >> log.txt`). They are recognised before anything is resolved and written
// through that descriptor, never reopened (open(2) with O_TRUNC would empty log.txt) nor
// followed to the file behind them (which the summary would replace by rename). For the
// checks they still count as that file: `-o /dev/stdout > in.pcap` is refused.
import { accessSync, constants, fstatSync, lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { CaptureError, UsageError } from '../errors.js';

export interface OutputSpec {
  /** The option as users know it (`-o`, `--flows-ndjson`, `-W`): errors name it. */
  option: string;
  path: string | undefined;
  /** Replaced atomically (the summary): needs a writable folder even when the file exists. */
  replace?: boolean;
}

/** Where an output path leads once symbolic links are followed. */
export type OutputTarget =
  /** `fd`: the path names this inherited descriptor (`stats` are the descriptor's). */
  | { exists: true; path: string; stats: Stats; fd?: number }
  /** `path` is the file a write would create: its folder resolved, dangling links followed. */
  | { exists: false; path: string };

const errCode = (err: unknown): string => (err as { code?: string }).code ?? String(err);

const STD: Record<string, number> = { '/dev/stdin': 0, '/dev/stdout': 1, '/dev/stderr': 2 };

/** The descriptor a path of the /dev/fd family names, or null (`p` is absolute). */
function fdOfPath(p: string): number | null {
  if (STD[p] !== undefined) return STD[p];
  const m = /^\/(?:dev|proc\/(?:self|thread-self|(\d+)))\/fd\/(\d+)$/.exec(p);
  // /proc/PID/fd/N of another process is that process's descriptor: a path like any other.
  if (m === null || (m[1] !== undefined && Number(m[1]) !== process.pid)) return null;
  return Number(m[2]);
}

/**
 * The inherited descriptor `path` names: /dev/stdout (1), /dev/stderr (2), /dev/stdin (0),
 * /dev/fd/N, /proc/self/fd/N, or a symbolic link leading to one of them; null for any other
 * path. Decided from the names alone, before the kernel's links to the file are followed.
 */
export function inheritedFd(path: string): number | null {
  let p = resolve(path);
  for (let hops = 0; hops < 40; hops++) {
    const fd = fdOfPath(p);
    if (fd !== null) return fd;
    let link: string;
    try {
      if (!lstatSync(p).isSymbolicLink()) return null;
      link = readlinkSync(p);
    } catch {
      return null;
    }
    p = resolve(dirname(p), link);
  }
  return null;
}

/** Follows `path` to what writing it would touch, without creating anything. */
export function resolveOutput(path: string, label = path): OutputTarget {
  const fd = inheritedFd(path);
  if (fd !== null) {
    let stats: Stats;
    try {
      stats = fstatSync(fd);
    } catch (err) {
      throw outputError(label, errCode(err) === 'EBADF' ? `descriptor ${fd} is not open` : `cannot use it (${errCode(err)})`);
    }
    const own = fd > 2 ? ownDescriptor(fd) : null;
    if (own !== null) throw outputError(label, `descriptor ${fd} is not one pantap inherited (${own})`);
    return { exists: true, path, stats, fd };
  }
  try {
    const stats = statSync(path);
    // Only regular files are replaced by rename, so only they need their real path; a
    // /proc/self/fd link to a pipe has none.
    return { exists: true, path: stats.isFile() ? realpathSync(path) : path, stats };
  } catch (err) {
    if (errCode(err) !== 'ENOENT') throw outputError(label, `cannot use it (${errCode(err)})`);
  }
  // Missing: either the folder lacks the file, or the path is a dangling symbolic link whose
  // target a write would create.
  let p = resolve(path);
  for (let hops = 0; hops < 40; hops++) {
    let link: string;
    try {
      if (!lstatSync(p).isSymbolicLink()) break;
      link = readlinkSync(p);
    } catch {
      break;
    }
    p = resolve(dirname(p), link);
  }
  let folder: string;
  try {
    folder = realpathSync(dirname(p));
  } catch (err) {
    throw outputError(label, errCode(err) === 'ENOENT' ? `folder ${dirname(p)} does not exist` : `cannot use folder ${dirname(p)} (${errCode(err)})`);
  }
  if (!statSync(folder).isDirectory()) throw outputError(label, `${dirname(p)} is not a folder`);
  return { exists: false, path: join(folder, basename(p)) };
}

/**
 * Refuses outputs that are inputs or each other, and outputs that cannot be written, as the
 * current user (called again after `-Z` drops root). `inputs` are capture paths; `-` stands
 * for stdin, which counts when it is a redirected file.
 */
export function checkOutputs(outputs: readonly OutputSpec[], inputs: readonly string[]): void {
  const given = outputs.filter((o): o is OutputSpec & { path: string } => o.path !== undefined);
  const targets = given.map((o) => {
    const label = `${o.option} ${o.path}`;
    const t = resolveOutput(o.path, label);
    checkWritable(t, label, o.replace === true);
    return { o, label, t, id: t.exists ? fileId(t.stats) : `path:${t.path}`, fd: t.exists ? t.fd : undefined };
  });

  const inputIds = new Map<string, string>();
  for (const f of inputs) {
    try {
      const st = f === '-' ? fstatSync(0) : statSync(f);
      // A pipe or terminal on stdin is not a path anyone could name as an output.
      if (f !== '-' || st.isFile()) inputIds.set(fileId(st), f === '-' ? 'stdin' : f);
    } catch {
      // A missing input is reported by the reader, with the other inputs still summarized.
    }
  }
  for (const { o, label, id } of targets) {
    const input = inputIds.get(id);
    if (input !== undefined) throw new UsageError(`${label}: is one of the inputs (${input === o.path ? '' : `${input}; `}would overwrite the capture)`);
  }

  // Devices and pipes (/dev/null, /dev/stdout on a pipe) may take several outputs: nothing is
  // clobbered. So may one inherited descriptor: its writes follow each other at one offset.
  // A file that is also reached by another path (truncated or replaced there) or through
  // another descriptor (its own offset, overwriting) may not.
  const files = targets.filter(({ t }) => !t.exists || t.stats.isFile());
  for (let i = 0; i < files.length; i++) {
    for (let j = 0; j < i; j++) {
      if (files[i].fd !== undefined && files[i].fd === files[j].fd) continue;
      if (files[i].id === files[j].id) throw new UsageError(`${files[i].label}: is the same file as ${files[j].label}`);
    }
  }
}

function fileId(st: Stats): string {
  return `${st.dev}:${st.ino}`;
}

function checkWritable(t: OutputTarget, label: string, replace: boolean): void {
  if (t.exists && t.stats.isDirectory()) throw outputError(label, 'is a folder');
  // An inherited descriptor is written as it was opened: its mode, not the file's permissions
  // (which -Z may have taken away), decides. Without /proc it shows at the first write.
  if (t.exists && t.fd !== undefined) {
    if (openedReadOnly(t.fd)) throw outputError(label, `descriptor ${t.fd} is open for reading only`);
    return;
  }
  // access() answers for the real user: root, or the -Z user once privileges are dropped.
  if (t.exists) tryAccess(t.path, label, 'is not writable');
  if (!t.exists || (replace && t.stats.isFile())) tryAccess(dirname(t.path), label, `folder ${dirname(t.path)} is not writable`, constants.W_OK | constants.X_OK);
}

/**
 * Why descriptor `fd` (3 or more) is pantap's own rather than one the shell handed over, or
 * null. Node opens its event loop's descriptors (epoll, eventfd, io_uring: anonymous inodes;
 * signal and wake-up pipes, both ends held) at the lowest free numbers at start-up, so
 * /dev/fd/7 may well be one of them, and writing into it would break the process. Every
 * descriptor Node opens is close-on-exec, inherited ones included, so that flag cannot tell.
 */
function ownDescriptor(fd: number): string | null {
  let link: string;
  try {
    link = readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return 'without /proc this cannot be checked';
  }
  if (link.startsWith('anon_inode:')) return link;
  if (link.startsWith('pipe:')) {
    for (const other of readdirSync('/proc/self/fd')) {
      if (Number(other) === fd) continue;
      try {
        if (readlinkSync(`/proc/self/fd/${other}`) === link && openedReadOnly(Number(other))) return `a pipe pantap reads itself, ${link}`;
      } catch {
        // Closed meanwhile (readdir's own descriptor among them).
      }
    }
  }
  return null;
}

/** Whether /proc says the descriptor was opened O_RDONLY. */
function openedReadOnly(fd: number): boolean {
  try {
    const flags = /^flags:\s*([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
    return flags !== undefined && (parseInt(flags, 8) & 3) === constants.O_RDONLY;
  } catch {
    return false;
  }
}

function tryAccess(path: string, label: string, what: string, mode = constants.W_OK): void {
  try {
    accessSync(path, mode);
  } catch (err) {
    throw outputError(label, `${what} (${errCode(err)})`);
  }
}

function outputError(label: string, message: string): CaptureError {
  return new CaptureError('OUTPUT', label, `cannot write: ${message}`);
}
