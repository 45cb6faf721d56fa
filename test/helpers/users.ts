// Looks up an existing account (`id`), for tests that run the CLI as another user.
import { spawnSync } from 'node:child_process';

/** uid and primary gid of `name`, or null when there is no such user (or no `id`). */
export function accountOf(name: string): { uid: number; gid: number } | null {
  const id = (flag: string): number | null => {
    const r = spawnSync('id', [flag, name], { encoding: 'utf8' });
    return r.status === 0 ? Number(r.stdout.trim()) : null;
  };
  const uid = id('-u');
  const gid = id('-g');
  return uid === null || gid === null ? null : { uid, gid };
}
