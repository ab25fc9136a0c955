import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Engine } from '../../engine/types.js';
import { openSqlite, type SqliteEngine } from './sqlite-engine.js';

/** Runs `fn` on an empty in-memory database, closed afterwards. */
export async function withSqliteScratch<T>(fn: (scratch: Engine) => Promise<T>): Promise<T> {
  const engine = openSqlite(':memory:', { mustExist: false });
  try {
    return await fn(engine);
  } finally {
    await engine.close();
  }
}

/** Runs `fn` on a copy of a SQLite database made with the backup API (same schema and rows), deleted afterwards. */
export async function withSqliteCopy<T>(live: SqliteEngine, fn: (copy: Engine) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-sql-'));
  const file = path.join(dir, 'copy.db');
  try {
    await live.db.backup(file);
    const copy = openSqlite(file, { mustExist: true });
    try {
      return await fn(copy);
    } finally {
      await copy.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
