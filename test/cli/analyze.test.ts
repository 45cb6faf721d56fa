// The CLI end to end (the built dist/cli/bin.js): golden outputs for the demo capture, the
// JSON contract, exit codes, one-line errors, Ctrl-C.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/shared.js';
import { stdinQueued } from '../helpers/proc.js';

const BIN = resolve(REPO, 'dist/cli/bin.js');
const LAB = resolve(REPO, 'fixtures/pan-lab');
const pantap = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: REPO, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

describe('pantap analyze (CLI)', () => {
  it('JSON for the demo capture equals the golden file and validates against the contract schema', () => {
    const r = pantap('analyze', 'fixtures/pan-lab/a07_mixed.pcap', '-F', 'json', '--flows');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(readFileSync(resolve(REPO, 'fixtures/golden/a07_mixed.flows.json'), 'utf8'));
    const { Ajv } = createRequire(import.meta.url)('ajv') as typeof import('ajv');
    const validate = new Ajv({ allowUnionTypes: true }).compile(JSON.parse(readFileSync(resolve(REPO, 'src/report/summary.schema.json'), 'utf8')));
    expect(validate(JSON.parse(r.stdout)), JSON.stringify(validate.errors)).toBe(true);
  });

  it('the text report of the demo capture equals the golden file (no colors on a pipe)', () => {
    const r = pantap('analyze', 'fixtures/pan-lab/a07_mixed.pcap');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(readFileSync(resolve(REPO, 'fixtures/golden/a07_mixed.txt'), 'utf8'));
    expect(r.stdout.includes('\u001b[')).toBe(false);
  });

  it('exit 1 when --fail-on holds, 0 when it does not', () => {
    expect(pantap('analyze', `${LAB}/a06_failures.pcap`, '--fail-on', 'failed', '-F', 'json').status).toBe(1);
    expect(pantap('analyze', `${LAB}/a05_unexpected.pcap`, '--fail-on', 'unexpected', '-F', 'json').status).toBe(1);
    expect(pantap('analyze', `${LAB}/a03_panorama.pcap`, '--fail-on', 'failed,unexpected', '-F', 'json').status).toBe(0);
  });

  it('--fail-on degraded: exit 1 on warnings alone (v11: 4 flows with warnings, none failed), and on failures', () => {
    const syslog = resolve(REPO, 'fixtures/verdicts/v11_syslog.pcap');
    const s = JSON.parse(pantap('analyze', syslog, '-F', 'json').stdout);
    expect(s.sections.reduce((n: number, x: { failed: number }) => n + x.failed, 0)).toBe(0);
    expect(s.sections.reduce((n: number, x: { degraded: number }) => n + x.degraded, 0)).toBe(4);
    expect(pantap('analyze', syslog, '--fail-on', 'failed', '-F', 'json').status).toBe(0);
    expect(pantap('analyze', syslog, '--fail-on', 'degraded', '-F', 'json').status).toBe(1);
    expect(pantap('analyze', `${LAB}/a06_failures.pcap`, '--fail-on', 'degraded', '-F', 'json').status).toBe(1);
    expect(pantap('analyze', `${LAB}/a03_panorama.pcap`, '--fail-on', 'degraded', '-F', 'json').status).toBe(0);
    const bad = pantap('analyze', `${LAB}/a03_panorama.pcap`, '--fail-on', 'slow');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe("pantap: --fail-on takes unexpected, failed or degraded (got 'slow') (see 'pantap analyze --help')\n");
  });

  it('--interval sets the timeline width from the ladder; other widths are refused', () => {
    const ha = resolve(REPO, 'fixtures/ha-outage/h01_ha_outage.pcap');
    const width = (...a: string[]) => JSON.parse(pantap('analyze', ha, '-F', 'json', ...a).stdout).timeline.intervalSeconds;
    expect(width()).toBe(1); // 20 s of capture: 21 one-second intervals
    expect([width('--interval', '10s'), width('--interval', '1m'), width('--interval', '10m'), width('--interval', '1h')]).toEqual([10, 60, 600, 3600]);
    const bad = pantap('analyze', ha, '--interval', '5s');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^pantap: .*--interval.*5s.*\n$/);
  });

  it('--all-entries lists never-seen entries as rows in text and Markdown; JSON has every entry either way', () => {
    const a07 = `${LAB}/a07_mixed.pcap`;
    const text = pantap('analyze', a07).stdout;
    const all = pantap('analyze', a07, '--all-entries').stdout;
    expect(text).not.toMatch(/123\/udp NTP/);
    expect(text).toMatch(/^ {2}\+ 11 entries not seen \(--all-entries lists them\)$/m);
    expect(all).toMatch(/^ {2}123\/udp NTP +0 +0 +0 B +0 +not seen$/m);
    expect(all).not.toMatch(/not seen \(--all-entries/);
    expect(all.split('\n').filter((l) => / not seen$/.test(l))).toHaveLength(37 + 1); // and the header's Entries line
    const md = pantap('analyze', a07, '-F', 'markdown').stdout;
    const mdAll = pantap('analyze', a07, '-F', 'markdown', '--all-entries').stdout;
    expect(md).toMatch(/^Not seen: 11 more entries \(`--all-entries` lists them\)$/m);
    expect(md).not.toMatch(/\| 123\/udp NTP \|/);
    expect(mdAll).toMatch(/^\| 123\/udp NTP \| 0 \| 0 \| 0 B \| 0 \| not seen \| {2}\|$/m);
    const json = pantap('analyze', a07, '-F', 'json').stdout;
    expect(pantap('analyze', a07, '-F', 'json', '--all-entries').stdout).toBe(json);
    expect(JSON.parse(json).entries).toHaveLength(46);
  });

  it('exit 2 with one line naming the file for a non-capture; usage errors exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pantap-cli-'));
    writeFileSync(join(dir, 'notes.txt'), '<!DOCTYPE html>\n');
    const r = pantap('analyze', join(dir, 'notes.txt'));
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`pantap: ${join(dir, 'notes.txt')}: not a pcap or pcapng file (starts with 3c 21 44 4f)\n`);
    expect(pantap('analyze', `${LAB}/a01_management.pcap`, '--format', 'xml').status).toBe(2);
    expect(pantap('analyze', `${LAB}/a01_management.pcap`, '--workers', 'x').status).toBe(2);
    const missing = pantap('analyze', join(dir, 'nope.pcap'));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/nope\.pcap: cannot open \(no such file\)/);
  });

  it('a truncated capture keeps its complete records, warns with the offset, exits 0', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pantap-cli-'));
    writeFileSync(join(dir, 'cut.pcap'), readFileSync(`${LAB}/a06_failures.pcap`).subarray(0, 2000));
    const r = pantap('analyze', join(dir, 'cut.pcap'), '-F', 'json');
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/cut\.pcap: ends inside a record at byte offset 1920; the 26 complete records before it were kept/);
    const s = JSON.parse(r.stdout);
    expect(s.input.packets).toBe(26);
    expect(s.input.truncated).toBe(true);
  });

  it('reads stdin (plain and gzip) like a file', () => {
    const plain = pantap('analyze', `${LAB}/a02_ha.pcap`, '-F', 'json');
    const viaStdin = spawnSync(process.execPath, [BIN, 'analyze', '-', '-F', 'json'], { cwd: REPO, input: readFileSync(`${LAB}/a02_ha.pcap`), encoding: 'utf8' });
    expect(JSON.parse(viaStdin.stdout).entries).toEqual(JSON.parse(plain.stdout).entries);
  });

  it('writes protobuf with -o and NDJSON flows with --flows-ndjson', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pantap-cli-'));
    const r = pantap('analyze', `${LAB}/a04_userid.pcap`, '-F', 'protobuf', '-o', join(dir, 's.pb'), '--flows-ndjson', join(dir, 'f.ndjson'));
    expect(r.status).toBe(0);
    expect(readFileSync(join(dir, 's.pb')).length).toBeGreaterThan(1000);
    const lines = readFileSync(join(dir, 'f.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThanOrEqual(17);
    expect(lines.every((f) => typeof f.transport === 'string' && 'section' in f)).toBe(true);
  });

  it('Ctrl-C during a long inline run prints the partial summary and exits 130', async () => {
    // A long input: the same capture many times over stdin keeps reading going.
    const child = spawn(process.execPath, [BIN, 'analyze', '-', '-F', 'json', '-w', '0'], { cwd: REPO });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const body = readFileSync(`${LAB}/a03_panorama.pcap`);
    child.stdin.on('error', () => undefined);
    child.stdin.write(body); // header and records
    let written = body.length;
    const records = body.subarray(24);
    const pump = setInterval(() => {
      child.stdin.write(records);
      written += records.length;
    }, 5);
    // Interrupted once pantap reads (a SIGINT before its main() runs is Node's own: exit code
    // null; start-up took 1.1-1.2 s at load 7). stdin is a socketpair, not a 64 KiB pipe: the
    // kernel takes ≈ 200 KiB before anything is read, so the bytes it took say nothing alone;
    // those it took less those still queued (ss's Recv-Q) are what pantap read. Without ss,
    // more than the socket's default buffer (net.core.wmem_default, 208 KiB here) taken.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const taken = written - child.stdin.writableLength;
      const queued = stdinQueued(child.pid!);
      if (queued === null ? taken > 4 * 65536 : taken - queued > 0) break;
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`pantap read nothing of ${taken} bytes (exit ${child.exitCode})`);
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    clearInterval(pump);
    expect(code).toBe(130);
    const s = JSON.parse(out);
    expect(s.input.packets).toBeGreaterThan(393);
    expect(s.input.truncated).toBe(true);
  });
});
