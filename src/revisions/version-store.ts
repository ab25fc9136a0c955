import os from 'node:os';
import type { Engine } from '../engine/types.js';

/** The applied heads of the database (one row per head, as alembic_version). */
export const VERSION_TABLE = 'ferry_version';
/** Every upgrade and downgrade ever run, in order. */
export const HISTORY_TABLE = 'ferry_history';

/** One row of ferry_history. */
export interface HistoryEntry {
  seq: number;
  revision: string;
  direction: 'up' | 'down' | 'stamp';
  checksum: string | null;
  appliedAt: string;
  durationMs: number;
  appliedBy: string;
}

/** A positional parameter in the engine's own spelling (SQLite takes plain `?` in order). */
function p(engine: Engine, n: number): string {
  return engine.dialect === 'postgres' ? `$${n}` : '?';
}

/**
 * ferry's two tables in a versioned database, through the plain Engine interface. What to run is
 * decided from the revision graph and the heads stored here, never from timestamps or file order.
 */
export class VersionStore {
  constructor(private readonly engine: Engine) {}

  private known = false;

  /**
   * Whether the version table exists (a database ferry never touched has none). One catalog
   * lookup: this runs for every command, so it must not introspect the whole schema.
   */
  async exists(): Promise<boolean> {
    if (this.known) return true;
    const e = this.engine;
    const sql =
      e.dialect === 'postgres'
        ? `SELECT 1 AS found FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = '${VERSION_TABLE}'`
        : `SELECT 1 AS found FROM sqlite_schema WHERE type = 'table' AND name = '${VERSION_TABLE}'`;
    this.known = (await e.query(sql)).length > 0;
    return this.known;
  }

  /** Creates both tables when missing; call under the run lock so two processes do not race. */
  async ensure(): Promise<void> {
    if (await this.exists()) return;
    const e = this.engine;
    // On SQLite every revision is a commit with its fsyncs, and each b-tree a commit touches is
    // more pages to journal: the history's key is the rowid (INTEGER PRIMARY KEY) and the version
    // table is its own index (WITHOUT ROWID), two pages fewer per revision (500 revisions: about
    // 15 ms of SQLite time). PostgreSQL's tables are the same with a bigint key.
    const sqlite = e.dialect === 'sqlite';
    await e.exec(`CREATE TABLE IF NOT EXISTS ${e.quoteIdent(VERSION_TABLE)} (revision TEXT PRIMARY KEY)${sqlite ? ' WITHOUT ROWID' : ''}`);
    await e.exec(
      `CREATE TABLE IF NOT EXISTS ${e.quoteIdent(HISTORY_TABLE)} (seq ${sqlite ? 'INTEGER' : 'BIGINT'} PRIMARY KEY, revision TEXT NOT NULL, direction TEXT NOT NULL, ` +
        `checksum TEXT, applied_at TEXT NOT NULL, duration_ms BIGINT NOT NULL, applied_by TEXT NOT NULL)`,
    );
    this.known = true;
  }

  /** The stored heads; empty for a database at base or never versioned. */
  async heads(): Promise<string[]> {
    if (!(await this.exists())) return [];
    const rows = await this.engine.query<{ revision: string }>(`SELECT revision FROM ${this.engine.quoteIdent(VERSION_TABLE)} ORDER BY revision`);
    return rows.map((r) => r.revision);
  }

  /** Replaces the stored heads; call inside the transaction that applied the change. */
  async setHeads(heads: string[]): Promise<void> {
    const e = this.engine;
    await e.exec(`DELETE FROM ${e.quoteIdent(VERSION_TABLE)}`);
    for (const h of [...heads].sort()) await e.query(`INSERT INTO ${e.quoteIdent(VERSION_TABLE)} (revision) VALUES (${p(e, 1)})`, [h]);
  }

  /** Appends a history row; call inside the transaction that applied the change. */
  async record(revision: string, direction: HistoryEntry['direction'], checksum: string | null, durationMs: number): Promise<void> {
    const e = this.engine;
    const t = e.quoteIdent(HISTORY_TABLE);
    const [row] = await e.query<{ n: string | number | bigint | null }>(`SELECT max(seq) AS n FROM ${t}`);
    const seq = Number(row?.n ?? 0) + 1;
    await e.query(
      `INSERT INTO ${t} (seq, revision, direction, checksum, applied_at, duration_ms, applied_by) VALUES (${[1, 2, 3, 4, 5, 6, 7].map((n) => p(e, n)).join(', ')})`,
      [seq, revision, direction, checksum, new Date().toISOString(), Math.round(durationMs), appliedBy()],
    );
  }

  /**
   * Records one applied (or reverted) revision: the new heads and a history row, in one round
   * trip. Call inside the transaction that ran the revision. Values are literals (ids are
   * [0-9a-z_], the rest is quoted), so it runs as one multi-statement text on both engines.
   */
  async recordStep(heads: string[], revision: string, direction: HistoryEntry['direction'], checksum: string | null, durationMs: number): Promise<void> {
    await this.engine.exec(this.recordStepSql(heads, revision, direction, checksum, durationMs));
  }

  /** The statements of recordStep, for callers that send them together with others. */
  recordStepSql(heads: string[], revision: string, direction: HistoryEntry['direction'], checksum: string | null, duration: number | BatchedStep): string {
    const e = this.engine;
    const v = e.quoteIdent(VERSION_TABLE);
    const h = e.quoteIdent(HISTORY_TABLE);
    const statements = [`DELETE FROM ${v}`];
    if (heads.length)
      statements.push(
        `INSERT INTO ${v} (revision) VALUES ${[...heads]
          .sort()
          .map((x) => `(${lit(x)})`)
          .join(', ')}`,
      );
    const fixed = `${lit(revision)}, ${lit(direction)}, ${lit(checksum)}`;
    if (typeof duration === 'number') {
      statements.push(
        `INSERT INTO ${h} (seq, revision, direction, checksum, applied_at, duration_ms, applied_by) ` +
          `SELECT coalesce(max(seq), 0) + 1, ${fixed}, ${lit(new Date().toISOString())}, ${Math.round(duration)}, ${lit(appliedBy())} FROM ${h}`,
      );
    } else {
      // A batched revision's times are the server's: its end is clock_timestamp(), its start the
      // end recorded by the revision before it in the batch (or the batch's arrival).
      const now = `clock_timestamp() AT TIME ZONE 'UTC'`;
      const start =
        duration.seq > duration.firstSeq
          ? `(SELECT applied_at::timestamp FROM ${h} WHERE seq = ${duration.seq - 1})`
          : `statement_timestamp() AT TIME ZONE 'UTC'`;
      statements.push(
        `INSERT INTO ${h} (seq, revision, direction, checksum, applied_at, duration_ms, applied_by) ` +
          `VALUES (${duration.seq}, ${fixed}, to_char(${now}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), ` +
          `(extract(epoch from ${now} - ${start}) * 1000)::bigint, ${lit(appliedBy())})`,
      );
    }
    return statements.join(';\n');
  }

  /** The history's next sequence number (read once under the run lock by batched runs). */
  async nextSeq(): Promise<number> {
    const [row] = await this.engine.query<{ n: string | number | bigint | null }>(`SELECT max(seq) AS n FROM ${this.engine.quoteIdent(HISTORY_TABLE)}`);
    return Number(row?.n ?? 0) + 1;
  }

  /** The whole history, oldest first; empty when never versioned. */
  async history(): Promise<HistoryEntry[]> {
    if (!(await this.exists())) return [];
    const rows = await this.engine.query<Record<string, unknown>>(
      `SELECT seq, revision, direction, checksum, applied_at, duration_ms, applied_by FROM ${this.engine.quoteIdent(HISTORY_TABLE)} ORDER BY seq`,
    );
    return rows.map((r) => ({
      seq: Number(r.seq),
      revision: String(r.revision),
      direction: r.direction as HistoryEntry['direction'],
      checksum: (r.checksum as string | null) ?? null,
      appliedAt: String(r.applied_at),
      durationMs: Number(r.duration_ms),
      appliedBy: String(r.applied_by),
    }));
  }
}

/** A revision recorded inside a PostgreSQL batch: its history seq, and the batch's first one. */
export interface BatchedStep {
  seq: number;
  firstSeq: number;
}

function lit(s: string | null): string {
  return s === null ? 'NULL' : `'${s.replace(/'/g, "''")}'`;
}

let who: string | undefined;
/** `user@host` for the history's applied_by, asked of the system once per process. */
function appliedBy(): string {
  who ??= `${os.userInfo().username}@${os.hostname()}`;
  return who;
}
