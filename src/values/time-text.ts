/**
 * ISO dates and timestamps as exact integers: days and microseconds since 1970-01-01, on the
 * proleptic Gregorian calendar PostgreSQL uses. Parsers return a string saying why when they
 * refuse, instead of throwing, because they run once per value.
 */
import type { TimestampStyle } from './column-type.js';

/** Microseconds of 0001-01-01 00:00:00: earlier years would need PostgreSQL's BC notation. */
export const MIN_TIMESTAMP_MICROS = -62135596800000000n;
/** PostgreSQL's end of time (294277-01-01 00:00:00), exclusive, in microseconds since 1970. */
export const END_TIMESTAMP_MICROS = 9224318016000000000n;
/** PostgreSQL's last date, 5874897-12-31, in days since 1970. */
export const MAX_DATE_DAYS = 2145042905;
/** 2000-01-01 (PostgreSQL's binary epoch) in days and microseconds since 1970. */
export const PG_EPOCH_DAYS = 10957;
export const PG_EPOCH_MICROS = 946684800000000n;

const NOT_ISO = 'is not an ISO date-time (YYYY-MM-DD[ HH:MM[:SS[.ffffff]]])';

/** Days since 1970-01-01 of a Gregorian date (Hinnant's days_from_civil, exact for any year). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The Gregorian [year, month, day] of a day number since 1970-01-01. */
export function civilFromDays(days: number): [number, number, number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return [era * 400 + yoe + (m <= 2 ? 1 : 0), m, d];
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Two decimal digits at `at` as a number, or -1. */
function two(text: string, at: number): number {
  const a = text.charCodeAt(at) - 48;
  const b = text.charCodeAt(at + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * Reads `YYYY-MM-DD` (4 to 7 year digits) at the start of `text`. Returns the day number and the
 * index after it, or a reason.
 */
function readDate(text: string): { days: number; next: number } | string {
  let i = 0;
  let year = 0;
  for (; i < text.length && i < 8; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    year = year * 10 + c;
  }
  if (i < 4 || i > 7 || text.charCodeAt(i) !== 45 || text.charCodeAt(i + 3) !== 45) return NOT_ISO;
  const month = two(text, i + 1);
  const day = two(text, i + 4);
  if (month < 1 || month > 12 || day < 1) return NOT_ISO;
  if (year < 1) return 'is before year 1 (BC dates are not supported)';
  if (day > daysInMonth(year, month)) return 'is not a real calendar date';
  return { days: daysFromCivil(year, month, day), next: i + 6 };
}

/** Days since 1970 of an ISO date `YYYY-MM-DD`, or a reason it is not one PostgreSQL can hold. */
export function parseIsoDate(text: string): number | string {
  const r = readDate(text);
  if (typeof r === 'string') return r;
  if (r.next !== text.length) return 'is not an ISO date (YYYY-MM-DD)';
  return r.days > MAX_DATE_DAYS ? 'is after the last date PostgreSQL can hold' : r.days;
}

/**
 * Microseconds since 1970 of an ISO date-time: `YYYY-MM-DD`, then optionally ' ' or 'T',
 * `HH:MM[:SS[.f{1,6}]]`, then, only when `withZone`, a zone that is required: `Z`, `+hh`,
 * `+hhmm`, `+hh:mm` or `+hh:mm:ss` (PostgreSQL prints `+00`), with or without a space before it
 * (Sequelize writes `2024-01-01 21:00:00.438 +00:00`). Covers PostgreSQL's ISO output and the
 * forms ORMs write. `zonelessUtc` reads a value without a zone as UTC in a zoned column: SQLite's
 * own clock (CURRENT_TIMESTAMP, datetime('now')) writes UTC without saying so.
 */
export function parseIsoTimestamp(text: string, withZone: boolean, zonelessUtc = false): bigint | string {
  const date = readDate(text);
  if (typeof date === 'string') return date;
  const n = text.length;
  let i = date.next;
  let seconds = date.days * 86400;
  let fraction = 0;
  const sep = text.charCodeAt(i);
  if (i < n && (sep === 32 || sep === 84) /* T */) {
    const hour = two(text, i + 1);
    const minute = text.charCodeAt(i + 3) === 58 ? two(text, i + 4) : -1;
    if (hour < 0 || minute < 0) return NOT_ISO;
    if (hour > 23 || minute > 59) return 'has a time of day out of range';
    i += 6;
    let second = 0;
    if (text.charCodeAt(i) === 58 /* : */) {
      second = two(text, i + 1);
      if (second < 0) return NOT_ISO;
      if (second > 59) return 'has a time of day out of range';
      i += 3;
      if (text.charCodeAt(i) === 46 /* . */) {
        let digits = 0;
        for (i++; i < n; i++, digits++) {
          const c = text.charCodeAt(i) - 48;
          if (c < 0 || c > 9) break;
          if (digits < 6) fraction = fraction * 10 + c;
          // Digits past the sixth must be zeros, or the value is finer than PostgreSQL keeps.
          else if (c !== 0) return 'has more than microsecond precision';
        }
        if (digits === 0) return NOT_ISO;
        for (; digits < 6; digits++) fraction *= 10;
      }
    }
    seconds += hour * 3600 + minute * 60 + second;
  }
  // One space may come before the zone, but only after a time of day.
  if (i < n - 1 && i > date.next && text.charCodeAt(i) === 32) i++;
  if (i < n) {
    const offset = readOffset(text, i);
    if (typeof offset === 'string') return offset;
    if (!withZone) return 'has a time zone, but the column is a timestamp without time zone';
    seconds -= offset;
  } else if (withZone && !zonelessUtc) {
    return 'has no time zone (Z or +hh:mm), so the instant it means is unknown';
  }
  const micros = Math.abs(seconds) < 9e9 ? BigInt(seconds * 1e6 + fraction) : BigInt(seconds) * 1000000n + BigInt(fraction);
  return timestampInRange(micros) ? micros : 'is outside the range PostgreSQL timestamps can hold (years 1 to 294276)';
}

/** The zone offset in seconds east of UTC at `i` (to the end of the text), or a reason. */
function readOffset(text: string, i: number): number | string {
  const n = text.length;
  const c = text.charCodeAt(i);
  if ((c === 90 || c === 122) /* Z z */ && i + 1 === n) return 0;
  if (c !== 43 && c !== 45) return NOT_ISO;
  const hours = two(text, i + 1);
  if (hours < 0) return NOT_ISO;
  let j = i + 3;
  let minutes = 0;
  let seconds = 0;
  if (j < n) {
    if (text.charCodeAt(j) === 58) j++;
    minutes = two(text, j);
    j += 2;
    if (minutes < 0) return NOT_ISO;
    if (j < n) {
      if (text.charCodeAt(j) !== 58) return NOT_ISO;
      seconds = two(text, j + 1);
      j += 3;
      if (seconds < 0) return NOT_ISO;
    }
  }
  if (j !== n) return NOT_ISO;
  if (hours > 15 || minutes > 59 || seconds > 59) return 'has a time zone offset out of range';
  const total = hours * 3600 + minutes * 60 + seconds;
  return c === 45 ? -total : total;
}

/** True when PostgreSQL can hold the instant and ferry can spell it (years 1 to 294276). */
export function timestampInRange(micros: bigint): boolean {
  return micros >= MIN_TIMESTAMP_MICROS && micros < END_TIMESTAMP_MICROS;
}

/**
 * The unit of integers that are plainly Unix times: all within 1973 to 2286 counted in seconds, or
 * all within the same years counted in milliseconds (the two ranges cannot be confused). Else none.
 */
export function plainEpochUnit(min: bigint, max: bigint): 'seconds' | 'milliseconds' | undefined {
  if (min >= 100_000_000n && max < 10_000_000_000n) return 'seconds';
  if (min >= 100_000_000_000n && max < 10_000_000_000_000n) return 'milliseconds';
  return undefined;
}

/**
 * Microseconds since 1970 for an epoch count in seconds or milliseconds. A fractional number is
 * read through its shortest decimal text, so 1700000000.25 s is exactly ...250000 µs.
 */
export function epochToMicros(v: bigint | number, unit: 'seconds' | 'milliseconds'): bigint | string {
  const scale = unit === 'seconds' ? 6 : 3;
  let micros: bigint;
  if (typeof v === 'bigint') {
    micros = v * (unit === 'seconds' ? 1000000n : 1000n);
  } else if (Number.isInteger(v)) {
    micros = BigInt(v) * (unit === 'seconds' ? 1000000n : 1000n);
  } else {
    if (!Number.isFinite(v)) return `is not a finite epoch ${unit} count`;
    const m = /^(-?)(\d+)\.(\d+)$/.exec(String(v));
    if (!m || m[3]!.length > scale) return `has more than microsecond precision as epoch ${unit}`;
    micros = BigInt(m[1]! + m[2]! + m[3]!.padEnd(scale, '0'));
  }
  return timestampInRange(micros) ? micros : 'is outside the range PostgreSQL timestamps can hold (years 1 to 294276)';
}

/** '00'..'99', so formatting a time needs no padding work per value. */
const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => (i < 10 ? `0${i}` : String(i)));

function pad2(n: number): string {
  return TWO_DIGITS[n]!;
}

/** `YYYY-MM-DD` of a day number since 1970 (years below 1000 padded to four digits). */
export function formatDays(days: number): string {
  const [y, m, d] = civilFromDays(days);
  return `${y < 1000 ? String(y).padStart(4, '0') : y}-${pad2(m)}-${pad2(d)}`;
}

// Rows of one table often share a day: the last day's text is kept.
let lastDay = NaN;
let lastDayText = '';

/**
 * `YYYY-MM-DD HH:MM:SS[.ffffff]` of microseconds since 1970, the fraction without trailing zeros
 * and left out when zero (as PostgreSQL prints it). Throws RangeError outside years 1..294276.
 */
export function formatTimestamp(micros: bigint): string {
  if (!timestampInRange(micros)) throw new RangeError(`timestamp ${micros} µs is outside years 1 to 294276`);
  let secs: number;
  let frac: number;
  if (micros > -9007199254740991n && micros < 9007199254740991n) {
    // Years 1685 to 2255: plain double arithmetic is exact and much cheaper than BigInt.
    const n = Number(micros);
    secs = Math.floor(n / 1e6);
    frac = n - secs * 1e6;
  } else {
    const big = micros / 1000000n;
    frac = Number(micros - big * 1000000n);
    secs = Number(big);
    if (frac < 0) {
      frac += 1000000;
      secs -= 1;
    }
  }
  const days = Math.floor(secs / 86400);
  const rem = secs - days * 86400;
  if (days !== lastDay) {
    lastDay = days;
    lastDayText = formatDays(days);
  }
  return withFraction(`${lastDayText} ${TWO_DIGITS[Math.floor(rem / 3600)]!}:${TWO_DIGITS[Math.floor((rem % 3600) / 60)]!}:${TWO_DIGITS[rem % 60]!}`, frac);
}

/** `text` followed by `.ffffff` without trailing zeros, or nothing when the microseconds are 0. */
function withFraction(text: string, micros: number): string {
  if (micros === 0) return text;
  let frac = micros;
  let width = 6;
  while (frac % 10 === 0) {
    frac /= 10;
    width--;
  }
  return `${text}.${String(frac).padStart(width, '0')}`;
}

/**
 * Microseconds since midnight of a time of day `HH:MM[:SS[.f{1,6}]]` (PostgreSQL's `time`; `24:00`
 * as PostgreSQL allows it), or a reason.
 */
export function parseTimeOfDay(text: string): bigint | string {
  const n = text.length;
  const hour = two(text, 0);
  const minute = text.charCodeAt(2) === 58 ? two(text, 3) : -1;
  if (hour < 0 || minute < 0) return 'is not a time of day (HH:MM[:SS[.ffffff]])';
  let i = 5;
  let second = 0;
  let fraction = 0;
  if (i < n) {
    if (text.charCodeAt(i) !== 58) return 'is not a time of day (HH:MM[:SS[.ffffff]])';
    second = two(text, i + 1);
    if (second < 0) return 'is not a time of day (HH:MM[:SS[.ffffff]])';
    i += 3;
    if (i < n) {
      if (text.charCodeAt(i) !== 46) return 'is not a time of day (HH:MM[:SS[.ffffff]])';
      let digits = 0;
      for (i++; i < n; i++, digits++) {
        const c = text.charCodeAt(i) - 48;
        if (c < 0 || c > 9) return 'is not a time of day (HH:MM[:SS[.ffffff]])';
        if (digits < 6) fraction = fraction * 10 + c;
        else if (c !== 0) return 'has more than microsecond precision';
      }
      if (digits === 0) return 'is not a time of day (HH:MM[:SS[.ffffff]])';
      for (; digits < 6; digits++) fraction *= 10;
    }
  }
  const micros = BigInt((hour * 3600 + minute * 60 + second) * 1e6 + fraction);
  if (hour > 24 || minute > 59 || second > 59 || micros > 86_400_000_000n) return 'has a time of day out of range';
  return micros;
}

/** `HH:MM:SS[.ffffff]` of microseconds since midnight, the fraction without trailing zeros. */
export function formatTimeOfDay(micros: bigint): string {
  const total = Number(micros);
  const secs = Math.floor(total / 1e6);
  return withFraction(`${pad2(Math.floor(secs / 3600))}:${pad2(Math.floor((secs % 3600) / 60))}:${pad2(secs % 60)}`, total - secs * 1e6);
}

/** A time of day written with a column's own fractional digits (its separator and zone do not apply). */
export function formatTimeOfDayStyled(micros: bigint, style: TimestampStyle): string {
  return styledFraction(formatTimeOfDay(micros), style, 8);
}

/** `plain`'s fraction (after position `from`) padded to the style's digits, or left out when it says so. */
function styledFraction(plain: string, style: TimestampStyle, from: number): string {
  const dot = plain.indexOf('.', from);
  const base = dot < 0 ? plain : plain.slice(0, dot);
  let fraction = dot < 0 ? '' : plain.slice(dot + 1);
  if (style.fraction !== 'trim' && !(style.omitZeroFraction && fraction === '')) fraction = fraction.padEnd(style.fraction, '0');
  return `${base}${fraction ? `.${fraction}` : ''}`;
}

/**
 * A timestamp (microseconds since 1970, UTC for zoned columns) written in a column's own text
 * style: the app's separator, fractional digits and zone spelling. A value finer than the style's
 * digits gets the digits it needs: the style never drops precision.
 */
export function formatTimestampStyled(micros: bigint, style: TimestampStyle): string {
  const text = styledFraction(formatTimestamp(micros), style, 11);
  const zone = style.zone === '' ? '' : `${style.zoneSpace ? ' ' : ''}${style.zone}`;
  return `${style.separator === 'T' ? `${text.slice(0, 10)}T${text.slice(11)}` : text}${zone}`;
}
