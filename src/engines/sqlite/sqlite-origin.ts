/**
 * The way back to the app's own SQLite schema: when a PostgreSQL table came from `ferry copy`, its
 * recorded origin (engine/table-origin.ts) replaces the generated SQLite DDL with the original CREATE TABLE,
 * indexes and triggers, renames columns back, and writes each value in the form the app stored it.
 * Columns the app added on PostgreSQL after the switch are added to the original table; a table
 * whose columns were dropped or retyped since gets generated DDL instead, with a warning.
 */
import type { TableOrigin } from '../../engine/table-origin.js';
import type { PlanWarning, TablePlan } from '../../engine/table-plan.js';
import { sqliteColumnSql } from './sqlite-ddl.js';
import { identName, isKeyword, quoteSqliteIdent, tokenize } from './sqlite-tokens.js';

/**
 * Rewrites a planned PostgreSQL -> SQLite table to recreate its recorded origin. Returns false
 * (and warns) when the table changed on PostgreSQL in a way the original DDL cannot hold.
 */
export function applyOrigin(plan: TablePlan, origin: TableOrigin, warnings: PlanWarning[]): boolean {
  const byTarget = new Map(origin.columns.map((c) => [c.target, c]));
  const current = new Set(plan.columns.map((c) => c.source));
  const dropped = origin.columns.filter((c) => !current.has(c.target)).map((c) => c.target);
  const retyped = plan.columns.filter((c) => byTarget.has(c.source) && byTarget.get(c.source)!.logical !== c.logical).map((c) => c.source);
  if (dropped.length || retyped.length) {
    const why = [dropped.length ? `dropped ${dropped.join(', ')}` : '', retyped.length ? `retyped ${retyped.join(', ')}` : ''].filter(Boolean).join('; ');
    warnings.push({
      code: 'ORIGIN_OUTDATED',
      table: plan.source,
      message: `${plan.source} changed on PostgreSQL since ferry copied it from SQLite (${why}); its SQLite table is generated from the PostgreSQL one, not recreated as the original.`,
    });
    return false;
  }
  const added: string[] = [];
  for (const c of plan.columns) {
    const o = byTarget.get(c.source);
    if (!o) {
      // A column the app added on PostgreSQL after the switch: kept, added to the original table.
      c.nullable = true;
      added.push(`ALTER TABLE ${quoteSqliteIdent(origin.table)} ADD COLUMN ${sqliteColumnSql({ ...c, identity: false }, false)}`);
      continue;
    }
    c.target = o.source;
    c.targetType = o.declared;
    if (o.epoch) c.epoch = o.epoch;
    else delete c.epoch;
    if (o.style) c.style = o.style;
  }
  const rename = new Map(plan.columns.map((c) => [c.source, c.target]));
  const renamed = (cols: string[]) => cols.map((c) => rename.get(c) ?? c);
  plan.target = origin.table;
  if (plan.primaryKey) plan.primaryKey.columns = renamed(plan.primaryKey.columns);
  for (const u of plan.uniques) u.columns = renamed(u.columns);
  // The original CREATE TABLE declares keys, foreign keys and checks; only indexes come after the load.
  plan.createSql = [origin.sql, ...added].join(';\n');
  plan.indexes = origin.indexes.map((sql) => ({ name: indexName(sql), unique: /^\s*CREATE\s+UNIQUE/i.test(sql), sql }));
  plan.triggers = [...origin.triggers];
  // Only an AUTOINCREMENT table has a sqlite_sequence row to carry on from; others number from max(rowid).
  if (!/\bAUTOINCREMENT\b/i.test(origin.sql)) delete plan.sequenceFloor;
  return true;
}

/** The index name of a CREATE [UNIQUE] INDEX [IF NOT EXISTS] name ON ... statement. */
function indexName(sql: string): string {
  const toks = tokenize(sql).filter((t) => t.kind !== 'space' && t.kind !== 'comment');
  let i = toks.findIndex((t) => isKeyword(t, 'INDEX')) + 1;
  if (isKeyword(toks[i], 'IF')) i += 3;
  const tok = toks[i];
  return tok ? identName(tok) : '';
}
