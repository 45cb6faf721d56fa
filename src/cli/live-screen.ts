// The terminal side of `pantap live`'s view: drawn on the terminal's alternate screen, as
// top and less do, so the view redraws in place and never floods the scrollback (clearing
// the whole main screen each second pushes a copy into tmux's history every time), and the
// terminal comes back as it was when the capture ends — after a Ctrl-C, an error, or an exit
// that skips the normal path. Each frame starts at the top-left corner, clears the rest of
// every line it writes and everything below the last one. The escape sequences come from
// ansi-escapes.
import { writeSync } from 'node:fs';
import { cursorHide, cursorShow, cursorTo, enterAlternativeScreen, eraseDown, eraseEndLine, exitAlternativeScreen } from 'ansi-escapes';

/** What a frame is written to: a TTY stream (its size is read at each frame). */
export interface ScreenStream {
  write(s: string): boolean;
  readonly rows?: number;
  readonly columns?: number;
  readonly fd?: number;
  on?(event: 'resize', listener: () => void): unknown;
  off?(event: 'resize', listener: () => void): unknown;
}

/** The sequences a frame is made of, for tests that check them. */
export const SCREEN = {
  open: enterAlternativeScreen + cursorHide,
  close: cursorShow + exitAlternativeScreen,
  home: cursorTo(0, 0),
  endOfLine: eraseEndLine,
  belowLast: eraseDown,
} as const;

/** A frame: home, each line with the rest of its row cleared, then everything below cleared. */
export function frame(lines: readonly string[]): string {
  return `${SCREEN.home}${lines.map((l) => `${l}${SCREEN.endOfLine}`).join('\n')}${SCREEN.belowLast}`;
}

export class AltScreen {
  private opened = false;
  /** Set by a resize: the next tick redraws at once. */
  resized = false;
  private readonly onResize = (): void => {
    this.resized = true;
  };
  /** A process that exits by another path still gets its terminal back (synchronously). */
  private readonly onExit = (): void => {
    if (!this.opened) return;
    this.opened = false;
    try {
      if (this.out.fd !== undefined) writeSync(this.out.fd, SCREEN.close);
    } catch {
      // Nothing more can be done for a terminal that went away.
    }
  };

  constructor(private readonly out: ScreenStream) {}

  /** Rows and columns now (80×24 when the stream does not say). */
  get size(): { rows: number; columns: number } {
    return { rows: this.out.rows ?? 24, columns: this.out.columns ?? 80 };
  }

  open(): void {
    if (this.opened) return;
    this.opened = true;
    this.out.write(SCREEN.open);
    this.out.on?.('resize', this.onResize);
    process.once('exit', this.onExit);
  }

  draw(lines: readonly string[]): void {
    if (!this.opened) this.open();
    this.resized = false;
    this.out.write(frame(lines));
  }

  /** Back to the main screen, cursor shown; safe to call more than once. */
  close(): void {
    this.out.off?.('resize', this.onResize);
    process.off('exit', this.onExit);
    if (!this.opened) return;
    this.opened = false;
    this.out.write(SCREEN.close);
  }
}
