import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { removeAtomicLeftovers, writeFileAtomic } from '../../src/util/fs-atomic.js';
import { tempDir } from '../support/sqlite-fixtures.js';

test('the temporary files of killed atomic writes are removed; those of running processes stay', () => {
  const dir = tempDir('atomic');
  const dead = spawnSync(process.execPath, ['-e', '']).pid!; // a process that has exited
  const files = {
    [`state.json.${dead}.tmp`]: false, // a killed writer's leftover: removed
    [`report.json.${process.pid}.tmp`]: true, // this process's own: kept
    'other.json.1.tmp': true, // pid 1 runs: kept
    'state.json': true,
    'notes.tmp': true, // not a writeFileAtomic name
  };
  for (const name of Object.keys(files)) fs.writeFileSync(path.join(dir, name), 'x');
  removeAtomicLeftovers(dir);
  assert.deepEqual(
    fs.readdirSync(dir).sort(),
    Object.entries(files)
      .filter(([, kept]) => kept)
      .map(([n]) => n)
      .sort(),
  );
  removeAtomicLeftovers(path.join(dir, 'missing')); // no folder: nothing to do, no error
  writeFileAtomic(path.join(dir, 'state.json'), 'y');
  assert.equal(fs.readFileSync(path.join(dir, 'state.json'), 'utf8'), 'y');
});
