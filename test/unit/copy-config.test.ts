import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../../src/config/validate-config.js';
import { FerryError } from '../../src/errors.js';

const where = { file: null };

function problems(raw: unknown): { path: string; message: string }[] {
  try {
    validateConfig(raw, where);
  } catch (e) {
    assert.ok(e instanceof FerryError);
    assert.equal(e.code, 'CONFIG_INVALID');
    return e.data!.problems as { path: string; message: string }[];
  }
  return [];
}

test('a full copy section is accepted as written', () => {
  const copy = {
    from: 'app.db',
    to: 'postgres://app@db/app',
    include: ['users', 'posts'],
    exclude: ['cache'],
    batchSize: 10000,
    parallel: 3,
    ifExists: 'truncate',
    maxRejects: 5,
    jsonb: true,
    rejectFile: 'rejects.jsonl',
    tables: { users: { as: 'app_users', batchSize: 500, columns: { created: { type: 'timestamptz', epoch: 'seconds', as: 'created_at' } } }, posts: null },
  };
  const out = validateConfig({ copy }, where);
  assert.deepEqual(out.copy, { ...copy, tables: { users: copy.tables.users, posts: {} } });
});

test('copy mistakes are named with their path, and typos get a suggestion', () => {
  const found = problems({
    copy: {
      batchsize: 10,
      ifExists: 'replace',
      parallel: 0,
      include: 'users',
      jsonb: 'yes',
      tables: { t: { columns: { c: { type: '', epoch: 'hours', size: 3 } } } },
    },
  });
  const text = found.map((p) => `${p.path}: ${p.message}`).join('\n');
  assert.match(text, /copy\.batchsize: Unknown key copy\.batchsize; did you mean "batchSize"\?/);
  assert.match(text, /copy\.ifExists: .*"fail", "truncate" or "append", not the string "replace"/);
  assert.match(text, /copy\.parallel: .*at least 1, not number 0/);
  assert.match(text, /copy\.include: .*list of table names/);
  assert.match(text, /copy\.jsonb: .*true or false/);
  assert.match(text, /copy\.tables\.t\.columns\.c\.type: /);
  assert.match(text, /copy\.tables\.t\.columns\.c\.epoch: .*"seconds" or "milliseconds"/);
  assert.match(text, /copy\.tables\.t\.columns\.c\.size: Unknown key/);
  assert.equal(found.length, 8);
});
