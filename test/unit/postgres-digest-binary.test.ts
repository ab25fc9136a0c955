import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BinaryCopyEncoder } from '../../src/engines/postgres/postgres-copy-binary.js';
import { binaryHasher, digestBinaryCopy } from '../../src/engines/postgres/postgres-digest-binary.js';
import { ChecksumAccumulator } from '../../src/values/checksum.js';
import { normalizerFor } from '../../src/values/convert-value.js';

// The digest of COPY BINARY data must not depend on where the network cuts it into chunks.
test('COPY BINARY digests are the same however the stream is cut into chunks', async () => {
  const enc = new BinaryCopyEncoder(['int8', 'text', 'bytea', 'float8', 'timestamptz'], 1 << 20);
  const rows: unknown[][] = [];
  for (let i = 0; i < 60; i++) {
    rows.push([BigInt(i * 7919 - 200), i % 5 === 0 ? null : `row ${i} ${'é😀'.repeat(i % 4)}`, Buffer.alloc(i * 37, i), i / 7, BigInt(i) * 86_400_000_000n]);
  }
  rows.push([null, null, null, null, null]);
  rows.push([1n, 'x'.repeat(40_000), Buffer.alloc(30_000, 3), -0, 0n]);
  const parts: Buffer[] = [];
  for (const r of rows) parts.push(...enc.encodeRow(r as never));
  parts.push(...enc.finish());
  const stream = Buffer.concat(parts);
  const hashers = [
    binaryHasher('int8', 'int64')!,
    binaryHasher('text', 'text')!,
    binaryHasher('bytea', 'bytes')!,
    binaryHasher('float8', 'float64')!,
    binaryHasher('timestamptz', 'timestamptz')!,
  ];

  const expected = new ChecksumAccumulator();
  // Timestamps are given in their canonical form already (microseconds since 1970).
  const ns = (['int64', 'text', 'bytes', 'float64'] as const).map((l) => normalizerFor(l));
  for (const r of rows) expected.addRow(r.map((v, i) => (i < 4 ? ns[i]!(v as never) : (v as bigint | null))));

  async function* cut(sizes: number[]): AsyncGenerator<Buffer> {
    let at = 0;
    for (let k = 0; at < stream.length; k++) {
      const n = sizes[k % sizes.length]!;
      yield stream.subarray(at, at + n);
      at += n;
    }
  }
  assert.equal((await digestBinaryCopy(cut([stream.length]), hashers)).digest(), expected.digest());
  for (const sizes of [[1], [7], [13, 1, 100], [18, 19, 20], [64], [1000], [16 * 1024 + 3], [50_000, 5]]) {
    assert.equal((await digestBinaryCopy(cut(sizes), hashers)).digest(), expected.digest(), `chunks of ${sizes.join('/')}`);
  }
});
