/**
 * The role `ferry lint` asks of an engine (issue 13): a linter of revision statements for changes
 * on a live database. Rules are data (what they match, the lock the statement takes, the safe way
 * to write it), so the README, `--json` and the test that checks each lock against the server's
 * `pg_locks` all read the same table.
 */
import type { Engine } from './types.js';

/** One statement of a revision, as the linter sees it. */
export interface LintStatement {
  sql: string;
  /** 1-based line in the revision file (0: learnt by running a script revision). */
  line: number;
  /** Rules the revision's author waived for this statement (`-- ferry:lint-ignore <rule> <reason>`), with the reason. */
  ignored: Map<string, string>;
}

/** One revision's statements, in order. */
export interface LintInput {
  statements: LintStatement[];
  /** False for `-- ferry:no-transaction` revisions. */
  transactional: boolean;
  /**
   * The statements ferry itself runs after the revision commits (ctx.ops' lock-light halves): it sets
   * their lock limits, and a SET NOT NULL there follows the CHECK it validated, so it skips the scan.
   */
  afterCommit?: boolean;
}

export type LintLevel = 'error' | 'warning';

/** What a rule is, for listings and documentation. */
export interface LintRule {
  id: string;
  level: LintLevel;
  /** The lock the statement takes on an existing table (PostgreSQL's mode name), or null when it is not about a lock. */
  lock: string | null;
  /** Why it matters. */
  why: string;
  /** The safe way to write it. */
  safe: string;
}

/** A rule a statement breaks. */
export interface LintHit {
  rule: LintRule;
  /** The statement's index in the input. */
  statement: number;
  /** The table it takes its lock on, when known. */
  table?: string;
}

/** Asynchronous, so an engine can load its rules on first use (driver modules load with every command). */
export interface MigrationLinter {
  rules(): Promise<readonly LintRule[]>;
  /** The rules each statement breaks (waived ones included: the caller says they were waived). */
  lint(input: LintInput): Promise<LintHit[]>;
  /** Row estimates and sizes of these tables, so findings on big tables rank first. */
  tableSizes?(engine: Engine, tables: string[]): Promise<Map<string, { rows: number; bytes: number }>>;
}

export interface LintRoles {
  migrationLinter: MigrationLinter;
}
