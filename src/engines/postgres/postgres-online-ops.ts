/**
 * The lock-light forms of schema operations on a live PostgreSQL database (ctx.ops inside a revision
 * run). Each op is split into what runs in the revision's transaction, which only takes locks for an
 * instant (and waits for them under lock_timeout, retried), and the steps that finish it after that
 * transaction commits: the long scans run under weak locks that let the app read and write.
 *
 * | op              | in the revision's transaction        | after it commits                                   |
 * |-----------------|--------------------------------------|----------------------------------------------------|
 * | createIndex     | -                                    | CREATE INDEX CONCURRENTLY IF NOT EXISTS            |
 * | dropIndex       | -                                    | DROP INDEX CONCURRENTLY IF EXISTS                  |
 * | addForeignKey   | ADD CONSTRAINT ... NOT VALID         | VALIDATE CONSTRAINT (SHARE UPDATE EXCLUSIVE)       |
 * | addCheck        | ADD CONSTRAINT ... NOT VALID         | VALIDATE CONSTRAINT                                |
 * | addUnique       | -                                    | unique index CONCURRENTLY, then ADD ... USING INDEX |
 * | SET NOT NULL    | CHECK (c IS NOT NULL) NOT VALID      | VALIDATE; SET NOT NULL (no scan: the check proves it); drop the check |
 */
import type { AfterCommitStep, ColumnExpansion, OnlineForm } from '../../engine/revision-roles.js';
import type { Engine } from '../../engine/types.js';
import { FerryError } from '../../errors.js';
import type { OpOf, SchemaOp } from '../../schema/operations.js';
import { postgresOpSql } from './postgres-operations.js';
import { quoteIdent as q, quoteTable as t } from './postgres-quote.js';

/** The op's online form, or undefined when its plain form takes no long lock. */
export function postgresOnlineForm(op: SchemaOp): OnlineForm | undefined {
  switch (op.kind) {
    case 'createIndex':
      return { now: [], after: [noTransaction(`build index ${op.name}`, concurrentIndexSql(op))] };
    case 'dropIndex':
      return { now: [], after: [noTransaction(`drop index ${op.name}`, `DROP INDEX CONCURRENTLY IF EXISTS ${t(op.name)}`)] };
    case 'addForeignKey':
    case 'addCheck': {
      const [add, validate] = postgresOpSql(op);
      return { now: [add!], after: [inTransaction(`validate ${op.name}`, [validate!])] };
    }
    case 'addUnique':
      return {
        now: [],
        after: [
          noTransaction(
            `build unique index ${op.name}`,
            `CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ${q(op.name)} ON ${t(op.table)} (${list(op.columns)})`,
          ),
          inTransaction(`add unique ${op.name}`, [`ALTER TABLE ${t(op.table)} ADD CONSTRAINT ${q(op.name)} UNIQUE USING INDEX ${q(op.name)}`]),
        ],
      };
    case 'alterColumn':
      return op.change.nullable === false ? notNullForm(op) : undefined;
    default:
      return undefined;
  }
}

/** SET NOT NULL through a CHECK validated under a weak lock: PostgreSQL then sets it without a scan. */
function notNullForm(op: OpOf<'alterColumn'>): OnlineForm {
  const rest = postgresOpSql({ ...op, change: { ...op.change, nullable: undefined } });
  return { now: [...rest, ...notNullCheck(op.table, op.column).now], after: notNullCheck(op.table, op.column).after };
}

/** The NOT NULL of `column` in the lock-light steps (also the last part of a contract). */
function notNullCheck(table: string, column: string): OnlineForm {
  const check = q(shortName(`${table}_${column}_not_null`));
  const alter = `ALTER TABLE ${t(table)}`;
  return {
    now: [`${alter} ADD CONSTRAINT ${check} CHECK (${q(column)} IS NOT NULL) NOT VALID`],
    after: [
      inTransaction(`validate ${column} IS NOT NULL`, [`${alter} VALIDATE CONSTRAINT ${check}`]),
      inTransaction(`set ${column} NOT NULL`, [`${alter} ALTER COLUMN ${q(column)} SET NOT NULL`, `${alter} DROP CONSTRAINT IF EXISTS ${check}`]),
    ],
  };
}

/** CREATE INDEX as CONCURRENTLY IF NOT EXISTS, so a rerun after a kill finds it built (an INVALID leftover is dropped first). */
function concurrentIndexSql(op: OpOf<'createIndex'>): string {
  if (op.sql) {
    const m = /^\s*CREATE\s+(UNIQUE\s+)?INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?/i.exec(op.sql);
    if (!m) throw new FerryError('USAGE', `createIndex ${op.name}: its SQL does not start with CREATE INDEX.`, { subject: op.name });
    return `CREATE ${m[1] ? 'UNIQUE ' : ''}INDEX CONCURRENTLY IF NOT EXISTS ${op.sql.slice(m[0].length)}`;
  }
  const where = op.where ? ` WHERE ${op.where}` : '';
  return `CREATE ${op.unique ? 'UNIQUE ' : ''}INDEX CONCURRENTLY IF NOT EXISTS ${q(op.name)} ON ${t(op.table)} (${list(op.columns)})${where}`;
}

/** What an expansion leaves in the database: the trigger's function is named after the table and old column, and says what it joins. */
interface ExpansionRecord {
  table: string;
  from: string;
  to: string;
}

/**
 * Expand: the new column, a trigger that copies each write of either column to the other while both
 * app versions run, and a backfill of the rows written before. The backfill sets `ferry.expand` in
 * its transactions so the trigger does not copy its writes back (a lossy type change must not
 * rewrite the old column).
 */
export async function postgresExpand(engine: Engine, x: ColumnExpansion): Promise<OnlineForm> {
  const old = await columnOf(engine, x.table, x.from);
  if (!old) throw noSuch(x.table, x.from, 'expand');
  const type = x.type ?? old.type;
  const convert = x.convert ?? ((v: string) => (x.type ? `(${v})::${type}` : v));
  const revert = x.revert ?? ((v: string) => (x.type ? `(${v})::${old.type}` : v));
  const fn = expansionFunction(x.table, x.from);
  const [from, to] = [q(x.from), q(x.to)];
  const record: ExpansionRecord = { table: x.table, from: x.from, to: x.to };
  const body = [
    'BEGIN',
    `  IF TG_OP = 'INSERT' THEN`,
    `    IF NEW.${to} IS NULL THEN NEW.${to} := ${convert(`NEW.${from}`)}; ELSE NEW.${from} := ${revert(`NEW.${to}`)}; END IF;`,
    `  ELSIF NEW.${from} IS DISTINCT FROM OLD.${from} THEN NEW.${to} := ${convert(`NEW.${from}`)};`,
    `  ELSIF NEW.${to} IS DISTINCT FROM OLD.${to} AND current_setting('ferry.expand', true) IS DISTINCT FROM 'backfill' THEN NEW.${from} := ${revert(`NEW.${to}`)};`,
    '  END IF;',
    '  RETURN NEW;',
    'END',
  ].join('\n');
  return {
    now: [
      `ALTER TABLE ${t(x.table)} ADD COLUMN ${to} ${type}`,
      `CREATE FUNCTION ${fn} RETURNS trigger LANGUAGE plpgsql AS $ferry$\n${body}\n$ferry$`,
      `COMMENT ON FUNCTION ${fn} IS ${literal(JSON.stringify(record))}`,
      `CREATE TRIGGER ${q(triggerName(x.table, x.from))} BEFORE INSERT OR UPDATE ON ${t(x.table)} FOR EACH ROW EXECUTE FUNCTION ${fn}`,
    ],
    after: [
      {
        kind: 'backfill',
        label: `backfill ${x.table}.${x.to} from ${x.from}`,
        table: x.table,
        set: { [x.to]: convert(from) },
        where: `${to} IS DISTINCT FROM ${convert(from)}`,
        batchSize: 1000,
        batchMs: 50,
        pauseMs: 0,
        setup: ["SET LOCAL ferry.expand = 'backfill'"],
      },
    ],
  };
}

/**
 * Contract: the trigger and the old column go; the new column takes the old one's default, and its
 * NOT NULL through a validated check (no long lock).
 */
export async function postgresContract(engine: Engine, table: string, column: string, revert = false): Promise<OnlineForm> {
  const fn = expansionFunction(table, column);
  const [found] = await engine.query<{ note: string | null }>(
    `SELECT obj_description(p.oid, 'pg_proc') AS note FROM pg_proc p WHERE p.proname = $1 AND p.pronamespace = current_schema()::regnamespace`,
    [functionName(table, column)],
  );
  if (!found?.note)
    throw new FerryError(
      'SCHEMA_FAILED',
      `contract ${table}.${column}: no expansion of that column was found (ctx.ops.expandRenameColumn or expandAlterType adds one).`,
      {
        subject: `${table}.${column}`,
        hint: 'Contract names the table and the OLD column of an earlier expand; to drop a plain column use ctx.ops.dropColumn.',
      },
    );
  const record = JSON.parse(found.note) as ExpansionRecord;
  const dropTrigger = [`DROP TRIGGER IF EXISTS ${q(triggerName(table, column))} ON ${t(table)}`, `DROP FUNCTION IF EXISTS ${fn}`];
  // The down of an expand: the new column goes, the old one stays as it always was.
  if (revert) return { now: [...dropTrigger, `ALTER TABLE ${t(table)} DROP COLUMN IF EXISTS ${q(record.to)}`], after: [] };
  const old = await columnOf(engine, table, column);
  if (!old) throw noSuch(table, column, 'contract');
  const alter = `ALTER TABLE ${t(table)}`;
  const now = [...dropTrigger, `${alter} DROP COLUMN ${q(column)}`];
  if (old.default !== null) now.push(`${alter} ALTER COLUMN ${q(record.to)} SET DEFAULT ${old.default}`);
  if (!old.notNull) return { now, after: [] };
  const notNull = notNullCheck(table, record.to);
  return { now: [...now, ...notNull.now], after: notNull.after };
}

async function columnOf(engine: Engine, table: string, column: string): Promise<{ type: string; notNull: boolean; default: string | null } | undefined> {
  const [row] = await engine.query<{ type: string; not_null: boolean; def: string | null }>(
    `SELECT format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null, pg_get_expr(d.adbin, d.adrelid) AS def
       FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid = to_regclass($1) AND a.attname = $2 AND NOT a.attisdropped`,
    [t(table), column],
  );
  return row && { type: row.type, notNull: row.not_null, default: row.def };
}

function noSuch(table: string, column: string, what: string): FerryError {
  return new FerryError('SCHEMA_FAILED', `${what} ${table}.${column}: there is no such column.`, { subject: `${table}.${column}` });
}

/** The expansion's trigger function: `_ferry_expand_<table>_<column>`, kept within PostgreSQL's 63 bytes. */
function functionName(table: string, column: string): string {
  return shortName(`_ferry_expand_${table}_${column}`);
}

function expansionFunction(table: string, column: string): string {
  return `${q(functionName(table, column))}()`;
}

function triggerName(table: string, column: string): string {
  return shortName(`_ferry_expand_${table}_${column}`);
}

/** A name cut to PostgreSQL's 63 bytes, with a hash of the whole so two long names stay apart. */
function shortName(name: string): string {
  if (Buffer.byteLength(name) <= 63) return name;
  let h = 0;
  for (const ch of name) h = (Math.imul(h, 31) + ch.codePointAt(0)!) >>> 0;
  return `${Buffer.from(name)
    .subarray(0, 54)
    .toString()
    .replace(/\uFFFD+$/, '')}_${h.toString(16).padStart(8, '0')}`;
}

function noTransaction(label: string, sql: string): AfterCommitStep {
  return { kind: 'sql', label, statements: [sql], transactional: false };
}

function inTransaction(label: string, statements: string[]): AfterCommitStep {
  return { kind: 'sql', label, statements, transactional: true };
}

function list(columns: string[]): string {
  return columns.map(q).join(', ');
}

function literal(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}
