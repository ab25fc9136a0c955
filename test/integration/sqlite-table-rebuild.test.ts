import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { connect } from '../../src/engines/registry.js';
import type { SqliteEngine } from '../../src/engines/sqlite/sqlite-engine.js';
import { runSqliteOp } from '../../src/engines/sqlite/sqlite-operations.js';
import { rebuildTable, withForeignKeysOff } from '../../src/engines/sqlite/sqlite-table-rebuild.js';
import { FerryError } from '../../src/errors.js';
import { tempDir } from '../support/sqlite-fixtures.js';

const SCHEMA = `
  CREATE TABLE parent (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL COLLATE NOCASE UNIQUE ON CONFLICT ABORT, -- the business key
    qty INTEGER CHECK (qty >= 0),
    legacy TEXT,
    doubled INTEGER GENERATED ALWAYS AS (qty * 2) VIRTUAL,
    CONSTRAINT qty_small CHECK (qty < 1000)
  );
  CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent(id) ON DELETE CASCADE, note TEXT);
  CREATE TABLE grandchild (id INTEGER PRIMARY KEY, child_id INTEGER NOT NULL REFERENCES child(id) ON DELETE CASCADE);
  CREATE TABLE audit (parent_id INTEGER, what TEXT);
  CREATE INDEX parent_legacy ON parent(legacy);
  CREATE INDEX parent_qty ON parent(qty) WHERE qty > 10;
  CREATE TRIGGER parent_audit AFTER UPDATE ON parent BEGIN INSERT INTO audit VALUES (new.id, 'update'); END;
  CREATE VIEW parent_codes AS SELECT id, code, qty FROM parent;
  CREATE VIEW big_parents AS SELECT * FROM parent_codes WHERE qty > 100;
  CREATE TRIGGER child_touch AFTER INSERT ON child BEGIN UPDATE parent SET qty = qty WHERE id = new.parent_id; END;
`;

/** A file with 60 parents (the top 10 deleted, so sqlite_sequence is ahead of max(id)), 3 children each. */
async function fixture(label: string): Promise<SqliteEngine> {
  const engine = (await connect(`sqlite:${path.join(tempDir(label), 'a.db')}`)) as SqliteEngine;
  const db = engine.db;
  db.exec(SCHEMA);
  const insertParent = db.prepare('INSERT INTO parent (code, qty, legacy) VALUES (?, ?, ?)');
  const insertChild = db.prepare('INSERT INTO child (parent_id, note) VALUES (?, ?)');
  db.transaction(() => {
    for (let i = 1; i <= 60; i++) insertParent.run(`P${i}`, i * 7, `old ${i}`);
    for (let i = 1; i <= 50; i++) for (let k = 0; k < 3; k++) insertChild.run(i, `note ${i}.${k}`);
    db.exec('INSERT INTO grandchild (child_id) SELECT id FROM child');
    db.exec('DELETE FROM parent WHERE id > 50; DELETE FROM audit');
  })();
  assert.equal(db.pragma('foreign_keys', { simple: true }), 1n, 'better-sqlite3 turns foreign keys on; the test relies on it');
  return engine;
}

const count = (engine: SqliteEngine, table: string) => Number(engine.db.prepare(`SELECT count(*) FROM ${table}`).pluck().get());
const rows = (engine: SqliteEngine, sql: string) => engine.db.prepare(sql).all() as Record<string, unknown>[];
const fails = (engine: SqliteEngine, sql: string, pattern: RegExp) => assert.throws(() => engine.db.exec(sql), pattern, sql);

test('a rebuild of a parent with ON DELETE CASCADE children keeps every row, constraint, index, trigger and view', async () => {
  const engine = await fixture('rebuild');
  try {
    const parentsBefore = rows(engine, 'SELECT id, code, qty FROM parent ORDER BY id');
    const childrenBefore = rows(engine, 'SELECT * FROM child ORDER BY id');
    const plan = rebuildTable(
      engine.db,
      'parent',
      {
        alterColumns: [{ column: 'qty', change: { type: 'BIGINT' } }],
        dropColumns: ['legacy'],
        addColumns: [`status TEXT NOT NULL DEFAULT 'new'`],
        addConstraints: ['CONSTRAINT code_short CHECK (length(code) <= 20)'],
      },
      { inTransaction: false },
    );
    assert.deepEqual(plan.dropped, ['index parent_legacy (uses dropped column legacy)']);

    // No cascade fired, no row lost, values unchanged.
    assert.deepEqual(rows(engine, 'SELECT * FROM child ORDER BY id'), childrenBefore);
    assert.equal(count(engine, 'grandchild'), 150);
    assert.deepEqual(rows(engine, 'SELECT id, code, qty FROM parent ORDER BY id'), parentsBefore);
    assert.deepEqual(rows(engine, `SELECT DISTINCT status FROM parent`), [{ status: 'new' }]);
    assert.equal(engine.db.pragma('foreign_keys', { simple: true }), 1n, 'foreign keys are back on');

    // The definition kept what only its text holds.
    const sql = engine.db.prepare(`SELECT sql FROM sqlite_schema WHERE name = 'parent'`).pluck().get() as string;
    assert.match(sql, /-- the business key/);
    assert.match(sql, /COLLATE NOCASE UNIQUE ON CONFLICT ABORT/);
    assert.match(sql, /GENERATED ALWAYS AS \(qty \* 2\) VIRTUAL/);
    assert.match(sql, /qty BIGINT CHECK \(qty >= 0\)/);
    assert.doesNotMatch(sql, /legacy/);
    assert.doesNotMatch(sql, /ferry_new_/);

    // Unnamed and named CHECKs, the added CHECK, NOT NULL, collation, generated column, AUTOINCREMENT.
    fails(engine, `INSERT INTO parent (code, qty) VALUES ('neg', -1)`, /CHECK constraint failed/);
    fails(engine, `INSERT INTO parent (code, qty) VALUES ('big', 5000)`, /CHECK constraint failed: qty_small/);
    fails(engine, `INSERT INTO parent (code, qty) VALUES ('${'x'.repeat(30)}', 1)`, /CHECK constraint failed: code_short/);
    fails(engine, `INSERT INTO parent (code, qty) VALUES ('p1', 1)`, /UNIQUE constraint failed/);
    fails(engine, `INSERT INTO parent (code, qty, status) VALUES ('nul', 1, NULL)`, /NOT NULL constraint failed/);
    engine.db.exec(`INSERT INTO parent (code, qty) VALUES ('fresh', 4)`);
    assert.deepEqual(rows(engine, `SELECT id, doubled FROM parent WHERE code = 'fresh'`), [{ id: 61n, doubled: 8n }]);

    // Indexes, triggers (its own and another table's that names it) and views are back and work.
    const objects = rows(engine, `SELECT type, name FROM sqlite_schema WHERE type IN ('index', 'trigger', 'view') ORDER BY name`);
    assert.deepEqual(
      objects.map((o) => o.name),
      ['big_parents', 'child_touch', 'parent_audit', 'parent_codes', 'parent_qty', 'sqlite_autoindex_parent_1'],
    );
    assert.equal(count(engine, 'parent INDEXED BY parent_qty WHERE qty > 10'), count(engine, 'parent NOT INDEXED WHERE qty > 10'));
    engine.db.exec("INSERT INTO child (parent_id, note) VALUES (3, 'new')");
    assert.deepEqual(rows(engine, 'SELECT * FROM audit'), [{ parent_id: 3n, what: 'update' }]);
    assert.equal(count(engine, 'big_parents'), rows(engine, 'SELECT 1 FROM parent WHERE qty > 100').length);

    // Foreign keys still hold both ways, and a delete now cascades as declared.
    fails(engine, 'INSERT INTO child (parent_id) VALUES (999)', /FOREIGN KEY constraint failed/);
    engine.db.exec('DELETE FROM parent WHERE id = 1');
    assert.equal(count(engine, 'child'), 150 + 1 - 3);

    // A column rename is SQLite's own ALTER, which carries it into views and triggers.
    runSqliteOp(engine, { kind: 'renameColumn', table: 'parent', column: 'code', to: 'sku' });
    assert.deepEqual(rows(engine, 'SELECT sku FROM parent_codes WHERE id = 2'), [{ sku: 'P2' }]);
    assert.equal(count(engine, 'child'), 148);
  } finally {
    await engine.close();
  }
});

test('alter column (type, NOT NULL, default) and drop of an indexed column go through the rebuild on a live parent', async () => {
  const engine = await fixture('rebuild-ops');
  try {
    runSqliteOp(engine, { kind: 'alterColumn', table: 'parent', column: 'qty', change: { type: 'REAL', nullable: false, default: '0' } });
    runSqliteOp(engine, { kind: 'dropColumn', table: 'parent', column: 'legacy' });
    runSqliteOp(engine, { kind: 'addColumn', table: 'parent', column: { name: 'created', type: 'TEXT', nullable: false, default: 'CURRENT_TIMESTAMP' } });
    runSqliteOp(engine, { kind: 'addCheck', table: 'parent', name: 'qty_even', expression: 'qty >= 0 OR qty IS NULL' });
    assert.equal(count(engine, 'child'), 150);
    assert.equal(count(engine, 'grandchild'), 150);
    assert.equal(count(engine, 'parent'), 50);
    const info = rows(engine, `SELECT name, type, "notnull", dflt_value FROM pragma_table_info('parent')`);
    assert.deepEqual(
      info.find((c) => c.name === 'qty'),
      { name: 'qty', type: 'REAL', notnull: 1n, dflt_value: '0' },
    );
    assert.equal(
      info.some((c) => c.name === 'legacy'),
      false,
    );
    assert.equal(rows(engine, `SELECT count(*) AS n FROM parent WHERE created IS NULL`)[0]!.n, 0n);
    runSqliteOp(engine, { kind: 'dropCheck', table: 'parent', name: 'qty_small' });
    engine.db.exec(`INSERT INTO parent (code, qty) VALUES ('huge', 5000)`);
    fails(engine, `INSERT INTO parent (code, qty) VALUES ('neg', -1)`, /CHECK constraint failed/);
  } finally {
    await engine.close();
  }
});

test('a rebuild that would break a foreign key rolls back and changes nothing', async () => {
  const engine = await fixture('rebuild-fk');
  try {
    engine.db.exec('CREATE TABLE owner (id INTEGER PRIMARY KEY)');
    const before = rows(engine, 'SELECT type, name, sql FROM sqlite_schema ORDER BY name');
    const parents = rows(engine, 'SELECT * FROM parent ORDER BY id');
    assert.throws(
      () =>
        rebuildTable(engine.db, 'parent', { addConstraints: ['CONSTRAINT parent_owner FOREIGN KEY (qty) REFERENCES owner (id)'] }, { inTransaction: false }),
      (e: unknown) =>
        e instanceof FerryError &&
        e.code === 'SCHEMA_FAILED' &&
        /50 row\(s\) violating foreign keys/.test(e.message) &&
        /parent rowid 1 -> owner/.test(e.message),
    );
    // Dropping a key that children reference leaves them pointing at nothing: "foreign key mismatch".
    assert.throws(
      () => rebuildTable(engine.db, 'child', { dropColumns: ['id'] }, { inTransaction: false }),
      (e: unknown) => e instanceof FerryError && e.code === 'SCHEMA_FAILED' && /foreign key/i.test(e.message),
    );
    // A view still using a dropped column would be left broken: the rebuild stops instead.
    assert.throws(
      () => rebuildTable(engine.db, 'parent', { dropColumns: ['code'] }, { inTransaction: false }),
      (e: unknown) =>
        e instanceof FerryError && e.code === 'SCHEMA_FAILED' && /would break view parent_codes/.test(e.message) && /no such column: code/.test(e.message),
    );
    assert.deepEqual(rows(engine, 'SELECT type, name, sql FROM sqlite_schema ORDER BY name'), before);
    assert.deepEqual(rows(engine, 'SELECT * FROM parent ORDER BY id'), parents);
    assert.equal(count(engine, 'child'), 150);
    assert.equal(engine.db.inTransaction, false);
    assert.equal(engine.db.pragma('foreign_keys', { simple: true }), 1n);
  } finally {
    await engine.close();
  }
});

test('inside a transaction a rebuild refuses while foreign keys are on, and works under withForeignKeysOff', async () => {
  const engine = await fixture('rebuild-tx');
  try {
    engine.db.exec('BEGIN');
    assert.throws(
      () => rebuildTable(engine.db, 'parent', { dropColumns: ['legacy'] }, { inTransaction: true }),
      (e: unknown) =>
        e instanceof FerryError &&
        e.code === 'USAGE' &&
        /inside a transaction while foreign keys are on/.test(e.message) &&
        /withForeignKeysOff/.test(e.hint ?? ''),
    );
    engine.db.exec('ROLLBACK');
    await withForeignKeysOff(engine.db, () => {
      assert.equal(engine.db.pragma('foreign_keys', { simple: true }), 0n);
      engine.db.exec('BEGIN IMMEDIATE');
      rebuildTable(engine.db, 'parent', { dropColumns: ['legacy'] }, { inTransaction: true });
      runSqliteOp(engine, { kind: 'alterColumn', table: 'parent', column: 'qty', change: { type: 'NUMERIC' } });
      engine.db.exec('COMMIT');
    });
    assert.equal(engine.db.pragma('foreign_keys', { simple: true }), 1n);
    assert.equal(count(engine, 'child'), 150);
    assert.equal(count(engine, 'grandchild'), 150);
    assert.equal(count(engine, 'parent'), 50);
    assert.equal(engine.db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'parent'`).pluck().get(), 60n, 'AUTOINCREMENT never reuses ids');
  } finally {
    await engine.close();
  }
});
