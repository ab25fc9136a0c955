import type { Value } from '../../values/value.js';
import { ConversionError } from '../../values/convert-value.js';
import { parseDecimal } from '../../values/decimal-text.js';
import { PG_EPOCH_DAYS, PG_EPOCH_MICROS, parseIsoDate, timestampInRange } from '../../values/time-text.js';
import { floatValue, intValue, readUuid, refuse, textProblem, textValue, type CopyEncoder, type PgTypeKind } from './postgres-copy-kinds.js';

export { pgTypeKind, type CopyEncoder, type PgTypeKind } from './postgres-copy-kinds.js';

/** Bytes per chunk handed to COPY when the caller gives none: pg-copy-streams needs tens of KB. */
export const DEFAULT_CHUNK_BYTES = 64 * 1024;

/** `PGCOPY\n\377\r\n\0`, flags 0, header extension length 0. */
const HEADER = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
const NO_CHUNKS: Buffer[] = [];
Object.freeze(NO_CHUNKS);

// Scratch space to turn a bigint into its 8 bytes without BigInt arithmetic per value.
const scratch64 = new BigInt64Array(1);
const scratchBytes = new Uint8Array(scratch64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The growing output buffer the field writers append to. */
class Sink {
  buf: Buffer;
  pos = 0;
  constructor(readonly capacity: number) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  /** Makes room for `n` more bytes; only rows bigger than the slack ever copy. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n + this.capacity));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  int16(v: number): void {
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
  }

  int32(v: number): void {
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
  }

  int64(v: bigint): void {
    scratch64[0] = v;
    const b = this.buf;
    const p = this.pos;
    for (let i = 0; i < 8; i++) b[p + i] = scratchBytes[LITTLE_ENDIAN ? 7 - i : i]!;
    this.pos = p + 8;
  }

  /** Length-prefixed UTF-8 text, written in place; `prefix` is jsonb's version byte. */
  text(s: string, prefix: number): void {
    const extra = prefix >= 0 ? 1 : 0;
    // A UTF-16 code unit needs at most 3 UTF-8 bytes; past that guess, measure exactly.
    const room = s.length < 65536 ? s.length * 3 : Buffer.byteLength(s);
    this.ensure(4 + extra + room);
    const start = this.pos + 4;
    if (extra) this.buf[start] = prefix;
    const written = this.buf.write(s, start + extra);
    this.buf.writeInt32BE(written + extra, this.pos);
    this.pos = start + extra + written;
  }

  /** Hands out what was written and starts a fresh buffer. */
  take(): Buffer {
    const chunk = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(this.capacity);
    this.pos = 0;
    return chunk;
  }
}

type Writer = (s: Sink, v: Value) => void;

const WRITERS: Record<Exclude<PgTypeKind, 'other'>, Writer> = {
  int2: (s, v) => {
    s.ensure(6);
    s.int32(2);
    s.int16(Number(intValue('int2', v)));
  },
  int4: (s, v) => {
    s.ensure(8);
    s.int32(4);
    s.int32(Number(intValue('int4', v)));
  },
  int8: (s, v) => {
    const b = intValue('int8', v);
    s.ensure(12);
    s.int32(8);
    s.int64(b);
  },
  float4: (s, v) => {
    const n = floatValue('float4', v);
    s.ensure(8);
    s.int32(4);
    s.buf.writeFloatBE(n, s.pos);
    s.pos += 4;
  },
  float8: (s, v) => {
    const n = typeof v === 'number' ? v : floatValue('float8', v);
    s.ensure(12);
    s.int32(8);
    s.buf.writeDoubleBE(n, s.pos);
    s.pos += 8;
  },
  numeric: (s, v) => writeNumeric(s, typeof v === 'string' ? v : textValue('numeric', v)),
  bool: (s, v) => {
    if (typeof v !== 'boolean' && v !== 0n && v !== 1n && v !== 0 && v !== 1) throw refuse('bool', v, 'is not a boolean');
    s.ensure(5);
    s.int32(1);
    s.buf[s.pos++] = v === true || v === 1n || v === 1 ? 1 : 0;
  },
  text: (s, v) => {
    const t = typeof v === 'string' ? v : textValue('text', v);
    const problem = textProblem(t);
    if (problem) throw new ConversionError(problem);
    s.text(t, -1);
  },
  bytea: (s, v) => {
    if (!(v instanceof Uint8Array)) throw refuse('bytea', v, 'is not a blob');
    s.ensure(4 + v.byteLength);
    s.int32(v.byteLength);
    s.buf.set(v, s.pos);
    s.pos += v.byteLength;
  },
  date: (s, v) => {
    const days = typeof v === 'string' ? parseIsoDate(v) : 'is not an ISO date';
    if (typeof days === 'string') throw refuse('date', v, days);
    s.ensure(8);
    s.int32(4);
    s.int32(days - PG_EPOCH_DAYS);
  },
  time: (s, v) => {
    if (typeof v !== 'bigint' || v < 0n || v > 86_400_000_000n) throw refuse('time', v, 'is not a time of day (microseconds since midnight)');
    s.ensure(12);
    s.int32(8);
    s.int64(v);
  },
  timestamp: (s, v) => writeTimestamp(s, v, 'timestamp'),
  timestamptz: (s, v) => writeTimestamp(s, v, 'timestamptz'),
  json: (s, v) => writeJson(s, v, 'json'),
  jsonb: (s, v) => writeJson(s, v, 'jsonb'),
  uuid: (s, v) => {
    s.ensure(20);
    if (typeof v !== 'string' || !readUuid(v, s.buf, s.pos + 4)) throw refuse('uuid', v, 'is not a UUID');
    s.int32(16);
    s.pos += 16;
  },
};

function writeTimestamp(s: Sink, v: Value, kind: 'timestamp' | 'timestamptz'): void {
  if (typeof v !== 'bigint') throw refuse(kind, v, 'is not microseconds since 1970 (bigint)');
  if (!timestampInRange(v)) throw refuse(kind, v, 'is outside the years 1 to 294276');
  s.ensure(12);
  s.int32(8);
  s.int64(v - PG_EPOCH_MICROS);
}

function writeJson(s: Sink, v: Value, kind: 'json' | 'jsonb'): void {
  const t = textValue(kind, v);
  const problem = textProblem(t);
  if (problem) throw new ConversionError(problem);
  // jsonb's binary input is a version byte (1) followed by the JSON text.
  s.text(t, kind === 'jsonb' ? 1 : -1);
}

const NUMERIC_POS = 0x0000;
const NUMERIC_NEG = 0x4000;
const SPECIAL_SIGNS = { NaN: 0xc000, Infinity: 0xd000, '-Infinity': 0xf000 } as const;

/**
 * PostgreSQL's binary numeric: digit count, weight (of the first base-10000 digit), sign,
 * display scale, then base-10000 digits grouped around the decimal point.
 */
function writeNumeric(s: Sink, text: string): void {
  const d = parseDecimal(text);
  if (d === null) throw refuse('numeric', text, 'is not a decimal number PostgreSQL numeric can hold');
  if (typeof d === 'string') {
    s.ensure(12);
    s.int32(8);
    s.int16(0);
    s.int16(0);
    s.buf.writeUInt16BE(SPECIAL_SIGNS[d], s.pos);
    s.pos += 2;
    s.int16(0);
    return;
  }
  // Align the digits on groups of four around the point: zeros to the right until the lowest
  // power is a multiple of 4, then to the left until whole groups remain.
  const shift = ((d.exponent % 4) + 4) % 4;
  let digits = shift ? d.digits + '0'.repeat(shift) : d.digits;
  const lead = (4 - (digits.length % 4)) % 4;
  if (lead) digits = '0'.repeat(lead) + digits;
  const groups = digits.length / 4;
  const weight = groups === 0 ? 0 : (d.exponent - shift) / 4 + groups - 1;
  if (groups > 0xffff || weight > 32767 || weight < -32768) throw refuse('numeric', text, 'has too many digits for PostgreSQL numeric');
  s.ensure(12 + groups * 2);
  s.int32(8 + groups * 2);
  s.buf.writeUInt16BE(groups, s.pos);
  s.pos += 2;
  s.int16(weight);
  s.buf.writeUInt16BE(d.negative ? NUMERIC_NEG : NUMERIC_POS, s.pos);
  s.pos += 2;
  s.int16(d.scale);
  for (let g = 0; g < groups; g++) {
    const i = g * 4;
    const v =
      (digits.charCodeAt(i) - 48) * 1000 + (digits.charCodeAt(i + 1) - 48) * 100 + (digits.charCodeAt(i + 2) - 48) * 10 + (digits.charCodeAt(i + 3) - 48);
    s.int16(v);
  }
}

/**
 * Encodes rows of canonical values (convert-value.ts) as COPY BINARY data for columns of the given
 * kinds. Rows go into one preallocated buffer handed out whenever it passes `chunkBytes`; a row
 * that cannot be encoded throws ConversionError (with `column` set) and leaves no trace, so the
 * caller can reject it and go on.
 */
export class BinaryCopyEncoder implements CopyEncoder {
  private readonly sink: Sink;
  private readonly writers: Writer[];
  private finished = false;

  constructor(
    kinds: PgTypeKind[],
    private readonly chunkBytes = DEFAULT_CHUNK_BYTES,
  ) {
    this.writers = kinds.map((kind) => {
      if (kind === 'other') throw new TypeError("BinaryCopyEncoder has no binary format for kind 'other'; use TextCopyEncoder for this table");
      return WRITERS[kind];
    });
    // Slack past the chunk size so a row that crosses it rarely has to grow the buffer.
    this.sink = new Sink(chunkBytes + 16 * 1024);
    this.sink.buf.set(HEADER, 0);
    this.sink.pos = HEADER.length;
  }

  /** Encodes one row; returns the chunks it completed (usually none). */
  encodeRow(values: readonly Value[]): Buffer[] {
    const writers = this.writers;
    if (values.length !== writers.length) throw new TypeError(`a row has ${values.length} values for ${writers.length} COPY columns`);
    const s = this.sink;
    const start = s.pos;
    let i = 0;
    try {
      s.ensure(2);
      s.int16(writers.length);
      for (; i < writers.length; i++) {
        const v = values[i];
        if (v === null || v === undefined) {
          s.ensure(4);
          s.int32(-1);
        } else {
          writers[i]!(s, v);
        }
      }
    } catch (e) {
      s.pos = start;
      if (e instanceof ConversionError) {
        e.column = i;
        throw e;
      }
      if (e instanceof RangeError) throw new ConversionError(`value ${String(values[i])} is out of range: ${e.message}`, i);
      throw e;
    }
    return s.pos >= this.chunkBytes ? [s.take()] : NO_CHUNKS;
  }

  /**
   * Adds tuples already encoded elsewhere (SQLite's native ferry_copy_rows), in order after the
   * rows before them: what is buffered goes out first, then the tuples as they are, uncopied.
   */
  appendEncoded(tuples: Buffer): Buffer[] {
    if (tuples.length === 0) return NO_CHUNKS;
    const s = this.sink;
    if (s.pos + tuples.length <= s.buf.length && tuples.length < 4096) {
      tuples.copy(s.buf, s.pos);
      s.pos += tuples.length;
      return s.pos >= this.chunkBytes ? [s.take()] : NO_CHUNKS;
    }
    return s.pos > 0 ? [s.take(), tuples] : [tuples];
  }

  /** The rest of the data and the trailer (-1 as field count). */
  finish(): Buffer[] {
    if (this.finished) return [];
    this.finished = true;
    this.sink.ensure(2);
    this.sink.int16(-1);
    return [this.sink.take()];
  }
}
