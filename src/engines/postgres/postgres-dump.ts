/**
 * PostgreSQL dumps for backup sets: `pg_dump -Fc` reading the snapshot a ferry connection exported
 * (`pg_export_snapshot()`, `pg_dump --snapshot`), while that connection digests every table in the
 * same snapshot; `pg_restore` into a new, empty or replaced database, or a scratch one to check a
 * dump. The tools get their settings through libpq's environment (PGHOST, PGPASSWORD, ...), never
 * on their command line, and what they print is masked before it reaches a message.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { DumpResult, ServerBackupRole } from '../../engine/server-backup-role.js';
import { maskPassword, rememberSecret } from '../../engine/secrets.js';
import { FerryError } from '../../errors.js';
import { isInternalTable } from '../../schema/own-tables.js';
import { digestPostgresTable } from './postgres-digest.js';
import { connectPostgres } from './postgres-engine.js';
import type { PostgresEngine } from './postgres-engine.js';
import { findPassword } from './postgres-password.js';
import { postgresTypeMapper } from './postgres-type-mapper.js';
import { parsePostgresUrl, type PostgresTarget } from './postgres-url.js';
import { withPostgresScratch } from './postgres-scratch.js';

/** Rows and content digest ("rows:hex") of every table of the app's, as `ferry verify` digests them. */
export async function postgresDigests(engine: PostgresEngine): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const table of (await engine.introspect()).tables) {
    if (isInternalTable(table.name)) continue;
    const columns = table.columns.map((c) => c.name);
    const logicals = table.columns.map(
      (c) => postgresTypeMapper.read({ table: table.name, column: c.name, declared: c.type, jsonb: true, integers: 'fit' }).type.logical,
    );
    out[table.name] = (
      await digestPostgresTable(
        engine,
        table.name,
        columns,
        logicals,
        table.columns.map((c) => c.type),
      )
    ).digest();
  }
  return out;
}

/** The environment that points libpq's tools at `target`: no setting on their command line, where `ps` would show it. */
async function toolEnv(target: PostgresTarget): Promise<NodeJS.ProcessEnv> {
  const env: NodeJS.ProcessEnv = { ...process.env, PGHOST: target.host, PGPORT: String(target.port), PGUSER: target.user, PGDATABASE: target.database };
  const { password } = await findPassword({ url: target.url, host: target.host, port: target.port, user: target.user, database: target.database });
  if (password !== undefined) {
    // Whatever the tools print is masked before it reaches a message: the password too, wherever it shows.
    rememberSecret(password, target.user);
    env.PGPASSWORD = password;
  }
  // node-postgres's `no-verify` encrypts without checking: libpq's `require`.
  if (target.sslmode) env.PGSSLMODE = target.sslmode === 'no-verify' ? 'require' : target.sslmode;
  return env;
}

function notInstalled(tool: string): FerryError {
  return new FerryError('NOT_SUPPORTED', `${tool} is not installed (or not on the PATH): ferry backs PostgreSQL up with ${tool}.`, {
    subject: tool,
    hint: "Install the PostgreSQL client tools of the server's version (Debian: apt-get install postgresql-client; or the PGDG package postgresql-client-<major>).",
  });
}

/** Runs a libpq tool; its failure is one message with what it printed, masked. */
function run(tool: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c.length + out.length < 1_000_000 ? c : ''));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.on('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ENOENT' ? notInstalled(tool) : e));
    child.on('close', (code) => {
      if (code === 0) return resolve(out);
      reject(new FerryError('BACKUP_INVALID', `${tool} failed (exit ${code}): ${gist(err)}`, { subject: tool }));
    });
  });
}

/** The tool's major version, refused when it is older than the server's (it could not read the server's catalogs). */
async function checkedTool(tool: 'pg_dump' | 'pg_restore' | 'psql', serverMajor: number, env: NodeJS.ProcessEnv): Promise<string> {
  const text = (await run(tool, ['--version'], env)).trim();
  const m = /(\d+)(?:\.(\d+))?/.exec(text);
  const major = m ? Number(m[1]) : NaN;
  if (!(major >= serverMajor))
    throw new FerryError(
      'NOT_SUPPORTED',
      `${tool} is version ${m?.[0] ?? '?'}, older than the server (${serverMajor}): it cannot dump or restore this server's databases.`,
      {
        subject: tool,
        hint: `Install ${tool} ${serverMajor} or newer (Debian: the PGDG package postgresql-client-${serverMajor}), first on the PATH.`,
      },
    );
  return `${tool} ${m![0]}`;
}

async function serverMajor(engine: PostgresEngine): Promise<{ major: number; version: string }> {
  const [row] = await engine.query<{ num: number; version: string }>(
    `SELECT current_setting('server_version_num')::int AS num, current_setting('server_version') AS version`,
  );
  return { major: Math.floor(row!.num / 10000), version: row!.version.split(' ')[0]! };
}

async function dump(url: string, file: string): Promise<DumpResult> {
  const target = parsePostgresUrl(url);
  const engine = await connectPostgres(target);
  try {
    const server = await serverMajor(engine);
    const env = await toolEnv(target);
    const tool = await checkedTool('pg_dump', server.major, env);
    // One snapshot for both: the dump reads it, and so do the digests, so they describe the same rows.
    await engine.exec('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const [{ snapshot }] = (await engine.query<{ snapshot: string }>('SELECT pg_export_snapshot() AS snapshot')) as [{ snapshot: string }];
    // The digests read through reader connections of their own: each imports the same snapshot.
    engine.readSnapshot = snapshot;
    const dumping = run('pg_dump', ['--format=custom', `--snapshot=${snapshot}`, '--no-password', `--file=${file}`], env);
    // Exclusions of ferry's own state tables are not made: a restore brings back everything the database held.
    const [digests] = await Promise.all([postgresDigests(engine), dumping]);
    await engine.exec('COMMIT');
    return { serverVersion: server.version, tool, digests };
  } finally {
    await engine.close();
  }
}

async function state(url: string): Promise<'missing' | 'empty' | 'has-tables'> {
  const target = parsePostgresUrl(url);
  let engine: PostgresEngine;
  try {
    engine = await connectPostgres(target);
  } catch (e) {
    if (e instanceof FerryError && e.code === 'DATABASE_MISSING') return 'missing';
    throw e;
  }
  try {
    const tables = (await engine.introspect()).tables.filter((t) => !isInternalTable(t.name));
    return tables.length ? 'has-tables' : 'empty';
  } finally {
    await engine.close();
  }
}

/** Creates the database `target` names, from a connection to the server's `postgres` database. */
async function createDatabase(target: PostgresTarget): Promise<void> {
  const admin = new URL(target.url);
  admin.pathname = '/postgres';
  const engine = await connectPostgres(parsePostgresUrl(admin.toString()));
  try {
    await engine.exec(`CREATE DATABASE ${engine.quoteIdent(target.database)}`);
  } finally {
    await engine.close();
  }
}

async function restore(file: string, url: string, options: { replace: boolean }): Promise<Record<string, string>> {
  const target = parsePostgresUrl(url);
  const now = await state(url);
  if (now === 'has-tables' && !options.replace)
    throw new FerryError('TARGET_NOT_EMPTY', `${maskPassword(url)} already holds tables: a restore would mix the dump with them.`, {
      subject: maskPassword(url),
      hint: 'Restore into an empty or new database, or pass --replace (ferry backs the database up first, then replaces it in one transaction).',
    });
  if (now === 'missing') await createDatabase(target);
  const engine = await connectPostgres(target);
  try {
    const env = await toolEnv(target);
    const major = (await serverMajor(engine)).major;
    await checkedTool('pg_restore', major, env);
    const args = ['--exit-on-error', '--no-owner', '--no-password'];
    if (now === 'has-tables') {
      await checkedTool('psql', major, env);
      await replaceWithDump(file, args, await dropEverything(engine), env);
    } else {
      // One transaction: a failure anywhere leaves the database as it was.
      await run('pg_restore', [...args, '--single-transaction', `--dbname=${target.database}`, file], env);
    }
    return await postgresDigests(engine);
  } finally {
    await engine.close();
  }
}

/** Owned by an extension (left to it), in a catalog: `pg_depend` deptype 'e'. */
const notExtensionMember = (catalog: string, oid: string) =>
  `NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '${catalog}'::regclass AND d.objid = ${oid} AND d.deptype = 'e')`;

/**
 * The statements that empty a database of the app's objects before a replace: every schema but
 * public (with all it holds), and in public every table, view and sequence, then every function,
 * procedure, aggregate and type (enum, domain, range, composite). pg_restore's --clean alone drops
 * only what the dump recreates, so an object the dump does not hold would stay beside the restored
 * ones, or clash with them (a type named like one of its tables). Objects an extension owns are
 * left to it; sequences a column owns and row types of tables go with their table.
 */
async function dropEverything(engine: PostgresEngine): Promise<string[]> {
  const schemas = await engine.query<{ name: string }>(
    `SELECT format('%I', nspname) AS name FROM pg_namespace n
     WHERE nspname <> 'public' AND nspname <> 'information_schema' AND nspname NOT LIKE 'pg\\_%' AND ${notExtensionMember('pg_namespace', 'n.oid')}
     ORDER BY 1`,
  );
  const relations = await engine.query<{ name: string; kind: string }>(
    `SELECT format('public.%I', c.relname) AS name, c.relkind AS kind FROM pg_class c
     WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('e', 'a', 'i'))
     ORDER BY 1`,
  );
  const routines = await engine.query<{ name: string; kind: string }>(
    `SELECT format('public.%I(%s)', p.proname, pg_get_function_identity_arguments(p.oid)) AS name, p.prokind AS kind FROM pg_proc p
     WHERE p.pronamespace = 'public'::regnamespace AND ${notExtensionMember('pg_proc', 'p.oid')}
     ORDER BY 1`,
  );
  const types = await engine.query<{ name: string; kind: string }>(
    `SELECT format('public.%I', t.typname) AS name, t.typtype AS kind FROM pg_type t
     WHERE t.typnamespace = 'public'::regnamespace AND ${notExtensionMember('pg_type', 't.oid')}
       AND (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c'))
     ORDER BY 1`,
  );
  const relationKinds: Record<string, string> = { r: 'TABLE', p: 'TABLE', v: 'VIEW', m: 'MATERIALIZED VIEW', S: 'SEQUENCE', f: 'FOREIGN TABLE' };
  const routineKinds: Record<string, string> = { f: 'FUNCTION', w: 'FUNCTION', p: 'PROCEDURE', a: 'AGGREGATE' };
  // IF EXISTS throughout: a CASCADE before may have dropped it already (a view on a dropped table).
  return [
    ...schemas.map((s) => `DROP SCHEMA IF EXISTS ${s.name} CASCADE;`),
    ...relations.map((r) => `DROP ${relationKinds[r.kind]} IF EXISTS ${r.name} CASCADE;`),
    ...routines.map((r) => `DROP ${routineKinds[r.kind]} IF EXISTS ${r.name} CASCADE;`),
    ...types.map((t) => `DROP ${t.kind === 'd' ? 'DOMAIN' : 'TYPE'} IF EXISTS ${t.name} CASCADE;`),
  ];
}

/**
 * Replaces a database with a dump in one transaction. psql reads: BEGIN, the statements that empty
 * the database, then the script pg_restore writes of the dump (its own --clean drops what is left
 * of the dump's objects). COMMIT is written only once pg_restore has exited 0: a dump that cannot
 * be read to its end (truncated, from a newer pg_dump, a read error) leaves psql's input without
 * it, and the server rolls everything back when psql disconnects. ON_ERROR_STOP makes psql stop at
 * the first failing statement, which rolls back the same way.
 */
function replaceWithDump(file: string, args: string[], emptying: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const psql = spawn('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '--no-password', '-f', '-'], { env, stdio: ['pipe', 'ignore', 'pipe'] });
    const script = spawn('pg_restore', [...args, '--clean', '--if-exists', '-f', '-', file], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const psqlErr = collect(psql.stderr);
    const scriptErr = collect(script.stderr);
    psql.stdin.on('error', () => undefined);
    // The CASCADE drops' NOTICE lines would crowd out the error that matters.
    psql.stdin.write(['SET client_min_messages = warning;', 'BEGIN;', ...emptying].join('\n') + '\n');
    script.stdout.pipe(psql.stdin, { end: false });
    // A psql that stopped reads no more: pg_restore is ended rather than left blocked on a full pipe.
    const psqlDone = exitOf(psql).then((code) => {
      if (script.exitCode === null) script.kill();
      return code;
    });
    const scriptDone = exitOf(script).then((code) => {
      if (code === 0) psql.stdin.end('COMMIT;\n');
      else psql.stdin.end();
      return code;
    });
    Promise.all([scriptDone, psqlDone]).then(
      ([scriptCode, psqlCode]) => {
        if (psqlCode === 0 && scriptCode === 0) return resolve();
        const [tool, code, err] = psqlCode !== 0 ? ['psql', psqlCode, psqlErr()] : ['pg_restore', scriptCode, scriptErr()];
        reject(new FerryError('BACKUP_INVALID', `${tool} failed (exit ${code}), so the database was left as it was: ${gist(err)}`, { subject: tool }));
      },
      (e: unknown) => reject(e as Error),
    );
  });
}

/** What a child prints on a stream, up to 100 kB (its last part kept: errors come at the end). */
function collect(stream: NodeJS.ReadableStream): () => string {
  let text = '';
  stream.setEncoding('utf8');
  stream.on('data', (c: string) => {
    text += c;
    if (text.length > 100_000) text = text.slice(-100_000);
  });
  return () => text;
}

/** The lines of a tool's output that say what failed (ERROR, FATAL, error:), else its first lines; masked. */
function gist(output: string): string {
  const lines = maskPassword(output.trim()).split('\n');
  const errors = lines.filter((l) => /\b(ERROR|FATAL)\b|error:/.test(l));
  return (errors.length ? errors : lines).slice(0, 5).join(' ');
}

/** A child's exit code, or a clear error when the tool is not installed. */
function exitOf(child: ReturnType<typeof spawn>): Promise<number> {
  return new Promise((resolve, reject) => {
    child.on('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ENOENT' ? notInstalled(child.spawnfile) : e));
    child.on('close', (code) => resolve(code ?? 1));
  });
}

async function restoreScratch(file: string, url: string): Promise<Record<string, string>> {
  return withPostgresScratch(url, 'Checking a PostgreSQL backup (a test restore)', async (scratch) => {
    const e = scratch as PostgresEngine;
    const target = parsePostgresUrl(url);
    const [{ db }] = (await e.query<{ db: string }>('SELECT current_database() AS db')) as [{ db: string }];
    const env = { ...(await toolEnv(target)), PGDATABASE: db };
    await checkedTool('pg_restore', (await serverMajor(e)).major, env);
    await run('pg_restore', ['--jobs=2', '--exit-on-error', '--no-owner', '--no-password', `--dbname=${db}`, file], env);
    return postgresDigests(e);
  });
}

async function readable(file: string): Promise<string> {
  try {
    await run('pg_restore', ['--list', file], process.env);
    return 'ok';
  } catch (e) {
    return (e as Error).message;
  }
}

export const postgresServerBackup: ServerBackupRole = {
  dump,
  state,
  restore,
  restoreScratch,
  readable,
  dumpName: async (url) => `${path.basename(parsePostgresUrl(url).database) || 'database'}.dump`,
};
