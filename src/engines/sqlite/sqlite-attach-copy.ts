import type Database from 'better-sqlite3';
import type { ConflictPolicy } from '../../engine/consolidation-role.js';
import { FerryError } from '../../errors.js';
import { ChecksumAccumulator } from '../../values/checksum.js';
import { checksumCall } from './sqlite-checksum.js';
import { quoteSqliteIdent as q } from './sqlite-tokens.js';

/**
 * Copies rows between SQLite databases inside the engine: the source is ATTACHed to the target
 * connection and rows move with INSERT ... SELECT in rowid-range chunks, so no row passes through
 * JavaScript and memory does not depend on table size. Conflicts with rows already in the target
 * are found with set queries over the chunk, never with INSERT OR IGNORE (which would also hide
 * NOT NULL and CHECK failures).
 */

/** Tables ferry keeps inside a target while it is being built; dropped before the rename. */
export const PROGRESS_DDL = `
CREATE TABLE IF NOT EXISTS _ferry_meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS _ferry_progress (step TEXT PRIMARY KEY, last_rowid INTEGER, rows INTEGER NOT NULL DEFAULT 0, skipped INTEGER NOT NULL DEFAULT 0, replaced INTEGER NOT NULL DEFAULT 0, done INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS _ferry_rejects (id INTEGER PRIMARY KEY, target_table TEXT, source TEXT, source_table TEXT, action TEXT, key TEXT);
CREATE TABLE IF NOT EXISTS _ferry_removed (target_table TEXT PRIMARY KEY, digest TEXT);
`;
export const PROGRESS_TABLES = ['_ferry_meta', '_ferry_progress', '_ferry_rejects', '_ferry_removed'];

/** What one chunk copy is about. */
export interface ChunkCopySpec {
  /** Schema name the source is attached as (or 'temp' for rows staged from JS). */
  alias: string;
  sourceTable: string;
  targetTable: string;
  columns: string[];
  /** Expressions over the source row, one per column. */
  exprs: string[];
  /** Unique keys of the target table. */
  keys: string[][];
  /** Keys match NULL to NULL (a whole-row key of a table without one); unique keys never do. */
  nullSafeKeys?: boolean;
  policy: ConflictPolicy;
  /** Names written into reject records. */
  sourceName: string;
  sourceTableName: string;
  targetFile: string;
  /** Restrict to rowid in (lo, hi]; whole table when absent. */
  ranged: boolean;
  /** Key the target rows are addressed by when deleting ('rowid' or the WITHOUT ROWID primary key). */
  rowRef: string[];
  /** The source table has a rowid (not WITHOUT ROWID). */
  sourceHasRowid: boolean;
}

/** The statements of one conflict policy: find the colliding rows once, then act on them. */
interface ConflictStatements {
  find: Database.Statement;
  clear: Database.Statement;
  reject: Database.Statement;
  digest: Database.Statement;
  apply: Database.Statement;
}

/** Column name the source rowid is carried under inside a chunk's SELECT. */
const RID = '"_ferry_source_rowid"';

/** Rows a chunk wrote, skipped and replaced, and the checksum of rows taken out of the target. */
export interface ChunkResult {
  inserted: number;
  skipped: number;
  replaced: number;
  removed: ChecksumAccumulator;
}

/** Prepared statements for one piece, reused for every chunk. */
export class ChunkCopier {
  private readonly insert: Database.Statement;
  private readonly examples?: Database.Statement;
  private readonly skip?: ConflictStatements;
  private readonly replace?: ConflictStatements;
  private readonly spec: ChunkCopySpec;

  constructor(db: Database.Database, spec: ChunkCopySpec) {
    this.spec = spec;
    const cols = spec.columns.map(q).join(', ');
    // The source rowid rides along so conflicting rows can be remembered by it and the conflict
    // test runs once per row (a WITHOUT ROWID source has none: the test then runs twice).
    const rid = spec.sourceHasRowid ? `rowid AS ${RID}, ` : '';
    const srcSel = `SELECT ${rid}${spec.exprs.map((e, i) => `${e} AS ${q(spec.columns[i]!)}`).join(', ')} FROM ${q(spec.alias)}.${q(spec.sourceTable)}${spec.ranged ? ' WHERE rowid > @lo AND rowid <= @hi' : ''}`;
    const target = `main.${q(spec.targetTable)}`;
    const eq = spec.nullSafeKeys ? 'IS' : '=';
    const keyMatch = (k: string[]) => k.map((c) => `t.${q(c)} ${eq} s.${q(c)}`).join(' AND ');
    const conflict = spec.keys.length ? spec.keys.map((k) => `EXISTS (SELECT 1 FROM ${target} AS t WHERE ${keyMatch(k)})`).join(' OR ') : '0';
    const reportKey = spec.keys[0] ?? spec.columns;
    const keyJson = (alias: string) => `json_array(${reportKey.map((c) => jsonable(`${alias}.${q(c)}`)).join(', ')})`;
    const rejectInto = `INSERT INTO main._ferry_rejects (target_table, source, source_table, action, key) SELECT @tt, @src, @stab`;
    const sum = (alias: string) =>
      checksumCall(
        db,
        spec.columns.map((c) => `${alias}.${q(c)}`),
      );
    this.insert = db.prepare(`INSERT INTO ${target} (${cols}) SELECT ${cols} FROM (${srcSel})`);
    if (spec.keys.length) this.examples = db.prepare(`SELECT ${keyJson('s')} FROM (${srcSel}) AS s WHERE ${conflict} LIMIT 5`).pluck();
    if (spec.keys.length && spec.policy === 'skip') {
      // Which source rows collide: remembered by rowid when there is one.
      const hit = spec.sourceHasRowid ? `s.${RID} IN (SELECT id FROM temp._ferry_hits)` : `(${conflict})`;
      db.exec(`CREATE TEMP TABLE IF NOT EXISTS _ferry_hits (id INTEGER PRIMARY KEY)`);
      this.skip = {
        find: spec.sourceHasRowid
          ? db.prepare(`INSERT INTO temp._ferry_hits (id) SELECT s.${RID} FROM (${srcSel}) AS s WHERE ${conflict}`)
          : db.prepare(`SELECT count(*) FROM (${srcSel}) AS s WHERE ${conflict}`).pluck(),
        clear: db.prepare(`DELETE FROM temp._ferry_hits`),
        reject: db.prepare(`${rejectInto}, 'skipped', ${keyJson('s')} FROM (${srcSel}) AS s WHERE ${hit}`),
        digest: db.prepare(`SELECT ${sum('s')} FROM (${srcSel}) AS s WHERE ${hit}`).pluck(),
        apply: db.prepare(`INSERT INTO ${target} (${cols}) SELECT ${cols} FROM (${srcSel}) AS s WHERE NOT (${hit})`),
      };
    }
    if (spec.keys.length && spec.policy === 'replace') {
      // The target rows about to be replaced, found once (by rowid, or the WITHOUT ROWID key).
      const ref = spec.rowRef.map((c) => `t.${q(c)}`);
      const vcols = spec.rowRef.map((_, i) => `v${i}`);
      const own = spec.rowRef.map(q);
      const tuple = (xs: string[]) => (xs.length === 1 ? xs[0]! : `(${xs.join(', ')})`);
      const victims = `SELECT ${vcols.join(', ')} FROM temp._ferry_victims`;
      db.exec(`DROP TABLE IF EXISTS temp._ferry_victims; CREATE TEMP TABLE _ferry_victims (${vcols.join(', ')})`);
      this.replace = {
        find: db.prepare(
          `INSERT INTO temp._ferry_victims SELECT * FROM (${spec.keys.map((k) => `SELECT ${ref.join(', ')} FROM (${srcSel}) AS s JOIN ${target} AS t ON ${keyMatch(k)}`).join(' UNION ')})`,
        ),
        clear: db.prepare(`DELETE FROM temp._ferry_victims`),
        reject: db.prepare(`${rejectInto}, 'replaced', ${keyJson('t')} FROM ${target} AS t WHERE ${tuple(ref)} IN (${victims})`),
        digest: db.prepare(`SELECT ${sum('t')} FROM ${target} AS t WHERE ${tuple(ref)} IN (${victims})`).pluck(),
        apply: db.prepare(`DELETE FROM ${target} WHERE ${tuple(own)} IN (${victims})`),
      };
    }
  }

  /** Copies one chunk (rowid in (lo, hi]) under the piece's conflict policy. Call inside a transaction. */
  copy(lo: bigint, hi: bigint): ChunkResult {
    const range = this.spec.ranged ? { lo, hi } : {};
    const names = { tt: this.spec.targetTable, src: this.spec.sourceName, stab: this.spec.sourceTableName };
    const removed = new ChecksumAccumulator();
    if (this.skip) {
      const s = this.skip;
      s.clear.run();
      const found = this.spec.sourceHasRowid ? s.find.run(range).changes : Number(s.find.get(range) as bigint);
      // The common case, no collision in this chunk, is a plain INSERT ... SELECT.
      if (found === 0) return { inserted: this.insert.run(range).changes, skipped: 0, replaced: 0, removed };
      const skipped = s.reject.run({ ...range, ...names }).changes;
      removed.merge(ChecksumAccumulator.fromDigest(s.digest.get(range) as string));
      return { inserted: s.apply.run(range).changes, skipped, replaced: 0, removed };
    }
    if (this.replace) {
      const r = this.replace;
      r.clear.run();
      let replaced = 0;
      if (r.find.run(range).changes > 0) {
        replaced = r.reject.run({ ...range, ...names }).changes;
        removed.merge(ChecksumAccumulator.fromDigest(r.digest.get(range) as string));
        r.apply.run(range);
      }
      return { inserted: this.insert.run(range).changes, skipped: 0, replaced, removed };
    }
    try {
      return { inserted: this.insert.run(range).changes, skipped: 0, replaced: 0, removed };
    } catch (e) {
      const code = (e as { code?: string }).code ?? '';
      if ((code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE') && this.examples) {
        const keys = this.examples.all(range) as string[];
        throw new FerryError(
          'CONFLICT',
          `Rows of ${this.spec.sourceName}:${this.spec.sourceTableName} collide with rows already in ${this.spec.targetFile}:${this.spec.targetTable}${keys.length ? ` (keys ${keys.join(', ')})` : ''}. Nothing of this table's chunk was written.`,
          {
            subject: `${this.spec.targetFile}:${this.spec.targetTable}`,
            hint: `Set "onConflict": "skip" (rejects listed in a file) or "replace" for table ${this.spec.sourceTableName} of ${this.spec.sourceName}, or fix the data; then run again.`,
            data: { keys },
            cause: e,
          },
        );
      }
      throw e;
    }
  }
}

/** A value as it can stand in a JSON key record (blobs become x'..' text). */
function jsonable(expr: string): string {
  return `CASE typeof(${expr}) WHEN 'blob' THEN 'x''' || hex(${expr}) || '''' ELSE ${expr} END`;
}

/** Smallest and largest rowid and the row count of an attached table. */
export function rowidSpan(db: Database.Database, alias: string, table: string): { min: bigint; max: bigint; count: bigint } {
  const r = db
    .prepare(`SELECT min(rowid) AS min, max(rowid) AS max, count(*) AS count FROM ${q(alias)}.${q(table)}`)
    .safeIntegers(true)
    .get() as { min: bigint | null; max: bigint | null; count: bigint };
  return { min: r.min ?? 0n, max: r.max ?? 0n, count: r.count };
}
