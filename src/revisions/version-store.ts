import os from 'node:os';
import type { Engine } from '../engine/types.js';
import { roleOf } from '../engines/registry.js';

/** The applied heads of the database (one row per head, as alembic_version). */
export const VERSION_TABLE = 'ferry_version';
/** Every upgrade and downgrade ever run, in order. */
export const HISTORY_TABLE = 'ferry_history';

/** One row of ferry_history. */
export interface HistoryEntry {
  seq: number;
  revision: string;
  /** `lock-wait`: an attempt that timed out waiting for a lock and was rolled back (its duration is the wait). */
  direction: 'up' | 'down' | 'stamp' | 'lock-wait';
  checksum: string | null;
  appliedAt: string;
  durationMs: number;
  appliedBy: string;
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
    this.known = (await e.query(roleOf(e, 'versionTables').existsQuery(VERSION_TABLE))).length > 0;
    return this.known;
  }

  /** Creates both tables when missing; call under the run lock so two processes do not race. */
  async ensure(): Promise<void> {
    if (await this.exists()) return;
    const e = this.engine;
    // The key type and table options are the engine's (SQLite: a rowid key and a version table
    // WITHOUT ROWID, fewer pages to journal per revision); the columns are the same everywhere.
    const sql = roleOf(e, 'versionTables');
    const options = sql.versionTableOptions ? ` ${sql.versionTableOptions}` : '';
    await e.exec(`CREATE TABLE IF NOT EXISTS ${e.quoteIdent(VERSION_TABLE)} (revision TEXT PRIMARY KEY)${options}`);
    await e.exec(
      `CREATE TABLE IF NOT EXISTS ${e.quoteIdent(HISTORY_TABLE)} (seq ${sql.historyKeyType} PRIMARY KEY, revision TEXT NOT NULL, direction TEXT NOT NULL, ` +
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
    for (const h of [...heads].sort()) await e.query(`INSERT INTO ${e.quoteIdent(VERSION_TABLE)} (revision) VALUES (${e.placeholder(1)})`, [h]);
  }

  /** Appends a history row; call inside the transaction that applied the change. */
  async record(revision: string, direction: HistoryEntry['direction'], checksum: string | null, durationMs: number): Promise<void> {
    const e = this.engine;
    const t = e.quoteIdent(HISTORY_TABLE);
    const [row] = await e.query<{ n: string | number | bigint | null }>(`SELECT max(seq) AS n FROM ${t}`);
    const seq = Number(row?.n ?? 0) + 1;
    await e.query(
      `INSERT INTO ${t} (seq, revision, direction, checksum, applied_at, duration_ms, applied_by) VALUES (${[1, 2, 3, 4, 5, 6, 7].map((n) => e.placeholder(n)).join(', ')})`,
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

  /**
   * The statements of recordStep, for callers that send them together with others. `duration` is
   * the milliseconds the step took, or (batched steps, timed on the server) its history seq and
   * SQL expressions for its end and duration.
   */
  recordStepSql(heads: string[], revision: string, direction: HistoryEntry['direction'], checksum: string | null, duration: number | ServerTimedStep): string {
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
      statements.push(
        `INSERT INTO ${h} (seq, revision, direction, checksum, applied_at, duration_ms, applied_by) ` +
          `VALUES (${duration.seq}, ${fixed}, ${duration.appliedAt}, ${duration.durationMs}, ${lit(appliedBy())})`,
      );
    }
    return statements.join(';\n');
  }

  /** An SQL expression of the applied_at text of history row `seq` (a batched step's start is its predecessor's end). */
  appliedAtSql(seq: number): string {
    return `(SELECT applied_at FROM ${this.engine.quoteIdent(HISTORY_TABLE)} WHERE seq = ${seq})`;
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

/** A step recorded inside a batch, timed on the server: its history seq, and SQL expressions for its end (ISO text) and duration (ms). */
export interface ServerTimedStep {
  seq: number;
  appliedAt: string;
  durationMs: string;
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
