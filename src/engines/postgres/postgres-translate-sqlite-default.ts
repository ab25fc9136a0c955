/**
 * Column defaults between SQLite and PostgreSQL. The translation depends on the target column's
 * logical type: SQLite's CURRENT_TIMESTAMP is a UTC *text* `YYYY-MM-DD HH:MM:SS`, so it becomes a
 * real timestamp expression in a timestamp column and the same text shape in a text column. Only
 * literals and the clock functions are translated: a default PostgreSQL rejects would fail the
 * CREATE TABLE itself, so anything else is dropped with a warning rather than guessed.
 * (pgloader emitted such defaults as string literals; ferry never does.)
 */
import type { DefaultTranslation } from '../../engine/sql-translation.js';
import type { LogicalType } from '../../values/column-type.js';
import { parseTimeOfDay } from '../../values/time-text.js';
import { canonicalUuid } from '../../values/uuid-text.js';
import { tokenize } from '../sqlite/sqlite-tokens.js';
import { sqliteToPostgres } from './postgres-translate-sqlite.js';

export type { DefaultTranslation } from '../../engine/sql-translation.js';

type Clock = 'timestamp' | 'timestamp-ms' | 'date' | 'time' | 'epoch';

const UTC_NOW = "(now() AT TIME ZONE 'UTC')";

/**
 * Recognises SQLite's clock defaults: CURRENT_*, datetime('now'), date('now'), strftime(fmt, 'now'),
 * unixepoch(). `compact` has keywords upper-cased and no whitespace outside strings; string
 * contents keep their case because strftime's %s (epoch) and %S (seconds) differ.
 */
function sqliteClock(compact: string): Clock | null {
  switch (compact) {
    case 'CURRENT_TIMESTAMP':
    case "DATETIME('now')":
    case "DATETIME('now','utc')":
    case "STRFTIME('%Y-%m-%d %H:%M:%S','now')":
      return 'timestamp';
    case "STRFTIME('%Y-%m-%d %H:%M:%f','now')":
    case "STRFTIME('%Y-%m-%dT%H:%M:%fZ','now')":
      return 'timestamp-ms';
    case 'CURRENT_DATE':
    case "DATE('now')":
      return 'date';
    case 'CURRENT_TIME':
    case "TIME('now')":
      return 'time';
    case "STRFTIME('%s','now')":
    case 'UNIXEPOCH()':
    case "UNIXEPOCH('now')":
      return 'epoch';
    default:
      return null;
  }
}

/** Translates a SQLite column default into PostgreSQL for a column of the given logical type. Pure. */
export function sqliteDefaultToPostgres(expression: string, logical: LogicalType): DefaultTranslation {
  const text = unwrap(expression);
  // Whitespace outside strings does not matter for recognising the clock forms.
  const compact = tokenize(text)
    .filter((t) => t.kind !== 'space' && t.kind !== 'comment')
    .map((t) => (t.kind === 'word' ? t.text.toUpperCase() : t.text))
    .join('');
  if (compact === 'NULL') return { sql: null };
  const clock = sqliteClock(compact);
  if (clock) return clockToPostgres(clock, logical, compact);
  const lit = parseLiteral(text);
  if (lit) return literalToPostgres(lit, logical);
  // A constant expression ((1+1), (lower('ABC'))): SQLite forbids column references in defaults,
  // so it translates like a CHECK. PostgreSQL may still refuse it for the column's type: the copy's
  // pre-flight tries it on the target and drops it there, with a warning, before anything is written.
  const t = sqliteToPostgres(text, { columns: new Map() });
  return 'sql' in t
    ? { sql: `(${t.sql})`, expression: true }
    : { untranslatable: `not a literal, a known clock function or a constant expression PostgreSQL has (${t.untranslatable})` };
}

function clockToPostgres(clock: Clock, logical: LogicalType, original: string): DefaultTranslation {
  const epoch = '(floor(extract(epoch FROM now()))::bigint)';
  const toChar = (fmt: string) => ({ sql: `to_char(${UTC_NOW}, '${fmt}')` });
  switch (clock) {
    case 'timestamp':
    case 'timestamp-ms':
      // SQLite's clock is UTC. A zone-less column gets UTC wall time (independent of the session's
      // TimeZone, which LOCALTIMESTAMP would follow); timestamptz gets the instant.
      if (logical === 'timestamptz') return { sql: 'CURRENT_TIMESTAMP' };
      if (logical === 'timestamp') return { sql: UTC_NOW };
      if (logical === 'date') return { sql: `(${UTC_NOW}::date)` };
      if (logical === 'text') {
        if (original.includes('T%H')) return toChar('YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
        return toChar(clock === 'timestamp' ? 'YYYY-MM-DD HH24:MI:SS' : 'YYYY-MM-DD HH24:MI:SS.MS');
      }
      break;
    case 'date':
      if (logical === 'date') return { sql: `(${UTC_NOW}::date)` };
      if (logical === 'text') return toChar('YYYY-MM-DD');
      if (logical === 'timestamp') return { sql: `date_trunc('day', ${UTC_NOW})` };
      if (logical === 'timestamptz') return { sql: `(date_trunc('day', ${UTC_NOW}) AT TIME ZONE 'UTC')` };
      break;
    case 'time':
      if (logical === 'text') return toChar('HH24:MI:SS');
      break;
    case 'epoch':
      if (logical === 'int64' || logical === 'numeric' || logical === 'float64') return { sql: epoch };
      if (logical === 'text') return { sql: `(${epoch}::text)` };
      if (logical === 'timestamptz') return { sql: 'CURRENT_TIMESTAMP' };
      break;
  }
  return { untranslatable: `a ${clock} clock default has no equivalent in a ${logical} column` };
}

type Literal =
  | { kind: 'int'; text: string }
  | { kind: 'real'; text: string }
  | { kind: 'string'; value: string }
  | { kind: 'bool'; value: boolean }
  | { kind: 'blob'; hex: string };

/** Removes wrapping parentheses: SQLite keeps `DEFAULT (0)` with its parentheses. */
function unwrap(expression: string): string {
  let t = expression.trim();
  while (t.startsWith('(') && t.endsWith(')') && balanced(t.slice(1, -1))) t = t.slice(1, -1).trim();
  return t;
}

function balanced(s: string): boolean {
  let depth = 0;
  for (const t of tokenize(s)) {
    if (t.kind !== 'punct') continue;
    if (t.text === '(') depth++;
    if (t.text === ')' && --depth < 0) return false;
  }
  return depth === 0;
}

/** Reads one literal: a signed number, a string, TRUE/FALSE or X'..'. */
function parseLiteral(text: string): Literal | null {
  const toks = tokenize(text).filter((t) => t.kind !== 'space' && t.kind !== 'comment');
  let sign = '';
  let i = 0;
  if (toks[0]?.kind === 'punct' && (toks[0].text === '-' || toks[0].text === '+')) {
    sign = toks[0].text === '-' ? '-' : '';
    i = 1;
  }
  const t = toks[i];
  if (!t || toks.length !== i + (t.kind === 'word' && /^x$/i.test(t.text) ? 2 : 1)) return null;
  if (t.kind === 'number') {
    if (/^0x[0-9a-f]+$/i.test(t.text)) return { kind: 'int', text: sign + BigInt(t.text).toString() };
    if (/^\d+$/.test(t.text)) return { kind: 'int', text: sign + t.text.replace(/^0+(?=\d)/, '') };
    if (/^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t.text)) return { kind: 'real', text: sign + t.text };
    return null;
  }
  if (sign) return null;
  if (t.kind === 'string' && t.text.startsWith("'")) return { kind: 'string', value: t.text.slice(1, -1).replaceAll("''", "'") };
  // SQLite reads a double-quoted word in a DEFAULT as a string literal (no column can be meant there).
  if (t.kind === 'ident' && t.text.startsWith('"')) return { kind: 'string', value: t.text.slice(1, -1).replaceAll('""', '"') };
  if (t.kind === 'word' && /^(true|false)$/i.test(t.text)) return { kind: 'bool', value: /^true$/i.test(t.text) };
  if (t.kind === 'word' && /^x$/i.test(t.text) && toks[i + 1]?.kind === 'string') return { kind: 'blob', hex: toks[i + 1]!.text.slice(1, -1).toLowerCase() };
  return null;
}

/** A PostgreSQL string literal (standard_conforming_strings: only quotes are doubled). */
export function pgString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

const INT_TEXT = /^[+-]?\d+$/;
const NUM_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const ISO_DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const ISO_TS = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[ T]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$/;
const ISO_TSTZ = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[ T]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?(Z|[+-][01]\d(:?[0-5]\d)?)$/;

function literalToPostgres(lit: Literal, logical: LogicalType): DefaultTranslation {
  const no = (why: string): DefaultTranslation => ({ untranslatable: why });
  const asNumber =
    lit.kind === 'int' || lit.kind === 'real'
      ? lit.text
      : lit.kind === 'bool'
        ? lit.value
          ? '1'
          : '0'
        : lit.kind === 'string' && NUM_TEXT.test(lit.value.trim())
          ? lit.value.trim()
          : null;
  switch (logical) {
    case 'int64': {
      if (asNumber === null) return no('not an integer literal');
      if (INT_TEXT.test(asNumber)) return { sql: asNumber.replace(/^\+/, '') };
      const n = Number(asNumber);
      // A fractional default would be rounded silently by bigint: refuse it.
      return Number.isSafeInteger(n) ? { sql: String(n) } : no('not an integer literal');
    }
    case 'float64':
    case 'numeric':
      return asNumber === null ? no('not a numeric literal') : { sql: asNumber.replace(/^\+/, '') };
    case 'boolean': {
      const v =
        lit.kind === 'bool'
          ? lit.value
          : lit.kind === 'int'
            ? lit.text === '1'
              ? true
              : lit.text === '0'
                ? false
                : null
            : lit.kind === 'string'
              ? (({ '1': true, '0': false, true: true, false: false, t: true, f: false } as Record<string, boolean>)[lit.value.toLowerCase()] ?? null)
              : null;
      return v === null ? no('not 0/1/true/false') : { sql: v ? 'true' : 'false' };
    }
    case 'text':
    case 'pgtext':
      if (lit.kind === 'string') return { sql: pgString(lit.value) };
      if (lit.kind === 'int') return { sql: pgString(lit.text) };
      if (lit.kind === 'bool') return { sql: pgString(lit.value ? '1' : '0') };
      // SQLite stores a REAL default in a text column as its %!.15g text: 1.0 -> '1.0'.
      if (lit.kind === 'real') {
        const n = Number(lit.text);
        return { sql: pgString(Number.isInteger(n) && Math.abs(n) < 1e15 ? n.toFixed(1) : String(n)) };
      }
      return no('a blob default in a text column');
    case 'bytes':
      if (lit.kind === 'blob') return { sql: `'\\x${lit.hex}'::bytea` };
      if (lit.kind === 'string') return { sql: `'\\x${Buffer.from(lit.value, 'utf8').toString('hex')}'::bytea` };
      return no('not a blob or string literal');
    case 'date':
      return lit.kind === 'string' && ISO_DATE.test(lit.value) ? { sql: pgString(lit.value) } : no('not an ISO date');
    case 'timestamp':
      return lit.kind === 'string' && (ISO_TS.test(lit.value) || ISO_DATE.test(lit.value)) ? { sql: pgString(lit.value) } : no('not an ISO date-time');
    case 'timestamptz':
      return lit.kind === 'string' && ISO_TSTZ.test(lit.value) ? { sql: pgString(lit.value) } : no('not an ISO date-time with a zone');
    case 'uuid':
      return lit.kind === 'string' && canonicalUuid(lit.value) !== null ? { sql: pgString(canonicalUuid(lit.value)!) } : no('not a UUID');
    case 'time':
      return lit.kind === 'string' && typeof parseTimeOfDay(lit.value) === 'bigint' ? { sql: pgString(lit.value) } : no('not a time of day');
    case 'json':
    case 'jsonb': {
      const value = lit.kind === 'string' ? lit.value : asNumber;
      if (value === null) return no('not JSON');
      try {
        JSON.parse(value);
        return { sql: pgString(value) };
      } catch {
        return no('not valid JSON');
      }
    }
  }
}
