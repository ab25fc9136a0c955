import type Database from 'better-sqlite3';
import type { ProfileFacts } from '../../engine/type-mapper.js';
import { affinityOf } from '../../schema/declared-type.js';
import { loadNativeExtension } from './sqlite-native.js';
import { quoteSqliteIdent } from './sqlite-tokens.js';

/** Which extra checks one column's profile runs (each costs CPU per row, so only when asked). */
export interface ProfileColumnRequest {
  name: string;
  /** The declared type: its affinity tells which storage classes the column can hold. */
  type?: string;
  /** Count ISO dates / date-times / zoned date-times among text values. */
  checkTimestamps?: boolean;
  /** Count text values that are valid JSON. */
  checkJson?: boolean;
  /** Work out whether every integer is 0 or 1. */
  checkBoolean?: boolean;
  /** Count text values that are plain decimal literals (a `NUMERIC_TEXT` column written by ferry). */
  checkNumericText?: boolean;
  /** Count text values that are UUIDs, and their forms. */
  checkUuid?: boolean;
  /** Find the longest text value (characters). */
  checkLength?: boolean;
  /** Count values that fit numeric(precision, scale) exactly. */
  decimal?: { precision: number; scale: number };
}

/** A whole table's profile: row count, largest rowid and one profile per requested column. */
export interface TableProfile {
  rows: number;
  /** max(rowid) of a rowid table (null when empty or WITHOUT ROWID). */
  maxRowid: bigint | null;
  columns: ProfileFacts[];
}

/** Profiles the given columns of a table in one aggregate scan; see profileSqliteTableFull. */
export function profileSqliteTable(db: Database.Database, table: string, columns: ProfileColumnRequest[], allowNative = true): ProfileFacts[] {
  return profileSqliteTableFull(db, table, columns, false, allowNative).columns;
}

/**
 * Profiles a table with ONE aggregate query (one table scan whatever the column count).
 * Speed matters (it reads every row of the source), so the query avoids per-row function calls
 * where SQLite's type ordering can answer instead: every number sorts below any text and every
 * blob above it, so `c < ''` means "integer or real" and `c >= x''` means "blob" with plain
 * comparisons. Counting with FILTER steps an aggregate only for the rows that match, and the
 * costly checks (typeof, shapes, json_valid, NUL search) only run on rows their cheap gate lets
 * through. `affinity` skips what the column cannot hold (TEXT affinity never stores numbers,
 * REAL affinity stores every number as a real).
 */
export function profileSqliteTableFull(
  db: Database.Database,
  table: string,
  columns: ProfileColumnRequest[],
  rowid: boolean,
  allowNative = true,
): TableProfile {
  // One scan per group of columns: a result row holds at most 2000 columns, and a wide table
  // (SQLite allows 2000) needs several per column.
  const group = allowNative ? 400 : 80;
  if (columns.length > group) {
    const parts: TableProfile[] = [];
    for (let i = 0; i < columns.length; i += group) parts.push(profileSqliteTableFull(db, table, columns.slice(i, i + group), rowid, allowNative));
    return { rows: parts[0]!.rows, maxRowid: parts[0]!.maxRowid, columns: parts.flatMap((p) => p.columns) };
  }
  if (allowNative && loadNativeExtension(db)) return profileNatively(db, table, columns, rowid);
  const parts: string[] = ['count(*)', rowid ? 'max(rowid)' : 'NULL'];
  const layout: string[][] = [];
  for (const col of columns) {
    const c = quoteSqliteIdent(col.name);
    const affinity = affinityOf(col.type ?? '');
    const fields: string[] = [];
    const add = (field: string, expr: string) => {
      fields.push(field);
      parts.push(expr);
    };
    const count = (cond: string) => `count(*) FILTER (WHERE ${cond})`;
    const isNumber = `${c} < ''`;
    const isText = `${c} >= '' AND ${c} < x''`;
    add('nonNull', `count(${c})`);
    if (affinity !== 'TEXT') {
      add('numbers', count(isNumber));
      if (affinity !== 'REAL') {
        add('reals', count(`${isNumber} AND typeof(${c}) = 'real'`));
        add('minInteger', `min(${c}) FILTER (WHERE ${isNumber})`);
        add('maxInteger', `max(${c}) FILTER (WHERE ${isNumber})`);
      }
    }
    add('blobs', count(`${c} >= x''`));
    // A blob cast keeps the bytes, so instr() finds a NUL that text functions would stop at.
    add('textWithNul', count(`${isText} AND instr(CAST(${c} AS BLOB), x'00') > 0`));
    if (col.checkBoolean && affinity !== 'TEXT') add('notZeroOne', count(`${isNumber} AND ${c} NOT IN (0, 1)`));
    if (col.checkTimestamps) {
      add('textDates', count(isoDateSql(c)));
      // Blobs could match the shapes too, but a column with blobs and texts is mixed and never a timestamp.
      add('textTimestamps', count(isoTimestampSql(c)));
      add('textTimestampsTz', count(`length(${c}) BETWEEN 17 AND 33 AND substr(${c}, 17) GLOB '*[-+Zz]*' AND ${isoTimestampTzSql(c)}`));
    }
    if (col.checkTimestamps) {
      add('textTimes', count(`${isText} AND ${isoTimeSql(c)}`));
      const isDateTime = `(${isoDateSql(c)} OR ${isoTimestampSql(c)} OR ${isoTimestampTzSql(c)})`;
      add(
        'separators',
        `group_concat(DISTINCT CASE WHEN ${isDateTime} THEN CASE WHEN length(${c}) = 10 THEN 4 WHEN substr(${c}, 11, 1) = 'T' THEN 2 ELSE 1 END END)`,
      );
      // Times of day count their fraction digits too (a TIME column's style).
      add(
        'fractions',
        `group_concat(DISTINCT CASE WHEN length(${c}) > 10 AND ${isDateTime} THEN ${fractionDigitsSql(c)} WHEN ${isText} AND ${isoTimeSql(c)} THEN (CASE WHEN length(${c}) >= 10 THEN length(${c}) - 9 ELSE 0 END) END)`,
      );
      add('zones', `group_concat(DISTINCT CASE WHEN length(${c}) > 10 AND ${isDateTime} THEN ${zoneShapeSql(c)} END)`);
    }
    if (col.checkJson) add('textJson', count(`${isText} AND json_valid(${c})`));
    if (col.checkNumericText) add('textNumeric', count(`${isText} AND ${decimalTextSql(c)}`));
    if (col.checkUuid) {
      const isUuid = `${isText} AND ${uuidSql(c)}`;
      add('textUuids', count(isUuid));
      add('uuidLower', count(`${isUuid} AND ${c} GLOB '*[a-f]*'`));
      add('uuidUpper', count(`${isUuid} AND ${c} GLOB '*[A-F]*'`));
      add('uuidHyphens', count(`${isUuid} AND length(${c}) = 36`));
      add('uuidCompact', count(`${isUuid} AND length(${c}) = 32`));
    }
    if (col.checkLength) add('maxTextLength', `max(length(${c})) FILTER (WHERE ${isText})`);
    if (col.decimal) add('decimalFits', count(decimalFitsSql(c, col.decimal.precision, col.decimal.scale)));
    layout.push(fields);
  }
  const row = db
    .prepare(`SELECT ${parts.join(',\n  ')} FROM ${quoteSqliteIdent(table)}`)
    .raw(true)
    .get() as unknown[];
  let k = 2;
  const profiles = layout.map((fields) => {
    const v: Record<string, unknown> = {};
    for (const f of fields) v[f] = row[k++];
    return toProfile(v, Number(row[0] as bigint));
  });
  return { rows: Number(row[0] as bigint), maxRowid: (row[1] as bigint | null) ?? null, columns: profiles };
}

function toProfile(v: Record<string, unknown>, rows: number): ProfileFacts {
  const n = (x: unknown) => (x === undefined || x === null ? 0 : Number(x as bigint));
  const nonNull = n(v.nonNull);
  const numbers = n(v.numbers);
  // REAL affinity stores every number as a real; elsewhere the reals were counted.
  const reals = 'reals' in v ? n(v.reals) : numbers;
  const p: ProfileFacts = {
    nulls: rows - nonNull,
    integers: numbers - reals,
    reals,
    texts: nonNull - numbers - n(v.blobs),
    blobs: n(v.blobs),
    textWithNul: n(v.textWithNul),
  };
  // min/max ran over all numbers: they are the integer range only when there are no reals.
  if (typeof v.minInteger === 'bigint' && typeof v.maxInteger === 'bigint' && reals === 0) {
    p.minInteger = v.minInteger;
    p.maxInteger = v.maxInteger;
  }
  if ('notZeroOne' in v) p.allZeroOne = p.integers > 0 && p.reals === 0 && n(v.notZeroOne) === 0;
  else if (p.integers === 0 || p.reals > 0) p.allZeroOne = false;
  if ('textDates' in v) {
    p.textDates = n(v.textDates);
    p.textTimestamps = n(v.textTimestamps);
    p.textTimestampsTz = n(v.textTimestampsTz);
  }
  if ('textJson' in v) p.textJson = n(v.textJson);
  if ('textNumeric' in v) p.textNumeric = n(v.textNumeric);
  if ('textTimes' in v) {
    p.textTimes = n(v.textTimes);
    const bits = (x: unknown, shift: boolean) =>
      String(x ?? '')
        .split(',')
        .filter(Boolean)
        .reduce((m, b) => m | (shift ? 1 << Number(b) : Number(b)), 0);
    p.timestampForms = { separators: bits(v.separators, false), fractions: bits(v.fractions, true), zones: bits(v.zones, false) };
  }
  if ('textUuids' in v) {
    p.textUuids = n(v.textUuids);
    p.uuidForms = (n(v.uuidLower) ? 1 : 0) | (n(v.uuidUpper) ? 2 : 0) | (n(v.uuidHyphens) ? 4 : 0) | (n(v.uuidCompact) ? 8 : 0);
  }
  if ('maxTextLength' in v) p.maxTextLength = n(v.maxTextLength);
  if ('decimalFits' in v) p.decimalFits = n(v.decimalFits);
  return p;
}

/**
 * A valid calendar date at the start of `e` (shape already checked by GLOB): a date() round trip,
 * which normalises 2024-02-30 to 2024-03-01 and turns month 13 into NULL, so both fail. Year 0000
 * is refused: PostgreSQL has no year 0. (Not `e >= '0001'`: under NUMERIC affinity the literal
 * would become the number 1.)
 */
function calendarSql(e: string): string {
  return `(substr(${e}, 1, 4) <> '0000' AND date(substr(${e}, 1, 10)) IS substr(${e}, 1, 10))`;
}

const DATE_GLOB = '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]';

/** `YYYY-MM-DD`, strictly: shape by GLOB, then a valid calendar date. */
export function isoDateSql(e: string): string {
  return `(length(${e}) = 10 AND ${e} GLOB '${DATE_GLOB}' AND ${calendarSql(e)})`;
}

/**
 * GLOB patterns of a zone-less ISO date-time of each possible length: 16 (`HH:MM`), 19 (`:SS`),
 * 21-26 (1 to 6 fractional digits; more would be rounded by PostgreSQL, so not exact).
 */
function timestampGlobs(hour: string): Map<number, string> {
  const base = `${DATE_GLOB}[ T]${hour}:[0-5][0-9]`;
  const out = new Map<number, string>([
    [16, base],
    [19, `${base}:[0-5][0-9]`],
  ]);
  for (let n = 1; n <= 6; n++) out.set(20 + n, `${base}:[0-5][0-9].${'[0-9]'.repeat(n)}`);
  return out;
}
const GLOBS_00_19 = timestampGlobs('[01][0-9]');
const GLOBS_20_23 = timestampGlobs('2[0-3]');

/**
 * `YYYY-MM-DD HH:MM[:SS[.f{1,6}]]` with a space or `T`, no zone. It runs on every row, so it is
 * built for few calls: one length(), then the one exact GLOB pattern for that length (a second
 * only for hours 20-23), then the calendar check.
 */
export function isoTimestampSql(e: string): string {
  const arms = [...GLOBS_00_19.keys()].map((len) => `WHEN ${len} THEN ${e} GLOB '${GLOBS_00_19.get(len)}' OR ${e} GLOB '${GLOBS_20_23.get(len)}'`).join(' ');
  return `(CASE length(${e}) ${arms} ELSE 0 END AND ${calendarSql(e)})`;
}

/**
 * An ISO date-time as above followed by a zone: `Z`, `+hh:mm`, `+hhmm` or `+hh` (PostgreSQL's own
 * output), with or without one space before it (`... +00:00`, as Sequelize writes). The zone is
 * found by looking at fixed positions from the end, cheaper than GLOB '*…'.
 */
export function isoTimestampTzSql(e: string): string {
  // The date-time before the zone, which must have a time of day (16+ characters).
  const body = (cut: number) => {
    const spaced = `substr(${e}, 1, length(${e}) - ${cut + 1})`;
    return `(length(${e}) - ${cut} >= 16 AND (${isoTimestampSql(`substr(${e}, 1, length(${e}) - ${cut})`)} OR (substr(${e}, ${-cut - 1}, 1) = ' ' AND length(${e}) - ${cut} > 16 AND ${isoTimestampSql(spaced)})))`;
  };
  const sign = (at: number) => `substr(${e}, ${at}, 1) IN ('+', '-')`;
  return (
    `(CASE WHEN substr(${e}, -1) IN ('Z', 'z') THEN ${body(1)}` +
    ` WHEN ${sign(-6)} THEN substr(${e}, -5) GLOB '[01][0-9]:[0-5][0-9]' AND substr(${e}, -5, 2) <= '15' AND ${body(6)}` +
    ` WHEN ${sign(-5)} THEN substr(${e}, -4) GLOB '[01][0-9][0-5][0-9]' AND substr(${e}, -4, 2) <= '15' AND ${body(5)}` +
    ` WHEN ${sign(-3)} THEN substr(${e}, -2) GLOB '[01][0-9]' AND substr(${e}, -2) <= '15' AND ${body(3)} ELSE 0 END)`
  );
}

/** `HH:MM[:SS[.f{1,6}]]`: a time of day (hours 00-23). */
export function isoTimeSql(e: string): string {
  const hm = `(${e} GLOB '[01][0-9]:[0-5][0-9]*' OR ${e} GLOB '2[0-3]:[0-5][0-9]*')`;
  const arms = [5, 8, 10, 11, 12, 13, 14, 15].map((len) => `WHEN ${len} THEN ${e} GLOB '${timeGlob(len)}'`).join(' ');
  return `(${hm} AND CASE length(${e}) ${arms} ELSE 0 END)`;
}

function timeGlob(len: number): string {
  if (len === 5) return '[0-9][0-9]:[0-9][0-9]';
  if (len === 8) return '[0-9][0-9]:[0-9][0-9]:[0-5][0-9]';
  return `[0-9][0-9]:[0-9][0-9]:[0-5][0-9].${'[0-9]'.repeat(len - 9)}`;
}

/** Digits after the seconds' point of a date-time (0 when none). */
function fractionDigitsSql(e: string): string {
  const after = `substr(${e}, 21)`;
  return `(CASE WHEN substr(${e}, 20, 1) = '.' THEN length(${after}) - length(ltrim(${after}, '0123456789')) ELSE 0 END)`;
}

/** The zone's shape bit of a date-time (see ColumnProfile.timestampForms), from what follows the time. */
function zoneShapeSql(e: string): string {
  const z = `ltrim(substr(${e}, 17), ':.0123456789')`;
  const bare = `ltrim(${z}, ' ')`;
  return `((CASE WHEN substr(${z}, 1, 1) = ' ' THEN 32 ELSE 0 END) + (CASE length(${bare}) WHEN 0 THEN 1 WHEN 1 THEN 2 WHEN 6 THEN 4 WHEN 5 THEN 8 WHEN 3 THEN 16 ELSE 0 END))`;
}

const HEX = '[0-9a-fA-F]';

/** A UUID: 8-4-4-4-12 hex digits with hyphens, or 32 hex digits. */
function uuidSql(e: string): string {
  const h = (n: number) => HEX.repeat(n);
  return `(CASE length(${e}) WHEN 36 THEN ${e} GLOB '${h(8)}-${h(4)}-${h(4)}-${h(4)}-${h(12)}' WHEN 32 THEN ${e} GLOB '${h(32)}' ELSE 0 END)`;
}

/**
 * Values that fit numeric(precision, scale) exactly, the same rule as the native aggregate: whole
 * numbers with at most precision-scale digits, reals that round to the scale without change, and
 * plain decimal texts whose digits fit once leading and trailing zeros are dropped.
 */
function decimalFitsSql(e: string, precision: number, scale: number): string {
  const whole = precision - scale;
  const limit = whole >= 19 ? null : 10n ** BigInt(whole);
  const ints = limit === null ? `typeof(${e}) = 'integer'` : `(typeof(${e}) = 'integer' AND ${e} > -${limit} AND ${e} < ${limit})`;
  const reals = `(typeof(${e}) = 'real' AND abs(${e}) < ${limit === null ? '1e308' : `${limit}.0`} AND round(${e}, ${scale}) = ${e})`;
  const digits = `ltrim(ltrim(${e}, '-'), '0')`;
  const point = `instr(${digits} || '.', '.')`;
  const fraction = `rtrim(substr(${digits}, ${point} + 1), '0')`;
  const texts = `(typeof(${e}) = 'text' AND ${decimalTextSql(e)} AND ${e} NOT IN ('NaN', 'Infinity', '-Infinity') AND ${point} - 1 <= ${whole} AND length(${fraction}) <= ${scale})`;
  return `(${ints} OR ${reals} OR ${texts})`;
}

/** A plain decimal literal as PostgreSQL prints numeric: `-12.50`, `7`, `NaN`, `Infinity`. */
export function decimalTextSql(e: string): string {
  const digits = `ltrim(${e}, '-')`;
  return (
    `(${e} IN ('NaN', 'Infinity', '-Infinity') OR (${digits} GLOB '[0-9]*' AND ${digits} GLOB '*[0-9]'` +
    ` AND NOT ${digits} GLOB '*[^0-9.]*' AND NOT ${digits} GLOB '*.*.*' AND length(${e}) - length(${digits}) <= 1))`
  );
}

/** Largest value handed out by an AUTOINCREMENT table (sqlite_sequence), or null. */
export function sqliteSequenceValue(db: Database.Database, table: string): bigint | null {
  const exists = db.prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'sqlite_sequence'`).get();
  if (!exists) return null;
  const v = db.prepare('SELECT seq FROM sqlite_sequence WHERE name = ?').pluck().get(table) as bigint | number | undefined;
  return v === undefined || v === null ? null : BigInt(v);
}

/**
 * The same profile through the native `ferry_profile` aggregate (ferry-profile.inc.c), which looks
 * at each value once in C: about ten times faster than the SQL above, whose per-row expressions
 * made profiling cost as much as the copy itself. JSON validity stays SQLite's own json_valid().
 */
function profileNatively(db: Database.Database, table: string, columns: ProfileColumnRequest[], rowid: boolean): TableProfile {
  const parts: string[] = ['count(*)', rowid ? 'max(rowid)' : 'NULL'];
  for (const col of columns) {
    const c = quoteSqliteIdent(col.name);
    const flags = (col.checkTimestamps ? 1 : 0) | (col.checkNumericText ? 2 : 0) | (col.checkUuid ? 4 : 0) | (col.checkLength ? 8 : 0) | (col.decimal ? 16 : 0);
    parts.push(`ferry_profile(${c}, ${flags}${col.decimal ? `, ${col.decimal.precision}, ${col.decimal.scale}` : ''})`);
    parts.push(col.checkJson ? `count(*) FILTER (WHERE ${c} >= '' AND ${c} < x'' AND json_valid(${c}))` : 'NULL');
  }
  const row = db
    .prepare(`SELECT ${parts.join(', ')} FROM ${quoteSqliteIdent(table)}`)
    .raw(true)
    .get() as unknown[];
  const rows = Number(row[0] as bigint);
  const profiles = columns.map((col, i): ProfileFacts => {
    const [
      nulls,
      ints,
      reals,
      texts,
      blobs,
      min,
      max,
      notZeroOne,
      nul,
      dates,
      ts,
      tstz,
      numeric,
      times,
      uuids,
      maxLength,
      fits,
      separators,
      fractions,
      zones,
      uuidForms,
    ] = String(row[2 + 2 * i]).split(' ');
    const n = Number;
    const p: ProfileFacts = { nulls: n(nulls), integers: n(ints), reals: n(reals), texts: n(texts), blobs: n(blobs), textWithNul: n(nul) };
    if (p.integers > 0 && p.reals === 0) {
      p.minInteger = BigInt(min!);
      p.maxInteger = BigInt(max!);
    }
    p.allZeroOne = p.integers > 0 && n(notZeroOne) === 0 && p.reals === 0;
    if (col.checkTimestamps) {
      p.textDates = n(dates);
      p.textTimestamps = n(ts);
      p.textTimestampsTz = n(tstz);
      p.textTimes = n(times);
      p.timestampForms = { separators: n(separators), fractions: n(fractions), zones: n(zones) };
    }
    if (col.checkJson) p.textJson = Number(row[3 + 2 * i] as bigint);
    if (col.checkNumericText) p.textNumeric = n(numeric);
    if (col.checkUuid) {
      p.textUuids = n(uuids);
      p.uuidForms = n(uuidForms);
    }
    if (col.checkLength) p.maxTextLength = n(maxLength);
    if (col.decimal) p.decimalFits = n(fits);
    return p;
  });
  return { rows, maxRowid: (row[1] as bigint | null) ?? null, columns: profiles };
}
