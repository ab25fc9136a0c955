/**
 * FakeDB: a made-up third engine with the core and no optional roles, registered the way any
 * outside engine is (`FERRY_ENGINES=dist/test/support/fake-engine.js`). Issue 11 asks that every
 * command needing a role such an engine lacks fails with one NOT_SUPPORTED error naming it, not a
 * crash; test/integration/fake-engine.test.ts proves it against this module.
 *
 * The engine is real, not a stub: databases live in memory (tables in Maps, named by the URL,
 * `fake:<name>`, shared by every connection of one process), rows are read, written, counted and
 * introspected, transactions roll back, and it runs a tiny SQL subset (CREATE TABLE, DROP TABLE,
 * DELETE FROM, SELECT * / count(*) FROM). `fake:demo` starts with one table of three rows, so a
 * command has something to work on before it asks for a role.
 */
import type { EngineDriver } from '../../src/engine/driver.js';
import type { Capabilities, ConnectionTarget, Engine, StreamOptions, TableRef } from '../../src/engine/types.js';
import { FerryError } from '../../src/errors.js';
import type { Column, Schema, Table } from '../../src/schema/model.js';
import type { Row } from '../../src/values/value.js';

const DIALECT = 'fake';
const LABEL = 'FakeDB';
const CAPABILITIES: Capabilities = { transactionalDdl: false, schemas: false, fileBackup: false, strictTypes: false };

/** A table as FakeDB keeps it: its definition and its rows, in column order. */
interface StoredTable {
  definition: Table;
  rows: Row[];
}

/** One FakeDB database: its tables by name. */
type Store = Map<string, StoredTable>;

/** Every database of this process, by name: two connections to `fake:demo` see the same data. */
const stores = new Map<string, Store>();

/** The demo database's one table, as `fake:demo` starts. */
function demoStore(): Store {
  const columns: Column[] = [
    { name: 'id', type: 'INTEGER', nullable: false, default: null },
    { name: 'body', type: 'TEXT', nullable: true, default: null },
  ];
  const notes: Table = { name: 'notes', columns, primaryKey: { columns: ['id'] }, uniques: [], indexes: [], foreignKeys: [], checks: [] };
  const rows: Row[] = [
    [1n, 'first note'],
    [2n, 'second note'],
    [3n, null],
  ];
  return new Map([['notes', { definition: notes, rows }]]);
}

function storeNamed(name: string): Store {
  let store = stores.get(name);
  if (!store) {
    store = name === 'demo' ? demoStore() : new Map();
    stores.set(name, store);
  }
  return store;
}

/** A deep enough copy to roll back to: rows are replaced, never edited in place. */
function snapshot(store: Store): Store {
  return new Map([...store].map(([name, t]) => [name, { definition: t.definition, rows: [...t.rows] }]));
}

const IDENT = String.raw`("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_]*)`;

/** An identifier as written in FakeDB SQL, unquoted. */
function unquote(ident: string): string {
  return ident.startsWith('"') ? ident.slice(1, -1).replace(/""/g, '"') : ident;
}

/** Parses `name TYPE [NOT NULL] [PRIMARY KEY]`, one column of a CREATE TABLE. */
function parseColumn(text: string): { column: Column; key: boolean } {
  const m = new RegExp(String.raw`^\s*${IDENT}\s*(.*)$`, 's').exec(text);
  if (!m) throw queryError(`cannot read the column definition "${text.trim()}"`);
  const rest = m[2].trim();
  const key = /\bPRIMARY\s+KEY\b/i.test(rest);
  const type = rest.replace(/\bPRIMARY\s+KEY\b|\bNOT\s+NULL\b/gi, '').trim();
  return { column: { name: unquote(m[1]), type, nullable: !key && !/\bNOT\s+NULL\b/i.test(rest), default: null }, key };
}

function queryError(why: string): FerryError {
  return new FerryError('QUERY', `${LABEL} could not run the statement: ${why}.`, {
    subject: DIALECT,
    hint: `${LABEL} understands CREATE TABLE, DROP TABLE, DELETE FROM and SELECT * / count(*) FROM.`,
  });
}

/** A FakeDB connection: the Engine core over one named in-memory database. */
class FakeEngine implements Engine {
  readonly dialect = DIALECT;
  readonly capabilities = CAPABILITIES;
  readonly displayUrl: string;
  private store: Store;
  private closed = false;

  constructor(private readonly name: string) {
    this.displayUrl = `fake:${name}`;
    this.store = storeNamed(name);
  }

  quoteIdent(name: string): string {
    return `"${name.replace(/"/g, '""')}"`;
  }

  quoteTable(ref: TableRef | string): string {
    return this.quoteIdent(typeof ref === 'string' ? ref : ref.name);
  }

  placeholder(n: number): string {
    return `$${n}`;
  }

  async exec(sql: string): Promise<void> {
    for (const statement of sql.split(';').filter((s) => s.trim() !== '')) this.runStatement(statement.trim());
  }

  async query<T = Record<string, unknown>>(sql: string): Promise<T[]> {
    return this.runStatement(sql.trim().replace(/;\s*$/, '')) as T[];
  }

  async introspect(): Promise<Schema> {
    this.assertOpen();
    return { dialect: DIALECT, tables: [...this.store.values()].map((t) => structuredClone(t.definition)), views: [], triggers: [] };
  }

  async countRows(table: TableRef | string): Promise<number> {
    return this.table(table).rows.length;
  }

  async *streamRows(table: TableRef | string, options: StreamOptions = {}): AsyncIterable<Row[]> {
    const t = this.table(table);
    const pick = (options.columns ?? t.definition.columns.map((c) => c.name)).map((c) => this.columnIndex(t, c));
    const rows = t.rows.map((r) => pick.map((i) => r[i]));
    const order = (options.orderBy ?? []).map((c) => pick.indexOf(this.columnIndex(t, c)));
    if (order.length) rows.sort((a, b) => order.reduce((cmp, i) => cmp || compare(a[i], b[i]), 0));
    const size = options.batchSize ?? 1000;
    for (let at = 0; at < rows.length; at += size) yield rows.slice(at, at + size);
  }

  async writeRows(table: TableRef | string, columns: string[], batches: AsyncIterable<Row[]> | Iterable<Row[]>): Promise<number> {
    const t = this.table(table);
    const at = columns.map((c) => this.columnIndex(t, c));
    return this.transaction(async () => {
      let written = 0;
      for await (const batch of batches) {
        for (const row of batch) {
          const full: Row = t.definition.columns.map(() => null);
          at.forEach((i, n) => (full[i] = row[n]));
          t.rows = [...t.rows, full];
        }
        written += batch.length;
      }
      return written;
    });
  }

  /** Runs `fn`; when it throws, the database goes back to what it held before. */
  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    this.assertOpen();
    const before = snapshot(this.store);
    try {
      return await fn();
    } catch (e) {
      this.store.clear();
      for (const [name, t] of before) this.store.set(name, t);
      throw e;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private assertOpen(): void {
    if (this.closed) throw new FerryError('INTERNAL', `The ${LABEL} connection to ${this.name} is closed.`);
  }

  private table(ref: TableRef | string): StoredTable {
    this.assertOpen();
    const name = typeof ref === 'string' ? ref : ref.name;
    const found = this.store.get(name);
    if (!found) throw new FerryError('TABLE_MISSING', `${LABEL} database ${this.name} has no table "${name}".`, { subject: name });
    return found;
  }

  private columnIndex(t: StoredTable, column: string): number {
    const i = t.definition.columns.findIndex((c) => c.name === column);
    if (i < 0) throw new FerryError('COLUMN_MISSING', `${LABEL} table "${t.definition.name}" has no column "${column}".`, { subject: column });
    return i;
  }

  /** One statement of the SQL subset; SELECTs return their rows, the rest nothing. */
  private runStatement(statement: string): Record<string, unknown>[] {
    this.assertOpen();
    let m: RegExpExecArray | null;
    if ((m = new RegExp(String.raw`^CREATE\s+TABLE\s+${IDENT}\s*\((.*)\)$`, 'is').exec(statement))) return this.create(unquote(m[1]), m[2]);
    if ((m = new RegExp(String.raw`^DROP\s+TABLE\s+(IF\s+EXISTS\s+)?${IDENT}$`, 'i').exec(statement))) return this.drop(unquote(m[2]), !!m[1]);
    if ((m = new RegExp(String.raw`^DELETE\s+FROM\s+${IDENT}$`, 'i').exec(statement))) {
      this.table(unquote(m[1])).rows = [];
      return [];
    }
    if ((m = new RegExp(String.raw`^SELECT\s+count\(\*\)\s+AS\s+${IDENT}\s+FROM\s+${IDENT}$`, 'i').exec(statement))) {
      return [{ [unquote(m[1])]: BigInt(this.table(unquote(m[2])).rows.length) }];
    }
    if ((m = new RegExp(String.raw`^SELECT\s+\*\s+FROM\s+${IDENT}$`, 'i').exec(statement))) return this.selectAll(unquote(m[1]));
    throw queryError(`"${statement.slice(0, 60)}" is outside its SQL`);
  }

  private create(name: string, body: string): [] {
    if (this.store.has(name)) throw queryError(`table "${name}" already exists`);
    const parsed = body.split(',').map(parseColumn);
    const keyColumns = parsed.filter((p) => p.key).map((p) => p.column.name);
    const definition: Table = {
      name,
      columns: parsed.map((p) => p.column),
      primaryKey: keyColumns.length ? { columns: keyColumns } : null,
      uniques: [],
      indexes: [],
      foreignKeys: [],
      checks: [],
    };
    this.store.set(name, { definition, rows: [] });
    return [];
  }

  private drop(name: string, ifExists: boolean): [] {
    if (!this.store.delete(name) && !ifExists) throw queryError(`there is no table "${name}"`);
    return [];
  }

  private selectAll(name: string): Record<string, unknown>[] {
    const t = this.table(name);
    return t.rows.map((r) => Object.fromEntries(t.definition.columns.map((c, i) => [c.name, r[i]])));
  }
}

/** Orders values as FakeDB sorts them: nulls first, then by natural order. */
function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return (a as number) < (b as number) ? -1 : 1;
}

/** Parses `fake:<name>`; the name is what two connections share. */
function parseFakeUrl(input: string): ConnectionTarget {
  const name = input.trim().slice('fake:'.length);
  if (!/^[A-Za-z0-9_-]+$/.test(name)) {
    throw new FerryError('BAD_URL', `"${input}" is not a valid ${LABEL} URL: write fake:<name>.`, { subject: input });
  }
  return { dialect: DIALECT, url: `fake:${name}`, displayUrl: `fake:${name}`, memory: true };
}

/** The FakeDB driver: the core (URLs, open) and no optional roles at all. */
const fakeDriver: EngineDriver = {
  dialect: DIALECT,
  label: LABEL,
  capabilities: CAPABILITIES,
  claims: (input) => /^fake:/i.test(input.trim()),
  parseUrl: parseFakeUrl,
  async open(target) {
    return new FakeEngine(target.url.slice('fake:'.length));
  },
  roles: {},
};

export default fakeDriver;
