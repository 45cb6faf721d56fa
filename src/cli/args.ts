// Option value parsers for commander, one per kind of value, all strict: a value is taken
// only when it is written the one plain way (`--top 10`, `--duration 0.5`); `1e3`, `0x10`,
// `10abc`, ` 10`, `+5`, `-0`, `010`, `Infinity` are refused, never coerced the way Number()
// or parseInt() would. Errors are commander's InvalidArgumentError, which main.ts renders
// as `pantap: ... (see 'pantap CMD --help')`.
import { InvalidArgumentError } from 'commander';
import { ArgumentError } from '../errors.js';
import type { HostRange, TimeBound } from '../pipeline/filter.js';
import { parseHostRange, parseTimeBound } from '../pipeline/filter-spec.js';

const INTEGER = /^(0|[1-9]\d*)$/;
const DECIMAL = /^(0|[1-9]\d*)(\.\d+)?$/;

/**
 * The one strict number parser: a decimal integer (or, with `fraction`, a decimal number)
 * within [min, max]. Returns null when `text` is not one, else the number.
 */
export function strictNumber(text: string, o: { min: number; max: number; fraction?: boolean }): number | null {
  if (!(o.fraction ? DECIMAL : INTEGER).test(text)) return null;
  const n = Number(text);
  return Number.isFinite(n) && n >= o.min && n <= o.max && (o.fraction || Number.isSafeInteger(n)) ? n : null;
}

/** An integer option within [min, max]. */
export function integer(min: number, max: number): (v: string) => number {
  return (v) => {
    const n = strictNumber(v, { min, max });
    if (n === null) throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}, written in decimal digits`);
    return n;
  };
}

/** A decimal option (`0.5`) greater than `above` and at most `max`. */
export function decimal(above: number, max: number): (v: string) => number {
  return (v) => {
    const n = strictNumber(v, { min: above, max, fraction: true });
    if (n === null || n <= above) throw new InvalidArgumentError(`must be a number greater than ${above} and at most ${max}, written in decimal digits (0.5, 30)`);
    return n;
  };
}

/** Repeatable, comma-separated values (`--fail-on failed,unexpected`). */
export function collect(v: string, prev: string[]): string[] {
  return [...prev, ...v.split(',').filter(Boolean)];
}

/** Repeatable values taken whole (file names may hold commas). */
export function repeat(v: string, prev: string[]): string[] {
  return [...prev, v];
}

/** Repeatable --host (also comma-separated). */
export function hosts(v: string, prev: HostRange[]): HostRange[] {
  return [...prev, ...v.split(',').map((t) => asArgument(() => parseHostRange(t)))];
}

/** --since / --until. */
export function timeBound(v: string): TimeBound {
  return asArgument(() => parseTimeBound(v));
}

function asArgument<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof ArgumentError) throw new InvalidArgumentError(err.message);
    throw err;
  }
}
