import type { Value } from '../../values/value.js';
import { ConversionError } from '../../values/convert-value.js';
import { parseDecimal } from '../../values/decimal-text.js';
import { formatTimeOfDay, formatTimestamp, parseIsoDate, timestampInRange } from '../../values/time-text.js';
import { floatText, floatValue, intValue, readUuid, refuse, textProblem, textValue, type CopyEncoder, type PgTypeKind } from './postgres-copy-kinds.js';

/** Bytes per chunk handed to COPY when the caller gives none. */
const DEFAULT_CHUNK_BYTES = 64 * 1024;
const NO_CHUNKS: Buffer[] = [];
Object.freeze(NO_CHUNKS);

const NEEDS_ESCAPE = /[\\\t\n\r]/;
const ESCAPES = /[\\\t\n\r]/g;
const ESCAPED: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/**
 * A string as one field of COPY text format: backslash, tab, newline and carriage return escaped
 * (so '\N' as text stays text), or a ConversionError for a NUL, which PostgreSQL text cannot hold.
 */
export function copyTextField(s: string): string {
  const problem = textProblem(s);
  if (problem) throw new ConversionError(problem);
  return NEEDS_ESCAPE.test(s) ? s.replace(ESCAPES, (c) => ESCAPED[c]!) : s;
}

/** bytea in COPY text: `\x` hex, its backslash doubled for the COPY layer. */
function byteaField(v: Value, kind: PgTypeKind): string {
  if (!(v instanceof Uint8Array)) throw refuse(kind, v, 'is not a blob');
  return `\\\\x${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}`;
}

type Formatter = (v: Value) => string;

/** A field for a column of unknown type: strings as they are, other values spelt exactly. */
function anyField(v: Value): string {
  if (v instanceof Uint8Array) return byteaField(v, 'other');
  if (typeof v === 'boolean') return v ? 't' : 'f';
  return copyTextField(textValue('other', v));
}

function timestampField(v: Value, kind: 'timestamp' | 'timestamptz'): string {
  if (typeof v !== 'bigint') throw refuse(kind, v, 'is not microseconds since 1970 (bigint)');
  if (!timestampInRange(v)) throw refuse(kind, v, 'is outside the years 1 to 294276');
  return kind === 'timestamptz' ? `${formatTimestamp(v)}+00` : formatTimestamp(v);
}

const uuidScratch = Buffer.alloc(16);

const FORMATTERS: Record<PgTypeKind, Formatter> = {
  int2: (v) => intValue('int2', v).toString(),
  int4: (v) => intValue('int4', v).toString(),
  int8: (v) => intValue('int8', v).toString(),
  // float8in reads shortest round-trip text back to the same double.
  float4: (v) => floatText(floatValue('float4', v)),
  float8: (v) => floatText(typeof v === 'number' ? v : floatValue('float8', v)),
  numeric: (v) => {
    const t = textValue('numeric', v);
    if (parseDecimal(t) === null) throw refuse('numeric', v, 'is not a decimal number PostgreSQL numeric can hold');
    return t;
  },
  bool: (v) => {
    if (v === true || v === 1n || v === 1) return 't';
    if (v === false || v === 0n || v === 0) return 'f';
    throw refuse('bool', v, 'is not a boolean');
  },
  text: (v) => copyTextField(typeof v === 'string' ? v : textValue('text', v)),
  bytea: (v) => byteaField(v, 'bytea'),
  date: (v) => {
    const days = typeof v === 'string' ? parseIsoDate(v) : 'is not an ISO date';
    if (typeof days === 'string') throw refuse('date', v, days);
    return v as string;
  },
  time: (v) => {
    if (typeof v !== 'bigint' || v < 0n || v > 86_400_000_000n) throw refuse('time', v, 'is not a time of day (microseconds since midnight)');
    return formatTimeOfDay(v);
  },
  timestamp: (v) => timestampField(v, 'timestamp'),
  timestamptz: (v) => timestampField(v, 'timestamptz'),
  json: (v) => copyTextField(textValue('json', v)),
  jsonb: (v) => copyTextField(textValue('jsonb', v)),
  uuid: (v) => {
    if (typeof v !== 'string' || !readUuid(v, uuidScratch, 0)) throw refuse('uuid', v, 'is not a UUID');
    return v;
  },
  other: anyField,
};

/**
 * Encodes rows as COPY TEXT data (`\N` for NULL, tab-separated, escaped), for tables with a column
 * the binary encoder cannot write and as a fallback. Same contract as BinaryCopyEncoder: a row
 * that cannot be encoded throws ConversionError (with `column`) and leaves nothing behind.
 */
export class TextCopyEncoder implements CopyEncoder {
  private readonly formatters: Formatter[];
  private buf: Buffer;
  private pos = 0;
  private readonly capacity: number;

  constructor(
    kinds: PgTypeKind[],
    private readonly chunkBytes = DEFAULT_CHUNK_BYTES,
  ) {
    this.formatters = kinds.map((kind) => FORMATTERS[kind]);
    this.capacity = chunkBytes + 16 * 1024;
    this.buf = Buffer.allocUnsafe(this.capacity);
  }

  /** Encodes one row; returns the chunks it completed (usually none). */
  encodeRow(values: readonly Value[]): Buffer[] {
    const formatters = this.formatters;
    if (values.length !== formatters.length) throw new TypeError(`a row has ${values.length} values for ${formatters.length} COPY columns`);
    // The whole line is built before anything is written, so a refused row leaves no trace.
    let line = '';
    for (let i = 0; i < formatters.length; i++) {
      const v = values[i];
      let field: string;
      try {
        field = v === null || v === undefined ? '\\N' : formatters[i]!(v);
      } catch (e) {
        if (e instanceof ConversionError) {
          e.column = i;
          throw e;
        }
        if (e instanceof RangeError) throw new ConversionError(`value ${String(v)} is out of range: ${e.message}`, i);
        throw e;
      }
      line += i === 0 ? field : `\t${field}`;
    }
    line += '\n';
    const room = line.length < 65536 ? line.length * 3 : Buffer.byteLength(line);
    if (this.pos + room > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + room + this.capacity));
      this.buf.copy(bigger, 0, 0, this.pos);
      this.buf = bigger;
    }
    this.pos += this.buf.write(line, this.pos);
    return this.pos >= this.chunkBytes ? [this.take()] : NO_CHUNKS;
  }

  /** The rest of the data (text format needs no trailer). */
  finish(): Buffer[] {
    return this.pos > 0 ? [this.take()] : [];
  }

  private take(): Buffer {
    const chunk = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(this.capacity);
    this.pos = 0;
    return chunk;
  }
}
