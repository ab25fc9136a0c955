import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { generateEstate } from '../../src/demo/legacy-estate.js';
import { planConsolidation, consolidate, verifyConsolidation, rollbackConsolidation, listBackups } from '../../src/index.js';
import type { ConsolidateConfig } from '../../src/config/types.js';
import { fileFingerprints, rowsWithTypes, tempDir } from '../support/sqlite-fixtures.js';

test('dry-run, run, verify and rollback on a WAL estate keep every value exact', async () => {
  const dir = tempDir('flow');
  const estate = await generateEstate({ dir, rows: 300, walRows: 20 });
  const config = estate.config.consolidate!;
  const src = estate.sourceDir;
  assert.ok(fs.statSync(path.join(src, 'debates.db-wal')).size > 0, 'fixture leaves rows in the -wal file');
  const before = fileFingerprints(src);

  const plan = await planConsolidation({ config, baseDir: dir, inspect: true });
  assert.deepEqual(
    plan.problems.filter((p) => p.severity === 'error'),
    [],
  );
  assert.deepEqual(plan.unmapped, ['old_experiments.db']);
  assert.deepEqual(plan.sources.find((s) => s.name === 'continuum.db')!.tablesLeft, ['scratch']);
  assert.equal(plan.duplicates[0]!.count, 10);
  assert.deepEqual(fileFingerprints(src), before, 'dry-run changes nothing');
  assert.equal(fs.existsSync(path.join(src, 'consolidated')), false);

  const result = await consolidate({ config, baseDir: dir });
  assert.equal(result.tablesMigrated, 6);
  assert.equal(result.skippedRows, 10);
  assert.deepEqual(fileFingerprints(src), before, 'sources are never modified');
  const out = path.join(src, 'consolidated');
  assert.deepEqual(
    fs
      .readdirSync(out)
      .filter((f) => f.endsWith('.db'))
      .sort(),
    ['agents.db', 'analytics.db', 'core.db', 'memory.db'],
  );
  assert.match(path.basename(result.backupSet), /^\d{8}_\d{6}$/);

  // Every row arrives exact, with its storage class, including the rows that were only in -wal.
  const cols = ['id', 'topic', 'status', 'score', 'big', 'payload', 'created_at'];
  assert.deepEqual(rowsWithTypes(path.join(out, 'core.db'), 'debates', cols, ['id']), rowsWithTypes(path.join(src, 'debates.db'), 'debates', cols, ['id']));
  const core = new Database(path.join(out, 'core.db'), { readonly: true });
  core.defaultSafeIntegers(true);
  assert.equal(core.prepare(`SELECT count(*) FROM debates WHERE topic LIKE 'wal-only%'`).pluck().get(), 20n);
  assert.equal(core.prepare(`SELECT big FROM debates WHERE id = 1`).pluck().get(), -9223372036854775808n);
  assert.equal(core.prepare(`SELECT big FROM debates WHERE id = 2`).pluck().get(), 9223372036854775807n);
  assert.deepEqual(core.prepare(`SELECT payload FROM debates WHERE hex(payload) = '000000' LIMIT 1`).pluck().get(), Buffer.from([0, 0, 0]));
  // Constraints, defaults and indexes came along.
  const schema = core.prepare(`SELECT name, sql FROM sqlite_schema`).all() as { name: string; sql: string }[];
  const debatesSql = schema.find((s) => s.name === 'debates')!.sql;
  assert.match(debatesSql, /CHECK \(status IN \('open','closed'\)\)/);
  assert.match(debatesSql, /DEFAULT CURRENT_TIMESTAMP/);
  assert.match(debatesSql, /AUTOINCREMENT/);
  assert.match(schema.find((s) => s.name === 'idx_debates_open')!.sql, /WHERE status = 'open'/);
  assert.match(schema.find((s) => s.name === 'idx_debates_lower_topic')!.sql, /lower\(topic\)/);
  assert.ok(
    schema.some((s) => s.name === 'open_debates'),
    'views of a whole-file mapping are carried over',
  );
  assert.equal((core.prepare(`PRAGMA foreign_key_list("Debate Messages")`).all() as { on_delete: string }[])[0]!.on_delete, 'CASCADE');
  assert.ok((core.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'debates'`).pluck().get() as bigint) >= 320n);
  core.close();

  // Rename and column subset.
  const memCols = ['id', 'tier', 'content', 'created_at'];
  assert.deepEqual(
    rowsWithTypes(path.join(out, 'memory.db'), 'continuum_memory', memCols, ['id']),
    rowsWithTypes(path.join(src, 'continuum.db'), 'memories', memCols, ['id']),
  );
  const mem = new Database(path.join(out, 'memory.db'), { readonly: true });
  assert.deepEqual(
    (mem.prepare(`PRAGMA table_info(continuum_memory)`).all() as { name: string }[]).map((c) => c.name),
    memCols,
  );
  assert.match(mem.prepare(`SELECT sql FROM sqlite_schema WHERE name = 'tier_transitions'`).pluck().get() as string, /REFERENCES "continuum_memory"/);
  mem.close();

  // The skipped rows are listed, not dropped silently.
  const rejects = fs
    .readFileSync(path.join(out, 'analytics.db.rejects.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(rejects.length, 10);
  assert.equal(rejects[0].action, 'skipped');
  assert.equal(rejects[0].source, 'elo_archive.db');

  const verified = await verifyConsolidation({ config, baseDir: dir });
  assert.equal(verified.ok, true, JSON.stringify(verified.tables.filter((t) => !t.ok)));
  assert.equal(verified.tables.length, 6);

  // Verify catches a single changed value (same count, one double off by one ulp).
  const w = new Database(path.join(out, 'core.db'));
  w.prepare(`UPDATE debates SET score = score + 1e-9 WHERE id = 7`).run();
  w.close();
  const broken = await verifyConsolidation({ config, baseDir: dir });
  assert.equal(broken.ok, false);
  const bad = broken.tables.filter((t) => !t.ok);
  assert.deepEqual(
    bad.map((t) => t.table),
    ['debates'],
  );
  assert.equal(bad[0]!.sourceRows, bad[0]!.targetRows);
  assert.equal(bad[0]!.differences[0]!.kind, 'different');
  assert.equal(bad[0]!.differences[0]!.key, '7');

  const rolled = await rollbackConsolidation({ config, baseDir: dir });
  assert.equal(rolled.restored.length, 5);
  assert.deepEqual(
    fs.readdirSync(out).filter((f) => f.endsWith('.db')),
    [],
  );
  assert.ok(fs.existsSync(rolled.removedTargets[0]!.keptAt), 'a copy of each removed target is kept');
  assert.deepEqual(rowsWithTypes(path.join(src, 'debates.db'), 'debates', cols, ['id']).length, 320);
  // The consolidation's set, and the sources as they were just before the rollback.
  const sets = listBackups(path.join(src, 'backup'));
  assert.deepEqual(sets.map((s) => s.reason).sort(), ['before-restore', 'consolidate']);
  assert.equal(rolled.sourcesKept, sets.find((s) => s.reason === 'before-restore')!.id);
});

test('transforms: SQL expressions in JSON configs and row functions in TS configs, both verified', async () => {
  const dir = tempDir('transform');
  const estate = await generateEstate({ dir, rows: 200, walRows: 0 });
  const base = estate.config.consolidate!;
  const config: ConsolidateConfig = {
    ...base,
    targetDir: '.nomic/t',
    sources: {
      'continuum.db': {
        target: 'memory.db',
        tables: {
          memories: { as: 'continuum_memory', columns: ['id', 'tier', 'content'], transform: { tier: 'upper(tier)', content: "coalesce(content, '')" } },
        },
      },
      'personas.db': {
        target: 'agents.db',
        tables: { personas: { transform: (row) => ({ ...row, traits: String(row.traits).toUpperCase(), order: (row.order as bigint) * 2n }) } },
      },
    },
  };
  const result = await consolidate({ config, baseDir: dir });
  assert.equal(result.totalRows, 400);
  const mem = new Database(path.join(dir, '.nomic/t/memory.db'), { readonly: true });
  assert.equal(mem.prepare(`SELECT count(*) FROM continuum_memory WHERE tier <> upper(tier) OR content IS NULL`).pluck().get(), 0);
  mem.close();
  const agents = new Database(path.join(dir, '.nomic/t/agents.db'), { readonly: true });
  agents.defaultSafeIntegers(true);
  const p = agents.prepare(`SELECT traits, "order", typeof("order") t FROM personas WHERE name = 'Persona 3'`).get() as {
    traits: string;
    order: bigint;
    t: string;
  };
  assert.equal(p.traits, '{"CURIOUS":FALSE,"DEPTH":3}');
  assert.equal(p.order, 6n);
  assert.equal(p.t, 'integer');
  agents.close();
  const verified = await verifyConsolidation({ config, baseDir: dir });
  assert.equal(verified.ok, true, JSON.stringify(verified.tables));
});

test('onConflict error stops with the colliding keys; replace lists replaced rows and verifies', async () => {
  const dir = tempDir('conflict');
  const estate = await generateEstate({ dir, rows: 100, walRows: 0 });
  const base = estate.config.consolidate!;
  const only = (policy: 'error' | 'replace'): ConsolidateConfig => ({
    ...base,
    targetDir: `.nomic/${policy}`,
    sources: { 'elo.db': { target: 'analytics.db' }, 'elo_archive.db': { target: 'analytics.db', onConflict: policy } },
  });
  await assert.rejects(
    consolidate({ config: only('error'), baseDir: dir }),
    (e: Error & { code?: string }) => e.code === 'CONFLICT' && /agent-9\d/.test(e.message),
  );
  assert.equal(fs.existsSync(path.join(dir, '.nomic/error/analytics.db')), false, 'no target is put in place');
  const r = await consolidate({ config: only('replace'), baseDir: dir });
  assert.equal(r.replacedRows, 10);
  assert.equal(r.totalRows, 190);
  const v = await verifyConsolidation({ config: only('replace'), baseDir: dir });
  assert.equal(v.ok, true, JSON.stringify(v.tables));
});

test('skip and replace also work on WITHOUT ROWID tables (keyed by their primary key)', async () => {
  const dir = tempDir('norowid');
  const estate = await generateEstate({ dir, rows: 100, walRows: 0 });
  const src = estate.sourceDir;
  fs.copyFileSync(path.join(src, 'personas.db'), path.join(src, 'personas_old.db'));
  const w = new Database(path.join(src, 'personas_old.db'));
  w.prepare(`UPDATE personas SET traits = 'old' WHERE "order" < 30`).run();
  w.prepare(`DELETE FROM personas WHERE "order" >= 60`).run();
  w.prepare(`INSERT INTO personas VALUES ('Only Old', 'x', 1000, 's')`).run();
  w.close();
  for (const policy of ['skip', 'replace'] as const) {
    const config: ConsolidateConfig = {
      ...estate.config.consolidate!,
      targetDir: `.nomic/${policy}`,
      sources: { 'personas.db': { target: 'agents.db' }, 'personas_old.db': { target: 'agents.db', onConflict: policy } },
    };
    const r = await consolidate({ config, baseDir: dir });
    const t = r.targets[0]!.tables[0]!;
    assert.equal(t.rows, 101, policy);
    assert.equal(policy === 'skip' ? t.skipped : t.replaced, 60, policy);
    const db = new Database(path.join(dir, `.nomic/${policy}/agents.db`), { readonly: true });
    assert.equal(db.prepare(`SELECT count(*) FROM personas WHERE traits = 'old'`).pluck().get(), policy === 'skip' ? 0 : 30);
    db.close();
    const v = await verifyConsolidation({ config, baseDir: dir });
    assert.equal(v.ok, true, `${policy}: ${JSON.stringify(v.tables)}`);
  }
});
