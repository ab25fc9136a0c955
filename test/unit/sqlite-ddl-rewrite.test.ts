import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractChecks, parseCreateTable, rewriteCreateIndex, rewriteCreateTable, tableOptions } from '../../src/engines/sqlite/sqlite-ddl-rewrite.js';
import { tokenize } from '../../src/engines/sqlite/sqlite-tokens.js';

const ddl = `CREATE TABLE IF NOT EXISTS "memories" (
  id TEXT PRIMARY KEY, -- the key, (with a comma) in a comment
  "Tier" TEXT NOT NULL COLLATE NOCASE CHECK ("Tier" <> ''),
  content TEXT DEFAULT 'a, b (c)',
  embedding BLOB,
  parent TEXT REFERENCES [memories](id) ON DELETE CASCADE,
  CONSTRAINT "has content" CHECK (content IS NOT NULL OR embedding IS NOT NULL),
  UNIQUE ("Tier", content)
) WITHOUT ROWID`;

test('the tokenizer keeps strings, quoted names and comments whole', () => {
  const texts = tokenize(`SELECT 'it''s', "a ""b""", [c d], \`e\` -- x\n/* y */ 1.5e+3`)
    .filter((t) => t.kind !== 'space')
    .map((t) => t.text);
  assert.deepEqual(texts, ['SELECT', "'it''s'", ',', '"a ""b"""', ',', '[c d]', ',', '`e`', '-- x', '/* y */', '1.5e+3']);
});

test('a CREATE TABLE splits into columns and constraints at top-level commas only', () => {
  const p = parseCreateTable(ddl);
  assert.equal(p.name, 'memories');
  assert.deepEqual(
    p.parts.map((x) => `${x.kind}:${x.name ?? ''}`),
    ['column:id', 'column:Tier', 'column:content', 'column:embedding', 'column:parent', 'constraint:has content', 'constraint:'],
  );
  assert.match(p.tail, /WITHOUT ROWID/);
});

test('rename keeps every clause, repoints REFERENCES and drops constraints on dropped columns', () => {
  const r = rewriteCreateTable(ddl, {
    newName: 'continuum "memory"',
    keepColumns: ['id', 'Tier', 'content', 'parent'],
    renames: new Map([['memories', 'continuum "memory"']]),
  });
  assert.match(r.sql, /^CREATE TABLE "continuum ""memory""" \(/);
  assert.match(r.sql, /COLLATE NOCASE CHECK \("Tier" <> ''\)/);
  assert.match(r.sql, /DEFAULT 'a, b \(c\)'/);
  assert.match(r.sql, /REFERENCES "continuum ""memory"""\(id\) ON DELETE CASCADE/);
  assert.match(r.sql, /UNIQUE \("Tier", content\)/);
  assert.doesNotMatch(r.sql, /embedding/);
  assert.equal(r.dropped.length, 1);
  assert.match(r.dropped[0]!, /has content/);
  assert.match(r.sql, /WITHOUT ROWID$/);
});

test('index rewrite changes only the index and table names', () => {
  assert.equal(
    rewriteCreateIndex(`CREATE UNIQUE INDEX IF NOT EXISTS main.idx_a ON "memories" (lower("Tier")) WHERE content IS NOT NULL`, 'idx b', 'continuum_memory'),
    `CREATE UNIQUE INDEX "idx b" ON "continuum_memory" (lower("Tier")) WHERE content IS NOT NULL`,
  );
});

test('CHECK constraints are found named and unnamed, column and table level', () => {
  assert.deepEqual(extractChecks(ddl), [
    { name: undefined, expression: `"Tier" <> ''` },
    { name: 'has content', expression: 'content IS NOT NULL OR embedding IS NOT NULL' },
  ]);
  assert.deepEqual(tableOptions(ddl), { withoutRowid: true, strict: false });
  assert.deepEqual(tableOptions('CREATE TABLE t (x INT) STRICT'), { withoutRowid: false, strict: true });
});

test('a definition ending in a -- comment before its comma keeps the comma out of the comment', async () => {
  const sql = 'CREATE TABLE t (\n  a TEXT -- the note\n  , b INT -- another\n  , CHECK (b > 0)\n)';
  const out = rewriteCreateTable(sql, { newName: 'u' }).sql;
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(':memory:');
  try {
    db.exec(out);
    assert.deepEqual(
      (db.prepare('SELECT name FROM pragma_table_info(?)').all('u') as { name: string }[]).map((c) => c.name),
      ['a', 'b'],
      out,
    );
  } finally {
    db.close();
  }
  assert.match(out, /-- the note\n,/);
});
