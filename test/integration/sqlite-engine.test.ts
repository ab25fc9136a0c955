import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { connect } from '../../src/engines/registry.js';
import { FerryError } from '../../src/errors.js';
import type { Row } from '../../src/values/value.js';
import { tempDir } from '../support/sqlite-fixtures.js';

const schemaSql = `
  CREATE TABLE "Order Items" ("Order Id" INTEGER NOT NULL, "select" TEXT DEFAULT 'x', qty REAL CHECK (qty > 0), note TEXT COLLATE NOCASE,
    PRIMARY KEY ("Order Id", "select"), UNIQUE (note), CONSTRAINT qty_small CHECK (qty < 1000),
    FOREIGN KEY ("Order Id") REFERENCES orders(id) ON DELETE CASCADE ON UPDATE SET NULL);
  CREATE TABLE orders (id INTEGER PRIMARY KEY AUTOINCREMENT, "quote""d" TEXT, created TEXT DEFAULT CURRENT_TIMESTAMP, total AS (id * 2) STORED);
  CREATE INDEX "idx partial" ON "Order Items"(qty) WHERE qty > 10;
  CREATE INDEX idx_expr ON orders(lower("quote""d"));
  CREATE TRIGGER orders_touch AFTER UPDATE ON orders BEGIN SELECT 1; END;
  CREATE VIEW big_orders AS SELECT * FROM orders WHERE id > 10;
`;

test('SQLite introspection reads keys, constraints, partial and expression indexes, triggers and views', async () => {
  const dir = tempDir('sqlite-engine');
  const e = await connect(`sqlite:${path.join(dir, 'a.db')}`);
  try {
    await e.exec(schemaSql);
    const s = await e.introspect();
    const items = s.tables.find((t) => t.name === 'Order Items')!;
    assert.deepEqual(
      items.columns.map((c) => [c.name, c.type, c.nullable, c.default]),
      [
        ['Order Id', 'INTEGER', false, null],
        ['select', 'TEXT', true, "'x'"],
        ['qty', 'REAL', true, null],
        ['note', 'TEXT', true, null],
      ],
    );
    assert.deepEqual(items.primaryKey?.columns, ['Order Id', 'select']);
    assert.deepEqual(
      items.uniques.map((u) => u.columns),
      [['note']],
    );
    assert.deepEqual(items.checks, [
      { name: undefined, expression: 'qty > 0' },
      { name: 'qty_small', expression: 'qty < 1000' },
    ]);
    assert.deepEqual(items.foreignKeys, [{ columns: ['Order Id'], refTable: 'orders', refColumns: ['id'], onDelete: 'CASCADE', onUpdate: 'SET NULL' }]);
    const partial = items.indexes.find((i) => i.name === 'idx partial')!;
    assert.equal(partial.where, 'qty > 10');
    assert.deepEqual(partial.columns, ['qty']);
    const orders = s.tables.find((t) => t.name === 'orders')!;
    assert.equal(orders.primaryKey?.autoincrement, true);
    assert.equal(orders.columns.find((c) => c.name === 'id')!.nullable, false);
    assert.equal(orders.columns.find((c) => c.name === 'created')!.default, 'CURRENT_TIMESTAMP');
    assert.equal(orders.columns.find((c) => c.name === 'total')!.generated, 'stored');
    const expr = orders.indexes.find((i) => i.name === 'idx_expr')!;
    assert.equal(expr.hasExpressions, true);
    assert.match(expr.sql, /lower\("quote""d"\)/);
    assert.deepEqual(
      s.triggers.map((t) => [t.name, t.table]),
      [['orders_touch', 'orders']],
    );
    assert.deepEqual(
      s.views.map((v) => v.name),
      ['big_orders'],
    );
  } finally {
    await e.close();
  }
});

test('SQLite engine streams in bounded batches and writes exact values', async () => {
  const dir = tempDir('sqlite-stream');
  const e = await connect(path.join(dir, 'b.sqlite'));
  try {
    await e.exec(`CREATE TABLE "t ""x"" y" (i INTEGER, r REAL, s TEXT, b BLOB)`);
    const rows: Row[] = [];
    for (let k = 0; k < 2500; k++) rows.push([BigInt(k) * 3_000_000_000_000_007n, k / 3, `😀\t${k}\n'"\\`, Buffer.from([0, k & 255, 0])]);
    rows.push([-9223372036854775808n, 1.7976931348623157e308, '', Buffer.alloc(0)], [null, null, null, null]);
    const written = await e.writeRows('t "x" y', ['i', 'r', 's', 'b'], [rows.slice(0, 1000), rows.slice(1000)]);
    assert.equal(written, rows.length);
    const sizes: number[] = [];
    const back: Row[] = [];
    for await (const batch of e.streamRows('t "x" y', { batchSize: 700 })) {
      sizes.push(batch.length);
      back.push(...batch);
    }
    assert.deepEqual(sizes, [700, 700, 700, 402]);
    assert.deepEqual(back, rows);
    assert.equal(await e.countRows('t "x" y'), 2502);
  } finally {
    await e.close();
  }
});

test('opening a file that is not SQLite, or missing, is a clear error', async () => {
  const dir = tempDir('sqlite-bad');
  const notDb = path.join(dir, 'notes.db');
  fs.writeFileSync(notDb, 'this is not a database, just text that is long enough to fill a header '.repeat(10));
  await assert.rejects(
    connect(`sqlite:${notDb}`, { readonly: true }),
    (err: unknown) => err instanceof FerryError && err.code === 'NOT_SQLITE' && err.message.includes(notDb),
  );
  await assert.rejects(
    connect(`sqlite:${path.join(dir, 'missing.db')}`, { readonly: true }),
    (err: unknown) => err instanceof FerryError && err.code === 'SOURCE_MISSING',
  );
});
