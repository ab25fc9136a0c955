import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { connect } from '../../src/engines/registry.js';
import { ferry } from '../support/cli.js';
import { freshPostgresDatabase } from '../support/postgres.js';
import { sqlRevision } from '../support/revision-fixtures.js';
import { tempDir, emptySqliteFile } from '../support/sqlite-fixtures.js';

const SCHEMA_TS = `import { defineSchema } from 'ferry';

export default defineSchema({
  tables: {
    users: {
      columns: [
        { name: 'id', type: 'BIGINT', primaryKey: true },
        { name: 'name', type: 'TEXT', nullable: false },
        { name: 'email', type: 'TEXT' },
      ],
      indexes: [{ name: 'users_email', columns: ['email'] }],
    },
    posts: {
      columns: [
        { name: 'id', type: 'BIGINT', primaryKey: true },
        { name: 'user_id', type: 'BIGINT' },
        { name: 'body', type: 'TEXT' },
      ],
      foreignKeys: [{ name: 'posts_user', columns: ['user_id'], refTable: 'users', refColumns: ['id'], onDelete: 'CASCADE' }],
    },
  },
});
`;

test('autogenerate from a schema declared in a TypeScript module, on both engines', { timeout: 120_000 }, async (t) => {
  const dbs: { name: string; url: string }[] = [{ name: 'sqlite', url: emptySqliteFile(path.join(tempDir('rev-ts-schema-db'), 'app.db')) }];
  const pg = await freshPostgresDatabase(t);
  if (pg) dbs.push({ name: 'postgres', url: pg.url });
  for (const db of dbs) {
    const dir = tempDir(`rev-ts-schema-${db.name}`);
    const mig = path.join(dir, 'migrations');
    fs.mkdirSync(mig);
    sqlRevision(mig, 'a60000000001', [], 'users', 'CREATE TABLE users (id BIGINT PRIMARY KEY, name TEXT NOT NULL);', 'DROP TABLE users;');
    fs.writeFileSync(path.join(dir, 'schema.ts'), SCHEMA_TS);
    const f = (...args: string[]) => ferry(dir, ...args, '--url', db.url);
    assert.equal((await f('upgrade', '--no-backup')).status, 0);

    const gen = await f('revision', '--autogenerate', '-m', 'from the module', '--schema', 'schema.ts');
    assert.equal(gen.status, 0, `${gen.stdout}${gen.stderr}`);
    assert.match(gen.stdout, /Generated/);
    const up = await f('upgrade', '--no-backup');
    assert.equal(up.status, 0, `${up.stdout}${up.stderr}`);

    const e = await connect(db.url);
    try {
      const schema = await e.introspect();
      const users = schema.tables.find((x) => x.name === 'users')!;
      const posts = schema.tables.find((x) => x.name === 'posts');
      assert.deepEqual(
        users.columns.map((c) => c.name),
        ['id', 'name', 'email'],
      );
      assert.ok(
        users.indexes.some((i) => i.name === 'users_email'),
        'the index was created',
      );
      assert.ok(posts, 'the new table was created');
      assert.deepEqual(
        posts!.foreignKeys.map((k) => [k.columns, k.refTable, k.onDelete]),
        [[['user_id'], 'users', 'CASCADE']],
      );
    } finally {
      await e.close();
    }
    const again = await f('revision', '--autogenerate', '-m', 'nothing', '--schema', 'schema.ts');
    assert.equal(again.status, 0, `${again.stdout}${again.stderr}`);
    assert.match(`${again.stdout}${again.stderr}`, /Nothing to generate/i);
    // A module that does not export a schema is a clear error, naming the file.
    fs.writeFileSync(path.join(dir, 'bad.ts'), 'export const x = 1;\n');
    const bad = await f('revision', '--autogenerate', '-m', 'bad', '--schema', 'bad.ts');
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /bad\.ts does not export a declared schema/);
  }
});
