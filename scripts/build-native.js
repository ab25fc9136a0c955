#!/usr/bin/env node
// Builds ferry's optional SQLite extension (src/engines/sqlite/native/ferry-sqlite.c: the content
// checksum, the column profile and the COPY encoder) as a loadable library next to the compiled
// engine. It only makes ferry faster: without a C compiler ferry runs the same functions in
// JavaScript, with the same results (the same digests). So this never fails
// the build; it says what happened in one line. `npm run build` runs it in a clone; in an installed
// package, scripts/install.js runs it (the package ships the C sources, never a binary), and
// better-sqlite3 (for its sqlite3ext.h) is resolved from this file's location, i.e. the one that
// package uses. A library left by an earlier build is removed when this one cannot build, so a
// stale binary never outlives its source.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const source = path.join(root, 'src/engines/sqlite/native/ferry-sqlite.c');
const outDir = path.join(root, 'dist/src/engines/sqlite/native');
const ext = process.platform === 'darwin' ? 'dylib' : process.platform === 'win32' ? 'dll' : 'so';
const out = path.join(outDir, `ferry-sqlite.${ext}`);

function note(message) {
  console.log(`ferry: ${message}`);
}

function removeStale() {
  fs.rmSync(out, { force: true });
}

if (process.platform === 'win32') {
  note('native SQLite extension not built on Windows; ferry uses its JavaScript paths (same results).');
  process.exit(0);
}
let headers;
try {
  headers = path.join(path.dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json')), 'deps', 'sqlite3');
} catch {
  headers = '';
}
if (!headers || !fs.existsSync(path.join(headers, 'sqlite3ext.h'))) {
  removeStale();
  note('sqlite3ext.h not found; ferry uses its JavaScript paths (same results).');
  process.exit(0);
}
fs.mkdirSync(outDir, { recursive: true });
const cc = process.env.CC || 'cc';
const args = ['-O2', '-fPIC', '-shared', '-I', headers, source, '-o', `${out}.tmp`];
if (process.platform === 'darwin') args.splice(2, 1, '-dynamiclib', '-undefined', 'dynamic_lookup');
const r = spawnSync(cc, args, { encoding: 'utf8' });
if (r.status !== 0) {
  fs.rmSync(`${out}.tmp`, { force: true });
  removeStale();
  note(
    `no C compiler could build the native SQLite extension (${(r.error?.message ?? r.stderr ?? '').trim().split('\n')[0]}); ferry uses its JavaScript paths (same results).`,
  );
  process.exit(0);
}
fs.renameSync(`${out}.tmp`, out);
note(`native SQLite extension built: ${path.relative(root, out)}`);
