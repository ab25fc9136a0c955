/**
 * Verify's second half: equal values are not enough, the two schemas must mean the same to the app.
 * Each column is read on both sides by its engine's type mapper into the neutral type (from the
 * declared type alone, as drivers and ORMs read it), and the two tables' columns, nullability,
 * defaults, keys, unique constraints and indexes are compared. A difference that changes how the
 * app behaves (a boolean that became an integer, a case-insensitive UNIQUE that became case-
 * sensitive, a default that went away) fails the verify; one that does not (a dropped VARCHAR
 * limit SQLite never enforced, a missing non-unique index) is a warning. Pure: schemas are data.
 */
import { engineLabel, roleOf } from '../engines/registry.js';
import type { Dialect } from '../engine/types.js';
import type { Column, Schema, Table } from '../schema/model.js';
import { ROWID_KEY_COLUMN } from '../schema/own-tables.js';
import type { ColumnType } from '../values/column-type.js';

/** One way the two schemas differ. */
export interface SchemaDifference {
  /** The table, by its source name. */
  table: string;
  column?: string;
  /** 'behaviour': the app would behave differently (verify fails); 'cosmetic': a warning. */
  severity: 'behaviour' | 'cosmetic';
  /** Stable code: TYPE, CASE, NULLABLE, DEFAULT, PRIMARY_KEY, UNIQUE, INDEX, FOREIGN_KEY, CHECK, WIDTH, SCALE, LENGTH. */
  kind: string;
  message: string;
}

/** A table on both sides, with its columns paired (source name -> target name). */
export interface MeaningPair {
  source: string;
  target: string;
  columns: Map<string, string>;
  /** Source columns whose type the user configured (a difference there is their choice: cosmetic). */
  configured?: Set<string>;
  /** The target table is the app's own (made by its migrations before the copy): every difference is its choice. */
  appSchema?: boolean;
}

/** What a column means to an app, per kind of value. */
type Kind = 'integer' | 'float' | 'decimal' | 'boolean' | 'text' | 'bytes' | 'date' | 'time' | 'timestamp' | 'json' | 'uuid' | 'any';

function kindOf(t: ColumnType): Kind {
  if (t.loose) return 'any';
  switch (t.logical) {
    case 'int64':
      return 'integer';
    case 'float64':
      return 'float';
    case 'numeric':
      return 'decimal';
    case 'text':
    case 'pgtext':
      return 'text';
    case 'timestamptz':
      return 'timestamp';
    case 'jsonb':
      return 'json';
    default:
      return t.logical;
  }
}

const KIND_WORDS: Record<Kind, string> = {
  integer: 'an integer',
  float: 'a floating-point number',
  decimal: 'an exact decimal',
  boolean: 'a boolean',
  text: 'text',
  bytes: 'bytes',
  date: 'a date',
  time: 'a time of day',
  timestamp: 'a date-time',
  json: 'JSON',
  uuid: 'a UUID',
  any: 'any value',
};

/** Compares what each pair of tables means on the two sides. */
export function compareMeaning(from: Schema, to: Schema, pairs: MeaningPair[]): SchemaDifference[] {
  const out: SchemaDifference[] = [];
  const names = { from: engineLabel(from.dialect), to: engineLabel(to.dialect) };
  for (const pair of pairs) {
    const a = from.tables.find((t) => t.name === pair.source);
    const b = to.tables.find((t) => t.name === pair.target);
    if (!a || !b) continue;
    compareTables(a, b, from.dialect, to.dialect, pair, names, out);
  }
  return out;
}

function compareTables(a: Table, b: Table, da: Dialect, db: Dialect, pair: MeaningPair, names: { from: string; to: string }, out: SchemaDifference[]): void {
  const add = (severity: SchemaDifference['severity'], kind: string, message: string, column?: string) =>
    out.push({ table: a.name, ...(column ? { column } : {}), severity: pair.appSchema ? 'cosmetic' : severity, kind, message });
  const col = (name: string) => pair.columns.get(name) ?? name;
  for (const ca of a.columns) {
    const cb = b.columns.find((x) => x.name === col(ca.name));
    if (!cb) continue;
    const where = `${a.name}.${ca.name}`;
    const ta = meaning(ca, da);
    const tb = meaning(cb, db);
    const ka = kindOf(ta);
    const kb = kindOf(tb);
    const chosen = pair.configured?.has(ca.name) ? 'cosmetic' : 'behaviour';
    if (ka !== kb && ka !== 'any' && kb !== 'any') {
      // A date or time of day kept as a date-time loses nothing (Rails stores times on 2000-01-01).
      const widened = (ka === 'timestamp' && (kb === 'date' || kb === 'time')) || (kb === 'timestamp' && (ka === 'date' || ka === 'time'));
      add(
        widened ? 'cosmetic' : chosen,
        'TYPE',
        `${where} is ${KIND_WORDS[ka]} on ${names.from} (${ca.type || 'no declared type'}) but ${KIND_WORDS[kb]} on ${names.to} (${cb.type || 'no declared type'})`,
        ca.name,
      );
    } else if (ka === kb) {
      if (ka === 'integer' && (ta.intBits ?? 64) !== (tb.intBits ?? 64))
        add(
          'cosmetic',
          'WIDTH',
          `${where} is ${ca.type} on ${names.from} and ${cb.type} on ${names.to}${(tb.intBits ?? 64) === 64 || (ta.intBits ?? 64) === 64 ? ' (node-postgres reads bigint as strings, other integers as numbers)' : ''}`,
          ca.name,
        );
      if (ka === 'decimal' && (ta.precision !== tb.precision || ta.scale !== tb.scale))
        add('cosmetic', 'SCALE', `${where} is ${ca.type} on ${names.from} and ${cb.type} on ${names.to}`, ca.name);
      if (ka === 'text' && ta.maxLength !== tb.maxLength && !lengthChecked(ta, tb, a, b, ca.name, cb.name))
        add('cosmetic', 'LENGTH', `${where} is ${ca.type || 'text'} on ${names.from} and ${cb.type} on ${names.to}`, ca.name);
    }
    if ((ka === 'text' || ka === 'any') && (kb === 'text' || kb === 'any') && !!ta.caseInsensitive !== !!tb.caseInsensitive) {
      const sensitive = (t: ColumnType) => (t.caseInsensitive ? 'case-insensitive' : 'case-sensitive');
      add(
        'behaviour',
        'CASE',
        `${where} compares ${sensitive(ta)} on ${names.from} but ${sensitive(tb)} on ${names.to}${isUnique(a, ca.name) ? ': its UNIQUE constraint accepts other values there' : ''}`,
        ca.name,
      );
    }
    const nullableA = ca.nullable && !isKeyColumn(a, ca.name);
    const nullableB = cb.nullable && !isKeyColumn(b, cb.name);
    if (nullableA && !nullableB) add('behaviour', 'NULLABLE', `${where} accepts NULL on ${names.from} but not on ${names.to}`, ca.name);
    if (!nullableA && nullableB) add('cosmetic', 'NULLABLE', `${where} refuses NULL on ${names.from} but accepts it on ${names.to}`, ca.name);
    const defA = hasDefault(a, ca, da);
    const defB = hasDefault(b, cb, db);
    const shown = (c: Column) => c.default ?? 'it numbers itself';
    if (defA && !defB)
      add(
        'behaviour',
        'DEFAULT',
        `${where} has a default on ${names.from} (${shown(ca)}) but none on ${names.to}: an insert that leaves it out gets NULL there`,
        ca.name,
      );
    if (!defA && defB) add('cosmetic', 'DEFAULT', `${where} has a default on ${names.to} (${shown(cb)}) but none on ${names.from}`, ca.name);
  }
  // The rowid key ferry sync gives a keyless table is ferry's bookkeeping, not the app's key.
  const appKey = (t: Table) => (t.primaryKey?.columns ?? []).filter((c) => c !== ROWID_KEY_COLUMN);
  const keyA = appKey(a).map(col);
  const keyB = appKey(b);
  if (keyA.join('\u0000') !== keyB.join('\u0000'))
    add(
      'behaviour',
      'PRIMARY_KEY',
      `${a.name}'s primary key is (${keyA.join(', ') || 'none'}) on ${names.from} but (${keyB.join(', ') || 'none'}) on ${names.to}`,
    );
  const setsA = uniqueSets(a).map((s) => s.map(col));
  const setsB = uniqueSets(b);
  for (const s of setsA)
    if (!setsB.some((x) => sameSet(x, s))) add('behaviour', 'UNIQUE', `${a.name} (${s.join(', ')}) is unique on ${names.from} but not on ${names.to}`);
  for (const s of setsB)
    if (!setsA.some((x) => sameSet(x, s))) add('behaviour', 'UNIQUE', `${a.name} (${s.join(', ')}) is unique on ${names.to} but not on ${names.from}`);
  const plainA = a.indexes.filter((i) => !i.unique && !i.hasExpressions).map((i) => i.columns.map(col));
  const plainB = b.indexes.filter((i) => !i.unique && !i.hasExpressions).map((i) => i.columns);
  for (const s of plainA)
    if (!plainB.some((x) => x.join('\u0000') === s.join('\u0000')))
      add('cosmetic', 'INDEX', `${a.name} has an index on (${s.join(', ')}) on ${names.from} but not on ${names.to} (queries on it may be slower)`);
  for (const fk of a.foreignKeys) {
    const cols = fk.columns.map(col);
    if (!b.foreignKeys.some((x) => sameSet(x.columns, cols)))
      add('cosmetic', 'FOREIGN_KEY', `${a.name} (${cols.join(', ')}) references ${fk.refTable} on ${names.from} but has no foreign key on ${names.to}`);
  }
  // Checks ferry adds to keep a VARCHAR limit on a citext column are the limit, not a CHECK of the app's.
  const appChecks = (t: Table) => t.checks.filter((c) => !/^\(*char_length\s*\(/i.test(c.expression)).length;
  if (appChecks(a) !== appChecks(b))
    add('cosmetic', 'CHECK', `${a.name} has ${appChecks(a)} CHECK constraint(s) on ${names.from} but ${appChecks(b)} on ${names.to}`);
}

/** A case-insensitive column's limit kept as a CHECK (citext has no length) on the side without one. */
function lengthChecked(ta: ColumnType, tb: ColumnType, a: Table, b: Table, na: string, nb: string): boolean {
  const checked = (t: Table, name: string) => t.checks.some((c) => /char_length\s*\(/i.test(c.expression) && c.expression.includes(name));
  return (
    (ta.caseInsensitive === true && ta.maxLength === undefined && checked(a, na)) ||
    (tb.caseInsensitive === true && tb.maxLength === undefined && checked(b, nb))
  );
}

/** A column's neutral type as its declaration reads (no profile: what a driver or ORM sees). */
function meaning(c: Column, dialect: Dialect): ColumnType {
  return roleOf(dialect, 'typeMapper').read({
    table: '',
    column: c.name,
    declared: c.type,
    ...(c.collation ? { collation: c.collation } : {}),
    jsonb: false,
    integers: 'fit',
  }).type;
}

function hasDefault(t: Table, c: Column, dialect: Dialect): boolean {
  if (c.generated) return true;
  // DEFAULT NULL is what no default gives anyway.
  if (c.default !== null && !/^\(*\s*NULL\s*\)*(::[\w\s]+)?$/i.test(c.default.trim())) return true;
  // A column the engine numbers itself (SQLite's INTEGER PRIMARY KEY) has one, as an identity column does.
  return roleOf(dialect, 'typeMapper').numbersItself?.(t, c) ?? false;
}

function isKeyColumn(t: Table, column: string): boolean {
  return t.primaryKey?.columns.includes(column) ?? false;
}

function isUnique(t: Table, column: string): boolean {
  return uniqueSets(t).some((s) => s.length === 1 && s[0] === column);
}

/** Column sets a table holds unique: constraints and full (not partial, not expression) unique indexes. */
function uniqueSets(t: Table): string[][] {
  const sets = [...t.uniques.map((u) => u.columns), ...t.indexes.filter((i) => i.unique && !i.where && !i.hasExpressions).map((i) => i.columns)];
  const out: string[][] = [];
  for (const s of sets) if (!out.some((x) => sameSet(x, s))) out.push(s);
  return out;
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}
