/**
 * Raw input values (CSV text, JSON values, Parquet and Arrow values) to the numbers a column holds.
 * Each returns undefined when the value does not fit the type, so that the row can go to dead letters.
 * Nulls are handled by the caller, before these are called.
 */
import { parseTime } from '../../pipelines/data/time.js';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** A number from a number, a bigint or numeric text (parsed with Number()). Booleans and dates are not numbers. */
export function toFloat(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') {
    const n = Number(v);
    // Number('') and Number('  ') are 0: blank text is not a number. 'NaN' is, and means NaN.
    if (Number.isNaN(n) ? v.trim() !== 'NaN' : v.trim() === '') return undefined;
    return n;
  }
  return undefined;
}

/** A whole number within [min, max]; int64 is held exactly up to 2^53. */
export function toInteger(v: unknown, min = -Number.MAX_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (typeof v === 'bigint') return v >= BigInt(min) && v <= BigInt(max) ? Number(v) : undefined;
  const n = toFloat(v);
  return n !== undefined && Number.isInteger(n) && n >= min && n <= max ? n : undefined;
}

export function toInt32(v: unknown): number | undefined {
  return toInteger(v, INT32_MIN, INT32_MAX);
}

/** 1 or 0 from a boolean, 0/1, or the text true/false/1/0 in any case. */
export function toBool(v: unknown): number | undefined {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v === 0 || v === 1) return v;
  if (v === 0n || v === 1n) return Number(v);
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (s === 'true' || s === '1') return 1;
    if (s === 'false' || s === '0') return 0;
  }
  return undefined;
}

/**
 * Epoch ms (whole: segments store int64 ms) from a Date, a number, a bigint or text, read per `format`
 * (see parseTime). NaN when it cannot be read.
 */
export function toTimeMs(v: unknown, format: Parameters<typeof parseTime>[1]): number {
  return Math.floor(parseTime(v, format));
}

/** Text for a string column: strings as they are, numbers, bigints and booleans spelled out; objects do not fit. */
export function toText(v: unknown): string | undefined {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
    case 'bigint':
    case 'boolean':
      return String(v);
    default:
      return undefined;
  }
}

/** A value as it should appear in a dead-letter reason: strings quoted, long values cut short. */
export function showValue(v: unknown, max = 80): string {
  let s: string;
  if (typeof v === 'string') s = JSON.stringify(v);
  else if (typeof v === 'bigint') s = v.toString();
  else if (v instanceof Date) s = Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString();
  else if (v === undefined) s = 'undefined';
  else {
    try {
      s = JSON.stringify(v) ?? String(v);
    } catch {
      s = String(v);
    }
  }
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
