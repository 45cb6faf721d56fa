// --interval's words for the timeline's widths (timeline.ts re-exports them): a module of
// its own so that parsing the command line does not load the timeline and what it imports.
/** --interval's words for the ladder's widths (timeline.ts INTERVAL_LADDER). */
export const INTERVAL_NAMES: Readonly<Record<string, number>> = { '1s': 1, '10s': 10, '1m': 60, '10m': 600, '1h': 3600 };
