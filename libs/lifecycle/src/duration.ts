const UNITS: [string, number][] = [
  ['d', 86400e3],
  ['h', 3600e3],
  ['m', 60e3],
  ['s', 1e3],
  ['ms', 1],
];
const UNIT_MS = Object.fromEntries(UNITS);

/**
 * Durations as operators type them everywhere in Rotor (manifests, API query
 * strings, CLI flags): "90s", "15m", "24h", "7d" or plain milliseconds, the
 * grammar of the configuration. undefined when not a duration.
 */
export function parseDurationText(text: string): number | undefined {
  const match = /^(\d{1,15})(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * UNIT_MS[match[2] ?? 'ms'];
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** The shortest exact form: 3600000 → "1h", 90000 → "90s", 1500 → "1500ms". */
export function formatDurationText(ms: number): string {
  for (const [unit, size] of UNITS) {
    if (ms > 0 && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
