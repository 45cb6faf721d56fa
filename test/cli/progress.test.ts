// `pantap analyze`'s progress bar: the figures it shows (bytes of the file, packets, rate,
// time left), and on a real terminal (script gives pantap a pty) the bar for a gzip file,
// measured by compressed bytes: a 29 MB .gz of a pan-lab capture repeated.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { etaWords, progressFigures } from '../../src/cli/progress.js';
import { tempDir } from '../helpers/build.js';
import { REPO } from '../helpers/shared.js';

const BIN = resolve(REPO, 'dist/cli/bin.js');

describe('progressFigures', () => {
  it('says bytes of the file, packets, packets per second and the time left at the rate so far', () => {
    // A quarter of a 118 MB .gz in 4 s: 12 s to go.
    expect(progressFigures({ read: 29.5e6, size: 118e6, packets: 812_345, elapsedMs: 4000, gzip: true })).toEqual({
      bytes: '29.5 MB of 118 MB gzip',
      packets: '812,345 packets',
      rate: '203,086/s',
      left: 'ETA 12 s',
    });
    expect(progressFigures({ read: 1e6, size: 200e6, packets: 10, elapsedMs: 1000, gzip: false })).toMatchObject({ bytes: '1.0 MB of 200 MB', left: 'ETA 3 min 19 s' });
  });

  it('has no time left to tell before the first byte', () => {
    expect(progressFigures({ read: 0, size: 118e6, packets: 0, elapsedMs: 0, gzip: true })).toMatchObject({ rate: '0/s', left: 'ETA …' });
  });

  it('rounds the time left up to whole seconds, minutes past a minute, hours past an hour', () => {
    expect([etaWords(0), etaWords(0.2), etaWords(59.5), etaWords(60), etaWords(3599), etaWords(3600), etaWords(7380)]).toEqual(['0 s', '1 s', '1 min 00 s', '1 min 00 s', '59 min 59 s', '1 h 00 min', '2 h 03 min']);
  });
});

describe('on a terminal', () => {
  const script = spawnSync('script', ['--version'], { encoding: 'utf8' });
  const haveScript = script.status === 0 && /util-linux/.test(script.stdout + script.stderr);
  const skip = !haveScript ? 'script from util-linux not found' : !existsSync(BIN) ? `${BIN} not found: run npm run build first` : null;
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  it.skipIf(skip !== null)(`shows the bar for a gzip file, by compressed bytes${skip ? ` (skipped: ${skip})` : ''}`, () => {
    // a07 repeated to 120 MB of pcap: about 88 MB gzipped (its records are farther apart than
    // gzip's window, so the repetition does not compress away), over the 16 MiB floor, and
    // long enough to read (about a second here) for the bar to show after its 300 ms.
    const a07 = readFileSync(resolve(REPO, 'fixtures/pan-lab/a07_mixed.pcap'));
    const body = a07.subarray(24);
    const times = Math.ceil(120e6 / body.length);
    const gz = gzipSync(Buffer.concat([a07.subarray(0, 24), ...Array.from({ length: times }, () => body)]), { level: 1 });
    expect(gz.length).toBeGreaterThan(16 << 20);
    const file = tmp.file('repeated.pcap.gz', gz);
    const out = join(tmp.dir, 'summary.json');
    // A terminal of 160 columns (script's pty has no size): the line is cut at the width, file name last.
    const run = (extra: string) => spawnSync('script', ['-qec', `stty cols 160; "${process.execPath}" "${BIN}" analyze -F json -o "${out}" ${extra} "${file}"`, '/dev/null'], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
    const r = run('');
    expect(r.status, r.stdout).toBe(0);
    // The bar redraws in place (back to column 1); each state, escapes taken out.
    // eslint-disable-next-line no-control-regex
    const esc = /\x1b(\[[0-9;?]*[a-zA-Z]|[78])/g;
    // eslint-disable-next-line no-control-regex
    const states = r.stdout.split(/\r|\x1b\[1G/).map((x) => x.replace(esc, '')).filter((x) => x.includes('ETA'));
    expect(states.length, JSON.stringify(r.stdout.slice(0, 2000))).toBeGreaterThan(0);
    const mb = (gz.length / 1e6).toFixed(1);
    for (const s of states) expect(s).toMatch(new RegExp(`^ \\[[█░]{10}\\] \\d+% · ETA (\\d+ s|\\d+ min \\d\\d s|…) · [\\d,]+ packets, [\\d,]+/s · [\\d.]+ (B|kB|MB) of ${mb} MB gzip · ${file}$`));
    const packets = (JSON.parse(readFileSync(out, 'utf8')) as { input: { packets: number } }).input.packets;
    expect(packets).toBe(times * 170);
    // --no-progress: no bar at all.
    const quiet = run('--no-progress');
    expect(quiet.status).toBe(0);
    expect(quiet.stdout).not.toContain('ETA');
  });
});
