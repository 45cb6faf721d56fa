// Output paths are checked before anything is opened or read: an output that is one of the
// inputs would destroy the capture it is about to summarize, two outputs naming one file
// would clobber each other, and a missing or read-only folder should fail at once rather
// than after an hour of analysis. Nothing here creates, opens or truncates a file.
import { accessSync, constants, fstatSync, lstatSync, readlinkSync, realpathSync, statSync, type Stats } from 'node:fs';
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
  | { exists: true; path: string; stats: Stats }
  /** `path` is the file a write would create: its folder resolved, dangling links followed. */
  | { exists: false; path: string };

const errCode = (err: unknown): string => (err as { code?: string }).code ?? String(err);

/** Follows `path` to what writing it would touch, without creating anything. */
export function resolveOutput(path: string, label = path): OutputTarget {
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
    return { o, label, t, id: t.exists ? fileId(t.stats) : `path:${t.path}` };
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

  // Devices and pipes (/dev/null, /dev/stdout) may take several outputs: nothing is clobbered.
  const files = targets.filter(({ t }) => !t.exists || t.stats.isFile());
  for (let i = 0; i < files.length; i++) {
    for (let j = 0; j < i; j++) {
      if (files[i].id === files[j].id) throw new UsageError(`${files[i].label}: is the same file as ${files[j].label}`);
    }
  }
}

function fileId(st: Stats): string {
  return `${st.dev}:${st.ino}`;
}

function checkWritable(t: OutputTarget, label: string, replace: boolean): void {
  if (t.exists && t.stats.isDirectory()) throw outputError(label, 'is a folder');
  // access() answers for the real user: root, or the -Z user once privileges are dropped.
  if (t.exists) tryAccess(t.path, label, 'is not writable');
  if (!t.exists || (replace && t.stats.isFile())) tryAccess(dirname(t.path), label, `folder ${dirname(t.path)} is not writable`, constants.W_OK | constants.X_OK);
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
