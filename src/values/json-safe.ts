import type { Value } from './value.js';

/** A value as JSON can hold it exactly: int64 as a decimal string, blobs as hex, odd doubles spelt out. */
export function jsonSafe(v: Value): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return { hex: Buffer.from(v).toString('hex') };
  if (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0))) return Object.is(v, -0) ? '-0' : String(v);
  return v;
}
