#!/usr/bin/env node
// Fails when code outside src/engines tests an engine's name or casts to an engine's class: such
// code asks the registry for a role or reads a capability instead (see ARCHITECTURE.md). The import
// side of the same rule is dependency-cruiser's (.dependency-cruiser.cjs).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NAMES = '(sqlite|postgres|postgresql|pg)';
const PATTERNS = [
  [new RegExp(`[!=]==\\s*'${NAMES}'|'${NAMES}'\\s*[!=]==`), 'tests an engine name'],
  [new RegExp(`case\\s+'${NAMES}'\\s*:`), 'switches on an engine name'],
  [/\b(as|instanceof)\s+(SqliteEngine|PostgresEngine)\b/, 'casts to an engine class'],
  [/'(sqlite-to-postgres|postgres-to-sqlite)'/, 'names a copy direction'],
];
const EXEMPT = [path.join('src', 'engines') + path.sep, path.join('src', 'index.ts')];

function* files(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* files(full);
    else if (entry.name.endsWith('.ts')) yield full;
  }
}

const found = [];
for (const file of files(path.join(root, 'src'))) {
  const rel = path.relative(root, file);
  if (EXEMPT.some((e) => rel.startsWith(e))) continue;
  fs.readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (/^\s*(\/\/|\*)/.test(line)) return;
      for (const [pattern, what] of PATTERNS) if (pattern.test(line)) found.push(`${rel}:${i + 1}: ${what}: ${line.trim()}`);
    });
}
if (found.length) {
  console.error(`${found.length} engine-specific line(s) outside src/engines (ask roleOf(...) or read a capability instead):`);
  for (const f of found) console.error(`  ${f}`);
  process.exit(1);
}
console.log('engine names: none tested outside src/engines');
