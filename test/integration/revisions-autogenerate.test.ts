import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { connect } from '../../src/engines/registry.js';
import type { Schema } from '../../src/schema/model.js';
import { diffSchemas } from '../../src/schema/diff-schemas.js';
import { loadDeclaredSchema } from '../../src/revisions/declared-schema.js';
import { ferry, type CliResult } from '../support/cli.js';
import { freshPostgresDatabase } from '../support/postgres.js';
import { tempDir, emptySqliteFile } from '../support/sqlite-fixtures.js';

const BASE_UP = `CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INTEGER);
CREATE INDEX users_name ON users (name);
CREATE TABLE old_notes (id INTEGER PRIMARY KEY, body TEXT);`;

/** Renamed column (hinted), added column, altered column, new unique, dropped and new table with FK, check, index. */
const DECLARED = `-- The wanted schema.
-- ferry:rename-column users.name -> full_name
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  full_name TEXT NOT NULL,
  age INTEGER NOT NULL DEFAULT 0,
  email TEXT,
  CONSTRAINT users_email UNIQUE (email)
);
CREATE INDEX users_name ON users (full_name);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  body TEXT DEFAULT 'x',
  CONSTRAINT posts_body_short CHECK (length(body) < 1000)
);
CREATE INDEX posts_user ON posts (user_id);
`;

async function withDb<T>(url: string, fn: (e: Awaited<ReturnType<typeof connect>>) => Promise<T>): Promise<T> {
  const e = await connect(url);
  try {
    return await fn(e);
  } finally {
    await e.close();
  }
}

const introspect = (url: string): Promise<Schema> => withDb(url, (e) => e.introspect());

/** A project whose base revision `id` runs `up` (and `down`), upgraded on `url`; schema.sql holds `declared`. */
async function project(label: string, url: string, id: string, up: string, down: string, declared: string) {
  const dir = tempDir(label);
  const mig = path.join(dir, 'migrations');
  fs.mkdirSync(mig);
  fs.writeFileSync(path.join(mig, `${id}_base.sql`), `-- ferry:revision ${id}\n-- ferry:message base\n-- ferry:up\n${up}\n-- ferry:down\n${down}\n`);
  const schemaFile = path.join(dir, 'schema.sql');
  fs.writeFileSync(schemaFile, declared);
  const f = (...args: string[]) => ferry(dir, ...args, '--url', url, '--no-backup');
  const r = await f('upgrade');
  assert.equal(r.status, 0, r.stderr);
  return { dir, schemaFile, f };
}

/** ferry revision --autogenerate -m MESSAGE, and the text of the file it wrote. */
async function generate(dir: string, url: string, message: string): Promise<string> {
  const gen = await ferry(dir, 'revision', '--autogenerate', '-m', message, '--url', url);
  assert.equal(gen.status, 0, gen.stderr);
  return fs.readFileSync(path.join(dir, /Generated (\S+)/.exec(gen.stdout)![1]!), 'utf8');
}

/** The generated revision (`text`) upgrades to the declared schema, and downgrade -1 brings `original` back. */
async function upAndDown(
  db: { name: 'sqlite' | 'postgres'; url: string },
  f: (...args: string[]) => Promise<CliResult>,
  schemaFile: string,
  original: Schema,
  text: string,
): Promise<Schema> {
  const up = await f('upgrade');
  assert.equal(up.status, 0, `${up.stderr}\n${text}`);
  const after = await introspect(db.url);
  const want = (await loadDeclaredSchema(schemaFile, db.name, db.url)).schema;
  assert.deepEqual(diffSchemas(after, want), [], `${db.name}: up reaches the declared schema\n${text}`);
  const back = await f('downgrade', '-1');
  assert.equal(back.status, 0, `${back.stderr}\n${text}`);
  assert.deepEqual(diffSchemas(await introspect(db.url), original), [], `${db.name}: down restores the schema\n${text}`);
  return after;
}

/** A new SQLite file and, when a server is found, a fresh PostgreSQL database. */
async function bothEngines(t: Parameters<typeof freshPostgresDatabase>[0], label: string): Promise<{ name: 'sqlite' | 'postgres'; url: string }[]> {
  const dbs: { name: 'sqlite' | 'postgres'; url: string }[] = [{ name: 'sqlite', url: emptySqliteFile(path.join(tempDir(label), 'app.db')) }];
  const pg = await freshPostgresDatabase(t);
  if (pg) dbs.push({ name: 'postgres', url: pg.url });
  return dbs;
}

test('ferry revision --autogenerate: up reaches the declared schema, down restores, hints keep data, on both engines', { timeout: 180_000 }, async (t) => {
  for (const db of await bothEngines(t, 'rev-autogen-db')) {
    const dir = tempDir(`rev-autogen-${db.name}`);
    const mig = path.join(dir, 'migrations');
    fs.mkdirSync(mig);
    fs.writeFileSync(
      path.join(mig, 'a60000000001_base.sql'),
      `-- ferry:revision a60000000001\n-- ferry:message base\n-- ferry:up\n${BASE_UP}\n-- ferry:down\nDROP TABLE old_notes;\nDROP TABLE users;\n`,
    );
    const f = async (...args: string[]) => {
      const r = await ferry(dir, ...args, '--url', db.url);
      return { ...r, all: `${db.name}: ${r.stdout}${r.stderr}` };
    };
    const schemaFile = path.join(dir, 'schema.sql');
    fs.writeFileSync(schemaFile, DECLARED);

    // Not at head yet: a clear error, no file.
    if (db.name === 'sqlite') fs.writeFileSync(db.url, ''); // an empty file is an empty database
    const early = await f('revision', '--autogenerate', '-m', 'too early');
    assert.notEqual(early.status, 0, early.all);
    assert.match(early.all, /upgrade first/);
    assert.equal(fs.readdirSync(mig).length, 1);

    assert.equal((await f('upgrade', '--no-backup')).status, 0);
    await withDb(db.url, (e) => e.exec("INSERT INTO users (id, name, age) VALUES (1, 'ann', 30)"));
    const original = await introspect(db.url);

    const gen = await f('revision', '--autogenerate', '-m', 'reach declared');
    assert.equal(gen.status, 0, gen.all);
    const file = path.join(dir, /Generated (\S+)/.exec(gen.stdout)![1]!);
    const text = fs.readFileSync(file, 'utf8');
    // old_notes dropped while posts is created: flagged as a possible rename.
    assert.match(text, /WARNING: table\(s\) old_notes dropped and posts created/, text);
    assert.doesNotMatch(text, /looks like a rename/, 'the hinted rename is not flagged');
    if (db.name === 'postgres') assert.match(text, /RENAME COLUMN "name" TO "full_name"/);

    const up = await f('upgrade', '--no-backup');
    assert.equal(up.status, 0, `${up.all}\n${text}`);
    const declared = (await loadDeclaredSchema(schemaFile, db.name, db.url)).schema;
    assert.deepEqual(diffSchemas(await introspect(db.url), declared), [], `${db.name}\n${text}`);
    // The hinted rename kept the row's value.
    const rows = await withDb(db.url, (e) => e.query<{ full_name: string; age: unknown }>('SELECT full_name, age FROM users'));
    assert.equal(rows[0]?.full_name, 'ann');

    const down = await f('downgrade', '-1', '--no-backup');
    assert.equal(down.status, 0, `${down.all}\n${text}`);
    assert.deepEqual(diffSchemas(await introspect(db.url), original), [], `${db.name}\n${text}`);
    assert.equal((await withDb(db.url, (e) => e.query<{ name: string }>('SELECT name FROM users')))[0]?.name, 'ann');

    // Up again; then there is nothing left to generate.
    assert.equal((await f('upgrade', '--no-backup')).status, 0);
    const none = await f('revision', '--autogenerate', '-m', 'again');
    assert.equal(none.status, 0, none.all);
    assert.match(none.stdout, /Nothing to generate/);
    assert.equal(fs.readdirSync(mig).length, 2);

    // An unhinted rename is written as drop + add under a loud comment.
    fs.writeFileSync(schemaFile, DECLARED.replace(/-- ferry:rename-column.*\n/, '').replace(/full_name/g, 'display_name'));
    const loud = await f('revision', '--autogenerate', '-m', 'unhinted');
    assert.equal(loud.status, 0, loud.all);
    const loudText = fs.readFileSync(path.join(dir, /Generated (\S+)/.exec(loud.stdout)![1]!), 'utf8');
    assert.match(
      loudText,
      /(--|\/\/) WARNING: users: column\(s\) full_name dropped and display_name added; this looks like a rename: add a hint "-- ferry:rename-column users\.full_name -> display_name".*data is lost/,
    );
  }
});

test('autogenerate drops SQLite constraints written without a name, keeps the rows, and its down puts them back', { timeout: 60_000 }, async () => {
  const dir = tempDir('rev-autogen-unnamed');
  const url = emptySqliteFile(path.join(dir, 'app.db'));
  const mig = path.join(dir, 'migrations');
  fs.mkdirSync(mig);
  const base = `CREATE TABLE teams (id INTEGER PRIMARY KEY, code TEXT UNIQUE, size INTEGER CHECK (size > 0));
CREATE TABLE players (id INTEGER PRIMARY KEY, team_id INTEGER REFERENCES teams (id) ON DELETE CASCADE, no INTEGER, UNIQUE (team_id, no));
INSERT INTO teams VALUES (1, 'a', 5), (2, 'b', 6);
INSERT INTO players VALUES (10, 1, 7), (11, 2, 7);`;
  fs.writeFileSync(
    path.join(mig, 'a70000000001_base.sql'),
    `-- ferry:revision a70000000001\n-- ferry:message base\n-- ferry:up\n${base}\n-- ferry:down\nDROP TABLE players;\nDROP TABLE teams;\n`,
  );
  fs.writeFileSync(
    path.join(dir, 'schema.sql'),
    'CREATE TABLE teams (id INTEGER PRIMARY KEY, code TEXT, size INTEGER);\nCREATE TABLE players (id INTEGER PRIMARY KEY, team_id INTEGER, no INTEGER);\n',
  );
  const f = (...args: string[]) => ferry(dir, ...args, '--url', url, '--no-backup');
  assert.equal((await f('upgrade')).status, 0);
  const original = await introspect(url);

  const gen = await ferry(dir, 'revision', '--autogenerate', '-m', 'loosen', '--url', url);
  assert.equal(gen.status, 0, gen.stderr);
  const text = fs.readFileSync(path.join(dir, /Generated (\S+)/.exec(gen.stdout)![1]!), 'utf8');
  assert.doesNotMatch(text, /WARNING/, text);
  assert.match(text, /ctx\.ops\.dropUnique\("teams", \["code"\]\)/);
  assert.match(text, /ctx\.ops\.dropCheck\("teams", \{"expression":"size > 0"\}\)/);
  assert.match(text, /ctx\.ops\.dropForeignKey\("players", \["team_id"\]\)/);
  assert.match(text, /ctx\.ops\.dropUnique\("players", \["team_id","no"\]\)/);

  const up = await f('upgrade');
  assert.equal(up.status, 0, `${up.stderr}\n${text}`);
  const after = await introspect(url);
  const teams = after.tables.find((x) => x.name === 'teams')!;
  const players = after.tables.find((x) => x.name === 'players')!;
  assert.deepEqual([teams.uniques, teams.checks, players.uniques, players.foreignKeys], [[], [], [], []], 'the constraints are gone');
  // What they used to refuse now goes in; the rows were kept.
  await withDb(url, (e) => e.exec("INSERT INTO teams VALUES (3, 'a', -1); INSERT INTO players VALUES (12, 99, 7)"));
  assert.equal((await withDb(url, (e) => e.query<{ n: bigint }>('SELECT count(*) AS n FROM players')))[0]!.n, 3n);
  await withDb(url, (e) => e.exec('DELETE FROM teams WHERE id = 3; DELETE FROM players WHERE id = 12'));

  const down = await f('downgrade', '-1');
  assert.equal(down.status, 0, `${down.stderr}\n${text}`);
  assert.deepEqual(diffSchemas(await introspect(url), original), [], 'down restores every constraint');
  const refused = await withDb(url, async (e) =>
    e.exec("INSERT INTO teams VALUES (4, 'a', 1)").then(
      () => 'accepted',
      (err: Error) => err.message,
    ),
  );
  assert.match(refused, /UNIQUE/, 'the unique constraint on code is back');
});

test('ctx.ops drops a PostgreSQL constraint given by its columns or expression (it looks the name up)', { timeout: 60_000 }, async (t) => {
  const pg = await freshPostgresDatabase(t);
  if (!pg) return;
  await withDb(pg.url, (e) => e.exec('CREATE TABLE teams (id integer PRIMARY KEY, code text UNIQUE, size integer CHECK (size > 0))'));
  const { createSchemaOperations } = await import('../../src/revisions/schema-operations.js');
  await withDb(pg.url, async (e) => {
    const ops = createSchemaOperations(e);
    await ops.dropUnique('teams', ['code']);
    await ops.dropCheck('teams', { expression: 'size > 0' });
    await assert.rejects(ops.dropUnique('teams', ['size']), /dropUnique \(size\) on teams: teams has no such constraint/);
    const teams = (await e.introspect()).tables.find((x) => x.name === 'teams')!;
    assert.deepEqual([teams.uniques, teams.checks], [[], []]);
  });
});

test('autogenerate writes indexes on expressions from their own SQL, both ways, on both engines', { timeout: 90_000 }, async (t) => {
  for (const db of await bothEngines(t, 'rev-autogen-expr-db')) {
    const base = 'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\nCREATE INDEX users_old ON users (lower(email), id);';
    // users_old changes its expression, users_lower is new.
    const declared =
      'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\nCREATE INDEX users_old ON users (upper(email));\nCREATE UNIQUE INDEX users_lower ON users (lower(email));\n';
    const { dir, schemaFile, f } = await project(`rev-autogen-expr-${db.name}`, db.url, 'a80000000001', base, 'DROP TABLE users;', declared);
    const original = await introspect(db.url);
    const text = await generate(dir, db.url, 'expression indexes');
    assert.doesNotMatch(text, /WARNING/, text);
    assert.match(text, /CREATE UNIQUE INDEX users_lower ON [^\n]*lower\(email\)/i, text);
    assert.match(text, /CREATE INDEX users_old ON [^\n]*upper\(email\)/i, text);
    await upAndDown(db, f, schemaFile, original, text);
  }
});

test(
  'autogenerate makes views and triggers again around the table changes, in dependency order, both ways, on both engines',
  { timeout: 90_000 },
  async (t) => {
    for (const db of await bothEngines(t, 'rev-autogen-views-db')) {
      const pgFn = 'CREATE FUNCTION stamp_users() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.name := upper(NEW.name); RETURN NEW; END $$;\n';
      const trigger = (body: string) =>
        db.name === 'sqlite'
          ? `CREATE TRIGGER users_audit AFTER INSERT ON users BEGIN INSERT INTO audit (note) VALUES (${body}); END;`
          : `CREATE TRIGGER users_audit BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION stamp_users();`;
      const base = `${db.name === 'postgres' ? pgFn : ''}CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, age INTEGER);
CREATE TABLE audit (id INTEGER PRIMARY KEY, note TEXT);
CREATE VIEW adults AS SELECT id, name FROM users WHERE age >= 18;
CREATE VIEW adult_names AS SELECT name FROM adults;
CREATE VIEW notes AS SELECT note FROM audit;
${trigger("'new user'")}`;
      const down = `DROP VIEW notes;\nDROP VIEW adult_names;\nDROP VIEW adults;\nDROP TABLE audit;\nDROP TABLE users;\n${db.name === 'postgres' ? 'DROP FUNCTION stamp_users();' : ''}`;
      // users.age changes type (PostgreSQL refuses that under a view), adults changes, adult_names
      // depends on it, notes stays as it was, a new view comes, and (SQLite) the trigger changes.
      const declared = `${db.name === 'postgres' ? pgFn : ''}CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, age BIGINT, email TEXT);
CREATE TABLE audit (id INTEGER PRIMARY KEY, note TEXT);
CREATE VIEW adults AS SELECT id, name, email FROM users WHERE age >= 21;
CREATE VIEW adult_names AS SELECT name FROM adults;
CREATE VIEW notes AS SELECT note FROM audit;
CREATE VIEW emails AS SELECT email FROM adults WHERE email IS NOT NULL;
${trigger("'a new user'")}`;
      const { dir, schemaFile, f } = await project(`rev-autogen-views-${db.name}`, db.url, 'a90000000001', base, down, declared);
      const original = await introspect(db.url);
      const text = await generate(dir, db.url, 'views');
      const plain = text.replace(/\\"/g, '"'); // a TS revision quotes its SQL in JSON strings
      const at = (s: RegExp) => plain.search(s);
      // Dependents are dropped first and created last; a view nobody changed is left alone.
      assert.ok(
        at(/DROP VIEW (?:"public"\.)?"?adult_names"?/) >= 0 && at(/DROP VIEW (?:"public"\.)?"?adult_names"?/) < at(/DROP VIEW (?:"public"\.)?"?adults"?/),
        text,
      );
      assert.ok(at(/CREATE VIEW [^\n]*\badults\b/i) < at(/CREATE VIEW [^\n]*\badult_names\b/i), text);
      assert.ok(at(/CREATE VIEW [^\n]*\badults\b/i) < at(/CREATE VIEW [^\n]*\bemails\b/i), text);
      assert.equal(at(/VIEW (?:"public"\.)?"?notes"?/), -1, `notes is untouched\n${text}`);
      if (db.name === 'postgres') assert.match(text, /WARNING: trigger users_audit on users executes stamp_users\(\)|^(?![\s\S]*users_audit)/, text);
      else assert.match(plain, /DROP TRIGGER "?users_audit"?[\s\S]*CREATE TRIGGER users_audit/, text);
      await upAndDown(db, f, schemaFile, original, text);
    }
  },
);

test('autogenerate changes a primary key, keeping the rows, both ways, on both engines', { timeout: 90_000 }, async (t) => {
  for (const db of await bothEngines(t, 'rev-autogen-pk-db')) {
    const base =
      "CREATE TABLE tags (id INTEGER PRIMARY KEY, owner INTEGER NOT NULL, label TEXT NOT NULL);\nINSERT INTO tags VALUES (1, 10, 'a'), (2, 10, 'b'), (3, 11, 'a');";
    const declared = 'CREATE TABLE tags (id INTEGER NOT NULL, owner INTEGER NOT NULL, label TEXT NOT NULL, PRIMARY KEY (owner, label));\n';
    const { dir, schemaFile, f } = await project(`rev-autogen-pk-${db.name}`, db.url, 'ab0000000001', base, 'DROP TABLE tags;', declared);
    const original = await introspect(db.url);
    const text = await generate(dir, db.url, 'key by owner and label');
    assert.doesNotMatch(text, /WARNING/, text);
    assert.match(
      text,
      db.name === 'sqlite'
        ? /ctx\.ops\.setPrimaryKey\("tags", \["owner","label"\]/
        : /DROP CONSTRAINT IF EXISTS "tags_pkey";\nALTER TABLE [^\n]* ADD CONSTRAINT "tags_pkey" PRIMARY KEY \("owner", "label"\)/,
      text,
    );
    const after = await upAndDown(db, f, schemaFile, original, text);
    assert.deepEqual(after.tables.find((x) => x.name === 'tags')!.primaryKey?.columns, ['owner', 'label']);
    assert.equal(
      (await withDb(db.url, (e) => e.query<{ n: number | bigint | string }>('SELECT count(*) AS n FROM tags')))[0]!.n.toString(),
      '3',
      'no row lost after down either',
    );
  }
});
