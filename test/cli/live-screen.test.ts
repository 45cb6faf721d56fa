// The live view's terminal handling: the alternate screen (no copy of the view in the
// scrollback), each frame drawn from the top-left corner over the last one, and the terminal
// given back (cursor shown, main screen) exactly once, whichever way the capture ends.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { AltScreen, frame, SCREEN } from '../../src/cli/live-screen.js';

class FakeTty extends EventEmitter {
  written = '';
  rows = 24;
  columns = 80;
  write(s: string): boolean {
    this.written += s;
    return true;
  }
}

describe('frame', () => {
  it('goes to the top-left corner, clears the rest of each line it writes and everything below the last', () => {
    expect(frame(['one', 'two'])).toBe('\x1b[1;1Hone\x1b[K\ntwo\x1b[K\x1b[J');
    // Never a clear of the whole screen (ED 2): tmux moves the screen into its history on it.
    expect(frame(['one'])).not.toContain('\x1b[2J');
    expect(frame(['one'])).not.toContain('\x1b[3J');
  });
});

describe('AltScreen', () => {
  it('enters the alternate screen with the cursor hidden, draws frames, leaves it once', () => {
    const tty = new FakeTty();
    const exitHooks = process.listenerCount('exit');
    const screen = new AltScreen(tty);
    expect(screen.size).toEqual({ rows: 24, columns: 80 });
    screen.draw(['a']);
    expect(SCREEN.open).toBe('\x1b[?1049h\x1b[?25l');
    expect(tty.written).toBe(`\x1b[?1049h\x1b[?25l${frame(['a'])}`);
    expect(process.listenerCount('exit')).toBe(exitHooks + 1); // a last resort for exits by another path
    screen.draw(['b']);
    screen.close();
    screen.close();
    expect(SCREEN.close).toBe('\x1b[?25h\x1b[?1049l');
    expect(tty.written).toBe(`${SCREEN.open}${frame(['a'])}${frame(['b'])}${SCREEN.close}`);
    expect(process.listenerCount('exit')).toBe(exitHooks);
  });

  it('writes nothing when closed without a frame (no view was shown)', () => {
    const tty = new FakeTty();
    new AltScreen(tty).close();
    expect(tty.written).toBe('');
  });

  it('asks for a redraw at once when the terminal is resized, and reads the new size', () => {
    const tty = new FakeTty();
    const screen = new AltScreen(tty);
    screen.draw(['a']);
    expect(screen.resized).toBe(false);
    tty.rows = 10;
    tty.emit('resize');
    expect(screen.resized).toBe(true);
    expect(screen.size).toEqual({ rows: 10, columns: 80 });
    screen.draw(['b']);
    expect(screen.resized).toBe(false);
    screen.close();
    expect(tty.listenerCount('resize')).toBe(0);
  });
});
