import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { connect } from '../../src/engines/registry.js';
import type { Dialect, Engine } from '../../src/engine/types.js';
import { nameSqliteConstraints } from '../../src/engines/sqlite/sqlite-operations.js';
import { reverseOp, type SchemaOp } from '../../src/schema/operations.js';
import { createSchemaOperations, runSchemaOp } from '../../src/revisions/schema-operations.js';
import type { Schema, Table } from '../../src/schema/model.js';
import { freshPostgresDatabase } from '../support/postgres.js';
import { tempDir } from '../support/sqlite-fixtures.js';

async function open(dialect: Dialect, t: TestContext): Promise<Engine | null> {
  if (dialect === 'sqlite') return connect(`sqlite:${path.join(tempDir('schema-ops'), 'a.db')}`);
  const db = await freshPostgresDatabase(t);
  return db ? connect(db.url) : null;
}

/** The model minus what legitimately differs after a rebuild: stored DDL text and list order. */
function normalize(schema: Schema): unknown {
  const sorted = <T>(xs: T[]) => xs.map((x) => JSON.stringify(x)).sort();
  return schema.tables
    .map((t) => ({
      name: t.name,
      columns: t.columns.map((c) => ({ name: c.name, type: c.type.toLowerCase(), nullable: c.nullable, default: c.default })),
      primaryKey: t.primaryKey && { name: t.primaryKey.name, columns: t.primaryKey.columns },
      uniques: sorted(t.uniques),
      indexes: sorted(t.indexes.map((i) => ({ name: i.name, unique: i.unique, columns: i.columns, where: i.where }))),
      foreignKeys: sorted(t.foreignKeys),
      // SQLite's own RENAME COLUMN writes the names it touches quoted: `qty` comes back as `"qty"`.
      checks: sorted(t.checks.map((c) => ({ ...c, expression: c.expression.replace(/"(\w+)"/g, '$1') }))),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

const table = (s: Schema, name: string): Table => {
  const t = s.tables.find((x) => x.name === name);
  assert.ok(t, `table ${name} exists`);
  return t;
};
const column = (s: Schema, t: string, c: string) => table(s, t).columns.find((x) => x.name === c);

/** Each op with what introspection must show after it; every one is then reversed. */
const CASES: { op: SchemaOp; check: (s: Schema, d: Dialect) => void }[] = [
  {
    op: {
      kind: 'createTable',
      table: 'extra',
      columns: [
        { name: 'id', type: 'integer', primaryKey: true },
        { name: 'label', type: 'text', nullable: false, unique: true },
      ],
    },
    check: (s) =>
      assert.deepEqual(
        table(s, 'extra').columns.map((c) => c.name),
        ['id', 'label'],
      ),
  },
  {
    op: { kind: 'dropTable', table: 'archive' },
    check: (s) =>
      assert.equal(
        s.tables.some((t) => t.name === 'archive'),
        false,
      ),
  },
  { op: { kind: 'renameTable', table: 'child', to: 'kids' }, check: (s) => assert.ok(table(s, 'kids').foreignKeys.length >= 1) },
  {
    op: { kind: 'addColumn', table: 'parent', column: { name: 'status', type: 'text', nullable: false, default: "'new'" } },
    check: (s) => assert.equal(column(s, 'parent', 'status')?.nullable, false),
  },
  {
    op: { kind: 'addColumn', table: 'parent', column: { name: 'made', type: 'text' } },
    check: (s) => assert.equal(column(s, 'parent', 'made')?.nullable, true),
  },
  { op: { kind: 'dropColumn', table: 'parent', column: 'legacy' }, check: (s) => assert.equal(column(s, 'parent', 'legacy'), undefined) },
  { op: { kind: 'dropColumn', table: 'child', column: 'slot' }, check: (s) => assert.equal(column(s, 'child', 'slot'), undefined) },
  { op: { kind: 'renameColumn', table: 'parent', column: 'qty', to: 'amount' }, check: (s) => assert.ok(column(s, 'parent', 'amount')) },
  {
    op: { kind: 'alterColumn', table: 'child', column: 'note', change: { type: 'varchar(50)', nullable: false, default: "'none'" } },
    check: (s) => {
      const c = column(s, 'child', 'note')!;
      assert.match(c.type, /^(varchar\(50\)|character varying\(50\))$/);
      assert.equal(c.nullable, false);
      assert.match(c.default!, /^'none'/);
    },
  },
  {
    op: { kind: 'alterColumn', table: 'child', column: 'note', change: { default: null } },
    check: (s) => assert.equal(column(s, 'child', 'note')!.default, null),
  },
  {
    op: { kind: 'createIndex', table: 'parent', name: 'parent_big', columns: ['qty'], where: 'qty > 10' },
    check: (s) => assert.equal(table(s, 'parent').indexes.find((i) => i.name === 'parent_big')?.where, 'qty > 10'),
  },
  {
    op: { kind: 'dropIndex', name: 'child_note', table: 'child' },
    check: (s) =>
      assert.equal(
        table(s, 'child').indexes.some((i) => i.name === 'child_note'),
        false,
      ),
  },
  {
    op: { kind: 'addForeignKey', table: 'child', name: 'child_other_fk', columns: ['other_id'], refTable: 'parent', refColumns: ['id'], onDelete: 'SET NULL' },
    check: (s) => assert.ok(table(s, 'child').foreignKeys.some((f) => f.columns[0] === 'other_id' && f.onDelete === 'SET NULL')),
  },
  {
    op: { kind: 'dropForeignKey', table: 'child', name: 'child_parent_fk' },
    check: (s) =>
      assert.equal(
        table(s, 'child').foreignKeys.some((f) => f.columns[0] === 'parent_id'),
        false,
      ),
  },
  {
    op: { kind: 'addUnique', table: 'parent', name: 'parent_code_qty', columns: ['code', 'qty'] },
    check: (s) => assert.ok(table(s, 'parent').uniques.some((u) => u.columns.join() === 'code,qty')),
  },
  {
    op: { kind: 'dropUnique', table: 'parent', name: 'parent_code_key' },
    check: (s) =>
      assert.equal(
        table(s, 'parent').uniques.some((u) => u.columns.join() === 'code'),
        false,
      ),
  },
  {
    op: { kind: 'addCheck', table: 'parent', name: 'qty_pos', expression: 'qty >= 0' },
    check: (s) => assert.ok(table(s, 'parent').checks.some((c) => c.name === 'qty_pos')),
  },
  {
    op: { kind: 'dropCheck', table: 'parent', name: 'qty_small' },
    check: (s) =>
      assert.equal(
        table(s, 'parent').checks.some((c) => c.name === 'qty_small'),
        false,
      ),
  },
  {
    op: { kind: 'setPrimaryKey', table: 'child', columns: ['id', 'parent_id'], name: 'child_pkey' },
    check: (s) => assert.deepEqual(table(s, 'child').primaryKey?.columns, ['id', 'parent_id']),
  },
];

const SETUP: SchemaOp[] = [
  {
    kind: 'createTable',
    table: 'parent',
    primaryKey: ['id'],
    primaryKeyName: 'parent_pkey',
    columns: [
      { name: 'id', type: 'integer', nullable: false },
      { name: 'code', type: 'text', nullable: false },
      { name: 'qty', type: 'integer' },
      { name: 'legacy', type: 'text' },
    ],
    uniques: [{ name: 'parent_code_key', columns: ['code'] }],
    checks: [{ name: 'qty_small', expression: 'qty < 1000' }],
  },
  {
    kind: 'createTable',
    table: 'child',
    primaryKey: ['id'],
    primaryKeyName: 'child_pkey',
    columns: [
      { name: 'id', type: 'integer', nullable: false },
      { name: 'parent_id', type: 'integer', nullable: false },
      { name: 'other_id', type: 'integer' },
      { name: 'note', type: 'text', default: "'x'" },
      { name: 'slot', type: 'integer' },
    ],
    foreignKeys: [{ name: 'child_parent_fk', columns: ['parent_id'], refTable: 'parent', refColumns: ['id'], onDelete: 'CASCADE' }],
  },
  { kind: 'createIndex', table: 'child', name: 'child_note', columns: ['note'] },
  { kind: 'createIndex', table: 'child', name: 'child_slot', columns: ['slot'] },
  {
    kind: 'createTable',
    table: 'archive',
    primaryKey: ['id'],
    primaryKeyName: 'archive_pkey',
    columns: [
      { name: 'id', type: 'integer', nullable: false },
      { name: 'body', type: 'text', default: "'empty'" },
    ],
    uniques: [{ name: 'archive_body_key', columns: ['body'] }],
    checks: [{ name: 'body_short', expression: 'length(body) < 100' }],
  },
  { kind: 'createIndex', table: 'archive', name: 'archive_body_part', columns: ['body'], where: 'id > 5' },
];

for (const dialect of ['sqlite', 'postgres'] as const) {
  test(`every schema operation on ${dialect}, checked by introspection, and its reverse restores the schema`, async (t) => {
    const engine = await open(dialect, t);
    if (!engine) return;
    try {
      for (const op of SETUP) await runSchemaOp(engine, op);
      await engine.exec(`INSERT INTO parent (id, code, qty) VALUES (1, 'a', 5), (2, 'b', 50), (3, 'c', 500)`);
      await engine.exec(`INSERT INTO child (id, parent_id, note, slot) VALUES (1, 1, 'n1', 1), (2, 1, 'n2', 2), (3, 2, 'n3', 3), (4, 3, 'n4', 4)`);
      for (const { op, check } of CASES) {
        await t.test(op.kind + ' ' + JSON.stringify(op).slice(0, 80), async () => {
          const before = await engine.introspect();
          await runSchemaOp(engine, op);
          check(await engine.introspect(), dialect);
          const name = 'table' in op ? op.table : undefined;
          const beforeTable = before.tables.find((x) => x.name === name);
          for (const back of reverseOp(op, beforeTable && dialect === 'sqlite' ? nameSqliteConstraints(beforeTable) : beforeTable))
            await runSchemaOp(engine, back);
          assert.deepEqual(normalize(await engine.introspect()), normalize(before));
          // No rebuild fired a cascade or lost a row.
          assert.equal(await engine.countRows('child'), 4);
          assert.equal(await engine.countRows('parent'), 3);
        });
      }
    } finally {
      await engine.close();
    }
  });

  test(`ctx.ops on ${dialect} runs ops in order and reports the statements`, async (t) => {
    const engine = await open(dialect, t);
    if (!engine) return;
    try {
      const seen: string[] = [];
      const ops = createSchemaOperations(engine, { onOp: (op, statements) => seen.push(`${op.kind}:${statements.length}`) });
      await ops.createTable('users', [
        { name: 'id', type: 'integer', primaryKey: true },
        { name: 'email', type: 'text', nullable: false, unique: true },
      ]);
      await ops.createTable('posts', [
        { name: 'id', type: 'integer', primaryKey: true },
        { name: 'user_id', type: 'integer', references: { table: 'users', column: 'id', onDelete: 'CASCADE' } },
      ]);
      await engine.exec(`INSERT INTO users (id, email) VALUES (1, 'a@x'); INSERT INTO posts (id, user_id) VALUES (1, 1), (2, 1)`);
      await ops.addColumn('users', { name: 'name', type: 'text', nullable: false, default: "'anon'" });
      await ops.alterColumn('users', 'email', { type: 'varchar(200)' });
      await ops.addCheck('users', 'email_at', `email LIKE '%@%'`);
      await ops.createIndex('posts', 'posts_user', ['user_id']);
      await ops.renameColumn('users', 'name', 'display_name');
      await ops.dropIndex('posts_user', 'posts');
      assert.equal(await engine.countRows('posts'), 2, 'the rebuilds of users fired no cascade');
      const s = await engine.introspect();
      assert.deepEqual(
        table(s, 'users').columns.map((c) => c.name),
        ['id', 'email', 'display_name'],
      );
      await assert.rejects(engine.exec(`INSERT INTO users (id, email) VALUES (2, 'no-at')`), /email_at/);
      assert.equal(seen.length, 8);
      assert.equal(seen[0], 'createTable:1');
      if (dialect === 'sqlite') assert.ok(Number(seen[3]!.split(':')[1]) > 3, 'alterColumn is a rebuild on SQLite');
      else assert.equal(seen[4], 'addCheck:2');
    } finally {
      await engine.close();
    }
  });
}
