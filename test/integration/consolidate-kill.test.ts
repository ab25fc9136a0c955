import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { generateEstate } from '../../src/demo/legacy-estate.js';
import { consolidate, verifyConsolidation } from '../../src/index.js';
import { writeRunState } from '../../src/consolidate/run-state.js';
import { fileFingerprints, repoRoot, tempDir } from '../support/sqlite-fixtures.js';

const ferry = path.join(repoRoot, 'bin', 'ferry.js');

/** Starts `ferry consolidate` and kills it with SIGKILL as soon as `trigger` shows in its log. */
function runAndKill(cwd: string, trigger: RegExp | number): Promise<{ killed: boolean; log: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [ferry, 'consolidate'], { cwd, env: { ...process.env, CI: 'true', NO_COLOR: '1' } });
    let log = '';
    let killed = false;
    const kill = () => {
      if (!killed && child.exitCode === null) {
        killed = true;
        child.kill('SIGKILL');
      }
    };
    if (typeof trigger === 'number') setTimeout(kill, trigger);
    child.stderr.on('data', (d: Buffer) => {
      log += d.toString();
      if (typeof trigger !== 'number' && trigger.test(log)) kill();
    });
    child.on('exit', () => resolve({ killed, log }));
  });
}

test('a run killed with SIGKILL at any point is completed by running again, without a duplicate row', async () => {
  const dir = tempDir('kill');
  const estate = await generateEstate({ dir, rows: 120_000, walRows: 30 });
  const config = estate.config.consolidate!;
  const before = fileFingerprints(estate.sourceDir);
  const targetDir = path.join(estate.sourceDir, 'consolidated');
  const backupDir = path.join(estate.sourceDir, 'backup');
  const triggers: (RegExp | number)[] = [
    /backed up debates\.db/,
    /backup complete/,
    /building core\.db/,
    /debates ← debates\.db/,
    /building analytics\.db/,
    /ratings ← elo\.db/,
    700,
  ];
  let killedMidRun = 0;
  for (const trigger of triggers) {
    fs.rmSync(targetDir, { recursive: true, force: true });
    fs.rmSync(backupDir, { recursive: true, force: true });
    const { killed } = await runAndKill(dir, trigger);
    if (killed) killedMidRun++;
    // Whatever was left, no target file is half-written in place: every present target is whole.
    for (const f of fs.existsSync(targetDir) ? fs.readdirSync(targetDir).filter((x) => x.endsWith('.db')) : []) {
      const check = spawnSync('sqlite3', [path.join(targetDir, f), 'PRAGMA integrity_check;'], { encoding: 'utf8' });
      if (check.status === 0) assert.equal(check.stdout.trim(), 'ok', `${f} after kill at ${trigger}`);
    }
    const again = spawnSync(process.execPath, [ferry, 'consolidate'], { cwd: dir, encoding: 'utf8', env: { ...process.env, CI: 'true', NO_COLOR: '1' } });
    assert.equal(again.status, 3, `re-run after kill at ${trigger} exits 3 (10 rows skipped on purpose): ${again.stderr}`);
    assert.match(again.stdout, /Migration finished( \(resumed\))?, but 10 row\(s\) were skipped/);
    const verified = await verifyConsolidation({ config, baseDir: dir });
    assert.equal(verified.ok, true, `after kill at ${trigger}: ${JSON.stringify(verified.tables.filter((t) => !t.ok))}`);
    assert.equal(verified.tables.find((t) => t.table === 'debates')!.targetRows, 120_030);
    assert.deepEqual(
      fs.readdirSync(path.join(targetDir, '.ferry')).filter((f) => f.includes('partial') || f.includes('state')),
      [],
      'no partial files left',
    );
    assert.deepEqual(fileFingerprints(estate.sourceDir), before, 'sources unchanged');
  }
  assert.ok(killedMidRun >= 5, `most kills landed mid-run (${killedMidRun})`);
});

test('a kill between a target\'s rename and the state update is resumed, not refused as "target exists"', async () => {
  const dir = tempDir('window');
  const estate = await generateEstate({ dir, rows: 200, walRows: 0 });
  const config = estate.config.consolidate!;
  const first = await consolidate({ config, baseDir: dir });
  const targetDir = path.join(estate.sourceDir, 'consolidated');
  // The state as a kill right after core.db's rename leaves it: core.db in place, nothing recorded.
  for (const f of ['memory.db', 'analytics.db', 'agents.db']) fs.rmSync(path.join(targetDir, f));
  writeRunState(targetDir, { fingerprint: first.plan.fingerprint, backupSet: first.backupSet, completed: [], startedAt: new Date().toISOString() });
  const again = await consolidate({ config, baseDir: dir });
  assert.equal(again.resumed, true);
  assert.equal(again.totalRows, first.totalRows);
  assert.equal((await verifyConsolidation({ config, baseDir: dir })).ok, true);
});
