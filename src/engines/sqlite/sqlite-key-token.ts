/**
 * Key tokens of SQLite's change log: a row's key values as SQL literals, written by SQLite's own
 * quote() and separated by ", ". Only strings of exactly that shape are read back or put in a query.
 */
import { FerryError } from '../../errors.js';
import type { Value } from '../../values/value.js';

/** SQL literals as quote() writes them, one per key column: only these are ever put into a query. */
const TOKEN = /^(NULL|-?\d+(\.\d+)?(e[+-]?\d+)?|'(?:[^']|'')*'|X'[0-9A-F]*')(, (NULL|-?\d+(\.\d+)?(e[+-]?\d+)?|'(?:[^']|'')*'|X'[0-9A-F]*'))*$/i;

/** Whether a string is a key token ferry's triggers could have written. */
export function isKeyToken(token: string): boolean {
  return TOKEN.test(token);
}

/** The values of a key token: SQL literals as quote() writes them, separated by ", ". */
export function parseKeyToken(token: string): Value[] {
  if (!isKeyToken(token)) throw new FerryError('INTERNAL', `Not a key ferry wrote: ${token.slice(0, 40)}`);
  const out: Value[] = [];
  const re = /NULL|X'([0-9A-F]*)'|'((?:[^']|'')*)'|(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)/giy;
  let at = 0;
  while (at < token.length) {
    re.lastIndex = at;
    const m = re.exec(token)!;
    if (m[0].toUpperCase() === 'NULL') out.push(null);
    else if (m[1] !== undefined) out.push(Buffer.from(m[1], 'hex'));
    else if (m[2] !== undefined) out.push(m[2].replaceAll("''", "'"));
    else out.push(/^-?\d+$/.test(m[3]!) ? BigInt(m[3]!) : Number(m[3]));
    at = re.lastIndex + 2; // past ", "
  }
  return out;
}
