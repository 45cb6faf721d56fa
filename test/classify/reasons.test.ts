import { describe, expect, it } from 'vitest';
import { bitsMatchReasons, FoundReasons } from '../../src/classify/reasons.js';
import { REASONS } from '../../src/classify/vocabulary.js';

describe('FoundReasons', () => {
  it('gives each reason its place in REASONS', () => {
    expect(bitsMatchReasons()).toBe(true);
  });

  it('answers the first reason found in the order of REASONS, whatever the order they were set in', () => {
    const why = new FoundReasons();
    expect(why.first()).toBeNull();
    why.set('zero-window', 'z');
    why.set('no-reply', 'n');
    why.set('retransmissions', 'r');
    expect(why.first()).toBe('no-reply');
    expect(why.detail('no-reply')).toBe('n');
    expect(why.has('zero-window')).toBe(true);
    expect(why.has('tls-alert')).toBe(false);
    why.set('pmtu-blackhole', 'p');
    expect(why.first()).toBe('pmtu-blackhole');
    // Every reason, alone and last in the order: it is the first.
    for (let i = REASONS.length - 1; i >= 0; i--) {
      const one = new FoundReasons();
      one.set(REASONS[i], `d${i}`);
      expect(one.first()).toBe(REASONS[i]);
      why.set(REASONS[i], `d${i}`);
      expect(why.first()).toBe(REASONS[0]);
    }
  });

  it('replaces a reason set twice, as a Map does, and forgets all at clear()', () => {
    const why = new FoundReasons();
    why.set('tls-alert', 'first');
    why.set('tls-alert', 'second');
    expect(why.detail('tls-alert')).toBe('second');
    why.clear();
    expect(why.first()).toBeNull();
    expect(why.has('tls-alert')).toBe(false);
    why.set('zero-window', 'z');
    expect(why.first()).toBe('zero-window');
  });
});
