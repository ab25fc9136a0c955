/**
 * PostgreSQL's change capture, for the way back of `ferry sync` (after a cutover the app writes
 * here, and a rollback brings those rows back to SQLite): a `_ferry_changes` log written by one
 * generic trigger function, keys stored as SQL literals (quote_nullable of each key column's text),
 * and a statement-level fence trigger that refuses writes with the app-facing message. Positions
 * come from a sequence, in the order rows were logged; a rollback reads them only once the fence
 * has stopped every writer, so none is still uncommitted below the last one read.
 */
import { createHash } from 'node:crypto';
import type { CapturedChange, CaptureState, ChangeCapture } from '../../engine/sync-roles.js';
import type { Engine } from '../../engine/types.js';
import { FerryError } from '../../errors.js';
import type { Row, Value } from '../../values/value.js';
import { isPostgresKey, parsePostgresKey } from './postgres-key-token.js';
import { quoteIdent } from './postgres-quote.js';

const CHANGES = quoteIdent('_ferry_changes');
const CAPTURE = quoteIdent('_ferry_capture');
const OPS = { I: 'insert', U: 'update', D: 'delete' } as const;

/** A string as an SQL literal. */
function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

// The key of NEW or OLD, by the key columns the trigger was created with (TG_ARGV).
const CAPTURE_FUNCTION = `CREATE OR REPLACE FUNCTION _ferry_capture() RETURNS trigger LANGUAGE plpgsql AS $f$
DECLARE
  old_key text;
  new_key text;
BEGIN
  IF TG_OP <> 'INSERT' THEN
    SELECT string_agg(quote_nullable(to_jsonb(OLD) ->> k), ', ' ORDER BY n) INTO old_key FROM unnest(TG_ARGV) WITH ORDINALITY AS a(k, n);
  END IF;
  IF TG_OP <> 'DELETE' THEN
    SELECT string_agg(quote_nullable(to_jsonb(NEW) ->> k), ', ' ORDER BY n) INTO new_key FROM unnest(TG_ARGV) WITH ORDINALITY AS a(k, n);
  END IF;
  IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND old_key IS DISTINCT FROM new_key) THEN
    INSERT INTO _ferry_changes (tbl, op, key) VALUES (TG_TABLE_NAME, 'D', old_key);
  END IF;
  IF TG_OP <> 'DELETE' THEN
    INSERT INTO _ferry_changes (tbl, op, key) VALUES (TG_TABLE_NAME, CASE TG_OP WHEN 'INSERT' THEN 'I' ELSE 'U' END, new_key);
  END IF;
  RETURN NULL;
END $f$`;

const FENCE_FUNCTION = `CREATE OR REPLACE FUNCTION _ferry_fence() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
  RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'read_only_sql_transaction';
END $f$`;

async function hasTable(engine: Engine, name: string): Promise<boolean> {
  const rows = await engine.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = $1`, [
    name,
  ]);
  return Number(rows[0]?.n) > 0;
}

async function ownTriggers(engine: Engine, prefix: string): Promise<{ name: string; table: string }[]> {
  return engine.query<{ name: string; table: string }>(
    `SELECT t.tgname AS name, c.relname AS "table" FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
     WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace AND t.tgname LIKE $1`,
    [`${prefix}%`],
  );
}

export const postgresChangeCapture: ChangeCapture = {
  async captureProblem() {
    return null;
  },

  async keyProblems() {
    // A PostgreSQL primary key never holds NULL, and the way back keys rows by it.
    return [];
  },

  async install(engine, tables) {
    await engine.transaction(async () => {
      await engine.exec(
        `CREATE TABLE IF NOT EXISTS ${CHANGES} (position bigserial PRIMARY KEY, tbl text NOT NULL, op char(1) NOT NULL, key text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())`,
      );
      await engine.exec(`CREATE TABLE IF NOT EXISTS ${CAPTURE} (tbl text PRIMARY KEY, key jsonb NOT NULL)`);
      await engine.exec(CAPTURE_FUNCTION);
      const known = new Set((await engine.query<{ tbl: string }>(`SELECT tbl FROM ${CAPTURE}`)).map((r) => r.tbl));
      for (const t of tables) {
        if (known.has(t.table)) continue;
        if (!t.key.length) throw new FerryError('NOT_SUPPORTED', `Table "${t.table}" has no primary key, so its rows cannot be followed on PostgreSQL.`);
        await engine.exec(
          `CREATE TRIGGER ${quoteIdent(`_ferry_capture_${t.table}`.slice(0, 63))} AFTER INSERT OR UPDATE OR DELETE ON ${engine.quoteTable(t.table)} FOR EACH ROW EXECUTE FUNCTION _ferry_capture(${t.key.map(literal).join(', ')})`,
        );
        await engine.query(`INSERT INTO ${CAPTURE} (tbl, key) VALUES ($1, $2::jsonb)`, [t.table, JSON.stringify(t.key)]);
      }
    });
  },

  async state(engine) {
    if (!(await hasTable(engine, '_ferry_capture'))) return null;
    const rows = await engine.query<{ tbl: string; key: string }>(`SELECT tbl, key::text AS key FROM ${CAPTURE} ORDER BY tbl`);
    const fenced = [...new Set((await ownTriggers(engine, '_ferry_fence')).map((t) => t.table))].sort();
    const state: CaptureState = { tables: rows.map((r) => ({ table: r.tbl, key: JSON.parse(r.key) as string[] })), fenced };
    return state;
  },

  async position(engine) {
    if (!(await hasTable(engine, '_ferry_changes'))) return 0;
    const rows = await engine.query<{ n: string }>(`SELECT coalesce(max(position), 0)::text AS n FROM ${CHANGES}`);
    return Number(rows[0]?.n ?? 0);
  },

  async pendingAge(engine, after) {
    if (!(await hasTable(engine, '_ferry_changes'))) return null;
    const rows = await engine.query<{ ms: string | null }>(
      `SELECT (extract(epoch FROM clock_timestamp() - min(at)) * 1000)::bigint::text AS ms FROM ${CHANGES} WHERE position > $1`,
      [after],
    );
    return rows[0]?.ms == null ? null : Number(rows[0].ms);
  },

  async changesAfter(engine, after, limit) {
    // Ordered by the column, not by its text (which would put 10 before 9).
    const rows = await engine.query<{ pos: string; tbl: string; op: keyof typeof OPS; key: string }>(
      `SELECT position::text AS pos, tbl, op, key FROM ${CHANGES} WHERE position > $1 ORDER BY position LIMIT $2`,
      [after, limit],
    );
    return rows.map((r): CapturedChange => ({ position: Number(r.pos), table: r.tbl, op: OPS[r.op], key: r.key }));
  },

  async rowsByKey(engine, table, columns, keys) {
    const out = new Map<string, Row>();
    if (!keys.length) return out;
    for (const k of keys)
      if (!isPostgresKey(k)) throw new FerryError('INTERNAL', `The change log of ${engine.displayUrl} holds a key ferry did not write: ${k.slice(0, 40)}`);
    const key = table.key.map(quoteIdent);
    const token = `(SELECT string_agg(quote_nullable(to_jsonb(t) ->> k), ', ' ORDER BY n) FROM unnest(ARRAY[${table.key.map(literal).join(', ')}]) WITH ORDINALITY AS a(k, n))`;
    // Each value under a name of its own: a key column is also among the columns.
    const list = [...table.key, ...columns].map((c, i) => `t.${quoteIdent(c)} AS v${i}`);
    const sql = `SELECT ${token} AS k, ${list.join(', ')} FROM ${engine.quoteTable(table.table)} AS t WHERE (${key.map((k) => `t.${k}`).join(', ')}) IN (${keys.map((k) => `(${k})`).join(', ')})`;
    const rows = await engine.query<Record<string, Value>>(sql);
    const width = table.key.length + columns.length;
    for (const r of rows)
      out.set(
        String(r.k),
        Array.from({ length: width }, (_, i) => r[`v${i}`]!),
      );
    return out;
  },

  async schemaFingerprint(engine, tables) {
    const rows = await engine.query<{ t: string; c: string; ty: string }>(
      `SELECT c.relname AS t, a.attname AS c, format_type(a.atttypid, a.atttypmod) AS ty FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
       WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY 1, a.attnum`,
      [tables],
    );
    return createHash('sha256').update(JSON.stringify(rows)).digest('hex').slice(0, 16);
  },

  keyValues: parsePostgresKey,

  async forget(engine, upTo) {
    await engine.query(`DELETE FROM ${CHANGES} WHERE position <= $1`, [upTo]);
  },

  async fence(engine, tables, message) {
    await engine.transaction(async () => {
      await engine.exec(FENCE_FUNCTION);
      for (const t of tables)
        await engine.exec(
          `CREATE OR REPLACE TRIGGER ${quoteIdent(`_ferry_fence_${t}`.slice(0, 63))} BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON ${engine.quoteTable(t)} FOR EACH STATEMENT EXECUTE FUNCTION _ferry_fence(${literal(message)})`,
        );
    });
  },

  async unfence(engine) {
    await engine.transaction(async () => {
      for (const t of await ownTriggers(engine, '_ferry_fence')) await engine.exec(`DROP TRIGGER ${quoteIdent(t.name)} ON ${engine.quoteTable(t.table)}`);
      await engine.exec(`DROP FUNCTION IF EXISTS _ferry_fence()`);
    });
  },

  async remove(engine) {
    await engine.transaction(async () => {
      for (const t of [...(await ownTriggers(engine, '_ferry_capture')), ...(await ownTriggers(engine, '_ferry_fence'))])
        await engine.exec(`DROP TRIGGER ${quoteIdent(t.name)} ON ${engine.quoteTable(t.table)}`);
      await engine.exec(`DROP FUNCTION IF EXISTS _ferry_capture()`);
      await engine.exec(`DROP FUNCTION IF EXISTS _ferry_fence()`);
      await engine.exec(`DROP TABLE IF EXISTS ${CHANGES}`);
      await engine.exec(`DROP TABLE IF EXISTS ${CAPTURE}`);
    });
  },
};
