#!/usr/bin/env node
// The package's `install` script. An installed ferry-db carries the C source of its optional
// SQLite extension (src/engines/sqlite/native/*.c: checksum, profile, COPY encoder) but no
// binary: this compiles it for the machine it is installed on, with scripts/build-native.js,
// against the SQLite headers that the installed better-sqlite3 bundles. It never fails the
// install: without a C compiler (or on Windows, or when anything else goes wrong) ferry uses its
// JavaScript paths, which give the same results, and this says so in one line (npm shows it
// with --foreground-scripts).
//
// In a clone of the repository (the TypeScript sources are there) it does nothing: `npm install`
// runs `prepare` right after, and `npm run build` compiles the TypeScript and the extension.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

if (!fs.existsSync(path.join(root, 'src', 'index.ts'))) {
  if (process.env.FERRY_NO_NATIVE) {
    console.log('ferry: FERRY_NO_NATIVE is set; native SQLite extension not built, ferry uses its JavaScript paths (same results).');
  } else {
    const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-native.js')], { stdio: 'inherit' });
    if (r.status !== 0) {
      console.log(
        `ferry: the native SQLite extension build stopped (${r.error?.message ?? `exit ${r.status ?? r.signal}`}); ferry uses its JavaScript paths (same results).`,
      );
    }
  }
}
process.exit(0);
