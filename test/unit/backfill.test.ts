import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextBatchSize } from '../../src/revisions/backfill.js';
import { backfillStep } from '../../src/revisions/backfill-options.js';

test('a backfill batch grows toward its target time, at most doubling, and shrinks at most by half, within 100..50,000 rows', () => {
  assert.equal(nextBatchSize(1000, 10, 200), 2000, 'a fast batch doubles');
  assert.equal(nextBatchSize(1000, 150, 200), 1333, 'a little fast: toward the target');
  assert.equal(nextBatchSize(1000, 2000, 200), 500, 'a slow batch halves, no more');
  assert.equal(nextBatchSize(40_000, 10, 200), 50_000);
  assert.equal(nextBatchSize(150, 5000, 200), 100);
});

test('ctx.backfill options are checked before anything runs, with one message naming what to fix', () => {
  assert.deepEqual(backfillStep({ table: 'orders', set: { c: 'round(t * 100)' }, pause: '100ms' }), {
    kind: 'backfill',
    label: 'backfill orders (c)',
    table: 'orders',
    set: { c: 'round(t * 100)' },
    batchSize: 1000,
    batchMs: 50,
    pauseMs: 100,
  });
  assert.throws(() => backfillStep({ table: 'orders', set: {} }), /set must map each column to an SQL expression/);
  assert.throws(() => backfillStep({ table: 'orders', set: { c: '1' }, batchSize: 0 }), /batchSize must be a positive whole number/);
  assert.throws(() => backfillStep({ table: 'orders', set: { c: '1' }, pause: 'soon' }), /pause must be a duration/);
});
