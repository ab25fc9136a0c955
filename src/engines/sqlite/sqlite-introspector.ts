import type Database from 'better-sqlite3';
import type { CheckConstraint, Column, ForeignKey, ForeignKeyAction, Index, Schema, Table, VirtualTable } from '../../schema/model.js';
import { isOwnObject } from '../../schema/own-tables.js';
import { columnCollations, extractChecks, tableOptions } from './sqlite-ddl-rewrite.js';
import { quoteSqliteIdent } from './sqlite-tokens.js';

interface XInfo {
  cid: bigint;
  name: string;
  type: string;
  notnull: bigint;
  dflt_value: string | null;
  pk: bigint;
  hidden: bigint;
}
interface IndexListRow {
  seq: bigint;
  name: string;
  unique: bigint;
  origin: string;
  partial: bigint;
}
interface IndexXInfo {
  seqno: bigint;
  cid: bigint;
  name: string | null;
  key: bigint;
}
interface FkRow {
  id: bigint;
  seq: bigint;
  table: string;
  from: string;
  to: string | null;
  on_update: string;
  on_delete: string;
}

/** Reads a SQLite database's schema into the engine-neutral model, using PRAGMAs and sqlite_schema. */
export function introspectSqlite(db: Database.Database, schemaName = 'main'): Schema {
  const q = quoteSqliteIdent(schemaName);
  const objects = db.prepare(`SELECT type, name, tbl_name, sql FROM ${q}.sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid`).all() as {
    type: string;
    name: string;
    tbl_name: string;
    sql: string | null;
  }[];
  // Shadow tables (FTS and R*Tree storage) belong to their virtual table: copying them as tables
  // would give PostgreSQL opaque blobs.
  const kinds = new Map((db.prepare(`PRAGMA ${q}.table_list`).all() as { name: string; type: string }[]).map((r) => [r.name, r.type]));
  const tables: Table[] = [];
  const virtualTables: VirtualTable[] = [];
  for (const o of objects) {
    if (o.type !== 'table' || !o.sql || kinds.get(o.name) === 'shadow') continue;
    if (/^CREATE\s+VIRTUAL/i.test(o.sql)) {
      const module = /\bUSING\s+([A-Za-z0-9_]+)/i.exec(o.sql)?.[1]?.toLowerCase() ?? '';
      const shadows = objects
        .filter((x) => x.type === 'table' && kinds.get(x.name) === 'shadow' && x.name.toLowerCase().startsWith(`${o.name.toLowerCase()}_`))
        .map((x) => x.name);
      virtualTables.push({ name: o.name, module, sql: o.sql, shadowTables: shadows });
      continue;
    }
    tables.push(introspectTable(db, q, o.name, o.sql, objects));
  }
  return {
    dialect: 'sqlite',
    tables,
    virtualTables,
    views: objects.filter((o) => o.type === 'view' && o.sql).map((o) => ({ name: o.name, sql: o.sql! })),
    triggers: objects.filter((o) => o.type === 'trigger' && o.sql && !isOwnObject(o.name)).map((o) => ({ name: o.name, table: o.tbl_name, sql: o.sql! })),
  };
}

function pragma<T>(db: Database.Database, q: string, name: string, arg: string): T[] {
  return db.prepare(`PRAGMA ${q}.${name}(${quoteSqliteIdent(arg)})`).all() as T[];
}

function introspectTable(db: Database.Database, q: string, name: string, sql: string, objects: { type: string; name: string; sql: string | null }[]): Table {
  const xinfo = pragma<XInfo>(db, q, 'table_xinfo', name);
  const collations = columnCollations(sql);
  const columns: Column[] = xinfo.map((c) => {
    const col: Column = { name: c.name, type: c.type, nullable: c.notnull === 0n && !isRowidAlias(c, xinfo), default: c.dflt_value };
    const collation = collations.get(c.name.toLowerCase());
    if (collation && collation.toUpperCase() !== 'BINARY') col.collation = collation;
    if (c.hidden === 2n) col.generated = 'virtual';
    if (c.hidden === 3n) col.generated = 'stored';
    return col;
  });
  const pkCols = xinfo
    .filter((c) => c.pk > 0n)
    .sort((a, b) => Number(a.pk - b.pk))
    .map((c) => c.name);
  const autoincrement = /\bAUTOINCREMENT\b/i.test(sql);
  const indexes: Index[] = [];
  const uniques: { name?: string; columns: string[] }[] = [];
  for (const il of pragma<IndexListRow>(db, q, 'index_list', name)) {
    const parts = pragma<IndexXInfo>(db, q, 'index_xinfo', il.name).filter((p) => p.key === 1n);
    const cols = parts.map((p) => p.name ?? '');
    const hasExpressions = parts.some((p) => p.cid === -2n);
    if (il.origin === 'u') uniques.push({ columns: cols });
    if (il.origin !== 'c') continue;
    const idxSql = objects.find((o) => o.type === 'index' && o.name === il.name)?.sql ?? '';
    const where = /\bWHERE\b([\s\S]*)$/i.exec(idxSql)?.[1]?.trim();
    indexes.push({ name: il.name, unique: il.unique === 1n, columns: hasExpressions ? [] : cols, sql: idxSql, where, hasExpressions });
  }
  const fkRows = pragma<FkRow>(db, q, 'foreign_key_list', name);
  const byId = new Map<bigint, FkRow[]>();
  for (const r of fkRows) byId.set(r.id, [...(byId.get(r.id) ?? []), r]);
  const foreignKeys: ForeignKey[] = [...byId.values()].map((rows) => {
    rows.sort((a, b) => Number(a.seq - b.seq));
    return {
      columns: rows.map((r) => r.from),
      refTable: rows[0]!.table,
      refColumns: rows.map((r) => r.to ?? ''),
      onDelete: rows[0]!.on_delete as ForeignKeyAction,
      onUpdate: rows[0]!.on_update as ForeignKeyAction,
    };
  });
  const checks: CheckConstraint[] = extractChecks(sql);
  const opts = tableOptions(sql);
  return {
    name,
    columns,
    primaryKey: pkCols.length ? { columns: pkCols, autoincrement } : null,
    uniques,
    indexes,
    foreignKeys,
    checks,
    withoutRowid: opts.withoutRowid,
    strict: opts.strict,
    sql,
  };
}

/** An INTEGER PRIMARY KEY column is the rowid: never NULL even without NOT NULL. */
function isRowidAlias(c: XInfo, all: XInfo[]): boolean {
  return c.pk === 1n && all.filter((x) => x.pk > 0n).length === 1 && c.type.toUpperCase() === 'INTEGER';
}
