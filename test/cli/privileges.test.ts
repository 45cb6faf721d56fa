// `pantap live -Z USER`: the user is looked up and root required before anything is opened;
// after the interface is open the process becomes USER (groups, gid, uid) for good, and
// writes its outputs as USER. Privilege changes are irreversible, so every drop happens in a
// child process (the built dist/), never in the test process itself.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lookupUser, parsePasswdLine } from '../../src/cli/privileges.js';
import type { Summary } from '../../src/report/model.js';
import { IP_B, clientScript, createPair, netnsUnavailable, type NetnsPair, type Proc, startEchoServers } from '../helpers/netns.js';
import { REPO } from '../helpers/shared.js';

const BIN = resolve(REPO, 'dist/cli/bin.js');
const MOD = resolve(REPO, 'dist/cli/privileges.js');
const NODE = process.execPath;
const isRoot = process.getuid?.() === 0;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A throwaway system user with its own group and one supplementary group (root only). */
interface TestUser {
  name: string;
  uid: number;
  gid: number;
  extraGid: number;
}

function createUser(): TestUser | string {
  const name = `pantap-z${process.pid}`;
  const extra = `pantap-g${process.pid}`;
  removeUser(name, extra);
  const run = (cmd: string, args: string[]): string | null => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    return r.error ? r.error.message : r.status !== 0 ? r.stderr.trim() : null;
  };
  const failed = run('groupadd', ['--system', extra]) ?? run('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', '--user-group', '--groups', extra, name]);
  if (failed !== null) {
    removeUser(name, extra);
    return `cannot create a test user: ${failed}`;
  }
  const u = lookupUser(name);
  const g = spawnSync('getent', ['group', extra], { encoding: 'utf8' }).stdout.split(':')[2];
  if (u === null || g === undefined) return 'the test user was created but cannot be looked up';
  return { name, uid: u.uid, gid: u.gid, extraGid: Number(g) };
}

function removeUser(name: string, extra: string): void {
  spawnSync('userdel', [name]);
  spawnSync('groupdel', [name]);
  spawnSync('groupdel', [extra]);
}

const user: TestUser | string = isRoot ? createUser() : 'not root (creating a user and dropping privileges need root)';
const userSkip = typeof user === 'string' ? user : null;
if (userSkip !== null) console.warn(`[test/cli/privileges] -Z drop tests SKIPPED: ${userSkip}`);
afterAll(() => {
  if (typeof user !== 'string') removeUser(user.name, `pantap-g${process.pid}`);
});
const testUser = (): TestUser => user as TestUser;

const dir = mkdtempSync(join(tmpdir(), 'pantap-privileges-'));
chmodSync(dir, 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pantap = (args: string[], o: { uid?: number; gid?: number } = {}) =>
  spawnSync(NODE, [BIN, ...args], { cwd: REPO, encoding: 'utf8', uid: o.uid, gid: o.gid, timeout: 30_000 });

describe('user lookup (unit)', () => {
  it('parses passwd lines, and refuses malformed ones', () => {
    expect(parsePasswdLine('pcap:x:998:997:capture user:/nonexistent:/usr/sbin/nologin\n')).toEqual({ name: 'pcap', uid: 998, gid: 997 });
    expect(parsePasswdLine('broken:x:998')).toBeNull();
    expect(parsePasswdLine('bad:x:abc:1:::')).toBeNull();
    expect(parsePasswdLine('bad:x::1:::')).toBeNull();
    expect(parsePasswdLine('bad:x:-1:1:::')).toBeNull();
  });

  it('finds root by name and by uid, and nothing for an unknown name', () => {
    expect(lookupUser('root')).toEqual({ name: 'root', uid: 0, gid: 0 });
    expect(lookupUser('0')).toEqual({ name: 'root', uid: 0, gid: 0 });
    expect(lookupUser('pantap-no-such-user')).toBeNull();
    expect(lookupUser('--help')).toBeNull(); // never taken as an option of getent
  });
});

describe('-Z refused before anything is opened (CLI)', () => {
  it('without root: exit 2, one line saying -Z needs root', (ctx) => {
    const nobody = lookupUser('nobody');
    if (isRoot && nobody === null) ctx.skip('running as root and there is no user nobody to run the CLI as');
    const as = isRoot ? { uid: nobody!.uid, gid: nobody!.gid } : {};
    const uid = isRoot ? nobody!.uid : process.getuid!();
    const r = pantap(['live', '-i', 'pt-nosuch0', '-Z', 'nobody', '--duration', '1'], as);
    expect(r.stderr).toBe(`pantap: -Z nobody: needs root (pantap runs as uid ${uid}; -Z drops root after opening the interface)\n`);
    expect(r.status).toBe(2);
  });

  it.skipIf(!isRoot)('an unknown user: exit 2, one line, before the interface is looked at', () => {
    const r = pantap(['live', '-i', 'pt-nosuch0', '-Z', 'pantap-no-such-user', '--duration', '1']);
    expect(r.stderr).toBe('pantap: -Z pantap-no-such-user: no such user\n');
    expect(r.status).toBe(2);
  });
});

describe.skipIf(userSkip !== null)('dropPrivileges (in a child process, as root)', () => {
  /** Runs `body` in a child after importing the built module; returns what it printed. */
  function child(body: string): { status: number | null; stdout: string; stderr: string } {
    const script = `import * as p from ${JSON.stringify(MOD)};\n${body}`;
    return spawnSync(NODE, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  }

  it('sets groups, gid and uid; root cannot be regained; root-only files are out of reach', () => {
    expect(existsSync(MOD), `${MOD} missing: run npm run build`).toBe(true);
    const u = testUser();
    const secret = join(dir, 'root-only');
    writeFileSync(secret, 'secret', { mode: 0o600 });
    const r = child(`
p.dropPrivileges(p.relinquishTarget(${JSON.stringify(u.name)}));
let read = 'ok';
try { (await import('node:fs')).readFileSync(${JSON.stringify(secret)}); } catch (e) { read = e.code; }
let regained = true;
try { process.setuid(0); } catch { regained = false; }
console.log(JSON.stringify({ uid: process.getuid(), euid: process.geteuid(), gid: process.getgid(), egid: process.getegid(), groups: process.getgroups().sort((a, b) => a - b), read, regained }));`);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      uid: u.uid,
      euid: u.uid,
      gid: u.gid,
      egid: u.gid,
      // root's own supplementary groups (0) are gone: initgroups replaced them
      groups: [u.gid, u.extraGid].sort((a, b) => a - b),
      read: 'EACCES',
      regained: false,
    });
  });

  it('a failed drop is one LiveError line (here: a gid the kernel refuses)', () => {
    const r = child(`
try { p.dropPrivileges({ name: 'ghost', uid: 4294967295, gid: 4294967295 }); console.log('dropped'); }
catch (e) { console.log(e.name + ': ' + e.message); }`);
    expect(r.stdout.trim()).toMatch(/^LiveError: -Z ghost: cannot drop privileges \((initgroups|setgid): [^\n]+\)$/);
  });
});

const netSkip = userSkip ?? netnsUnavailable() ?? (existsSync(BIN) ? null : `${BIN} not found: run npm run build first`);
if (netSkip !== null && userSkip === null) console.warn(`[test/cli/privileges] -Z live capture tests SKIPPED: ${netSkip}`);

describe.skipIf(netSkip !== null)('pantap live -Z USER (veth pair between two namespaces)', () => {
  let net: NetnsPair;
  let server: Proc;
  let out: string;

  beforeAll(async () => {
    const u = testUser();
    out = join(dir, 'out');
    mkdirSync(out);
    chownSync(out, u.uid, u.gid);
    net = createPair();
    server = await startEchoServers(net, [3978], [29281], 60_000);
  });

  afterAll(() => {
    server?.child.stdin?.end();
    net?.destroy();
  });

  /** Uid and Gid lines of /proc/PID/status: real, effective, saved, filesystem. */
  const ids = (pid: number) => {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (k: string) => (new RegExp(`^${k}:\\s*(.*)$`, 'm').exec(s)?.[1] ?? '').trim().split(/\s+/).map(Number);
    return { uid: field('Uid'), gid: field('Gid'), groups: field('Groups').filter((g) => !Number.isNaN(g)) };
  };

  it('captures as root, then runs and writes -W, --flows-ndjson and -o as the user', async () => {
    const u = testUser();
    const [pcap, ndjson, summary] = ['c.pcapng', 'f.ndjson', 's.json'].map((f) => join(out, f));
    const p = net.spawn(net.a, NODE, [BIN, 'live', '-i', net.ifA, '-Z', u.name, '-F', 'json', '--duration', '4', '-W', pcap, '--flows-ndjson', ndjson, '-o', summary]);
    p.child.stdin!.end();
    const killer = setTimeout(() => p.child.kill('SIGKILL'), 30_000);
    try {
      await net.waitForCapture(net.a, 10_000);
      // The drop follows the open at once; allow the process a moment to get there.
      let now = ids(p.child.pid!);
      for (let i = 0; i < 40 && now.uid[0] !== u.uid; i++) {
        await sleep(25);
        now = ids(p.child.pid!);
      }
      expect(now.uid).toEqual([u.uid, u.uid, u.uid, u.uid]);
      expect(now.gid).toEqual([u.gid, u.gid, u.gid, u.gid]);
      expect(now.groups.sort((a, b) => a - b)).toEqual([u.gid, u.extraGid].sort((a, b) => a - b));
      const traffic = await net.run(net.a, NODE, ['-e', clientScript(IP_B, { tcp: [3978], refused: [], udp: 29281, datagrams: 2 })], 15_000);
      expect(traffic.code, `traffic: ${traffic.stdout}${traffic.stderr}`).toBe(0);
      const r = await p.exited;
      expect(r, `pantap live: ${p.stderr()}`).toEqual({ code: 0, signal: null });
    } finally {
      clearTimeout(killer);
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    }
    for (const f of [pcap, ndjson, summary]) expect(statSync(f), f).toMatchObject({ uid: u.uid, gid: u.gid });
    const s = JSON.parse(readFileSync(summary, 'utf8')) as Summary;
    expect(s.entries.find((e) => e.id === 'panorama.device-mgmt.3978')?.flows).toBeGreaterThanOrEqual(1);
    const an = pantap(['analyze', pcap, '-F', 'json']);
    expect(an.status, an.stderr).toBe(0);
    expect((JSON.parse(an.stdout) as Summary).input.packets).toBe(s.input.packets);
    // Every flow, expired or still active at the end, is one line.
    const lines = readFileSync(ndjson, 'utf8').trim().split('\n');
    expect(lines.length).toBe(s.input.flowTable.flows);
    for (const l of lines) expect(JSON.parse(l)).toHaveProperty('transport');
  });

  it('an output only root could write is refused right after the drop, before capturing', async () => {
    const u = testUser();
    const rootOnly = join(dir, 'root-only-dir');
    mkdirSync(rootOnly, { mode: 0o755 });
    const r = await net.run(net.a, NODE, [BIN, 'live', '-i', net.ifA, '-Z', u.name, '-F', 'json', '--duration', '5', '-o', join(rootOnly, 's.json')], 15_000);
    expect(r.stderr).toBe(`pantap: -o ${join(rootOnly, 's.json')}: cannot write: folder ${rootOnly} is not writable (EACCES)\n`);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
  });
});
