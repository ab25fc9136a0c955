/**
 * Exact decimals as text, the way PostgreSQL's `numeric` reads them. A decimal is kept as its
 * digit string and a power of ten, never as a double, so no digit is ever rounded.
 */

/** A finite decimal: value = (negative ? -1 : 1) × digits × 10^exponent. */
export interface Decimal {
  negative: boolean;
  /** Significant digits without leading zeros; '' for zero. */
  digits: string;
  exponent: number;
  /** PostgreSQL's display scale for this input: digits after the point, less the exponent, at least 0. */
  scale: number;
}

/** The special numeric values, spelt as PostgreSQL prints them. */
export type DecimalSpecial = 'NaN' | 'Infinity' | '-Infinity';

/** PostgreSQL numeric limits: digits before the point, digits after it, and the input exponent. */
export const NUMERIC_MAX_INTEGER_DIGITS = 131072;
export const NUMERIC_MAX_SCALE = 16383;
const NUMERIC_MAX_EXPONENT = 1000;

const SPECIALS = new Map<string, DecimalSpecial>([
  ['nan', 'NaN'],
  ['infinity', 'Infinity'],
  ['+infinity', 'Infinity'],
  ['inf', 'Infinity'],
  ['+inf', 'Infinity'],
  ['-infinity', '-Infinity'],
  ['-inf', '-Infinity'],
]);

/**
 * Parses `[+-]digits[.digits][e[+-]digits]` (or NaN/Infinity in PostgreSQL's spellings, any case).
 * Returns null for anything else, including whitespace and values PostgreSQL's numeric cannot hold.
 */
export function parseDecimal(text: string): Decimal | DecimalSpecial | null {
  const n = text.length;
  let i = 0;
  let negative = false;
  const first = text.charCodeAt(0);
  if (first === 45 /* - */ || first === 43 /* + */) {
    negative = first === 45;
    i = 1;
  }
  const intStart = i;
  while (i < n && isDigit(text.charCodeAt(i))) i++;
  const intPart = text.slice(intStart, i);
  let fracPart = '';
  if (i < n && text.charCodeAt(i) === 46 /* . */) {
    const fracStart = ++i;
    while (i < n && isDigit(text.charCodeAt(i))) i++;
    fracPart = text.slice(fracStart, i);
  }
  if (intPart === '' && fracPart === '') return SPECIALS.get(text.toLowerCase()) ?? null;
  const raw = intPart + fracPart;
  const fracDigits = fracPart.length;
  let exponent = 0;
  if (i < n) {
    const c = text.charCodeAt(i);
    if (c !== 101 && c !== 69) return null;
    const exp = text.slice(i + 1);
    if (!/^[+-]?\d{1,9}$/.test(exp)) return null;
    exponent = Number(exp);
    if (Math.abs(exponent) > NUMERIC_MAX_EXPONENT) return null;
  }
  const scale = Math.max(0, fracDigits - exponent);
  if (scale > NUMERIC_MAX_SCALE) return null;
  exponent -= fracDigits;
  // Leading zeros carry no value; trailing zeros are kept in `digits` only through `scale`.
  let lead = 0;
  while (lead < raw.length && raw.charCodeAt(lead) === 48) lead++;
  let digits = raw.slice(lead);
  let trail = digits.length;
  while (trail > 0 && digits.charCodeAt(trail - 1) === 48) trail--;
  exponent += digits.length - trail;
  digits = digits.slice(0, trail);
  if (digits === '') return { negative: false, digits: '', exponent: 0, scale };
  if (digits.length + exponent > NUMERIC_MAX_INTEGER_DIGITS) return null;
  return { negative, digits, exponent, scale };
}

/**
 * The canonical plain spelling of a decimal: no exponent, no leading zeros, no trailing fraction
 * zeros, no '-0'. Two decimals with the same value (12.50 and 12.5, 1e2 and 100) spell the same.
 */
export function canonicalDecimal(d: Decimal | DecimalSpecial): string {
  if (typeof d === 'string') return d;
  if (d.digits === '') return '0';
  const sign = d.negative ? '-' : '';
  if (d.exponent >= 0) return sign + d.digits + '0'.repeat(d.exponent);
  const point = d.digits.length + d.exponent;
  if (point > 0) return `${sign}${d.digits.slice(0, point)}.${d.digits.slice(point)}`;
  return `${sign}0.${'0'.repeat(-point)}${d.digits}`;
}

/**
 * A double as decimal text PostgreSQL's numeric accepts: the shortest text that reads back as the
 * same double (so 0.1 is '0.1', not its 55-digit binary expansion), NaN and ±Infinity as PG spells them.
 */
export function numberToDecimal(n: number): string {
  // String() already spells NaN, Infinity and -Infinity like PostgreSQL, and -0 as '0'.
  return String(n);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** True when the text is an integer PostgreSQL would print without a point (digits, optional '-'). */
export function isPlainInteger(text: string): boolean {
  const n = text.length;
  let i = text.charCodeAt(0) === 45 ? 1 : 0;
  if (i === n) return false;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}
