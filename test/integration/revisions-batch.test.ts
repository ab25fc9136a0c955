import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { connect } from '../../src/engines/registry.js';
import { appliedSet, applyPlan } from '../../src/revisions/migrator.js';
import { loadRevisions } from '../../src/revisions/revision-file.js';
import { RevisionGraph } from '../../src/revisions/revision-graph.js';
import { VersionStore } from '../../src/revisions/version-store.js';
import { freshPostgresDatabase } from '../support/postgres.js';
import { sqlRevision } from '../support/revision-fixtures.js';
import { tempDir } from '../support/sqlite-fixtures.js';

// PostgreSQL sends runs of SQL revisions in one round trip (postgres-revision-batch.ts), with
// asynchronous commits set for the batch and history numbers counted on the client: the session
// must come back as it was, and the history must read as if each revision had run alone.
test('PostgreSQL batches: session settings restored, history numbered and timed, a failure mid-batch keeps the ones before', { timeout: 60_000 }, async (t) => {
  const db = await freshPostgresDatabase(t);
  if (!db) return;
  const dir = tempDir('rev-batch');
  sqlRevision(dir, 'a30000000001', [], 'one', 'CREATE TABLE one (id INTEGER PRIMARY KEY);', 'DROP TABLE one;');
  sqlRevision(dir, 'b30000000002', ['a30000000001'], 'two', 'CREATE TABLE two (id INTEGER PRIMARY KEY);\nSELECT pg_sleep(0.03);', 'DROP TABLE two;');
  const bad = sqlRevision(
    dir,
    'c30000000003',
    ['b30000000002'],
    'three',
    'CREATE TABLE three (id INTEGER PRIMARY KEY);\nINSERT INTO nowhere VALUES (1);',
    'DROP TABLE three;',
  );
  const engine = await connect(db.url);
  try {
    const store = new VersionStore(engine);
    await store.ensure();
    const before = (await engine.query<{ synchronous_commit: string }>('SHOW synchronous_commit'))[0]!.synchronous_commit;
    const run = async (direction: 'up' | 'down') => {
      const graph = RevisionGraph.build(await loadRevisions(dir));
      const applied = appliedSet(graph, await store.heads(), engine.displayUrl);
      const plan = direction === 'up' ? graph.upgradePlan(applied, 'heads') : graph.downgradePlan(applied, 'base');
      return applyPlan({ engine, graph, plan, direction, backup: false });
    };

    await assert.rejects(run('up'), /c30000000003.*three\.sql:\d+/s, 'the failing revision is named with its line');
    assert.deepEqual(await store.heads(), ['b30000000002'], 'the two revisions before the failing one stay applied');
    const sync = (await engine.query<{ synchronous_commit: string }>('SHOW synchronous_commit'))[0]!.synchronous_commit;
    assert.equal(sync, before, 'synchronous_commit is back to the session setting after a failed batch');

    fs.writeFileSync(bad, fs.readFileSync(bad, 'utf8').replace('INSERT INTO nowhere VALUES (1);', ''));
    await run('up');
    await run('down');
    assert.equal((await engine.query<{ synchronous_commit: string }>('SHOW synchronous_commit'))[0]!.synchronous_commit, before);
    assert.deepEqual(await store.heads(), []);

    const history = await store.history();
    assert.deepEqual(
      history.map((h) => h.seq),
      [1, 2, 3, 4, 5, 6],
      'sequence numbers count on across batches, without gaps',
    );
    assert.deepEqual(
      history.map((h) => `${h.direction} ${h.revision}`),
      ['up a30000000001', 'up b30000000002', 'up c30000000003', 'down c30000000003', 'down b30000000002', 'down a30000000001'],
    );
    for (const h of history) {
      assert.match(h.appliedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'applied_at is an ISO time in UTC');
      assert.ok(h.durationMs >= 0, `duration of ${h.revision} is not negative`);
    }
    assert.ok(history[1]!.durationMs >= 25, `the revision that sleeps 30 ms is timed as such (${history[1]!.durationMs} ms)`);
    assert.ok(
      history.slice(1).every((h, i) => h.appliedAt >= history[i]!.appliedAt),
      'times never go backwards',
    );
    assert.equal(path.basename(bad), 'c30000000003_three.sql');
  } finally {
    await engine.close();
  }
});
