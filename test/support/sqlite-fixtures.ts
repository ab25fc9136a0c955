import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';

const made: string[] = [];
// Test folders go when the test file's process ends (set FERRY_KEEP_TEST_DIRS=1 to inspect them).
process.on('exit', () => {
  if (!process.env.FERRY_KEEP_TEST_DIRS) for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

/** A fresh temporary folder for one test, removed when the test process exits. */
export function tempDir(label: string): string {
  // realpath: the CLI sees its working folder that way (e.g. /tmp -> /private/tmp on macOS).
  const d = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `ferry-${label}-`)));
  made.push(d);
  return d;
}

/** SHA-256 of SQLite files and their non-empty -wal companions, to prove sources were not changed. */
export function fileFingerprints(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fs.readdirSync(dir).sort()) {
    if (!/\.db(-wal)?$/.test(f)) continue;
    const p = path.join(dir, f);
    if (!fs.statSync(p).isFile()) continue;
    // A read-only reader of a WAL database makes SQLite create an empty -wal file; it holds no data.
    if (f.endsWith('-wal') && fs.statSync(p).size === 0) continue;
    out[f] = crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex');
  }
  return out;
}

/** Every row of a table with each value's storage class, ordered by rowid or the given columns. */
export function rowsWithTypes(file: string, table: string, columns: string[], orderBy: string[]): unknown[][] {
  const db = new Database(file, { readonly: true });
  db.defaultSafeIntegers(true);
  try {
    const q = (n: string) => `"${n.replace(/"/g, '""')}"`;
    const sel = columns.flatMap((c) => [`typeof(${q(c)})`, q(c)]).join(', ');
    return db
      .prepare(`SELECT ${sel} FROM ${q(table)} ORDER BY ${orderBy.map(q).join(', ')}`)
      .raw(true)
      .all() as unknown[][];
  } finally {
    db.close();
  }
}

/** Repo root, from dist/test/support. */
export const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', '..');

/**
 * Makes `file` an empty SQLite database (a 0-byte file is one) unless it exists, and returns its
 * path: `ferry upgrade` refuses a path that does not exist unless told to --create it.
 */
export function emptySqliteFile(file: string): string {
  if (!fs.existsSync(file)) fs.writeFileSync(file, '');
  return file;
}
