import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineDriver } from '../../src/engine/driver.js';
import { acceleratorFor, driverOf, registerEngine, roleOf, unregisterEngine } from '../../src/engines/registry.js';
import { FerryError } from '../../src/errors.js';
import { runCopy } from '../../src/transfer/run-copy.js';

const COPY_ROLES = ['tableFacts', 'tableReader', 'databaseSize', 'tableSink', 'copyDdl', 'postLoad', 'copyPreflight', 'expressionTranslation'] as const;

test('SQLite and PostgreSQL supply every role ferry copy asks for; only SQLite records its origin', () => {
  for (const dialect of ['sqlite', 'postgres']) for (const role of COPY_ROLES) assert.ok(roleOf(dialect, role), `${dialect} has ${role}`);
  assert.ok(driverOf('sqlite').roles.originRecord);
  assert.equal(driverOf('postgres').roles.originRecord, undefined);
  assert.equal(roleOf('postgres', 'tableSink').parallelWriters, true);
  assert.equal(roleOf('sqlite', 'tableSink').parallelWriters, false);
});

test('expression translators and the native COPY accelerator exist for their pairs only', async () => {
  assert.ok(await roleOf('postgres', 'expressionTranslation').from('sqlite'));
  assert.ok(await roleOf('sqlite', 'expressionTranslation').from('postgres'));
  assert.equal(await roleOf('postgres', 'expressionTranslation').from('postgres'), null);
  assert.ok(acceleratorFor('sqlite', 'postgres'));
  assert.equal(acceleratorFor('postgres', 'sqlite'), null);
});

test('a copy into an engine without copy roles is one NOT_SUPPORTED error naming the engine and the role', async () => {
  const fake: EngineDriver = {
    dialect: 'fakedb',
    label: 'FakeDB',
    capabilities: { transactionalDdl: false, schemas: false, fileBackup: false, strictTypes: false },
    claims: (input) => input.startsWith('fakedb://'),
    parseUrl: (input) => ({ dialect: 'fakedb', url: input, displayUrl: input }),
    open: () => Promise.reject(new Error('never opened')),
    roles: {},
  };
  registerEngine(fake);
  try {
    await assert.rejects(
      runCopy({ from: 'app.db', to: 'fakedb://x' }),
      (e: unknown) => e instanceof FerryError && e.code === 'NOT_SUPPORTED' && /FakeDB/.test(e.message) && /tableSink/.test(e.message),
    );
  } finally {
    unregisterEngine('fakedb');
  }
});
