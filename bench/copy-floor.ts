/**
 * The floor of the copy benchmark, as the issue defines it: the `sqlite3` command line exporting
 * each table as CSV into `psql \copy`, then the same primary keys, foreign keys and indexes as the
 * source, built by plain SQL. Every step is a child process, timed on its own.
 *
 * Two variants, each into a fresh database:
 * - `sequential`: every table exported to a CSV file first (timed), then each file loaded by
 *   `\copy` (timed). The sum is the figure PEERS.md reports.
 * - `piped`: `sqlite3 ... | psql -c '\copy ... FROM pstdin'` per table, so export and load overlap.
 *
 * The export SELECT makes the values PostgreSQL reads back exactly: REAL as `printf('%!.17g')`
 * (sqlite3's own text for a REAL has 15 significant digits and loses precision), BLOB as
 * `'\x' || hex(col)` (bytea hex input; NULL kept NULL, as hex(NULL) is ''), booleans as 0/1 (boolean input accepts both), timestamps
 * and JSON as stored.
 *
 * Also here, shared by the other copy-bench runners: the PostgreSQL helpers, the process-tree
 * memory sampler and the checks of a loaded database against the source.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import pg from 'pg';
import { indexSql, PG_TYPE, TABLES, WORK_DIR, type ColumnDef, type ColumnKind, type Dataset, type TableDef } from './copy-dataset.js';
import { TreeSampler } from './proc-stats.js';

// ---------------------------------------------------------------------------------------------
// PostgreSQL

export const PG_HOST = process.env.BENCH_PGHOST ?? '127.0.0.1';
export const PG_PORT = Number(process.env.BENCH_PGPORT ?? 5432);
export const PG_USER = process.env.BENCH_PGUSER ?? 'postgres';

export function pgUrl(db: string): string {
  return `postgresql://${PG_USER}@${PG_HOST}:${PG_PORT}/${db}`;
}

export function psqlArgs(db: string): string[] {
  return ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', PG_HOST, '-p', String(PG_PORT), '-U', PG_USER, '-d', db];
}

/** Runs SQL through psql synchronously (admin statements); throws with psql's stderr on failure. */
export function psqlSync(db: string, sql: string): string {
  const r = spawnSync('psql', [...psqlArgs(db), '-At', '-c', sql], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`psql failed (${sql.slice(0, 80)}): ${r.stderr || r.error}`);
  return r.stdout;
}

/** Drops and creates the database (force-closing connections left over). */
export function freshDatabase(db: string): void {
  psqlSync('postgres', `DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
  psqlSync('postgres', `CREATE DATABASE "${db}"`);
}

export function dropDatabase(db: string): void {
  psqlSync('postgres', `DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
}

/** A CHECKPOINT before each job, so one job's dirty pages are not written during the next. */
export function checkpoint(): void {
  psqlSync('postgres', 'CHECKPOINT');
}

export function pgServerVersion(): string {
  try {
    return psqlSync('postgres', 'SHOW server_version').trim();
  } catch {
    return '?';
  }
}

const q = (id: string) => `"${id.replace(/"/g, '""')}"`;

// ---------------------------------------------------------------------------------------------
// Child processes: wall time and the peak memory of the whole process tree.

export interface ChildRun {
  wallMs: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Largest VmHWM of one process of the tree, kB. */
  peakKb: number;
  /** Largest VmHWM per process name, kB. */
  peakByName: Record<string, number>;
  /** Largest sum of RSS of the tree at one sample, kB. */
  treeRssKb: number;
  /** CPU time of the child and the descendants it waited for (user + system), ms. */
  cpuMs: number;
}

const TIMES_MARK = '__bench_times__';

/** Parses bash's `times` output (two lines: the shell's, then its waited-for children's). */
function parseTimes(lines: string[]): number {
  const sec = (s: string) => {
    const m = /^(\d+)m([\d.]+)s$/.exec(s);
    return m ? Number(m[1]) * 60 + Number(m[2]) : 0;
  };
  let total = 0;
  for (const l of lines) for (const f of l.trim().split(/\s+/)) total += sec(f);
  return total * 1000;
}

/**
 * Runs a command (or, with `cmd` = null, a bash script), timing it and sampling the memory of its
 * process tree. A bash wrapper reports the CPU time of everything it ran (bash `times`).
 */
export function runChild(cmd: string | null, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ChildRun> {
  const wrapper = `${cmd === null ? 'bash -c "$1"' : '"$@"'}; rc=$?; echo ${TIMES_MARK} >&2; times >&2; exit $rc`;
  const argv = cmd === null ? ['-c', wrapper, 'bash', `set -euo pipefail\n${args.join('\n')}`] : ['-c', wrapper, 'bash', cmd, ...args];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const p = spawn('bash', argv, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const sampler = new TreeSampler(p.pid!);
    let stdout = '';
    let stderr = '';
    const timer = opts.timeoutMs ? setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs) : null;
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', (e) => {
      sampler.stop();
      if (timer) clearTimeout(timer);
      reject(e);
    });
    p.on('exit', (code, signal) => {
      const wallMs = performance.now() - started;
      sampler.stop();
      if (timer) clearTimeout(timer);
      p.on('close', () => {
        let cpuMs = 0;
        const at = stderr.lastIndexOf(TIMES_MARK + '\n');
        if (at >= 0) {
          cpuMs = parseTimes(
            stderr
              .slice(at + TIMES_MARK.length + 1)
              .split('\n')
              .filter(Boolean),
          );
          stderr = stderr.slice(0, at);
        }
        resolve({ wallMs, code, signal, stdout, stderr, peakKb: sampler.maxHwmKb(), peakByName: sampler.byName(), treeRssKb: sampler.treeRssKb, cpuMs });
      });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// The floor's SQL

function exportExpr(col: ColumnDef): string {
  const c = q(col.name);
  switch (col.kind) {
    case 'real':
      return `CASE WHEN ${c} IS NULL THEN NULL ELSE printf('%!.17g', ${c}) END`;
    case 'blob':
      // hex(NULL) is '', so NULL needs its own case
      return `CASE WHEN ${c} IS NULL THEN NULL ELSE '\\x' || hex(${c}) END`;
    default:
      return c;
  }
}

export function exportSelect(t: TableDef): string {
  return `SELECT ${t.columns.map(exportExpr).join(', ')} FROM ${q(t.name)};`;
}

export function pgCreateBare(t: TableDef): string {
  const cols = t.columns.map((c) => `${q(c.name)} ${PG_TYPE[c.kind]}${c.notNull ? ' NOT NULL' : ''}`);
  return `CREATE TABLE ${q(t.name)} (${cols.join(', ')});`;
}

/** Keys and indexes after loading, in a workable order: primary keys, unique indexes, foreign keys, other indexes. */
export function pgKeyStatements(): { what: string; sql: string }[] {
  const out: { what: string; sql: string }[] = [];
  for (const t of TABLES) out.push({ what: `${t.name} primary key`, sql: `ALTER TABLE ${q(t.name)} ADD PRIMARY KEY (${q(t.primaryKey)});` });
  for (const t of TABLES) for (const ix of t.indexes.filter((i) => i.unique)) out.push({ what: ix.name, sql: indexSql(t, ix) + ';' });
  for (const t of TABLES)
    for (const fk of t.foreignKeys)
      out.push({
        what: `${t.name}.${fk.column} foreign key`,
        sql: `ALTER TABLE ${q(t.name)} ADD FOREIGN KEY (${q(fk.column)}) REFERENCES ${q(fk.refTable)} (${q(fk.refColumn)});`,
      });
  for (const t of TABLES) for (const ix of t.indexes.filter((i) => !i.unique)) out.push({ what: ix.name, sql: indexSql(t, ix) + ';' });
  return out;
}

function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

// ---------------------------------------------------------------------------------------------
// Running the floor

export type FloorMode = 'sequential' | 'piped';

export interface FloorTable {
  table: string;
  /** sequential: sqlite3 -csv to a file; piped: not measured separately (0). */
  exportMs: number;
  /** sequential: \copy from the file; piped: the whole pipe. */
  loadMs: number;
  csvBytes?: number;
  exportPeakKb: number;
  loadPeakKb: number;
}

export interface FloorResult {
  mode: FloorMode;
  ok: boolean;
  error?: string;
  db: string;
  createMs: number;
  tables: FloorTable[];
  /** sequential: the sum of the exports; piped: 0. */
  exportMs: number;
  /** sequential: the sum of the loads; piped: the sum of the pipes. */
  loadMs: number;
  keysMs: number;
  keys: { what: string; ms: number }[];
  totalMs: number;
  /** Largest VmHWM of a sqlite3 / psql process. */
  sqlitePeakKb: number;
  psqlPeakKb: number;
  cpuMs: number;
}

async function bash(script: string): Promise<ChildRun> {
  const r = await runChild(null, [script]);
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${script.slice(0, 200)}\n${r.stderr.slice(0, 2000)}`);
  return r;
}

/** Runs the floor into a fresh database `db`. Scripts and CSV files go to bench/work/copy-floor/. */
export async function runFloor(ds: Dataset, db: string, mode: FloorMode, log: (s: string) => void = () => {}): Promise<FloorResult> {
  const dir = path.join(WORK_DIR, 'copy-floor');
  fs.mkdirSync(dir, { recursive: true });
  const res: FloorResult = {
    mode,
    ok: false,
    db,
    createMs: 0,
    tables: [],
    exportMs: 0,
    loadMs: 0,
    keysMs: 0,
    keys: [],
    totalMs: 0,
    sqlitePeakKb: 0,
    psqlPeakKb: 0,
    cpuMs: 0,
  };
  const psql = psqlArgs(db).map(shq).join(' ');
  try {
    freshDatabase(db);
    checkpoint();
    const started = performance.now();
    // 1. bare tables
    const ddl = path.join(dir, 'create.sql');
    fs.writeFileSync(ddl, TABLES.map(pgCreateBare).join('\n') + '\n');
    const cr = await bash(`psql ${psql} -f ${shq(ddl)}`);
    res.createMs = cr.wallMs;
    res.cpuMs += cr.cpuMs;
    // 2. export and load, table by table
    for (const t of TABLES) {
      const sel = path.join(dir, `export-${t.name}.sql`);
      fs.writeFileSync(sel, exportSelect(t) + '\n');
      const copyCmd = `\\copy ${q(t.name)} (${t.columns.map((c) => q(c.name)).join(', ')}) FROM ${mode === 'piped' ? 'pstdin' : shq(path.join(dir, `${t.name}.csv`))} (FORMAT csv)`;
      const sqlite = `sqlite3 -bail -csv -noheader ${shq(ds.file)} < ${shq(sel)}`;
      const row: FloorTable = { table: t.name, exportMs: 0, loadMs: 0, exportPeakKb: 0, loadPeakKb: 0 };
      if (mode === 'sequential') {
        const csv = path.join(dir, `${t.name}.csv`);
        const ex = await bash(`${sqlite} > ${shq(csv)}`);
        const ld = await bash(`psql ${psql} -c ${shq(copyCmd)}`);
        row.exportMs = ex.wallMs;
        row.loadMs = ld.wallMs;
        row.csvBytes = fs.statSync(csv).size;
        row.exportPeakKb = ex.peakByName['sqlite3'] ?? 0;
        row.loadPeakKb = ld.peakByName['psql'] ?? 0;
        res.cpuMs += ex.cpuMs + ld.cpuMs;
        fs.rmSync(csv, { force: true });
      } else {
        const r = await bash(`${sqlite} | psql ${psql} -c ${shq(copyCmd)}`);
        row.loadMs = r.wallMs;
        row.exportPeakKb = r.peakByName['sqlite3'] ?? 0;
        row.loadPeakKb = r.peakByName['psql'] ?? 0;
        res.cpuMs += r.cpuMs;
      }
      res.tables.push(row);
      res.exportMs += row.exportMs;
      res.loadMs += row.loadMs;
      res.sqlitePeakKb = Math.max(res.sqlitePeakKb, row.exportPeakKb);
      res.psqlPeakKb = Math.max(res.psqlPeakKb, row.loadPeakKb);
      log(
        `    ${t.name}: ${mode === 'sequential' ? `export ${(row.exportMs / 1000).toFixed(2)} s, \\copy ${(row.loadMs / 1000).toFixed(2)} s` : `pipe ${(row.loadMs / 1000).toFixed(2)} s`}`,
      );
    }
    // 3. keys and indexes, one psql, each statement timed by \timing
    const stmts = pgKeyStatements();
    const keysFile = path.join(dir, 'keys.sql');
    fs.writeFileSync(keysFile, '\\timing on\n' + stmts.map((s) => s.sql).join('\n') + '\n');
    const kr = await bash(`psql ${psql} -f ${shq(keysFile)}`);
    res.keysMs = kr.wallMs;
    res.cpuMs += kr.cpuMs;
    res.psqlPeakKb = Math.max(res.psqlPeakKb, kr.peakByName['psql'] ?? 0);
    const times = [...kr.stdout.matchAll(/^Time: ([\d.]+) ms/gm)].map((m) => Number(m[1]));
    res.keys = stmts.map((s, i) => ({ what: s.what, ms: times[i] ?? NaN }));
    res.totalMs = performance.now() - started;
    res.ok = true;
  } catch (e) {
    res.error = (e as Error).message;
  }
  return res;
}

// ---------------------------------------------------------------------------------------------
// Checking a loaded database against the source: row counts, column types, keys, and a sample of
// rows compared value by value (by what each value means: a double's exact value, a blob's bytes,
// a timestamp's instant, a boolean's truth).

export interface ColumnCheck {
  table: string;
  column: string;
  sqliteType: string;
  pgType: string | null;
  compared: number;
  /** Values that differ in meaning. */
  wrong: number;
  /** JSON that differs as text but parses the same (jsonb normalisation). */
  reformatted: number;
  examples: { id: number; source: string; target: string }[];
}

export interface TableCheck {
  table: string;
  sourceRows: number;
  targetRows: number | null;
  primaryKey: boolean;
  foreignKeys: number;
  expectedForeignKeys: number;
  indexes: number;
  expectedIndexes: number;
  notNullLost: string[];
}

export interface TargetCheck {
  ok: boolean;
  tables: TableCheck[];
  columns: ColumnCheck[];
  /** One line per thing that differs from the source. */
  problems: string[];
  /** Columns whose PostgreSQL type is not the one the floor uses (not necessarily wrong). */
  typeChanges: string[];
  extraTables: string[];
}

const SAMPLE = 500;

/** PG_TYPE as information_schema.columns.data_type spells it. */
const INFO_TYPE: Record<ColumnKind, string> = {
  int: 'bigint',
  real: 'double precision',
  text: 'text',
  blob: 'bytea',
  bool: 'boolean',
  datetime: 'timestamp without time zone',
  timestamptz: 'timestamp with time zone',
  json: 'json',
};

function sampleIds(n: number): number[] {
  const out = new Set<number>();
  for (let k = 0; k < SAMPLE && k < n; k++) out.add(1 + Math.floor((k * (n - 1)) / Math.max(1, SAMPLE - 1)));
  return [...out];
}

/** Milliseconds since the epoch of an ISO-ish timestamp; no zone means UTC. */
function instant(s: string): number {
  let t = s.trim().replace(' ', 'T');
  if (/[+-]\d\d$/.test(t)) t += ':00';
  if (!/(Z|[+-]\d\d:\d\d)$/.test(t)) t += 'Z';
  return Date.parse(t);
}

function sameJson(a: string, b: string): boolean {
  const norm = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(norm)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v as Record<string, unknown>)
              .sort(([x], [y]) => (x < y ? -1 : 1))
              .map(([k, x]) => [k, norm(x)]),
          )
        : v;
  try {
    return JSON.stringify(norm(JSON.parse(a))) === JSON.stringify(norm(JSON.parse(b)));
  } catch {
    return false;
  }
}

/** Compares one source value with PostgreSQL's text output of the target value; 'same' | 'reformatted' | 'wrong'. */
function compareValue(kind: ColumnKind, src: unknown, dst: string | null): 'same' | 'reformatted' | 'wrong' {
  if (src === null || src === undefined) return dst === null ? 'same' : 'wrong';
  if (dst === null) return 'wrong';
  switch (kind) {
    case 'int':
      return String(src) === dst ? 'same' : 'wrong';
    case 'real':
      return Number(dst) === Number(src) ? 'same' : 'wrong';
    case 'blob':
      return dst.toLowerCase() === '\\x' + (src as Buffer).toString('hex') ? 'same' : 'wrong';
    case 'bool': {
      const t = dst === 't' || dst === 'true' || dst === '1' ? 1 : dst === 'f' || dst === 'false' || dst === '0' ? 0 : NaN;
      return t === Number(src) ? 'same' : 'wrong';
    }
    case 'datetime':
    case 'timestamptz':
      return instant(dst) === instant(String(src)) ? 'same' : 'wrong';
    case 'json':
      return dst === src ? 'same' : sameJson(String(src), dst) ? 'reformatted' : 'wrong';
    default:
      return dst === src ? 'same' : 'wrong';
  }
}

function show(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (Buffer.isBuffer(v)) return `blob(${v.length})`;
  const s = String(v);
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}

/** Checks database `db` against the source file. */
export async function checkTarget(ds: Dataset, db: string): Promise<TargetCheck> {
  const out: TargetCheck = { ok: true, tables: [], columns: [], problems: [], typeChanges: [], extraTables: [] };
  const src = new Database(ds.file, { readonly: true });
  src.defaultSafeIntegers(true);
  const client = new pg.Client({ host: PG_HOST, port: PG_PORT, user: PG_USER, database: db });
  await client.connect();
  try {
    await client.query(`SET TimeZone = 'UTC'; SET extra_float_digits = 3`);
    const tabs = await client.query<{ schema: string; name: string }>(
      `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog','information_schema') AND table_type = 'BASE TABLE'`,
    );
    const schemaOf = new Map(tabs.rows.map((r) => [r.name, r.schema]));
    // ferry's own record of the source schema (_ferry_origin, for the way back) is expected.
    out.extraTables = tabs.rows
      .map((r) => `${r.schema}.${r.name}`)
      .filter((n) => !TABLES.some((t) => n.endsWith(`.${t.name}`)) && !n.endsWith('._ferry_origin'));
    for (const t of TABLES) {
      const sourceRows = Number((src.prepare(`SELECT count(*) AS n FROM ${q(t.name)}`).get() as { n: bigint }).n);
      const schema = schemaOf.get(t.name);
      const tc: TableCheck = {
        table: t.name,
        sourceRows,
        targetRows: null,
        primaryKey: false,
        foreignKeys: 0,
        expectedForeignKeys: t.foreignKeys.length,
        indexes: 0,
        expectedIndexes: t.indexes.length,
        notNullLost: [],
      };
      out.tables.push(tc);
      if (!schema) {
        out.problems.push(`${t.name}: table missing`);
        continue;
      }
      const rel = `${q(schema)}.${q(t.name)}`;
      tc.targetRows = Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${rel}`)).rows[0]!.n);
      if (tc.targetRows !== sourceRows) out.problems.push(`${t.name}: ${tc.targetRows} rows, source has ${sourceRows}`);
      const cons = await client.query<{ contype: string; n: string }>(
        `SELECT contype, count(*) AS n FROM pg_constraint WHERE conrelid = $1::regclass GROUP BY contype`,
        [rel],
      );
      for (const r of cons.rows) {
        if (r.contype === 'p') tc.primaryKey = true;
        if (r.contype === 'f') tc.foreignKeys = Number(r.n);
      }
      // secondary indexes: all indexes that are not the primary key's
      tc.indexes = Number(
        (await client.query<{ n: string }>(`SELECT count(*) AS n FROM pg_index WHERE indrelid = $1::regclass AND NOT indisprimary`, [rel])).rows[0]!.n,
      );
      if (!tc.primaryKey) out.problems.push(`${t.name}: no primary key`);
      if (tc.foreignKeys !== tc.expectedForeignKeys) out.problems.push(`${t.name}: ${tc.foreignKeys} foreign keys, source has ${tc.expectedForeignKeys}`);
      if (tc.indexes !== tc.expectedIndexes) out.problems.push(`${t.name}: ${tc.indexes} secondary indexes, source has ${tc.expectedIndexes}`);
      const cols = await client.query<{ column_name: string; data_type: string; is_nullable: string }>(
        `SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2`,
        [schema, t.name],
      );
      const colInfo = new Map(cols.rows.map((r) => [r.column_name, r]));
      for (const c of t.columns) if (c.notNull && c.name !== t.primaryKey && colInfo.get(c.name)?.is_nullable === 'YES') tc.notNullLost.push(c.name);
      if (tc.notNullLost.length) out.problems.push(`${t.name}: NOT NULL dropped on ${tc.notNullLost.join(', ')}`);
      // sample rows
      const ids = sampleIds(sourceRows);
      const srcRows = new Map<number, Record<string, unknown>>();
      const stmt = src.prepare(`SELECT * FROM ${q(t.name)} WHERE ${q(t.primaryKey)} = ?`);
      for (const id of ids) {
        const r = stmt.get(BigInt(id)) as Record<string, unknown> | undefined;
        if (r) srcRows.set(id, r);
      }
      const present = t.columns.filter((c) => colInfo.has(c.name));
      const dst = await client.query<Record<string, string | null>>(
        `SELECT ${q(t.primaryKey)}::text AS "__id", ${present.map((c) => `${q(c.name)}::text AS ${q(c.name)}`).join(', ')} FROM ${rel} WHERE ${q(t.primaryKey)} = ANY($1::bigint[])`,
        [ids],
      );
      const dstRows = new Map(dst.rows.map((r) => [Number(r.__id), r]));
      for (const c of t.columns) {
        const info = colInfo.get(c.name);
        const cc: ColumnCheck = {
          table: t.name,
          column: c.name,
          sqliteType: c.sqliteType,
          pgType: info?.data_type ?? null,
          compared: 0,
          wrong: 0,
          reformatted: 0,
          examples: [],
        };
        out.columns.push(cc);
        if (!info) {
          out.problems.push(`${t.name}.${c.name}: column missing`);
          continue;
        }
        if (info.data_type !== INFO_TYPE[c.kind])
          out.typeChanges.push(`${t.name}.${c.name} ${c.sqliteType} -> ${info.data_type} (floor: ${INFO_TYPE[c.kind]})`);
        for (const [id, sr] of srcRows) {
          const dr = dstRows.get(id);
          if (!dr) continue;
          cc.compared++;
          const v = compareValue(c.kind, sr[c.name], dr[c.name] ?? null);
          if (v === 'reformatted') cc.reformatted++;
          if (v === 'wrong') {
            cc.wrong++;
            if (cc.examples.length < 3) cc.examples.push({ id, source: show(sr[c.name]), target: show(dr[c.name]) });
          }
        }
        if (cc.wrong)
          out.problems.push(
            `${t.name}.${c.name} (${c.sqliteType} -> ${cc.pgType}): ${cc.wrong} of ${cc.compared} sampled values differ, e.g. ${cc.examples.map((e) => `${e.source} -> ${e.target}`).join('; ')}`,
          );
      }
    }
    if (out.extraTables.length) out.problems.push(`extra tables created: ${out.extraTables.join(', ')}`);
    out.ok = out.problems.length === 0;
  } finally {
    await client.end();
    src.close();
  }
  return out;
}
