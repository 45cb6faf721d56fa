// Formatting helpers shared by the renderers. Every function here is deterministic (no
// locale, no time zone), so reports are byte-identical on every machine.

/**
 * The date and time to the second of the seconds formatted lately: a report formats the
 * same few seconds of its capture thousands of times (flow records, timeline intervals,
 * health lines), and Date's formatting is the costly part. Emptied when full.
 */
const SECONDS_KEPT = 4096;
const secondText = new Map<number, string>();

/** `2026-11-24T10:13:46.350948Z` from microseconds since the epoch (UTC, always 6 digits). */
export function isoMicros(us: number): string {
  // Split on whole seconds first: Date only carries milliseconds, and a floor on the
  // microsecond value keeps times before 1970 correct too.
  const sec = Math.floor(us / 1e6);
  const frac = Math.floor(us - sec * 1e6);
  let head = secondText.get(sec);
  if (head === undefined) {
    head = new Date(sec * 1000).toISOString().slice(0, 19); // 2026-11-24T10:13:46
    if (secondText.size >= SECONDS_KEPT) secondText.clear();
    secondText.set(sec, head);
  }
  return `${head}.${String(frac).padStart(6, '0')}Z`;
}

/**
 * The report's time of an event for people: date, time to the second and UTC offset,
 * `2026-11-24 10:13:46 +00:00` (always UTC, so reports do not depend on the machine's zone).
 */
export function stamp(iso: string): string {
  const t = isoMicros(microsFromIso(iso));
  return `${t.slice(0, 10)} ${t.slice(11, 19)} +00:00`;
}

const ISO = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** The times read lately by microsFromIso: a timeline's interval starts are a few times over and over. Emptied when full. */
const TIMES_KEPT = 4096;
const timeOf = new Map<string, number>();

/** The inverse of `isoMicros` (any ISO-8601 date-time with a zone; digits past 6 are cut). */
export function microsFromIso(iso: string): number {
  let us = timeOf.get(iso);
  if (us !== undefined) return us;
  const m = ISO.exec(iso);
  const ms = m ? Date.parse(`${m[1]}${m[3]}`) : NaN;
  if (!m || Number.isNaN(ms)) throw new RangeError(`not an ISO-8601 date-time: ${JSON.stringify(iso)}`);
  us = ms * 1000 + Number((m[2] ?? '').padEnd(6, '0').slice(0, 6));
  if (timeOf.size >= TIMES_KEPT) timeOf.clear();
  timeOf.set(iso, us);
  return us;
}

/** Decimal (SI) units, as `ls --si` and capture tools print sizes: 946 MB, 1.5 kB, 12 B. */
export function humanBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 999.5 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  if (i === 0) return `${n} B`;
  return `${v < 99.95 ? v.toFixed(1) : v.toFixed(0)} ${units[i]}`;
}

/** 2000000 → `2,000,000` (fixed separator, not the locale's). */
export function count(n: number): string {
  const s = String(Math.abs(Math.round(n)));
  const grouped = s.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return n < 0 ? `-${grouped}` : grouped;
}

/** `1 flow` / `3 flows`. */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${count(n)} ${n === 1 ? word : many}`;
}

/** A capture span for people: `8.53 s`, `3 min 12 s`, `2 h 05 min`, `3 d 4 h`. */
export function duration(us: number): string {
  const s = us / 1e6;
  if (s < 60) return `${s < 10 ? s.toFixed(2) : s.toFixed(1)} s`;
  const whole = Math.floor(s);
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${whole % 60} s`;
  if (whole < 86400) return `${Math.floor(whole / 3600)} h ${String(Math.floor((whole % 3600) / 60)).padStart(2, '0')} min`;
  return `${Math.floor(whole / 86400)} d ${Math.floor((whole % 86400) / 3600)} h`;
}

/** `0x7261`: ethertypes are always read in hex. */
export function hex16(n: number): string {
  return `0x${n.toString(16).padStart(4, '0')}`;
}

/** Code-unit order: deterministic everywhere (localeCompare is not, and is slow). */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/** `10.0.0.1:443`, `[2001:db8::1]:443`; a bare address when there is no port. */
export function hostPort(addr: string, port: number | string | null): string {
  if (port === null) return addr;
  return addr.includes(':') && !MAC.test(addr) ? `[${addr}]:${port}` : `${addr}:${port}`;
}
