import type { Engine } from '../engine/types.js';
import type { Value } from '../values/value.js';
import type { PlanWarning } from '../engine/table-plan.js';

/** ferry's progress table in the target of a copy; excluded from plans, verify and emptiness checks. */
export const STATE_TABLE = '_ferry_copy_state';

/** The row of the state table that describes the run itself rather than one table. */
const RUN_ROW = '';

/**
 * Where one table of a copy stands. Phases advance in this order; each advance is committed in the
 * same transaction as the work it records, so a killed run resumes exactly where it stopped:
 * - `created`: the table exists, no rows committed yet;
 * - `loading`: rows up to `lastKey` are committed;
 * - `loaded`: every row is in;
 * - `keys:<n>`: the first n post-load steps of the table (keys, indexes, checks, sequence) are done;
 * - `links:<n>`: the first n foreign-key steps are done (they run after every table has its keys);
 * - `done`.
 */
export interface TableState {
  table: string;
  phase: string;
  /** Key of the last committed row, as JSON (rowid or primary-key values). */
  lastKey: Value[] | null;
  rowsCopied: number;
  rejects: number;
  /** Checksum digest of the rejected rows' normalised source values, so verify can account for them. */
  rejectedDigest: string | null;
  warnings: PlanWarning[];
  /** The table existed before the copy (--data-only, --if-exists truncate|append): its keys are its own. */
  existing: boolean;
}

/** A positional parameter in the engine's own spelling (`$1` or `?`). */
function param(engine: Engine, n: number): string {
  // Engines with plain `?` take them in order; every statement here uses each parameter once, in order.
  return engine.placeholder(n);
}

/** JSON that survives bigint and blob keys (bigints as {"$int": "..."}, blobs as {"$hex": "..."}). */
export function encodeKey(key: Value[] | null): string | null {
  if (key === null) return null;
  return JSON.stringify(
    key.map((v) => (typeof v === 'bigint' ? { $int: v.toString() } : v instanceof Uint8Array ? { $hex: Buffer.from(v).toString('hex') } : v)),
  );
}

/** The inverse of encodeKey. */
export function decodeKey(text: string | null): Value[] | null {
  if (text === null || text === undefined) return null;
  return (JSON.parse(text) as unknown[]).map((v) => {
    if (v && typeof v === 'object' && '$int' in v) return BigInt((v as { $int: string }).$int);
    if (v && typeof v === 'object' && '$hex' in v) return Buffer.from((v as { $hex: string }).$hex, 'hex');
    return v as Value;
  });
}

/** Reads and writes the state table through the plain Engine interface (both engines). */
export class CopyState {
  constructor(private readonly engine: Engine) {}

  /** True when the target holds the state table of an unfinished copy. */
  async exists(): Promise<boolean> {
    const schema = await this.engine.introspect();
    return schema.tables.some((t) => t.name === STATE_TABLE);
  }

  /** Creates the state table and one row per table; run inside the schema transaction. */
  async create(source: string, tables: string[], existing: ReadonlySet<string> = new Set(), rejectFile?: string): Promise<void> {
    const e = this.engine;
    await e.exec(
      `CREATE TABLE ${e.quoteIdent(STATE_TABLE)} (table_name TEXT PRIMARY KEY, phase TEXT NOT NULL, last_key TEXT, ` +
        `rows_copied BIGINT NOT NULL DEFAULT 0, rejects BIGINT NOT NULL DEFAULT 0, rejected_digest TEXT, warnings TEXT, existing INTEGER NOT NULL DEFAULT 0, updated_at TEXT)`,
    );
    await this.insert(RUN_ROW, source, false);
    // The run's reject file, so a resumed run appends to the same one.
    if (rejectFile) await e.query(`UPDATE ${e.quoteIdent(STATE_TABLE)} SET last_key = ${param(e, 1)} WHERE table_name = ${param(e, 2)}`, [rejectFile, RUN_ROW]);
    for (const t of tables) await this.insert(t, 'created', existing.has(t));
  }

  /** The reject file the copy was started with, if recorded. */
  async rejectFile(): Promise<string | null> {
    const rows = await this.engine.query<{ f: string | null }>(
      `SELECT last_key AS f FROM ${this.engine.quoteIdent(STATE_TABLE)} WHERE table_name = ${param(this.engine, 1)}`,
      [RUN_ROW],
    );
    return rows[0]?.f ?? null;
  }

  /** The source the partial copy came from, as recorded when it started. */
  async source(): Promise<string | null> {
    const rows = await this.engine.query<{ phase: string }>(
      `SELECT phase FROM ${this.engine.quoteIdent(STATE_TABLE)} WHERE table_name = ${param(this.engine, 1)}`,
      [RUN_ROW],
    );
    return rows[0]?.phase ?? null;
  }

  /** Every table's state, by table name. */
  async load(): Promise<Map<string, TableState>> {
    const rows = await this.engine.query<Record<string, unknown>>(
      `SELECT table_name, phase, last_key, rows_copied, rejects, rejected_digest, warnings, existing FROM ${this.engine.quoteIdent(STATE_TABLE)} WHERE table_name <> ${param(this.engine, 1)}`,
      [RUN_ROW],
    );
    const out = new Map<string, TableState>();
    for (const r of rows) {
      const table = String(r.table_name);
      out.set(table, {
        table,
        phase: String(r.phase),
        lastKey: decodeKey((r.last_key as string | null) ?? null),
        rowsCopied: Number(r.rows_copied),
        rejects: Number(r.rejects),
        rejectedDigest: (r.rejected_digest as string | null) ?? null,
        warnings: r.warnings ? (JSON.parse(String(r.warnings)) as PlanWarning[]) : [],
        existing: Number(r.existing) === 1,
      });
    }
    return out;
  }

  /** Records a table's state; call inside the transaction that did the work it describes. */
  async save(s: TableState): Promise<void> {
    const e = this.engine;
    const p = (n: number) => param(e, n);
    await e.query(
      `UPDATE ${e.quoteIdent(STATE_TABLE)} SET phase = ${p(1)}, last_key = ${p(2)}, rows_copied = ${p(3)}, rejects = ${p(4)}, ` +
        `rejected_digest = ${p(5)}, warnings = ${p(6)}, updated_at = ${p(7)} WHERE table_name = ${p(8)}`,
      [
        s.phase,
        encodeKey(s.lastKey),
        s.rowsCopied,
        s.rejects,
        s.rejectedDigest,
        s.warnings.length ? JSON.stringify(s.warnings) : null,
        new Date().toISOString(),
        s.table,
      ],
    );
  }

  /** Removes the state table once the copy is complete. */
  async drop(): Promise<void> {
    await this.engine.exec(`DROP TABLE IF EXISTS ${this.engine.quoteIdent(STATE_TABLE)}`);
  }

  private async insert(table: string, phase: string, existing: boolean): Promise<void> {
    const e = this.engine;
    await e.query(
      `INSERT INTO ${e.quoteIdent(STATE_TABLE)} (table_name, phase, existing, updated_at) VALUES (${param(e, 1)}, ${param(e, 2)}, ${param(e, 3)}, ${param(e, 4)})`,
      [table, phase, existing ? 1 : 0, new Date().toISOString()],
    );
  }
}
