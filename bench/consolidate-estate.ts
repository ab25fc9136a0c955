/**
 * Generates the legacy estate the consolidation benchmark runs on: N SQLite files (default 22,
 * like the runbook's legacy files) with mixed-type tables, about 2-3 tables per file, some files
 * in WAL mode with their newest rows only in the -wal file, plus a ferry config that maps them
 * into core.db, memory.db, analytics.db and agents.db.
 *
 * Rows are made inside SQLite by the `sqlite3` command line (recursive CTEs, one process per
 * file, as many at once as there are cores), so no row passes through JavaScript. Generation is
 * not part of what is measured. A finished estate is cached under bench/work/ and reused when it
 * was made with the same parameters.
 *
 *   node dist/bench/consolidate-estate.js [--rows N] [--files N] [--force]
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Bump when the generated content changes, so cached estates are not reused. */
const ESTATE_VERSION = 1;

/** bench/ in the source tree (this file runs from dist/bench/). */
export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench');
export const WORK_DIR = path.join(BENCH_DIR, 'work');

export const TARGETS = ['core.db', 'memory.db', 'analytics.db', 'agents.db'] as const;

export interface EstateParams {
  /** Total rows over all tables (default 2,000,000). */
  rows?: number;
  /** Number of source files (default 22; at least 4). */
  files?: number;
  /** Regenerate even when a cached estate exists. */
  force?: boolean;
  /** Progress lines (default: to stderr). */
  log?: (line: string) => void;
}

export interface EstateTable {
  name: string;
  rows: number;
  /** Rows written last and left only in the -wal file. */
  walRows: number;
  /** Copied by the consolidation (false for scratch tables a `tables` mapping leaves behind). */
  mapped: boolean;
}

export interface EstateFile {
  file: string;
  target: string;
  wal: boolean;
  /** The config maps this file with an explicit `tables` list instead of the whole file. */
  tablesKey: boolean;
  tables: EstateTable[];
}

/** What ensureEstate() returns (also written as estate.json in the estate folder). */
export interface Estate {
  version: number;
  dir: string;
  /** Folder holding the source files (`sources/` inside dir). */
  sourceDir: string;
  /** ferry config (JSON) inside dir; its paths are relative to dir. */
  configFile: string;
  rows: number;
  movedRows: number;
  files: EstateFile[];
  bytes: number;
  generatedMs: number;
  reused?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Table templates: the CREATE statement, the indexes, and an INSERT ... SELECT over x = lo..hi.

type TemplateName =
  | 'events'
  | 'messages'
  | 'memories'
  | 'metrics'
  | 'rollups'
  | 'kv'
  | 'ratings'
  | 'sessions'
  | 'users'
  | 'attachments'
  | 'links'
  | 'toolcalls'
  | 'embeddings'
  | 'scratch';

interface Ctx {
  /** Added to integer keys so tables merged from several files never collide. */
  off: number;
  /** Distance between consecutive integer keys (> 1: sparse rowids, as after many deletes). */
  step: number;
  /** Distinguishes the text keys of tables merged from several files. */
  tag: string;
  /** Seconds added to timestamps. */
  epoch: number;
}

interface Template {
  create: (t: string) => string;
  indexes: (t: string) => string[];
  columns: string[];
  /** Expressions over the counter x, one per column. */
  values: (c: Ctx) => string[];
}

/** Text with the characters naive copies get wrong: accents, emoji, quotes, tabs, newlines. */
const LOREM =
  'Lorem ipsum dolor sit amet, naïve café — crème brûlée; 😀 emoji and 日本語 text. It\'s "quoted" and back\\slashed, tab\there, line\nbreak. ' +
  'Sed ut perspiciatis unde omnis iste natus error sit voluptatem accusantium doloremque laudantium, totam rem aperiam, eaque ipsa quae ab illo ' +
  'inventore veritatis et quasi architecto beatae vitae dicta sunt explicabo. Nemo enim ipsam voluptatem quia voluptas sit aspernatur aut odit aut ' +
  'fugit, sed quia consequuntur magni dolores eos qui ratione voluptatem sequi nesciunt. Neque porro quisquam est, qui dolorem ipsum quia dolor.';

const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
const qi = (s: string) => `"${s.replace(/"/g, '""')}"`;
const L = lit(LOREM);
const text = (min: number, spread: number, salt: number) => `substr(${L}, 1 + (x * ${salt}) % 300, ${min} + (x * 13) % ${spread})`;
const iso = (c: Ctx, secondsPerRow: string) => `strftime('%Y-%m-%dT%H:%M:%fZ', ${1577836800 + c.epoch} + x * ${secondsPerRow}, 'unixepoch')`;
/** A REAL with the awkward ones mixed in: the largest double, the smallest subnormal, NULLs. */
const double = (scale: string) =>
  `CASE WHEN x % 97 = 0 THEN 1.7976931348623157e308 WHEN x % 89 = 0 THEN 5e-324 WHEN x % 13 = 0 THEN NULL ELSE (random() % 100000000) / ${scale} END`;
/** An int64 over the whole range, with both ends included. */
const int64 = `CASE x % 101 WHEN 0 THEN -9223372036854775808 WHEN 1 THEN 9223372036854775807 ELSE random() END`;
const bool = (m: number) => `(x % ${m} = 0)`;
const json = `json_object('seq', x, 'tags', json_array('t' || (x % 7), 'u' || (x % 11)), 'flag', json(CASE WHEN x % 2 THEN 'true' ELSE 'false' END), 'ratio', x / 7.0, 'note', CASE WHEN x % 9 = 0 THEN NULL ELSE 'naïve ☕' END)`;
const id = (c: Ctx) => `${c.off} + x * ${c.step}`;

const TEMPLATES: Record<TemplateName, Template> = {
  events: {
    create: (t) =>
      `CREATE TABLE ${qi(t)} (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, actor TEXT, payload TEXT, score REAL, amount INTEGER, ok INTEGER NOT NULL DEFAULT 0 CHECK (ok IN (0, 1)), created_at TEXT NOT NULL)`,
    indexes: (t) => [`CREATE INDEX ${qi(`idx_${t}_created`)} ON ${qi(t)} (created_at)`, `CREATE INDEX ${qi(`idx_${t}_kind_actor`)} ON ${qi(t)} (kind, actor)`],
    columns: ['id', 'kind', 'actor', 'payload', 'score', 'amount', 'ok', 'created_at'],
    values: (c) => [
      id(c),
      `CASE x % 5 WHEN 0 THEN 'created' WHEN 1 THEN 'updated' WHEN 2 THEN 'deleted' WHEN 3 THEN 'viewed' ELSE 'shared' END`,
      `CASE WHEN x % 17 = 0 THEN NULL ELSE 'user-' || (x % 9973) END`,
      json,
      double('1000.0'),
      int64,
      bool(2),
      iso(c, '2.5'),
    ],
  },
  messages: {
    create: (t) =>
      `CREATE TABLE ${qi(t)} (id INTEGER PRIMARY KEY, thread_id INTEGER NOT NULL, author TEXT, role TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'system')), body TEXT, tokens INTEGER, edited INTEGER NOT NULL DEFAULT 0, meta TEXT, created_at TEXT NOT NULL)`,
    indexes: (t) => [`CREATE INDEX ${qi(`idx_${t}_thread`)} ON ${qi(t)} (thread_id, created_at)`],
    columns: ['id', 'thread_id', 'author', 'role', 'body', 'tokens', 'edited', 'meta', 'created_at'],
    values: (c) => [
      id(c),
      `${c.off} + x / 20`,
      `CASE WHEN x % 23 = 0 THEN NULL ELSE 'agent-' || (x % 31) END`,
      `CASE x % 3 WHEN 0 THEN 'user' WHEN 1 THEN 'assistant' ELSE 'system' END`,
      `CASE WHEN x % 41 = 0 THEN NULL WHEN x % 43 = 0 THEN '' ELSE ${text(30, 170, 37)} END`,
      `x % 4000`,
      bool(11),
      `CASE WHEN x % 4 = 0 THEN NULL ELSE json_object('model', 'm-' || (x % 5), 'latency_ms', x % 1000 + 0.5) END`,
      iso(c, '1.5'),
    ],
  },
  memories: {
    create: (t) =>
      `CREATE TABLE ${qi(t)} (id TEXT PRIMARY KEY, tier TEXT NOT NULL, content TEXT, embedding BLOB, importance REAL DEFAULT 0.5, access_count INTEGER NOT NULL DEFAULT 0, archived INTEGER NOT NULL DEFAULT 0, created_at TEXT, updated_at TEXT)`,
    indexes: (t) => [`CREATE INDEX ${qi(`idx_${t}_tier`)} ON ${qi(t)} (tier, importance)`],
    columns: ['id', 'tier', 'content', 'embedding', 'importance', 'access_count', 'archived', 'created_at', 'updated_at'],
    values: (c) => [
      // uuid-like keys in random order, as legacy memory stores have them
      `lower(hex(randomblob(16)))`,
      `CASE x % 4 WHEN 0 THEN 'fast' WHEN 1 THEN 'medium' WHEN 2 THEN 'slow' ELSE 'glacial' END`,
      `CASE WHEN x % 9 = 0 THEN NULL ELSE ${text(20, 120, 53)} END`,
      `CASE WHEN x % 29 = 0 THEN NULL WHEN x % 31 = 0 THEN zeroblob(0) ELSE randomblob(48) END`,
      `(x % 1000) / 1000.0`,
      `x % 500`,
      bool(7),
      iso(c, '4'),
      `CASE WHEN x % 2 = 0 THEN NULL ELSE ${iso(c, '4.5')} END`,
    ],
  },
  metrics: {
    // No key at all (rowid only), and a column without a declared type holding mixed storage classes.
    create: (t) => `CREATE TABLE ${qi(t)} (ts TEXT NOT NULL, name TEXT NOT NULL, value, count INTEGER, tags TEXT)`,
    indexes: () => [],
    columns: ['ts', 'name', 'value', 'count', 'tags'],
    values: (c) => [
      iso(c, '0.5'),
      `'metric.' || (x % 257)`,
      `CASE WHEN x % 10 = 0 THEN x WHEN x % 101 = 0 THEN 'n/a' WHEN x % 103 = 0 THEN NULL ELSE x * 0.37 END`,
      `x % 1000`,
      `CASE WHEN x % 3 = 0 THEN NULL ELSE json_array('host-' || (x % 16), 'region-' || (x % 4)) END`,
    ],
  },
  rollups: {
    create: (t) => `CREATE TABLE ${qi(t)} (day TEXT NOT NULL, metric TEXT NOT NULL, total REAL, samples INTEGER, p95 REAL, UNIQUE (day, metric))`,
    indexes: () => [],
    columns: ['day', 'metric', 'total', 'samples', 'p95'],
    values: (c) => [`date('2000-01-01', '+' || (x / 257) || ' days')`, `'metric.' || (x % 257) || '.${c.tag}'`, double('10.0'), `x % 86400`, `x * 0.01`],
  },
  kv: {
    create: (t) => `CREATE TABLE ${qi(t)} (key TEXT PRIMARY KEY, value TEXT, updated_at TEXT NOT NULL) WITHOUT ROWID`,
    indexes: () => [],
    columns: ['key', 'value', 'updated_at'],
    values: (c) => [`'key/${c.tag}/' || x`, `CASE WHEN x % 5 = 0 THEN NULL WHEN x % 5 = 1 THEN ${json} ELSE ${text(5, 40, 11)} END`, iso(c, '60')],
  },
  ratings: {
    create: (t) =>
      `CREATE TABLE ${qi(t)} (agent TEXT NOT NULL, season INTEGER NOT NULL, rating REAL NOT NULL, games INTEGER DEFAULT 0, peak REAL, PRIMARY KEY (agent, season)) WITHOUT ROWID`,
    indexes: (t) => [`CREATE INDEX ${qi(`idx_${t}_rank`)} ON ${qi(t)} (season, rating)`],
    columns: ['agent', 'season', 'rating', 'games', 'peak'],
    values: () => [`'agent-' || (x / 20)`, `x % 20`, `1500 + (x % 400) + 0.25`, `x % 300`, `CASE WHEN x % 3 = 0 THEN NULL ELSE 1600 + (x % 500) * 0.5 END`],
  },
  sessions: {
    create: (t) =>
      `CREATE TABLE ${qi(t)} (id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER NOT NULL, token BLOB NOT NULL, started_at TEXT NOT NULL, ended_at TEXT, duration REAL, active INTEGER NOT NULL DEFAULT 1)`,
    indexes: (t) => [`CREATE INDEX ${qi(`idx_${t}_user`)} ON ${qi(t)} (user_id)`],
    columns: ['id', 'user_id', 'token', 'started_at', 'ended_at', 'duration', 'active'],
    values: (c) => [id(c), `x % 50000`, `randomblob(16)`, iso(c, '3'), `CASE WHEN x % 4 = 0 THEN NULL ELSE ${iso(c, '3.2')} END`, double('100.0'), bool(4)],
  },
  users: {
    create: (t) =>
      `CREATE TABLE ${qi(t)} (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE COLLATE NOCASE, display_name TEXT, is_admin INTEGER NOT NULL DEFAULT 0, balance REAL, avatar BLOB, prefs TEXT, created_at TEXT NOT NULL)`,
    indexes: (t) => [`CREATE INDEX ${qi(`idx_${t}_created`)} ON ${qi(t)} (created_at)`],
    columns: ['id', 'email', 'display_name', 'is_admin', 'balance', 'avatar', 'prefs', 'created_at'],
    values: (c) => [
      id(c),
      `'user' || x || '@example.com'`,
      `CASE WHEN x % 7 = 0 THEN NULL ELSE 'Ünïcode Üser ' || x END`,
      bool(1000),
      double('100.0'),
      `CASE WHEN x % 5 = 0 THEN randomblob(64 + x % 192) ELSE NULL END`,
      json,
      iso(c, '30'),
    ],
  },
  attachments: {
    create: (t) =>
      `CREATE TABLE ${qi(t)} (id INTEGER PRIMARY KEY, owner_id INTEGER, filename TEXT NOT NULL, mime TEXT, size INTEGER, data BLOB, sha1 TEXT, created_at TEXT)`,
    indexes: (t) => [`CREATE INDEX ${qi(`idx_${t}_owner`)} ON ${qi(t)} (owner_id)`],
    columns: ['id', 'owner_id', 'filename', 'mime', 'size', 'data', 'sha1', 'created_at'],
    values: (c) => [
      id(c),
      `x / 3`,
      `'file-' || x || CASE x % 3 WHEN 0 THEN '.png' WHEN 1 THEN '.pdf' ELSE '.txt' END`,
      `CASE x % 3 WHEN 0 THEN 'image/png' WHEN 1 THEN 'application/pdf' ELSE NULL END`,
      `256 + x % 1024`,
      `CASE WHEN x % 50 = 0 THEN zeroblob(0) WHEN x % 51 = 0 THEN NULL ELSE randomblob(256 + x % 1024) END`,
      `lower(hex(randomblob(20)))`,
      iso(c, '17'),
    ],
  },
  links: {
    create: (t) =>
      `CREATE TABLE ${qi(t)} (src INTEGER NOT NULL, dst INTEGER NOT NULL, relation TEXT NOT NULL, weight REAL, PRIMARY KEY (src, dst, relation)) WITHOUT ROWID`,
    indexes: (t) => [`CREATE INDEX ${qi(`idx_${t}_dst`)} ON ${qi(t)} (dst)`],
    columns: ['src', 'dst', 'relation', 'weight'],
    values: () => [
      `x / 8`,
      `(x * 7919) % 1000003`,
      `CASE x % 3 WHEN 0 THEN 'supports' WHEN 1 THEN 'refutes' ELSE 'mentions' END || '#' || x`,
      `CASE WHEN x % 6 = 0 THEN NULL ELSE (x % 100) / 100.0 END`,
    ],
  },
  toolcalls: {
    create: (t) =>
      `CREATE TABLE ${qi(t)} (id INTEGER PRIMARY KEY, message_id INTEGER NOT NULL, tool TEXT NOT NULL, args TEXT, result TEXT, duration_ms REAL, success INTEGER NOT NULL, error TEXT, created_at TEXT NOT NULL)`,
    indexes: (t) => [`CREATE INDEX ${qi(`idx_${t}_tool`)} ON ${qi(t)} (tool)`, `CREATE INDEX ${qi(`idx_${t}_message`)} ON ${qi(t)} (message_id)`],
    columns: ['id', 'message_id', 'tool', 'args', 'result', 'duration_ms', 'success', 'error', 'created_at'],
    values: (c) => [
      id(c),
      `${c.off} + x * 2`,
      `'tool.' || (x % 40)`,
      json,
      `CASE WHEN x % 8 = 0 THEN NULL ELSE ${text(10, 90, 71)} END`,
      double('1000.0'),
      `x % 19 <> 0`,
      `CASE WHEN x % 19 = 0 THEN 'timeout after ' || (x % 60) || 's' ELSE NULL END`,
      iso(c, '0.8'),
    ],
  },
  embeddings: {
    create: (t) =>
      `CREATE TABLE ${qi(t)} (id INTEGER PRIMARY KEY, memory_id TEXT NOT NULL, model TEXT NOT NULL, dim INTEGER NOT NULL, vector BLOB NOT NULL, norm REAL, created_at TEXT)`,
    indexes: (t) => [`CREATE INDEX ${qi(`idx_${t}_memory`)} ON ${qi(t)} (memory_id)`],
    columns: ['id', 'memory_id', 'model', 'dim', 'vector', 'norm', 'created_at'],
    values: (c) => [
      id(c),
      `lower(hex(randomblob(8)))`,
      `CASE x % 3 WHEN 0 THEN 'text-embedding-small' WHEN 1 THEN 'text-embedding-large' ELSE 'local-minilm' END`,
      `32`,
      `randomblob(128)`,
      `CASE WHEN x % 13 = 0 THEN NULL ELSE 0.5 + (x % 1000) / 2000.0 END`,
      iso(c, '9'),
    ],
  },
  scratch: {
    create: (t) => `CREATE TABLE ${qi(t)} (k TEXT, v BLOB)`,
    indexes: () => [],
    columns: ['k', 'v'],
    values: () => [`'tmp-' || x`, `randomblob(32)`],
  },
};

// ---------------------------------------------------------------------------------------------
// The catalog of files. Ordered so that the first N files still cover all four targets.

interface TableDef {
  name: string;
  template: TemplateName;
  /** Share of the estate's rows. */
  weight: number;
  step?: number;
  /** Left behind by the file's `tables` mapping. */
  unmapped?: boolean;
}

interface FileDef {
  file: string;
  target: (typeof TARGETS)[number];
  wal?: boolean;
  /** Mapped with an explicit `tables` list (the mapped tables, under their own names). */
  tablesKey?: boolean;
  tables: TableDef[];
  /** Views and triggers created after the rows. */
  extra?: string[];
}

const agentFile = (n: string, wal = false): FileDef => ({
  file: `agent_${n}.db`,
  target: 'agents.db',
  wal,
  tables: [
    { name: 'agent_messages', template: 'messages', weight: 2.5 },
    { name: 'tool_calls', template: 'toolcalls', weight: 1.5 },
  ],
});

const CATALOG: FileDef[] = [
  {
    file: 'debates.db',
    target: 'core.db',
    wal: true,
    tables: [
      { name: 'debates', template: 'events', weight: 7 },
      { name: 'debate_messages', template: 'messages', weight: 9 },
    ],
    extra: [`CREATE VIEW recent_debates AS SELECT id, kind, created_at FROM debates WHERE ok = 1`],
  },
  {
    file: 'continuum.db',
    target: 'memory.db',
    wal: true,
    tables: [
      { name: 'memories', template: 'memories', weight: 8 },
      { name: 'tier_transitions', template: 'events', weight: 3 },
    ],
  },
  {
    file: 'metrics_2023.db',
    target: 'analytics.db',
    tables: [
      { name: 'metrics', template: 'metrics', weight: 6 },
      { name: 'daily_rollups', template: 'rollups', weight: 1 },
    ],
  },
  agentFile('alpha', true),
  {
    file: 'users.db',
    target: 'core.db',
    tables: [
      { name: 'users', template: 'users', weight: 2 },
      { name: 'user_sessions', template: 'sessions', weight: 3 },
    ],
    extra: [`CREATE TRIGGER users_cascade AFTER DELETE ON users BEGIN DELETE FROM user_sessions WHERE user_id = OLD.id; END`],
  },
  { file: 'embeddings.db', target: 'memory.db', tables: [{ name: 'embeddings', template: 'embeddings', weight: 5 }] },
  {
    file: 'metrics_2024.db',
    target: 'analytics.db',
    tables: [
      { name: 'metrics', template: 'metrics', weight: 7 },
      { name: 'daily_rollups', template: 'rollups', weight: 1 },
    ],
  },
  agentFile('beta'),
  { file: 'audit_log.db', target: 'core.db', wal: true, tables: [{ name: 'audit_events', template: 'events', weight: 6, step: 5 }] },
  {
    file: 'knowledge.db',
    target: 'memory.db',
    tables: [
      { name: 'facts', template: 'memories', weight: 4 },
      { name: 'fact_links', template: 'links', weight: 3 },
    ],
  },
  {
    file: 'elo.db',
    target: 'analytics.db',
    tables: [
      { name: 'ratings', template: 'ratings', weight: 1.5 },
      { name: 'matches', template: 'events', weight: 3 },
    ],
  },
  agentFile('gamma'),
  {
    file: 'votes.db',
    target: 'core.db',
    tables: [
      { name: 'votes', template: 'events', weight: 5 },
      { name: 'vote_tallies', template: 'kv', weight: 0.2 },
    ],
  },
  { file: 'memory_archive.db', target: 'memory.db', tables: [{ name: 'memories_archive', template: 'memories', weight: 4 }] },
  { file: 'traces.db', target: 'analytics.db', wal: true, tables: [{ name: 'spans', template: 'toolcalls', weight: 6 }] },
  agentFile('delta', true),
  {
    file: 'settings.db',
    target: 'core.db',
    tables: [
      { name: 'settings', template: 'kv', weight: 0.1 },
      { name: 'feature_flags', template: 'kv', weight: 0.05 },
    ],
  },
  {
    file: 'scratchpad.db',
    target: 'memory.db',
    tablesKey: true,
    tables: [
      { name: 'notes', template: 'messages', weight: 2 },
      { name: 'note_attachments', template: 'attachments', weight: 0.8 },
      { name: 'tmp_cache', template: 'scratch', weight: 0.05, unmapped: true },
    ],
  },
  {
    file: 'usage.db',
    target: 'analytics.db',
    tablesKey: true,
    tables: [
      { name: 'usage_events', template: 'events', weight: 4 },
      { name: 'usage_daily', template: 'rollups', weight: 0.5 },
      { name: 'scratch', template: 'scratch', weight: 0.05, unmapped: true },
    ],
  },
  agentFile('epsilon'),
  {
    file: 'notifications.db',
    target: 'core.db',
    tables: [
      { name: 'notifications', template: 'events', weight: 3 },
      { name: 'notification_prefs', template: 'kv', weight: 0.2 },
    ],
  },
  agentFile('zeta'),
];

function catalog(files: number): FileDef[] {
  if (!Number.isInteger(files) || files < 4) throw new Error(`--files must be an integer >= 4 (got ${files})`);
  const out = CATALOG.slice(0, files);
  for (let i = CATALOG.length; i < files; i++) out.push(agentFile(String(i + 1).padStart(3, '0'), i % 3 === 0));
  return out;
}

/** Rows per table: the total split by weight, every table at least one row, adding up exactly. */
function distribute(defs: FileDef[], total: number): number[][] {
  const weights = defs.map((f) => f.tables.map((t) => t.weight));
  const sum = weights.flat().reduce((a, b) => a + b, 0);
  const rows = weights.map((ws) => ws.map((w) => Math.max(1, Math.floor((total * w) / sum))));
  // Put the remainder on the largest table (the estate's total is exact).
  let fi = 0;
  let ti = 0;
  rows.forEach((rs, f) =>
    rs.forEach((r, t) => {
      if (r > rows[fi]![ti]!) [fi, ti] = [f, t];
    }),
  );
  rows[fi]![ti]! += total - rows.flat().reduce((a, b) => a + b, 0);
  return rows;
}

// ---------------------------------------------------------------------------------------------

/** Returns the estate for these parameters, generating it unless a complete cached one exists. */
export async function ensureEstate(params: EstateParams = {}): Promise<Estate> {
  const rows = params.rows ?? 2_000_000;
  const files = params.files ?? 22;
  const log = params.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const dir = path.join(WORK_DIR, `estate-v${ESTATE_VERSION}-f${files}-r${rows}`);
  const marker = path.join(dir, 'estate.json');
  if (!params.force && fs.existsSync(marker)) {
    const e = JSON.parse(fs.readFileSync(marker, 'utf8')) as Estate;
    if (e.version === ESTATE_VERSION && e.rows === rows && e.files.length === files) return { ...e, reused: true };
  }
  const defs = catalog(files);
  const perTable = distribute(defs, rows);
  const started = Date.now();
  fs.rmSync(dir, { recursive: true, force: true });
  const sourceDir = path.join(dir, 'sources');
  fs.mkdirSync(sourceDir, { recursive: true });
  log(`generating ${files} files, ${rows.toLocaleString('en-US')} rows in ${dir} ...`);

  const estateFiles: EstateFile[] = defs.map((f, i) => ({
    file: f.file,
    target: f.target,
    wal: !!f.wal,
    tablesKey: !!f.tablesKey,
    tables: f.tables.map((t, j) => {
      const n = perTable[i]![j]!;
      // WAL files keep their newest rows (of their first table) only in the -wal file.
      const walRows = f.wal && j === 0 ? Math.min(5000, Math.floor(n / 100)) : 0;
      return { name: t.name, rows: n, walRows, mapped: !t.unmapped };
    }),
  }));

  const jobs = defs.map((f, i) => async () => {
    const file = path.join(sourceDir, f.file);
    const ef = estateFiles[i]!;
    const ctx = (j: number): Ctx => ({ off: i * 100_000_000_000, step: f.tables[j]!.step ?? 1, tag: f.file.replace(/\.db$/, ''), epoch: i * 86_400 });
    const sql: string[] = ['.bail on', 'PRAGMA journal_mode = DELETE;', 'PRAGMA synchronous = OFF;', 'PRAGMA cache_size = -65536;', 'BEGIN;'];
    f.tables.forEach((t) => sql.push(TEMPLATES[t.template].create(t.name) + ';'));
    f.tables.forEach((t, j) => sql.push(insertSql(t, ctx(j), 1, ef.tables[j]!.rows - ef.tables[j]!.walRows)));
    sql.push('COMMIT;');
    f.tables.forEach((t) => TEMPLATES[t.template].indexes(t.name).forEach((s) => sql.push(s + ';')));
    (f.extra ?? []).forEach((s) => sql.push(s + ';'));
    if (f.wal) sql.push('PRAGMA journal_mode = WAL;');
    await sqlite3(file, sql.join('\n'));
    const tail = ef.tables.map((t, j) => ({ t, j })).filter(({ t }) => t.walRows > 0);
    if (tail.length) {
      // The newest rows go in from a sqlite3 that is killed right after its commit, so they stay
      // in the -wal file (a clean close would checkpoint them into the main file).
      const walSql = [
        '.bail on',
        'PRAGMA wal_autocheckpoint = 0;',
        'BEGIN;',
        ...tail.map(({ t, j }) => insertSql(f.tables[j]!, ctx(j), t.rows - t.walRows + 1, t.rows)),
        'COMMIT;',
        '.shell kill -9 $PPID',
      ];
      await sqlite3(file, walSql.join('\n'), true);
      if (!fs.existsSync(file + '-wal') || fs.statSync(file + '-wal').size === 0) throw new Error(`expected rows left in ${file}-wal`);
    }
    log(`  ${f.file} (${ef.tables.map((t) => `${t.name} ${t.rows}`).join(', ')})`);
  });
  await pool(jobs, Math.max(1, os.availableParallelism?.() ?? os.cpus().length));

  // Count what is there (through the -wal files too) so a broken generator cannot go unnoticed.
  for (const ef of estateFiles) {
    const file = path.join(sourceDir, ef.file);
    for (const t of ef.tables) {
      const n = Number(runSqlite3(`file:${file}?mode=ro`, `SELECT count(*) FROM ${qi(t.name)};`).trim());
      if (n !== t.rows) throw new Error(`${ef.file}:${t.name} has ${n} rows, expected ${t.rows}`);
    }
  }

  const config = {
    consolidate: {
      sourceDir: 'sources',
      targetDir: 'consolidated',
      backupDir: 'backup',
      sources: Object.fromEntries(
        estateFiles.map((f) => [
          f.file,
          f.tablesKey ? { target: f.target, tables: Object.fromEntries(f.tables.filter((t) => t.mapped).map((t) => [t.name, {}])) } : { target: f.target },
        ]),
      ),
    },
  };
  const configFile = path.join(dir, 'ferry.config.json');
  fs.writeFileSync(configFile, JSON.stringify(config, null, 2) + '\n');
  const estate: Estate = {
    version: ESTATE_VERSION,
    dir,
    sourceDir,
    configFile,
    rows,
    movedRows: estateFiles.reduce((s, f) => s + f.tables.filter((t) => t.mapped).reduce((a, t) => a + t.rows, 0), 0),
    files: estateFiles,
    bytes: dirBytes(sourceDir),
    generatedMs: Date.now() - started,
  };
  fs.writeFileSync(marker, JSON.stringify(estate, null, 2) + '\n');
  log(`generated in ${(estate.generatedMs / 1000).toFixed(1)} s, ${(estate.bytes / 2 ** 20).toFixed(0)} MB`);
  return estate;
}

function insertSql(t: TableDef, c: Ctx, lo: number, hi: number): string {
  if (hi < lo) return '';
  const tpl = TEMPLATES[t.template];
  return `INSERT INTO ${qi(t.name)} (${tpl.columns.map(qi).join(', ')}) WITH RECURSIVE c(x) AS (SELECT ${lo} UNION ALL SELECT x + 1 FROM c WHERE x < ${hi}) SELECT ${tpl.values(c).join(', ')} FROM c;`;
}

/** Runs an SQL script through the sqlite3 command line; `killed` expects it to SIGKILL itself. */
function sqlite3(file: string, script: string, killed = false): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('sqlite3', [file], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (code, signal) => {
      if (killed ? signal === 'SIGKILL' || code === 137 : code === 0) resolve();
      else reject(new Error(`sqlite3 ${file} failed (${code ?? signal}): ${err.trim()}`));
    });
    p.stdin.end(script);
  });
}

function runSqlite3(file: string, sql: string): string {
  const r = spawnSync('sqlite3', [file, sql], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sqlite3 ${file}: ${r.stderr}`);
  return r.stdout;
}

async function pool(jobs: (() => Promise<void>)[], size: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(size, jobs.length) }, async () => {
      while (next < jobs.length) await jobs[next++]!();
    }),
  );
}

/** Bytes of the files in a folder (not recursive). */
export function dirBytes(dir: string): number {
  return fs.readdirSync(dir).reduce((s, f) => {
    const st = fs.statSync(path.join(dir, f));
    return st.isFile() ? s + st.size : s;
  }, 0);
}

function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const args = process.argv.slice(2);
  const estate = await ensureEstate({
    rows: Number(argValue(args, '--rows') ?? 2_000_000),
    files: Number(argValue(args, '--files') ?? 22),
    force: args.includes('--force'),
  });
  process.stdout.write(`${estate.dir}${estate.reused ? ' (cached)' : ''}\n`);
}
