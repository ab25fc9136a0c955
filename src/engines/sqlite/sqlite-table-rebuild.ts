/**
 * SQLite's 12-step table rebuild (https://www.sqlite.org/lang_altertable.html section 7), for the
 * changes ALTER TABLE cannot make. Two things other tools get wrong are the point of this file:
 * `PRAGMA foreign_keys=OFF` does nothing inside a transaction, so it must be set before BEGIN or
 * DROP TABLE fires ON DELETE CASCADE on every child row (Drizzle, Atlas); and the new table is
 * the old CREATE TABLE text edited token by token, never regenerated from a model, so unnamed
 * CHECKs, collations, generated columns, conflict clauses and comments survive (Alembic #1846).
 */
import type Database from 'better-sqlite3';
import { FerryError } from '../../errors.js';
import { tableOptions } from './sqlite-ddl-rewrite.js';
import { sqliteSequenceValue } from './sqlite-profile.js';
import { editTableDefinition, type TableChange } from './sqlite-table-definition.js';
import { identName, quoteSqliteIdent as q, tokenize } from './sqlite-tokens.js';

export type { TableChange } from './sqlite-table-definition.js';

/** How rebuildTable relates to the caller's transaction. */
export interface RebuildOptions {
  /**
   * True when the caller has a transaction open (the migrator: one per revision). The rebuild then
   * runs in a savepoint and requires foreign keys to be off already (see withForeignKeysOff);
   * false: it turns them off, runs its own BEGIN/COMMIT and turns them back on.
   */
  inTransaction: boolean;
}

/** Every statement of one rebuild, in order, as data (for `--sql` and for the record). */
export interface RebuildPlan {
  table: string;
  statements: string[];
  /** Indexes and constraints left out because they used a dropped column, in words. */
  dropped: string[];
  /** The triggers and views dropped and recreated around the rebuild (checked to compile after it). */
  recreated: { type: string; name: string; table: string }[];
}

interface SchemaObject {
  type: string;
  name: string;
  tbl_name: string;
  sql: string;
}

/** Runs `fn` with foreign keys off, switched outside any transaction, and restores them after. */
export async function withForeignKeysOff<T>(db: Database.Database, fn: () => T | Promise<T>): Promise<T> {
  const restore = foreignKeysOff(db);
  try {
    return await fn();
  } finally {
    restore();
  }
}

/**
 * Rebuilds `table` with `change` applied. Rows keep their values (and rowids); indexes, triggers
 * and views come back; `PRAGMA foreign_key_check` runs before commit and any violation rolls the
 * whole rebuild back with the rows listed. Returns the plan that ran.
 */
export function rebuildTable(db: Database.Database, table: string, change: TableChange, options: RebuildOptions): RebuildPlan {
  if (options.inTransaction) {
    if (Number(db.pragma('foreign_keys', { simple: true })) === 1) {
      throw new FerryError(
        'USAGE',
        `Cannot rebuild table ${table} inside a transaction while foreign keys are on: PRAGMA foreign_keys=OFF is ignored inside a transaction, so dropping the old table would fire ON DELETE CASCADE on its child rows.`,
        {
          subject: table,
          hint: 'Turn foreign keys off before the transaction begins (withForeignKeysOff), or call rebuildTable outside a transaction.',
        },
      );
    }
    return inSavepoint(db, () => runRebuild(db, table, change));
  }
  if (db.inTransaction)
    throw new FerryError('USAGE', `rebuildTable(${table}) was told there is no transaction, but one is open.`, {
      subject: table,
      hint: 'Pass { inTransaction: true } and turn foreign keys off before the transaction.',
    });
  const restore = foreignKeysOff(db);
  try {
    db.exec('BEGIN IMMEDIATE');
    try {
      const plan = runRebuild(db, table, change);
      db.exec('COMMIT');
      return plan;
    } catch (e) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw e;
    }
  } finally {
    restore();
  }
}

/**
 * The statements that rebuild `table` with `change`, read from the live schema but not run: step
 * 3 (what refers to the table) to step 8 (recreate).
 */
export function planRebuild(db: Database.Database, table: string, change: TableChange): RebuildPlan {
  const objects = db.prepare(`SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY rowid`).all() as SchemaObject[];
  const own = objects.find((o) => o.type === 'table' && o.name.toLowerCase() === table.toLowerCase());
  if (!own) throw new FerryError('TABLE_MISSING', `There is no table ${table} to rebuild.`, { subject: table });
  const name = own.name;
  const temp = `ferry_new_${name}`;
  if (objects.some((o) => o.name.toLowerCase() === temp.toLowerCase())) {
    throw new FerryError('CONFLICT', `Cannot rebuild ${name}: a leftover ${temp} exists.`, {
      subject: temp,
      hint: `Drop ${temp} if it is not yours, then run again.`,
    });
  }
  const edit = editTableDefinition(own.sql, temp, change);
  const dropped = new Set((change.dropColumns ?? []).map((c) => c.toLowerCase()));
  const plan: RebuildPlan = { table: name, statements: [edit.sql], dropped: [...edit.dropped], recreated: [] };

  const indexes = objects.filter((o) => o.type === 'index' && o.tbl_name === name);
  const triggers = objects.filter((o) => o.type === 'trigger' && o.tbl_name === name);
  const dependents = dependentsOf(objects, name);
  const copy = copyColumns(db, name, own.sql, edit.sql, dropped);
  plan.statements.push(`INSERT INTO ${q(temp)} (${copy.join(', ')}) SELECT ${copy.join(', ')} FROM ${q(name)}`);
  // Views (and triggers on other tables) naming the table would make the rename in step 7 fail
  // ("error in view v: no such table"), so they go first and come back after (Alembic #1207).
  for (const o of [...dependents].reverse()) plan.statements.push(`DROP ${o.type.toUpperCase()} ${q(o.name)}`);
  plan.statements.push(`DROP TABLE ${q(name)}`, `ALTER TABLE ${q(temp)} RENAME TO ${q(name)}`);
  for (const i of indexes) {
    const uses = [...mentions(i.sql)].filter((id) => dropped.has(id));
    if (uses.length) plan.dropped.push(`index ${i.name} (uses dropped column ${uses.join(', ')})`);
    else plan.statements.push(i.sql);
  }
  // Recreated in their original order, so a view built on another view finds it.
  for (const o of objects.filter((x) => triggers.includes(x) || dependents.includes(x))) {
    plan.statements.push(o.sql);
    plan.recreated.push({ type: o.type, name: o.name, table: o.tbl_name });
  }
  const seq = sqliteSequenceValue(db, name);
  if (seq !== null && /\bAUTOINCREMENT\b/i.test(edit.sql)) {
    // The copy only moves sqlite_sequence up to the largest copied key; ids handed out before
    // (then deleted) must never come back.
    const lit = `'${name.replaceAll("'", "''")}'`;
    plan.statements.push(`UPDATE sqlite_sequence SET seq = max(seq, ${seq}) WHERE name = ${lit}`);
    plan.statements.push(`INSERT INTO sqlite_sequence (name, seq) SELECT ${lit}, ${seq} WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = ${lit})`);
  }
  return plan;
}

function runRebuild(db: Database.Database, table: string, change: TableChange): RebuildPlan {
  const plan = planRebuild(db, table, change);
  for (const sql of plan.statements) {
    try {
      db.exec(sql);
    } catch (e) {
      throw new FerryError('SCHEMA_FAILED', `Rebuilding table ${plan.table} failed, nothing was changed: ${(e as Error).message}`, {
        subject: plan.table,
        hint: `The statement was: ${sql.length > 300 ? `${sql.slice(0, 300)}...` : sql}`,
        cause: e,
      });
    }
  }
  checkCompiles(db, plan);
  checkForeignKeys(db, plan.table);
  return plan;
}

/**
 * SQLite accepts a view or trigger naming a column that is gone and fails only when it is used;
 * preparing (never running) a statement that uses each recreated view, and one per event on each
 * table with a recreated trigger, makes SQLite resolve every name now. A view or trigger that
 * used a dropped column stops the rebuild here, as SQLite's own DROP COLUMN would.
 */
function checkCompiles(db: Database.Database, plan: RebuildPlan): void {
  const fail = (what: string, e: unknown): never => {
    throw new FerryError('SCHEMA_FAILED', `Rebuilding table ${plan.table} would break ${what}, so nothing was changed: ${(e as Error).message}`, {
      subject: plan.table,
      hint: 'Drop or change it first (in the same revision), then make this change.',
      cause: e,
    });
  };
  for (const v of plan.recreated.filter((o) => o.type === 'view')) {
    try {
      db.prepare(`SELECT * FROM ${q(v.name)} LIMIT 0`);
    } catch (e) {
      fail(`view ${v.name}`, e);
    }
  }
  const isTable = (t: string) => db.prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?`).get(t) !== undefined;
  for (const table of new Set(plan.recreated.filter((o) => o.type === 'trigger').map((o) => o.table))) {
    if (!isTable(table)) continue;
    const names = plan.recreated.filter((o) => o.type === 'trigger' && o.table === table).map((o) => o.name);
    const cols = (db.prepare(`SELECT name FROM pragma_table_xinfo(?) WHERE hidden = 0`).pluck().all(table) as string[]).map(q);
    const statements = [`INSERT INTO ${q(table)} DEFAULT VALUES`, `DELETE FROM ${q(table)}`];
    if (cols.length) statements.push(`UPDATE ${q(table)} SET ${cols.map((c) => `${c} = ${c}`).join(', ')}`);
    for (const sql of statements) {
      try {
        db.prepare(sql);
      } catch (e) {
        fail(`trigger ${names.join(' or ')} on ${table}`, e);
      }
    }
  }
}

/**
 * Step 9: the table's own foreign keys and those of every table referencing it. Only these can
 * have been broken by the rebuild; checking the whole file would blame it for unrelated rows.
 */
function checkForeignKeys(db: Database.Database, table: string): void {
  const children = db
    .prepare(`SELECT DISTINCT m.name FROM sqlite_schema m, pragma_foreign_key_list(m.name) f WHERE m.type = 'table' AND lower(f."table") = lower(?)`)
    .pluck()
    .all(table) as string[];
  const bad: { table: string; rowid: unknown; parent: string; fkid: unknown }[] = [];
  for (const t of new Set([table, ...children])) {
    try {
      bad.push(...(db.prepare(`PRAGMA foreign_key_check(${q(t)})`).all() as typeof bad));
    } catch (e) {
      // "foreign key mismatch": a child references columns that are no longer a key of the parent.
      throw new FerryError('SCHEMA_FAILED', `Rebuilding table ${table} would break the foreign keys of ${t}, so nothing was changed: ${(e as Error).message}`, {
        subject: t,
        cause: e,
      });
    }
  }
  if (bad.length === 0) return;
  const rows = bad.slice(0, 20).map((b) => `${b.table} rowid ${String(b.rowid)} -> ${b.parent}`);
  throw new FerryError(
    'SCHEMA_FAILED',
    `Rebuilding table ${table} would leave ${bad.length} row(s) violating foreign keys, so nothing was changed:\n  ${rows.join('\n  ')}${bad.length > 20 ? `\n  ... and ${bad.length - 20} more` : ''}`,
    {
      subject: table,
      hint: 'Fix those rows (or the change) and run again; PRAGMA foreign_key_check lists them.',
      data: { violations: bad.slice(0, 100).map((b) => ({ table: b.table, rowid: String(b.rowid), parent: b.parent })) },
    },
  );
}

/**
 * The columns step 5 copies (quoted): the old table's columns that stay, except generated ones
 * (SQLite refuses to write them; they are computed again), plus the rowid when the table has one
 * and no column aliases it, so rowids anything may hold on to stay the same. Added columns take
 * their defaults.
 */
function copyColumns(db: Database.Database, name: string, oldSql: string, newSql: string, dropped: Set<string>): string[] {
  const old = db.prepare(`SELECT name, type, pk, hidden FROM pragma_table_xinfo(?)`).all(name) as { name: string; type: string; pk: bigint; hidden: bigint }[];
  const cols = old.filter((c) => c.hidden === 0n && !dropped.has(c.name.toLowerCase())).map((c) => q(c.name));
  const pks = old.filter((c) => c.pk > 0n);
  const hasAlias = pks.length === 1 && pks[0]!.type.toUpperCase() === 'INTEGER';
  if (!hasAlias && !tableOptions(oldSql).withoutRowid && !tableOptions(newSql).withoutRowid) {
    const taken = new Set(old.map((c) => c.name.toLowerCase()));
    const rowid = ['rowid', '_rowid_', 'oid'].find((r) => !taken.has(r));
    if (rowid) cols.unshift(rowid);
  }
  return cols;
}

/** Views and triggers (on other tables) that name `table`, and views built on those, transitively. */
function dependentsOf(objects: SchemaObject[], table: string): SchemaObject[] {
  const names = new Set([table.toLowerCase()]);
  const out: SchemaObject[] = [];
  let grew = true;
  while (grew) {
    grew = false;
    for (const o of objects) {
      if ((o.type !== 'view' && !(o.type === 'trigger' && o.tbl_name.toLowerCase() !== table.toLowerCase())) || out.includes(o)) continue;
      if ([...mentions(o.sql)].some((id) => names.has(id))) {
        out.push(o);
        if (o.type === 'view') names.add(o.name.toLowerCase());
        grew = true;
      }
    }
  }
  return objects.filter((o) => out.includes(o));
}

/** Every identifier-like token of a statement, lower-cased (a superset of the names it uses). */
function mentions(sql: string): Set<string> {
  const out = new Set<string>();
  for (const t of tokenize(sql)) if (t.kind === 'word' || t.kind === 'ident') out.add(identName(t).toLowerCase());
  return out;
}

/** Turns foreign keys off when they are on; must run outside a transaction, where it works. */
function foreignKeysOff(db: Database.Database): () => void {
  if (db.inTransaction)
    throw new FerryError('USAGE', 'Foreign keys cannot be turned off inside a transaction (SQLite ignores PRAGMA foreign_keys there).', {
      hint: 'Call withForeignKeysOff before the transaction begins.',
    });
  const was = Number(db.pragma('foreign_keys', { simple: true })) === 1;
  if (was) db.pragma('foreign_keys = OFF');
  return () => {
    if (was && db.open && !db.inTransaction) db.pragma('foreign_keys = ON');
  };
}

function inSavepoint<T>(db: Database.Database, fn: () => T): T {
  db.exec('SAVEPOINT ferry_rebuild');
  try {
    const result = fn();
    db.exec('RELEASE ferry_rebuild');
    return result;
  } catch (e) {
    db.exec('ROLLBACK TO ferry_rebuild; RELEASE ferry_rebuild');
    throw e;
  }
}
