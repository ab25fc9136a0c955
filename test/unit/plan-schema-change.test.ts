import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqlite } from '../../src/engines/sqlite/sqlite-engine.js';
import { nameSqliteConstraints } from '../../src/engines/sqlite/sqlite-operations.js';
import type { SchemaOp } from '../../src/schema/operations.js';
import type { Schema } from '../../src/schema/model.js';
import { planSchemaChange } from '../../src/schema/plan-schema-change.js';
import { parseRenameHints } from '../../src/revisions/declared-schema.js';

/** The model of some SQLite DDL, introspected from an in-memory database. */
async function model(ddl: string): Promise<Schema> {
  const e = openSqlite(':memory:', { mustExist: false });
  try {
    await e.exec(ddl);
    const s = await e.introspect();
    return { ...s, tables: s.tables.map(nameSqliteConstraints) };
  } finally {
    await e.close();
  }
}

const kinds = (ops: SchemaOp[]) => ops.map((o) => o.kind);

const BASE = `
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INTEGER);
CREATE INDEX users_name ON users (name);
CREATE TABLE ferry_version (revision TEXT PRIMARY KEY);`;

test("identical schemas plan nothing, and ferry's own tables are ignored", async () => {
  const p = planSchemaChange(await model(BASE), await model(BASE.replace(/CREATE TABLE ferry_version.*;/, '')), []);
  assert.deepEqual(p, { ops: [], reverse: [], warnings: [] });
});

test('tables, columns, indexes: create, drop, add, drop, alter, with reverses', async () => {
  const a = await model(`${BASE}\nCREATE TABLE old_logs (id INTEGER PRIMARY KEY, line TEXT);`);
  const b = await model(`
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT DEFAULT 'none', nick TEXT);
CREATE INDEX users_email ON users (email) WHERE email IS NOT NULL;
CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id) ON DELETE CASCADE, body TEXT NOT NULL);
CREATE INDEX posts_user ON posts (user_id);`);
  const p = planSchemaChange(a, b, []);
  assert.deepEqual(kinds(p.ops), [
    'dropIndex',
    'dropTable',
    'dropColumn',
    'createTable',
    'addColumn',
    'addColumn',
    'alterColumn',
    'createIndex',
    'createIndex',
  ]);
  assert.deepEqual(p.ops[2], { kind: 'dropColumn', table: 'users', column: 'age' });
  assert.deepEqual(p.ops[6], { kind: 'alterColumn', table: 'users', column: 'name', change: { nullable: true } });
  assert.deepEqual(p.ops[4], { kind: 'addColumn', table: 'users', column: { name: 'email', type: 'TEXT', nullable: true, default: "'none'" } });
  const posts = p.ops.find((o) => o.kind === 'createTable');
  assert.equal(posts?.kind === 'createTable' && posts.foreignKeys?.[0]?.onDelete, 'CASCADE');
  assert.ok(p.ops.some((o) => o.kind === 'createIndex' && o.name === 'users_email' && o.where === 'email IS NOT NULL'));
  // The down is the plan the other way: it restores the dropped table, column and index.
  // posts_user goes with its table.
  assert.deepEqual(kinds(p.reverse), ['dropIndex', 'dropTable', 'dropColumn', 'dropColumn', 'createTable', 'addColumn', 'alterColumn', 'createIndex']);
  assert.ok(p.reverse.some((o) => o.kind === 'createTable' && o.table === 'old_logs'));
  assert.ok(p.reverse.some((o) => o.kind === 'addColumn' && o.column.name === 'age'));
  assert.ok(p.reverse.some((o) => o.kind === 'alterColumn' && o.change.nullable === false));
  // Dropping a column and adding one in the same table is reported as a possible rename.
  // So is dropping a table while creating another.
  assert.equal(p.warnings.length, 2);
  assert.match(p.warnings[0]!, /old_logs dropped and posts created/);
  assert.match(
    p.warnings[1]!,
    /users: column\(s\) age dropped and email, nick added; this looks like a rename.*ferry:rename-column users\.age -> email.*data is lost/,
  );
});

test('uniques, checks and foreign keys are matched by definition; drops of them come first', async () => {
  const a = await model(`
CREATE TABLE teams (id INTEGER PRIMARY KEY, code TEXT);
CREATE TABLE players (id INTEGER PRIMARY KEY, team_id INTEGER, n INTEGER,
  CONSTRAINT players_team FOREIGN KEY (team_id) REFERENCES teams (id),
  CONSTRAINT n_pos CHECK (n > 0));`);
  const b = await model(`
CREATE TABLE teams (id INTEGER PRIMARY KEY, code TEXT, CONSTRAINT teams_code UNIQUE (code));
CREATE TABLE players (id INTEGER PRIMARY KEY, team_id INTEGER, n INTEGER,
  CONSTRAINT players_team FOREIGN KEY (team_id) REFERENCES teams (id) ON DELETE SET NULL,
  CONSTRAINT n_small CHECK (n < 100));`);
  const p = planSchemaChange(a, b, []);
  assert.deepEqual(kinds(p.ops), ['dropForeignKey', 'dropCheck', 'addUnique', 'addCheck', 'addForeignKey']);
  assert.deepEqual(p.ops.at(-1), {
    kind: 'addForeignKey',
    table: 'players',
    name: 'players_team',
    columns: ['team_id'],
    refTable: 'teams',
    refColumns: ['id'],
    onDelete: 'SET NULL',
    onUpdate: undefined,
  });
  assert.deepEqual(kinds(p.reverse), ['dropForeignKey', 'dropUnique', 'dropCheck', 'addCheck', 'addForeignKey']);
  assert.ok(p.reverse.some((o) => o.kind === 'addCheck' && o.name === 'n_pos' && o.expression === 'n > 0'));
  assert.deepEqual(p.warnings, []);
});

test('new tables are created referenced-first and dropped referencing-first', async () => {
  const a = await model('CREATE TABLE keep (id INTEGER PRIMARY KEY);');
  const b = await model(`CREATE TABLE keep (id INTEGER PRIMARY KEY);
CREATE TABLE a_child (id INTEGER PRIMARY KEY, p INTEGER REFERENCES z_parent (id));
CREATE TABLE z_parent (id INTEGER PRIMARY KEY);`);
  const p = planSchemaChange(a, b, []);
  assert.deepEqual(
    p.ops.map((o) => (o.kind === 'createTable' ? o.table : '')),
    ['z_parent', 'a_child'],
  );
  assert.deepEqual(
    p.reverse.map((o) => (o.kind === 'dropTable' ? o.table : '')),
    ['a_child', 'z_parent'],
  );
});

test('renames come only from hints, keep dependent keys and indexes, and reverse', async () => {
  const a = await model(`CREATE TABLE people (id INTEGER PRIMARY KEY, fullname TEXT);
CREATE INDEX people_fullname ON people (fullname);
CREATE TABLE notes (id INTEGER PRIMARY KEY, person INTEGER REFERENCES people (id));`);
  const b = await model(`CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
CREATE INDEX people_fullname ON users (name);
CREATE TABLE notes (id INTEGER PRIMARY KEY, person INTEGER REFERENCES users (id));`);
  const unhinted = planSchemaChange(a, b, []);
  assert.ok(unhinted.ops.some((o) => o.kind === 'dropTable'));
  assert.match(unhinted.warnings.join('\n'), /people dropped and users created.*ferry:rename-table people -> users/);

  const hints = parseRenameHints('-- ferry:rename-table people -> users\n-- ferry:rename-column users.fullname -> name\n', 'schema.sql');
  const p = planSchemaChange(a, b, hints);
  assert.deepEqual(p.ops, [
    { kind: 'renameTable', table: 'people', to: 'users' },
    { kind: 'renameColumn', table: 'users', column: 'fullname', to: 'name' },
  ]);
  assert.deepEqual(p.reverse, [
    { kind: 'renameTable', table: 'users', to: 'people' },
    { kind: 'renameColumn', table: 'people', column: 'name', to: 'fullname' },
  ]);
  assert.deepEqual(p.warnings, []);
  // The hint may also name the table by its old name.
  assert.deepEqual(
    planSchemaChange(a, b, parseRenameHints('-- ferry:rename-table people -> users\n-- ferry:rename-column people.fullname -> name', 's')).ops,
    p.ops,
  );
});

test('a malformed hint is an error, not silently ignored', () => {
  assert.throws(() => parseRenameHints('-- ferry:rename-column users fullname name', 'schema.sql'), /schema\.sql:1: cannot read the rename hint/);
});

test('PostgreSQL serial and identity columns are written so a new table can be created', () => {
  const table = (cols: Schema['tables'][number]['columns']): Schema['tables'][number] => ({
    name: 't',
    schema: 'public',
    columns: cols,
    primaryKey: { name: 't_pkey', columns: ['id'] },
    uniques: [],
    indexes: [],
    foreignKeys: [],
    checks: [],
  });
  const empty: Schema = { dialect: 'postgres', tables: [], views: [], triggers: [] };
  const wanted: Schema = {
    ...empty,
    tables: [
      table([
        { name: 'id', type: 'integer', nullable: false, default: "nextval('t_id_seq'::regclass)" },
        { name: 'n', type: 'bigint', nullable: false, default: null, generated: 'identity-always' },
      ]),
    ],
  };
  const op = planSchemaChange(empty, wanted, []).ops[0]!;
  assert.equal(op.kind, 'createTable');
  if (op.kind === 'createTable') {
    assert.deepEqual(op.columns, [
      { name: 'id', type: 'serial', nullable: false },
      { name: 'n', type: 'bigint GENERATED ALWAYS AS IDENTITY', nullable: false },
    ]);
    assert.equal(op.primaryKeyName, 't_pkey');
  }
});

test('constraints SQLite keeps without a name are dropped by what they are, and re-added named by the reverse', async () => {
  const a = await model(`
CREATE TABLE teams (id INTEGER PRIMARY KEY, code TEXT UNIQUE, n INTEGER CHECK (n > 0));
CREATE TABLE players (id INTEGER PRIMARY KEY, team_id INTEGER REFERENCES teams (id), UNIQUE (id, team_id));`);
  const b = await model(`
CREATE TABLE teams (id INTEGER PRIMARY KEY, code TEXT, n INTEGER);
CREATE TABLE players (id INTEGER PRIMARY KEY, team_id INTEGER);`);
  const p = planSchemaChange(a, b, []);
  assert.deepEqual(p.warnings, [], 'no "drop it by hand" warnings any more');
  const drops = p.ops.map((o) => JSON.stringify(o)).sort();
  assert.deepEqual(
    drops,
    [
      JSON.stringify({ kind: 'dropForeignKey', table: 'players', columns: ['team_id'] }),
      JSON.stringify({ kind: 'dropUnique', table: 'players', columns: ['id', 'team_id'] }),
      JSON.stringify({ kind: 'dropCheck', table: 'teams', expression: 'n > 0' }),
      JSON.stringify({ kind: 'dropUnique', table: 'teams', columns: ['code'] }),
    ].sort(),
  );
});

test('views and triggers: made again only when they change or name what changes; dependents first; none for a dropped table', async () => {
  const a = await model(`
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE logs (id INTEGER PRIMARY KEY, line TEXT);
CREATE TABLE old (id INTEGER PRIMARY KEY);
CREATE VIEW names AS SELECT name FROM users;
CREATE VIEW name_count AS SELECT count(*) AS n FROM names;
CREATE VIEW lines AS SELECT line FROM logs;
CREATE TRIGGER old_t AFTER INSERT ON old BEGIN SELECT 1; END;
CREATE TRIGGER logs_t AFTER INSERT ON logs BEGIN SELECT 1; END;`);
  const same = planSchemaChange(a, a, []);
  assert.deepEqual(same.ops, [], 'nothing changes: no view or trigger is touched');
  const b = await model(`
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT);
CREATE TABLE logs (id INTEGER PRIMARY KEY, line TEXT);
CREATE VIEW names AS SELECT name FROM users;
CREATE VIEW name_count AS SELECT count(*) AS n FROM names;
CREATE VIEW lines AS SELECT line FROM logs;
CREATE TRIGGER logs_t AFTER INSERT ON logs BEGIN SELECT 2; END;`);
  const p = planSchemaChange(a, b, []);
  const show = (o: SchemaOp) => [o.kind, 'name' in o ? o.name : '', 'table' in o ? o.table : ''].filter(Boolean).join(' ');
  assert.deepEqual(p.ops.map(show), [
    'dropTrigger logs_t logs', // changed text; old_t goes with its table
    'dropView name_count', // names the view that is made again: dropped first
    'dropView names', // names users, which gains a column
    'dropTable old',
    'addColumn users',
    'createView names',
    'createView name_count',
    'createTrigger logs_t logs',
  ]);
  assert.deepEqual(p.warnings, []);
});
