/**
 * Plans one table of a copy from its introspected model and the facts gathered from the source
 * (profiles, row count, sequence floor). Pure: everything engine-specific was read beforehand or
 * comes from the engines' roles (PlanEngines), so this is tested without a database and never
 * asks which way a copy goes.
 */
import crypto from 'node:crypto';
import { FerryError } from '../errors.js';
import type { Table } from '../schema/model.js';
import type { CopyTableConfig } from '../config/types.js';
import type { CopyDdl, OriginRecord, TableFacts } from '../engine/copy-roles.js';
import type { ExpressionContext, ExpressionTranslator } from '../engine/sql-translation.js';
import type { TableOrigin } from '../engine/table-origin.js';
import type { IntegerPolicy, ReadTypeInput, TypeMapper } from '../engine/type-mapper.js';
import { chooseType } from './choose-type.js';
import type { CheckPlan, ChunkKey, ColumnPlan, ForeignKeyPlan, IndexPlan, PlanWarning, TablePlan } from '../engine/table-plan.js';

/** What was read about one table before planning it, and where it came from when an earlier copy recorded that. */
export interface SourceFacts extends TableFacts {
  /** The table's recorded origin, when the target can recreate it (a copy back). */
  origin?: TableOrigin;
}

/** The engines' parts of planning, looked up once per copy from their roles. */
export interface PlanEngines {
  /** The source engine's type mapper reads each column... */
  from: TypeMapper;
  /** ...and the target's writes it. */
  to: TypeMapper;
  /** The key the source reads a table by. */
  chunkKey: (table: Table) => ChunkKey;
  /** The target's DDL. */
  ddl: CopyDdl;
  /** The source's expressions in the target's SQL. */
  translator: ExpressionTranslator;
  /** How the target recreates a recorded origin, when it can. */
  originRecord?: OriginRecord;
  /** The target engine's name in messages. */
  targetLabel: string;
}

/** Names already taken in the target: relations share one namespace per schema (tables, indexes, key indexes). */
export class TargetNames {
  private readonly used = new Set<string>();
  /** `fit` shortens a name the target cannot hold (the target's copyDdl.fitName). */
  constructor(private readonly fit: (name: string) => string = (name) => name) {}
  /** Reserves `wanted` (made to fit), adding a suffix when taken. */
  take(wanted: string): string {
    let name = this.fit(wanted);
    for (let n = 2; this.used.has(name.toLowerCase()); n++) name = this.fit(`${wanted}_${n}`);
    this.used.add(name.toLowerCase());
    return name;
  }
}

/** Everything planTable needs besides the table itself. */
export interface PlanTableContext {
  engines: PlanEngines;
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

/** One table's planning in progress: its warnings, and the names local to it (constraints). */
interface Planning {
  table: Table;
  facts: SourceFacts;
  ctx: PlanTableContext;
  target: string;
  warnings: PlanWarning[];
  local: TargetNames;
  /** Source column name (any case) -> target column name. */
  colMap: Map<string, string>;
  warn(code: string, message: string, column?: string): void;
}

/** Plans one table; warnings are appended to `allWarnings`. Throws TYPE_OVERRIDE / COLUMN_MISSING. */
export function planTable(table: Table, facts: SourceFacts, ctx: PlanTableContext, allWarnings: PlanWarning[]): TablePlan {
  checkConfiguredColumns(table, ctx.config);
  const warnings: PlanWarning[] = [];
  const p: Planning = {
    table,
    facts,
    ctx,
    target: ctx.targetName,
    warnings,
    local: new TargetNames(ctx.engines.ddl.fitName),
    colMap: ctx.tables.get(table.name)!.columns,
    warn: (code, message, column) => warnings.push({ code, table: table.name, ...(column ? { column } : {}), message }),
  };
  const columns = table.columns.map((c) => planColumn(p, c));
  const exprCtx: ExpressionContext = {
    columns: p.colMap,
    booleanColumns: new Set(columns.filter((c) => c.logical === 'boolean').map((c) => c.target)),
    caseInsensitiveColumns: new Set(columns.filter((c) => c.type.caseInsensitive).map((c) => c.target)),
  };
  const { primaryKey, uniques } = planKeys(p);
  const foreignKeys = planForeignKeys(p);
  const checks = planChecks(p, columns, exprCtx);
  const indexes = planIndexes(p, exprCtx);
  const plan: TablePlan = {
    source: table.name,
    target: p.target,
    columns,
    primaryKey,
    uniques,
    indexes,
    foreignKeys,
    checks,
    chunkKey: ctx.engines.chunkKey(table),
    rowEstimate: facts.rows,
  };
  if (facts.sequenceFloor !== undefined && columns.some((c) => c.identity)) plan.sequenceFloor = facts.sequenceFloor;
  if (facts.origin && ctx.engines.originRecord?.restore(plan, facts.origin, allWarnings)) {
    // The original DDL carries its own defaults, checks, indexes and keys: what could not be
    // translated from the source's does not matter.
    allWarnings.push(...warnings.filter((w) => !REPLACED_BY_ORIGIN.has(w.code)));
    return plan;
  }
  ctx.engines.ddl.finishPlan(plan);
  allWarnings.push(...warnings);
  return plan;
}

/** Every column the config names must exist in the table. */
function checkConfiguredColumns(table: Table, config: CopyTableConfig | undefined): void {
  for (const name of Object.keys(config?.columns ?? {})) {
    if (!table.columns.some((c) => c.name === name)) {
      throw new FerryError('COLUMN_MISSING', `copy.tables.${table.name}.columns names the column ${JSON.stringify(name)}, which ${table.name} does not have.`, {
        subject: `${table.name}.${name}`,
        hint: `Columns of ${table.name}: ${table.columns.map((c) => c.name).join(', ')}.`,
      });
    }
  }
}

/** One column: its type (the source's mapper reads, the target's writes), identity, and default. */
function planColumn(p: Planning, c: Table['columns'][number]): ColumnPlan {
  const { table, facts, ctx } = p;
  const cfg = ctx.config?.columns?.[c.name] ?? {};
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
  const choice = chooseType(input, ctx.engines.from, ctx.engines.to);
  p.warnings.push(...choice.warnings);
  const identity = facts.identityColumn === c.name && choice.type.logical === 'int64';
  // An identity must also hold the numbers its sequence has handed out (AUTOINCREMENT's floor).
  if (identity && choice.type.intBits !== 64 && (facts.sequenceFloor ?? 0n) > 2147483647n) {
    choice.type.intBits = 64;
    choice.targetType = ctx.engines.to.write(choice.type);
  }
  const plan: ColumnPlan = {
    source: c.name,
    target: p.colMap.get(c.name.toLowerCase()) ?? c.name,
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
    p.warn('GENERATED_AS_PLAIN', `${table.name}.${c.name} is a generated column; its values are copied into a plain column.`, c.name);
  } else if (c.generated?.startsWith('identity') && !identity) {
    p.warn(
      'DEFAULT_DROPPED',
      `${table.name}.${c.name}: identity numbering is not kept (only a single-column integer primary key becomes a rowid alias).`,
      c.name,
    );
  } else if (c.default !== null && !identity) {
    const t = ctx.engines.translator.columnDefault(c.default, choice.type.logical);
    if ('sql' in t) {
      plan.default = t.sql;
      if (t.expression) plan.defaultExpression = true;
    } else p.warn('DEFAULT_DROPPED', `${table.name}.${c.name}: the default ${c.default} is not kept (${t.untranslatable}).`, c.name);
  }
  return plan;
}

/** The target column name of a source column. */
function targetColumn(p: Planning, name: string): string {
  return p.colMap.get(name.toLowerCase()) ?? name;
}

/** The primary key and unique constraints, named in the schema-wide namespace where the target's key names are relations. */
function planKeys(p: Planning): Pick<TablePlan, 'primaryKey' | 'uniques'> {
  const { table, target, ctx } = p;
  const shared = ctx.engines.ddl.keyNamesAreRelations;
  const pk = table.primaryKey;
  const primaryKey = pk
    ? { name: shared ? ctx.relations.take(`${target}_pkey`) : (pk.name ?? `${target}_pkey`), columns: pk.columns.map((c) => targetColumn(p, c)) }
    : null;
  const uniques = table.uniques.map((u) => {
    const cols = u.columns.map((c) => targetColumn(p, c));
    const wanted = u.name ?? `${target}_${cols.join('_')}_key`;
    return { name: shared ? ctx.relations.take(wanted) : wanted, columns: cols };
  });
  return { primaryKey, uniques };
}

/** Foreign keys to tables of this copy; one to a table left out is skipped with a warning. */
function planForeignKeys(p: Planning): ForeignKeyPlan[] {
  const { table, target, ctx } = p;
  const foreignKeys: ForeignKeyPlan[] = [];
  for (const fk of table.foreignKeys) {
    const parentKey =
      [...ctx.tables.keys()].find((k) => k === fk.refTable) ?? [...ctx.tables.keys()].find((k) => k.toLowerCase() === fk.refTable.toLowerCase());
    const label = `${table.name} (${fk.columns.join(', ')}) -> ${fk.refTable}`;
    if (parentKey === undefined) {
      p.warn('FOREIGN_KEY_SKIPPED', `The foreign key ${label} is not copied: ${fk.refTable} is not part of this copy.`);
      continue;
    }
    const parent = ctx.tables.get(parentKey)!;
    const refCols = fk.refColumns.some((c) => c === '') ? parent.primaryKey : fk.refColumns;
    const cols = fk.columns.map((c) => targetColumn(p, c));
    foreignKeys.push({
      name: p.local.take(fk.name ?? `${target}_${cols.join('_')}_fkey`),
      columns: cols,
      refTable: parent.target,
      refColumns: refCols.map((c) => parent.columns.get(c.toLowerCase()) ?? c),
      onDelete: fk.onDelete,
      onUpdate: fk.onUpdate,
    });
  }
  return foreignKeys;
}

/** Length limits the target's types cannot hold, then the source's CHECKs, translated. */
function planChecks(p: Planning, columns: ColumnPlan[], exprCtx: ExpressionContext): CheckPlan[] {
  const { table, target, ctx } = p;
  const checks: CheckPlan[] = [];
  for (const c of columns) {
    const expression = ctx.engines.ddl.lengthCheck(c);
    if (expression !== null) checks.push({ name: p.local.take(`${target}_${c.target}_length`), expression });
  }
  for (const check of table.checks) {
    const t = ctx.engines.translator.expression(check.expression, exprCtx);
    if (!('sql' in t)) {
      p.warn('CHECK_SKIPPED', `The CHECK ${check.name ? `${check.name} ` : ''}(${check.expression}) on ${table.name} is not copied: ${t.untranslatable}.`);
      continue;
    }
    // Unnamed checks get a name derived from their text, so re-planning gives the same name.
    const hash = crypto.createHash('sha1').update(check.expression).digest('hex').slice(0, 8);
    checks.push({ name: p.local.take(check.name ?? `${target}_check_${hash}`), expression: t.sql });
  }
  return checks;
}

/** The source's indexes, key by key in the target's SQL; one that cannot be translated is skipped with a warning. */
function planIndexes(p: Planning, exprCtx: ExpressionContext): IndexPlan[] {
  const { table, target, ctx } = p;
  const { ddl, translator } = ctx.engines;
  const indexes: IndexPlan[] = [];
  for (const ix of table.indexes) {
    const parts = translator.indexParts(ix.sql);
    let reason = !parts ? 'its definition could not be read' : (parts.refused ?? '');
    const keys: string[] = [];
    let where: string | undefined;
    if (parts && !reason) {
      for (const k of parts.keys) {
        const t = translator.expression(k, exprCtx);
        if ('sql' in t) keys.push(t.sql);
        else reason ||= t.untranslatable;
      }
      if (parts.where !== undefined) {
        const t = translator.expression(parts.where, exprCtx);
        if ('sql' in t) where = t.sql;
        else reason ||= t.untranslatable;
      }
    }
    if (reason) {
      p.warn('INDEX_SKIPPED', `The index ${ix.name} on ${table.name} is not copied: ${reason}.`);
      continue;
    }
    const name = ctx.relations.take(ix.name);
    if (ddl.maxNameBytes !== undefined && Buffer.byteLength(ix.name, 'utf8') > ddl.maxNameBytes)
      p.warn(
        'NAME_SHORTENED',
        `The index ${ix.name} on ${table.name} is named ${name} on ${ctx.engines.targetLabel} (names hold at most ${ddl.maxNameBytes} bytes); the way back restores its name.`,
      );
    indexes.push({ name, unique: ix.unique, sql: ddl.createIndexSql(target, name, ix.unique, keys, where) });
  }
  return indexes;
}
