import { StringDecoder } from 'node:string_decoder';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';

/** Rows per yielded batch when the caller gives none (batches end with a network chunk, so may hold a few more). */
export const DEFAULT_COPY_OUT_BATCH = 2000;
/** A batch also ends once it holds about this much COPY data. */
const MAX_BATCH_BYTES = 1 << 20;

/**
 * Streams the rows of `selectSql` through `COPY (...) TO STDOUT` in text format: much faster than
 * a cursor, because the server sends rows without a round trip per batch and no per-value parsing
 * happens in pg. Every value arrives as PostgreSQL's text output (null for NULL); the caller reads
 * it with normalizerFor(logical, { pgText: true }). Stopping early (break) leaves the connection
 * in the middle of a COPY: the caller must then close it, so use a connection of its own.
 */
export async function* copyOutRows(client: pg.Client, selectSql: string, batchRows = DEFAULT_COPY_OUT_BATCH): AsyncGenerator<(string | null)[][]> {
  const size = batchRows > 0 ? Math.floor(batchRows) : DEFAULT_COPY_OUT_BATCH;
  const stream = client.query(copyTo(`COPY (${selectSql}) TO STDOUT`));
  const parser = new CopyTextParser();
  let batch: (string | null)[][] = [];
  let bytes = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    parser.push(chunk, batch);
    bytes += chunk.length;
    // Wide rows (blobs arrive as hex text) end a batch by size too, so memory stays flat.
    if (batch.length >= size || (bytes >= MAX_BATCH_BYTES && batch.length > 0)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
  }
  parser.end(batch);
  if (batch.length > 0) yield batch;
}

/**
 * Parses COPY TEXT data fed in chunks split anywhere (inside a row, an escape or a UTF-8
 * character): rows end at a raw newline, fields at a raw tab (data tabs and newlines are always
 * escaped), `\N` alone is NULL, and escapes are undone.
 */
export class CopyTextParser {
  private readonly decoder = new StringDecoder('utf8');
  /** Pieces of the unfinished last line, joined once its newline arrives (a huge row stays linear). */
  private rest: string[] = [];

  /** Parses a chunk, appending the rows it completes to `out`. */
  push(chunk: Buffer, out: (string | null)[][]): void {
    const text = this.decoder.write(chunk);
    let nl = text.indexOf('\n');
    if (nl < 0) {
      if (text !== '') this.rest.push(text);
      return;
    }
    let start = 0;
    if (this.rest.length > 0) {
      this.rest.push(text.slice(0, nl));
      out.push(parseLine(this.rest.join('')));
      this.rest = [];
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
    while (nl >= 0) {
      out.push(parseLine(text.slice(start, nl)));
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
    if (start < text.length) this.rest.push(text.slice(start));
  }

  /** Ends the data; a last line without a newline still counts as a row. */
  end(out: (string | null)[][]): void {
    this.rest.push(this.decoder.end());
    const text = this.rest.join('');
    this.rest = [];
    // psql-style data may end with the `\.` marker line; COPY TO STDOUT never sends one.
    if (text !== '' && text !== '\\.') out.push(parseLine(text));
  }
}

/** One line of COPY TEXT as fields. */
export function parseLine(line: string): (string | null)[] {
  const fields: (string | null)[] = line.split('\t');
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i] as string;
    if (f.indexOf('\\') === -1) continue;
    fields[i] = f === '\\N' ? null : unescapeField(f);
  }
  return fields;
}

const SIMPLE: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/**
 * Undoes COPY TEXT escapes: \b \f \n \r \t \v, \NNN (octal byte), \xHH (hex byte), and a
 * backslash before any other character stands for that character. Byte escapes of a multi-byte
 * UTF-8 character are gathered and decoded together.
 */
export function unescapeField(f: string): string {
  let out = '';
  let bytes: number[] | null = null;
  let i = 0;
  const flushBytes = () => {
    if (bytes) {
      out += Buffer.from(bytes).toString('utf8');
      bytes = null;
    }
  };
  while (i < f.length) {
    const slash = f.indexOf('\\', i);
    if (slash < 0 || slash === f.length - 1) {
      flushBytes();
      out += f.slice(i);
      break;
    }
    if (slash > i) {
      flushBytes();
      out += f.slice(i, slash);
    }
    const c = f[slash + 1]!;
    if (c >= '0' && c <= '7') {
      let j = slash + 1;
      let v = 0;
      while (j < f.length && j < slash + 4 && f[j]! >= '0' && f[j]! <= '7') v = v * 8 + (f.charCodeAt(j++) - 48);
      (bytes ??= []).push(v & 0xff);
      i = j;
    } else if (c === 'x' && isHex(f.charCodeAt(slash + 2))) {
      let j = slash + 2;
      let v = 0;
      while (j < f.length && j < slash + 4 && isHex(f.charCodeAt(j))) v = v * 16 + parseInt(f[j++]!, 16);
      (bytes ??= []).push(v);
      i = j;
    } else {
      flushBytes();
      out += SIMPLE[c] ?? c;
      i = slash + 2;
    }
  }
  flushBytes();
  return out;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}
