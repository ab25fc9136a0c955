import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChecksumAccumulator } from '../../src/transfer/checksum.js';
import type { Value } from '../../src/engine/types.js';

const rows: Value[][] = [
  [1n, 'a', 1.5, null, Buffer.from([0, 1, 2])],
  [-9223372036854775808n, '', -0.5, 'x\u0000y', Buffer.alloc(0)],
  [9223372036854775807n, '😀\t\n"\'\\', 1.7976931348623157e308, null, null],
];

function digestOf(rs: Value[][]): string {
  const acc = new ChecksumAccumulator();
  for (const r of rs) acc.addRow(r);
  return acc.digest();
}

test('checksum does not depend on row order', () => {
  assert.equal(digestOf(rows), digestOf([...rows].reverse()));
});

test('checksum changes when one value changes', () => {
  const changed = rows.map((r) => [...r]);
  changed[1]![2] = -0.50000000000000011;
  assert.notEqual(digestOf(rows), digestOf(changed));
});

test('storage class matters: 1, 1.0 and "1" differ', () => {
  assert.notEqual(digestOf([[1n]]), digestOf([[1]]));
  assert.notEqual(digestOf([[1n]]), digestOf([['1']]));
  assert.notEqual(digestOf([['']]), digestOf([[null]]));
  assert.notEqual(digestOf([['AB']]), digestOf([[Buffer.from([0xab])]]));
});

test('a row count change is visible even with equal sums', () => {
  assert.notEqual(digestOf([[1n], [1n]]), digestOf([[1n]]));
});

test('tagged SQL form and plain values give the same digest', () => {
  const plain = new ChecksumAccumulator();
  const tagged = new ChecksumAccumulator();
  for (const r of rows) {
    plain.addRow(r);
    tagged.addTaggedRow(r.map((v) => (typeof v === 'string' ? 't' + v : v instanceof Uint8Array ? 'b' + Buffer.from(v).toString('hex').toUpperCase() : v)));
  }
  assert.equal(plain.digest(), tagged.digest());
});

test('subtract undoes add, merge adds parts, digests round-trip', () => {
  const acc = new ChecksumAccumulator();
  for (const r of rows) acc.addRow(r);
  const extra: Value[] = [42n, 'extra', 0, null, null];
  acc.addRow(extra);
  acc.subtractRow(extra);
  assert.equal(acc.digest(), digestOf(rows));
  const p1 = new ChecksumAccumulator();
  const p2 = new ChecksumAccumulator();
  p1.addRow(rows[0]!);
  p2.addRow(rows[1]!);
  p2.addRow(rows[2]!);
  p1.merge(ChecksumAccumulator.fromDigest(p2.digest()));
  assert.equal(p1.digest(), digestOf(rows));
});
