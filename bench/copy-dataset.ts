/**
 * The data set of the copy benchmark (SQLite -> PostgreSQL): one deterministic SQLite file with an
 * app-like schema of six tables of mixed types. At scale 1 it holds 1,250,000 rows (about 180 MB);
 * `--scale 10` makes 12,500,000 rows for the memory-flatness run.
 *
 * - INTEGER PRIMARY KEY ids, foreign keys between the tables (declared, and satisfied by the data);
 * - TEXT of varied length with accents, CJK, Cyrillic, emoji, quotes, commas, backslashes, tabs and
 *   newlines, some empty strings and NULLs;
 * - REAL doubles using all 17 significant digits (money, coordinates, measurements);
 * - BLOBs: small (16-64 bytes, users.avatar) and KB-sized (0.5-4 KB, attachments.content), of
 *   incompressible pseudo-random bytes;
 * - DATETIME columns holding 'YYYY-MM-DD HH:MM:SS', TIMESTAMP columns holding ISO 8601 with
 *   milliseconds and 'Z';
 * - BOOLEAN columns holding 0/1; JSON columns holding JSON text (objects, arrays, unicode);
 * - secondary indexes: two unique (one of them on two columns), several multi-column.
 *
 * Every value is in the range of PostgreSQL's `real` and the file has no sqlite_stat tables (no
 * ANALYZE), so that pgloader, whose defaults trip on both, loads every row and the times compare
 * like for like (version 1 had both; what pgloader did with them is in RESULTS.md).
 *
 * Rows come from a seeded PRNG (same file every time) and are written by better-sqlite3 in one
 * transaction per table with prepared statements. The file is cached as
 * bench/work/copy-v<version>-s<scale>.db and reused while the version and scale match.
 *
 *   node dist/bench/copy-dataset.js [--scale N] [--force]
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';

/** Bump when the generated content changes, so cached files are not reused. */
export const DATASET_VERSION = 2;

/** bench/ in the source tree (this file runs from dist/bench/). */
export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench');
export const WORK_DIR = path.join(BENCH_DIR, 'work');

// ---------------------------------------------------------------------------------------------
// The schema, described once: the SQLite DDL, the floor's PostgreSQL DDL and the checks all read it.

/** What a column holds, which decides its PostgreSQL type in the floor and how it is checked. */
export type ColumnKind = 'int' | 'real' | 'text' | 'blob' | 'bool' | 'datetime' | 'timestamptz' | 'json';

export interface ColumnDef {
  name: string;
  /** Declared type in SQLite. */
  sqliteType: string;
  kind: ColumnKind;
  notNull?: boolean;
}

export interface ForeignKeyDef {
  column: string;
  refTable: string;
  refColumn: string;
}

export interface IndexDef {
  name: string;
  columns: string[];
  unique: boolean;
}

export interface TableDef {
  name: string;
  columns: ColumnDef[];
  /** The INTEGER PRIMARY KEY column. */
  primaryKey: string;
  foreignKeys: ForeignKeyDef[];
  indexes: IndexDef[];
  /** Rows at scale 1. */
  baseRows: number;
}

/** PostgreSQL type of each kind, as the floor creates it (what a faithful copy needs). */
export const PG_TYPE: Record<ColumnKind, string> = {
  int: 'bigint',
  real: 'double precision',
  text: 'text',
  blob: 'bytea',
  bool: 'boolean',
  datetime: 'timestamp',
  timestamptz: 'timestamptz',
  json: 'json',
};

const c = (name: string, sqliteType: string, kind: ColumnKind, notNull = false): ColumnDef => ({ name, sqliteType, kind, notNull });

/** Parents before children (the order rows are generated and loaded in). */
export const TABLES: TableDef[] = [
  {
    name: 'users',
    baseRows: 50_000,
    primaryKey: 'id',
    columns: [
      c('id', 'INTEGER', 'int', true),
      c('email', 'TEXT', 'text', true),
      c('display_name', 'TEXT', 'text'),
      c('country', 'TEXT', 'text'),
      c('balance', 'REAL', 'real'),
      c('is_active', 'BOOLEAN', 'bool', true),
      c('created_at', 'DATETIME', 'datetime', true),
      c('last_seen_at', 'TIMESTAMP', 'timestamptz'),
      c('settings', 'JSON', 'json'),
      c('avatar', 'BLOB', 'blob'),
    ],
    foreignKeys: [],
    indexes: [
      { name: 'users_email_key', columns: ['email'], unique: true },
      { name: 'users_country_created_idx', columns: ['country', 'created_at'], unique: false },
    ],
  },
  {
    name: 'projects',
    baseRows: 25_000,
    primaryKey: 'id',
    columns: [
      c('id', 'INTEGER', 'int', true),
      c('owner_id', 'INTEGER', 'int', true),
      c('slug', 'TEXT', 'text', true),
      c('name', 'TEXT', 'text', true),
      c('description', 'TEXT', 'text'),
      c('budget', 'REAL', 'real'),
      c('archived', 'BOOLEAN', 'bool', true),
      c('created_at', 'DATETIME', 'datetime', true),
      c('updated_at', 'TIMESTAMP', 'timestamptz', true),
      c('metadata', 'JSON', 'json'),
    ],
    foreignKeys: [{ column: 'owner_id', refTable: 'users', refColumn: 'id' }],
    indexes: [{ name: 'projects_owner_slug_key', columns: ['owner_id', 'slug'], unique: true }],
  },
  {
    name: 'tasks',
    baseRows: 300_000,
    primaryKey: 'id',
    columns: [
      c('id', 'INTEGER', 'int', true),
      c('project_id', 'INTEGER', 'int', true),
      c('assignee_id', 'INTEGER', 'int'),
      c('title', 'TEXT', 'text', true),
      c('status', 'TEXT', 'text', true),
      c('priority', 'INTEGER', 'int', true),
      c('estimate_hours', 'REAL', 'real'),
      c('done', 'BOOLEAN', 'bool', true),
      c('due_at', 'DATETIME', 'datetime'),
      c('created_at', 'TIMESTAMP', 'timestamptz', true),
      c('tags', 'JSON', 'json'),
    ],
    foreignKeys: [
      { column: 'project_id', refTable: 'projects', refColumn: 'id' },
      { column: 'assignee_id', refTable: 'users', refColumn: 'id' },
    ],
    indexes: [
      { name: 'tasks_project_status_idx', columns: ['project_id', 'status'], unique: false },
      { name: 'tasks_assignee_idx', columns: ['assignee_id'], unique: false },
    ],
  },
  {
    name: 'comments',
    baseRows: 150_000,
    primaryKey: 'id',
    columns: [
      c('id', 'INTEGER', 'int', true),
      c('task_id', 'INTEGER', 'int', true),
      c('author_id', 'INTEGER', 'int', true),
      c('body', 'TEXT', 'text', true),
      c('edited', 'BOOLEAN', 'bool', true),
      c('score', 'REAL', 'real'),
      c('created_at', 'TIMESTAMP', 'timestamptz', true),
    ],
    foreignKeys: [
      { column: 'task_id', refTable: 'tasks', refColumn: 'id' },
      { column: 'author_id', refTable: 'users', refColumn: 'id' },
    ],
    indexes: [{ name: 'comments_task_created_idx', columns: ['task_id', 'created_at'], unique: false }],
  },
  {
    name: 'events',
    baseRows: 710_000,
    primaryKey: 'id',
    columns: [
      c('id', 'INTEGER', 'int', true),
      c('user_id', 'INTEGER', 'int', true),
      c('task_id', 'INTEGER', 'int'),
      c('kind', 'TEXT', 'text', true),
      c('occurred_at', 'TIMESTAMP', 'timestamptz', true),
      c('latitude', 'REAL', 'real'),
      c('longitude', 'REAL', 'real'),
      c('duration_ms', 'INTEGER', 'int'),
      c('value', 'REAL', 'real'),
      c('ok', 'BOOLEAN', 'bool', true),
      c('payload', 'JSON', 'json'),
    ],
    foreignKeys: [
      { column: 'user_id', refTable: 'users', refColumn: 'id' },
      { column: 'task_id', refTable: 'tasks', refColumn: 'id' },
    ],
    indexes: [{ name: 'events_user_occurred_idx', columns: ['user_id', 'occurred_at'], unique: false }],
  },
  {
    name: 'attachments',
    baseRows: 15_000,
    primaryKey: 'id',
    columns: [
      c('id', 'INTEGER', 'int', true),
      c('task_id', 'INTEGER', 'int', true),
      c('file_name', 'TEXT', 'text', true),
      c('mime_type', 'TEXT', 'text', true),
      c('size_bytes', 'INTEGER', 'int', true),
      c('content', 'BLOB', 'blob'),
      c('uploaded_at', 'DATETIME', 'datetime', true),
      c('checksum', 'TEXT', 'text'),
    ],
    foreignKeys: [{ column: 'task_id', refTable: 'tasks', refColumn: 'id' }],
    indexes: [{ name: 'attachments_task_idx', columns: ['task_id'], unique: false }],
  },
];

export function rowsAt(table: TableDef, scale: number): number {
  return Math.round(table.baseRows * scale);
}

/** SQLite DDL of one table (foreign keys declared inline, as apps do). */
export function sqliteCreate(t: TableDef): string {
  const cols = t.columns.map((col) => {
    let s = `"${col.name}" ${col.sqliteType}`;
    if (col.name === t.primaryKey) s += ' PRIMARY KEY';
    else if (col.notNull) s += ' NOT NULL';
    const fk = t.foreignKeys.find((f) => f.column === col.name);
    if (fk) s += ` REFERENCES "${fk.refTable}"("${fk.refColumn}")`;
    return s;
  });
  return `CREATE TABLE "${t.name}" (\n  ${cols.join(',\n  ')}\n)`;
}

export function indexSql(t: TableDef, ix: IndexDef): string {
  return `CREATE ${ix.unique ? 'UNIQUE ' : ''}INDEX "${ix.name}" ON "${t.name}" (${ix.columns.map((x) => `"${x}"`).join(', ')})`;
}

// ---------------------------------------------------------------------------------------------
// Deterministic values.

/** mulberry32: small, fast, seeded. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = [
  'the',
  'of',
  'and',
  'deploy',
  'review',
  'migrate',
  'schema',
  'release',
  'invoice',
  'customer',
  'backlog',
  'sprint',
  'café',
  'naïve',
  'résumé',
  'Zürich',
  'São Paulo',
  'Łódź',
  'smørrebrød',
  '東京',
  '数据库',
  'Москва',
  'данные',
  'مرحبا',
  'שלום',
  'ελληνικά',
  '한국어',
  '🚀',
  '😀',
  '👩‍💻',
  '✅',
  '€',
  '£',
  '¥',
  '"quoted"',
  "it's",
  'a,b',
  'semi;colon',
  'back\\slash',
  'tab\there',
  'pipe|bar',
  '100%',
  '$HOME',
  '<tag>',
  '&amp;',
  '{braces}',
  '[x]',
  'x\ny',
  'NULL',
  'null',
];
const COUNTRIES = ['DE', 'FR', 'US', 'GB', 'JP', 'BR', 'IN', 'PL', 'NO', 'ES', 'IT', 'CN', 'RU', 'IL', 'KR', 'GR'];
const STATUSES = ['todo', 'in_progress', 'blocked', 'review', 'done', 'cancelled'];
const KINDS = ['page_view', 'click', 'login', 'logout', 'task.created', 'task.updated', 'comment.added', 'file.uploaded', 'search', 'api.call'];
const MIMES = ['image/png', 'image/jpeg', 'application/pdf', 'text/plain', 'application/zip', 'application/octet-stream'];

/** 2020-01-01T00:00:00Z in ms; timestamps spread over about five years after it. */
const T0 = Date.UTC(2020, 0, 1);
const SPAN_MS = 5 * 365 * 86_400_000;

class Gen {
  private readonly r: () => number;
  constructor(
    seed: number,
    private readonly pool: Buffer,
  ) {
    this.r = prng(seed);
  }
  f(): number {
    return this.r();
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.r() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.r() < p;
  }
  pick<T>(a: readonly T[]): T {
    return a[Math.floor(this.r() * a.length)]!;
  }
  words(lo: number, hi: number): string {
    const n = this.int(lo, hi);
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(this.pick(WORDS));
    return out.join(' ');
  }
  /** A double that needs all 17 significant digits, in [lo, hi). */
  dbl(lo: number, hi: number): number {
    return lo + (hi - lo) * (this.r() + this.r() / 4294967296);
  }
  /** 'YYYY-MM-DD HH:MM:SS' (DATETIME columns). */
  datetime(): string {
    const d = new Date(T0 + Math.floor((this.r() * SPAN_MS) / 1000) * 1000).toISOString();
    return `${d.slice(0, 10)} ${d.slice(11, 19)}`;
  }
  /** 'YYYY-MM-DDTHH:MM:SS.mmmZ' (TIMESTAMP columns). */
  isoZ(): string {
    return new Date(T0 + Math.floor(this.r() * SPAN_MS)).toISOString();
  }
  blob(lo: number, hi: number): Buffer {
    const n = this.int(lo, hi);
    const off = this.int(0, this.pool.length - n - 1);
    return this.pool.subarray(off, off + n);
  }
  hex(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += Math.floor(this.r() * 16).toString(16);
    return s;
  }
}

/** Row makers: (id, generator, row counts at this scale) -> values in column order. */
type RowMaker = (id: number, g: Gen, n: Record<string, number>) => unknown[];

const ROW: Record<string, RowMaker> = {
  users: (id, g) => [
    id,
    `user${id}.${g.hex(6)}@example.${g.pick(['com', 'org', 'de', 'jp'])}`,
    g.chance(0.05) ? null : g.chance(0.02) ? '' : g.words(1, 3),
    g.chance(0.03) ? null : g.pick(COUNTRIES),
    g.chance(0.05) ? null : Math.round(g.dbl(-5_000, 250_000) * 100) / 100 + g.dbl(0, 1e-6),
    g.chance(0.8) ? 1 : 0,
    g.datetime(),
    g.chance(0.1) ? null : g.isoZ(),
    g.chance(0.1)
      ? null
      : JSON.stringify({
          theme: g.pick(['dark', 'light', 'système']),
          lang: g.pick(['en', 'de', 'ja', 'pt-BR']),
          notify: g.chance(0.5),
          tz_offset: g.int(-12, 14),
          tags: [g.pick(WORDS), g.pick(WORDS)],
        }),
    g.chance(0.2) ? null : g.blob(16, 64),
  ],
  projects: (id, g, n) => [
    id,
    g.int(1, n.users!),
    `p-${id}-${g.hex(4)}`,
    g.words(1, 4),
    g.chance(0.15) ? null : g.words(5, 40),
    g.chance(0.1) ? null : g.dbl(1_000, 5_000_000),
    g.chance(0.1) ? 1 : 0,
    g.datetime(),
    g.isoZ(),
    g.chance(0.2)
      ? null
      : JSON.stringify({
          color: `#${g.hex(6)}`,
          visibility: g.pick(['private', 'team', 'public']),
          limits: { seats: g.int(1, 500), storage_gb: g.dbl(0, 1000) },
        }),
  ],
  tasks: (id, g, n) => [
    id,
    g.int(1, n.projects!),
    g.chance(0.2) ? null : g.int(1, n.users!),
    g.words(2, 6),
    g.pick(STATUSES),
    g.int(0, 4),
    g.chance(0.3) ? null : g.dbl(0.25, 120),
    g.chance(0.35) ? 1 : 0,
    g.chance(0.4) ? null : g.datetime(),
    g.isoZ(),
    g.chance(0.3) ? null : JSON.stringify([g.pick(WORDS), g.pick(['bug', 'feature', 'chore', 'docs'])]),
  ],
  comments: (id, g, n) => [id, g.int(1, n.tasks!), g.int(1, n.users!), g.words(3, 20), g.chance(0.1) ? 1 : 0, g.chance(0.5) ? null : g.dbl(-1, 1), g.isoZ()],
  events: (id, g, n) => [
    id,
    g.int(1, n.users!),
    g.chance(0.4) ? null : g.int(1, n.tasks!),
    g.pick(KINDS),
    g.isoZ(),
    g.chance(0.3) ? null : g.dbl(-90, 90),
    g.chance(0.3) ? null : g.dbl(-180, 180),
    g.chance(0.1) ? null : g.int(0, 120_000),
    g.chance(0.2) ? null : g.dbl(-1e6, 1e6),
    g.chance(0.97) ? 1 : 0,
    g.chance(0.5) ? null : JSON.stringify({ path: `/app/${g.pick(KINDS)}/${g.int(1, 9999)}`, ua: g.pick(['Firefox', 'Chrome', 'Safari']), ms: g.int(1, 5000) }),
  ],
  attachments: (id, g, n) => {
    const content = g.chance(0.05) ? null : g.blob(256, 2048);
    return [
      id,
      g.int(1, n.tasks!),
      `${g.words(1, 2).replace(/\s+/g, '_')}.${g.pick(['png', 'jpg', 'pdf', 'txt', 'zip'])}`,
      g.pick(MIMES),
      content ? content.length : 0,
      content,
      g.datetime(),
      content ? g.hex(64) : null,
    ];
  },
};

// ---------------------------------------------------------------------------------------------

export interface DatasetTable {
  name: string;
  rows: number;
}

export interface Dataset {
  version: number;
  scale: number;
  file: string;
  bytes: number;
  tables: DatasetTable[];
  rows: number;
  generatedMs: number;
  reused?: boolean;
}

export function datasetFile(scale: number): string {
  return path.join(WORK_DIR, `copy-v${DATASET_VERSION}-s${scale}.db`);
}

/** Makes the file for this scale, or returns the cached one. */
export function ensureDataset(scale: number, opts: { force?: boolean; log?: (s: string) => void } = {}): Dataset {
  const log = opts.log ?? ((s: string) => process.stderr.write(s + '\n'));
  const file = datasetFile(scale);
  const meta = file + '.json';
  if (!opts.force && fs.existsSync(file) && fs.existsSync(meta)) {
    const d = JSON.parse(fs.readFileSync(meta, 'utf8')) as Dataset;
    if (d.version === DATASET_VERSION && d.scale === scale && fs.statSync(file).size === d.bytes) return { ...d, file, reused: true };
  }
  fs.mkdirSync(WORK_DIR, { recursive: true });
  const tmp = file + '.tmp';
  for (const f of [tmp, tmp + '-journal', file, meta]) fs.rmSync(f, { force: true });
  const started = performance.now();
  const n: Record<string, number> = {};
  for (const t of TABLES) n[t.name] = rowsAt(t, scale);

  const db = new Database(tmp);
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -65536');
  // 4 MB of incompressible bytes; blobs are slices of it.
  const poolGen = prng(0xb10b);
  const pool = Buffer.alloc(4 << 20);
  for (let i = 0; i < pool.length; i += 4) pool.writeUInt32LE(Math.floor(poolGen() * 4294967296) >>> 0, i);

  const tables: DatasetTable[] = [];
  TABLES.forEach((t, ti) => {
    db.exec(sqliteCreate(t));
    const ins = db.prepare(`INSERT INTO "${t.name}" VALUES (${t.columns.map(() => '?').join(', ')})`);
    const g = new Gen(1000 + ti, pool);
    const make = ROW[t.name]!;
    const total = n[t.name]!;
    const t0 = performance.now();
    db.transaction(() => {
      for (let id = 1; id <= total; id++) ins.run(make(id, g, n));
    })();
    for (const ix of t.indexes) db.exec(indexSql(t, ix));
    tables.push({ name: t.name, rows: total });
    log(`  ${t.name}: ${total.toLocaleString('en-US')} rows in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  });
  db.close();
  fs.renameSync(tmp, file);
  const d: Dataset = {
    version: DATASET_VERSION,
    scale,
    file,
    bytes: fs.statSync(file).size,
    tables,
    rows: tables.reduce((a, t) => a + t.rows, 0),
    generatedMs: performance.now() - started,
  };
  fs.writeFileSync(meta, JSON.stringify(d, null, 2) + '\n');
  return d;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let scale = 1;
  let force = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--scale') scale = Number(argv[++i]);
    else if (argv[i] === '--force') force = true;
    else throw new Error(`unknown option ${argv[i]}`);
  }
  if (!(scale > 0)) throw new Error('--scale needs a positive number');
  const d = ensureDataset(scale, { force });
  process.stdout.write(
    `${d.file}: ${d.rows.toLocaleString('en-US')} rows, ${(d.bytes / 1048576).toFixed(1)} MiB, ${d.reused ? 'cached' : `made in ${(d.generatedMs / 1000).toFixed(1)} s`}\n`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
