/**
 * The pre-flight of a copy into PostgreSQL, before anything is written: the server answers, the
 * password and database are right, the version is recent enough, the user may create tables; then
 * the plan is settled against the server (citext, translated default expressions).
 */
import type { CopyPlan } from '../../engine/copy-plan.js';
import type { Preflight, PreflightOptions } from '../../engine/copy-roles.js';
import type { Engine } from '../../engine/types.js';
import { FerryError } from '../../errors.js';
import { connectPostgres } from './postgres-engine.js';
import { postgresTypeName } from './postgres-type-mapper.js';
import type { PostgresTarget } from './postgres-url.js';

/** PostgreSQL 10 brought identity columns, which ferry's INTEGER PRIMARY KEY mapping needs. */
const MIN_SERVER_VERSION = 100000;

/** Connects to the target and checks it can take the copy; the connection is the run's main target connection. */
export async function preflightPostgresTarget(to: PostgresTarget, plan: CopyPlan, options: PreflightOptions): Promise<Preflight> {
  const checks: string[] = [];
  const engine = await connectPostgres(to);
  try {
    // PostgreSQL's form of "how long to wait for a locked object": a statement waiting longer fails.
    if (options.busyTimeoutMs !== undefined) await engine.exec(`SET lock_timeout = ${Math.floor(options.busyTimeoutMs)}`);
    await checkServer(engine, to, checks);
    await settleExtensions(engine, plan, checks);
    await settleDefaults(engine, plan, checks);
  } catch (e) {
    await engine.close();
    throw e;
  }
  return { engine, checks };
}

/** The server's version and the user's right to create tables in the schema public. */
async function checkServer(engine: Engine, to: PostgresTarget, checks: string[]): Promise<void> {
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
