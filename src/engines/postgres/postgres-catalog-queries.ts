/**
 * The catalog queries behind introspection. Each reads one kind of object for every table in the
 * schema ($1) at once, so introspecting a large schema takes a fixed number of round trips.
 * Lists of names come back as json so they arrive as arrays without a text[] parser. Results are
 * ordered with COLLATE "C" so the model is byte-for-byte stable across servers and locales.
 */

/** Tables owned by the schema (no partitions, nothing created by an extension). */
const OWN_RELATION = `
  n.nspname = $1
  AND NOT c.relispartition
  AND NOT EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.classid = 'pg_class'::regclass AND dep.objid = c.oid AND dep.deptype = 'e')`;

/** Ordinary and partitioned tables. */
export const TABLES_SQL = `
SELECT c.oid::text AS oid, c.relname AS name
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND ${OWN_RELATION}
ORDER BY c.relname COLLATE "C"`;

/** Columns in declaration order; the default is the generation expression for generated columns. */
export const COLUMNS_SQL = `
SELECT a.attrelid::text AS table_oid, a.attname AS name,
       format_type(a.atttypid, a.atttypmod) AS type,
       NOT a.attnotnull AS nullable,
       pg_get_expr(d.adbin, d.adrelid) AS "default",
       a.attidentity AS identity, a.attgenerated AS generated,
       CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation THEN co.collname END AS collation
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
LEFT JOIN pg_collation co ON co.oid = a.attcollation
WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND ${OWN_RELATION}
ORDER BY a.attrelid, a.attnum`;

/** Primary key, unique, foreign key and CHECK constraints (NOT NULL is a column property). */
export const CONSTRAINTS_SQL = `
SELECT con.conrelid::text AS table_oid, con.conname AS name, con.contype AS kind,
       (SELECT json_agg(a.attname ORDER BY k.ord)
          FROM unnest(con.conkey) WITH ORDINALITY AS k(num, ord)
          JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num) AS columns,
       (SELECT json_agg(a.attname ORDER BY k.ord)
          FROM unnest(con.confkey) WITH ORDINALITY AS k(num, ord)
          JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num) AS ref_columns,
       rc.relname AS ref_table, rn.nspname AS ref_schema,
       con.confdeltype AS on_delete, con.confupdtype AS on_update,
       CASE WHEN con.contype = 'c' THEN pg_get_expr(con.conbin, con.conrelid) END AS expression
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class rc ON rc.oid = con.confrelid
LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
WHERE con.contype IN ('p', 'u', 'f', 'c') AND c.relkind IN ('r', 'p') AND ${OWN_RELATION}
ORDER BY con.conrelid, con.conname COLLATE "C"`;

/**
 * Indexes that are not the implementation of a PRIMARY KEY, UNIQUE or EXCLUDE constraint: those
 * are recreated by their constraint, so listing them again would create them twice.
 */
export const INDEXES_SQL = `
SELECT i.indrelid::text AS table_oid, ic.relname AS name, i.indisunique AS "unique",
       pg_get_indexdef(i.indexrelid) AS sql,
       pg_get_expr(i.indpred, i.indrelid) AS "where",
       i.indexprs IS NOT NULL AS has_expressions,
       (SELECT json_agg(a.attname ORDER BY k.ord)
          FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(num, ord)
          JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.num
          WHERE k.ord <= i.indnkeyatts) AS columns
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND ${OWN_RELATION}
  AND NOT EXISTS (SELECT 1 FROM pg_constraint con
                  WHERE con.conrelid = i.indrelid AND con.conindid = i.indexrelid AND con.contype IN ('p', 'u', 'x'))
ORDER BY c.relname COLLATE "C", ic.relname COLLATE "C"`;

/** User triggers on tables and views; internal ones (constraint triggers of FKs) are skipped. */
export const TRIGGERS_SQL = `
SELECT c.relname AS "table", t.tgname AS name, pg_get_triggerdef(t.oid) AS sql
FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT t.tgisinternal AND c.relkind IN ('r', 'p', 'v') AND ${OWN_RELATION}
ORDER BY c.relname COLLATE "C", t.tgname COLLATE "C"`;

/** Views and materialized views with their definitions and options. */
export const VIEWS_SQL = `
SELECT c.relname AS name, c.relkind AS kind, pg_get_viewdef(c.oid) AS definition,
       array_to_json(c.reloptions) AS options
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('v', 'm') AND ${OWN_RELATION}
ORDER BY c.relname COLLATE "C"`;
