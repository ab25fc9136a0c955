/**
 * The autogenerate diff: the schema operations that turn one schema model into another, as a pure
 * function (no database, no I/O), so it can be unit-tested and its output printed before anything
 * runs. Renames only ever come from explicit hints; a column or table that disappears while another
 * appears is planned as drop + add and reported in `warnings`, never guessed.
 */
import { norm } from './diff-schemas.js';
import { isInternalTable } from './own-tables.js';
import { planViewsAndTriggers } from './plan-views.js';
import { columnSpec, createTableOp, fkAction, type SchemaOp } from './operations.js';
import type { ColumnSpec } from './operations.js';
import type { Column, ForeignKey, Schema, Table } from './model.js';

/** An explicit rename, from `-- ferry:rename-table` / `-- ferry:rename-column` in the declared schema. */
export type RenameHint = { kind: 'table'; from: string; to: string } | { kind: 'column'; table: string; from: string; to: string };

/** What planSchemaChange returns: the up ops, the down ops, and what a person must look at. */
export interface SchemaChangePlan {
  /** Ops that turn `current` into `wanted`, in a safe order. */
  ops: SchemaOp[];
  /** Ops that turn `wanted` back into `current` (the revision's down), in a safe order. */
  reverse: SchemaOp[];
  /** Loud notes for the top of the up section (one line each, without the comment marker). */
  warnings: string[];
}

/** Tables ferry keeps for itself (and SQLite's own): never planned. */
const VERSION_TABLES = /^(ferry_version|ferry_history)$/;

/** ferry's version tables and the tables that are not the app's are never part of a schema change. */
function ownTable(name: string): boolean {
  return VERSION_TABLES.test(name) || isInternalTable(name);
}

/**
 * The ops from `current` to `wanted` and back. The down is planned the same way in the other
 * direction (hints inverted) rather than by reversing each up op, because each op's reverse needs
 * the table as it was just before that op, and a plan from the full `wanted` model already has it.
 */
export function planSchemaChange(current: Schema, wanted: Schema, hints: RenameHint[] = []): SchemaChangePlan {
  const up = planOneWay(current, wanted, hints);
  const inverted: RenameHint[] = hints.map((h) => (h.kind === 'table' ? { kind: 'table', from: h.to, to: h.from } : { ...h, from: h.to, to: h.from }));
  const down = planOneWay(wanted, current, invertTableOfColumnHints(inverted, hints));
  return { ops: up.ops, reverse: down.ops, warnings: up.warnings };
}

/** Column hints name their table by old or new name; in reverse, the new table name is the "from". */
function invertTableOfColumnHints(inverted: RenameHint[], original: RenameHint[]): RenameHint[] {
  const tableRenames = original.filter((h): h is Extract<RenameHint, { kind: 'table' }> => h.kind === 'table');
  return inverted.map((h) => (h.kind === 'column' ? { ...h, table: tableRenames.find((t) => t.from === h.table)?.to ?? h.table } : h));
}

interface Planned {
  ops: SchemaOp[];
  warnings: string[];
}

function planOneWay(fromSchema: Schema, toSchema: Schema, hints: RenameHint[]): Planned {
  const warnings: string[] = [];
  let from = fromSchema.tables.filter((t) => !ownTable(t.name)).map(clone);
  const to = new Map(toSchema.tables.filter((t) => !ownTable(t.name)).map((t) => [t.name, t]));
  const renames: SchemaOp[] = [];
  // Renames first: every later op names tables and columns by their new names.
  for (const h of hints) {
    if (h.kind !== 'table') continue;
    if (!from.some((t) => t.name === h.from) || from.some((t) => t.name === h.to) || !to.has(h.to) || to.has(h.from)) continue;
    renames.push({ kind: 'renameTable', table: h.from, to: h.to });
    from = from.map((t) => renameTableIn(t, h.from, h.to));
  }
  for (const h of hints) {
    if (h.kind !== 'column') continue;
    const table = from.find((t) => t.name === h.table) ?? from.find((t) => t.name === hints.find((x) => x.kind === 'table' && x.from === h.table)?.to);
    const target = table && to.get(table.name);
    if (!table || !target || !has(table, h.from) || has(table, h.to) || !has(target, h.to) || has(target, h.from)) continue;
    renames.push({ kind: 'renameColumn', table: table.name, column: h.from, to: h.to });
    from = from.map((t) => renameColumnIn(t, table.name, h.from, h.to));
  }

  const fromMap = new Map(from.map((t) => [t.name, t]));
  const dropped = from.filter((t) => !to.has(t.name));
  const created = [...to.values()].filter((t) => !fromMap.has(t.name));
  if (dropped.length && created.length) {
    warnings.push(
      `table(s) ${names(dropped)} dropped and ${names(created)} created: if this is a rename, add a hint "-- ferry:rename-table ${dropped[0]!.name} -> ${created[0]!.name}" to the declared schema, or the data is lost.`,
    );
  }

  const dropConstraints: SchemaOp[] = [];
  const dropColumns: SchemaOp[] = [];
  const addColumns: SchemaOp[] = [];
  const addConstraints: SchemaOp[] = [];
  const addForeignKeys: SchemaOp[] = [];
  const setPrimaryKeys: SchemaOp[] = [];
  for (const a of from) {
    const b = to.get(a.name);
    if (!b) continue;
    diffColumns(a, b, dropColumns, addColumns, warnings);
    if (keyOf(a.primaryKey?.columns ?? []) !== keyOf(b.primaryKey?.columns ?? [])) {
      // After the columns it may use are added; before the foreign keys that may point at it.
      setPrimaryKeys.push({
        kind: 'setPrimaryKey',
        table: a.name,
        columns: b.primaryKey?.columns ?? [],
        name: b.primaryKey?.name,
        replaces: a.primaryKey?.name,
      });
    }
    diffConstraints(a, b, dropConstraints, addConstraints, addForeignKeys);
  }
  const dropTables = orderByReferences(dropped, true).map((t): SchemaOp => ({ kind: 'dropTable', table: t.name }));
  const createTables: SchemaOp[] = [];
  for (const t of orderByReferences(created, false)) {
    createTables.push(withSerials(createTableOp(t), t));
    for (const i of t.indexes) addConstraints.push(...indexOps(t, i));
  }
  const tableOps = [
    ...renames,
    ...dropConstraints,
    ...dropTables,
    ...dropColumns,
    ...createTables,
    ...addColumns,
    ...setPrimaryKeys,
    ...addConstraints,
    ...addForeignKeys,
  ];
  // Views and triggers around them: dropped before the tables change, created after.
  const views = planViewsAndTriggers(fromSchema, toSchema, tableOps);
  warnings.push(...views.warnings);
  return { ops: [...views.before, ...tableOps, ...views.after], warnings };
}

/** Column adds, drops and alterations of one table present on both sides. */
function diffColumns(a: Table, b: Table, drops: SchemaOp[], adds: SchemaOp[], warnings: string[]): void {
  const gone = a.columns.filter((c) => !has(b, c.name));
  const added = b.columns.filter((c) => !has(a, c.name));
  for (const c of gone) drops.push({ kind: 'dropColumn', table: a.name, column: c.name });
  for (const c of added) {
    adds.push({ kind: 'addColumn', table: a.name, column: specOf(c) });
    if (!c.nullable && c.default === null) warnings.push(`${a.name}.${c.name} is added NOT NULL without a default: this fails if ${a.name} has rows.`);
  }
  if (gone.length && added.length) {
    warnings.push(
      `${a.name}: column(s) ${gone.map((c) => c.name).join(', ')} dropped and ${added.map((c) => c.name).join(', ')} added; this looks like a rename: add a hint "-- ferry:rename-column ${a.name}.${gone[0]!.name} -> ${added[0]!.name}" to the declared schema, or the data is lost.`,
    );
  }
  for (const ca of a.columns) {
    const cb = b.columns.find((c) => c.name === ca.name);
    if (!cb) continue;
    const change: Extract<SchemaOp, { kind: 'alterColumn' }>['change'] = {};
    if (norm(ca.type) !== norm(cb.type)) change.type = cb.type;
    if (ca.nullable !== cb.nullable) change.nullable = cb.nullable;
    if (norm(ca.default ?? '') !== norm(cb.default ?? '')) change.default = cb.default;
    if (Object.keys(change).length) adds.push({ kind: 'alterColumn', table: a.name, column: ca.name, change });
    if ((ca.generated ?? '') !== (cb.generated ?? ''))
      warnings.push(`${a.name}.${ca.name} changes its generated/identity kind; ferry does not generate that: write it by hand.`);
  }
}

/** Indexes (by name and definition), uniques, checks and foreign keys (by definition). */
function diffConstraints(a: Table, b: Table, drops: SchemaOp[], adds: SchemaOp[], fks: SchemaOp[]): void {
  // A constraint without a name (SQLite keeps none for `UNIQUE (a)` written without CONSTRAINT)
  // is dropped by what it is: its columns, or its check expression.
  for (const f of a.foreignKeys) {
    if (b.foreignKeys.some((g) => fkKey(g) === fkKey(f))) continue;
    drops.unshift({ kind: 'dropForeignKey', table: a.name, ...(f.name ? { name: f.name } : { columns: f.columns }) });
  }
  for (const f of b.foreignKeys) {
    if (a.foreignKeys.some((g) => fkKey(g) === fkKey(f))) continue;
    fks.push({
      kind: 'addForeignKey',
      table: a.name,
      name: f.name ?? `${a.name}_${f.columns.join('_')}_fkey`,
      columns: f.columns,
      refTable: f.refTable,
      refColumns: f.refColumns,
      onDelete: fkAction(f.onDelete),
      onUpdate: fkAction(f.onUpdate),
    });
  }
  for (const u of a.uniques) {
    if (b.uniques.some((v) => keyOf(v.columns) === keyOf(u.columns))) continue;
    drops.push({ kind: 'dropUnique', table: a.name, ...(u.name ? { name: u.name } : { columns: u.columns }) });
  }
  for (const u of b.uniques) {
    if (!a.uniques.some((v) => keyOf(v.columns) === keyOf(u.columns)))
      adds.push({ kind: 'addUnique', table: a.name, name: u.name ?? `${a.name}_${u.columns.join('_')}_key`, columns: u.columns });
  }
  for (const c of a.checks) {
    if (b.checks.some((d) => norm(d.expression) === norm(c.expression))) continue;
    drops.push({ kind: 'dropCheck', table: a.name, ...(c.name ? { name: c.name } : { expression: c.expression }) });
  }
  b.checks.forEach((c, n) => {
    if (!a.checks.some((d) => norm(d.expression) === norm(c.expression)))
      adds.push({ kind: 'addCheck', table: a.name, name: c.name ?? `${a.name}_check${n + 1}`, expression: c.expression });
  });
  for (const i of a.indexes) {
    const j = b.indexes.find((x) => x.name === i.name);
    if (!j || indexKey(j) !== indexKey(i)) drops.push({ kind: 'dropIndex', name: i.name, table: a.name });
  }
  for (const j of b.indexes) {
    const i = a.indexes.find((x) => x.name === j.name);
    if (!i || indexKey(j) !== indexKey(i)) adds.push(...indexOps(b, j));
  }
}

function indexOps(t: Table, i: Table['indexes'][number]): SchemaOp[] {
  // An expression index exists only as engine SQL text, which the op then carries as it is.
  if (i.hasExpressions) return [{ kind: 'createIndex', table: t.name, name: i.name, columns: [], unique: i.unique, sql: i.sql }];
  return [{ kind: 'createIndex', table: t.name, name: i.name, columns: i.columns, unique: i.unique, ...(i.where ? { where: i.where } : {}) }];
}

/**
 * A column as an op declares it. A serial column (PostgreSQL) introspects as a nextval() default
 * on a sequence that a new table would not have, so it is written back as serial; identity
 * columns keep their GENERATED clause in the type. Both are recognised by what the introspected
 * column holds, which only an engine that has them reports.
 */
function specOf(c: Column): ColumnSpec {
  const spec = columnSpec(c);
  const serial = { integer: 'serial', bigint: 'bigserial', smallint: 'smallserial' }[c.type.toLowerCase()];
  if (serial && /^nextval\('[^']*_seq'::regclass\)$/.test(c.default ?? '')) return { ...spec, type: serial, default: undefined };
  if (c.generated === 'identity-always' || c.generated === 'identity-by-default') {
    return { ...spec, type: `${c.type} GENERATED ${c.generated === 'identity-always' ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY` };
  }
  return spec;
}

function withSerials(op: Extract<SchemaOp, { kind: 'createTable' }>, t: Table): SchemaOp {
  const columns = t.columns.map((c) => specOf(c));
  for (const c of columns) if (c.default === undefined) delete c.default;
  return { ...op, columns };
}

/**
 * Tables ordered so foreign keys never point at a table that does not exist yet (creating:
 * referenced first) or any more (dropping: referencing first). Cycles fall back to name order.
 */
function orderByReferences(tables: Table[], dropping: boolean): Table[] {
  const names = new Set(tables.map((t) => t.name));
  const out: Table[] = [];
  const done = new Set<string>();
  const visit = (t: Table, path: Set<string>) => {
    if (done.has(t.name) || path.has(t.name)) return;
    path.add(t.name);
    for (const f of t.foreignKeys)
      if (names.has(f.refTable) && f.refTable !== t.name)
        visit(
          tables.find((x) => x.name === f.refTable)!,
          path,
        );
    done.add(t.name);
    out.push(t);
  };
  for (const t of [...tables].sort((x, y) => x.name.localeCompare(y.name))) visit(t, new Set());
  return dropping ? out.reverse() : out;
}

function renameTableIn(t: Table, from: string, to: string): Table {
  return { ...t, name: t.name === from ? to : t.name, foreignKeys: t.foreignKeys.map((f) => (f.refTable === from ? { ...f, refTable: to } : f)) };
}

/** The table model as it is after RENAME COLUMN: both engines rewrite keys, indexes and checks. */
function renameColumnIn(t: Table, table: string, from: string, to: string): Table {
  const r = (cols: string[]) => cols.map((c) => (c === from ? to : c));
  const re = new RegExp(`(^|[^A-Za-z0-9_$"])("?)${from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\2(?=$|[^A-Za-z0-9_$])`, 'g');
  const expr = (s: string) => s.replace(re, `$1$2${to}$2`);
  const fkRefs = t.foreignKeys.map((f) => (f.refTable === table ? { ...f, refColumns: r(f.refColumns) } : f));
  if (t.name !== table) return { ...t, foreignKeys: fkRefs };
  return {
    ...t,
    columns: t.columns.map((c) => (c.name === from ? { ...c, name: to } : c)),
    primaryKey: t.primaryKey && { ...t.primaryKey, columns: r(t.primaryKey.columns) },
    uniques: t.uniques.map((u) => ({ ...u, columns: r(u.columns) })),
    indexes: t.indexes.map((i) => ({ ...i, columns: r(i.columns), ...(i.where ? { where: expr(i.where) } : {}) })),
    foreignKeys: fkRefs.map((f) => ({ ...f, columns: r(f.columns) })),
    checks: t.checks.map((c) => ({ ...c, expression: expr(c.expression) })),
  };
}

const has = (t: Table, column: string) => t.columns.some((c) => c.name === column);
const names = (ts: Table[]) => ts.map((t) => t.name).join(', ');
const keyOf = (cols: string[]) => cols.join(', ');
const fkKey = (f: ForeignKey) => `(${keyOf(f.columns)})->${f.refTable}(${keyOf(f.refColumns)}) ${fkAction(f.onDelete) ?? ''} ${fkAction(f.onUpdate) ?? ''}`;
const indexKey = (i: Table['indexes'][number]) => `${i.unique} ${i.hasExpressions ? norm(i.sql) : keyOf(i.columns)} ${norm(i.where ?? '')}`;
const clone = (t: Table): Table => ({ ...t });

/** Whitespace and letter case of SQL text do not count, as in diff-schemas.ts. */
