/**
 * Key tokens of PostgreSQL's change log: a row's key values as SQL literals, as quote_nullable()
 * writes them ('text', E'text' when it holds backslashes, NULL), separated by ", ". Only strings of
 * exactly that shape are read back or put in a query.
 */
import { FerryError } from '../../errors.js';
import type { Value } from '../../values/value.js';

/** SQL literals as quote_nullable writes them ('text', E'text' with backslashes, NULL), separated by ", ". */
const TOKEN = /^(NULL|E?'(?:[^'\\]|''|\\.)*')(, (NULL|E?'(?:[^'\\]|''|\\.)*'))*$/;

/** Whether a string is a key token ferry's trigger could have written. */
export function isPostgresKey(token: string): boolean {
  return TOKEN.test(token);
}

/** The key's values, as text (PostgreSQL's text form of each), or null. */
export function parsePostgresKey(token: string): Value[] {
  if (!isPostgresKey(token)) throw new FerryError('INTERNAL', `Not a key ferry wrote: ${token.slice(0, 40)}`);
  const out: Value[] = [];
  const re = /NULL|(E?)'((?:[^'\\]|''|\\.)*)'/y;
  let at = 0;
  while (at < token.length) {
    re.lastIndex = at;
    const m = re.exec(token)!;
    if (m[0] === 'NULL') out.push(null);
    else {
      const body = m[2]!.replaceAll("''", "'");
      out.push(m[1] ? body.replace(/\\(.)/g, '$1') : body);
    }
    at = re.lastIndex + 2;
  }
  return out;
}
