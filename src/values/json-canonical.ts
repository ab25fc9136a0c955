import { canonicalDecimal, parseDecimal } from './decimal-text.js';

/**
 * JSON checks and canonical JSON text for verify. PostgreSQL's jsonb reorders keys, drops
 * duplicate keys (the last wins) and keeps numbers as `numeric` (so 1.50 stays 1.50 and
 * 12345678901234567890 keeps every digit); the canonical form below does the same things in its own
 * fixed way, so a document and its jsonb copy give identical text.
 */

/**
 * Why PostgreSQL would refuse this text as json (or jsonb), or null when it takes it. Raw NUL
 * characters never fit in PostgreSQL text; lone surrogate escapes are refused by both types, and
 * jsonb also refuses `\u0000`.
 */
export function jsonProblem(text: string, jsonb: boolean): string | null {
  if (text.includes('\u0000')) return 'contains a NUL character, which PostgreSQL text cannot store';
  let problem: string | null = null;
  const check = (s: string) => {
    if (problem) return;
    if (!isWellFormed(s)) problem = 'contains an unpaired UTF-16 surrogate escape, which PostgreSQL JSON refuses';
    else if (jsonb && s.includes('\u0000')) problem = 'contains \\u0000, which PostgreSQL jsonb cannot store';
  };
  try {
    JSON.parse(text, function (key, value: unknown) {
      check(key);
      if (typeof value === 'string') check(value);
      return value;
    });
  } catch (e) {
    return `is not valid JSON (${e instanceof Error ? e.message : String(e)})`;
  }
  return problem;
}

function isWellFormed(s: string): boolean {
  const f = (s as { isWellFormed?: () => boolean }).isWellFormed;
  return f ? f.call(s) : !/[\uD800-\uDFFF]/.test(s) || /^(?:[^\uD800-\uDFFF]|[\uD800-\uDBFF][\uDC00-\uDFFF])*$/.test(s);
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const SPACE = /[ \t\n\r]*/y;

/**
 * Canonical text of a JSON document: no insignificant whitespace, object keys sorted by UTF-16
 * code units with duplicates dropped (the last wins), strings re-escaped the way JSON.stringify
 * does, numbers as canonical decimals (1.50 and 1.5e0 both become 1.5; digits beyond a double's
 * precision are kept). Throws SyntaxError for invalid JSON.
 */
export function canonicalJson(text: string): string {
  const p = { text, at: 0 };
  const out = value(p);
  skipSpace(p);
  if (p.at !== text.length) throw new SyntaxError(`unexpected text at position ${p.at} of JSON`);
  return out;
}

interface Cursor {
  text: string;
  at: number;
}

function skipSpace(p: Cursor): void {
  SPACE.lastIndex = p.at;
  SPACE.exec(p.text);
  p.at = SPACE.lastIndex;
}

function value(p: Cursor): string {
  skipSpace(p);
  const c = p.text[p.at];
  if (c === '{') return object(p);
  if (c === '[') return array(p);
  if (c === '"') return JSON.stringify(string(p));
  for (const word of ['true', 'false', 'null']) {
    if (p.text.startsWith(word, p.at)) {
      p.at += word.length;
      return word;
    }
  }
  NUMBER.lastIndex = p.at;
  const m = NUMBER.exec(p.text);
  if (!m) throw new SyntaxError(`unexpected character at position ${p.at} of JSON`);
  p.at = NUMBER.lastIndex;
  const d = parseDecimal(m[0]);
  // Past numeric's exponent limit the token is kept as written (lower-cased exponent mark).
  return d ? canonicalDecimal(d) : m[0].toLowerCase();
}

function string(p: Cursor): string {
  const start = p.at;
  let i = start + 1;
  for (;;) {
    const c = p.text.charCodeAt(i);
    if (Number.isNaN(c)) throw new SyntaxError('unterminated string in JSON');
    if (c === 34 /* " */) break;
    i += c === 92 /* \ */ ? 2 : 1;
  }
  p.at = i + 1;
  return JSON.parse(p.text.slice(start, i + 1)) as string;
}

function object(p: Cursor): string {
  p.at++;
  const members = new Map<string, string>();
  skipSpace(p);
  if (p.text[p.at] === '}') {
    p.at++;
    return '{}';
  }
  for (;;) {
    skipSpace(p);
    if (p.text[p.at] !== '"') throw new SyntaxError(`expected a key at position ${p.at} of JSON`);
    const key = string(p);
    skipSpace(p);
    if (p.text[p.at] !== ':') throw new SyntaxError(`expected ':' at position ${p.at} of JSON`);
    p.at++;
    members.delete(key);
    members.set(key, value(p));
    skipSpace(p);
    const c = p.text[p.at++];
    if (c === '}') break;
    if (c !== ',') throw new SyntaxError(`expected ',' or '}' at position ${p.at - 1} of JSON`);
  }
  const keys = [...members.keys()].sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${members.get(k)!}`).join(',')}}`;
}

function array(p: Cursor): string {
  p.at++;
  const items: string[] = [];
  skipSpace(p);
  if (p.text[p.at] === ']') {
    p.at++;
    return '[]';
  }
  for (;;) {
    items.push(value(p));
    skipSpace(p);
    const c = p.text[p.at++];
    if (c === ']') break;
    if (c !== ',') throw new SyntaxError(`expected ',' or ']' at position ${p.at - 1} of JSON`);
  }
  return `[${items.join(',')}]`;
}
