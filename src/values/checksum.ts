import type { Value } from './value.js';

/**
 * Order-independent content checksum of a table.
 *
 * Each row is hashed into two independent 32-bit lanes over a canonical encoding of its values
 * (storage class tag + exact bits: int64 as 8 bytes, doubles as their IEEE bits, text as UTF-16
 * code units, blobs as hex digits); the row hashes are summed modulo 2^32 per lane. A sum does not
 * depend on row order, so both sides can be read in whatever order is fastest, and a row can be
 * taken out again (`subtract`) for rows a run deliberately left out (skipped conflicts). Values
 * that differ only in storage class (1 vs 1.0 vs '1') hash differently.
 *
 * Engines may feed values in the "tagged" form that SQL can produce cheaply: text as 't' + text,
 * blob as 'b' + upper-case hex (see `addTaggedRow`). Both forms give the same digest.
 */

const TAG_NULL = 1;
const TAG_INT = 2;
const TAG_REAL = 3;
const TAG_TEXT = 4;
const TAG_BLOB = 5;

const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);
const u32 = new Uint32Array(f64.buffer);

function mix(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const SEED_A = 0x9747b28c | 0;
const SEED_B = 0x5bd1e995 | 0;
const MOD = 4294967296;
/** Character codes of the upper-case hex digits, for hashing blobs. */
const HEX = [...'0123456789ABCDEF'].map((c) => c.charCodeAt(0));
/** Lane B sees every word xor this constant, so the two lanes are independent hashes. */
const LANE_B = 0x2f6b3a19;

/** Running checksum of a set of rows. */
export class ChecksumAccumulator {
  rows = 0;
  private a = 0;
  private b = 0;
  // Lane state of the row being hashed (fields avoid allocating per row).
  private ha = 0;
  private hb = 0;

  /** Adds a row given as plain values (bigint, number, string, Uint8Array, boolean, null). */
  addRow(values: readonly Value[]): void {
    this.beginRow();
    for (let i = 0; i < values.length; i++) this.value(values[i]!);
    this.endRow(1);
  }

  /** Takes a row out again (for rows a run deliberately did not write). */
  subtractRow(values: readonly Value[]): void {
    this.beginRow();
    for (let i = 0; i < values.length; i++) this.value(values[i]!);
    this.endRow(-1);
  }

  /**
   * Adds a row in the tagged form SQL produces cheaply: strings start with 't' (text) or 'b'
   * (blob as upper-case hex); integers are bigint, reals number, NULL null.
   */
  addTaggedRow(values: readonly unknown[]): void {
    this.beginRow();
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (typeof v === 'string') this.chars(v.charCodeAt(0) === 98 /* b */ ? TAG_BLOB : TAG_TEXT, v, 1);
      else this.value(v as Value);
    }
    this.endRow(1);
  }

  // Streaming form, for readers that decode values straight from a wire format (PostgreSQL's COPY
  // BINARY) without building JS values first: startRow(), one call per value, endRow(). The words
  // hashed are exactly those of addRow for the equivalent values.

  /** Starts a row. */
  startRow(): void {
    this.beginRow();
  }

  /** A NULL. */
  nullValue(): void {
    this.word(TAG_NULL);
  }

  /** An integer given as its low and high 32-bit words (two's complement). */
  int64Words(lo: number, hi: number): void {
    this.word(TAG_INT);
    this.word(lo);
    this.word(hi);
  }

  /** A double given as the low and high 32-bit words of its IEEE bits. */
  float64Words(lo: number, hi: number): void {
    this.word(TAG_REAL);
    this.word(lo);
    this.word(hi);
  }

  /** A text value. */
  textValue(s: string): void {
    this.chars(TAG_TEXT, s, 0);
  }

  /**
   * A text value given as UTF-8 bytes, as a wire format delivers it. ASCII (the common case) is
   * hashed straight from the bytes, which are then its UTF-16 code units; anything else is
   * decoded first. Either way the words are those of textValue(the decoded string).
   */
  textUtf8(buf: Uint8Array, start: number, end: number): void {
    let ha = mix(this.ha, TAG_TEXT);
    let hb = mix(this.hb, TAG_TEXT ^ LANE_B);
    let pending = -1;
    let units = 0;
    let i = start;
    while (i < end) {
      let cp = buf[i]!;
      if (cp < 0x80) {
        i++;
      } else {
        // UTF-8 decoded by hand (no string per value); anything not strictly valid goes through
        // Buffer's decoder, which is what a JS string of these bytes would hold.
        const len = cp >= 0xf0 ? 4 : cp >= 0xe0 ? 3 : cp >= 0xc2 ? 2 : 0;
        if (len === 0 || cp > 0xf4 || i + len > end) return this.textSlow(buf, start, end);
        let v = cp & (len === 2 ? 0x1f : len === 3 ? 0x0f : 0x07);
        for (let k = 1; k < len; k++) {
          const c = buf[i + k]!;
          if ((c & 0xc0) !== 0x80) return this.textSlow(buf, start, end);
          v = (v << 6) | (c & 0x3f);
        }
        if ((len === 3 && (v < 0x800 || (v >= 0xd800 && v <= 0xdfff))) || (len === 4 && (v < 0x10000 || v > 0x10ffff))) return this.textSlow(buf, start, end);
        i += len;
        cp = v;
        if (cp >= 0x10000) {
          // A surrogate pair: the high half now, the low half below.
          const high = 0xd800 + ((cp - 0x10000) >> 10);
          cp = 0xdc00 + ((cp - 0x10000) & 0x3ff);
          units++;
          if (pending < 0) pending = high;
          else {
            const k = pending | (high << 16);
            ha = mix(ha, k);
            hb = mix(hb, k ^ LANE_B);
            pending = -1;
          }
        }
      }
      units++;
      if (pending < 0) pending = cp;
      else {
        const k = pending | (cp << 16);
        ha = mix(ha, k);
        hb = mix(hb, k ^ LANE_B);
        pending = -1;
      }
    }
    if (pending >= 0) {
      ha = mix(ha, pending);
      hb = mix(hb, pending ^ LANE_B);
    }
    this.ha = mix(ha, units);
    this.hb = mix(hb, units ^ LANE_B);
  }

  private textSlow(buf: Uint8Array, start: number, end: number): void {
    this.chars(TAG_TEXT, Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('utf8', start, end), 0);
  }

  /** A blob given as a range of a buffer (no copy). */
  blobRange(buf: Uint8Array, start: number, end: number): void {
    let ha = mix(this.ha, TAG_BLOB);
    let hb = mix(this.hb, TAG_BLOB ^ LANE_B);
    for (let i = start; i < end; i++) {
      const b = buf[i]!;
      const k = HEX[b >> 4]! | (HEX[b & 15]! << 16);
      ha = mix(ha, k);
      hb = mix(hb, k ^ LANE_B);
    }
    this.ha = mix(ha, 2 * (end - start));
    this.hb = mix(hb, (2 * (end - start)) ^ LANE_B);
  }

  /** A blob value. */
  blobValue(bytes: Uint8Array): void {
    this.blob(bytes);
  }

  /** Any value, as addRow would hash it. */
  anyValue(v: Value): void {
    this.value(v);
  }

  /** Ends the row and adds it. */
  finishRow(): void {
    this.endRow(1);
  }

  /** Combines another accumulator's sums into this one (parts of one table read separately). */
  merge(other: ChecksumAccumulator): void {
    this.rows += other.rows;
    this.a = (this.a + other.a) % MOD;
    this.b = (this.b + other.b) % MOD;
  }

  /** Takes another accumulator's rows out of this one (rows a run removed on purpose). */
  subtract(other: ChecksumAccumulator): void {
    this.rows -= other.rows;
    this.a = (((this.a - other.a) % MOD) + MOD) % MOD;
    this.b = (((this.b - other.b) % MOD) + MOD) % MOD;
  }

  /** True when both accumulators hold the same multiset of rows (with overwhelming probability). */
  equals(other: ChecksumAccumulator): boolean {
    return this.digest() === other.digest();
  }

  /** The digest: row count and both lane sums, stable across processes and engines. */
  digest(): string {
    return `${this.rows}:${this.a.toString(16).padStart(8, '0')}${this.b.toString(16).padStart(8, '0')}`;
  }

  /** Rebuilds an accumulator from a digest (results coming back from a worker). */
  static fromDigest(d: string): ChecksumAccumulator {
    const [rows, sums] = d.split(':') as [string, string];
    const acc = new ChecksumAccumulator();
    acc.rows = Number(rows);
    acc.a = parseInt(sums.slice(0, 8), 16);
    acc.b = parseInt(sums.slice(8, 16), 16);
    return acc;
  }

  private beginRow(): void {
    this.ha = SEED_A;
    this.hb = SEED_B;
  }

  private endRow(sign: 1 | -1): void {
    const ra = fmix(this.ha);
    const rb = fmix(this.hb);
    this.rows += sign;
    this.a = (((this.a + sign * ra) % MOD) + MOD) % MOD;
    this.b = (((this.b + sign * rb) % MOD) + MOD) % MOD;
  }

  private word(k: number): void {
    this.ha = mix(this.ha, k);
    this.hb = mix(this.hb, k ^ LANE_B);
  }

  private value(v: Value): void {
    if (v === null || v === undefined) {
      this.word(TAG_NULL);
    } else if (typeof v === 'bigint') {
      i64[0] = v;
      this.word(TAG_INT);
      this.word(u32[0]!);
      this.word(u32[1]!);
    } else if (typeof v === 'number') {
      f64[0] = v;
      this.word(TAG_REAL);
      this.word(u32[0]!);
      this.word(u32[1]!);
    } else if (typeof v === 'string') {
      this.chars(TAG_TEXT, v, 0);
    } else if (typeof v === 'boolean') {
      // Booleans are stored as 0/1 integers by SQLite; hash them the same so engines agree.
      i64[0] = v ? 1n : 0n;
      this.word(TAG_INT);
      this.word(u32[0]!);
      this.word(u32[1]!);
    } else {
      this.blob(v);
    }
  }

  /** A blob hashed as its upper-case hex digits (as `chars` would), without building that string. */
  private blob(bytes: Uint8Array): void {
    let ha = mix(this.ha, TAG_BLOB);
    let hb = mix(this.hb, TAG_BLOB ^ LANE_B);
    const n = bytes.length;
    for (let i = 0; i < n; i++) {
      const b = bytes[i]!;
      const k = HEX[b >> 4]! | (HEX[b & 15]! << 16);
      ha = mix(ha, k);
      hb = mix(hb, k ^ LANE_B);
    }
    this.ha = mix(ha, 2 * n);
    this.hb = mix(hb, (2 * n) ^ LANE_B);
  }

  private chars(tag: number, s: string, from: number): void {
    // The hot loop of every checksum: lanes in locals, two UTF-16 code units per mixing step.
    let ha = mix(this.ha, tag);
    let hb = mix(this.hb, tag ^ LANE_B);
    const n = s.length;
    let i = from;
    for (; i + 1 < n; i += 2) {
      const k = s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16);
      ha = mix(ha, k);
      hb = mix(hb, k ^ LANE_B);
    }
    if (i < n) {
      const k = s.charCodeAt(i);
      ha = mix(ha, k);
      hb = mix(hb, k ^ LANE_B);
    }
    this.ha = mix(ha, n - from);
    this.hb = mix(hb, (n - from) ^ LANE_B);
  }
}
