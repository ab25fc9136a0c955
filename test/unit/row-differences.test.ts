import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareKeys, firstDifferences, keyedRows, mergedInKeyOrder, type KeyedRow } from '../../src/verify/row-differences.js';
import type { Row } from '../../src/values/value.js';

async function* stream<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

const rows = (origin: string, ...r: [bigint, string][]): KeyedRow[] => r.map(([k, v]) => ({ key: [k], values: [k, v], origin }));

test('keys order as every row reader sorts them: NULL, numbers by value, then text and blobs byte by byte', () => {
  const sorted = [[null], [-5n], [2], [10n], ['B'], ['a'], ['é'], [Buffer.from([0])]];
  const shuffled = [...sorted].reverse();
  assert.deepEqual(shuffled.sort(compareKeys), sorted);
  assert.equal(compareKeys([1n, 'x'], [1n, 'x']), 0);
  assert.ok(compareKeys([1n, 'a'], [1n, 'b']) < 0);
});

test('the first differences: missing, extra and different rows, by key, up to the limit', async () => {
  const cols = ['id', 'name'];
  const a = stream(rows('a.db', [1n, 'one'], [2n, 'two'], [4n, 'four'], [5n, 'five']));
  const b = stream(rows('t', [1n, 'one'], [3n, 'three'], [4n, 'FOUR'], [5n, 'five']));
  const diffs = await firstDifferences({ rows: a, columns: cols }, { rows: b, columns: cols }, 10);
  assert.deepEqual(diffs, [
    { kind: 'missing-in-target', key: '2', origin: 'a.db', source: { id: '2', name: 'two' } },
    { kind: 'extra-in-target', key: '3', target: { id: '3', name: 'three' } },
    { kind: 'different', key: '4', columns: ['name'], origin: 'a.db', source: { id: '4', name: 'four' }, target: { id: '4', name: 'FOUR' } },
  ]);
  const limited = await firstDifferences({ rows: stream(rows('a', [1n, 'x'], [2n, 'y'])), columns: cols }, { rows: stream([]), columns: cols }, 1);
  assert.equal(limited.length, 1);
});

test('values compare by class as the checksums do: 1 and 1.0 differ, equal blobs do not', async () => {
  const side = (v: unknown) => stream([{ key: [1n], values: [1n, v] } as KeyedRow]);
  const cols = ['id', 'v'];
  assert.equal((await firstDifferences({ rows: side(1n), columns: cols }, { rows: side(1), columns: cols }, 5)).length, 1);
  assert.equal((await firstDifferences({ rows: side(Buffer.from('x')), columns: cols }, { rows: side(Buffer.from('x')), columns: cols }, 5)).length, 0);
});

test('several sources merge in key order; a shared key keeps the earlier row unless the later source replaces', async () => {
  const first = rows('first.db', [1n, 'a1'], [3n, 'a3'], [5n, 'a5']);
  const second = rows('second.db', [2n, 'b2'], [3n, 'b3']);
  const keys = async (it: AsyncIterable<KeyedRow>) => {
    const out: string[] = [];
    for await (const r of it) out.push(`${r.key[0]}:${r.values[1]}`);
    return out;
  };
  assert.deepEqual(
    await keys(
      mergedInKeyOrder([
        { rows: stream(first), replaces: false },
        { rows: stream(second), replaces: false },
      ]),
    ),
    ['1:a1', '2:b2', '3:a3', '5:a5'],
  );
  assert.deepEqual(
    await keys(
      mergedInKeyOrder([
        { rows: stream(first), replaces: false },
        { rows: stream(second), replaces: true },
      ]),
    ),
    ['1:a1', '2:b2', '3:b3', '5:a5'],
  );
});

test('keyed rows normalise values per logical type and read the key from the normalised values', async () => {
  // PostgreSQL's text forms: '1' is an int8, 't' a boolean.
  const raw: Row[] = [['7', '7', 't']];
  const out: KeyedRow[] = [];
  for await (const r of keyedRows(stream(raw), [0], ['int64', 'boolean'], { pgText: true })) out.push(r);
  assert.deepEqual(out, [{ key: [7n], values: [7n, true] }]);
});
