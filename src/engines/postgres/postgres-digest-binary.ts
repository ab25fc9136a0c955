import { ChecksumAccumulator } from '../../values/checksum.js';
import { normalizerFor } from '../../values/convert-value.js';
import { civilFromDays } from '../../values/time-text.js';
import type { LogicalType } from '../../values/column-type.js';
import type { PgTypeKind } from './postgres-copy-kinds.js';

/** Microseconds from 1970-01-01 to PostgreSQL's epoch 2000-01-01, split in 32-bit words. */
const EPOCH_SHIFT = 946_684_800_000_000;
const SHIFT_LO = EPOCH_SHIFT % 2 ** 32;
const SHIFT_HI = Math.floor(EPOCH_SHIFT / 2 ** 32);
/** COPY BINARY's signature, flags word and header-extension length. */
const HEADER_BYTES = 19;

/** A column decoder: hashes the field at buf[at, at+len) into the accumulator. */
type FieldHasher = (acc: ChecksumAccumulator, buf: Buffer, at: number, len: number) => void;

/** Thrown when a value has no binary fast path (e.g. an infinite timestamp): use the text path. */
export class NeedsTextPath extends Error {}

const f32 = new Float32Array(1);
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/**
 * The field hasher of one column, or null when the kind has no fast path here. Each gives the
 * same words as the logical type's normaliser followed by ChecksumAccumulator.addRow.
 */
export function binaryHasher(kind: PgTypeKind, logical: LogicalType): FieldHasher | null {
  switch (kind) {
    case 'int8':
      if (logical !== 'int64') return null;
      return (acc, buf, at) => acc.int64Words(buf.readInt32BE(at + 4), buf.readInt32BE(at));
    case 'int4':
    case 'int2':
      if (logical !== 'int64') return null;
      return (acc, buf, at) => {
        const v = kind === 'int4' ? buf.readInt32BE(at) : buf.readInt16BE(at);
        acc.int64Words(v, v < 0 ? -1 : 0);
      };
    case 'float8':
      if (logical !== 'float64') return null;
      return (acc, buf, at) => {
        const hi = buf.readUInt32BE(at);
        const lo = buf.readUInt32BE(at + 4);
        // One NaN bit pattern, as the normaliser gives.
        if ((hi & 0x7ff00000) === 0x7ff00000 && ((hi & 0xfffff) !== 0 || lo !== 0)) acc.float64Words(0, 0x7ff80000);
        // -0 compares as 0, as the normaliser has it.
        else if (hi === 0x80000000 && lo === 0) acc.float64Words(0, 0);
        else acc.float64Words(lo, hi);
      };
    case 'float4':
      if (logical !== 'float64') return null;
      return (acc, buf, at) => {
        f32[0] = buf.readFloatBE(at);
        f64[0] = Number.isNaN(f32[0]) ? NaN : f32[0] === 0 ? 0 : f32[0];
        acc.float64Words(u32[0]!, u32[1]!);
      };
    case 'bool':
      if (logical !== 'boolean') return null;
      return (acc, buf, at) => acc.int64Words(buf[at]! ? 1 : 0, 0);
    case 'text':
      if (logical === 'text' || logical === 'pgtext' || logical === 'json') return (acc, buf, at, len) => acc.textUtf8(buf, at, at + len);
      return null;
    case 'json':
      if (logical !== 'json') return null;
      return (acc, buf, at, len) => acc.textUtf8(buf, at, at + len);
    case 'jsonb':
      if (logical !== 'jsonb') return null;
      // Version byte 1, then the document as text.
      return (
        (n) => (acc: ChecksumAccumulator, buf: Buffer, at: number, len: number) =>
          acc.anyValue(n(buf.toString('utf8', at + 1, at + len)))
      )(normalizerFor('jsonb', { pgText: true }));
    case 'bytea':
      if (logical !== 'bytes') return null;
      return (acc, buf, at, len) => acc.blobRange(buf, at, at + len);
    case 'timestamp':
    case 'timestamptz':
      if (logical !== kind) return null;
      return (acc, buf, at) => {
        const hi = buf.readInt32BE(at);
        const lo = buf.readUInt32BE(at + 4);
        // ±infinity are int64 max/min: the normaliser marks them invalid; let the text path do it.
        if ((hi === 0x7fffffff && lo === 0xffffffff) || (hi === -0x80000000 && lo === 0)) throw new NeedsTextPath();
        const sumLo = lo + SHIFT_LO;
        const carry = sumLo >= 2 ** 32 ? 1 : 0;
        acc.int64Words(sumLo - carry * 2 ** 32, hi + SHIFT_HI + carry);
      };
    case 'date':
      if (logical !== 'date') return null;
      return (acc, buf, at) => {
        const days = buf.readInt32BE(at);
        if (days === 0x7fffffff || days === -0x80000000) throw new NeedsTextPath();
        acc.textValue(civilDate(days + 10957));
      };
    case 'uuid':
      if (logical === 'uuid') return (acc, buf, at) => acc.textValue(uuidText(buf, at));
      return null;
    case 'time':
      if (logical !== 'time') return null;
      return (acc, buf, at) => acc.int64Words(buf.readInt32BE(at + 4), buf.readInt32BE(at));
    case 'numeric':
      if (logical !== 'numeric') return null;
      return (
        (n) => (acc: ChecksumAccumulator, buf: Buffer, at: number) =>
          acc.anyValue(n(numericText(buf, at)))
      )(normalizerFor('numeric', { pgText: true }));
    default:
      return null;
  }
}

/** The canonical lower-case 8-4-4-4-12 text of a binary uuid. */
function uuidText(buf: Buffer, at: number): string {
  const h = buf.toString('hex', at, at + 16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** 'YYYY-MM-DD' of a day count since 1970-01-01 (proleptic Gregorian), as PostgreSQL prints it. */
function civilDate(days: number): string {
  const [y, m, d] = civilFromDays(days);
  if (y < 1) throw new NeedsTextPath();
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** The decimal text of a binary numeric (ndigits, weight, sign, dscale, base-10000 digits). */
function numericText(buf: Buffer, at: number): string {
  const ndigits = buf.readUInt16BE(at);
  const weight = buf.readInt16BE(at + 2);
  const sign = buf.readUInt16BE(at + 4);
  const dscale = buf.readUInt16BE(at + 6);
  if (sign === 0xc000) return 'NaN';
  if (sign === 0xd000) return 'Infinity';
  if (sign === 0xf000) return '-Infinity';
  let int = '';
  let frac = '';
  for (let i = 0; i < ndigits; i++) {
    const d = buf.readUInt16BE(at + 8 + 2 * i);
    const text = i === 0 && i <= weight ? String(d) : String(d).padStart(4, '0');
    if (i <= weight) int += text;
    else frac += text;
  }
  // Groups between the last digit and the decimal point are zeros; so are leading fraction groups.
  if (weight >= ndigits) int += '0000'.repeat(weight - ndigits + 1);
  if (weight < -1) frac = '0000'.repeat(-weight - 1) + frac;
  if (int === '') int = '0';
  frac = frac.padEnd(dscale, '0').slice(0, dscale);
  return `${sign === 0x4000 ? '-' : ''}${int}${frac ? `.${frac}` : ''}`;
}

/** Bytes of a new chunk joined to the unfinished row of the last one, to finish that row cheaply. */
const HEAD_BYTES = 16 * 1024;

/**
 * Hashes COPY BINARY data (as PostgresEngine.copyOutBinary delivers it) row by row straight from
 * the bytes: no JS value per field for integers, doubles, booleans, timestamps, text and blobs,
 * which is what makes verify's PostgreSQL side fast.
 */
export async function digestBinaryCopy(chunks: AsyncIterable<Buffer>, hashers: FieldHasher[]): Promise<ChecksumAccumulator> {
  const acc = new ChecksumAccumulator();
  let pending: Buffer = Buffer.alloc(0);
  let headerDone = false;
  for await (const chunk of chunks) {
    let buf = chunk;
    let pos = 0;
    if (pending.length && !headerDone) {
      buf = Buffer.concat([pending, chunk]);
    } else if (pending.length) {
      // The row cut off by the last chunk is finished from the head of this one, so a chunk is
      // not copied whole at every boundary; a row longer than that head takes the whole chunk.
      const head = Buffer.concat([pending, chunk.subarray(0, Math.min(chunk.length, HEAD_BYTES))]);
      const used = hashRows(acc, head, 0, hashers);
      if (used > pending.length) pos = used - pending.length;
      else {
        buf = Buffer.concat([pending, chunk]);
        pos = 0;
      }
    }
    if (!headerDone) {
      if (buf.length < HEADER_BYTES) {
        pending = Buffer.from(buf);
        continue;
      }
      pos = HEADER_BYTES + buf.readUInt32BE(15);
      headerDone = true;
    }
    pos = hashRows(acc, buf, pos, hashers);
    // Keep only the unfinished row, not the chunk it came in.
    pending = pos < buf.length ? Buffer.from(buf.subarray(pos)) : Buffer.alloc(0);
  }
  return acc;
}

/**
 * Hashes the complete rows of buf from pos on and returns where the first incomplete one starts
 * (or the end, after the trailer). One pass per row: fields are hashed as they come; a row cut off
 * by the buffer's end is dropped (startRow discards it) and hashed again, whole, later.
 */
function hashRows(acc: ChecksumAccumulator, buf: Buffer, pos: number, hashers: FieldHasher[]): number {
  const n = buf.length;
  for (;;) {
    if (pos + 2 > n) return pos;
    const fields = (buf[pos]! << 8) | buf[pos + 1]!;
    if (fields === 0xffff) return n;
    let at = pos + 2;
    acc.startRow();
    for (let f = 0; f < fields; f++) {
      if (at + 4 > n) return pos;
      const len = (buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!;
      at += 4;
      if (len < 0) {
        acc.nullValue();
        continue;
      }
      if (at + len > n) return pos;
      hashers[f]!(acc, buf, at, len);
      at += len;
    }
    acc.finishRow();
    pos = at;
  }
}
