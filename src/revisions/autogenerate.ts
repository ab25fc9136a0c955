/**
 * `ferry revision --autogenerate`: the declared schema diffed against the database at its head,
 * written as a new revision with an up and a down. Plan first (planSchemaChange, pure), then
 * render the ops as SQL for the engine; nothing here runs DDL on the real database.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { connect } from '../engines/registry.js';
import type { Dialect } from '../engine/types.js';
import { parseUrl } from '../engines/registry.js';
import { postgresOpSql } from '../engines/postgres/postgres-operations.js';
import { nameSqliteConstraints, sqliteOpSteps } from '../engines/sqlite/sqlite-operations.js';
import { quoteSqliteIdent } from '../engines/sqlite/sqlite-tokens.js';
import { FerryError } from '../errors.js';
import type { Schema } from '../schema/model.js';
import { planSchemaChange } from '../schema/plan-schema-change.js';
import { loadDeclaredSchema } from './declared-schema.js';
import type { SchemaOp } from '../schema/operations.js';
import { loadGraph, newRevision, type RevisionTarget } from './revision-commands.js';
import { newRevisionId, slugFor } from './revision-file.js';
import { scriptRevisionText } from './revision-script.js';
import { VersionStore } from './version-store.js';

/** Options of autogenerateRevision. */
export interface AutogenerateOptions extends RevisionTarget {
  /** The declared schema file (the wanted DDL, with optional rename hints). */
  schemaFile: string;
  /** The new revision's message. */
  message: string;
}

/** What autogenerate did; `file` is null when the database already matches the declared schema. */
export interface AutogenerateResult {
  file: string | null;
  id: string | null;
  /** 'sql', or 'script' when a SQLite op needs a table rebuild (written as ctx.ops calls). */
  kind: 'sql' | 'script' | null;
  ops: SchemaOp[];
  reverse: SchemaOp[];
  warnings: string[];
}

/**
 * Writes a revision that takes the database (which must be at the graph's single head) to the
 * declared schema, and back in its down section. Throws a FerryError when the database is not at
 * head, so a revision is never generated against a stale schema.
 */
export async function autogenerateRevision(options: AutogenerateOptions): Promise<AutogenerateResult> {
  const { graph } = await loadGraph(options);
  const heads = graph.heads().map((r) => r.id);
  if (heads.length > 1)
    throw new FerryError('CONFLICT', `There are ${heads.length} heads (${heads.join(', ')}); autogenerate needs one.`, {
      hint: 'Merge them first: ferry merge -m "merge heads".',
    });
  const url = urlOf(options);
  const engine = await connect(url, parseUrl(url).dialect === 'sqlite' ? { mustExist: heads.length > 0 } : {});
  let current: Schema;
  try {
    const at = await new VersionStore(engine).heads();
    if (at.join(' ') !== heads.join(' ')) {
      throw new FerryError(
        'CONFLICT',
        `The database is at ${at.join(', ') || 'base'}, not at the head ${heads[0] ?? 'base'}: upgrade first, so the revision is generated against the schema its parent makes.`,
        {
          subject: engine.displayUrl,
          hint: 'ferry upgrade head, then run autogenerate again.',
        },
      );
    }
    current = named(await engine.introspect());
  } finally {
    await engine.close();
  }
  const declared = await loadDeclaredSchema(path.resolve(options.cwd ?? process.cwd(), options.schemaFile), current.dialect, url);
  const plan = planSchemaChange(current, declared.schema, declared.hints);
  const base = { ops: plan.ops, reverse: plan.reverse, warnings: plan.warnings };
  if (plan.ops.length === 0 && plan.warnings.length === 0) return { file: null, id: null, kind: null, ...base };

  const up = render(current.dialect, plan.ops, current, declared.schema);
  const down = render(current.dialect, plan.reverse, declared.schema, current);
  if (!up.script && !down.script) {
    const warn = plan.warnings.map((w) => `-- WARNING: ${w}`);
    const r = await newRevision({ ...options, up: [...warn, ...up.lines].join('\n'), down: down.lines.join('\n') });
    return { file: r.file, id: r.id, kind: 'sql', ...base };
  }
  // A script revision, because some SQLite op needs the table rebuild only ctx.ops performs.
  const id = newRevisionId();
  const dir = path.resolve(options.cwd ?? process.cwd(), options.dir ?? 'migrations');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${id}_${slugFor(options.message)}.ts`);
  const warn = plan.warnings.map((w) => `// WARNING: ${w}`);
  fs.writeFileSync(
    file,
    scriptRevisionText({ id, parents: heads, message: options.message, up: [...warn, ...up.script!].join('\n'), down: down.script!.join('\n') }),
    { flag: 'wx' },
  );
  return { file, id, kind: 'script', ...base };
}

/** The database URL as revision-commands.ts resolves it (--url, then DATABASE_URL). */
function urlOf(t: RevisionTarget): string {
  const url = t.url ?? process.env.DATABASE_URL;
  if (!url) throw new FerryError('USAGE', 'Say which database: --url, DATABASE_URL, or revisions.url in the config.');
  if (/^[a-z][a-z0-9+.-]*:/i.test(url) || path.isAbsolute(url)) return url;
  return path.resolve(t.cwd ?? process.cwd(), url);
}

/** SQLite's PRAGMAs do not report constraint names; reverse and drop ops need them. */
function named(s: Schema): Schema {
  return s.dialect === 'sqlite' ? { ...s, tables: s.tables.map(nameSqliteConstraints) } : s;
}

/** One direction of the revision: SQL lines, and (SQLite rebuilds) the same as script lines. */
interface Rendered {
  lines: string[];
  script: string[] | null;
}

/**
 * Renders ops. PostgreSQL: postgresOpSql for each. SQLite: SQL when ALTER TABLE can do it; any op
 * that needs the 12-step rebuild turns the whole revision into a script calling ctx.ops, since the
 * rebuild's statements depend on the live table when it runs.
 */
function render(dialect: Dialect, ops: SchemaOp[], before: Schema, after: Schema): Rendered {
  if (dialect === 'postgres') return { lines: ops.flatMap(postgresOpSql).map((s) => `${s};`), script: null };
  // sqliteOpSteps reads the live database only for dropTable and dropColumn, handled here first.
  const scratch = new Database(':memory:');
  try {
    const steps = ops.map((op) => sqliteStep(scratch, op, before, after));
    const lines = steps.filter((s): s is string => typeof s === 'string').map((s) => `${s};`);
    if (steps.every((s) => typeof s === 'string')) return { lines, script: null };
    const script = steps.map((s) => (typeof s === 'string' ? `await ctx.sql(${JSON.stringify(s)});` : opCall(s)));
    return { lines, script };
  } finally {
    scratch.close();
  }
}

/** The op's SQL on SQLite, or the op itself when it needs a rebuild. */
function sqliteStep(db: Database.Database, op: SchemaOp, before: Schema, after: Schema): string | SchemaOp {
  const q = quoteSqliteIdent;
  if (op.kind === 'createTable') {
    // The declared CREATE TABLE text keeps what the model cannot (AUTOINCREMENT, STRICT, COLLATE).
    const sql = after.tables.find((t) => t.name === op.table)?.sql;
    if (sql) return sql;
  }
  if (op.kind === 'dropTable') return `DROP TABLE ${q(op.table)}`;
  if (op.kind === 'dropColumn') return simpleDrop(before, op.table, op.column) ? `ALTER TABLE ${q(op.table)} DROP COLUMN ${q(op.column)}` : op;
  const steps = sqliteOpSteps(db, op);
  return steps.every((s) => s.kind === 'sql') ? steps.map((s) => (s.kind === 'sql' ? s.sql : '')).join(';\n') : op;
}

/**
 * Whether ALTER TABLE DROP COLUMN will do: SQLite refuses a column that is a key, in a
 * constraint, referenced, or named by a view or trigger (indexes on it are dropped earlier).
 */
function simpleDrop(s: Schema, table: string, column: string): boolean {
  const t = s.tables.find((x) => x.name === table);
  if (!t) return false;
  const word = new RegExp(`\\b${column.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`, 'i');
  if (t.primaryKey?.columns.includes(column)) return false;
  if (t.uniques.some((u) => u.columns.includes(column)) || t.foreignKeys.some((f) => f.columns.includes(column))) return false;
  if (t.checks.some((c) => word.test(c.expression))) return false;
  if (s.tables.some((o) => o.foreignKeys.some((f) => f.refTable === table && f.refColumns.includes(column)))) return false;
  return ![...s.views, ...s.triggers].some((v) => word.test(v.sql));
}

/** The ctx.ops call that performs a rebuild op in a script revision. */
function opCall(op: SchemaOp): string {
  const a = (...args: unknown[]) =>
    args
      .filter((x) => x !== undefined)
      .map((x) => JSON.stringify(x))
      .join(', ');
  switch (op.kind) {
    case 'addColumn':
      return `await ctx.ops.addColumn(${a(op.table, op.column)});`;
    case 'dropColumn':
      return `await ctx.ops.dropColumn(${a(op.table, op.column)});`;
    case 'alterColumn':
      return `await ctx.ops.alterColumn(${a(op.table, op.column, op.change)});`;
    case 'addForeignKey':
      return `await ctx.ops.addForeignKey(${a(op.table, op.name, op.columns, op.refTable, op.refColumns, { onDelete: op.onDelete, onUpdate: op.onUpdate })});`;
    case 'addUnique':
      return `await ctx.ops.addUnique(${a(op.table, op.name, op.columns)});`;
    case 'addCheck':
      return `await ctx.ops.addCheck(${a(op.table, op.name, op.expression)});`;
    case 'dropForeignKey':
      return `await ctx.ops.dropForeignKey(${a(op.table, op.name ?? op.columns)});`;
    case 'dropUnique':
      return `await ctx.ops.dropUnique(${a(op.table, op.name ?? op.columns)});`;
    case 'dropCheck':
      return `await ctx.ops.dropCheck(${a(op.table, op.name ?? { expression: op.expression })});`;
    case 'setPrimaryKey':
      return `await ctx.ops.setPrimaryKey(${a(op.table, op.columns, op.name ? { name: op.name } : undefined)});`;
    default:
      throw new FerryError('USAGE', `autogenerate has no ctx.ops call for ${op.kind}.`);
  }
}
