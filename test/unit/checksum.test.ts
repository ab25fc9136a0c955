import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChecksumAccumulator } from '../../src/values/checksum.js';
import type { Value } from '../../src/values/value.js';

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

test('text and blobs hashed from wire bytes equal the same values hashed as JS values', () => {
  const texts = ['', 'a', 'ab', 'abc', 'naïve café', '😀', 'x😀y', '日本語テキスト', 'ÿ'.repeat(101), 'tab\t\n\\N', 'mixed 😀 and é and 中'];
  // Random strings over every UTF-8 length, surrogate pairs included.
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  for (let n = 0; n < 200; n++) {
    let s = '';
    for (let k = 0; k < 1 + Math.floor(rand() * 12); k++) {
      const r = rand();
      s += String.fromCodePoint(
        r < 0.4
          ? 32 + Math.floor(rand() * 90)
          : r < 0.6
            ? 0x80 + Math.floor(rand() * 0x700)
            : r < 0.8
              ? 0x800 + Math.floor(rand() * 0xd000)
              : 0x10000 + Math.floor(rand() * 0xfffff),
      );
    }
    texts.push(s);
  }
  for (const s of texts) {
    const a = new ChecksumAccumulator();
    a.addRow([s]);
    const b = new ChecksumAccumulator();
    const bytes = Buffer.concat([Buffer.from([1, 2]), Buffer.from(s, 'utf8'), Buffer.from([3])]);
    b.startRow();
    b.textUtf8(bytes, 2, bytes.length - 1);
    b.finishRow();
    assert.equal(b.digest(), a.digest(), JSON.stringify(s));
  }
  // Invalid UTF-8 is hashed as Buffer decodes it (with replacement characters).
  const bad = Buffer.from([0x61, 0xff, 0xc3, 0x28, 0xed, 0xa0, 0x80]);
  const a = new ChecksumAccumulator();
  a.addRow([bad.toString('utf8')]);
  const b = new ChecksumAccumulator();
  b.startRow();
  b.textUtf8(bad, 0, bad.length);
  b.finishRow();
  assert.equal(b.digest(), a.digest());
  // Blobs from a range of a larger buffer.
  const blob = Buffer.from([0, 255, 16, 1, 9]);
  const c = new ChecksumAccumulator();
  c.addRow([blob.subarray(1, 4)]);
  const d = new ChecksumAccumulator();
  d.startRow();
  d.blobRange(blob, 1, 4);
  d.finishRow();
  assert.equal(d.digest(), c.digest());
});
