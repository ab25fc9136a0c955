import { test } from 'node:test';
import assert from 'node:assert/strict';
import { postgresOpSql } from '../../src/engines/postgres/postgres-operations.js';
import { editTableDefinition } from '../../src/engines/sqlite/sqlite-table-definition.js';
import { FerryError } from '../../src/errors.js';
import { reverseOp, type SchemaOp } from '../../src/schema/operations.js';
import type { Table } from '../../src/schema/model.js';

test('PostgreSQL SQL for every op, exactly', () => {
  const cases: [SchemaOp, string[]][] = [
    [
      {
        kind: 'createTable',
        table: 'users',
        columns: [
          { name: 'id', type: 'bigint', primaryKey: true },
          { name: 'email', type: 'text', nullable: false, unique: true },
          { name: 'team', type: 'bigint', references: { table: 'teams', column: 'id', onDelete: 'cascade' } },
        ],
      },
      [
        'CREATE TABLE "public"."users" (\n  "id" bigint PRIMARY KEY,\n  "email" text NOT NULL UNIQUE,\n  "team" bigint REFERENCES "public"."teams" ("id") ON DELETE CASCADE\n)',
      ],
    ],
    [
      {
        kind: 'createTable',
        table: 't',
        ifNotExists: true,
        columns: [
          { name: 'a', type: 'int', nullable: false },
          { name: 'b', type: 'int', default: '0' },
        ],
        primaryKey: ['a', 'b'],
        primaryKeyName: 't_pk',
        checks: [{ expression: 'b >= 0' }],
      },
      [
        'CREATE TABLE IF NOT EXISTS "public"."t" (\n  "a" int NOT NULL,\n  "b" int DEFAULT 0,\n  CONSTRAINT "t_pk" PRIMARY KEY ("a", "b"),\n  CHECK (b >= 0)\n)',
      ],
    ],
    [{ kind: 'dropTable', table: 'users' }, ['DROP TABLE "public"."users"']],
    [{ kind: 'renameTable', table: 'users', to: 'people' }, ['ALTER TABLE "public"."users" RENAME TO "people"']],
    [
      { kind: 'addColumn', table: 'users', column: { name: 'Nick Name', type: 'varchar(20)', default: "'x'" } },
      ['ALTER TABLE "public"."users" ADD COLUMN "Nick Name" varchar(20) DEFAULT \'x\''],
    ],
    [{ kind: 'dropColumn', table: 'users', column: 'email' }, ['ALTER TABLE "public"."users" DROP COLUMN "email"']],
    [{ kind: 'renameColumn', table: 'users', column: 'a"b', to: 'c' }, ['ALTER TABLE "public"."users" RENAME COLUMN "a""b" TO "c"']],
    [
      { kind: 'alterColumn', table: 'users', column: 'age', change: { type: 'integer', nullable: false, default: '0' } },
      ['ALTER TABLE "public"."users" ALTER COLUMN "age" TYPE integer USING "age"::integer, ALTER COLUMN "age" SET NOT NULL, ALTER COLUMN "age" SET DEFAULT 0'],
    ],
    [
      { kind: 'alterColumn', table: 'users', column: 'age', change: { nullable: true, default: null } },
      ['ALTER TABLE "public"."users" ALTER COLUMN "age" DROP NOT NULL, ALTER COLUMN "age" DROP DEFAULT'],
    ],
    [{ kind: 'alterColumn', table: 'users', column: 'age', change: {} }, []],
    [
      { kind: 'createIndex', table: 'users', name: 'users_email', columns: ['email', 'id'], unique: true, where: 'email IS NOT NULL' },
      ['CREATE UNIQUE INDEX "users_email" ON "public"."users" ("email", "id") WHERE email IS NOT NULL'],
    ],
    [{ kind: 'dropIndex', name: 'users_email', table: 'users' }, ['DROP INDEX "public"."users_email"']],
    [
      {
        kind: 'addForeignKey',
        table: 'posts',
        name: 'posts_user',
        columns: ['user_id'],
        refTable: 'users',
        refColumns: ['id'],
        onDelete: 'set null',
        onUpdate: 'NO ACTION',
      },
      [
        'ALTER TABLE "public"."posts" ADD CONSTRAINT "posts_user" FOREIGN KEY ("user_id") REFERENCES "public"."users" ("id") ON DELETE SET NULL NOT VALID',
        'ALTER TABLE "public"."posts" VALIDATE CONSTRAINT "posts_user"',
      ],
    ],
    [{ kind: 'dropForeignKey', table: 'posts', name: 'posts_user' }, ['ALTER TABLE "public"."posts" DROP CONSTRAINT "posts_user"']],
    [
      { kind: 'addUnique', table: 'users', name: 'users_email_key', columns: ['email'] },
      ['ALTER TABLE "public"."users" ADD CONSTRAINT "users_email_key" UNIQUE ("email")'],
    ],
    [{ kind: 'dropUnique', table: 'users', name: 'users_email_key' }, ['ALTER TABLE "public"."users" DROP CONSTRAINT "users_email_key"']],
    [
      { kind: 'addCheck', table: 'users', name: 'age_pos', expression: 'age > 0' },
      ['ALTER TABLE "public"."users" ADD CONSTRAINT "age_pos" CHECK (age > 0) NOT VALID', 'ALTER TABLE "public"."users" VALIDATE CONSTRAINT "age_pos"'],
    ],
    [{ kind: 'dropCheck', table: 'users', name: 'age_pos' }, ['ALTER TABLE "public"."users" DROP CONSTRAINT "age_pos"']],
  ];
  for (const [op, sql] of cases) assert.deepEqual(postgresOpSql(op), sql, op.kind);
});

test('a referential action that is not one of the five SQL words is refused', () => {
  assert.throws(
    () => postgresOpSql({ kind: 'addForeignKey', table: 'a', name: 'f', columns: ['x'], refTable: 'b', refColumns: ['id'], onDelete: 'CASCADE; DROP TABLE a' }),
    (e: unknown) => e instanceof FerryError && e.code === 'USAGE',
  );
});

const users: Table = {
  name: 'users',
  columns: [
    { name: 'id', type: 'integer', nullable: false, default: null },
    { name: 'email', type: 'text', nullable: false, default: null },
    { name: 'age', type: 'integer', nullable: true, default: '0' },
    { name: 'team', type: 'integer', nullable: true, default: null },
  ],
  primaryKey: { name: 'users_pkey', columns: ['id'] },
  uniques: [{ name: 'users_email_key', columns: ['email'] }],
  indexes: [
    { name: 'users_age', unique: false, columns: ['age'], sql: '', where: 'age > 0', hasExpressions: false },
    { name: 'users_lower', unique: false, columns: [], sql: 'CREATE INDEX users_lower ON users (lower(email))', hasExpressions: true },
  ],
  foreignKeys: [{ name: 'users_team_fk', columns: ['team'], refTable: 'teams', refColumns: ['id'], onDelete: 'CASCADE', onUpdate: 'NO ACTION' }],
  checks: [{ name: 'age_pos', expression: 'age >= 0' }],
};

test('reverses that need nothing but the op', () => {
  assert.deepEqual(reverseOp({ kind: 'createTable', table: 't', columns: [] }), [{ kind: 'dropTable', table: 't' }]);
  assert.deepEqual(reverseOp({ kind: 'renameTable', table: 'a', to: 'b' }), [{ kind: 'renameTable', table: 'b', to: 'a' }]);
  assert.deepEqual(reverseOp({ kind: 'addColumn', table: 't', column: { name: 'c', type: 'int' } }), [{ kind: 'dropColumn', table: 't', column: 'c' }]);
  assert.deepEqual(reverseOp({ kind: 'renameColumn', table: 't', column: 'a', to: 'b' }), [{ kind: 'renameColumn', table: 't', column: 'b', to: 'a' }]);
  assert.deepEqual(reverseOp({ kind: 'createIndex', table: 't', name: 'i', columns: ['a'] }), [{ kind: 'dropIndex', name: 'i', table: 't' }]);
  assert.deepEqual(reverseOp({ kind: 'addForeignKey', table: 't', name: 'f', columns: ['a'], refTable: 'u', refColumns: ['id'] }), [
    { kind: 'dropForeignKey', table: 't', name: 'f' },
  ]);
  assert.deepEqual(reverseOp({ kind: 'addUnique', table: 't', name: 'u', columns: ['a'] }), [{ kind: 'dropUnique', table: 't', name: 'u' }]);
  assert.deepEqual(reverseOp({ kind: 'addCheck', table: 't', name: 'c', expression: 'a > 0' }), [{ kind: 'dropCheck', table: 't', name: 'c' }]);
});

test('reverses of destructive ops come from the table as it was', () => {
  const [create, ...indexes] = reverseOp({ kind: 'dropTable', table: 'users' }, { ...users, indexes: [users.indexes[0]!] });
  assert.deepEqual(create, {
    kind: 'createTable',
    table: 'users',
    primaryKey: ['id'],
    primaryKeyName: 'users_pkey',
    columns: [
      { name: 'id', type: 'integer', nullable: false },
      { name: 'email', type: 'text', nullable: false },
      { name: 'age', type: 'integer', nullable: true, default: '0' },
      { name: 'team', type: 'integer', nullable: true },
    ],
    uniques: [{ name: 'users_email_key', columns: ['email'] }],
    foreignKeys: [{ name: 'users_team_fk', columns: ['team'], refTable: 'teams', refColumns: ['id'], onDelete: 'CASCADE', onUpdate: undefined }],
    checks: [{ name: 'age_pos', expression: 'age >= 0' }],
  });
  assert.deepEqual(indexes, [{ kind: 'createIndex', table: 'users', name: 'users_age', columns: ['age'], unique: false, where: 'age > 0' }]);
  assert.deepEqual(reverseOp({ kind: 'alterColumn', table: 'users', column: 'age', change: { type: 'bigint', default: null } }, users), [
    { kind: 'alterColumn', table: 'users', column: 'age', change: { type: 'integer', default: '0' } },
  ]);
  assert.deepEqual(reverseOp({ kind: 'dropColumn', table: 'users', column: 'team' }, users), [
    { kind: 'addColumn', table: 'users', column: { name: 'team', type: 'integer', nullable: true } },
    {
      kind: 'addForeignKey',
      table: 'users',
      name: 'users_team_fk',
      columns: ['team'],
      refTable: 'teams',
      refColumns: ['id'],
      onDelete: 'CASCADE',
      onUpdate: undefined,
    },
  ]);
  assert.deepEqual(
    reverseOp({ kind: 'dropColumn', table: 'users', column: 'age' }, { ...users, indexes: [users.indexes[0]!] }).map((o) => o.kind),
    ['addColumn', 'createIndex', 'addCheck'],
  );
  assert.deepEqual(reverseOp({ kind: 'dropIndex', name: 'users_age' }, users), [
    { kind: 'createIndex', table: 'users', name: 'users_age', columns: ['age'], unique: false, where: 'age > 0' },
  ]);
  assert.deepEqual(reverseOp({ kind: 'dropUnique', table: 'users', name: 'users_email_key' }, users), [
    { kind: 'addUnique', table: 'users', name: 'users_email_key', columns: ['email'] },
  ]);
  assert.deepEqual(reverseOp({ kind: 'dropCheck', table: 'users', name: 'age_pos' }, users), [
    { kind: 'addCheck', table: 'users', name: 'age_pos', expression: 'age >= 0' },
  ]);
});

test('an index on expressions is re-created from its own SQL text', () => {
  const lower = users.indexes.find((i) => i.name === 'users_lower')!;
  const recreate = { kind: 'createIndex', table: 'users', name: 'users_lower', columns: [], unique: lower.unique, sql: lower.sql };
  assert.deepEqual(reverseOp({ kind: 'dropIndex', name: 'users_lower' }, users), [recreate]);
  assert.ok(reverseOp({ kind: 'dropTable', table: 'users' }, users).some((o) => JSON.stringify(o) === JSON.stringify(recreate)));
  assert.deepEqual(postgresOpSql(recreate as SchemaOp), [lower.sql], 'the text runs as it is');
});

test('no reverse can be inferred: a clear error naming the op and why', () => {
  const irreversible = (op: SchemaOp, before: Table | undefined, why: RegExp) =>
    assert.throws(
      () => reverseOp(op, before),
      (e: unknown) =>
        e instanceof FerryError &&
        e.code === 'USAGE' &&
        /^No reverse can be inferred for /.test(e.message) &&
        why.test(e.message) &&
        /by hand/.test(e.hint ?? ''),
    );
  irreversible({ kind: 'dropTable', table: 'users' }, undefined, /dropTable users: it destroys something and the table as it was before was not given/);
  irreversible({ kind: 'dropColumn', table: 'users', column: 'id' }, users, /was part of the primary key/);
  irreversible({ kind: 'dropColumn', table: 'users', column: 'email' }, { ...users, uniques: [{ columns: ['email'] }] }, /unnamed constraint/);
  irreversible({ kind: 'dropForeignKey', table: 'users', name: 'nope' }, users, /the table as given has no foreign key named nope/);
  irreversible({ kind: 'alterColumn', table: 'users', column: 'ghost', change: { nullable: true } }, users, /has no column named ghost/);
});

test('SQLite definitions are edited token by token: comments, collations, unnamed CHECKs and conflict clauses survive', () => {
  const sql = `CREATE TABLE "t" ( -- header
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  a TEXT NOT NULL ON CONFLICT REPLACE DEFAULT 'x' COLLATE NOCASE CHECK (length(a) < 9), -- note on a
  b NUMERIC CONSTRAINT b_pos CHECK (b > 0) DEFAULT NULL,
  c INT,
  g INT GENERATED ALWAYS AS (b * 2) STORED,
  CONSTRAINT ab UNIQUE (a, c),
  CHECK (b < 100)
) STRICT`;
  const out = editTableDefinition(sql, 'ferry_new_t', {
    alterColumns: [
      { column: 'a', change: { type: 'VARCHAR(5)', nullable: true, default: "lower('Y')" } },
      { column: 'b', change: { nullable: false } },
    ],
    dropColumns: ['c'],
    addColumns: ['d TEXT'],
    addConstraints: ['CONSTRAINT d_len CHECK (length(d) < 3)'],
    dropConstraints: ['b_pos'],
  });
  assert.equal(
    out.sql,
    `CREATE TABLE "ferry_new_t" (
  -- header
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  a VARCHAR(5) COLLATE NOCASE CHECK (length(a) < 9) DEFAULT (lower('Y')),
  -- note on a
  b NUMERIC DEFAULT NULL NOT NULL,
  g INT GENERATED ALWAYS AS (b * 2) STORED,
  d TEXT,
  CHECK (b < 100),
  CONSTRAINT d_len CHECK (length(d) < 3)
) STRICT`,
  );
  assert.deepEqual(out.dropped, ['CONSTRAINT ab UNIQUE (a, c) (uses dropped column c)']);
  assert.throws(() => editTableDefinition(sql, 'x', { dropConstraints: ['nope'] }), /has no constraint named nope/);
  assert.throws(() => editTableDefinition(sql, 'x', { dropColumns: ['zz'] }), /has no column zz/);
});

test('SQLite constraints without a name are edited out by what they are: columns or check expression, column- or table-level', () => {
  const sql = `CREATE TABLE t (
  id INTEGER PRIMARY KEY,
  a TEXT UNIQUE CHECK (length(a)   <  9),
  p INTEGER REFERENCES parent (id) ON DELETE CASCADE,
  b INT,
  UNIQUE (a, b),
  CHECK (b > 0),
  FOREIGN KEY (b) REFERENCES parent (id)
)`;
  const out = editTableDefinition(sql, 'n', {
    dropMatching: [
      { kind: 'unique', columns: ['a'] },
      { kind: 'check', expression: 'length(a) < 9' },
      { kind: 'foreignKey', columns: ['p'] },
      { kind: 'unique', columns: ['A', 'B'] },
      { kind: 'check', expression: 'b>0' },
    ],
  });
  assert.equal(
    out.sql,
    `CREATE TABLE "n" (
  id INTEGER PRIMARY KEY,
  a TEXT,
  p INTEGER,
  b INT,
  FOREIGN KEY (b) REFERENCES parent (id)
)`,
  );
  assert.throws(() => editTableDefinition(sql, 'n', { dropMatching: [{ kind: 'unique', columns: ['b'] }] }), /has no UNIQUE \(b\)/);
  assert.throws(() => editTableDefinition(sql, 'n', { dropMatching: [{ kind: 'check', expression: 'b < 0' }] }), /has no CHECK \(b < 0\)/);
});

test('reverses of drops by definition re-add the constraint with the name it had, or a made-up one', () => {
  const t: Table = {
    name: 'users',
    columns: [],
    primaryKey: null,
    indexes: [],
    uniques: [{ columns: ['email'] }, { name: 'u_nick', columns: ['nick'] }],
    checks: [{ expression: 'age >= 0' }],
    foreignKeys: [{ columns: ['team_id'], refTable: 'teams', refColumns: ['id'] }],
  } as unknown as Table;
  assert.deepEqual(reverseOp({ kind: 'dropUnique', table: 'users', columns: ['email'] }, t), [
    { kind: 'addUnique', table: 'users', name: 'users_email_key', columns: ['email'] },
  ]);
  assert.deepEqual(reverseOp({ kind: 'dropUnique', table: 'users', columns: ['nick'] }, t), [
    { kind: 'addUnique', table: 'users', name: 'u_nick', columns: ['nick'] },
  ]);
  assert.deepEqual(reverseOp({ kind: 'dropCheck', table: 'users', expression: 'age>=0' }, t), [
    { kind: 'addCheck', table: 'users', name: 'users_check', expression: 'age >= 0' },
  ]);
  assert.equal((reverseOp({ kind: 'dropForeignKey', table: 'users', columns: ['team_id'] }, t)[0] as { name: string }).name, 'users_team_id_fkey');
  assert.throws(() => reverseOp({ kind: 'dropUnique', table: 'users', columns: ['zzz'] }, t), /dropUnique \(zzz\) on users.*no unique constraint \(zzz\)/);
  assert.throws(() => postgresOpSql({ kind: 'dropCheck', table: 'users', expression: 'x' }), /PostgreSQL drops a constraint by its name/);
});

test('a primary key is replaced: PostgreSQL drops the old constraint by name and adds the new; SQLite rewrites the definition', () => {
  assert.deepEqual(postgresOpSql({ kind: 'setPrimaryKey', table: 'tags', columns: ['owner', 'label'], replaces: 'tags_pkey' }), [
    'ALTER TABLE "public"."tags" DROP CONSTRAINT IF EXISTS "tags_pkey"',
    'ALTER TABLE "public"."tags" ADD CONSTRAINT "tags_pkey" PRIMARY KEY ("owner", "label")',
  ]);
  assert.deepEqual(postgresOpSql({ kind: 'setPrimaryKey', table: 'tags', columns: [], replaces: 'tags_pkey' }), [
    'ALTER TABLE "public"."tags" DROP CONSTRAINT IF EXISTS "tags_pkey"',
  ]);
  const column = editTableDefinition('CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, a TEXT NOT NULL, b INT)', 't2', {
    primaryKey: { columns: ['a', 'b'] },
  }).sql;
  assert.equal(
    column,
    'CREATE TABLE "t2" (\n  id INTEGER NOT NULL,\n  a TEXT NOT NULL,\n  b INT,\n  PRIMARY KEY ("a", "b")\n)',
    'the rowid column keeps never being NULL',
  );
  assert.equal(
    editTableDefinition('CREATE TABLE t (k TEXT PRIMARY KEY, v INT)', 't2', { primaryKey: { columns: ['v'] } }).sql,
    'CREATE TABLE "t2" (\n  k TEXT,\n  v INT,\n  PRIMARY KEY ("v")\n)',
  );
  const table = editTableDefinition('CREATE TABLE t (a TEXT, b INT, CONSTRAINT t_pk PRIMARY KEY (a, b)) WITHOUT ROWID', 't2', {
    primaryKey: { columns: ['b'], name: 'pk_b' },
  }).sql;
  assert.equal(table, 'CREATE TABLE "t2" (\n  a TEXT,\n  b INT,\n  CONSTRAINT "pk_b" PRIMARY KEY ("b")\n) WITHOUT ROWID');
  const t: Table = {
    name: 'tags',
    columns: [],
    primaryKey: { name: 'tags_pkey', columns: ['id'] },
    indexes: [],
    uniques: [],
    checks: [],
    foreignKeys: [],
  } as unknown as Table;
  assert.deepEqual(reverseOp({ kind: 'setPrimaryKey', table: 'tags', columns: ['owner', 'label'], name: 'tags_ol', replaces: 'tags_pkey' }, t), [
    { kind: 'setPrimaryKey', table: 'tags', columns: ['id'], name: 'tags_pkey', replaces: 'tags_ol' },
  ]);
});
