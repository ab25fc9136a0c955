import type { CopyConfig } from '../config/types.js';
import type { Engine } from '../engine/types.js';
import type { Digester, DigestTask } from '../engine/verify-roles.js';
import { roleOf } from '../engines/registry.js';
import { mapLimit } from '../util/map-limit.js';
import { ChecksumAccumulator } from '../values/checksum.js';
import { firstDifferences, keyedRows, type RowDifference } from '../verify/row-differences.js';
import { readOrigin, type RecordedOrigin } from './copy-origin.js';
import type { TableState } from './copy-state.js';
import type { CopyPlan } from './copy-types.js';
import { compareMeaning, type MeaningPair, type SchemaDifference } from './verify-meaning.js';
import { pairsFromPlan, pairsFromSchemas, type TablePair } from './verify-pairs.js';

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
  /** Worker threads per side that digests on workers (default 2; the verify inside a copy uses 1 to keep its memory down). */
  digestThreads?: number;
}

/**
 * Compares every table of `from` with its counterpart in `to` by row count and an order-independent
 * checksum of values normalised to one logical type per column, so any two engines (either way, or
 * the same engine on both sides) give equal digests exactly when they hold the same values. Each
 * side is digested by its engine's digester role.
 */
export async function verifyDatabases(options: VerifyDatabasesOptions): Promise<VerifyReport> {
  const started = Date.now();
  const { from, to } = options;
  // The workers start first, so their start-up overlaps reading the schemas.
  const sides = digestSides(from, to, options.digestThreads ?? 2);
  try {
    const schemas = { from: await from.introspect(), to: await to.introspect() };
    // Where an earlier copy recorded the tables' origin, it pairs renamed tables and columns and says
    // how the loosely typed side stores date-times (Unix units, zone-less UTC).
    const onFrom = await readOrigin(from, schemas.from);
    const recorded = onFrom ?? (await readOrigin(to, schemas.to));
    const pairs = options.plan
      ? pairsFromPlan(options.plan)
      : pairsFromSchemas(schemas.from, schemas.to, {
          from,
          to,
          include: options.include,
          config: options.config,
          origin: recorded ? { recorded, onFrom: onFrom !== null } : null,
        });
    const sizes = options.plan ? options.plan.tables.map((t) => t.rowEstimate) : await sizeHints(from, to, pairs);
    const results = await digestPairs(pairs, sizes, sides, options.rejected);
    if (options.detailed) await addDifferences(results, pairs, from, to, options.detailed);
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
    await sides.close();
  }
}

/** One side's digests: on the calling thread, or on a pool of workers. */
interface DigestSide {
  digest(task: DigestTask): Promise<ChecksumAccumulator>;
  close(): Promise<void>;
}

/**
 * Where each side is digested. An engine that digests cheaply on the calling thread (SQLite, in C)
 * does so there, which saves a worker's memory while the other side's workers read; when both
 * sides could, the second takes one worker so both still run at once.
 */
function digestSides(from: Engine, to: Engine, threads: number): { from: DigestSide; to: DigestSide; close(): Promise<void> } {
  const fromDigester = roleOf(from, 'digester');
  const toDigester = roleOf(to, 'digester');
  const a = digestSide(from, fromDigester, fromDigester.inline ? 0 : threads);
  const b = digestSide(to, toDigester, toDigester.inline && !fromDigester.inline ? 0 : toDigester.inline ? 1 : threads);
  return { from: a, to: b, close: async () => void (await Promise.all([a.close(), b.close()])) };
}

function digestSide(engine: Engine, digester: Digester, threads: number): DigestSide {
  if (threads === 0)
    return {
      digest: async (task) => {
        // Let the other side's request go out before this thread is busy hashing.
        await new Promise((r) => setImmediate(r));
        return digester.digest(engine, task);
      },
      close: async () => undefined,
    };
  const pool = digester.pool(threads);
  return { digest: (task) => pool.digest(engine, task), close: () => pool.close() };
}

/** Both sides of every pair, biggest tables first so the last to finish is a small one; two at a time. */
async function digestPairs(
  pairs: TablePair[],
  sizes: number[],
  sides: { from: DigestSide; to: DigestSide },
  rejected: Map<string, TableState> | undefined,
): Promise<TableVerifyResult[]> {
  const order = pairs.map((_, i) => i).sort((a, b) => (sizes[b] ?? 0) - (sizes[a] ?? 0));
  // Two tables at a time: a worker and the main thread both stay busy without a connection per table.
  const ordered = await mapLimit(
    order.map((i) => pairs[i]!),
    2,
    (p) => digestPair(p, sides, rejected?.get(p.target)),
  );
  const results = new Array<TableVerifyResult>(pairs.length);
  order.forEach((i, k) => (results[i] = ordered[k]!));
  return results;
}

async function digestPair(p: TablePair, sides: { from: DigestSide; to: DigestSide }, state: TableState | undefined): Promise<TableVerifyResult> {
  if (p.problem) return { table: p.source, target: p.target, sourceRows: 0, targetRows: 0, sourceDigest: '', targetDigest: '', ok: false, problem: p.problem };
  const common = { logicals: p.logicals, reading: p.reading };
  const [a, b] = await Promise.all([
    sides.from.digest({ table: p.source, columns: p.sourceColumns, types: p.sourceTypes, ...common }),
    sides.to.digest({ table: p.target, columns: p.targetColumns, types: p.targetTypes, ...common }),
  ]);
  if (state?.rejectedDigest) a.subtract(ChecksumAccumulator.fromDigest(state.rejectedDigest));
  const r: TableVerifyResult = {
    table: p.source,
    target: p.target,
    sourceRows: a.rows,
    targetRows: b.rows,
    sourceDigest: a.digest(),
    targetDigest: b.digest(),
    ok: a.equals(b),
  };
  if (state?.rejects) r.rejected = state.rejects;
  return r;
}

/** The first differing rows of each table whose checksums disagree, lined up by primary key. */
async function addDifferences(results: TableVerifyResult[], pairs: TablePair[], from: Engine, to: Engine, limit: number): Promise<void> {
  for (const r of results) {
    const p = pairs.find((x) => x.source === r.table)!;
    if (r.ok || r.problem) continue;
    if (!p.sourceKey.length) {
      r.problem = 'no primary key, so differing rows cannot be lined up';
      continue;
    }
    const key = p.sourceKey.map((k) => p.sourceColumns.indexOf(k));
    const side = (engine: Engine, table: string, columns: string[]) => {
      const reader = roleOf(engine, 'rowReader');
      const rows = reader.rowsInKeyOrder(engine, { table, columns, key, keyLogicals: key.map((i) => p.logicals[i] ?? null) });
      return { rows: keyedRows(rows, key, p.logicals, reader.valueForms), columns };
    };
    r.differences = await firstDifferences(side(from, p.source, p.sourceColumns), side(to, p.target, p.targetColumns), limit);
  }
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

/** Rough row counts, to schedule the biggest tables first: an engine's statistics, or counts. */
async function sizeHints(from: Engine, to: Engine, pairs: TablePair[]): Promise<number[]> {
  try {
    const fromEstimates = roleOf(from, 'digester').rowEstimates;
    if (fromEstimates)
      return await fromEstimates(
        from,
        pairs.map((p) => p.source),
      );
    const toEstimates = roleOf(to, 'digester').rowEstimates;
    if (toEstimates)
      return await toEstimates(
        to,
        pairs.map((p) => p.target),
      );
    return await Promise.all(pairs.map((p) => to.countRows(p.target).catch(() => 0)));
  } catch {
    return pairs.map(() => 0);
  }
}
