import type { CustomTypesConfig } from 'pg';

/** Type OIDs that ferry converts from PostgreSQL's text form; every other type stays text. */
export const OID = {
  bool: 16,
  bytea: 17,
  int8: 20,
  int2: 21,
  int4: 23,
  float4: 700,
  float8: 701,
} as const;

type Parser = (text: string) => unknown;

const keepText: Parser = (text) => text;

// Chosen so every value stays exact: int8 as bigint (a JS number loses digits above 2^53), numeric
// as its decimal text, and dates, times, json and uuid as the server's own text instead of Date
// or parsed objects, which would round to milliseconds, shift time zones or reorder keys.
const PARSERS = new Map<number, Parser>([
  [OID.bool, (text) => text === 't'],
  [OID.bytea, parseBytea],
  [OID.int8, (text) => BigInt(text)],
  [OID.int2, Number],
  [OID.int4, Number],
  // Number() reads 'NaN', 'Infinity' and '-Infinity' exactly as PostgreSQL prints them.
  [OID.float4, Number],
  [OID.float8, Number],
]);

/**
 * Per-client type parsers (passed as the `types` option of pg.Client) so ferry never changes
 * pg's global parsers that other code in the same process may rely on.
 */
export const ferryTypes: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) => {
    // ferry only asks for text results; a binary result would be a raw Buffer, which is exact too.
    if (format === 'binary') return (value: Buffer) => value;
    return PARSERS.get(oid) ?? keepText;
  }) as CustomTypesConfig['getTypeParser'],
};

/** Decodes bytea text output in either `hex` (\x0a1b) or the older `escape` format. */
export function parseBytea(text: string): Buffer {
  if (text.startsWith('\\x')) return Buffer.from(text.slice(2), 'hex');
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch !== 0x5c /* backslash */) {
      bytes.push(ch);
    } else if (text[i + 1] === '\\') {
      bytes.push(0x5c);
      i += 1;
    } else {
      bytes.push(parseInt(text.slice(i + 1, i + 4), 8));
      i += 3;
    }
  }
  return Buffer.from(bytes);
}
