import fs from 'node:fs';
import path from 'node:path';
import { connect } from '../engines/registry.js';
import type { Engine } from '../engine/types.js';
import { type ConnectionTarget } from '../engine/types.js';
import { openSqlite } from '../engines/sqlite/sqlite-engine.js';
import { FerryError } from '../errors.js';
import { formatBytes, freeBytes, nearestExisting } from '../util/disk-space.js';
import { sqliteDiskSize } from '../util/fs-atomic.js';
import { postgresTypeName } from '../engines/postgres/postgres-type-mapper.js';
import type { CopyPlan } from './copy-types.js';

/** PostgreSQL 10 brought identity columns, which ferry's INTEGER PRIMARY KEY mapping needs. */
const MIN_SERVER_VERSION = 100000;

/** The target, opened, and what the pre-flight checked (for --dry-run and --verbose). */
export interface Preflight {
  /** The target engine; null only for a dry run into a SQLite file that does not exist yet. */
  engine: Engine | null;
  checks: string[];
}

/**
 * Connects to the target and checks it can take the copy before anything is written: the server
 * answers, the password and database are right, the version is recent enough and the user may
 * create tables (PostgreSQL); the folder exists and has room (SQLite). A dry run opens a SQLite
 * target read-only, and not at all when it does not exist, so it creates nothing.
 */
export async function preflightTarget(
  to: ConnectionTarget,
  plan: CopyPlan,
  options: { sourceBytes: number; dryRun?: boolean; busyTimeoutMs?: number },
): Promise<Preflight> {
  const checks: string[] = [];
  if (to.dialect === 'postgres') {
    const engine = await connect(to.url, { busyTimeoutMs: options.busyTimeoutMs });
    try {
      const [info] = await engine.query<{ version: number; can_create: boolean; who: string }>(
        `SELECT current_setting('server_version_num')::int AS version, has_schema_privilege(current_user, 'public', 'CREATE') AS can_create, current_user AS who`,
      );
      if (info!.version < MIN_SERVER_VERSION) {
        throw new FerryError('CONNECT', `${to.displayUrl} runs PostgreSQL ${Math.floor(info!.version / 10000)}; ferry copy needs PostgreSQL 10 or later.`, {
          subject: to.displayUrl,
          hint: 'Upgrade the server, or copy into a newer one.',
        });
      }
      checks.push(`connected as ${info!.who} to PostgreSQL ${Math.floor(info!.version / 10000)} (10 or later needed)`);
      if (!info!.can_create) {
        throw new FerryError('PRIVILEGE', `The user "${info!.who}" may not create tables in the schema public of ${to.displayUrl}.`, {
          subject: to.displayUrl,
          hint: `As an owner: GRANT CREATE ON SCHEMA public TO "${info!.who}"; (ferry also keeps its resume state in a table there).`,
        });
      }
      checks.push('may create tables in the schema public');
      await settleExtensions(engine, plan, checks);
      await settleDefaults(engine, plan, checks);
    } catch (e) {
      await engine.close();
      throw e;
    }
    return { engine, checks };
  }
  const dir = path.dirname(to.file!);
  if (!fs.existsSync(dir))
    throw new FerryError('UNWRITABLE', `The folder ${dir} for ${to.displayUrl} does not exist.`, {
      subject: dir,
      hint: 'Create the folder first, or pick another path.',
    });
  const free = freeBytes(nearestExisting(dir));
  // Rows take about as much room as in the source; indexes and the journal need some slack. What
  // an interrupted copy already wrote there counts, so a resume asks only for what is left.
  const need = remainingBytes(options.sourceBytes, to.file!, plan);
  if (free < need) {
    throw new FerryError('DISK_FULL', `${dir} has ${formatBytes(free)} free; the copy needs about ${formatBytes(need)} more.`, {
      subject: dir,
      hint: `Free at least ${formatBytes(need - free)} or copy to another disk.`,
    });
  }
  checks.push(`${dir} has ${formatBytes(free)} free; the copy needs about ${formatBytes(need)}`);
  if (options.dryRun) {
    if (!fs.existsSync(to.file!)) return { engine: null, checks };
    return { engine: openSqlite(to.file!, { readonly: true, busyTimeoutMs: options.busyTimeoutMs }), checks };
  }
  const engine = openSqlite(to.file!, { mustExist: false, busyTimeoutMs: options.busyTimeoutMs });
  // better-sqlite3 turns foreign key enforcement on; tables load in any order (biggest first), so
  // a child row may arrive before its parent. The check runs once everything is in (post-load).
  engine.db.pragma('foreign_keys = OFF');
  return { engine, checks };
}

/**
 * Bytes a copy still needs on a SQLite target. Before anything is written: about 1.2 times the
 * source. Once rows are in the file, what they took per row says more than the source's size
 * (UUIDs and date-times take more room as SQLite text than in PostgreSQL), so the rows left are
 * priced at that rate; the larger of the two estimates wins.
 */
export function remainingBytes(sourceBytes: number, file: string, plan: CopyPlan): number {
  if (!fs.existsSync(file)) return Math.ceil(sourceBytes * 1.2);
  const size = sqliteDiskSize(file);
  const bySource = Math.ceil(sourceBytes * 1.2) - size;
  const written = rowsWritten(file, plan);
  const total = plan.tables.reduce((n, t) => n + t.rowEstimate, 0);
  const byRate = written > 0 ? Math.ceil((size / written) * Math.max(0, total - written) * 1.1) : 0;
  return Math.max(0, bySource, byRate);
}

/** Rows already in the planned tables of a SQLite target (0 where a table is not there yet). */
function rowsWritten(file: string, plan: CopyPlan): number {
  let engine;
  try {
    engine = openSqlite(file, { readonly: true });
  } catch {
    return 0;
  }
  try {
    const present = new Set((engine.db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
    let n = 0;
    for (const t of plan.tables) {
      if (present.has(t.target)) n += Number((engine.db.prepare(`SELECT count(*) AS n FROM ${engine.quoteIdent(t.target)}`).get() as { n: number }).n);
    }
    return n;
  } catch {
    return 0;
  } finally {
    void engine.close();
  }
}

/**
 * Case-insensitive text (SQLite's COLLATE NOCASE) needs PostgreSQL's citext extension. When it is
 * installed, or can be (a trusted extension: the right to create in the database suffices), the
 * copy creates it with the schema; when it cannot be, those columns become case-sensitive text and
 * the plan says so loudly, before anything is written.
 */
async function settleExtensions(engine: Engine, plan: CopyPlan, checks: string[]): Promise<void> {
  const columns = plan.tables.flatMap((t) => t.columns.filter((c) => c.type.caseInsensitive).map((c) => ({ t, c })));
  if (!columns.length) return;
  const [row] = await engine.query<{ installed: boolean; available: boolean; can: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citext') AS installed, EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'citext') AS available, ` +
      `has_database_privilege(current_database(), 'CREATE') AS can`,
  );
  if (row!.installed || (row!.available && row!.can)) {
    if (!row!.installed) plan.extensions = ['citext'];
    checks.push(`the citext extension is ${row!.installed ? 'installed' : 'available and will be created'} (for COLLATE NOCASE)`);
    return;
  }
  const why = row!.available ? 'the user may not create extensions in this database' : 'the server does not have the citext extension (postgresql-contrib)';
  for (const { t, c } of columns) {
    delete c.type.caseInsensitive;
    c.targetType = postgresTypeName(c.type);
    plan.warnings.push({
      code: 'COLLATION_NOT_KEPT',
      table: t.source,
      column: c.source,
      message: `${t.source}.${c.source}: COLLATE NOCASE is NOT kept: PostgreSQL's citext is unavailable (${why}), so the column compares case-sensitively there and a UNIQUE on it accepts values that differ only in case. Install citext (CREATE EXTENSION citext) and copy again to keep it.`,
    });
  }
}

/**
 * Asks the target about each default that is a translated expression ((1+1), lower('ABC')): one
 * PostgreSQL cannot evaluate for the column's type is left out with a warning, so it cannot fail
 * the CREATE TABLE (and with it the whole copy) later.
 */
async function settleDefaults(engine: Engine, plan: CopyPlan, checks: string[]): Promise<void> {
  const tried = plan.tables.reduce((n, t) => n + t.columns.filter((c) => c.defaultExpression).length, 0);
  if (tried) checks.push(`${tried} translated default expression(s) tried on the server`);
  for (const t of plan.tables) {
    for (const c of t.columns) {
      if (!c.defaultExpression || c.default === null) continue;
      try {
        await engine.transaction(() => engine.query(`SELECT CAST(${c.default} AS ${c.targetType})`));
      } catch (e) {
        plan.warnings.push({
          code: 'DEFAULT_DROPPED',
          table: t.source,
          column: c.source,
          message: `${t.source}.${c.source}: the default ${c.default} is not kept (PostgreSQL refuses it for ${c.targetType}: ${(e as Error).message}).`,
        });
        c.default = null;
        delete c.defaultExpression;
      }
    }
  }
}
