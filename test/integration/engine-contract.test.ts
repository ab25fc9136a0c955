/**
 * Behaviour every engine shares, run against each one through `connect(url)`: awkward names,
 * exact round trips of awkward values, counts, introspection and transactions. A new engine gets
 * these tests by adding an entry to ENGINES.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect } from '../../src/engines/registry.js';
import type { Dialect, Engine } from '../../src/engine/types.js';
import type { Row } from '../../src/values/value.js';
import { findTable } from '../../src/schema/model.js';
import { freshPostgresDatabase, NO_POSTGRES_MESSAGE } from '../support/postgres.js';

/** A database to test against: its URL, how to remove it, and its names for the shared types. */
interface EngineCase {
  dialect: Dialect;
  url: string | null;
  skip: string | false;
  types: { int: string; real: string; text: string; blob: string };
  cleanup(): Promise<void>;
}

async function sqliteCase(): Promise<EngineCase> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-contract-'));
  return {
    dialect: 'sqlite',
    url: `sqlite:${path.join(dir, 'contract.db')}`,
    skip: false,
    types: { int: 'INTEGER', real: 'REAL', text: 'TEXT', blob: 'BLOB' },
    cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

async function postgresCase(): Promise<EngineCase> {
  const db = await freshPostgresDatabase();
  return {
    dialect: 'postgres',
    url: db?.url ?? null,
    skip: db ? false : NO_POSTGRES_MESSAGE,
    types: { int: 'bigint', real: 'double precision', text: 'text', blob: 'bytea' },
    cleanup: async () => db?.drop(),
  };
}

const ENGINES = [await sqliteCase(), await postgresCase()];

const TABLE = 'Contract "Table" 😀';
const COLUMNS = ['Id', 'select', 'a b', 'quote"d', 'real.col', 'blob col'];

/** Values every engine must keep exactly: int64 extremes, full-precision doubles, awkward text, blobs with zero bytes, '' vs NULL. */
const ROWS: Row[] = [
  [1n, -9223372036854775808n, 'plain', '', 0.1, Buffer.from([0, 0, 0])],
  [2n, 9223372036854775807n, 'tab\there\nnew line\r\n', null, 1 / 3, Buffer.from([0xff, 0x00, 0xfe])],
  [3n, 0n, 'it\'s "quoted"', 'back\\slash \\x00', 5e-324, Buffer.from('\\x00', 'latin1')],
  [4n, -1n, '😀👍🏽 ünïcödé 中文', ' ', Number.MAX_VALUE, null],
  [5n, null, null, 'NULL', -1.7976931348623157e308, Buffer.from([0])],
  ...Array.from({ length: 2500 }, (_, i): Row => [
    BigInt(i + 6),
    BigInt(i) * 3_689_348_814_741_910n,
    `row ${i}\t😀`,
    i % 2 ? '' : null,
    i / 7 + 1e-9,
    Buffer.from([i & 255, 0, i >> 8]),
  ]),
];

async function collect(stream: AsyncIterable<Row[]>): Promise<Row[]> {
  const rows: Row[] = [];
  for await (const batch of stream) rows.push(...batch);
  return rows;
}

for (const engineCase of ENGINES) {
  describe(`engine contract: ${engineCase.dialect}`, { skip: engineCase.skip }, () => {
    let engine: Engine;

    before(async () => {
      engine = await connect(engineCase.url!);
    });
    after(async () => {
      await engine?.close();
      await engineCase.cleanup();
    });

    test('connect(url) picks the engine', () => {
      assert.equal(engine.dialect, engineCase.dialect);
    });

    test('exec creates a table and an index with awkward names', async () => {
      const q = (name: string) => engine.quoteIdent(name);
      const { int, real, text, blob } = engineCase.types;
      const types = [int, int, text, text, real, blob];
      await engine.exec(
        `CREATE TABLE ${engine.quoteTable(TABLE)} (${COLUMNS.map((c, i) => `${q(c)} ${types[i]}${i === 0 ? ' NOT NULL PRIMARY KEY' : ''}`).join(', ')})`,
      );
      await engine.exec(`CREATE INDEX ${q('idx "select" a b')} ON ${engine.quoteTable(TABLE)} (${q('select')}, ${q('a b')})`);
    });

    test('writeRows then streamRows round-trips awkward values exactly', async () => {
      async function* batches(): AsyncGenerator<Row[]> {
        for (let i = 0; i < ROWS.length; i += 400) yield ROWS.slice(i, i + 400);
      }
      assert.equal(await engine.writeRows(TABLE, COLUMNS, batches(), { batchSize: 300 }), ROWS.length);
      const rows = await collect(engine.streamRows(TABLE, { orderBy: ['Id'], batchSize: 128 }));
      assert.equal(rows.length, ROWS.length);
      for (let i = 0; i < rows.length; i++) assert.deepEqual(rows[i], ROWS[i], `row ${i + 1}`);
    });

    test('streamRows honours columns, orderBy and batchSize', async () => {
      const sizes: number[] = [];
      const rows: Row[] = [];
      for await (const batch of engine.streamRows(TABLE, { columns: ['a b', 'Id'], orderBy: ['select', 'Id'], batchSize: 1000 })) {
        sizes.push(batch.length);
        rows.push(...batch);
      }
      assert.ok(sizes.every((n) => n <= 1000));
      assert.equal(rows.length, ROWS.length);
      // NULLs sort first in SQLite and last in PostgreSQL, so only non-NULL keys are compared.
      const keyed = rows.filter((r) => r[1] !== 5n);
      assert.deepEqual(keyed[0], ['plain', 1n], 'the smallest "select" (int64 minimum) comes first');
      assert.deepEqual(keyed[keyed.length - 1], ['tab\there\nnew line\r\n', 2n], 'the largest (int64 maximum) comes last');
    });

    test('countRows counts exactly', async () => {
      assert.equal(await engine.countRows(TABLE), ROWS.length);
    });

    test('introspect finds the table, its columns, primary key and index', async () => {
      const schema = await engine.introspect();
      assert.equal(schema.dialect, engineCase.dialect);
      const table = findTable(schema, TABLE);
      assert.ok(table, 'the table is found under its exact name');
      assert.deepEqual(
        table.columns.map((c) => c.name),
        COLUMNS,
      );
      assert.deepEqual(table.primaryKey?.columns, ['Id']);
      const index = table.indexes.find((i) => i.name === 'idx "select" a b');
      assert.ok(index, `the index is found among ${JSON.stringify(table.indexes.map((i) => i.name))}`);
      assert.deepEqual(index.columns, ['select', 'a b']);
      assert.equal(index.unique, false);
      assert.equal(index.hasExpressions, false);
    });

    test('a transaction that throws leaves nothing behind', async () => {
      await assert.rejects(
        engine.transaction(async () => {
          await engine.writeRows(TABLE, COLUMNS, [[[100_000n, 1n, 'gone', null, 1.5, null]]]);
          assert.equal(await engine.countRows(TABLE), ROWS.length + 1, 'the write is visible inside the transaction');
          throw new Error('roll back');
        }),
        /roll back/,
      );
      assert.equal(await engine.countRows(TABLE), ROWS.length);
    });

    test('a failing write leaves nothing from that call', async () => {
      const duplicate: Row[] = [
        [200_000n, 1n, 'new', null, 1.5, null],
        [1n, 1n, 'duplicate key', null, 1.5, null],
      ];
      await assert.rejects(engine.writeRows(TABLE, COLUMNS, [duplicate]));
      assert.equal(await engine.countRows(TABLE), ROWS.length);
    });
  });
}
