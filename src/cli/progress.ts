// `pantap analyze`'s progress bar, on stderr when it is a terminal: per input file, how much
// of the file is read, packets so far, their rate and the time left. A gzip file is measured
// by the compressed bytes consumed (its decompressed size is not known before the end), so a
// .gz gets a bar too. Files under 16 MiB, stdin and FIFOs (no size) get none, and the bar only
// shows up once reading has taken 300 ms. Drawn by cli-progress.
import { count, humanBytes } from '../report/format.js';

/** Below this size a file is read too fast for a bar to help. */
export const MIN_BAR_BYTES = 16 << 20;
/** Reading time after which the bar shows up. */
export const BAR_DELAY_MS = 300;

export interface ProgressFigures {
  /** `48.2 MB of 118 MB` (with `gzip` said when the bytes are compressed ones). */
  bytes: string;
  packets: string;
  /** Packets per second since the file's first byte: `185,036/s`. */
  rate: string;
  /** Time left at the rate so far, by bytes: `ETA 12 s`, `ETA 3 min 05 s`; `ETA …` before it can be told. */
  left: string;
}

/** `12 s`, `3 min 05 s`, `1 h 02 min`: the time left, in whole seconds. */
export function etaWords(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** What the bar says after `elapsedMs` of reading one file: `read` of `size` bytes, `packets` framed. */
export function progressFigures(p: { read: number; size: number; packets: number; elapsedMs: number; gzip: boolean }): ProgressFigures {
  const sec = p.elapsedMs / 1000;
  const rate = sec > 0 ? p.packets / sec : 0;
  const left = p.read > 0 && sec > 0 ? (sec * (p.size - p.read)) / p.read : null;
  return {
    bytes: `${humanBytes(p.read)} of ${humanBytes(p.size)}${p.gzip ? ' gzip' : ''}`,
    packets: `${count(p.packets)} packets`,
    rate: `${count(Math.round(rate))}/s`,
    left: left === null ? 'ETA …' : `ETA ${etaWords(left)}`,
  };
}

export interface ProgressBar {
  update(fileIndex: number, read: number, size: number | null, packets: number, gzip: boolean): void;
  stop(): void;
}

/** The bar on `stderr` (a TTY), one file after the other. */
export async function progressBar(stderr: NodeJS.WriteStream, files: string[]): Promise<ProgressBar> {
  const { default: cliProgress } = await import('cli-progress');
  const bar = new cliProgress.SingleBar(
    // What matters most first: a terminal narrower than the line cuts the file name, not the ETA.
    { stream: stderr, format: ' [{bar}] {percentage}% · {left} · {packets}, {rate} · {bytes} · {file}', barsize: 10, hideCursor: true, clearOnComplete: true, fps: 5 },
    cliProgress.Presets.shades_classic,
  );
  let created = Date.now();
  let active = false;
  let current = -1;
  let fileStart = created;
  return {
    update(i, read, size, packets, gzip) {
      const now = Date.now();
      if (i !== current) {
        if (active) bar.stop();
        active = false;
        current = i;
        fileStart = now;
        if (i > 0) created = now;
      }
      if (size === null || size < MIN_BAR_BYTES) return; // small or streamed inputs: nothing to show
      if (!active && now - created < BAR_DELAY_MS) return;
      const payload = { file: files[i], ...progressFigures({ read, size, packets, elapsedMs: now - fileStart, gzip }) };
      if (!active) {
        bar.start(size, read, payload);
        active = true;
      } else bar.update(read, payload);
    },
    stop() {
      if (active) bar.stop();
      active = false;
    },
  };
}
