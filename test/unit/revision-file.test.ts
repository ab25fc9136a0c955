import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { isRevisionFileName, loadRevisions, newRevisionId, parseSqlRevision, revisionFileText, slugFor } from '../../src/revisions/revision-file.js';
import { revisionChecksum } from '../../src/revisions/revision-text.js';
import { importScriptRevision, scanScriptRevision, scriptRevisionText } from '../../src/revisions/revision-script.js';
import type { RevisionContext } from '../../src/revisions/revision-types.js';
import { FerryError, type ErrorCode } from '../../src/errors.js';
import { tempDir } from '../support/sqlite-fixtures.js';

const EXAMPLE = `-- ferry:revision 3f2a9c1b7d0e
-- ferry:parents 1a2b3c4d5e6f
-- ferry:message add email to users
-- ferry:up
ALTER TABLE users ADD COLUMN email TEXT;
-- ferry:down
ALTER TABLE users DROP COLUMN email;
`;
const FILE = '/m/3f2a9c1b7d0e_add_email_to_users.sql';

function fails(fn: () => unknown, code: ErrorCode, line: number | undefined, ...fragments: string[]): FerryError {
  let caught: unknown;
  assert.throws(fn, (e: unknown) => {
    caught = e;
    return e instanceof FerryError && e.code === code;
  });
  return checkError(caught as FerryError, line, fragments);
}

async function rejects(promise: Promise<unknown>, code: ErrorCode, line: number | undefined, ...fragments: string[]): Promise<FerryError> {
  let caught: unknown;
  await assert.rejects(promise, (e: unknown) => {
    caught = e;
    return e instanceof FerryError && e.code === code;
  });
  return checkError(caught as FerryError, line, fragments);
}

function checkError(err: FerryError, line: number | undefined, fragments: string[]): FerryError {
  for (const f of fragments) assert.ok(err.message.includes(f), `"${err.message}" should contain "${f}"`);
  if (line !== undefined) {
    assert.equal(err.data?.line, line, `line in data of "${err.message}"`);
    assert.ok(err.message.includes(`:${line}`), `"${err.message}" should show line ${line}`);
  }
  assert.ok(typeof err.data?.file === 'string' && err.message.includes(path.basename(err.data.file as string)), 'the error names the file');
  return err;
}

test('parses the documented SQL format', () => {
  const r = parseSqlRevision(EXAMPLE, FILE);
  assert.equal(r.id, '3f2a9c1b7d0e');
  assert.deepEqual(r.parents, ['1a2b3c4d5e6f']);
  assert.equal(r.message, 'add email to users');
  assert.equal(r.kind, 'sql');
  assert.equal(r.file, FILE);
  assert.equal(r.transactional, true);
  assert.deepEqual(r.up, { sql: 'ALTER TABLE users ADD COLUMN email TEXT;\n', line: 5 });
  assert.deepEqual(r.down, { sql: 'ALTER TABLE users DROP COLUMN email;\n', line: 7 });
  assert.match(r.checksum, /^[0-9a-f]{64}$/);
});

test('bases, merges, no-transaction, a missing down section and extra comments', () => {
  const base = parseSqlRevision('-- ferry:revision abc\n-- ferry:message first\n-- ferry:up\nCREATE TABLE a (x);\n', '/m/abc_first.sql');
  assert.deepEqual(base.parents, []);
  assert.equal(base.down, null);
  const empty = parseSqlRevision('-- ferry:revision abc\n-- ferry:parents\n-- ferry:up\n', '/m/abc.sql');
  assert.deepEqual(empty.parents, []);
  assert.deepEqual(empty.up, { sql: '', line: 4 });
  assert.equal(empty.message, '');
  const merge = parseSqlRevision(
    '-- A merge of two branches.\n\n-- ferry:revision m1\n-- ferry:parents  aa   bb \n-- ferry:no-transaction\n-- ferry:message merge\n-- ferry:up\n-- ferry:down\n',
    '/m/m1_merge.sql',
  );
  assert.deepEqual(merge.parents, ['aa', 'bb']);
  assert.equal(merge.transactional, false);
  assert.deepEqual(merge.up, { sql: '', line: 8 });
  assert.deepEqual(merge.down, { sql: '', line: 9 });
  // "-- ferry: note" (a space after the colon) is an ordinary comment, in the header and in a section.
  const noted = parseSqlRevision('-- ferry:revision n1\n-- ferry: a note\n-- ferry:up\n-- ferry: keep this\nSELECT 1;', '/m/n1_x.sql');
  assert.equal(noted.up.sql, '-- ferry: keep this\nSELECT 1;');
});

test('CRLF files parse with the same sections and lines', () => {
  const r = parseSqlRevision(EXAMPLE.replace(/\n/g, '\r\n'), FILE);
  assert.deepEqual(r.up, { sql: 'ALTER TABLE users ADD COLUMN email TEXT;\n', line: 5 });
  assert.equal(r.message, 'add email to users');
});

test('SQL revision errors name the file and the line', () => {
  fails(
    () => parseSqlRevision('-- ferry:revision abc\n-- ferry:message x\n', '/m/abc_x.sql'),
    'CONFIG_INVALID',
    undefined,
    'abc_x.sql',
    'no "-- ferry:up" section',
  );
  fails(() => parseSqlRevision('-- ferry:message x\n-- ferry:up\nSELECT 1;', '/m/abc_x.sql'), 'CONFIG_INVALID', undefined, 'no "-- ferry:revision');
  const typo = fails(
    () => parseSqlRevision('-- ferry:revision abc\n-- ferry:up\nSELECT 1;\n-- ferry:donw\nSELECT 2;', '/m/abc_x.sql'),
    'CONFIG_INVALID',
    4,
    'did you mean "-- ferry:down"?',
  );
  assert.ok(typo.hint?.includes('-- ferry:no-transaction'));
  fails(
    () => parseSqlRevision('-- ferry:revision abc\n-- ferry:parnets x\n-- ferry:up\n', '/m/abc_x.sql'),
    'CONFIG_INVALID',
    2,
    'did you mean "-- ferry:parents"?',
  );
  fails(
    () => parseSqlRevision('-- ferry:revision abc\n-- ferry:frobnicate\n-- ferry:up\n', '/m/abc_x.sql'),
    'CONFIG_INVALID',
    2,
    'unknown directive "-- ferry:frobnicate".',
  );
  fails(() => parseSqlRevision('-- ferry:revision abc\n-- ferry:up\n-- ferry:up\n', '/m/abc_x.sql'), 'CONFIG_INVALID', 3, 'appears twice (first on line 2)');
  fails(() => parseSqlRevision('-- ferry:revision abc\n-- ferry:up\n-- ferry:message late\n', '/m/abc_x.sql'), 'CONFIG_INVALID', 3, 'must be in the header');
  fails(() => parseSqlRevision('-- ferry:revision abc\nCREATE TABLE t (x);\n-- ferry:up\n', '/m/abc_x.sql'), 'CONFIG_INVALID', 2, 'SQL before "-- ferry:up"');
  fails(() => parseSqlRevision('-- ferry:revision Not-An-Id\n-- ferry:up\n', '/m/x_y.sql'), 'CONFIG_INVALID', 1, 'not a valid revision id');
  fails(() => parseSqlRevision('-- ferry:revision heads\n-- ferry:up\n', '/m/heads_y.sql'), 'CONFIG_INVALID', 1, 'not a valid revision id');
  fails(() => parseSqlRevision('-- ferry:revision abc\n-- ferry:parents a a\n-- ferry:up\n', '/m/abc_x.sql'), 'CONFIG_INVALID', 2, 'listed twice');
  fails(
    () => parseSqlRevision('-- ferry:revision abc\n-- ferry:parents a B!\n-- ferry:up\n', '/m/abc_x.sql'),
    'CONFIG_INVALID',
    2,
    '"B!" is not a valid parent',
  );
  fails(() => parseSqlRevision('-- ferry:revision abc\n-- ferry:up now\n', '/m/abc_x.sql'), 'CONFIG_INVALID', 2, 'unexpected text after "-- ferry:up"');
  fails(() => parseSqlRevision('-- ferry:revision abc\n-- ferry:no-transaction yes\n-- ferry:up\n', '/m/abc_x.sql'), 'CONFIG_INVALID', 2, 'takes no value');
});

test('a file whose name starts with another id is a copied file', () => {
  const e = fails(
    () => parseSqlRevision(EXAMPLE, '/m/1a2b3c4d5e6f_add_email_to_users.sql'),
    'CONFIG_INVALID',
    1,
    'says revision 3f2a9c1b7d0e',
    '"1a2b3c4d5e6f"',
    'copied',
  );
  assert.ok(e.hint?.includes('3f2a9c1b7d0e_<slug>.sql'));
  // An id that contains "_" still matches its own file name.
  assert.equal(parseSqlRevision('-- ferry:revision v1_2\n-- ferry:up\n', '/m/v1_2_init.sql').id, 'v1_2');
});

test('checksums ignore line endings and trailing whitespace, and nothing else', () => {
  const sum = revisionChecksum(EXAMPLE);
  assert.equal(revisionChecksum(EXAMPLE.replace(/\n/g, '\r\n')), sum, 'CRLF');
  assert.equal(revisionChecksum(EXAMPLE.replace(/\n/g, '\r')), sum, 'CR');
  assert.equal(revisionChecksum(EXAMPLE.replace(/\n/g, ' \t \n')), sum, 'trailing spaces and tabs');
  assert.equal(revisionChecksum(EXAMPLE + '\n\n\n'), sum, 'blank lines at the end');
  assert.equal(revisionChecksum(EXAMPLE.trimEnd()), sum, 'no final newline');
  assert.equal(revisionChecksum('\uFEFF' + EXAMPLE), sum, 'a BOM');
  assert.equal(parseSqlRevision(EXAMPLE.replace(/\n/g, '\r\n'), FILE).checksum, sum);
  assert.notEqual(revisionChecksum(EXAMPLE.replace('TEXT;', 'TEXT ;')), sum, 'a space inside a line');
  assert.notEqual(revisionChecksum(EXAMPLE.replace('email TEXT', 'email  TEXT')), sum);
  assert.notEqual(revisionChecksum(EXAMPLE.replace('ALTER TABLE users ADD', '  ALTER TABLE users ADD')), sum, 'leading whitespace');
  assert.notEqual(revisionChecksum(EXAMPLE.replace('-- ferry:up\n', '-- ferry:up\n\n')), sum, 'an inner blank line');
  assert.notEqual(revisionChecksum(EXAMPLE.replace('email', 'Email')), sum);
});

test('new ids, slugs and new file texts round-trip through the parser', () => {
  const id = newRevisionId();
  assert.match(id, /^[0-9a-f]{12}$/);
  assert.notEqual(newRevisionId(), id);
  assert.equal(slugFor('Add email to users'), 'add_email_to_users');
  assert.equal(slugFor('  Crème brûlée: prices (v2)!  '), 'creme_brulee_prices_v2');
  assert.equal(slugFor('!!!'), 'revision');
  assert.ok(slugFor('a very long message that goes on and on about what this revision does').length <= 40);
  assert.equal(slugFor('x'.repeat(60)).length, 40);

  const text = revisionFileText({
    id: '3f2a9c1b7d0e',
    parents: ['1a2b3c4d5e6f'],
    message: 'add email to users',
    up: 'ALTER TABLE users ADD COLUMN email TEXT;',
    down: 'ALTER TABLE users DROP COLUMN email;\n',
  });
  assert.equal(text, EXAMPLE, 'exactly the documented format');
  const merge = revisionFileText({ id: 'abc', parents: ['x1', 'y2'], message: 'merge\nheads', up: '', down: '', transactional: false });
  assert.equal(merge, '-- ferry:revision abc\n-- ferry:parents x1 y2\n-- ferry:message merge heads\n-- ferry:no-transaction\n-- ferry:up\n-- ferry:down\n');
  const base = parseSqlRevision(revisionFileText({ id: 'b0', parents: [], message: '', up: 'SELECT 1;', down: null }), '/m/b0_x.sql');
  assert.deepEqual([base.parents, base.message, base.down, base.up.sql], [[], '', null, 'SELECT 1;\n']);
});

test('script revisions are read by a text scan, without running them', () => {
  const text = scriptRevisionText({
    id: 'a1b2c3d4e5f6',
    parents: ['0f0f0f0f0f0f', '1e1e1e1e1e1e'],
    message: "it's a merge",
    up: "await ctx.sql('SELECT 1');",
    down: '',
    transactional: false,
  });
  assert.ok(text.startsWith("import type { RevisionContext } from 'ferry-db';\n"));
  const r = scanScriptRevision(text, '/m/a1b2c3d4e5f6_merge.ts');
  assert.deepEqual([r.id, r.parents, r.message, r.kind, r.transactional], ['a1b2c3d4e5f6', ['0f0f0f0f0f0f', '1e1e1e1e1e1e'], "it's a merge", 'script', false]);
  assert.equal(typeof r.up.fn, 'function');
  assert.equal(typeof r.down?.fn, 'function');
  const handWritten = `export const revision: string = "b2";\nexport const parents = 'a1';\nexport function up(ctx) {}\n`;
  const h = scanScriptRevision(handWritten, '/m/b2_x.mjs');
  assert.deepEqual([h.parents, h.message, h.down, h.transactional], [['a1'], '', null, true]);
  const js = scriptRevisionText({ id: 'e5', parents: [], message: 'plain js', up: '', down: null, language: 'js' });
  assert.ok(!js.includes('import type'));
  const j = scanScriptRevision(js, '/m/e5_plain_js.mjs');
  assert.deepEqual([j.id, j.parents, j.message, j.down], ['e5', [], 'plain js', null]);
  assert.equal(
    scriptRevisionText({
      id: 'ab12',
      parents: ['cd34'],
      message: 'add email',
      up: "await ctx.ops.addColumn('users', { name: 'email', type: 'text' });",
      down: "await ctx.ops.dropColumn('users', 'email');",
    }),
    `import type { RevisionContext } from 'ferry-db';

export const revision = 'ab12';
export const parents: string[] = ['cd34'];
export const message = 'add email';

export async function up(ctx: RevisionContext): Promise<void> {
  await ctx.ops.addColumn('users', { name: 'email', type: 'text' });
}

export async function down(ctx: RevisionContext): Promise<void> {
  await ctx.ops.dropColumn('users', 'email');
}
`,
  );
  const multi = scanScriptRevision(
    "export const revision = `f6`;\nexport const parents = [\n  'a1',\n  \"b2\",\n];\nexport const message = 'say \\'hi\\'';\nexport const up = async () => {};\n",
    '/m/f6_x.ts',
  );
  assert.deepEqual([multi.id, multi.parents, multi.message], ['f6', ['a1', 'b2'], "say 'hi'"]);
  const listed = scanScriptRevision(`export const revision = 'c3';\nconst a = () => {}, b = () => {};\nexport { a as up, b as down };\n`, '/m/c3.js');
  assert.ok(listed.down);
});

test('script revision errors', () => {
  fails(() => scanScriptRevision('export function up() {}\n', '/m/x_y.ts'), 'CONFIG_INVALID', undefined, 'exports no revision id');
  fails(() => scanScriptRevision("export const revision = 'ab';\n", '/m/ab_y.ts'), 'CONFIG_INVALID', undefined, 'exports no up function');
  fails(
    () => scanScriptRevision("const id = 'ab';\nexport const revision = id;\nexport function up() {}", '/m/ab_y.ts'),
    'CONFIG_INVALID',
    2,
    'must be a literal',
  );
  fails(
    () => scanScriptRevision("export const revision = 'ab';\nexport const parents = ['Ab'];\nexport function up() {}", '/m/ab_y.ts'),
    'CONFIG_INVALID',
    2,
    '"parents" must be',
  );
  fails(() => scanScriptRevision("export const revision = 'ab';\nexport function up() {}", '/m/cd_y.ts'), 'CONFIG_INVALID', 1, 'copied');
});

test('loadRevisions reads SQL and TS revisions, skips other files, and imports scripts lazily', async () => {
  const dir = tempDir('revisions');
  fs.writeFileSync(path.join(dir, '3f2a9c1b7d0e_add_email_to_users.sql'), EXAMPLE);
  fs.writeFileSync(
    path.join(dir, '1a2b3c4d5e6f_users.sql'),
    revisionFileText({ id: '1a2b3c4d5e6f', parents: [], message: 'users', up: 'CREATE TABLE users (id INTEGER);', down: 'DROP TABLE users;' }),
  );
  fs.writeFileSync(
    path.join(dir, '9c9c9c9c9c9c_backfill.ts'),
    scriptRevisionText({
      id: '9c9c9c9c9c9c',
      parents: ['3f2a9c1b7d0e'],
      message: 'backfill',
      up: "const n: number = 1;\nawait ctx.sql(`UPDATE users SET email = 'x' WHERE id = ${n}`);",
      down: null,
    }),
  );
  for (const other of ['README.md', 'schema.sql', '.hidden.sql', 'types.d.ts', 'notes.txt']) fs.writeFileSync(path.join(dir, other), 'not a revision');
  fs.mkdirSync(path.join(dir, 'sub'));
  fs.mkdirSync(path.join(dir, 'ff_folder.sql'));
  fs.writeFileSync(path.join(dir, 'sub', 'aa_x.sql'), 'not read: not recursive');

  const revs = await loadRevisions(dir);
  assert.deepEqual(
    revs.map((r) => r.id),
    ['1a2b3c4d5e6f', '3f2a9c1b7d0e', '9c9c9c9c9c9c'],
    'sorted by file name',
  );
  const script = revs[2];
  assert.equal(script.kind, 'script');
  assert.equal(script.down, null);
  const ran: string[] = [];
  const ctx = { sql: async (s: string) => void ran.push(s) } as unknown as RevisionContext;
  await script.up.fn!(ctx);
  assert.deepEqual(ran, ["UPDATE users SET email = 'x' WHERE id = 1"]);
  assert.equal((await loadRevisions(dir, { importScripts: true })).length, 3);
  const loaded = await importScriptRevision(script);
  assert.equal(typeof loaded.up.fn, 'function');
  assert.equal(loaded.transactional, true);
  assert.equal(isRevisionFileName('abc_x.mts'), true);
  assert.equal(isRevisionFileName('schema.ts'), false);
});

test('loadRevisions errors: missing folder, bad files, script syntax errors with file and line', async () => {
  await assert.rejects(loadRevisions('/nonexistent/ferry/migrations'), (e: unknown) => {
    return (
      e instanceof FerryError &&
      e.code === 'CONFIG_INVALID' &&
      e.message.includes('/nonexistent/ferry/migrations does not exist') &&
      /ferry revision -m/.test(e.hint ?? '')
    );
  });
  const dir = tempDir('badrevisions');
  fs.writeFileSync(path.join(dir, 'abc_x.sql'), '-- ferry:revision abc\n-- ferry:message no up\n');
  await rejects(loadRevisions(dir), 'CONFIG_INVALID', undefined, 'abc_x.sql', 'no "-- ferry:up" section');

  const scripts = tempDir('badscripts');
  const file = path.join(scripts, 'de_broken.ts');
  fs.writeFileSync(file, "export const revision = 'de';\nexport async function up(ctx: unknown) {\n  const x = ;\n}\n");
  const [broken] = await loadRevisions(scripts);
  await rejects(importScriptRevision(broken), 'CONFIG_SYNTAX', 3, 'de_broken.ts');
  await rejects(loadRevisions(scripts, { importScripts: true }), 'CONFIG_SYNTAX', 3, 'Syntax error in', 'de_broken.ts');
  await rejects(
    Promise.resolve().then(() => broken.up.fn!({} as RevisionContext)),
    'CONFIG_SYNTAX',
    3,
  );
  fs.writeFileSync(file, "export const revision = 'de';\nexport const parents = ['x'.toUpperCase()];\nexport function up() {}\n");
  await rejects(loadRevisions(scripts), 'CONFIG_INVALID', 2, 'must be a literal');
  fs.writeFileSync(file, "export const revision = 'de';\nexport const parents = [];\nthrow new Error('boom');\nexport function up() {}\n");
  const [throwing] = await loadRevisions(scripts);
  await rejects(importScriptRevision(throwing), 'CONFIG_INVALID', 3, 'boom');
});

test('5,000 SQL revision files load quickly (time printed, not asserted)', async () => {
  const dir = tempDir('manyrevisions');
  let parent: string[] = [];
  for (let i = 0; i < 5000; i++) {
    const id = `r${String(i).padStart(11, '0')}`;
    const up = i % 2 === 0 ? `CREATE TABLE t${i} (id INTEGER PRIMARY KEY, name TEXT NOT NULL);` : `ALTER TABLE t${i - 1} ADD COLUMN c${i} TEXT;`;
    const down = i % 2 === 0 ? `DROP TABLE t${i};` : `ALTER TABLE t${i - 1} DROP COLUMN c${i};`;
    fs.writeFileSync(path.join(dir, `${id}_${slugFor(`revision ${i}`)}.sql`), revisionFileText({ id, parents: parent, message: `revision ${i}`, up, down }));
    parent = [id];
  }
  const times: number[] = [];
  for (let k = 0; k < 3; k++) {
    const t0 = performance.now();
    const revs = await loadRevisions(dir);
    times.push(performance.now() - t0);
    assert.equal(revs.length, 5000);
  }
  console.log(`loadRevisions, 5,000 SQL files: ${times.map((t) => `${t.toFixed(1)} ms`).join(', ')} (first run cold)`);
});
