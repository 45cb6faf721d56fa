// `pantap live -Z USER`, as tcpdump's -Z: root is needed only to open the capture
// interface; right after, the process becomes USER (supplementary groups, primary group,
// then user: in that order, because once the uid is not 0 the groups can no longer be
// changed), so that parsing untrusted packets and writing output files happen without root.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { LiveError, UsageError } from '../errors.js';

export interface RunAsUser {
  name: string;
  uid: number;
  gid: number;
}

/** Parses one passwd(5) line: name:password:uid:gid:gecos:home:shell. */
export function parsePasswdLine(line: string): RunAsUser | null {
  const f = line.trim().split(':');
  if (f.length < 7) return null;
  const uid = Number(f[2]);
  const gid = Number(f[3]);
  if (f[2] === '' || f[3] === '' || !Number.isInteger(uid) || !Number.isInteger(gid) || uid < 0 || gid < 0) return null;
  return { name: f[0], uid, gid };
}

/**
 * Looks USER up the way the C library would (getent: /etc/passwd, LDAP, sssd…), falling
 * back to /etc/passwd where getent is missing. A numeric USER is a uid, as getent takes it.
 */
export function lookupUser(user: string): RunAsUser | null {
  const r = spawnSync('getent', ['passwd', '--', user], { encoding: 'utf8', timeout: 15_000 });
  if (r.error === undefined) {
    if (r.status === 2) return null; // getent: key not found
    if (r.status !== 0) throw new UsageError(`-Z ${user}: cannot look the user up (getent exited with ${r.status ?? r.signal}: ${r.stderr.trim()})`);
    return parsePasswdLine(r.stdout.split('\n')[0]);
  }
  let passwd: string;
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
  } catch (err) {
    throw new UsageError(`-Z ${user}: cannot look the user up (no getent: ${r.error.message}; /etc/passwd: ${(err as Error).message})`);
  }
  for (const line of passwd.split('\n')) {
    const u = parsePasswdLine(line);
    if (u !== null && (u.name === user || String(u.uid) === user)) return u;
  }
  return null;
}

/**
 * Checks `-Z USER` before anything is opened: only root can become another user, and an
 * unknown user should fail before the interface is touched.
 */
export function relinquishTarget(user: string): RunAsUser {
  const euid = process.geteuid?.();
  if (euid === undefined) throw new UsageError(`-Z ${user}: dropping privileges is not supported on this platform`);
  if (euid !== 0) throw new UsageError(`-Z ${user}: needs root (pantap runs as uid ${euid}; -Z drops root after opening the interface)`);
  const u = lookupUser(user);
  if (u === null) throw new UsageError(`-Z ${user}: no such user`);
  return u;
}

/** process.initgroups exists on POSIX (Node docs) but is missing from @types/node. */
type WithInitgroups = NodeJS.Process & { initgroups?: (user: string | number, extraGroup: string | number) => void };

/** Becomes `u` for good: supplementary groups, primary group, user; then verifies it took. */
export function dropPrivileges(u: RunAsUser): void {
  const { setgid, setuid } = process;
  const { initgroups } = process as WithInitgroups;
  if (!initgroups || !setgid || !setuid) throw new LiveError(`-Z ${u.name}: dropping privileges is not supported on this platform`);
  const step = (what: string, fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      throw new LiveError(`-Z ${u.name}: cannot drop privileges (${what}: ${(err as Error).message})`);
    }
  };
  step('initgroups', () => initgroups(u.name, u.gid));
  step('setgid', () => setgid(u.gid));
  step('setuid', () => setuid(u.uid));
  const ids = { uid: process.getuid?.(), euid: process.geteuid?.(), gid: process.getgid?.(), egid: process.getegid?.() };
  if (ids.uid !== u.uid || ids.euid !== u.uid || ids.gid !== u.gid || ids.egid !== u.gid) {
    throw new LiveError(`-Z ${u.name}: cannot drop privileges (now uid ${ids.uid}/${ids.euid}, gid ${ids.gid}/${ids.egid})`);
  }
  if (u.uid === 0) return; // -Z root: nothing to give up
  // setuid() as root also sets the saved uid; if root can still be regained, it did not.
  let regained = true;
  try {
    setuid(0);
  } catch {
    regained = false;
  }
  if (regained) throw new LiveError(`-Z ${u.name}: cannot drop privileges (root could be regained)`);
}
