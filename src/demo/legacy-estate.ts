import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { FerryConfig } from '../config/types.js';
import type { Engine } from '../engine/types.js';
import { connect } from '../engines/registry.js';
import type { Row } from '../values/value.js';

/**
 * A small legacy estate like the ones the consolidation runbook starts from: several SQLite files
 * (some in WAL mode with their newest rows only in the -wal file), awkward values, and a config
 * that consolidates them into core.db, memory.db and analytics.db with a rename and a column
 * subset. Used by `npm run demo` and by the tests.
 */
export interface EstateOptions {
  /** Folder to create the estate in (its `.nomic` subfolder holds the files). */
  dir: string;
  /** Rows per main table (default 2000). */
  rows?: number;
  /** Rows written last and left only in the -wal file of WAL-mode files (default 25). */
  walRows?: number;
}

export interface Estate {
  sourceDir: string;
  configFile: string;
  config: FerryConfig;
  files: string[];
}

/** Values that break naive copies. */
export const AWKWARD = {
  int64Min: -9223372036854775808n,
  int64Max: 9223372036854775807n,
  doubles: [0.1, 601002.052186677, 1.7976931348623157e308, 5e-324, -2.5e-300, 1 / 3],
  texts: ['', 'naïve café', '😀 emoji', 'tab\there', 'line\nbreak', `quote ' and " and \\`, '\\N', 'NULL'],
  blobs: [Buffer.from([0, 0, 0]), Buffer.from([0xff, 0x00, 0x7f, 0x80]), Buffer.alloc(0)],
};

export async function generateEstate(options: EstateOptions): Promise<Estate> {
  const rows = options.rows ?? 2000;
  const walRows = options.walRows ?? 25;
  const sourceDir = path.join(options.dir, '.nomic');
  fs.mkdirSync(sourceDir, { recursive: true });
  await writeEstateFiles(sourceDir, rows);

  if (walRows > 0) {
    writeRowsOnlyInWal(
      path.join(sourceDir, 'debates.db'),
      `INSERT INTO debates (topic, score, big, payload) VALUES ('wal-only #' || ?, ?, ?, zeroblob(4))`,
      walRows,
    );
    writeRowsOnlyInWal(path.join(sourceDir, 'continuum.db'), `INSERT INTO memories (id, tier, content) VALUES ('wal-' || ?, 'fast', 'newest ' || ?)`, walRows);
  }

  const config: FerryConfig = {
    consolidate: {
      sourceDir: '.nomic',
      targetDir: '.nomic/consolidated',
      backupDir: '.nomic/backup',
      sources: {
        'debates.db': { target: 'core.db' },
        'continuum.db': {
          target: 'memory.db',
          tables: {
            memories: { as: 'continuum_memory', columns: ['id', 'tier', 'content', 'created_at'] },
            tier_transitions: {},
          },
        },
        'elo.db': { target: 'analytics.db' },
        'elo_archive.db': { target: 'analytics.db', onConflict: 'skip' },
        'personas.db': { target: 'agents.db' },
      },
    },
  };
  const configFile = path.join(options.dir, 'ferry.config.json');
  fs.writeFileSync(configFile, JSON.stringify(config, null, 2) + '\n');
  return { sourceDir, configFile, config, files: fs.readdirSync(sourceDir).filter((f) => f.endsWith('.db')) };
}

/** Writes the estate's database files into `sourceDir` with `rows` rows per main table. */
export async function writeEstateFiles(sourceDir: string, rows: number): Promise<void> {
  await writeDebates(path.join(sourceDir, 'debates.db'), rows);
  await writeContinuum(path.join(sourceDir, 'continuum.db'), rows);
  // Two files feeding one analytics table, with overlapping keys resolved by the config.
  await writeRatings(path.join(sourceDir, 'elo.db'), 0, rows, true);
  await writeRatings(path.join(sourceDir, 'elo_archive.db'), rows - 10, rows, false);
  await writePersonas(path.join(sourceDir, 'personas.db'), Math.min(rows, 500));
  // A file nobody mapped: reported as "unmapped" by the dry-run.
  const old = await open(path.join(sourceDir, 'old_experiments.db'), false);
  await old.exec('CREATE TABLE t (x)');
  await old.close();
}

async function writeDebates(file: string, rows: number): Promise<void> {
  const db = await open(file, true);
  await db.exec(`
    CREATE TABLE debates (id INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','closed')), score REAL, big INTEGER, payload BLOB, created_at TEXT DEFAULT CURRENT_TIMESTAMP);
    CREATE TABLE "Debate Messages" (id INTEGER PRIMARY KEY, debate_id INTEGER NOT NULL REFERENCES debates(id) ON DELETE CASCADE, "Author" TEXT, body TEXT, CONSTRAINT body_not_blank CHECK (body IS NULL OR length(body) >= 0));
    CREATE INDEX idx_messages_debate ON "Debate Messages"(debate_id);
    CREATE INDEX idx_debates_open ON debates(created_at) WHERE status = 'open';
    CREATE INDEX idx_debates_lower_topic ON debates(lower(topic));
    CREATE VIEW open_debates AS SELECT id, topic FROM debates WHERE status = 'open';
  `);
  const debate = (i: number): Row => [
    AWKWARD.texts[i % AWKWARD.texts.length]! + ` #${i}`,
    i % 3 ? 'open' : 'closed',
    i % 11 === 0 ? null : AWKWARD.doubles[i % AWKWARD.doubles.length]! * (i + 1),
    i === 0 ? AWKWARD.int64Min : i === 1 ? AWKWARD.int64Max : BigInt(i) * 1_000_000_007n,
    i % 5 === 0 ? null : AWKWARD.blobs[i % AWKWARD.blobs.length]!,
    `2024-01-${String((i % 28) + 1).padStart(2, '0')} 10:00:00`,
  ];
  const message = (i: number): Row => [i + 1, i % 7 === 0 ? null : `agent-${i % 13}`, AWKWARD.texts[(i * 3) % AWKWARD.texts.length]!];
  await db.transaction(async () => {
    await db.writeRows('debates', ['topic', 'status', 'score', 'big', 'payload', 'created_at'], batches(rows, debate));
    await db.writeRows('Debate Messages', ['debate_id', 'Author', 'body'], batches(rows, message));
  });
  await db.close();
}

async function writeContinuum(file: string, rows: number): Promise<void> {
  const db = await open(file, true);
  await db.exec(`
    CREATE TABLE memories (id TEXT PRIMARY KEY, tier TEXT NOT NULL, content TEXT, created_at TEXT, embedding BLOB, importance REAL DEFAULT 0.5);
    CREATE INDEX idx_memories_tier ON memories(tier);
    CREATE INDEX idx_memories_embedding ON memories(embedding);
    CREATE TABLE tier_transitions (id INTEGER PRIMARY KEY, memory_id TEXT REFERENCES memories(id), from_tier TEXT, to_tier TEXT, at REAL);
    CREATE TABLE scratch (k TEXT, v TEXT);
  `);
  const memory = (i: number): Row => [
    `mem-${i}`,
    ['fast', 'medium', 'slow', 'glacial'][i % 4]!,
    i % 9 === 0 ? null : AWKWARD.texts[i % AWKWARD.texts.length]!,
    `2024-02-01T00:00:${String(i % 60).padStart(2, '0')}Z`,
    AWKWARD.blobs[i % 3]!,
    i / 7,
  ];
  // Every other memory moved from the fast tier to the medium one.
  const transition = (n: number): Row => [`mem-${2 * n}`, 'fast', 'medium', 1700000000.123456 + 2 * n];
  await db.transaction(async () => {
    await db.writeRows('memories', ['id', 'tier', 'content', 'created_at', 'embedding', 'importance'], batches(rows, memory));
    await db.writeRows('tier_transitions', ['memory_id', 'from_tier', 'to_tier', 'at'], batches(Math.ceil(rows / 2), transition));
    await db.exec(`INSERT INTO scratch VALUES ('left', 'behind')`);
  });
  await db.close();
}

async function writeRatings(file: string, offset: number, rows: number, wal: boolean): Promise<void> {
  const db = await open(file, wal);
  await db.exec(`CREATE TABLE ratings (agent TEXT NOT NULL, season INTEGER NOT NULL, rating REAL NOT NULL, games INTEGER DEFAULT 0, PRIMARY KEY (agent, season)) ;
             CREATE UNIQUE INDEX idx_ratings_rank ON ratings(season, rating, agent);`);
  const rating = (i: number): Row => [`agent-${i + offset}`, 2024, 1500 + ((i + offset) % 400) + 0.25, i];
  await db.writeRows('ratings', ['agent', 'season', 'rating', 'games'], batches(rows, rating));
  await db.close();
}

async function writePersonas(file: string, rows: number): Promise<void> {
  const db = await open(file, false);
  await db.exec(`CREATE TABLE personas (name TEXT PRIMARY KEY COLLATE NOCASE, traits TEXT, "order" INTEGER, "select" TEXT) WITHOUT ROWID;`);
  const persona = (i: number): Row => [`Persona ${i}`, JSON.stringify({ curious: i % 2 === 0, depth: i }), i, AWKWARD.texts[i % AWKWARD.texts.length]!];
  await db.writeRows('personas', ['name', 'traits', 'order', 'select'], batches(rows, persona));
  await db.close();
}

/** Rows 0..count-1 made by `row`, a thousand per batch. */
function* batches(count: number, row: (i: number) => Row): Iterable<Row[]> {
  for (let start = 0; start < count; start += 1000) {
    const batch: Row[] = [];
    for (let i = start; i < Math.min(count, start + 1000); i++) batch.push(row(i));
    yield batch;
  }
}

async function open(file: string, wal: boolean): Promise<Engine> {
  const db = await connect(file);
  if (wal) await db.exec('PRAGMA journal_mode = WAL');
  return db;
}

/**
 * Writes rows into a WAL database from a child process that is then killed, so the rows stay in
 * the -wal file (a clean close would checkpoint them into the main file). This is exactly the
 * state `cp *.db` backups lose. Each `?` of `insertSql` is bound to the row number for the first
 * and 1.5 times it for the others.
 */
export function writeRowsOnlyInWal(file: string, insertSql: string, count: number): void {
  const files = new URL('../backup/file-database.js', import.meta.url).href;
  const script = `
    const { openFile } = await import(${JSON.stringify(files)});
    const db = await openFile(${JSON.stringify(file)});
    await db.exec('PRAGMA journal_mode = WAL');
    await db.exec('PRAGMA wal_autocheckpoint = 0');
    const sql = ${JSON.stringify(insertSql)};
    const p = (sql.match(/\\?/g) || []).length;
    await db.transaction(async () => { for (let i = 0; i < ${count}; i++) await db.query(sql, Array.from({ length: p }, (_, k) => (k === 0 ? i : i * 1.5))); });
    process.kill(process.pid, 'SIGKILL');
  `;
  spawnSync(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
  if (!fs.existsSync(file + '-wal') || fs.statSync(file + '-wal').size === 0) throw new Error(`expected rows left in ${file}-wal`);
}
