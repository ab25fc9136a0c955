import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitStatements } from '../../src/revisions/split-statements.js';

const sqls = (sql: string, dialect: 'sqlite' | 'postgres' = 'sqlite') => splitStatements(sql, dialect).map((s) => s.sql);

test('splits on semicolons and drops empty statements', () => {
  assert.deepEqual(sqls('CREATE TABLE a (x int);\nCREATE TABLE b (y int);'), ['CREATE TABLE a (x int)', 'CREATE TABLE b (y int)']);
  assert.deepEqual(sqls(';;  ;\n\n;'), []);
  assert.deepEqual(sqls(''), []);
  assert.deepEqual(sqls('SELECT 1'), ['SELECT 1'], 'a last statement needs no semicolon');
  assert.deepEqual(sqls('SELECT 1;;SELECT 2;'), ['SELECT 1', 'SELECT 2']);
});

test('each statement has the line of its first token, counted from firstLine', () => {
  const text = '\n\n  CREATE TABLE a (\n    x int\n  );\n-- a comment\n\nINSERT INTO a VALUES (1); INSERT INTO a VALUES (2);\n';
  assert.deepEqual(splitStatements(text, 'sqlite', 10), [
    { sql: 'CREATE TABLE a (\n    x int\n  )', line: 12 },
    { sql: 'INSERT INTO a VALUES (1)', line: 17 },
    { sql: 'INSERT INTO a VALUES (2)', line: 17 },
  ]);
  assert.equal(splitStatements('SELECT 1', 'postgres')[0].line, 1, 'firstLine defaults to 1');
});

test('leading and trailing comments are not part of a statement; inner ones are kept', () => {
  assert.deepEqual(splitStatements('-- add a table\n/* block\n comment */ CREATE TABLE a (x /* the x */ int) -- trailing\n;\n-- only a comment\n', 'sqlite'), [
    { sql: 'CREATE TABLE a (x /* the x */ int)', line: 3 },
  ]);
  assert.deepEqual(sqls('SELECT 1; -- done'), ['SELECT 1']);
});

test('semicolons inside strings and quoted identifiers do not split', () => {
  assert.deepEqual(sqls("INSERT INTO t VALUES ('a;b', 'it''s;'); SELECT 2"), ["INSERT INTO t VALUES ('a;b', 'it''s;')", 'SELECT 2']);
  assert.deepEqual(sqls('CREATE TABLE "we;ird ""x""" (a int); SELECT 1', 'postgres'), ['CREATE TABLE "we;ird ""x""" (a int)', 'SELECT 1']);
  assert.deepEqual(sqls('SELECT `a;b`, [c;d] FROM t; SELECT 1'), ['SELECT `a;b`, [c;d] FROM t', 'SELECT 1']);
});

test('backticks and brackets quote only on SQLite; PostgreSQL arrays keep working', () => {
  assert.deepEqual(sqls('SELECT arr[1]; SELECT 2', 'postgres'), ['SELECT arr[1]', 'SELECT 2']);
  assert.deepEqual(sqls("SELECT '[' ; SELECT 2", 'postgres'), ["SELECT '['", 'SELECT 2']);
});

test('comment markers inside strings and semicolons inside comments are ignored', () => {
  assert.deepEqual(sqls("SELECT '--not a comment;'; SELECT '/*'; SELECT 3"), ["SELECT '--not a comment;'", "SELECT '/*'", 'SELECT 3']);
  assert.deepEqual(sqls('SELECT 1 -- no; split\n+ 1; /* nor; here */ SELECT 2'), ['SELECT 1 -- no; split\n+ 1', 'SELECT 2']);
});

test('PostgreSQL block comments nest; SQLite ones do not', () => {
  assert.deepEqual(sqls('/* a /* b; */ still; comment */ SELECT 1; SELECT 2', 'postgres'), ['SELECT 1', 'SELECT 2']);
  // In SQLite the first */ closes the comment, so "still" starts a statement.
  assert.deepEqual(sqls('/* a /* b; */ still; SELECT 2', 'sqlite'), ['still', 'SELECT 2']);
});

test('PostgreSQL dollar quotes, tagged and untagged', () => {
  const fn = `CREATE FUNCTION f() RETURNS trigger AS $$
BEGIN
  NEW.x := 1; RETURN NEW;
END;
$$ LANGUAGE plpgsql`;
  assert.deepEqual(sqls(`${fn};\nSELECT 1;`, 'postgres'), [fn, 'SELECT 1']);
  const tagged = "DO $body$ BEGIN PERFORM '$$;'; RAISE NOTICE $x$;$x$; END $body$";
  assert.deepEqual(sqls(`${tagged}; SELECT 2`, 'postgres'), [tagged, 'SELECT 2']);
  const lines = splitStatements(`SELECT $$a\nb\nc$$;\nSELECT 2;`, 'postgres');
  assert.deepEqual(
    lines.map((s) => s.line),
    [1, 4],
    'lines inside dollar quotes are counted',
  );
});

test('positional parameters and $ inside identifiers are not dollar quotes', () => {
  assert.deepEqual(sqls('SELECT $1; SELECT a$b$c FROM t; SELECT 3', 'postgres'), ['SELECT $1', 'SELECT a$b$c FROM t', 'SELECT 3']);
});

test("PostgreSQL E'...' strings take backslash escapes; plain strings do not", () => {
  assert.deepEqual(sqls("SELECT E'it\\'s;'; SELECT 2", 'postgres'), ["SELECT E'it\\'s;'", 'SELECT 2']);
  assert.deepEqual(sqls("SELECT 'C:\\'; SELECT 2", 'postgres'), ["SELECT 'C:\\'", 'SELECT 2']);
  assert.deepEqual(sqls("SELECT 'C:\\'; SELECT 2", 'sqlite'), ["SELECT 'C:\\'", 'SELECT 2']);
  // "some'..." is an identifier ending in e followed by a string: no escape mode.
  assert.deepEqual(sqls("SELECT name'x\\'; SELECT 2", 'postgres'), ["SELECT name'x\\'", 'SELECT 2']);
});

test('SQLite trigger bodies stay whole, CASE ... END included', () => {
  const trigger = `CREATE TRIGGER t_audit AFTER UPDATE ON t
WHEN new.x > 0
BEGIN
  INSERT INTO audit VALUES (new.id, CASE WHEN new.x > 10 THEN 'big' ELSE 'small' END);
  UPDATE t SET touched = 1 WHERE id = new.id;
END`;
  const out = splitStatements(`CREATE TABLE audit (id, size);\n${trigger};\nSELECT 1;`, 'sqlite');
  assert.deepEqual(
    out.map((s) => s.sql),
    ['CREATE TABLE audit (id, size)', trigger, 'SELECT 1'],
  );
  assert.deepEqual(
    out.map((s) => s.line),
    [1, 2, 8],
  );
  const temp = 'create temp trigger x before delete on t begin select raise(abort, "no;"); end';
  assert.deepEqual(sqls(`${temp}; select 2`), [temp, 'select 2']);
  const temporary = 'CREATE TEMPORARY TRIGGER y AFTER INSERT ON t BEGIN DELETE FROM u; DELETE FROM v; END';
  assert.deepEqual(sqls(`${temporary};SELECT 3`), [temporary, 'SELECT 3']);
});

test('BEGIN outside a trigger is an ordinary statement', () => {
  assert.deepEqual(sqls('BEGIN; CREATE TABLE a (x); COMMIT;'), ['BEGIN', 'CREATE TABLE a (x)', 'COMMIT']);
  assert.deepEqual(sqls('SELECT CASE WHEN 1 THEN 2 END; SELECT 3'), ['SELECT CASE WHEN 1 THEN 2 END', 'SELECT 3']);
  // A trigger is not a block on PostgreSQL (its body is a function).
  assert.deepEqual(sqls('CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW EXECUTE FUNCTION f(); SELECT 1', 'postgres'), [
    'CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW EXECUTE FUNCTION f()',
    'SELECT 1',
  ]);
});

test('PostgreSQL BEGIN ATOMIC function bodies stay whole', () => {
  const fn = `CREATE OR REPLACE FUNCTION add(a int, b int) RETURNS int LANGUAGE sql
BEGIN ATOMIC
  SELECT CASE WHEN a IS NULL THEN 0 ELSE a END + b;
END`;
  assert.deepEqual(sqls(`${fn};\nSELECT 1`, 'postgres'), [fn, 'SELECT 1']);
  const proc = 'CREATE PROCEDURE p() BEGIN ATOMIC INSERT INTO t VALUES (1); INSERT INTO t VALUES (2); END';
  assert.deepEqual(sqls(`${proc}; SELECT 2`, 'postgres'), [proc, 'SELECT 2']);
  // A plain function with a $$ body and no BEGIN ATOMIC splits normally after it.
  assert.deepEqual(sqls('CREATE FUNCTION g() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql; SELECT 2', 'postgres'), [
    'CREATE FUNCTION g() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql',
    'SELECT 2',
  ]);
});

test('quoted words do not count as keywords', () => {
  assert.deepEqual(sqls('CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT "end"; SELECT \'END\'; END; SELECT 2'), [
    'CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT "end"; SELECT \'END\'; END',
    'SELECT 2',
  ]);
});

test('unterminated quotes and comments run to the end (the database reports them)', () => {
  assert.deepEqual(sqls("SELECT 'abc; SELECT 2"), ["SELECT 'abc; SELECT 2"]);
  assert.deepEqual(sqls('SELECT 1; /* open; SELECT 2'), ['SELECT 1']);
  assert.deepEqual(sqls('SELECT $$ open; SELECT 2', 'postgres'), ['SELECT $$ open; SELECT 2']);
  assert.deepEqual(sqls('SELECT "x; SELECT 2'), ['SELECT "x; SELECT 2']);
});

test('CRLF line endings and non-ASCII text', () => {
  const out = splitStatements("INSERT INTO t VALUES ('é;ü');\r\n\r\nSELECT 'ß'\r\n", 'sqlite');
  assert.deepEqual(out, [
    { sql: "INSERT INTO t VALUES ('é;ü')", line: 1 },
    { sql: "SELECT 'ß'", line: 3 },
  ]);
});

test('a long single-line section splits in linear time', () => {
  const sql = "INSERT INTO t VALUES (1, 'a');".repeat(20_000);
  const t0 = performance.now();
  assert.equal(splitStatements(sql, 'sqlite').length, 20_000);
  assert.ok(performance.now() - t0 < 1000);
});
