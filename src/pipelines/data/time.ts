/**
 * Time helpers. Event time is epoch milliseconds held in float64, exact to the millisecond for any
 * date Tributary cares about. Arrow stores timestamps as int64; we convert through two int32 halves
 * so that no BigInt appears in a loop.
 */

const TWO_32 = 4294967296;

/** Int64 values (little-endian, as in an Arrow buffer) to numbers. */
export function int64ToFloat64(bytes: ArrayBufferView, length: number): Float64Array {
  const words = new Int32Array(bytes.buffer, bytes.byteOffset, length * 2);
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) out[i] = words[2 * i + 1]! * TWO_32 + (words[2 * i]! >>> 0);
  return out;
}

/** Numbers (whole, |x| < 2^53) to little-endian int64 words, viewable as a BigInt64Array. */
export function float64ToInt64(values: Float64Array): Int32Array {
  const words = new Int32Array(values.length * 2);
  for (let i = 0; i < values.length; i++) {
    const v = Math.trunc(values[i]!);
    const hi = Math.floor(v / TWO_32);
    words[2 * i] = v - hi * TWO_32;
    words[2 * i + 1] = hi;
  }
  return words;
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * Parse an ISO-8601 date-time to epoch ms. A time without a zone is UTC. Returns NaN when the text
 * is not a valid date-time, so that callers can send the row to dead-letter with a reason.
 */
export function parseIsoTime(text: string): number {
  const m = ISO.exec(text.trim());
  if (m === null) return NaN;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return NaN;
  let ms = Date.UTC(Number(y), month - 1, day, hour, minute, second);
  // Date.UTC rolls 31 Feb over to March: reject dates that do not exist.
  if (new Date(ms).getUTCDate() !== day) return NaN;
  if (frac !== '') ms += Math.floor(Number(`0.${frac}`) * 1000 + 1e-6);
  if (zone !== undefined && zone.toUpperCase() !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const offset = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0');
    ms -= sign * offset * 60_000;
  }
  return ms;
}

/** Epoch ms to ISO-8601 UTC, e.g. `2023-09-18T14:00:00.000Z`. */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** How a source writes its time column. */
export type TimeFormat = 'auto' | 'iso' | 'epoch_ms' | 'epoch_s' | 'epoch_us' | 'epoch_ns';

/** One raw time value to epoch ms; NaN when it cannot be read. `auto` takes numbers as ms and strings as ISO. */
export function parseTime(value: unknown, format: TimeFormat = 'auto'): number {
  if (value === null || value === undefined || value === '') return NaN;
  if (typeof value === 'bigint') value = Number(value);
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return NaN;
    switch (format) {
      case 'epoch_s':
        return Math.round(value * 1000);
      case 'epoch_us':
        return Math.floor(value / 1000);
      case 'epoch_ns':
        return Math.floor(value / 1e6);
      case 'iso':
        return NaN;
      default:
        return value;
    }
  }
  if (typeof value !== 'string') return NaN;
  if (format === 'iso' || format === 'auto') {
    const iso = parseIsoTime(value);
    if (!Number.isNaN(iso) || format === 'iso') return iso;
  }
  const n = Number(value);
  return Number.isNaN(n) || value.trim() === '' ? NaN : parseTime(n, format === 'auto' ? 'epoch_ms' : format);
}
