/**
 * `buildCopyPlan`: the schema-conversion half of `ferry copy`, as plain data. It introspects the
 * source, gathers per-table facts (the source's `tableFacts` role: SQLite profiles every column,
 * PostgreSQL counts rows and reads sequence positions), picks tables, orders them parents-first and
 * plans each one (plan-table.ts) with the roles of both engines.
 * Nothing is written anywhere; the runner walks the plan.
 */
import type { CopyConfig } from '../config/types.js';
import type { Dialect, Engine } from '../engine/types.js';
import { FerryError } from '../errors.js';
import type { Schema, Table } from '../schema/model.js';
import { driverOf, engineLabel, roleOf } from '../engines/registry.js';
import type { ExpressionTranslator } from '../engine/sql-translation.js';
import type { IntegerPolicy } from '../engine/type-mapper.js';
import { originOf, readOrigin, type RecordedOrigin } from './copy-origin.js';
import { isInternalTable, ROWID_KEY_COLUMN } from '../schema/own-tables.js';
import type { CopyPlan } from './copy-types.js';
import type { PlanWarning, TablePlan } from '../engine/table-plan.js';
import { planTable, TargetNames, type PlanEngines, type SourceFacts } from './plan-table.js';

/** ferry's own resume-state table: never copied. */
export const COPY_STATE_TABLE = '_ferry_copy_state';

/** Options of buildCopyPlan; the command line's include/exclude/jsonb win over the config's. */
export interface BuildCopyPlanOptions {
  /** Copy only these source tables. */
  include?: string[];
  /** Leave these source tables out. */
  exclude?: string[];
  /** The `copy` config section: per-table `as`, per-column `type`/`epoch`/`as`. */
  config?: CopyConfig;
  /** JSON-declared columns become jsonb when every value parses. */
  jsonb?: boolean;
  /** Integer widths: fit the declared type and the values (default), or always bigint. */
  integers?: IntegerPolicy;
  /** SQLite virtual tables: stop before anything is written (default), or leave them out with a warning. */
  virtualTables?: 'fail' | 'skip';
  /** The target's URL, masked, for the plan's `to`. */
  targetDisplayUrl: string;
  /** Tables without a primary key that have rowids carry them as a key column (`_ferry_rowid`), as ferry sync follows them. */
  rowidKeys?: boolean;
}

/** Source table name -> its target name, column names (source, lower-cased -> target) and primary key. */
type TableNames = Map<string, { target: string; columns: Map<string, string>; primaryKey: string[] }>;

/** Builds the whole copy plan from `source` to an engine of `targetDialect`. Reads only. */
export async function buildCopyPlan(source: Engine, targetDialect: Dialect, options: BuildCopyPlanOptions): Promise<CopyPlan> {
  if (source.dialect === targetDialect) {
    throw new FerryError('USAGE', `ferry copy moves data between two engines; both sides are ${engineLabel(source)}.`, {
      hint: 'To merge SQLite files use ferry consolidate.',
    });
  }
  const engines = await planEngines(source.dialect, targetDialect);
  const schema = await source.introspect();
  const given = options.config ?? {};
  const warnings: PlanWarning[] = [];
  const selected = selectCopyTables(schema, options, warnings);
  const { tables, config } = options.rowidKeys ? withRowidKeys(selected, given, engines, warnings) : { tables: selected, config: given };
  warnAboutViewsAndTriggers(schema, warnings);
  checkTargetLimits(tables, config, targetDialect);
  const relations = new TargetNames(engines.ddl.fitName);
  const names = targetNames(tables, config, relations);
  const jsonb = options.jsonb ?? config.jsonb ?? false;
  const integers = options.integers ?? config.integers ?? 'fit';
  const plans: TablePlan[] = [];
  // A database an earlier copy made from the target's engine goes back to the app's own schema.
  const recorded = engines.originRecord ? await readOrigin(source, schema) : null;
  const tableFacts = roleOf(source, 'tableFacts');
  for (const t of orderParentsFirst(tables)) {
    const cfg = config.tables?.[t.name];
    const facts: SourceFacts = await tableFacts(source, t, cfg?.columns ?? {});
    const origin = recorded?.tables[t.name];
    if (origin && origin.dialect === targetDialect && !cfg?.as) facts.origin = origin;
    plans.push(planTable(t, facts, { engines, targetName: names.get(t.name)!.target, config: cfg, jsonb, integers, tables: names, relations }, warnings));
  }
  return assemblePlan(source, schema, targetDialect, options.targetDisplayUrl, plans, warnings, recorded);
}

/**
 * Tables without a primary key whose rows have rowids, each with its rowid as a first column that
 * becomes the target's key under the name ROWID_KEY_COLUMN (a config rename, so the table reader
 * reads `rowid` and the target gets the key). Said in the plan's warnings.
 */
function withRowidKeys(tables: Table[], config: CopyConfig, engines: PlanEngines, warnings: PlanWarning[]): { tables: Table[]; config: CopyConfig } {
  const out = { tables: [] as Table[], config: { ...config, tables: { ...config.tables } } };
  for (const t of tables) {
    if (t.primaryKey?.columns.length || engines.chunkKey(t).kind !== 'rowid') {
      out.tables.push(t);
      continue;
    }
    if (t.columns.some((c) => c.name.toLowerCase() === 'rowid'))
      throw new FerryError(
        'NOT_SUPPORTED',
        `Table "${t.name}" has no primary key and a column named rowid that hides its rowid, so its rows cannot be followed.`,
        {
          subject: t.name,
          hint: 'Add a primary key, or leave the table out with --exclude.',
        },
      );
    out.tables.push({ ...t, columns: [{ name: 'rowid', type: 'INTEGER', nullable: false, default: null }, ...t.columns], primaryKey: { columns: ['rowid'] } });
    const cfg = config.tables?.[t.name] ?? {};
    // bigint: a rowid holds 64 bits, and the app's rows numbered on the target after a cutover follow on.
    out.config.tables[t.name] = { ...cfg, columns: { ...cfg.columns, rowid: { as: ROWID_KEY_COLUMN, type: 'bigint' } } };
    warnings.push({
      code: 'ROWID_KEY',
      table: t.name,
      message: `${t.name} has no primary key: its rowid is copied as the column ${ROWID_KEY_COLUMN}, the key ferry sync follows its rows by (ferry sync stop drops it).`,
    });
  }
  return out;
}

/** The roles planning asks of the source and target engines, looked up once. */
async function planEngines(source: Dialect, target: Dialect): Promise<PlanEngines> {
  const translator = (await roleOf(target, 'expressionTranslation').from(source)) ?? noTranslation(engineLabel(source), engineLabel(target));
  const engines: PlanEngines = {
    from: roleOf(source, 'typeMapper'),
    to: roleOf(target, 'typeMapper'),
    chunkKey: roleOf(source, 'tableReader').chunkKey,
    ddl: roleOf(target, 'copyDdl'),
    translator,
    targetLabel: engineLabel(target),
  };
  const originRecord = driverOf(target).roles.originRecord;
  if (originRecord) engines.originRecord = originRecord;
  return engines;
}

/** Two engines without a translation between their SQL: defaults, CHECKs and indexes are left out, each with a warning. */
function noTranslation(from: string, to: string): ExpressionTranslator {
  const why = `ferry does not translate ${from} expressions to ${to}`;
  return {
    expression: () => ({ untranslatable: why }),
    columnDefault: () => ({ untranslatable: why }),
    indexParts: () => ({ unique: false, keys: [], refused: why }),
  };
}

/**
 * Views and triggers are written in their engine's own SQL: they are not created on the target. A
 * source whose DDL travels with the copy (an `originRecord` role) gets them back on the way back;
 * from any other they must be written anew.
 */
function warnAboutViewsAndTriggers(schema: Schema, warnings: PlanWarning[]): void {
  const kept = driverOf(schema.dialect).roles.originRecord ? ` (it is kept with the copy and recreated on the way back to ${engineLabel(schema.dialect)})` : '';
  for (const v of schema.views)
    warnings.push({
      code: 'VIEW_SKIPPED',
      table: v.name,
      message: `The view ${v.name} is not created on the target; write it in the target's SQL by hand${kept}.`,
    });
  for (const t of schema.triggers)
    warnings.push({
      code: 'TRIGGER_SKIPPED',
      table: t.table,
      message: `The trigger ${t.name} on ${t.table} is not created on the target; write it in the target's SQL by hand${kept}.`,
    });
}

/** Every copied table's target name (reserved in `relations`) and column names, as the config renames them. */
function targetNames(tables: Table[], config: CopyConfig, relations: TargetNames): TableNames {
  const names: TableNames = new Map();
  for (const t of tables) {
    const cfg = config.tables?.[t.name];
    const target = cfg?.as ?? t.name;
    relations.take(target);
    const columns = new Map(t.columns.map((c) => [c.name.toLowerCase(), cfg?.columns?.[c.name]?.as ?? c.name]));
    names.set(t.name, { target, columns, primaryKey: t.primaryKey?.columns ?? [] });
  }
  return names;
}

/** The plan as a whole: its tables, warnings, the origin it records and the views a copy back recreates. */
function assemblePlan(
  source: Engine,
  schema: Schema,
  targetDialect: Dialect,
  targetDisplayUrl: string,
  tables: TablePlan[],
  warnings: PlanWarning[],
  recorded: RecordedOrigin | null,
): CopyPlan {
  const plan: CopyPlan = {
    from: { dialect: source.dialect, displayUrl: source.displayUrl },
    to: { dialect: targetDialect, displayUrl: targetDisplayUrl },
    tables,
    warnings,
  };
  const origin = originOf(schema, tables);
  if (origin) plan.origin = origin;
  if (recorded?.views.length) plan.views = recorded.views;
  return plan;
}

/**
 * Refuses, before anything is written, table and column names the target cannot hold (PostgreSQL:
 * more than 63 bytes, or a system column name), naming each one with the config rename that fixes
 * it. The way back restores the original names from the copy's recorded origin.
 */
function checkTargetLimits(tables: Table[], config: CopyConfig, dialect: Dialect): void {
  const limits = roleOf(dialect, 'limits');
  const rule = (name: string, kind: 'table' | 'column') => limits.nameProblem(name, kind);
  const wide = tables.filter((t) => t.columns.length > limits.maxColumns);
  if (wide.length) {
    throw new FerryError(
      'TOO_MANY_COLUMNS',
      `${engineLabel(dialect)} tables hold at most ${limits.maxColumns} columns: ${wide.map((t) => `${t.name} has ${t.columns.length}`).join(', ')}. Nothing was written.`,
      {
        subject: wide[0]!.name,
        hint: 'Split the table, or leave it out with --exclude and move it another way.',
      },
    );
  }
  const found: { where: string; problem: string; rename: string }[] = [];
  for (const t of tables) {
    const cfg = config.tables?.[t.name];
    const name = cfg?.as ?? t.name;
    const tableProblem = rule(name, 'table');
    if (tableProblem) found.push({ where: `table ${JSON.stringify(name)}`, problem: tableProblem, rename: `"${t.name}": { "as": "new_name" }` });
    for (const c of t.columns) {
      const col = cfg?.columns?.[c.name]?.as ?? c.name;
      const problem = rule(col, 'column');
      if (problem)
        found.push({
          where: `column ${JSON.stringify(`${t.name}.${col}`)}`,
          problem,
          rename: `"${t.name}": { "columns": { "${c.name}": { "as": "new_name" } } }`,
        });
    }
  }
  if (!found.length) return;
  throw new FerryError(
    'NAME_NOT_ALLOWED',
    `${engineLabel(dialect)} cannot hold ${found.length === 1 ? 'this name' : 'these names'}: ${found.map((f) => `${f.where} ${f.problem}`).join('; ')}. Nothing was written.`,
    {
      subject: found[0]!.where,
      hint: `Rename in the config's copy.tables section, e.g. { "copy": { "tables": { ${found[0]!.rename} } } }. Copying back to SQLite restores the original names.`,
      data: { names: found.map((f) => ({ name: f.where, problem: f.problem })) },
    },
  );
}

/**
 * FTS and R*Tree virtual tables have no PostgreSQL table equivalent, and their shadow tables hold
 * opaque index blobs: they are never copied as tables. Unless told to skip them (or they are left
 * out by name), the copy stops here, before anything is written, naming each one.
 */
function checkVirtualTables(
  schema: Schema,
  include: string[] | undefined,
  exclude: string[] | undefined,
  mode: 'fail' | 'skip',
  warnings: PlanWarning[],
): void {
  const wanted = (schema.virtualTables ?? []).filter((v) => (!include || include.includes(v.name)) && !exclude?.includes(v.name));
  if (!wanted.length) return;
  const named = wanted.map((v) => `${v.name} (${v.module})`).join(', ');
  if (mode === 'fail') {
    throw new FerryError('VIRTUAL_TABLE', `The source has virtual tables that ferry cannot copy to PostgreSQL: ${named}; nothing was written.`, {
      subject: wanted[0]!.name,
      hint: 'Full-text (FTS) and R*Tree tables are SQLite modules: their content is rebuilt from the tables they index, and PostgreSQL needs its own full-text or GiST index instead. Leave them out with --virtual-tables skip (config: copy.virtualTables = "skip") or --exclude, and create the PostgreSQL index by hand.',
      data: { virtualTables: wanted.map((v) => ({ name: v.name, module: v.module, shadowTables: v.shadowTables })) },
    });
  }
  for (const v of wanted) {
    warnings.push({
      code: 'VIRTUAL_TABLE_SKIPPED',
      table: v.name,
      message: `The ${v.module} virtual table ${v.name} is not copied (nor its shadow tables ${v.shadowTables.join(', ') || '(none)'}); create PostgreSQL's equivalent index by hand.`,
    });
  }
}

/**
 * The tables a copy takes, from the source's schema alone: its virtual tables refused (or left out
 * with a warning), and include/exclude applied (an unknown name refused). `ferry sync start` asks
 * this before it installs its capture, so such input changes nothing.
 */
export function selectCopyTables(
  schema: Schema,
  options: Pick<BuildCopyPlanOptions, 'include' | 'exclude' | 'config' | 'virtualTables'>,
  warnings: PlanWarning[],
): Table[] {
  const given = options.config ?? {};
  const include = options.include ?? given.include;
  const exclude = options.exclude ?? given.exclude;
  checkVirtualTables(schema, include, exclude, options.virtualTables ?? given.virtualTables ?? 'fail', warnings);
  const notVirtual = (names: string[] | undefined) => names?.filter((n) => !schema.virtualTables?.some((v) => v.name === n));
  return selectTables(schema, notVirtual(include), notVirtual(exclude), Object.keys(given.tables ?? {}));
}

/** Applies include/exclude; unknown names (there or in the config's tables) fail with TABLE_MISSING. */
function selectTables(schema: Schema, include: string[] | undefined, exclude: string[] | undefined, configured: string[]): Table[] {
  const all = schema.tables.filter((t) => !isInternalTable(t.name));
  const names = all.map((t) => t.name);
  const check = (list: string[] | undefined, where: string) => {
    for (const n of list ?? []) {
      if (names.includes(n)) continue;
      const near = closest(n, names);
      throw new FerryError(
        'TABLE_MISSING',
        `${where} names the table ${JSON.stringify(n)}, which the source does not have${near ? `; did you mean ${JSON.stringify(near)}?` : '.'}`,
        {
          subject: n,
          hint: `Tables in the source: ${names.join(', ') || '(none)'}.`,
          data: { available: names },
        },
      );
    }
  };
  check(include, 'include');
  check(exclude, 'exclude');
  check(configured, 'copy.tables');
  return all.filter((t) => (!include || include.includes(t.name)) && !exclude?.includes(t.name));
}

/** Orders tables so a foreign key's parent comes before its child; cycles keep the source order. */
export function orderParentsFirst(tables: Table[]): Table[] {
  const byLower = new Map(tables.map((t) => [t.name.toLowerCase(), t]));
  const done = new Set<Table>();
  const visiting = new Set<Table>();
  const out: Table[] = [];
  const visit = (t: Table) => {
    if (done.has(t) || visiting.has(t)) return;
    visiting.add(t);
    for (const fk of t.foreignKeys) {
      const parent = byLower.get(fk.refTable.toLowerCase());
      if (parent && parent !== t) visit(parent);
    }
    visiting.delete(t);
    done.add(t);
    out.push(t);
  };
  tables.forEach(visit);
  return out;
}

/** The candidate nearest to `word` when it is close enough to be a typo. */
function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(best.length / 3)) ? best : undefined;
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}
