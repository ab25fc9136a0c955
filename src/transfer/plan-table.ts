/**
 * Plans one table of a copy from its introspected model and the facts gathered from the source
 * (profiles, row count, sequence floor). Pure: everything engine-specific was read beforehand,
 * so this is tested without a database. Direction-specific pieces (type choice, default and
 * expression translation, index and DDL syntax) are picked by `direction`.
 */
import crypto from 'node:crypto';
import { createIndexSql, limitIdentifier } from '../engines/postgres/postgres-ddl.js';
import { quoteIdent } from '../engines/postgres/postgres-quote.js';
import { sqliteCreateIndexSql, sqliteCreateTableSql } from '../engines/sqlite/sqlite-ddl.js';
import { FerryError } from '../errors.js';
import type { Table } from '../schema/model.js';
import type { CopyTableConfig } from '../config/types.js';
import { roleOf } from '../engines/registry.js';
import type { IntegerPolicy, ReadTypeInput } from '../engine/type-mapper.js';
import { chooseType } from './choose-type.js';
import { type ProfileFacts } from '../engine/type-mapper.js';
import type { CheckPlan, ChunkKey, ColumnPlan, ForeignKeyPlan, IndexPlan, PlanWarning, TablePlan } from '../engine/table-plan.js';
import type { CopyDirection } from './copy-types.js';
import type { TableOrigin } from './copy-origin.js';
import { applyOrigin } from './plan-origin.js';
import { sqliteDefaultToPostgres } from './translate-default.js';
import { parseSqliteIndex, sqliteToPostgres, type ExpressionContext, type Translation } from './translate-expression.js';
import { parsePostgresIndex, postgresDefaultToSqlite, postgresToSqlite } from './translate-pg-expression.js';

/** What was read from the source about one table before planning it. */
export interface TableFacts {
  rows: number;
  /** Column name -> profile (SQLite sources). */
  profiles?: Map<string, ProfileFacts>;
  /** The column that becomes the target's identity / rowid alias, if any. */
  identityColumn?: string;
  /** The identity's next value must be above this. */
  sequenceFloor?: bigint;
  /** Where the table came from, when an earlier `ferry copy` recorded it (PostgreSQL sources). */
  origin?: TableOrigin;
}

/** Names already taken in the target: relations share one namespace per schema (tables, indexes, key indexes). */
export class TargetNames {
  private readonly used = new Set<string>();
  constructor(private readonly limit: boolean) {}
  /** Reserves `wanted` (shortened to 63 bytes for PostgreSQL), adding a suffix when taken. */
  take(wanted: string): string {
    const fit = (s: string) => (this.limit ? limitIdentifier(s) : s);
    let name = fit(wanted);
    for (let n = 2; this.used.has(name.toLowerCase()); n++) name = fit(`${wanted}_${n}`);
    this.used.add(name.toLowerCase());
    return name;
  }
}

/** Everything planTable needs besides the table itself. */
export interface PlanTableContext {
  direction: CopyDirection;
  targetName: string;
  config?: CopyTableConfig;
  jsonb: boolean;
  /** How integer columns are sized (`--integers`). */
  integers: IntegerPolicy;
  /** Source table name -> { target name, column map (source -> target), primary key columns } of every copied table. */
  tables: Map<string, { target: string; columns: Map<string, string>; primaryKey: string[] }>;
  /** Schema-wide relation names (index and key names). */
  relations: TargetNames;
}

/** Warnings about generated DDL that the original DDL of a copy back replaces. */
const REPLACED_BY_ORIGIN = new Set(['DEFAULT_DROPPED', 'CHECK_SKIPPED', 'INDEX_SKIPPED', 'FOREIGN_KEY_SKIPPED', 'NAME_SHORTENED']);

/** Plans one table; warnings are appended to `allWarnings`. Throws TYPE_OVERRIDE / COLUMN_MISSING. */
export function planTable(table: Table, facts: TableFacts, ctx: PlanTableContext, allWarnings: PlanWarning[]): TablePlan {
  const warnings: PlanWarning[] = [];
  const toPg = ctx.direction === 'sqlite-to-postgres';
  const target = ctx.targetName;
  const warn = (code: string, message: string, column?: string) => warnings.push({ code, table: table.name, ...(column ? { column } : {}), message });
  const colConfig = ctx.config?.columns ?? {};
  for (const name of Object.keys(colConfig)) {
    if (!table.columns.some((c) => c.name === name)) {
      throw new FerryError('COLUMN_MISSING', `copy.tables.${table.name}.columns names the column ${JSON.stringify(name)}, which ${table.name} does not have.`, {
        subject: `${table.name}.${name}`,
        hint: `Columns of ${table.name}: ${table.columns.map((c) => c.name).join(', ')}.`,
      });
    }
  }
  const colMap = ctx.tables.get(table.name)!.columns;
  const from = roleOf(toPg ? 'sqlite' : 'postgres', 'typeMapper');
  const to = roleOf(toPg ? 'postgres' : 'sqlite', 'typeMapper');
  const columns: ColumnPlan[] = table.columns.map((c) => {
    const cfg = colConfig[c.name] ?? {};
    const profile = facts.profiles?.get(c.name);
    const input: ReadTypeInput = {
      table: table.name,
      column: c.name,
      declared: c.type,
      profile,
      override: cfg.type,
      epoch: cfg.epoch,
      jsonb: ctx.jsonb,
      integers: ctx.integers,
    };
    if (c.collation) input.collation = c.collation;
    const choice = chooseType(input, from, to);
    warnings.push(...choice.warnings);
    const identity = facts.identityColumn === c.name && choice.type.logical === 'int64';
    // An identity must also hold the numbers its sequence has handed out (AUTOINCREMENT's floor).
    if (identity && choice.type.intBits !== 64 && (facts.sequenceFloor ?? 0n) > 2147483647n) {
      choice.type.intBits = 64;
      choice.targetType = to.write(choice.type);
    }
    const plan: ColumnPlan = {
      source: c.name,
      target: colMap.get(c.name.toLowerCase()) ?? c.name,
      sourceType: c.type,
      logical: choice.type.logical,
      type: choice.type,
      targetType: choice.targetType,
      nullable: c.nullable && !identity && !(table.primaryKey?.columns.includes(c.name) ?? false),
      default: null,
    };
    if (identity) plan.identity = true;
    if (cfg.type !== undefined || cfg.epoch !== undefined) plan.configured = true;
    if (choice.epoch) plan.epoch = choice.epoch;
    if (choice.zonelessUtc) plan.zonelessUtc = true;
    if (choice.style) plan.style = choice.style;
    if (profile) plan.profile = profile;
    if (c.generated === 'stored' || c.generated === 'virtual') {
      warn('GENERATED_AS_PLAIN', `${table.name}.${c.name} is a generated column; its values are copied into a plain column.`, c.name);
    } else if (c.generated?.startsWith('identity') && !identity) {
      warn(
        'DEFAULT_DROPPED',
        `${table.name}.${c.name}: identity numbering is not kept (only a single-column integer primary key becomes a rowid alias).`,
        c.name,
      );
    } else if (c.default !== null && !identity) {
      const t = toPg ? sqliteDefaultToPostgres(c.default, choice.type.logical) : postgresDefaultToSqlite(c.default, choice.type.logical);
      if ('sql' in t) {
        plan.default = t.sql;
        if (t.expression) plan.defaultExpression = true;
      } else warn('DEFAULT_DROPPED', `${table.name}.${c.name}: the default ${c.default} is not kept (${t.untranslatable}).`, c.name);
    }
    return plan;
  });
  const tcol = (name: string) => colMap.get(name.toLowerCase()) ?? name;
  const booleanColumns = new Set(columns.filter((c) => c.logical === 'boolean').map((c) => c.target));
  const caseInsensitiveColumns = new Set(columns.filter((c) => c.type.caseInsensitive).map((c) => c.target));
  const exprCtx: ExpressionContext = { columns: colMap, booleanColumns, caseInsensitiveColumns };
  const translate = (e: string): Translation => (toPg ? sqliteToPostgres(e, exprCtx) : postgresToSqlite(e, exprCtx));

  const pkName = (name: string | undefined, wanted: string) => (toPg ? ctx.relations.take(wanted) : (name ?? wanted));
  const primaryKey = table.primaryKey ? { name: pkName(table.primaryKey.name, `${target}_pkey`), columns: table.primaryKey.columns.map(tcol) } : null;
  const uniques = table.uniques.map((u) => {
    const cols = u.columns.map(tcol);
    return { name: toPg ? ctx.relations.take(u.name ?? `${target}_${cols.join('_')}_key`) : (u.name ?? `${target}_${cols.join('_')}_key`), columns: cols };
  });

  const local = new TargetNames(toPg);
  const foreignKeys: ForeignKeyPlan[] = [];
  for (const fk of table.foreignKeys) {
    const parentKey =
      [...ctx.tables.keys()].find((k) => k === fk.refTable) ?? [...ctx.tables.keys()].find((k) => k.toLowerCase() === fk.refTable.toLowerCase());
    const label = `${table.name} (${fk.columns.join(', ')}) -> ${fk.refTable}`;
    if (parentKey === undefined) {
      warn('FOREIGN_KEY_SKIPPED', `The foreign key ${label} is not copied: ${fk.refTable} is not part of this copy.`);
      continue;
    }
    const parent = ctx.tables.get(parentKey)!;
    const refCols = fk.refColumns.some((c) => c === '') ? parent.primaryKey : fk.refColumns;
    const cols = fk.columns.map(tcol);
    foreignKeys.push({
      name: local.take(fk.name ?? `${target}_${cols.join('_')}_fkey`),
      columns: cols,
      refTable: parent.target,
      refColumns: refCols.map((c) => parent.columns.get(c.toLowerCase()) ?? c),
      onDelete: fk.onDelete,
      onUpdate: fk.onUpdate,
    });
  }

  const checks: CheckPlan[] = [];
  // citext has no length: a VARCHAR(n) limit the values fit is kept as a CHECK beside it.
  for (const c of columns) {
    if (toPg && c.type.caseInsensitive && c.type.maxLength !== undefined)
      checks.push({ name: local.take(`${target}_${c.target}_length`), expression: `char_length(${quoteIdent(c.target)}) <= ${c.type.maxLength}` });
  }
  for (const check of table.checks) {
    const t = translate(check.expression);
    if (!('sql' in t)) {
      warn('CHECK_SKIPPED', `The CHECK ${check.name ? `${check.name} ` : ''}(${check.expression}) on ${table.name} is not copied: ${t.untranslatable}.`);
      continue;
    }
    // Unnamed checks get a name derived from their text, so re-planning gives the same name.
    const hash = crypto.createHash('sha1').update(check.expression).digest('hex').slice(0, 8);
    checks.push({ name: local.take(check.name ?? `${target}_check_${hash}`), expression: t.sql });
  }

  const indexes: IndexPlan[] = [];
  for (const ix of table.indexes) {
    const parts = toPg ? parseSqliteIndex(ix.sql) : parsePostgresIndex(ix.sql);
    let reason = !parts ? 'its definition could not be read' : 'method' in parts && parts.method !== 'btree' ? `it uses ${parts.method}` : '';
    const keys: string[] = [];
    let where: string | undefined;
    if (parts && !reason) {
      for (const k of parts.keys) {
        const t = translate(k);
        if ('sql' in t) keys.push(t.sql);
        else reason ||= t.untranslatable;
      }
      if (parts.where !== undefined) {
        const t = translate(parts.where);
        if ('sql' in t) where = t.sql;
        else reason ||= t.untranslatable;
      }
    }
    if (reason) {
      warn('INDEX_SKIPPED', `The index ${ix.name} on ${table.name} is not copied: ${reason}.`);
      continue;
    }
    const name = ctx.relations.take(ix.name);
    if (toPg && Buffer.byteLength(ix.name, 'utf8') > 63)
      warn(
        'NAME_SHORTENED',
        `The index ${ix.name} on ${table.name} is named ${name} on PostgreSQL (names hold at most 63 bytes); the way back restores its name.`,
      );
    indexes.push({
      name,
      unique: ix.unique,
      sql: toPg ? createIndexSql(target, name, ix.unique, keys, where) : sqliteCreateIndexSql(target, name, ix.unique, keys, where),
    });
  }

  const chunkKey: ChunkKey = toPg
    ? table.withoutRowid && table.primaryKey
      ? { kind: 'primary-key', columns: table.primaryKey.columns }
      : { kind: 'rowid' }
    : table.primaryKey
      ? { kind: 'primary-key', columns: table.primaryKey.columns }
      : { kind: 'none' };
  const plan: TablePlan = { source: table.name, target, columns, primaryKey, uniques, indexes, foreignKeys, checks, chunkKey, rowEstimate: facts.rows };
  if (facts.sequenceFloor !== undefined && columns.some((c) => c.identity)) plan.sequenceFloor = facts.sequenceFloor;
  if (!toPg && facts.origin && applyOrigin(plan, facts.origin, allWarnings)) {
    // The original DDL carries its own defaults, checks, indexes and keys: what could not be
    // translated from PostgreSQL's does not matter.
    allWarnings.push(...warnings.filter((w) => !REPLACED_BY_ORIGIN.has(w.code)));
    return plan;
  }
  if (!toPg) plan.createSql = sqliteCreateTableSql(plan, true);
  allWarnings.push(...warnings);
  return plan;
}
