/**
 * The reverse direction: PostgreSQL CHECKs, index keys and defaults (as pg_get_expr prints them)
 * into SQLite, for copying back. PostgreSQL prints casts (`'a'::text`), `= ANY (ARRAY[...])` for
 * IN lists and `~~` for LIKE; the simple forms are rewritten, the rest is reported untranslatable.
 */
import type { DefaultTranslation, ExpressionContext, Translation } from '../../engine/sql-translation.js';
import type { LogicalType } from '../../values/column-type.js';
import { joinPieces, type Piece } from './sqlite-token-join.js';
import { identName, isKeyword, matchParen, quoteSqliteIdent, tokenize, type Token } from './sqlite-tokens.js';

const FUNCTIONS: Record<string, string> = {
  lower: 'lower',
  upper: 'upper',
  length: 'length',
  char_length: 'length',
  abs: 'abs',
  coalesce: 'coalesce',
  nullif: 'nullif',
  btrim: 'trim',
  ltrim: 'ltrim',
  rtrim: 'rtrim',
  substr: 'substr',
  substring: 'substr',
  replace: 'replace',
  round: 'round',
  greatest: 'max',
  least: 'min',
};
const KEYWORDS = new Set([
  'AND',
  'OR',
  'NOT',
  'IN',
  'IS',
  'NULL',
  'BETWEEN',
  'CASE',
  'WHEN',
  'THEN',
  'ELSE',
  'END',
  'TRUE',
  'FALSE',
  'ASC',
  'DESC',
  'NULLS',
  'FIRST',
  'LAST',
  'DISTINCT',
  'FROM',
  'LIKE',
  'ESCAPE',
]);
/** Words that continue a multi-word type name after `::`. */
const TYPE_WORDS = new Set(['varying', 'precision', 'without', 'with', 'time', 'zone']);
const TEXT_TYPES = new Set(['text', 'character varying', 'varchar', 'character', 'bpchar', 'name']);
const NUMBER_TYPES: Record<string, string> = {
  integer: 'INTEGER',
  bigint: 'INTEGER',
  smallint: 'INTEGER',
  numeric: 'NUMERIC',
  real: 'REAL',
  'double precision': 'REAL',
};
/** Types whose string literals are stored as the same text in SQLite. */
const LITERAL_TYPES = new Set([...TEXT_TYPES, 'bytea', 'date', 'timestamp without time zone', 'timestamp with time zone', 'json', 'jsonb', 'uuid']);

/** Translates a PostgreSQL expression to SQLite. Pure. */
export function postgresToSqlite(expression: string, ctx: ExpressionContext): Translation {
  const toks = tokenize(expression).filter((t) => t.kind !== 'space' && t.kind !== 'comment');
  const out: Piece[] = [];
  const push = (text: string, glue = false) => out.push({ text, glue });
  for (let k = 0; k < toks.length; k++) {
    const t = toks[k]!;
    const next = toks[k + 1];
    const prev = toks[k - 1];
    if (t.kind === 'punct' && t.text === ':' && next?.text === ':') {
      const r = applyCast(out, toks, k + 2);
      if ('untranslatable' in r) return r;
      k = r.next - 1;
      continue;
    }
    if (t.kind === 'punct' && t.text === '~') {
      // ~~* is ILIKE (= SQLite's LIKE); ~~ is case-sensitive LIKE, which SQLite's LIKE is not.
      if (next?.text === '~' && toks[k + 2]?.text === '*') {
        push('LIKE');
        k += 2;
        continue;
      }
      return { untranslatable: 'case-sensitive LIKE or a regular expression' };
    }
    if (t.kind === 'string') {
      if (isKeyword(toks[k - 1], 'E')) return { untranslatable: "an E'' escape string" };
      push(t.text);
      continue;
    }
    if (t.kind === 'number' || t.kind === 'punct') {
      if (t.kind === 'punct' && '[]?$@#'.includes(t.text)) return { untranslatable: `operator ${t.text}` };
      // `(` right after a function name, and operator characters written together (`<>`, `>=`).
      const glued =
        (t.text === '(' && out[out.length - 1]?.text.endsWith('\u0001')) ||
        (prev?.kind === 'punct' && prev.start + 1 === t.start && '<>=!|'.includes(t.text) && '<>=!|'.includes(prev.text));
      push(t.text, glued);
      continue;
    }
    const name = identName(t);
    const upper = t.text.toUpperCase();
    if (t.kind === 'word' && (upper === 'ANY' || upper === 'ALL') && next?.text === '(') {
      // `x = ANY (ARRAY[a, b])` -> `x IN (a, b)`; `x <> ALL (ARRAY[...])` -> `x NOT IN (...)`.
      const op = out.pop()?.text;
      const op2 = op === '>' && out[out.length - 1]?.text === '<' ? out.pop()?.text : undefined;
      const arr = toks[k + 2];
      const ok = (upper === 'ANY' && op === '=' && !op2) || (upper === 'ALL' && op === '>' && op2 === '<');
      if (!ok || !isKeyword(arr, 'ARRAY') || toks[k + 3]?.kind !== 'ident' || !toks[k + 3]!.text.startsWith('[') || toks[k + 4]?.text !== ')') {
        return { untranslatable: `${upper} (...) other than an IN list` };
      }
      const inner = postgresToSqlite(toks[k + 3]!.text.slice(1, -1), ctx);
      if ('untranslatable' in inner) return inner;
      push(upper === 'ANY' ? 'IN' : 'NOT IN');
      push(`(${inner.sql})`);
      k += 4;
      continue;
    }
    if (t.kind === 'word' && upper === 'ILIKE') {
      push('LIKE');
      continue;
    }
    if (t.kind === 'word' && KEYWORDS.has(upper)) {
      push(upper);
      continue;
    }
    if (next?.text === '(' && (t.kind === 'word' || t.text.startsWith('"'))) {
      const fn = FUNCTIONS[name.toLowerCase()];
      if (!fn) return { untranslatable: `function ${name}() has no SQLite equivalent with the same meaning` };
      if ((fn === 'max' || fn === 'min') && !hasComma(toks, k + 1)) return { untranslatable: `${name}() with one argument` };
      push(`${fn}\u0001`);
      continue;
    }
    const target = ctx.columns.get(name) ?? ctx.columns.get(name.toLowerCase());
    if (target === undefined) return { untranslatable: `${t.text} is not a column of the table or a known keyword` };
    push(quoteSqliteIdent(target));
  }
  return { sql: render(out) };
}

function hasComma(toks: Token[], open: number): boolean {
  const close = matchParen(toks, open);
  let depth = 0;
  for (let i = open; i < close; i++) {
    if (toks[i]!.text === '(') depth++;
    if (toks[i]!.text === ')') depth--;
    if (toks[i]!.text === ',' && depth === 1) return true;
  }
  return false;
}

/** Joins pieces; \u0001 marks a function name, whose `(` was glued to it. */
function render(out: Piece[]): string {
  return joinPieces(out.map((p) => ({ ...p, text: p.text.replace('\u0001', '') })));
}

/**
 * Applies `::type` to the primary just emitted (a literal, a column, or a parenthesised group):
 * string literals of text-like types lose the cast, numbers cast to numbers lose it, anything else
 * becomes CAST(... AS <SQLite type>) when the type is simple, or untranslatable.
 */
function applyCast(out: Piece[], toks: Token[], at: number): { next: number } | { untranslatable: string } {
  let j = at;
  const words: string[] = [];
  if (toks[j]?.kind === 'ident' && toks[j]!.text.startsWith('"')) words.push(identName(toks[j++]!));
  else if (toks[j]?.kind === 'word') {
    words.push(toks[j++]!.text.toLowerCase());
    while (toks[j]?.kind === 'word' && TYPE_WORDS.has(toks[j]!.text.toLowerCase())) words.push(toks[j++]!.text.toLowerCase());
  }
  if (toks[j]?.text === '(') j = matchParen(toks, j) + 1;
  if (toks[j]?.kind === 'ident' && toks[j]!.text.startsWith('[')) return { untranslatable: 'an array cast' };
  const type = words.join(' ');
  // The primary the cast applies to.
  let start = out.length - 1;
  if (out[start]?.text === ')') {
    let depth = 0;
    for (; start >= 0; start--) {
      if (out[start]!.text === ')') depth++;
      if (out[start]!.text === '(' && --depth === 0) break;
    }
    if (start > 0 && out[start - 1]!.text.endsWith('\u0001')) start--;
  }
  if (start < 0) return { untranslatable: 'a cast without an operand' };
  const glue = out[start]!.glue;
  const primary = render(out.splice(start));
  const isString = /^'(?:[^']|'')*'$/.test(primary);
  const isNumber = /^(\(-?[\d.]+\)|-?[\d.]+)$/.test(primary);
  const emit = (text: string) => out.push({ text, glue });
  if (isString && LITERAL_TYPES.has(type)) emit(primary);
  else if (isNumber && NUMBER_TYPES[type]) emit(primary.replace(/^\((.*)\)$/, '$1'));
  else if (isString && NUMBER_TYPES[type] && /^'-?\d+(\.\d+)?'$/.test(primary)) emit(primary.slice(1, -1));
  else if (TEXT_TYPES.has(type)) emit(`CAST(${primary} AS TEXT)`);
  else if (NUMBER_TYPES[type]) emit(`CAST(${primary} AS ${NUMBER_TYPES[type]})`);
  else if (isString && type === 'boolean' && /^'(true|false|t|f)'$/i.test(primary)) emit(/^'t/i.test(primary) ? '1' : '0');
  else return { untranslatable: `a cast to ${type || 'an unknown type'}` };
  return { next: j };
}

/** Translates a PostgreSQL column default into SQLite for a column of the given logical type. Pure. */
export function postgresDefaultToSqlite(expression: string, logical: LogicalType): DefaultTranslation {
  const e = expression.trim();
  if (/^nextval\(/i.test(e)) return { untranslatable: 'a sequence default (SQLite has no sequences)' };
  if (/^null(::[\w ]+)?$/i.test(e)) return { sql: null };
  // ferry's own SQLite translations come back as these: UTC wall-clock time, as a timestamp or as
  // SQLite's text shape; both are SQLite's CURRENT_TIMESTAMP.
  const utcClock =
    /^\(?now\(\) AT TIME ZONE 'UTC'(::text)?\)?$/i.test(e) ||
    /^to_char\(\(?now\(\) AT TIME ZONE 'UTC'(::text)?\)?, 'YYYY-MM-DD HH24:MI:SS'(::text)?\)$/i.test(e);
  const clock =
    utcClock || /^(now\(\)|current_timestamp(\(\d\))?|transaction_timestamp\(\)|statement_timestamp\(\)|localtimestamp(\(\d\))?)$/i.test(e)
      ? 'timestamp'
      : /^(current_date|\('now'::text\)::date)$/i.test(e)
        ? 'date'
        : null;
  if (clock) {
    if (clock === 'date' && (logical === 'date' || logical === 'text')) return { sql: 'CURRENT_DATE' };
    if (clock === 'timestamp' && (logical === 'timestamp' || logical === 'text')) return { sql: 'CURRENT_TIMESTAMP' };
    // A zoned column keeps zoned text so a copy back maps it to timestamptz again.
    if (clock === 'timestamp' && logical === 'timestamptz') return { sql: "(strftime('%Y-%m-%d %H:%M:%f', 'now') || '+00:00')" };
    return { untranslatable: `a clock default in a ${logical} column` };
  }
  const r = postgresToSqlite(e, { columns: new Map() });
  if ('untranslatable' in r) return r;
  let sql = r.sql.replace(/^\((.*)\)$/, '$1').replace(/^- /, '-');
  if (/^(TRUE|FALSE)$/.test(sql)) sql = sql === 'TRUE' ? '1' : '0';
  const isString = /^'(?:[^']|'')*'$/.test(sql);
  const isNumber = /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(sql);
  if (!isString && !isNumber) return { untranslatable: 'not a literal' };
  const raw = isString ? sql.slice(1, -1).replaceAll("''", "'") : sql;
  switch (logical) {
    case 'int64':
    case 'float64':
    case 'boolean':
      return /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(raw) ? { sql: raw } : { untranslatable: 'not a number' };
    case 'numeric':
      // NUMERIC_TEXT has TEXT affinity: a string literal keeps the scale ('0.00'), a number would not.
      return { sql: `'${raw}'` };
    case 'bytes':
      return /^\\x[0-9a-f]*$/i.test(raw) ? { sql: `X'${raw.slice(2)}'` } : { untranslatable: 'not a hex bytea literal' };
    default:
      return { sql: `'${raw.replaceAll("'", "''")}'` };
  }
}

/** A PostgreSQL index definition (pg_get_indexdef) split into key parts and WHERE. */
export function parsePostgresIndex(sql: string): { unique: boolean; method: string; keys: string[]; where?: string } | null {
  const toks = tokenize(sql);
  const sig = toks.filter((t) => t.kind !== 'space' && t.kind !== 'comment');
  const using = sig.findIndex((t) => isKeyword(t, 'USING'));
  if (using < 0 || sig[using + 2]?.text !== '(') return null;
  const close = matchParen(sig, using + 2);
  const keys: string[] = [];
  let depth = 0;
  let startTok = sig[using + 3]!;
  for (let i = using + 3; i <= close; i++) {
    const t = sig[i]!;
    if (t.text === '(' && t.kind === 'punct') depth++;
    if (t.text === ')' && t.kind === 'punct' && i !== close) depth--;
    if (i === close || (depth === 0 && t.kind === 'punct' && t.text === ',')) {
      keys.push(sql.slice(startTok.start, t.start).trim());
      startTok = sig[i + 1] ?? t;
    }
  }
  const w = sig.findIndex((t, i) => i > close && isKeyword(t, 'WHERE'));
  return {
    unique: isKeyword(sig[1], 'UNIQUE'),
    method: sig[using + 1]!.text.toLowerCase(),
    keys,
    where: w >= 0 ? sql.slice(sig[w]!.start + 5).trim() : undefined,
  };
}
