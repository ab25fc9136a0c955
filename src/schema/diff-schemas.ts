import type { Schema, Table } from './model.js';

/** One difference between two schema models, in words a person can act on. */
export interface SchemaDifference {
  /** The table (or view/trigger) concerned. */
  object: string;
  /** What differs, e.g. `column email: type TEXT vs VARCHAR(20)`, `only in the first: index i`. */
  detail: string;
}

/** Tables ferry itself keeps in a database: never part of a comparison. */
const OWN_TABLES = /^(ferry_version|ferry_history|_ferry_copy_state|sqlite_sequence|sqlite_stat\d)$/;

/**
 * The differences between two introspected schemas of the same engine, as a pure function: tables,
 * columns (type, nullability, default), primary keys, unique constraints, indexes, foreign keys,
 * checks, views and triggers. Order of tables and constraints does not matter; constraint names
 * do (a renamed index is a difference). `a` and `b` are named `first`/`second` in the details.
 */
export function diffSchemas(a: Schema, b: Schema): SchemaDifference[] {
  const out: SchemaDifference[] = [];
  const tablesA = new Map(a.tables.filter((t) => !OWN_TABLES.test(t.name)).map((t) => [t.name, t]));
  const tablesB = new Map(b.tables.filter((t) => !OWN_TABLES.test(t.name)).map((t) => [t.name, t]));
  for (const [name, ta] of tablesA) {
    const tb = tablesB.get(name);
    if (!tb) out.push({ object: name, detail: 'table only in the first' });
    else diffTables(ta, tb, out);
  }
  for (const name of tablesB.keys()) if (!tablesA.has(name)) out.push({ object: name, detail: 'table only in the second' });
  diffNamed(
    'view',
    a.views.map((v) => [v.name, norm(v.sql)]),
    b.views.map((v) => [v.name, norm(v.sql)]),
    out,
  );
  diffNamed(
    'trigger',
    a.triggers.map((t) => [t.name, norm(t.sql)]),
    b.triggers.map((t) => [t.name, norm(t.sql)]),
    out,
  );
  return out;
}

function diffTables(a: Table, b: Table, out: SchemaDifference[]): void {
  const push = (detail: string) => out.push({ object: a.name, detail });
  const colsA = new Map(a.columns.map((c) => [c.name, c]));
  const colsB = new Map(b.columns.map((c) => [c.name, c]));
  for (const [name, ca] of colsA) {
    const cb = colsB.get(name);
    if (!cb) {
      push(`column ${name} only in the first`);
      continue;
    }
    if (norm(ca.type) !== norm(cb.type)) push(`column ${name}: type ${ca.type || '(none)'} vs ${cb.type || '(none)'}`);
    if (ca.nullable !== cb.nullable) push(`column ${name}: ${ca.nullable ? 'nullable' : 'NOT NULL'} vs ${cb.nullable ? 'nullable' : 'NOT NULL'}`);
    if (norm(ca.default ?? '') !== norm(cb.default ?? '')) push(`column ${name}: default ${ca.default ?? '(none)'} vs ${cb.default ?? '(none)'}`);
    if ((ca.generated ?? '') !== (cb.generated ?? '')) push(`column ${name}: generated ${ca.generated ?? 'no'} vs ${cb.generated ?? 'no'}`);
  }
  for (const name of colsB.keys()) if (!colsA.has(name)) push(`column ${name} only in the second`);
  const order = (cols: string[]) => cols.join(', ');
  if (order(a.primaryKey?.columns ?? []) !== order(b.primaryKey?.columns ?? []))
    push(`primary key (${order(a.primaryKey?.columns ?? [])}) vs (${order(b.primaryKey?.columns ?? [])})`);
  diffSets(
    'unique',
    a.uniques.map((u) => order(u.columns)),
    b.uniques.map((u) => order(u.columns)),
    push,
  );
  diffNamed(
    'index',
    a.indexes.map((i) => [
      i.name,
      `${i.unique ? 'unique ' : ''}${i.hasExpressions ? norm(i.sql) : order(i.columns)}${i.where ? ` where ${norm(i.where)}` : ''}`,
    ]),
    b.indexes.map((i) => [
      i.name,
      `${i.unique ? 'unique ' : ''}${i.hasExpressions ? norm(i.sql) : order(i.columns)}${i.where ? ` where ${norm(i.where)}` : ''}`,
    ]),
    out,
    a.name,
  );
  const fk = (f: Table['foreignKeys'][number]) =>
    `(${order(f.columns)}) -> ${f.refTable}(${order(f.refColumns)}) on delete ${f.onDelete} on update ${f.onUpdate}`;
  diffSets('foreign key', a.foreignKeys.map(fk), b.foreignKeys.map(fk), push);
  diffSets(
    'check',
    a.checks.map((c) => norm(c.expression)),
    b.checks.map((c) => norm(c.expression)),
    push,
  );
}

/** Differences between two multisets of descriptions. */
function diffSets(kind: string, a: string[], b: string[], push: (d: string) => void): void {
  const left = [...a];
  for (const x of b) {
    const i = left.indexOf(x);
    if (i >= 0) left.splice(i, 1);
    else push(`${kind} ${x} only in the second`);
  }
  for (const x of left) push(`${kind} ${x} only in the first`);
}

/** Differences between two sets of named objects by name and definition. */
function diffNamed(kind: string, a: [string, string][], b: [string, string][], out: SchemaDifference[], table?: string): void {
  const mb = new Map(b);
  for (const [name, def] of a) {
    const other = mb.get(name);
    if (other === undefined) out.push({ object: table ?? name, detail: `${kind} ${name} only in the first` });
    else if (other !== def) out.push({ object: table ?? name, detail: `${kind} ${name}: ${def} vs ${other}` });
  }
  const ma = new Map(a);
  for (const [name] of b) if (!ma.has(name)) out.push({ object: table ?? name, detail: `${kind} ${name} only in the second` });
}

/** Whitespace and letter case of SQL text do not count (identifiers are compared exactly elsewhere). */
/** SQL text compared without case and whitespace differences (views, triggers, index definitions). */
export function norm(sql: string): string {
  return sql
    .replace(/\s+/g, ' ')
    .replace(/\s*([(),])\s*/g, '$1')
    .trim()
    .toLowerCase();
}
