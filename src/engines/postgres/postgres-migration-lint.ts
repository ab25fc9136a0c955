/**
 * PostgreSQL's linter of revision statements for a live database: the dangerous operations that
 * squawk, strong_migrations and GitLab's guidelines agree on, each with the lock the server takes
 * (checked against `pg_locks` by test/integration/lint-locks.test.ts) and the safe way to write it.
 * Statements are recognised by their leading keywords after comments are stripped: a linter, not a
 * parser, so it errs towards naming a statement rather than missing one.
 */
import type { LintHit, LintInput, LintRule, MigrationLinter } from '../../engine/lint-roles.js';

const NO_TRANSACTION = 'in a revision marked `-- ferry:no-transaction`';

/** The rules, as data. */
export const POSTGRES_LINT_RULES = {
  createIndex: {
    id: 'create-index-not-concurrently',
    level: 'error',
    lock: 'SHARE',
    why: 'CREATE INDEX blocks every write to the table until the index is built.',
    safe: `CREATE INDEX CONCURRENTLY, ${NO_TRANSACTION}`,
  },
  dropIndex: {
    id: 'drop-index-not-concurrently',
    level: 'error',
    lock: 'ACCESS EXCLUSIVE',
    why: 'DROP INDEX blocks every read and write of its table while it waits and runs.',
    safe: `DROP INDEX CONCURRENTLY, ${NO_TRANSACTION}`,
  },
  concurrentlyInTransaction: {
    id: 'concurrently-in-transaction',
    level: 'error',
    lock: null,
    why: 'CONCURRENTLY cannot run inside a transaction block: the revision fails.',
    safe: 'Mark the revision `-- ferry:no-transaction` and keep the statement alone in it.',
  },
  foreignKey: {
    id: 'foreign-key-not-valid',
    level: 'error',
    lock: 'SHARE ROW EXCLUSIVE',
    why: 'Adding a foreign key checks every row while writes to both tables wait.',
    safe: 'ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID, then ALTER TABLE ... VALIDATE CONSTRAINT in a later transaction (it takes SHARE UPDATE EXCLUSIVE, which lets writes through).',
  },
  check: {
    id: 'check-not-valid',
    level: 'error',
    lock: 'ACCESS EXCLUSIVE',
    why: 'Adding a CHECK scans every row while all reads and writes of the table wait.',
    safe: 'ADD CONSTRAINT ... CHECK (...) NOT VALID, then VALIDATE CONSTRAINT in a later transaction.',
  },
  setNotNull: {
    id: 'set-not-null',
    level: 'error',
    lock: 'ACCESS EXCLUSIVE',
    why: 'SET NOT NULL scans every row while all reads and writes of the table wait.',
    safe: 'ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT c (later transaction); SET NOT NULL (PostgreSQL 12+ uses the check and skips the scan); DROP CONSTRAINT c.',
  },
  typeChange: {
    id: 'column-type-change',
    level: 'error',
    lock: 'ACCESS EXCLUSIVE',
    why: 'Changing a column type rewrites the table (and its indexes) while all reads and writes wait, unless the types are binary-compatible.',
    safe: 'Expand/contract: add a column of the new type, keep both in step, backfill in batches, switch readers, drop the old column.',
  },
  volatileDefault: {
    id: 'volatile-default',
    level: 'error',
    lock: 'ACCESS EXCLUSIVE',
    why: 'A column added with a volatile default (random(), gen_random_uuid(), clock_timestamp(), a serial) rewrites the table while all reads and writes wait.',
    safe: 'Add the column without a default (or with a constant one), set the default separately, and backfill existing rows in batches.',
  },
  uniqueWithoutIndex: {
    id: 'unique-without-index',
    level: 'error',
    lock: 'ACCESS EXCLUSIVE',
    why: 'Adding a UNIQUE or PRIMARY KEY constraint builds its index while all reads and writes of the table wait.',
    safe: `CREATE UNIQUE INDEX CONCURRENTLY ... (${NO_TRANSACTION}), then ADD CONSTRAINT ... UNIQUE USING INDEX (or PRIMARY KEY USING INDEX).`,
  },
  dropColumn: {
    id: 'drop-column',
    level: 'warning',
    lock: 'ACCESS EXCLUSIVE',
    why: 'Code still reading or writing the column fails once it is gone.',
    safe: 'Contract only after every running version of the app has stopped using the column (expand/contract).',
  },
  dropTable: {
    id: 'drop-table',
    level: 'warning',
    lock: 'ACCESS EXCLUSIVE',
    why: 'Code still using the table fails once it is gone.',
    safe: 'Drop it only after every running version of the app has stopped using it; back it up first (ferry backup).',
  },
  renameColumn: {
    id: 'rename-column',
    level: 'warning',
    lock: 'ACCESS EXCLUSIVE',
    why: 'Code using the old name fails the moment the rename commits.',
    safe: 'Expand/contract: add the new column, keep both in step with a trigger, backfill, move the app, then drop the old one.',
  },
  renameTable: {
    id: 'rename-table',
    level: 'warning',
    lock: 'ACCESS EXCLUSIVE',
    why: 'Code using the old name fails the moment the rename commits.',
    safe: 'Rename, then create a view with the old name for the app versions still running; drop the view later.',
  },
  preferBigint: {
    id: 'prefer-bigint',
    level: 'warning',
    lock: null,
    why: 'A 32-bit integer key or counter runs out at 2,147,483,647, and widening it later rewrites the table.',
    safe: 'bigint (or bigint GENERATED ... AS IDENTITY) for keys and counters.',
  },
  preferTimestamptz: {
    id: 'prefer-timestamptz',
    level: 'warning',
    lock: null,
    why: 'timestamp without time zone stores wall-clock time without its zone: values from servers or sessions in different zones mix silently.',
    safe: 'timestamptz (timestamp with time zone).',
  },
  lockTimeout: {
    id: 'missing-lock-timeout',
    level: 'warning',
    lock: null,
    why: 'A statement waiting for its lock queues every later query on the table behind it, for as long as it waits.',
    safe: "SET lock_timeout = '5s' before the first statement that locks an existing table (and retry when it times out).",
  },
  statementTimeout: {
    id: 'missing-statement-timeout',
    level: 'warning',
    lock: null,
    why: 'A statement that runs longer than expected holds its lock for as long as it runs.',
    safe: "SET statement_timeout = '...' before the first statement that locks an existing table.",
  },
} satisfies Record<string, LintRule>;

const R = POSTGRES_LINT_RULES;

/** A statement without comments, its whitespace collapsed, and an upper-case copy for matching. */
function cleaned(sql: string): { text: string; up: string } {
  const text = sql
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return { text, up: text.toUpperCase() };
}

const NAME = String.raw`("(?:[^"]|"")+"|[\w$]+)(?:\.("(?:[^"]|"")+"|[\w$]+))?`;

/** A possibly schema-qualified name as ferry compares it: unquoted, lower-case unless it was quoted, schema dropped. */
function nameOf(first: string, second: string | undefined): string {
  const n = second ?? first;
  return n.startsWith('"') ? n.slice(1, -1).replaceAll('""', '"') : n.toLowerCase();
}

function alteredTable(text: string): string | null {
  const m = new RegExp(`^ALTER TABLE (?:IF EXISTS )?(?:ONLY )?${NAME}`, 'i').exec(text);
  return m ? nameOf(m[1]!, m[2]) : null;
}

function indexedTable(text: string): string | null {
  const m = new RegExp(`^CREATE (?:UNIQUE )?INDEX (?:CONCURRENTLY )?(?:IF NOT EXISTS )?(?:${NAME} )?ON (?:ONLY )?${NAME}`, 'i').exec(text);
  return m ? nameOf(m[3]!, m[4]) : null;
}

function createdTable(text: string): string | null {
  const m = new RegExp(`^CREATE (?:(?:GLOBAL |LOCAL )?(?:TEMP|TEMPORARY|UNLOGGED) )?TABLE (?:IF NOT EXISTS )?${NAME}`, 'i').exec(text);
  return m ? nameOf(m[1]!, m[2]) : null;
}

/** Type names in a column list or an ADD COLUMN that a rule prefers otherwise. */
const INT32 = /(?:^|[\s(,])(?:INT|INTEGER|INT4|SERIAL|SERIAL4|SMALLINT|INT2|SMALLSERIAL)(?=[\s,)]|$)/;
const ZONELESS = /(?:^|[\s(,])TIMESTAMP(?:\s*\(\d+\))?(?!\s*(?:\(\d+\)\s*)?WITH TIME ZONE)(?=[\s,)]|$)|WITHOUT TIME ZONE/;
const VOLATILE = /DEFAULT\s+(?:RANDOM|GEN_RANDOM_UUID|UUID_GENERATE_V[14]|CLOCK_TIMESTAMP|TIMEOFDAY|NEXTVAL)\s*\(|\s(?:BIG|SMALL)?SERIAL[248]?(?=[\s,)]|$)/;

/** The rules one statement breaks, given the tables the revision created before it (no one else uses those yet). */
function statementHits(sql: string, transactional: boolean, created: Set<string>): { rule: LintRule; table?: string }[] {
  const { text, up } = cleaned(sql);
  const out: { rule: LintRule; table?: string }[] = [];
  const onExisting = (table: string | null) => table !== null && !created.has(table);
  if (/\bCONCURRENTLY\b/.test(up) && transactional && /^(CREATE|DROP|REINDEX)\b/.test(up)) out.push({ rule: R.concurrentlyInTransaction });
  if (/^CREATE (UNIQUE )?INDEX (?!CONCURRENTLY)/.test(up)) {
    const table = indexedTable(text);
    if (onExisting(table)) out.push({ rule: R.createIndex, table: table! });
  }
  if (/^DROP INDEX (?!CONCURRENTLY)/.test(up)) out.push({ rule: R.dropIndex });
  if (/^DROP TABLE\b/.test(up)) {
    const m = new RegExp(`^DROP TABLE (?:IF EXISTS )?${NAME}`, 'i').exec(text);
    const table = m ? nameOf(m[1]!, m[2]) : null;
    if (table === null || onExisting(table)) out.push({ rule: R.dropTable, ...(table ? { table } : {}) });
  }
  if (/^ALTER TABLE\b/.test(up)) {
    const table = alteredTable(text);
    if (onExisting(table)) {
      const t = table!;
      const notValid = /\bNOT VALID\b/.test(up);
      if (/\bFOREIGN KEY\b|\bADD CONSTRAINT \S+ REFERENCES\b/.test(up) && !notValid) out.push({ rule: R.foreignKey, table: t });
      if (/\bADD (CONSTRAINT \S+ )?CHECK\b/.test(up) && !notValid) out.push({ rule: R.check, table: t });
      if (/\bSET NOT NULL\b/.test(up)) out.push({ rule: R.setNotNull, table: t });
      if (/\bALTER (COLUMN )?\S+ (SET DATA )?TYPE\b/.test(up)) out.push({ rule: R.typeChange, table: t });
      if (/\bADD (COLUMN )?/.test(up) && !/\bADD (CONSTRAINT|CHECK|FOREIGN|UNIQUE|PRIMARY)\b/.test(up) && VOLATILE.test(up))
        out.push({ rule: R.volatileDefault, table: t });
      if (/\bADD (CONSTRAINT \S+ )?(UNIQUE|PRIMARY KEY)\b/.test(up) && !/\bUSING INDEX\b/.test(up)) out.push({ rule: R.uniqueWithoutIndex, table: t });
      if (/\bDROP (COLUMN )?(?!CONSTRAINT\b|DEFAULT\b|NOT\b|EXPRESSION\b|IDENTITY\b)\S+/.test(up) && /\bDROP COLUMN\b/.test(up))
        out.push({ rule: R.dropColumn, table: t });
      if (/\bRENAME (COLUMN )?(?!TO\b|CONSTRAINT\b)\S+ TO\b/.test(up)) out.push({ rule: R.renameColumn, table: t });
      else if (/\bRENAME TO\b/.test(up)) out.push({ rule: R.renameTable, table: t });
    }
  }
  // Types: in a new table's columns, or a column added to any table.
  const declares =
    /^CREATE (?:(?:GLOBAL |LOCAL )?(?:TEMP|TEMPORARY|UNLOGGED) )?TABLE\b/.test(up) ||
    (/^ALTER TABLE\b/.test(up) && /\bADD (COLUMN )?(?!CONSTRAINT|CHECK|FOREIGN|UNIQUE|PRIMARY)/.test(up)) ||
    /\bALTER (COLUMN )?\S+ (SET DATA )?TYPE\b/.test(up);
  if (declares && INT32.test(up)) out.push({ rule: R.preferBigint });
  if (declares && ZONELESS.test(up)) out.push({ rule: R.preferTimestamptz });
  return out;
}

/** Whether a statement takes a lock on an existing table (the timeout rules are named there). */
function locksExisting(hits: { rule: LintRule; table?: string }[]): boolean {
  return hits.some((h) => h.rule.lock !== null);
}

export const postgresMigrationLinter: MigrationLinter = {
  async rules() {
    return Object.values(POSTGRES_LINT_RULES);
  },

  async lint(input: LintInput): Promise<LintHit[]> {
    const out: LintHit[] = [];
    const created = new Set<string>();
    let lockTimeout = false;
    let statementTimeout = false;
    let timeoutsNamed = false;
    input.statements.forEach((st, i) => {
      const { text, up } = cleaned(st.sql);
      if (/^SET (LOCAL |SESSION )?LOCK_TIMEOUT\b/.test(up)) lockTimeout = true;
      if (/^SET (LOCAL |SESSION )?STATEMENT_TIMEOUT\b/.test(up)) statementTimeout = true;
      const hits = statementHits(st.sql, input.transactional, created).filter((h) => !(input.afterCommit && h.rule === R.setNotNull));
      for (const h of hits) out.push({ rule: h.rule, statement: i, ...(h.table ? { table: h.table } : {}) });
      // Named once per revision, at the first statement that locks an existing table without them.
      if (!timeoutsNamed && !input.afterCommit && locksExisting(hits)) {
        timeoutsNamed = true;
        if (!lockTimeout) out.push({ rule: R.lockTimeout, statement: i });
        if (!statementTimeout) out.push({ rule: R.statementTimeout, statement: i });
      }
      const made = createdTable(text);
      if (made) created.add(made);
    });
    return out;
  },

  async tableSizes(engine, tables) {
    const rows = await engine.query<{ name: string; n: string | number; bytes: string | number }>(
      `SELECT c.relname AS name, greatest(c.reltuples, 0)::bigint AS n, pg_total_relation_size(c.oid) AS bytes FROM pg_class c
        WHERE c.relkind IN ('r', 'p') AND c.relnamespace = current_schema()::regnamespace AND c.relname = ANY($1)`,
      [tables],
    );
    return new Map(rows.map((r) => [r.name, { rows: Number(r.n), bytes: Number(r.bytes) }]));
  },
};
