#!/usr/bin/env node
// `npm run demo`: ferry's main job end to end on SQLite, no server needed. It generates a small
// legacy estate of several SQLite files (some with rows only in their -wal file), shows the plan,
// consolidates, verifies by content, and lists the backup it took.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist', 'src', 'demo', 'legacy-estate.js');
if (!fs.existsSync(dist)) {
  console.error('ferry is not built yet: run `npm install` (it builds) or `npm run build` first.');
  process.exit(1);
}
const { generateEstate } = await import(dist);
const dir = path.join(root, 'demo-estate');
fs.rmSync(dir, { recursive: true, force: true });
fs.mkdirSync(dir, { recursive: true });
const estate = await generateEstate({ dir, rows: 5000, walRows: 50 });
console.log(`Generated a legacy estate of ${estate.files.length} SQLite files in ${estate.sourceDir}`);
console.log(`Config: ${estate.configFile}\n`);

function ferry(args, expected = [0]) {
  console.log(`\n$ ferry ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'ferry.js'), ...args], { cwd: dir, stdio: 'inherit' });
  if (!expected.includes(r.status)) {
    console.error(`\ndemo: "ferry ${args.join(' ')}" exited with ${r.status}, expected ${expected.join(' or ')}`);
    process.exit(1);
  }
  return r.status;
}

ferry(['consolidate', '--dry-run']);
// Exit code 3: the archive's 10 ratings that collide with current ones are skipped on purpose
// (onConflict: skip) and listed in a rejects file; ferry never drops a row silently.
ferry(['consolidate'], [3]);
ferry(['consolidate', '--verify']);
ferry(['backups']);
console.log(`\nDone. The consolidated files are in ${path.join(estate.sourceDir, 'consolidated')};`);
console.log(`the backup taken before the run is listed above (undo with: cd ${path.relative(process.cwd(), dir) || '.'} && npx ferry consolidate --rollback).`);
