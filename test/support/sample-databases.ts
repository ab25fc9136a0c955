import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import Database from 'better-sqlite3';
import { repoRoot } from './sqlite-fixtures.js';

/**
 * The public sample databases kept as gzipped SQLite SQL in test/fixtures/samples (see its
 * README.md for sources and licences): real schemas and data that nobody here designed, so the
 * tests meet the types, names and values applications actually have.
 */
export const SAMPLE_NAMES = ['chinook', 'northwind', 'sakila'] as const;

/** One of SAMPLE_NAMES. */
export type SampleName = (typeof SAMPLE_NAMES)[number];

/**
 * Builds a new SQLite file from a sample's public SQL script, run as published. The script runs
 * in memory and is then written out with VACUUM INTO, which takes well under a second each, where
 * running it straight into a file (one commit per INSERT) takes seconds. Foreign keys are off
 * while it runs, as in the sqlite3 shell the scripts were written for (Sakila inserts staff before
 * store, which refer to each other); the finished file is then checked with PRAGMA
 * foreign_key_check so a broken fixture fails here rather than in a copy test. Note that Sakila's
 * AFTER INSERT triggers set every last_update column to the time of the build.
 */
export function createSampleDatabase(name: SampleName, file: string): void {
  if (!SAMPLE_NAMES.includes(name)) throw new Error(`unknown sample database: ${String(name)}`);
  if (fs.existsSync(file)) throw new Error(`will not overwrite ${file}`);
  const sql = zlib.gunzipSync(fs.readFileSync(path.join(repoRoot, 'test', 'fixtures', 'samples', `${name}.sql.gz`))).toString('utf8');
  const db = new Database(':memory:');
  try {
    db.pragma('foreign_keys = OFF');
    db.exec(sql);
    const broken = db.prepare('PRAGMA foreign_key_check').all();
    if (broken.length) throw new Error(`${name}: ${broken.length} rows break foreign keys, e.g. ${JSON.stringify(broken[0])}`);
    db.prepare('VACUUM INTO ?').run(file);
  } finally {
    db.close();
  }
}
