/**
 * Which table and column of one database is compared with which of the other: from a copy's plan
 * exactly as the copy paired them, or, for a standalone `ferry verify`, by name after the config's
 * renames and the renames an earlier copy recorded with its origin.
 */
import type { CopyConfig } from '../config/types.js';
import type { Engine } from '../engine/types.js';
import type { ValueReading } from '../engine/verify-roles.js';
import { roleOf } from '../engines/registry.js';
import { FerryError } from '../errors.js';
import type { Column, Schema } from '../schema/model.js';
import { isInternalTable } from '../schema/own-tables.js';
import type { LogicalType } from '../values/column-type.js';
import type { ColumnOrigin, RecordedOrigin } from './copy-origin.js';
import type { CopyPlan } from './copy-types.js';

/** A table on both sides with its columns paired and the logical type they are compared as. */
export interface TablePair {
  source: string;
  target: string;
  sourceColumns: string[];
  targetColumns: string[];
  /** null: compared as stored, exactly (two loosely typed sides, such as SQLite on both). */
  logicals: (LogicalType | null)[];
  /** How the loosely typed side's values are read (Unix-time units, zone-less date-times as UTC). */
  reading: (ValueReading | undefined)[];
  /** Declared column types on each side (a digester may pick a faster exact path by them). */
  sourceTypes: string[];
  targetTypes: string[];
  /** Source columns whose type was the user's or the app's choice (configured, or an existing target column). */
  configured?: string[];
  /** Primary key, as source and target column names, for --detailed. */
  sourceKey: string[];
  targetKey: string[];
  problem?: string;
}

/** The origin an earlier copy recorded, and whether it was found in the first database (keyed by its table names). */
export interface OriginFound {
  recorded: RecordedOrigin;
  onFrom: boolean;
}

/** What a standalone verify pairs by. */
export interface PairingInput {
  from: Engine;
  to: Engine;
  include?: string[];
  config?: CopyConfig;
  origin: OriginFound | null;
}

export function pairsFromPlan(plan: CopyPlan): TablePair[] {
  return plan.tables.map((t) => {
    const key = t.primaryKey?.columns ?? [];
    const byTarget = new Map(t.columns.map((c) => [c.target, c.source]));
    return {
      source: t.source,
      target: t.target,
      sourceColumns: t.columns.map((c) => c.source),
      targetColumns: t.columns.map((c) => c.target),
      logicals: t.columns.map((c) => c.logical),
      reading: t.columns.map(readingOf),
      configured: t.columns.filter((c) => c.configured).map((c) => c.source),
      sourceTypes: t.columns.map((c) => c.sourceType),
      targetTypes: t.columns.map((c) => c.targetType),
      targetKey: key,
      sourceKey: key.map((k) => byTarget.get(k) ?? k),
    };
  });
}

/** Pairs tables and columns by name (after the config's and the recorded renames) for a standalone verify. */
export function pairsFromSchemas(a: Schema, b: Schema, input: PairingInput): TablePair[] {
  const include = input.include ?? input.config?.include;
  const names = a.tables.map((t) => t.name).filter((n) => !isInternalTable(n));
  checkTablesExist(names, include, input.from);
  const excluded = new Set(input.config?.exclude ?? []);
  const compareAs = comparedAs(input.from, input.to);
  const paired = names.filter((n) => (include ? include.includes(n) : !excluded.has(n))).map((name) => pairTable(a, b, name, input, compareAs));
  if (include) return paired;
  // Both ways: a table only the second database has is a difference too.
  const seen = new Set(paired.map((p) => p.target));
  const extra = b.tables.map((t) => t.name).filter((n) => !isInternalTable(n) && !seen.has(n) && !excluded.has(n));
  return [...paired, ...extra.map((name) => ({ ...emptyPair(name, name), problem: `only in ${input.to.displayUrl}, not in ${input.from.displayUrl}` }))];
}

function checkTablesExist(names: string[], include: string[] | undefined, from: Engine): void {
  for (const n of include ?? []) {
    if (!names.includes(n)) {
      throw new FerryError('TABLE_MISSING', `There is no table "${n}" in ${from.displayUrl}.`, {
        subject: n,
        hint: `Tables there: ${names.join(', ') || '(none)'}.`,
      });
    }
  }
  if (names.length === 0) {
    throw new FerryError('TABLE_MISSING', `${from.displayUrl} has no tables, so there is nothing to verify.`, {
      subject: from.displayUrl,
      hint: 'Check the path or URL: a mistyped SQLite path, or a 0-byte file, is an empty database.',
    });
  }
}

type CompareAs = (source: Column, target: Column) => LogicalType | null;

/**
 * How paired columns are compared: as the logical type a strictly typed side's declared type
 * says its values are; with two loosely typed sides (SQLite on both), as stored, exactly.
 */
function comparedAs(from: Engine, to: Engine): CompareAs {
  const declared = (engine: Engine, c: Column) =>
    roleOf(engine, 'typeMapper').read({ table: '', column: c.name, declared: c.type, jsonb: false, integers: 'fit' }).type.logical;
  if (from.capabilities.strictTypes) return (s) => declared(from, s);
  if (to.capabilities.strictTypes) return (_, t) => declared(to, t);
  return () => null;
}

function emptyPair(source: string, target: string): TablePair {
  return { source, target, sourceColumns: [], targetColumns: [], logicals: [], reading: [], sourceTypes: [], targetTypes: [], sourceKey: [], targetKey: [] };
}

function pairTable(a: Schema, b: Schema, name: string, input: PairingInput, compareAs: CompareAs): TablePair {
  const cfg = input.config?.tables?.[name];
  const ta = a.tables.find((t) => t.name === name)!;
  const link = originLink(input.origin, name);
  const targetName = cfg?.as ?? link?.table ?? name;
  const tb = b.tables.find((t) => t.name === targetName);
  if (!tb) return { ...emptyPair(name, targetName), problem: `no table "${targetName}" in ${input.to.displayUrl}` };
  const rename = (c: string) => cfg?.columns?.[c]?.as ?? link?.columns.get(c)?.name ?? c;
  const other = (c: Column) => tb.columns.find((x) => x.name === rename(c.name));
  const missing = ta.columns.filter((c) => !other(c)).map((c) => c.name);
  if (missing.length) return { ...emptyPair(name, targetName), problem: `column(s) ${missing.join(', ')} missing in ${input.to.displayUrl}` };
  const key = ta.primaryKey?.columns ?? [];
  return {
    source: name,
    target: targetName,
    sourceColumns: ta.columns.map((c) => c.name),
    targetColumns: ta.columns.map((c) => rename(c.name)),
    logicals: ta.columns.map((c) => compareAs(c, other(c)!)),
    reading: ta.columns.map((c) => link?.columns.get(c.name)?.reading),
    sourceTypes: ta.columns.map((c) => c.type),
    targetTypes: ta.columns.map((c) => other(c)!.type),
    sourceKey: key,
    targetKey: key.map(rename),
  };
}

/** The counterpart of a first-database table recorded by a copy's origin: its name there, and its columns' names and readings. */
function originLink(origin: OriginFound | null, name: string): { table: string; columns: Map<string, { name: string; reading?: ValueReading }> } | null {
  if (!origin) return null;
  // The origin is kept in a copy's target, keyed by the target's table names, and names each
  // column's original in the copy's source.
  const { recorded, onFrom } = origin;
  const entry = onFrom ? ([name, recorded.tables[name]] as const) : Object.entries(recorded.tables).find(([, o]) => o.table === name);
  const found = entry?.[1];
  if (!entry || !found) return null;
  const columns = new Map(
    found.columns.map((c) => (onFrom ? [c.target, { name: c.source, reading: readingOf(c) }] : [c.source, { name: c.target, reading: readingOf(c) }])),
  );
  return { table: onFrom ? found.table : entry[0], columns };
}

function readingOf(c: Pick<ColumnOrigin, 'epoch' | 'zonelessUtc'>): ValueReading | undefined {
  return c.epoch || c.zonelessUtc ? { ...(c.epoch ? { epoch: c.epoch } : {}), ...(c.zonelessUtc ? { zonelessUtc: true } : {}) } : undefined;
}
