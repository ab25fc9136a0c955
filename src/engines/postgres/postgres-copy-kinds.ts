import type { Value } from '../../values/value.js';
import { ConversionError } from '../../values/convert-value.js';

/**
 * The PostgreSQL column types COPY encoders know, by wire format. 'other' has no binary encoding
 * here: a table with such a column is written with the text encoder.
 */
export type PgTypeKind =
  | 'int2'
  | 'int4'
  | 'int8'
  | 'float4'
  | 'float8'
  | 'numeric'
  | 'bool'
  | 'text'
  | 'bytea'
  | 'date'
  | 'time'
  | 'timestamp'
  | 'timestamptz'
  | 'json'
  | 'jsonb'
  | 'uuid'
  | 'other';

/** Turns rows of canonical values into COPY data, in chunks of tens of KB (see postgres-copy-in). */
export interface CopyEncoder {
  /** The chunks this row completed: usually none (a shared empty array, never modify it). */
  encodeRow(values: readonly Value[]): Buffer[];
  /** The last chunk(s), including any trailer; the encoder is done after this. */
  finish(): Buffer[];
}

const KINDS = new Map<string, PgTypeKind>([
  ['smallint', 'int2'],
  ['int2', 'int2'],
  ['smallserial', 'int2'],
  ['serial2', 'int2'],
  ['integer', 'int4'],
  ['int', 'int4'],
  ['int4', 'int4'],
  ['serial', 'int4'],
  ['serial4', 'int4'],
  ['bigint', 'int8'],
  ['int8', 'int8'],
  ['bigserial', 'int8'],
  ['serial8', 'int8'],
  ['real', 'float4'],
  ['float4', 'float4'],
  ['double precision', 'float8'],
  ['float8', 'float8'],
  ['float', 'float8'],
  ['numeric', 'numeric'],
  ['decimal', 'numeric'],
  ['boolean', 'bool'],
  ['bool', 'bool'],
  ['text', 'text'],
  ['varchar', 'text'],
  ['character varying', 'text'],
  ['character', 'text'],
  ['char', 'text'],
  ['bpchar', 'text'],
  // citext's binary input is text's (citextrecv).
  ['citext', 'text'],
  ['public.citext', 'text'],
  ['time', 'time'],
  ['time without time zone', 'time'],
  ['bytea', 'bytea'],
  ['date', 'date'],
  ['timestamp', 'timestamp'],
  ['timestamp without time zone', 'timestamp'],
  ['timestamptz', 'timestamptz'],
  ['timestamp with time zone', 'timestamptz'],
  ['json', 'json'],
  ['jsonb', 'jsonb'],
  ['uuid', 'uuid'],
]);

/**
 * The wire kind of a PostgreSQL type as spelt in DDL or by format_type (`numeric(10,2)`,
 * `character varying(20)`, `timestamp(3) with time zone`, `pg_catalog.int8`); 'other' for types
 * without a binary encoder here (arrays, intervals, domains, enums, ...).
 */
export function pgTypeKind(typeText: string): PgTypeKind {
  let t = typeText.trim().toLowerCase().replace(/"/g, '');
  if (t.endsWith(']')) return 'other';
  if (t.startsWith('pg_catalog.')) t = t.slice('pg_catalog.'.length);
  // Type modifiers do not change the wire format; float(p) does choose between real and double.
  const float = /^float\s*\(\s*(\d+)\s*\)$/.exec(t);
  if (float) return Number(float[1]) <= 24 ? 'float4' : 'float8';
  t = t
    .replace(/\s*\([^)]*\)/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  return KINDS.get(t) ?? 'other';
}

/** Why PostgreSQL text cannot hold `s`, or null. */
export function textProblem(s: string): string | null {
  return s.indexOf('\u0000') === -1 ? null : 'text contains a NUL character, which PostgreSQL text cannot store';
}

/** A refusal for a value given to a column of `kind`. */
export function refuse(kind: PgTypeKind, v: Value, why: string): ConversionError {
  const shown =
    typeof v === 'string' ? `'${v.length > 40 ? `${v.slice(0, 40)}…` : v}'` : v instanceof Uint8Array ? `a blob of ${v.byteLength} bytes` : String(v);
  return new ConversionError(`${shown} ${why} (PostgreSQL ${kind})`);
}

const INT_RANGE: Record<'int2' | 'int4' | 'int8', [bigint, bigint]> = {
  int2: [-32768n, 32767n],
  int4: [-2147483648n, 2147483647n],
  int8: [-(2n ** 63n), 2n ** 63n - 1n],
};

/** The value as an integer of `kind`'s range, or a ConversionError. */
export function intValue(kind: 'int2' | 'int4' | 'int8', v: Value): bigint {
  let b: bigint;
  if (typeof v === 'bigint') b = v;
  else if (typeof v === 'number' && Number.isInteger(v)) b = BigInt(v);
  else if (typeof v === 'boolean') b = v ? 1n : 0n;
  else throw refuse(kind, v, 'is not an integer');
  const [min, max] = INT_RANGE[kind];
  if (b < min || b > max) throw refuse(kind, v, 'is out of range for the column type');
  return b;
}

/** The value as a double; float4 only when a 4-byte float holds it exactly. */
export function floatValue(kind: 'float4' | 'float8', v: Value): number {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'bigint' && BigInt(Number(v)) === v) n = Number(v);
  else throw refuse(kind, v, 'is not a number that a double holds exactly');
  if (kind === 'float4' && Math.fround(n) !== n && !Number.isNaN(n)) throw refuse(kind, v, 'cannot be held exactly by a 4-byte real; use double precision');
  return n;
}

/** A double as PostgreSQL prints float8: shortest round-trip text, '-0' for negative zero. */
export function floatText(n: number): string {
  return Object.is(n, -0) ? '-0' : String(n);
}

/** Text for string-like columns from any value (numbers spelt exactly); blobs are refused. */
export function textValue(kind: PgTypeKind, v: Value): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return floatText(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  throw refuse(kind, v, 'is a blob, which only a bytea column can hold');
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Reads a UUID the way PostgreSQL's uuid input does (optional braces, 32 hex digits, a hyphen
 * allowed after any group of four) into `out` at `at`; false when it is not one.
 */
export function readUuid(text: string, out: Buffer, at: number): boolean {
  let i = 0;
  let end = text.length;
  if (text.charCodeAt(0) === 123 /* { */) {
    if (text.charCodeAt(end - 1) !== 125 /* } */) return false;
    i = 1;
    end -= 1;
  }
  let count = 0;
  for (; i < end; i++) {
    const h = hexValue(text.charCodeAt(i));
    if (h < 0) {
      if (text.charCodeAt(i) === 45 && count > 0 && count < 32 && count % 4 === 0 && text.charCodeAt(i - 1) !== 45) continue;
      return false;
    }
    if (count >= 32) return false;
    if (count % 2 === 0) out[at + (count >> 1)] = h << 4;
    else out[at + (count >> 1)] |= h;
    count++;
  }
  return count === 32;
}
