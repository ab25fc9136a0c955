/**
 * `ferry lint`'s rules against the real server: each statement a rule names runs inside a
 * transaction on a table with rows, and the strongest lock it holds on that table (`pg_locks`) must
 * be the lock the finding states. Node linters have called a foreign-key add ACCESS EXCLUSIVE; the
 * server says SHARE ROW EXCLUSIVE, and this test is what keeps ferry's table honest.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import fs from 'node:fs';
import { connect, roleOf } from '../../src/engines/registry.js';
import { ferry } from '../support/cli.js';
import { freshPostgresDatabase } from '../support/postgres.js';
import { tempDir } from '../support/sqlite-fixtures.js';

/** PostgreSQL's lock modes, weakest first, as pg_locks names them and as the rules name them. */
const MODES = [
  ['AccessShareLock', 'ACCESS SHARE'],
  ['RowShareLock', 'ROW SHARE'],
  ['RowExclusiveLock', 'ROW EXCLUSIVE'],
  ['ShareUpdateExclusiveLock', 'SHARE UPDATE EXCLUSIVE'],
  ['ShareLock', 'SHARE'],
  ['ShareRowExclusiveLock', 'SHARE ROW EXCLUSIVE'],
  ['ExclusiveLock', 'EXCLUSIVE'],
  ['AccessExclusiveLock', 'ACCESS EXCLUSIVE'],
] as const;

const SETUP = `CREATE TABLE parent (id bigint PRIMARY KEY);
  INSERT INTO parent SELECT g FROM generate_series(1, 100) g;
  CREATE TABLE t (id bigint PRIMARY KEY, v int, email text, created timestamptz, p bigint);
  INSERT INTO t SELECT g, g, 'u' || g || '@example.com', now(), 1 + g % 100 FROM generate_series(1, 1000) g;
  CREATE INDEX t_v ON t (v);`;

/** Each rule with a lock, and a statement that breaks it on the table t. */
const CASES: [rule: string, sql: string][] = [
  ['create-index-not-concurrently', 'CREATE INDEX t_email ON t (email)'],
  ['drop-index-not-concurrently', 'DROP INDEX t_v'],
  ['foreign-key-not-valid', 'ALTER TABLE t ADD CONSTRAINT t_p_fk FOREIGN KEY (p) REFERENCES parent (id)'],
  ['check-not-valid', 'ALTER TABLE t ADD CONSTRAINT t_v_check CHECK (v > 0)'],
  ['set-not-null', 'ALTER TABLE t ALTER COLUMN email SET NOT NULL'],
  ['column-type-change', 'ALTER TABLE t ALTER COLUMN v TYPE bigint'],
  ['volatile-default', 'ALTER TABLE t ADD COLUMN token uuid DEFAULT gen_random_uuid()'],
  ['unique-without-index', 'ALTER TABLE t ADD CONSTRAINT t_email_key UNIQUE (email)'],
  ['drop-column', 'ALTER TABLE t DROP COLUMN created'],
  ['drop-table', 'DROP TABLE t'],
  ['rename-column', 'ALTER TABLE t RENAME COLUMN created TO created_at'],
  ['rename-table', 'ALTER TABLE t RENAME TO t2'],
];

test('every lint rule names the lock PostgreSQL really takes, read from pg_locks', async (t) => {
  const pg = await freshPostgresDatabase(t);
  if (!pg) return;
  const linter = roleOf('postgres', 'migrationLinter');
  const rules = await linter.rules();
  const withLocks = rules.filter((r) => r.lock !== null).map((r) => r.id);
  assert.deepEqual([...CASES.map((c) => c[0])].sort(), [...withLocks].sort(), 'a case for every rule that names a lock');
  const engine = await connect(pg.url);
  try {
    await engine.exec(SETUP);
    for (const [rule, sql] of CASES) {
      const hits = await linter.lint({ statements: [{ sql, line: 1, ignored: new Map() }], transactional: true });
      const hit = hits.find((h) => h.rule.id === rule);
      assert.ok(hit, `${rule}: the linter finds it in ${sql}`);
      // DROP INDEX names the index, not its table.
      if (rule !== 'drop-index-not-concurrently') assert.equal(hit.table, 't', `${rule}: on table t`);
      await engine.exec('BEGIN');
      try {
        const [{ oid }] = await engine.query<{ oid: string }>(`SELECT 't'::regclass::oid::text AS oid`);
        await engine.exec(sql);
        const held = await engine.query<{ mode: string }>(`SELECT mode FROM pg_locks WHERE pid = pg_backend_pid() AND relation = $1::oid AND granted`, [oid]);
        const strongest = held.map((h) => MODES.findIndex((m) => m[0] === h.mode)).reduce((a, b) => Math.max(a, b), -1);
        assert.equal(MODES[strongest]?.[1], hit.rule.lock, `${rule}: ${sql} holds ${held.map((h) => h.mode).join(', ')}`);
      } finally {
        await engine.exec('ROLLBACK');
      }
    }
    // The safe forms: NOT VALID, then VALIDATE, which lets writes through.
    await engine.exec('ALTER TABLE t ADD CONSTRAINT t_p_fk FOREIGN KEY (p) REFERENCES parent (id) NOT VALID');
    await engine.exec('BEGIN');
    try {
      await engine.exec('ALTER TABLE t VALIDATE CONSTRAINT t_p_fk');
      const held = await engine.query<{ mode: string }>(`SELECT mode FROM pg_locks WHERE pid = pg_backend_pid() AND relation = 't'::regclass AND granted`);
      assert.ok(
        !held.some((h) => ['ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'].includes(h.mode)),
        held.map((h) => h.mode).join(),
      );
    } finally {
      await engine.exec('ROLLBACK');
    }
    const safe = await linter.lint({
      statements: ['ALTER TABLE t ADD CONSTRAINT t_p_fk FOREIGN KEY (p) REFERENCES parent (id) NOT VALID', 'ALTER TABLE t VALIDATE CONSTRAINT t_p_fk'].map(
        (sql) => ({
          sql,
          line: 1,
          ignored: new Map(),
        }),
      ),
      transactional: true,
    });
    assert.deepEqual(
      safe.filter((h) => h.rule.level === 'error').map((h) => h.rule.id),
      [],
    );
  } finally {
    await engine.close();
  }
});

test('ferry lint: file, line, rule, lock and the safe form; a waived rule shows its reason; exit 4 on an error; --url ranks big tables first', async (t) => {
  const pg = await freshPostgresDatabase(t);
  if (!pg) return;
  const dir = tempDir('lint');
  fs.mkdirSync(path.join(dir, 'migrations'));
  const revision = (id: string, parents: string, up: string, extra = '') =>
    fs.writeFileSync(
      path.join(dir, 'migrations', `${id}_r.sql`),
      `-- ferry:revision ${id}\n${parents ? `-- ferry:parents ${parents}\n` : ''}-- ferry:message r\n${extra}-- ferry:up\n${up}\n-- ferry:down\nSELECT 1;\n`,
    );
  revision(
    '000000000001',
    '',
    "CREATE TABLE big (id bigint PRIMARY KEY, v text);\nCREATE TABLE small (id bigint PRIMARY KEY, v text);\nCREATE INDEX big_v ON big (v);\nINSERT INTO big SELECT g, 'x' FROM generate_series(1, 20000) g;\nANALYZE big;",
  );
  revision(
    '000000000002',
    '000000000001',
    "SET lock_timeout = '5s';\nSET statement_timeout = '1min';\nCREATE INDEX small_v ON small (v);\n-- ferry:lint-ignore set-not-null backfilled in 0001\nALTER TABLE big ALTER COLUMN v SET NOT NULL;\nCREATE INDEX big_v2 ON big (v);",
  );
  revision('000000000003', '000000000002', 'CREATE INDEX CONCURRENTLY big_v3 ON big (v);');
  const clean = await ferry(dir, 'lint', '000000000001', '--json');
  assert.equal(clean.status, 0, clean.stdout + clean.stderr);
  assert.deepEqual(JSON.parse(clean.stdout).findings, [], 'an index on a table the same revision creates is fine');
  // Against the database, brought to the revisions: sizes rank the findings.
  assert.equal((await ferry(dir, 'upgrade', '--url', pg.url, '000000000001')).status, 0);
  const r = await ferry(dir, 'lint', '--url', pg.url, '--json');
  assert.equal(r.status, 4, r.stderr);
  const report = JSON.parse(r.stdout) as {
    errors: number;
    findings: { file: string; line: number; rule: string; lock: string | null; table?: string; ignored?: string; tableRows?: number }[];
  };
  const shown = report.findings.map((f) => [f.file, f.line, f.rule, f.lock, f.table ?? null, f.ignored ?? null]);
  assert.deepEqual(shown, [
    [path.join('migrations', '000000000002_r.sql'), 9, 'set-not-null', 'ACCESS EXCLUSIVE', 'big', 'backfilled in 0001'],
    [path.join('migrations', '000000000002_r.sql'), 10, 'create-index-not-concurrently', 'SHARE', 'big', null],
    [path.join('migrations', '000000000002_r.sql'), 7, 'create-index-not-concurrently', 'SHARE', 'small', null],
    [path.join('migrations', '000000000003_r.sql'), 5, 'concurrently-in-transaction', null, null, null],
  ]);
  assert.equal(report.errors, 3);
  const text = await ferry(dir, 'lint', '--url', pg.url);
  assert.match(text.stdout, /000000000002_r\.sql:10 {2}error {2}create-index-not-concurrently \(takes SHARE on big, ~20,000 rows\)/);
  assert.match(text.stdout, /safe: CREATE INDEX CONCURRENTLY/);
  assert.match(text.stdout, /waived: backfilled in 0001/);
  // ferry check counts the error-level findings of revisions not applied yet.
  const check = await ferry(dir, 'check', '--url', pg.url, '--json');
  assert.equal(check.status, 4, check.stderr);
  const problems = (JSON.parse(check.stdout) as { problems: { kind: string; message: string }[] }).problems.filter((p) => p.kind === 'lint');
  assert.equal(problems.length, 3);
  assert.match(problems[0]!.message, /create-index-not-concurrently \(takes SHARE on small\)/);
  // upgrade --strict refuses before anything runs; without it the findings are warnings.
  const strict = await ferry(dir, 'upgrade', '000000000002', '--url', pg.url, '--strict', '--json');
  assert.equal(strict.status, 1);
  assert.equal((JSON.parse(strict.stdout) as { error: { code: string } }).error.code, 'LINT_FAILED');
  assert.match((JSON.parse((await ferry(dir, 'current', '--url', pg.url, '--json')).stdout) as { heads: { id: string }[] }).heads[0]!.id, /^000000000001$/);
  const loose = await ferry(dir, 'upgrade', '000000000002', '--url', pg.url);
  assert.equal(loose.status, 0, loose.stderr);
  assert.match(loose.stderr, /lint: migrations\/000000000002_r\.sql:10 error create-index-not-concurrently \(takes SHARE on big\): CREATE INDEX CONCURRENTLY/);
});

test('ferry lint --url lints what a script revision sends, learnt on a scratch database: ctx.ops takes its lock-light forms, ctx.sql is linted as written', async (t) => {
  const pg = await freshPostgresDatabase(t);
  if (!pg) return;
  const dir = tempDir('lint-script');
  fs.mkdirSync(path.join(dir, 'migrations'));
  fs.writeFileSync(
    path.join(dir, 'migrations', '000000000001_base.sql'),
    '-- ferry:revision 000000000001\n-- ferry:message base\n-- ferry:up\nCREATE TABLE items (id bigint PRIMARY KEY, sku text);\n-- ferry:down\nDROP TABLE items;\n',
  );
  const made = await ferry(dir, 'revision', '-m', 'sku index', '--ts', '--json');
  assert.equal(made.status, 0, made.stderr);
  const { id, file } = JSON.parse(made.stdout) as { id: string; file: string };
  const text = fs.readFileSync(file, 'utf8');
  const head = text.slice(0, text.indexOf('export async function up'));
  fs.writeFileSync(
    file,
    `${head}export async function up(ctx: RevisionContext): Promise<void> {\n  await ctx.ops.createIndex('items', 'items_sku', ['sku']);\n  await ctx.sql('CREATE INDEX items_sku_plain ON items (sku)');\n}\n\nexport async function down(ctx: RevisionContext): Promise<void> {\n  await ctx.ops.dropIndex('items_sku', 'items');\n}\n`,
  );
  const offline = JSON.parse((await ferry(dir, 'lint', '--json')).stdout) as { notLinted: { revision: string; reason: string }[] };
  assert.deepEqual(
    offline.notLinted.map((n) => n.revision),
    [id],
  );
  assert.match(offline.notLinted[0]!.reason, /needs --url/);
  const r = await ferry(dir, 'lint', '--url', pg.url, '--json');
  assert.equal(r.status, 4, r.stdout + r.stderr);
  const found = (JSON.parse(r.stdout) as { findings: { revision: string; rule: string; level: string; table?: string; line: number }[] }).findings.filter(
    (f) => f.level !== 'warning',
  );
  // ctx.ops.createIndex builds the index concurrently after the revision commits: nothing to flag. The plain CREATE INDEX is flagged.
  assert.deepEqual(
    found.map((f) => [f.revision, f.rule, f.table, f.line]),
    [[id, 'create-index-not-concurrently', 'items', 0]],
  );
  assert.match(
    (JSON.parse(r.stdout) as { findings: { statement: string }[] }).findings.find((f) => f.statement.includes('items_sku_plain'))!.statement,
    /^CREATE INDEX items_sku_plain/,
  );
});
