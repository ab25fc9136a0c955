import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { connect } from '../../src/engines/registry.js';
import type { Table } from '../../src/schema/model.js';
import { ferry } from '../support/cli.js';
import { freshPostgresDatabase } from '../support/postgres.js';
import { tempDir, emptySqliteFile } from '../support/sqlite-fixtures.js';

/** TypeScript revisions through the CLI: ctx.ops, ctx.sql/ctx.query data migrations, --sql, rollback. */

interface Db {
  name: 'sqlite' | 'postgres';
  url: string;
}

async function databases(t: Parameters<typeof freshPostgresDatabase>[0]): Promise<Db[]> {
  const out: Db[] = [{ name: 'sqlite', url: emptySqliteFile(path.join(tempDir('rev-script-db'), 'app.db')) }];
  const pg = await freshPostgresDatabase(t);
  if (pg) out.push({ name: 'postgres', url: pg.url });
  return out;
}

/** `ferry revision -m MSG --ts`, then the generated up/down bodies replaced by ours. */
async function scriptRevision(dir: string, url: string, message: string, up: string, down: string, parents?: string[]): Promise<{ id: string; file: string }> {
  const r = await ferry(dir, 'revision', '-m', message, '--ts', '--url', url, '--json', ...(parents ? ['--parents', ...parents] : []));
  assert.equal(r.status, 0, r.stderr);
  const { id, file } = JSON.parse(r.stdout) as { id: string; file: string };
  assert.match(path.basename(file), new RegExp(`^${id}_[a-z0-9_]+\\.ts$`));
  const text = fs.readFileSync(file, 'utf8');
  assert.match(text, /export async function up\(ctx: RevisionContext\)/, 'the generated file is a typed TS revision');
  const head = text.slice(0, text.indexOf('export async function up'));
  fs.writeFileSync(
    file,
    `${head}export async function up(ctx: RevisionContext): Promise<void> {\n${up}\n}\n\nexport async function down(ctx: RevisionContext): Promise<void> {\n${down}\n}\n`,
  );
  return { id, file };
}

async function withEngine<T>(url: string, fn: (e: Awaited<ReturnType<typeof connect>>) => Promise<T>): Promise<T> {
  const e = await connect(url);
  try {
    return await fn(e);
  } finally {
    await e.close();
  }
}

async function table(url: string, name: string): Promise<Table | undefined> {
  return withEngine(url, async (e) => (await e.introspect()).tables.find((t) => t.name === name));
}

async function rows<T>(url: string, sql: string): Promise<T[]> {
  return withEngine(url, (e) => e.query<T>(sql));
}

/** A parameter placeholder in the revision's dialect, as revision code writes it. */
const P = "const p = (n: number) => (ctx.dialect === 'postgres' ? `$${n}` : '?');";

test('TypeScript revisions: ctx.ops and a data migration apply with upgrade and revert with downgrade -1', { timeout: 120_000 }, async (t) => {
  for (const db of await databases(t)) {
    const dir = tempDir(`rev-script-${db.name}`);
    const f = (...args: string[]) => ferry(dir, ...args, '--url', db.url, '--no-backup');

    const one = await scriptRevision(
      dir,
      db.url,
      'create authors and books',
      `  await ctx.ops.createTable('authors', [
    { name: 'id', type: 'integer', primaryKey: true },
    { name: 'name', type: 'varchar(50)', nullable: false },
    { name: 'nick', type: 'text' },
  ]);
  await ctx.ops.createTable('books', [
    { name: 'id', type: 'integer', primaryKey: true },
    { name: 'author_id', type: 'integer' },
    { name: 'title', type: 'text', nullable: false },
  ]);
  await ctx.sql("INSERT INTO authors (id, name, nick) VALUES (1, 'Ann', 'annie'), (2, 'Bob', 'bobby'), (3, 'Cy', NULL)");
  await ctx.sql("INSERT INTO books (id, author_id, title) VALUES (10, 1, 'A1'), (11, 1, 'A2'), (12, 2, 'B1')");`,
      `  await ctx.ops.dropTable('books');
  await ctx.ops.dropTable('authors');`,
    );
    const two = await scriptRevision(
      dir,
      db.url,
      'display names and author fk',
      `  ${P}
  await ctx.ops.addColumn('authors', { name: 'display_name', type: 'text' });
  // The data migration: copy nick into display_name, row by row, through ctx.query and ctx.sql.
  for (const r of await ctx.query<{ id: number; nick: string | null }>('SELECT id, nick FROM authors ORDER BY id')) {
    await ctx.sql(\`UPDATE authors SET display_name = \${p(1)} WHERE id = \${p(2)}\`, [r.nick ?? 'anon', r.id]);
  }
  await ctx.ops.createIndex('books', 'books_author_idx', ['author_id']);
  await ctx.ops.addForeignKey('books', 'books_author_fk', ['author_id'], 'authors', ['id'], { onDelete: 'CASCADE' });
  await ctx.ops.alterColumn('authors', 'name', { type: 'text', nullable: true });
  await ctx.ops.alterColumn('books', 'title', { nullable: true });
  await ctx.ops.dropColumn('authors', 'nick');`,
      `  ${P}
  await ctx.ops.addColumn('authors', { name: 'nick', type: 'text' });
  for (const r of await ctx.query<{ id: number; display_name: string | null }>('SELECT id, display_name FROM authors ORDER BY id')) {
    await ctx.sql(\`UPDATE authors SET nick = \${p(1)} WHERE id = \${p(2)}\`, [r.display_name === 'anon' ? null : r.display_name, r.id]);
  }
  await ctx.ops.alterColumn('books', 'title', { nullable: false });
  await ctx.ops.alterColumn('authors', 'name', { type: 'varchar(50)', nullable: false });
  await ctx.ops.dropForeignKey('books', 'books_author_fk');
  await ctx.ops.dropIndex('books_author_idx', 'books');
  await ctx.ops.dropColumn('authors', 'display_name');`,
    );

    // --sql names the script revisions and runs nothing.
    const sql = await f('upgrade', '--sql');
    assert.equal(sql.status, 0, sql.stderr);
    assert.match(sql.stdout, new RegExp(`-- upgrade ${one.id}: create authors and books \\(${path.basename(one.file).replace(/\./g, '\\.')}\\)`));
    assert.match(sql.stdout, new RegExp(`-- upgrade ${two.id}: display names and author fk`));
    // A script's statements are learnt by running the plan on a scratch copy: its ops, its reads
    // (as comments) and its data statements with their parameters.
    assert.match(sql.stdout, /-- \(a script revision: the statements it sent when run on /);
    assert.match(sql.stdout, /CREATE TABLE [^\n]*authors/);
    assert.match(sql.stdout, /-- reads: SELECT id, nick FROM authors ORDER BY id\n/);
    assert.match(sql.stdout, /UPDATE authors SET display_name = \S+ WHERE id = \S+ \/\* parameters: 'annie', 1 \*\/;\n/);
    assert.match(sql.stdout, /UPDATE authors SET display_name = \S+ WHERE id = \S+ \/\* parameters: 'anon', 3 \*\/;\n/);
    assert.match(sql.stdout, /CREATE INDEX [^\n]*books_author_idx/);
    assert.ok(sql.stdout.indexOf('books_author_idx') > sql.stdout.indexOf(`-- upgrade ${two.id}`), 'each statement under its own revision');
    assert.equal(await table(db.url, 'authors'), undefined, '--sql runs nothing');

    const up1 = await f('upgrade', one.id);
    assert.equal(up1.status, 0, up1.stderr);
    const before = await table(db.url, 'authors');
    const booksBefore = await table(db.url, 'books');
    assert.deepEqual(
      before?.columns.map((c) => c.name),
      ['id', 'name', 'nick'],
    );

    const up2 = await f('upgrade');
    assert.equal(up2.status, 0, up2.stderr);
    assert.match(up2.stderr, new RegExp(`upgraded ${two.id}`));
    const authors = (await table(db.url, 'authors'))!;
    assert.deepEqual(
      authors.columns.map((c) => c.name),
      ['id', 'name', 'display_name'],
      'nick dropped, display_name added',
    );
    assert.equal(authors.columns.find((c) => c.name === 'name')!.nullable, true, 'name made nullable');
    assert.match(authors.columns.find((c) => c.name === 'name')!.type, /^text$/i, 'name is text now');
    const books = (await table(db.url, 'books'))!;
    assert.equal(books.columns.find((c) => c.name === 'title')!.nullable, true);
    assert.ok(
      books.indexes.some((i) => i.name === 'books_author_idx' && i.columns.join() === 'author_id'),
      JSON.stringify(books.indexes),
    );
    const fk = books.foreignKeys.find((k) => k.refTable === 'authors');
    assert.ok(fk, 'the foreign key exists');
    assert.deepEqual(fk.columns, ['author_id']);
    assert.match(String(fk.onDelete), /cascade/i);
    assert.deepEqual(
      (await rows<{ id: unknown; display_name: string }>(db.url, 'SELECT id, display_name FROM authors ORDER BY id')).map((r) => [
        Number(r.id),
        r.display_name,
      ]),
      [
        [1, 'annie'],
        [2, 'bobby'],
        [3, 'anon'],
      ],
      'the data migration copied nick into display_name',
    );
    assert.equal(Number((await rows<{ n: unknown }>(db.url, 'SELECT count(*) AS n FROM books'))[0]!.n), 3, 'no book lost');

    // downgrade -1 runs the down of revision two only.
    const down = await f('downgrade', '-1');
    assert.equal(down.status, 0, down.stderr);
    assert.match((await ferry(dir, 'current', '--url', db.url)).stdout, new RegExp(one.id));
    const reverted = (await table(db.url, 'authors'))!;
    assert.deepEqual(
      reverted.columns.map((c) => [c.name, c.nullable]),
      before!.columns.map((c) => [c.name, c.nullable]),
    );
    assert.equal(reverted.columns.find((c) => c.name === 'name')!.type, before!.columns.find((c) => c.name === 'name')!.type);
    const booksReverted = (await table(db.url, 'books'))!;
    assert.deepEqual(booksReverted.foreignKeys, booksBefore!.foreignKeys, 'the foreign key is gone again');
    assert.deepEqual(
      booksReverted.indexes.map((i) => i.name),
      booksBefore!.indexes.map((i) => i.name),
    );
    assert.deepEqual(
      (await rows<{ id: unknown; nick: string | null }>(db.url, 'SELECT id, nick FROM authors ORDER BY id')).map((r) => [Number(r.id), r.nick]),
      [
        [1, 'annie'],
        [2, 'bobby'],
        [3, null],
      ],
    );
    // And up again (the runbook's "upgrade, downgrade -1, upgrade").
    const again = await f('upgrade');
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(
      (await table(db.url, 'authors'))!.columns.map((c) => c.name),
      ['id', 'name', 'display_name'],
    );
  }
});

test('upgrade --sql on a never-versioned database names the script revision and changes nothing, not even ferry tables', { timeout: 60_000 }, async (t) => {
  for (const db of await databases(t)) {
    const dir = tempDir(`rev-script-sql-${db.name}`);
    const rev = await scriptRevision(
      dir,
      db.url,
      'script only',
      "  await ctx.ops.createTable('only', [{ name: 'id', type: 'integer', primaryKey: true }]);",
      "  await ctx.ops.dropTable('only');",
    );
    // A database that exists but was never versioned.
    await withEngine(db.url, (e) => e.exec('CREATE TABLE legacy (id INTEGER PRIMARY KEY)'));
    const r = await ferry(dir, 'upgrade', '--sql', '--url', db.url, '--no-backup');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`-- upgrade ${rev.id}: script only \\(${rev.id}_script_only\\.ts\\)`));
    assert.match(r.stdout, /script revision/);
    assert.match(r.stdout, /CREATE TABLE [^\n]*only/, 'the statements of its ops');
    assert.deepEqual(
      await withEngine(db.url, async (e) => (await e.introspect()).tables.map((x) => x.name)),
      ['legacy'],
      '--sql creates nothing, not even ferry_version/ferry_history',
    );
  }
});

test('a data migration that violates a foreign key is rolled back whole with a clear error', { timeout: 60_000 }, async (t) => {
  for (const db of await databases(t)) {
    const dir = tempDir(`rev-script-fk-${db.name}`);
    const f = (...args: string[]) => ferry(dir, ...args, '--url', db.url, '--no-backup');
    const base = await scriptRevision(
      dir,
      db.url,
      'parents and kids',
      `  await ctx.sql('CREATE TABLE parents (id INTEGER PRIMARY KEY, label VARCHAR(10) NOT NULL)');
  await ctx.sql('CREATE TABLE kids (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parents(id) ON DELETE CASCADE)');
  await ctx.sql("INSERT INTO parents VALUES (1, 'one'), (2, 'two')");
  await ctx.sql('INSERT INTO kids VALUES (1, 1), (2, 1), (3, 2)');`,
      `  await ctx.sql('DROP TABLE kids');
  await ctx.sql('DROP TABLE parents');`,
    );
    const bad = await scriptRevision(
      dir,
      db.url,
      'orphan kids',
      `  await ctx.ops.createTable('audit', [{ name: 'id', type: 'integer', primaryKey: true }]);
  await ctx.sql("UPDATE parents SET label = 'changed'");
  // Points kids at a parent that does not exist.
  await ctx.sql('UPDATE kids SET parent_id = 99 WHERE id = 3');`,
      `  await ctx.ops.dropTable('audit');`,
    );
    assert.equal((await f('upgrade', base.id)).status, 0);
    const r = await f('upgrade');
    assert.equal(r.status, 1, `${db.name}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, new RegExp(bad.id), 'names the revision');
    assert.match(r.stderr, new RegExp(path.basename(bad.file).replace(/\./g, '\\.')), 'names the file');
    assert.match(r.stderr, /foreign key|missing parents/i, 'says why');
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(await table(db.url, 'audit'), undefined, 'the new table was rolled back');
    assert.deepEqual(
      (await rows<{ label: string }>(db.url, 'SELECT label FROM parents ORDER BY id')).map((x) => x.label),
      ['one', 'two'],
      'the update was rolled back',
    );
    assert.deepEqual(
      (await rows<{ parent_id: unknown }>(db.url, 'SELECT parent_id FROM kids ORDER BY id')).map((x) => Number(x.parent_id)),
      [1, 1, 2],
    );
    const cur = JSON.parse((await ferry(dir, 'current', '--url', db.url, '--json')).stdout) as { heads: { id: string }[] };
    assert.deepEqual(
      cur.heads.map((h) => h.id),
      [base.id],
      'still at the base revision',
    );
    const hist = await rows<{ revision: string }>(db.url, 'SELECT revision FROM ferry_history ORDER BY seq');
    assert.deepEqual(
      hist.map((h) => h.revision),
      [base.id],
      'no history row for the failed revision',
    );
  }
});

test('SQLite: a ctx.ops.alterColumn rebuild of a parent table never cascades to ON DELETE CASCADE children', { timeout: 60_000 }, async () => {
  const dir = tempDir('rev-script-rebuild');
  const url = emptySqliteFile(path.join(dir, 'app.db'));
  const f = (...args: string[]) => ferry(dir, ...args, '--url', url, '--no-backup');
  const base = await scriptRevision(
    dir,
    url,
    'parents and children',
    `  await ctx.sql('CREATE TABLE parents (id INTEGER PRIMARY KEY, label VARCHAR(10) NOT NULL)');
  await ctx.sql('CREATE TABLE children (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parents(id) ON DELETE CASCADE, note TEXT)');
  await ctx.sql('CREATE TABLE grandchildren (id INTEGER PRIMARY KEY, child_id INTEGER REFERENCES children(id) ON DELETE CASCADE)');
  await ctx.sql('CREATE INDEX children_parent ON children (parent_id)');
  await ctx.sql("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50) INSERT INTO parents SELECT i, 'p' || i FROM n");
  await ctx.sql("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) INSERT INTO children SELECT i, 1 + i % 50, 'c' || i FROM n");
  await ctx.sql('INSERT INTO grandchildren SELECT id, id FROM children');`,
    `  await ctx.sql('DROP TABLE grandchildren');
  await ctx.sql('DROP TABLE children');
  await ctx.sql('DROP TABLE parents');`,
  );
  const rebuild = await scriptRevision(
    dir,
    url,
    'widen parent label',
    `  await ctx.ops.alterColumn('parents', 'label', { type: 'text', nullable: true });
  await ctx.sql("UPDATE parents SET label = label || '!' WHERE id = 1");`,
    `  await ctx.ops.alterColumn('parents', 'label', { type: 'varchar(10)', nullable: false });`,
  );
  assert.equal((await f('upgrade', base.id)).status, 0);
  const count = async (tbl: string) => Number((await rows<{ n: unknown }>(url, `SELECT count(*) AS n FROM ${tbl}`))[0]!.n);
  const childrenBefore = await rows<Record<string, unknown>>(url, 'SELECT * FROM children ORDER BY id');
  assert.equal(childrenBefore.length, 500);

  const up = await f('upgrade');
  assert.equal(up.status, 0, up.stderr);
  const parents = (await table(url, 'parents'))!;
  assert.equal(parents.columns.find((c) => c.name === 'label')!.nullable, true, 'the rebuild happened');
  assert.deepEqual(await rows<Record<string, unknown>>(url, 'SELECT * FROM children ORDER BY id'), childrenBefore, 'every child row survives the rebuild');
  assert.equal(await count('grandchildren'), 500, 'no cascade two levels down either');
  assert.equal(await count('parents'), 50);
  assert.equal((await rows<{ label: string }>(url, 'SELECT label FROM parents WHERE id = 1'))[0]!.label, 'p1!');
  assert.deepEqual(
    (await rows<{ revision: string }>(url, 'SELECT revision FROM ferry_version')).map((r) => r.revision),
    [rebuild.id],
    'the revision committed',
  );
  const children = (await table(url, 'children'))!;
  assert.match(String(children.foreignKeys.find((k) => k.refTable === 'parents')?.onDelete), /cascade/i, 'the child foreign key still cascades');
  assert.deepEqual(await rows(url, 'PRAGMA foreign_key_check'), []);
  // Foreign keys still work afterwards: deleting a parent cascades as declared.
  await withEngine(url, async (e) => {
    await e.exec('PRAGMA foreign_keys = ON');
    await e.exec('DELETE FROM parents WHERE id = 2');
  });
  assert.equal(await count('children'), 490, 'ON DELETE CASCADE still in force after the rebuild');

  const down = await f('downgrade', '-1');
  assert.equal(down.status, 0, down.stderr);
  assert.equal(await count('children'), 490, 'the down rebuild keeps every child too');
  assert.equal(await count('grandchildren'), 490);
});

test(
  "--sql learns a script revision's statements from a copy of the database (its rows too), both directions, and says why when it cannot",
  { timeout: 90_000 },
  async (t) => {
    for (const db of await databases(t)) {
      const dir = tempDir(`rev-script-sql-data-${db.name}`);
      const f = (...args: string[]) => ferry(dir, ...args, '--url', db.url, '--no-backup');
      const base = await scriptRevision(
        dir,
        db.url,
        'people',
        "  await ctx.ops.createTable('people', [{ name: 'id', type: 'integer', primaryKey: true }, { name: 'name', type: 'text' }]);",
        "  await ctx.ops.dropTable('people');",
      );
      assert.equal((await f('upgrade')).status, 0);
      // Rows that only the live database has: the statements of a data migration depend on them.
      await withEngine(db.url, (e) => e.exec("INSERT INTO people (id, name) VALUES (7, 'O''Brien'), (8, NULL)"));
      const shout = await scriptRevision(
        dir,
        db.url,
        'shout names',
        `  ${P}
  for (const r of await ctx.query<{ id: number; name: string | null }>('SELECT id, name FROM people WHERE name IS NOT NULL ORDER BY id')) {
    await ctx.sql(\`UPDATE people SET name = \${p(1)} WHERE id = \${p(2)}\`, [r.name!.toUpperCase(), r.id]);
  }`,
        "  await ctx.sql('UPDATE people SET name = lower(name)');",
        [base.id],
      );
      const up = await f('upgrade', '--sql');
      assert.equal(up.status, 0, up.stderr);
      assert.match(up.stdout, new RegExp(`-- upgrade ${shout.id}: shout names`));
      if (db.name === 'sqlite') {
        // The copy has the live rows, so the statements are exactly those an upgrade would send.
        assert.match(up.stdout, /same schema and rows/);
        assert.match(up.stdout, /UPDATE people SET name = \? WHERE id = \? \/\* parameters: 'O''BRIEN', 7 \*\/;\n/);
      } else {
        assert.match(up.stdout, /schema only: statements that depend on rows may differ/);
        assert.doesNotMatch(up.stdout, /O''BRIEN/, 'a PostgreSQL scratch database has the schema, not the rows');
      }
      assert.deepEqual(
        (await rows<{ name: string | null }>(db.url, 'SELECT name FROM people ORDER BY id')).map((r) => r.name),
        ["O'Brien", null],
        'the live rows are untouched',
      );

      assert.equal((await f('upgrade')).status, 0);
      const down = await f('downgrade', 'base', '--sql');
      assert.equal(down.status, 0, down.stderr);
      assert.match(
        down.stdout,
        new RegExp(
          `-- downgrade ${shout.id}: shout names[^\\n]*\\n-- \\(a script revision[^\\n]*\\nUPDATE people SET name = lower\\(name\\);\\n-- downgrade ${base.id}: people[^\\n]*\\n-- \\(a script revision[^\\n]*\\nDROP TABLE [^\\n]*people`,
        ),
      );
      assert.deepEqual(
        (await rows<{ name: string }>(db.url, 'SELECT name FROM people WHERE id = 7')).map((r) => r.name),
        ["O'BRIEN"],
        '--sql ran nothing on the live database',
      );

      // A script that fails on the copy: the revision is named with the reason, and nothing runs.
      await scriptRevision(dir, db.url, 'explodes', "  throw new Error('boom on purpose');", '', [shout.id]);
      const bad = await f('upgrade', '--sql');
      assert.equal(bad.status, 0, bad.stderr);
      assert.match(bad.stdout, /its statements could not be learnt on a scratch copy: [^\n]*boom on purpose/);
    }
  },
);
