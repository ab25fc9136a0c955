/**
 * Schema operations as plain data (Alembic's `AddColumnOp` & co.). Each engine turns an op into
 * SQL in its own folder; keeping ops as data lets `--sql` print them, lets a plan be checked before
 * it runs, and lets a reverse be inferred for writing `down` steps.
 */
import { FerryError } from '../errors.js';
import type { Column, ForeignKeyAction, Table } from './model.js';

/** A column as revisions declare it. */
export interface ColumnSpec {
  name: string;
  /** The type as written in DDL (`text`, `bigint`, `varchar(20)`, `INTEGER`...). */
  type: string;
  nullable?: boolean;
  /** A default as an SQL expression. */
  default?: string;
  primaryKey?: boolean;
  unique?: boolean;
  /** `table(column)` this column references. */
  references?: { table: string; column: string; onDelete?: string; onUpdate?: string };
}

/** A table-level UNIQUE in a createTable op. */
export interface UniqueSpec {
  name?: string;
  columns: string[];
}
/** A table-level FOREIGN KEY in a createTable op. */
export interface ForeignKeySpec {
  name?: string;
  columns: string[];
  refTable: string;
  refColumns: string[];
  onDelete?: string;
  onUpdate?: string;
}
/** A table-level CHECK in a createTable op. */
export interface CheckSpec {
  name?: string;
  expression: string;
}

/** One schema change; `kind` tells which. Table and column names are exact (no quoting). */
export type SchemaOp =
  | {
      kind: 'createTable';
      table: string;
      columns: ColumnSpec[];
      primaryKey?: string[];
      ifNotExists?: boolean;
      /** Name of a table-level primary key (PostgreSQL keeps it; the reverse of dropTable sets it). */
      primaryKeyName?: string;
      uniques?: UniqueSpec[];
      foreignKeys?: ForeignKeySpec[];
      checks?: CheckSpec[];
    }
  | { kind: 'dropTable'; table: string }
  | { kind: 'renameTable'; table: string; to: string }
  | { kind: 'addColumn'; table: string; column: ColumnSpec }
  | { kind: 'dropColumn'; table: string; column: string }
  | { kind: 'renameColumn'; table: string; column: string; to: string }
  | { kind: 'alterColumn'; table: string; column: string; change: ColumnChange }
  | {
      kind: 'createIndex';
      table: string;
      name: string;
      columns: string[];
      unique?: boolean;
      where?: string;
      /**
       * The engine's own CREATE INDEX text, for an index on expressions (`lower(email)`), which
       * ops cannot spell column by column; it runs as it is, and `columns` is then empty.
       */
      sql?: string;
    }
  | { kind: 'dropIndex'; name: string; table?: string }
  | { kind: 'addForeignKey'; table: string; name: string; columns: string[]; refTable: string; refColumns: string[]; onDelete?: string; onUpdate?: string }
  | ({ kind: 'dropForeignKey'; table: string } & ConstraintRef)
  | { kind: 'addUnique'; table: string; name: string; columns: string[] }
  | ({ kind: 'dropUnique'; table: string } & ConstraintRef)
  | { kind: 'addCheck'; table: string; name: string; expression: string }
  | ({ kind: 'dropCheck'; table: string } & ConstraintRef)
  /**
   * The table's primary key becomes `columns` (none when empty). `name` names the new constraint;
   * `replaces` is the old one's name, which PostgreSQL needs to drop it (looked up when absent).
   */
  | { kind: 'setPrimaryKey'; table: string; columns: string[]; name?: string; replaces?: string }
  /** A view or trigger as the engine's own CREATE text (from introspection or a declared schema). */
  | { kind: 'createView'; name: string; sql: string }
  | { kind: 'dropView'; name: string; materialized?: boolean }
  | { kind: 'createTrigger'; name: string; table: string; sql: string }
  | { kind: 'dropTrigger'; name: string; table: string };

/**
 * Which constraint a drop op means: its name or, for a constraint without one (SQLite keeps no name
 * for `UNIQUE (a, b)` or `CHECK (x > 0)` written without CONSTRAINT), what it is: a unique
 * constraint or foreign key by its columns, a check by its expression.
 */
export interface ConstraintRef {
  name?: string;
  columns?: string[];
  expression?: string;
}

/** How a ConstraintRef reads in messages: the name, else `(a, b)` or `CHECK (x > 0)`. */
export function constraintRefText(ref: ConstraintRef): string {
  if (ref.name !== undefined) return ref.name;
  if (ref.columns) return `(${ref.columns.join(', ')})`;
  return `CHECK (${ref.expression ?? ''})`;
}

/** Whether a constraint of the model is the one `ref` means. */
export function refersTo(ref: ConstraintRef, c: { name?: string; columns?: string[]; expression?: string }): boolean {
  if (ref.name !== undefined) return c.name === ref.name;
  if (ref.columns)
    return !!c.columns && c.columns.length === ref.columns.length && c.columns.every((x, i) => x.toLowerCase() === ref.columns![i]!.toLowerCase());
  return ref.expression !== undefined && c.expression !== undefined && sameExpression(c.expression, ref.expression);
}

/**
 * Check expressions compare as written, but for case and whitespace outside string literals
 * (`b>0` is `b > 0`; `'a b'` is not `'ab'`).
 */
export function sameExpression(a: string, b: string): boolean {
  const n = (s: string) =>
    s
      .split(/('(?:[^']|'')*')/)
      .map((piece, i) => (i % 2 ? piece : piece.replace(/\s+/g, '').toLowerCase()))
      .join('');
  return n(a) === n(b);
}

/** What alterColumn changes; an absent field stays as it is, `default: null` drops the default. */
export interface ColumnChange {
  type?: string;
  nullable?: boolean;
  default?: string | null;
}

/** The referential actions the model knows, for validating op input. */
export const FK_ACTIONS: readonly ForeignKeyAction[] = ['NO ACTION', 'RESTRICT', 'CASCADE', 'SET NULL', 'SET DEFAULT'];

/** The op of one kind, e.g. `OpOf<'addColumn'>`. */
export type OpOf<K extends SchemaOp['kind']> = Extract<SchemaOp, { kind: K }>;

/**
 * A referential action for DDL, or undefined when it is the default (NO ACTION). Anything else
 * is refused: the action is pasted into DDL, so it must be one of the five SQL words.
 */
export function fkAction(action: string | undefined): string | undefined {
  const a = action?.trim().replace(/\s+/g, ' ').toUpperCase();
  if (a && !(FK_ACTIONS as readonly string[]).includes(a)) {
    throw new FerryError('USAGE', `"${action}" is not a referential action.`, { subject: action, hint: `Use one of ${FK_ACTIONS.join(', ')}.` });
  }
  return a && a !== 'NO ACTION' ? a : undefined;
}

/**
 * The ops that undo `op`. `before` is the table as it was before `op` ran (from introspect()):
 * needed whenever the op destroys something (dropTable, dropColumn, alterColumn, dropIndex and the
 * drop*Constraint ops), because the op alone does not say what was there. Throws a FerryError
 * naming the op when no reverse can be inferred, so a `down` is never silently wrong.
 */
export function reverseOp(op: SchemaOp, before?: Table): SchemaOp[] {
  switch (op.kind) {
    case 'createTable':
      return [{ kind: 'dropTable', table: op.table }];
    case 'renameTable':
      return [{ kind: 'renameTable', table: op.to, to: op.table }];
    case 'addColumn':
      return [{ kind: 'dropColumn', table: op.table, column: op.column.name }];
    case 'renameColumn':
      return [{ kind: 'renameColumn', table: op.table, column: op.to, to: op.column }];
    case 'createIndex':
      return [{ kind: 'dropIndex', name: op.name, table: op.table }];
    case 'addForeignKey':
      return [{ kind: 'dropForeignKey', table: op.table, name: op.name }];
    case 'addUnique':
      return [{ kind: 'dropUnique', table: op.table, name: op.name }];
    case 'addCheck':
      return [{ kind: 'dropCheck', table: op.table, name: op.name }];
    case 'dropTable': {
      const t = need(op, before);
      return [createTableOp(t), ...t.indexes.map((i) => indexOp(op, t, i.name))];
    }
    case 'dropColumn':
      return reverseDropColumn(op, need(op, before));
    case 'alterColumn': {
      const c = columnOf(op, need(op, before), op.column);
      const change: ColumnChange = {};
      if (op.change.type !== undefined) change.type = c.type;
      if (op.change.nullable !== undefined) change.nullable = c.nullable;
      if (op.change.default !== undefined) change.default = c.default;
      return [{ kind: 'alterColumn', table: op.table, column: op.column, change }];
    }
    case 'dropIndex':
      return [indexOp(op, need(op, before), op.name)];
    case 'dropForeignKey': {
      const fk =
        need(op, before).foreignKeys.find((f) => refersTo(op, f)) ??
        missing(op, `foreign key ${op.name !== undefined ? 'named ' : ''}${constraintRefText(op)}`);
      const name = op.name ?? fk.name ?? `${op.table}_${fk.columns.join('_')}_fkey`;
      return [
        {
          kind: 'addForeignKey',
          table: op.table,
          name,
          columns: fk.columns,
          refTable: fk.refTable,
          refColumns: fk.refColumns,
          onDelete: fkAction(fk.onDelete),
          onUpdate: fkAction(fk.onUpdate),
        },
      ];
    }
    case 'dropUnique': {
      const u =
        need(op, before).uniques.find((x) => refersTo(op, x)) ??
        missing(op, `unique constraint ${op.name !== undefined ? 'named ' : ''}${constraintRefText(op)}`);
      return [{ kind: 'addUnique', table: op.table, name: op.name ?? u.name ?? `${op.table}_${u.columns.join('_')}_key`, columns: u.columns }];
    }
    case 'setPrimaryKey': {
      const pk = need(op, before).primaryKey;
      return [
        {
          kind: 'setPrimaryKey',
          table: op.table,
          columns: pk?.columns ?? [],
          name: pk?.name,
          replaces: op.columns.length ? (op.name ?? `${op.table}_pkey`) : undefined,
        },
      ];
    }
    case 'createView':
      return [{ kind: 'dropView', name: op.name, materialized: /^\s*CREATE\s+MATERIALIZED\s/i.test(op.sql) }];
    case 'createTrigger':
      return [{ kind: 'dropTrigger', name: op.name, table: op.table }];
    // A view's or trigger's text is not in a table model: autogenerate plans both directions instead.
    case 'dropView':
    case 'dropTrigger':
      return irreversible(op, 'its definition is not part of the table as given');
    case 'dropCheck': {
      const c =
        need(op, before).checks.find((x) => refersTo(op, x)) ??
        missing(op, `check constraint ${op.name !== undefined ? 'named ' : ''}${constraintRefText(op)}`);
      return [{ kind: 'addCheck', table: op.table, name: op.name ?? c.name ?? `${op.table}_check`, expression: c.expression }];
    }
  }
}

/** A createTable op that recreates a table of the model, constraints and their names included. */
export function createTableOp(t: Table): OpOf<'createTable'> {
  const pk = t.primaryKey;
  return {
    kind: 'createTable',
    table: t.name,
    columns: t.columns.map(columnSpec),
    primaryKey: pk?.columns,
    primaryKeyName: pk?.name,
    uniques: t.uniques.map((u) => ({ name: u.name, columns: u.columns })),
    foreignKeys: t.foreignKeys.map((f) => ({
      name: f.name,
      columns: f.columns,
      refTable: f.refTable,
      refColumns: f.refColumns,
      onDelete: fkAction(f.onDelete),
      onUpdate: fkAction(f.onUpdate),
    })),
    checks: t.checks.map((c) => ({ name: c.name, expression: c.expression })),
  };
}

/** A column of the model as a ColumnSpec (type, nullability and default; keys live on the table). */
export function columnSpec(c: Column): ColumnSpec {
  const spec: ColumnSpec = { name: c.name, type: c.type, nullable: c.nullable };
  if (c.default !== null) spec.default = c.default;
  return spec;
}

/**
 * Undoing a column drop re-adds the column (at the end: neither engine can insert one in the
 * middle without a rebuild) and the indexes and named constraints that used it. An unnamed
 * constraint cannot be re-added by name, so its presence makes the drop irreversible.
 */
function reverseDropColumn(op: OpOf<'dropColumn'>, t: Table): SchemaOp[] {
  const col = columnOf(op, t, op.column);
  const uses = (cols: string[]) => cols.includes(op.column);
  const mentions = (expr: string) => new RegExp(`(^|[^A-Za-z0-9_$])"?${escapeRe(op.column)}"?($|[^A-Za-z0-9_$])`).test(expr);
  if (t.primaryKey && uses(t.primaryKey.columns)) return irreversible(op, `${op.column} was part of the primary key`);
  const unnamed = [
    ...t.uniques.filter((u) => uses(u.columns) && !u.name),
    ...t.foreignKeys.filter((f) => uses(f.columns) && !f.name),
    ...t.checks.filter((c) => mentions(c.expression) && !c.name),
  ];
  if (unnamed.length) return irreversible(op, `${op.column} was used by an unnamed constraint, which cannot be re-added by name`);
  const out: SchemaOp[] = [{ kind: 'addColumn', table: op.table, column: columnSpec(col) }];
  for (const i of t.indexes) if (uses(i.columns) || (i.where && mentions(i.where)) || (i.hasExpressions && mentions(i.sql))) out.push(indexOp(op, t, i.name));
  for (const u of t.uniques) if (uses(u.columns)) out.push({ kind: 'addUnique', table: op.table, name: u.name!, columns: u.columns });
  for (const f of t.foreignKeys)
    if (uses(f.columns))
      out.push({
        kind: 'addForeignKey',
        table: op.table,
        name: f.name!,
        columns: f.columns,
        refTable: f.refTable,
        refColumns: f.refColumns,
        onDelete: fkAction(f.onDelete),
        onUpdate: fkAction(f.onUpdate),
      });
  for (const c of t.checks) if (mentions(c.expression)) out.push({ kind: 'addCheck', table: op.table, name: c.name!, expression: c.expression });
  return out;
}

function indexOp(op: SchemaOp, t: Table, name: string): OpOf<'createIndex'> {
  const i = t.indexes.find((x) => x.name === name) ?? missing(op, `index named ${name}`);
  // An expression index's key parts exist only as engine SQL text: the op carries that text.
  if (i.hasExpressions) return { kind: 'createIndex', table: t.name, name: i.name, columns: [], unique: i.unique, sql: i.sql };
  return { kind: 'createIndex', table: t.name, name: i.name, columns: i.columns, unique: i.unique, ...(i.where ? { where: i.where } : {}) };
}

function columnOf(op: SchemaOp, t: Table, name: string): Column {
  return t.columns.find((c) => c.name === name) ?? missing(op, `column named ${name}`);
}

function need(op: SchemaOp, before: Table | undefined): Table {
  if (!before) return irreversible(op, 'it destroys something and the table as it was before was not given');
  return before;
}

function missing(op: SchemaOp, what: string): never {
  return irreversible(op, `the table as given has no ${what}`);
}

/** Throws the one error every "no reverse" case uses. */
function irreversible(op: SchemaOp, why: string): never {
  throw new FerryError('USAGE', `No reverse can be inferred for ${describeOp(op)}: ${why}.`, {
    subject: 'table' in op && op.table ? op.table : op.kind,
    hint: 'Write the down step of this revision by hand.',
  });
}

/** A one-line human description of an op, for messages and `--sql` comments. */
export function describeOp(op: SchemaOp): string {
  switch (op.kind) {
    case 'dropIndex':
      return `dropIndex ${op.name}`;
    case 'renameTable':
      return `renameTable ${op.table} -> ${op.to}`;
    case 'renameColumn':
      return `renameColumn ${op.table}.${op.column} -> ${op.to}`;
    case 'addColumn':
      return `addColumn ${op.table}.${op.column.name}`;
    case 'dropColumn':
    case 'alterColumn':
      return `${op.kind} ${op.table}.${op.column}`;
    case 'createTable':
    case 'dropTable':
      return `${op.kind} ${op.table}`;
    case 'dropForeignKey':
    case 'dropUnique':
    case 'dropCheck':
      return `${op.kind} ${constraintRefText(op)} on ${op.table}`;
    case 'setPrimaryKey':
      return `setPrimaryKey ${op.table} (${op.columns.join(', ')})`;
    case 'createView':
    case 'dropView':
      return `${op.kind} ${op.name}`;
    case 'createTrigger':
    case 'dropTrigger':
      return `${op.kind} ${op.name} on ${op.table}`;
    default:
      return `${op.kind} ${op.name} on ${op.table}`;
  }
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
