import type { CopyConfig } from '../config/types.js';
import type { Engine } from '../engine/types.js';
import { PostgresDigestPool } from '../engines/postgres/postgres-digest-pool.js';
import type { PostgresEngine } from '../engines/postgres/postgres-engine.js';
import { SqliteDigestWorker } from '../engines/sqlite/sqlite-digest-pool.js';
import { digestSqliteTable } from '../engines/sqlite/sqlite-digest.js';
import type { SqliteEngine } from '../engines/sqlite/sqlite-engine.js';
import { FerryError } from '../errors.js';
import { mapLimit } from '../util/map-limit.js';
import type { Schema } from '../schema/model.js';
import { ChecksumAccumulator } from '../values/checksum.js';
import { postgresColumnType } from '../engines/postgres/postgres-type-mapper.js';
import { ORIGIN_TABLE, readOrigin, type ColumnOrigin, type RecordedOrigin } from './copy-origin.js';
import { STATE_TABLE, type TableState } from './copy-state.js';
import type { CopyPlan } from './copy-types.js';
import type { LogicalType } from '../values/column-type.js';
import { findDifferences, type RowDifference } from './find-differences.js';
import { compareMeaning, type MeaningPair, type SchemaDifference } from './verify-meaning.js';

/** One table compared: both sides' counts and checksums, and the first differing rows if asked. */
export interface TableVerifyResult {
  table: string;
  target: string;
  sourceRows: number;
  targetRows: number;
  sourceDigest: string;
  targetDigest: string;
  ok: boolean;
  /** Rows the copy refused (listed in its reject file), taken out of the source side. */
  rejected?: number;
  /** Why the table could not be compared (missing on the target, columns missing). */
  problem?: string;
  differences?: RowDifference[];
}

/** The outcome of `ferry verify` (and of the verify step at the end of `ferry copy`). */
export interface VerifyReport {
  ok: boolean;
  from: { dialect: string; displayUrl: string };
  to: { dialect: string; displayUrl: string };
  tables: TableVerifyResult[];
  /** How the two schemas differ in meaning; a 'behaviour' difference makes `ok` false. */
  schema: SchemaDifference[];
  ms: number;
}

/** A table on both sides with its columns paired and the logical type they are compared as. */
export interface TablePair {
  source: string;
  target: string;
  sourceColumns: string[];
  targetColumns: string[];
  /** null: compared as stored, exactly (SQLite on both sides). */
  logicals: (LogicalType | null)[];
  /** How the SQLite side's values are read (Unix-time units, zone-less date-times as UTC). */
  reading: ({ epoch?: 'seconds' | 'milliseconds'; zonelessUtc?: boolean } | undefined)[];
  /** Declared column types on each side (PostgreSQL's pick the binary fast path of its digest). */
  sourceTypes: string[];
  targetTypes: string[];
  /** Source columns whose type was the user's or the app's choice (configured, or an existing target column). */
  configured?: string[];
  /** Primary key, as source and target column names, for --detailed. */
  sourceKey: string[];
  targetKey: string[];
  problem?: string;
}

export interface VerifyDatabasesOptions {
  from: Engine;
  to: Engine;
  /** The copy's plan: pairs tables and columns exactly as the copy did. */
  plan?: CopyPlan;
  /** Standalone verify: only these source tables. */
  include?: string[];
  /** Standalone verify: renames from the config's copy section. */
  config?: CopyConfig;
  /** Rejected rows per target table (from the copy's state): taken out of the source's checksum. */
  rejected?: Map<string, TableState>;
  /** Show up to this many differing rows per differing table (0: none). */
  detailed?: number;
  /** Worker threads hashing PostgreSQL tables (default 2; the verify inside a copy uses 1 to keep its memory down). */
  pgThreads?: number;
}

/**
 * Compares every table of `from` with its counterpart in `to` by row count and an order-independent
 * checksum of values normalised to one logical type per column, so SQLite and PostgreSQL (either
 * way, or the same engine on both sides) give equal digests exactly when they hold the same values.
 * The SQLite side is read on a worker thread while the main thread reads the other side.
 */
export async function verifyDatabases(options: VerifyDatabasesOptions): Promise<VerifyReport> {
  const started = Date.now();
  const { from, to } = options;
  // PostgreSQL's side is hashed from COPY BINARY on worker threads (two tables at a time), and
  // SQLite's in C on the main thread meanwhile (the main thread has nothing else to do, and a
  // thread of its own would cost memory). Two SQLite sides take a worker for one of them. The
  // workers start first, so their start-up overlaps reading the schemas.
  const bothSqlite = from.dialect === 'sqlite' && to.dialect === 'sqlite';
  const worker = bothSqlite ? new SqliteDigestWorker() : null;
  const pgPool = from.dialect === 'postgres' || to.dialect === 'postgres' ? new PostgresDigestPool(options.pgThreads ?? 2) : null;
  try {
    const schemas = { from: await from.introspect(), to: await to.introspect() };
    // Where an earlier copy recorded the tables' origin, it pairs renamed tables and columns and says
    // how the SQLite side stores date-times (Unix units, zone-less UTC).
    const recorded = (await readOrigin(from, schemas.from)) ?? (await readOrigin(to, schemas.to));
    const pairs = options.plan ? pairsFromPlan(options.plan) : pairsFromSchemas(schemas.from, schemas.to, from.dialect, to.dialect, options, recorded);
    // Biggest tables first, so the last one to finish is a small one.
    const sizes = options.plan
      ? options.plan.tables.map((t) => t.rowEstimate)
      : await sizeHints(
          from.dialect === 'postgres' ? from : to,
          pairs.map((p) => (from.dialect === 'postgres' ? p.source : p.target)),
        );
    const order = pairs.map((_, i) => i).sort((a, b) => (sizes[b] ?? 0) - (sizes[a] ?? 0));
    const digest = async (engine: Engine, table: string, columns: string[], p: TablePair, types: string[]) => {
      const logicals = p.logicals;
      if (engine.dialect === 'postgres')
        return pgPool!.digest(
          (engine as PostgresEngine).target,
          table,
          columns,
          logicals.map((l) => l ?? 'text'),
          types,
        );
      const e = engine as SqliteEngine;
      const task = { table, columns, logicals, reading: p.reading };
      if (worker && engine === to) return worker.digest(e.file, task);
      // Let the other side's request go out before this thread is busy hashing.
      await new Promise((r) => setImmediate(r));
      return e.run('verifying', () => digestSqliteTable(e.db, task));
    };
    // Two tables at a time: the SQLite worker and the main thread both stay busy without opening a
    // connection per table.
    const ordered = await mapLimit(
      order.map((i) => pairs[i]!),
      2,
      async (p): Promise<TableVerifyResult> => {
        if (p.problem)
          return { table: p.source, target: p.target, sourceRows: 0, targetRows: 0, sourceDigest: '', targetDigest: '', ok: false, problem: p.problem };
        const [a, b] = await Promise.all([digest(from, p.source, p.sourceColumns, p, p.sourceTypes), digest(to, p.target, p.targetColumns, p, p.targetTypes)]);
        const st = options.rejected?.get(p.target);
        if (st?.rejectedDigest) a.subtract(ChecksumAccumulator.fromDigest(st.rejectedDigest));
        const r: TableVerifyResult = {
          table: p.source,
          target: p.target,
          sourceRows: a.rows,
          targetRows: b.rows,
          sourceDigest: a.digest(),
          targetDigest: b.digest(),
          ok: a.equals(b),
        };
        if (st?.rejects) r.rejected = st.rejects;
        return r;
      },
    );
    const results = new Array<TableVerifyResult>(pairs.length);
    order.forEach((i, k) => (results[i] = ordered[k]!));
    if (options.detailed) {
      for (const r of results) {
        const p = pairs.find((x) => x.source === r.table)!;
        if (r.ok || r.problem) continue;
        if (!p.sourceKey.length) {
          r.problem = 'no primary key, so differing rows cannot be lined up';
          continue;
        }
        r.differences = await findDifferences(
          { engine: from, table: p.source, columns: p.sourceColumns, key: p.sourceKey },
          { engine: to, table: p.target, columns: p.targetColumns, key: p.targetKey },
          p.logicals,
          options.detailed,
        );
      }
    }
    // Types configured on the way in (recorded with the copy's origin) are the user's choice both ways.
    const schema = compareMeaning(
      schemas.from,
      schemas.to,
      pairs
        .filter((p) => !p.problem)
        .map((p) => ({ ...meaningPair(p, options.config, recorded), ...(options.rejected?.get(p.target)?.existing ? { appSchema: true } : {}) })),
    );
    return {
      ok: results.every((r) => r.ok) && !schema.some((d) => d.severity === 'behaviour'),
      from: { dialect: from.dialect, displayUrl: from.displayUrl },
      to: { dialect: to.dialect, displayUrl: to.displayUrl },
      tables: results,
      schema,
      ms: Date.now() - started,
    };
  } finally {
    await Promise.all([worker?.close(), pgPool?.close()]);
  }
}

function pairsFromPlan(plan: CopyPlan): TablePair[] {
  return plan.tables.map((t) => {
    const key = t.primaryKey?.columns ?? [];
    const byTarget = new Map(t.columns.map((c) => [c.target, c.source]));
    return {
      source: t.source,
      target: t.target,
      sourceColumns: t.columns.map((c) => c.source),
      targetColumns: t.columns.map((c) => c.target),
      logicals: t.columns.map((c) => c.logical),
      reading: t.columns.map((c) =>
        c.epoch || c.zonelessUtc ? { ...(c.epoch ? { epoch: c.epoch } : {}), ...(c.zonelessUtc ? { zonelessUtc: true } : {}) } : undefined,
      ),
      configured: t.columns.filter((c) => c.configured).map((c) => c.source),
      sourceTypes: t.columns.map((c) => c.sourceType),
      targetTypes: t.columns.map((c) => c.targetType),
      targetKey: key,
      sourceKey: key.map((k) => byTarget.get(k) ?? k),
    };
  });
}

/** A verified table pair for the schema comparison; columns the config types are the user's choice. */
function meaningPair(p: TablePair, config: CopyConfig | undefined, recorded: RecordedOrigin | null): MeaningPair {
  const columns = config?.tables?.[p.source]?.columns ?? {};
  const configured = new Set(
    Object.entries(columns)
      .filter(([, c]) => c.type !== undefined || c.epoch !== undefined)
      .map(([name]) => name),
  );
  for (const c of p.configured ?? []) configured.add(c);
  const origin = recorded?.tables[p.source] ?? recorded?.tables[p.target];
  for (const c of origin?.columns ?? []) {
    if (!c.configured) continue;
    configured.add(c.source);
    configured.add(c.target);
  }
  if (origin?.existing)
    return { source: p.source, target: p.target, columns: new Map(p.sourceColumns.map((c, i) => [c, p.targetColumns[i]!])), configured, appSchema: true };
  return { source: p.source, target: p.target, columns: new Map(p.sourceColumns.map((c, i) => [c, p.targetColumns[i]!])), configured };
}

/** Pairs tables and columns by name (after the config's renames) for a standalone verify. */
function pairsFromSchemas(
  a: Schema,
  b: Schema,
  fromDialect: string,
  toDialect: string,
  options: VerifyDatabasesOptions,
  recorded: RecordedOrigin | null,
): TablePair[] {
  const cfg = options.config?.tables ?? {};
  const include = options.include ?? options.config?.include;
  const names = a.tables.map((t) => t.name).filter((n) => n !== STATE_TABLE && n !== ORIGIN_TABLE && !n.startsWith('sqlite_'));
  for (const n of include ?? []) {
    if (!names.includes(n)) {
      throw new FerryError('TABLE_MISSING', `There is no table "${n}" in ${options.from.displayUrl}.`, {
        subject: n,
        hint: `Tables there: ${names.join(', ') || '(none)'}.`,
      });
    }
  }
  if (names.length === 0) {
    throw new FerryError('TABLE_MISSING', `${options.from.displayUrl} has no tables, so there is nothing to verify.`, {
      subject: options.from.displayUrl,
      hint: 'Check the path or URL: a mistyped SQLite path, or a 0-byte file, is an empty database.',
    });
  }
  const excluded = new Set(options.config?.exclude ?? []);
  const paired = names
    .filter((n) => (include ? include.includes(n) : !excluded.has(n)))
    .map((name) => {
      const ta = a.tables.find((t) => t.name === name)!;
      const link = originLink(recorded, name, fromDialect);
      const targetName = cfg[name]?.as ?? link?.table ?? name;
      const tb = b.tables.find((t) => t.name === targetName);
      const base = {
        source: name,
        target: targetName,
        sourceColumns: [],
        targetColumns: [],
        logicals: [],
        reading: [],
        sourceTypes: [],
        targetTypes: [],
        sourceKey: [],
        targetKey: [],
      };
      if (!tb) return { ...base, problem: `no table "${targetName}" in ${options.to.displayUrl}` };
      const rename = (c: string) => cfg[name]?.columns?.[c]?.as ?? link?.columns.get(c)?.name ?? c;
      const missing = ta.columns.filter((c) => !tb.columns.some((x) => x.name === rename(c.name))).map((c) => c.name);
      if (missing.length) return { ...base, problem: `column(s) ${missing.join(', ')} missing in ${options.to.displayUrl}` };
      const logicals = ta.columns.map((c) => {
        const other = tb.columns.find((x) => x.name === rename(c.name))!;
        if (fromDialect === 'postgres') return postgresColumnType(c.type).logical;
        if (toDialect === 'postgres') return postgresColumnType(other.type).logical;
        return null;
      });
      const key = ta.primaryKey?.columns ?? [];
      return {
        ...base,
        sourceColumns: ta.columns.map((c) => c.name),
        targetColumns: ta.columns.map((c) => rename(c.name)),
        logicals,
        reading: ta.columns.map((c) => link?.columns.get(c.name)?.reading),
        sourceTypes: ta.columns.map((c) => c.type),
        targetTypes: ta.columns.map((c) => tb.columns.find((x) => x.name === rename(c.name))!.type),
        sourceKey: key,
        targetKey: key.map(rename),
      };
    });
  if (include) return paired;
  // Both ways: a table only the second database has is a difference too.
  const seen = new Set(paired.map((p) => p.target));
  const own = (n: string) => n === STATE_TABLE || n === ORIGIN_TABLE || n.startsWith('sqlite_');
  const extra = b.tables.map((t) => t.name).filter((n) => !own(n) && !seen.has(n) && !excluded.has(n));
  return [
    ...paired,
    ...extra.map((name) => ({
      source: name,
      target: name,
      sourceColumns: [],
      targetColumns: [],
      logicals: [],
      reading: [],
      sourceTypes: [],
      targetTypes: [],
      sourceKey: [],
      targetKey: [],
      problem: `only in ${options.to.displayUrl}, not in ${options.from.displayUrl}`,
    })),
  ];
}

/** The counterpart of a table recorded by a copy's origin: its name there, and its columns' names and readings. */
function originLink(
  recorded: RecordedOrigin | null,
  name: string,
  dialect: string,
): { table: string; columns: Map<string, { name: string; reading?: { epoch?: 'seconds' | 'milliseconds'; zonelessUtc?: boolean } }> } | null {
  if (!recorded) return null;
  // The origin is keyed by the PostgreSQL table and names each column's SQLite original.
  const entry = dialect === 'postgres' ? ([name, recorded.tables[name]] as const) : Object.entries(recorded.tables).find(([, o]) => o.table === name);
  const origin = entry?.[1];
  if (!entry || !origin) return null;
  const reading = (c: ColumnOrigin) =>
    c.epoch || c.zonelessUtc ? { ...(c.epoch ? { epoch: c.epoch } : {}), ...(c.zonelessUtc ? { zonelessUtc: true } : {}) } : undefined;
  const columns = new Map(
    origin.columns.map((c) =>
      dialect === 'postgres' ? [c.target, { name: c.source, reading: reading(c) }] : [c.source, { name: c.target, reading: reading(c) }],
    ),
  );
  return { table: dialect === 'postgres' ? origin.table : entry[0], columns };
}

/** Rough row counts of tables, to schedule the biggest first: PostgreSQL's statistics, or SQLite counts. */
async function sizeHints(engine: Engine, tables: string[]): Promise<number[]> {
  try {
    if (engine.dialect === 'postgres') {
      const rows = await engine.query<{ relname: string; n: number }>(
        `SELECT c.relname, c.reltuples::float8 AS n FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'`,
      );
      const byName = new Map(rows.map((r) => [r.relname, Number(r.n)]));
      return tables.map((t) => byName.get(t) ?? 0);
    }
    return await Promise.all(tables.map((t) => engine.countRows(t).catch(() => 0)));
  } catch {
    return tables.map(() => 0);
  }
}
