/**
 * What a SQLite target stores for each canonical value (convert-value.ts): the storage class and
 * text form the app used, so its driver and ORM read the same JavaScript values after a rollback.
 * Numbers go in as numbers (a DECIMAL column compares numerically, as before the move), booleans
 * as 0/1, date-times in the column's own text style or epoch unit, UUIDs in the app's case. A
 * value the column would change (a decimal past a double's digits under NUMERIC affinity) is
 * refused with its reason, never rounded.
 */
import type { Value } from '../../values/value.js';
import { affinityOf } from '../../schema/declared-type.js';
import { ConversionError } from '../../values/convert-value.js';
import type { ColumnPlan } from '../../engine/table-plan.js';
import { canonicalDecimal, isPlainInteger, numberToDecimal, parseDecimal } from '../../values/decimal-text.js';
import { formatTimeOfDay, formatTimeOfDayStyled, formatTimestamp, formatTimestampStyled } from '../../values/time-text.js';
import { formatUuid } from '../../values/uuid-text.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Turns a canonical value into what SQLite stores; throws ConversionError when it cannot be kept. */
export type SqliteValueWriter = (canonical: Value) => Value;

/** The writer of one planned column. */
export function sqliteValueWriter(column: Pick<ColumnPlan, 'logical' | 'targetType' | 'epoch' | 'style'>): SqliteValueWriter {
  switch (column.logical) {
    case 'float64':
      // SQLite turns a NaN real into NULL, so NaN is kept as its text.
      return (v) => (typeof v === 'number' && Number.isNaN(v) ? 'NaN' : v);
    case 'numeric':
      return affinityOf(column.targetType) === 'TEXT' ? (v) => v : numericAsNumber;
    case 'boolean':
      return (v) => (v === null ? null : v ? 1n : 0n);
    case 'timestamp':
    case 'timestamptz': {
      if (column.epoch) return epochWriter(column.epoch);
      const style = column.style?.kind === 'timestamp' ? column.style : undefined;
      if (style) return (v) => (v === null ? null : formatTimestampStyled(v as bigint, style));
      return column.logical === 'timestamp'
        ? (v) => (v === null ? null : formatTimestamp(v as bigint))
        : (v) => (v === null ? null : `${formatTimestamp(v as bigint)}+00:00`);
    }
    case 'time': {
      const style = column.style?.kind === 'timestamp' ? column.style : undefined;
      return (v) => (v === null ? null : style ? formatTimeOfDayStyled(v as bigint, style) : formatTimeOfDay(v as bigint));
    }
    case 'uuid': {
      const style = column.style?.kind === 'uuid' ? column.style : undefined;
      return (v) => (v === null ? null : formatUuid(v as string, style));
    }
    default:
      return (v) => v;
  }
}

/**
 * A decimal as the number SQLite's NUMERIC affinity would make of it: an integer when it is one, a
 * double when the double spells it exactly (12.50 is 12.5), else refused: the column would keep only
 * the first 15 digits.
 */
function numericAsNumber(v: Value): Value {
  if (v === null) return null;
  const text = v as string;
  if (isPlainInteger(text)) {
    const b = BigInt(text);
    if (b >= INT64_MIN && b <= INT64_MAX) return b;
  }
  if (text === 'NaN') return 'NaN';
  const n = Number(text);
  if (!Number.isFinite(n)) return n;
  const d = parseDecimal(text);
  if (d !== null && typeof d !== 'string' && canonicalDecimal(d) === canonicalDecimal(parseDecimal(numberToDecimal(n))!)) return n;
  throw new ConversionError(`numeric ${text} has more significant digits than a SQLite NUMERIC column keeps (15); it would be rounded`);
}

/** Microseconds written back as the Unix-time integers the app stored; sub-unit parts as a fraction. */
function epochWriter(unit: 'seconds' | 'milliseconds'): SqliteValueWriter {
  const per = unit === 'seconds' ? 1_000_000n : 1000n;
  return (v) => {
    if (v === null) return null;
    const micros = v as bigint;
    if (micros % per === 0n) return micros / per;
    // A value written on PostgreSQL finer than the app's unit keeps its fraction (a REAL) rather than lose it.
    return Number(micros) / Number(per);
  };
}
