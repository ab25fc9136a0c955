import type { AfterCommitStep } from '../engine/revision-roles.js';
import type { Engine } from '../engine/types.js';
import { roleOf } from '../engines/registry.js';

/**
 * ferry's table of after-commit steps: a revision whose transaction committed but whose steps
 * (a VALIDATE, a concurrent index build, a backfill) are not all done yet. Its rows are written in
 * the revision's transaction, so they exist exactly when its DDL does; a backfill's cursor is
 * written in each batch's transaction, so a killed run resumes at the next batch, never redoing or
 * skipping one. The rows go in the transaction that records the revision as applied.
 */
export const STEPS_TABLE = 'ferry_steps';

/** One row of the steps table. */
export interface StoredStep {
  revision: string;
  direction: 'up' | 'down';
  position: number;
  step: AfterCommitStep;
  done: boolean;
  /** A backfill's last finished key (JSON array of the key's values), null before its first batch. */
  cursor: unknown[] | null;
  rowsDone: number;
  rowsTotal: number | null;
}

export class StepStore {
  private known = false;

  constructor(private readonly engine: Engine) {}

  private get table(): string {
    return this.engine.quoteIdent(STEPS_TABLE);
  }

  /** Whether the table exists: one catalog lookup, once per run. */
  async exists(): Promise<boolean> {
    if (this.known) return true;
    this.known = (await this.engine.query(roleOf(this.engine, 'versionTables').existsQuery(STEPS_TABLE))).length > 0;
    return this.known;
  }

  /** Every stored step, in order; empty when none is pending. */
  async all(): Promise<StoredStep[]> {
    if (!(await this.exists())) return [];
    const rows = await this.engine.query<Record<string, unknown>>(
      `SELECT revision, direction, position, step, done, cursor_keys, rows_done, rows_total FROM ${this.table} ORDER BY revision, direction, position`,
    );
    return rows.map((r) => ({
      revision: String(r.revision),
      direction: r.direction as 'up' | 'down',
      position: Number(r.position),
      step: JSON.parse(String(r.step)) as AfterCommitStep,
      done: Number(r.done) === 1,
      cursor: r.cursor_keys === null || r.cursor_keys === undefined ? null : (JSON.parse(String(r.cursor_keys)) as unknown[]),
      rowsDone: Number(r.rows_done),
      rowsTotal: r.rows_total === null || r.rows_total === undefined ? null : Number(r.rows_total),
    }));
  }

  /** Stores a revision's steps; call inside its transaction. */
  async save(revision: string, direction: 'up' | 'down', steps: AfterCommitStep[]): Promise<StoredStep[]> {
    const e = this.engine;
    await e.exec(
      `CREATE TABLE IF NOT EXISTS ${this.table} (revision TEXT NOT NULL, direction TEXT NOT NULL, position INTEGER NOT NULL, step TEXT NOT NULL, ` +
        `done INTEGER NOT NULL DEFAULT 0, cursor_keys TEXT, rows_done BIGINT NOT NULL DEFAULT 0, rows_total BIGINT, PRIMARY KEY (revision, direction, position))`,
    );
    this.known = true;
    const p = (n: number) => e.placeholder(n);
    for (const [position, step] of steps.entries())
      await e.query(`INSERT INTO ${this.table} (revision, direction, position, step) VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)})`, [
        revision,
        direction,
        position,
        JSON.stringify(step),
      ]);
    return steps.map((step, position) => ({ revision, direction, position, step, done: false, cursor: null, rowsDone: 0, rowsTotal: null }));
  }

  /** Marks a step done; inside the step's transaction when it has one. */
  async markDone(s: StoredStep): Promise<void> {
    await this.update(s, 'done = 1', []);
  }

  /** A backfill's progress (and, with its last batch, that it is done); inside the batch's transaction. */
  async saveCursor(s: StoredStep, cursor: unknown[], rowsDone: number, rowsTotal: number | null, done: boolean): Promise<void> {
    const p = (n: number) => this.engine.placeholder(n);
    await this.update(s, `cursor_keys = ${p(1)}, rows_done = ${p(2)}, rows_total = ${p(3)}, done = ${done ? 1 : 0}`, [
      // A bigint key (SQLite integers past 2^53) travels as text; both engines compare it as the key's type.
      JSON.stringify(cursor, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)),
      rowsDone,
      rowsTotal,
    ]);
  }

  /** Removes a finished revision's steps; inside the transaction that records it as applied. */
  async clear(revision: string, direction: 'up' | 'down'): Promise<void> {
    const p = (n: number) => this.engine.placeholder(n);
    await this.engine.query(`DELETE FROM ${this.table} WHERE revision = ${p(1)} AND direction = ${p(2)}`, [revision, direction]);
  }

  private async update(s: StoredStep, set: string, params: unknown[]): Promise<void> {
    const n = params.length;
    const p = (k: number) => this.engine.placeholder(n + k);
    await this.engine.query(`UPDATE ${this.table} SET ${set} WHERE revision = ${p(1)} AND direction = ${p(2)} AND position = ${p(3)}`, [
      ...params,
      s.revision,
      s.direction,
      s.position,
    ]);
  }
}
