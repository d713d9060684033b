/** Durations as users write them: `500ms`, `10s`, `10m`, `1h30m`, `90d`, `2w`. Values are milliseconds. */

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;

/** Parse a duration; throws an Error whose message says what a duration looks like. */
export function parseDuration(text: string): number {
  const s = String(text).trim();
  if (s === '0') return 0;
  PART.lastIndex = 0;
  let total = 0;
  let consumed = 0;
  let m: RegExpExecArray | null;
  while ((m = PART.exec(s)) !== null) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    consumed = PART.lastIndex;
  }
  if (consumed === 0 || consumed !== s.length) {
    throw new Error(`"${s}" is not a duration: write a number and a unit (ms, s, m, h, d, w), e.g. 10m, 1h30m, 90d`);
  }
  return Math.round(total);
}

/** The shortest canonical spelling of a duration, used in column names: 3600000 -> `1h`, 5400000 -> `1h30m`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    if (rest >= size) {
      const n = Math.floor(rest / size);
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}
