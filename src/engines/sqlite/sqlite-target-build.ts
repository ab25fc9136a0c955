import fs from 'node:fs';
import Database from 'better-sqlite3';
import type {
  BuildSummary,
  ConsolidationIndex,
  ConsolidationPiece,
  ConsolidationTable,
  PartialBuildState,
  PieceCopyOptions,
  RejectRecord,
  SequenceSource,
  TargetBuild,
} from '../../engine/consolidation-role.js';
import { FerryError } from '../../errors.js';
import { PROGRESS_DDL, PROGRESS_TABLES } from './sqlite-attach-copy.js';
import { copyPiece, copyStepId } from './sqlite-piece-copy.js';
import { quoteSqliteIdent as q } from './sqlite-tokens.js';

/**
 * A SQLite target file being built from pieces. ferry's progress tables live inside the file and
 * are written in the same transactions as the rows, so a killed run resumes chunk by chunk
 * without duplicating a row; they are dropped when the build is sealed.
 */
export class SqliteTargetBuild implements TargetBuild {
  private readonly db: Database.Database;

  constructor(file: string, busyTimeoutMs = 5000) {
    this.db = new Database(file, { timeout: busyTimeoutMs });
    this.db.defaultSafeIntegers(true);
  }

  async start(fresh: { fingerprint: string; targetFile: string; tables: ConsolidationTable[] } | null): Promise<void> {
    const db = this.db;
    // A rollback journal, not WAL: pages of a growing file are written once (WAL writes each page
    // twice), and a killed run's open transaction is rolled back from the journal on reopen.
    db.pragma('journal_mode = TRUNCATE');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = OFF');
    db.pragma('cache_size = -16384');
    if (!fresh) return;
    db.transaction(() => {
      db.exec(PROGRESS_DDL);
      db.prepare(`INSERT INTO _ferry_meta (key, value) VALUES ('fingerprint', ?)`).run(fresh.fingerprint);
      for (const t of fresh.tables) run(db, t.createSql, `creating table ${t.name} in ${fresh.targetFile}`);
    })();
  }

  async createIndexes(stepId: string, indexes: ConsolidationIndex[], where: string): Promise<void> {
    this.step(stepId, () => indexes.forEach((i) => run(this.db, i.sql, `creating index ${i.name} on ${where}`)));
  }

  async copyPiece(table: ConsolidationTable, piece: ConsolidationPiece, options: PieceCopyOptions): Promise<void> {
    copyPiece(this.db, table, piece, options);
  }

  async finishObjects(postSql: { name: string; sql: string }[], sequences: SequenceSource[]): Promise<string[]> {
    const failures: string[] = [];
    this.step('post', () => {
      for (const p of postSql) {
        try {
          this.db.exec(`SAVEPOINT post; ${p.sql}; RELEASE post`);
        } catch (e) {
          this.db.exec('ROLLBACK TO post; RELEASE post');
          failures.push(`${p.name}: ${(e as Error).message}`);
        }
      }
      for (const s of sequences) carrySequence(this.db, s);
    });
    return failures;
  }

  async summary(tables: ConsolidationTable[]): Promise<BuildSummary> {
    const db = this.db;
    const counts = db.prepare(`SELECT rows, skipped, replaced FROM _ferry_progress WHERE step = ?`);
    const removed = db.prepare(`SELECT digest FROM _ferry_removed WHERE target_table = ?`).pluck();
    const out: BuildSummary['tables'] = tables.map((t) => {
      const pieces = t.pieces.map((p) => {
        const r = counts.get(copyStepId(t, p)) as { rows: bigint; skipped: bigint; replaced: bigint };
        return { inserted: Number(r.rows), skipped: Number(r.skipped), replaced: Number(r.replaced) };
      });
      const digest = removed.get(t.name) as string | undefined;
      const rows = Number(
        db
          .prepare(`SELECT count(*) FROM ${q(t.name)}`)
          .pluck()
          .get() as bigint,
      );
      return { rows, removedDigest: digest ?? null, pieces };
    });
    const fk = db.prepare(`PRAGMA foreign_key_check`).all() as { table: string }[];
    const fkCounts = new Map<string, number>();
    for (const r of fk) fkCounts.set(r.table, (fkCounts.get(r.table) ?? 0) + 1);
    return { tables: out, foreignKeyProblems: [...fkCounts].map(([table, count]) => ({ table, count })) };
  }

  async rejects(): Promise<RejectRecord[]> {
    const rows = this.db.prepare(`SELECT target_table, source, source_table, action, key FROM _ferry_rejects ORDER BY id`).all() as {
      target_table: string;
      source: string;
      source_table: string;
      action: RejectRecord['action'];
      key: string;
    }[];
    return rows.map((r) => ({ table: r.target_table, source: r.source, sourceTable: r.source_table, action: r.action, key: JSON.parse(r.key) as unknown }));
  }

  async seal(options: { wal: boolean }): Promise<void> {
    const db = this.db;
    db.transaction(() => {
      for (const t of PROGRESS_TABLES) db.exec(`DROP TABLE ${t}`);
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.pragma('journal_mode = DELETE');
    if (options.wal) db.pragma('journal_mode = WAL');
    db.close();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  /** Runs a one-off step once: its effect and its "done" mark commit together. */
  private step(id: string, fn: () => void): void {
    const db = this.db;
    const done = db.prepare(`SELECT done FROM _ferry_progress WHERE step = ?`).pluck().get(id);
    if (done === 1n) return;
    db.transaction(() => {
      fn();
      db.prepare(`INSERT OR REPLACE INTO _ferry_progress (step, done) VALUES (?, 1)`).run(id);
    })();
  }
}

function run(db: Database.Database, sql: string, doing: string): void {
  try {
    db.exec(sql);
  } catch (e) {
    throw new FerryError('QUERY', `Failed ${doing}: ${(e as Error).message}`, { subject: sql.slice(0, 200), cause: e });
  }
}

/** An AUTOINCREMENT table keeps the highest id its sources ever issued, so ids are not reused. */
function carrySequence(db: Database.Database, sequence: SequenceSource): void {
  let max = 0n;
  for (const source of sequence.sources) {
    const src = new Database(source.file, { readonly: true });
    try {
      const has = src.prepare(`SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_sequence'`).get();
      const seq = has
        ? (src.prepare(`SELECT seq FROM sqlite_sequence WHERE name = ?`).safeIntegers(true).pluck().get(source.table) as bigint | undefined)
        : undefined;
      if (seq !== undefined && seq > max) max = seq;
    } finally {
      src.close();
    }
  }
  const cur = db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = ?`).pluck().get(sequence.table) as bigint | undefined;
  if (cur === undefined) db.prepare(`INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)`).run(sequence.table, max);
  else if (max > cur) db.prepare(`UPDATE sqlite_sequence SET seq = ? WHERE name = ?`).run(max, sequence.table);
}

/** Decides what an existing temporary file means: resumable, finished-but-not-renamed, or stale. */
export function partialBuildState(file: string, fingerprint: string): PartialBuildState {
  if (!fs.existsSync(file)) return 'discard';
  try {
    const db = new Database(file);
    try {
      const tables = db.prepare(`SELECT name FROM sqlite_schema WHERE type='table'`).pluck().all() as string[];
      if (!tables.includes('_ferry_meta')) return tables.length > 0 ? 'finalized' : 'discard';
      const fp = db.prepare(`SELECT value FROM _ferry_meta WHERE key='fingerprint'`).pluck().get();
      return fp === fingerprint ? 'resume' : 'discard';
    } finally {
      db.close();
    }
  } catch {
    return 'discard';
  }
}
