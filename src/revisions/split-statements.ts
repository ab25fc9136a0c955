import type { StatementSyntax } from '../engine/revision-roles.js';
import type { Dialect } from '../engine/types.js';
import { roleOf } from '../engines/registry.js';

/** One statement of a revision section, with the 1-based file line its first token is on. */
export interface SqlStatement {
  /** The statement without its terminating `;`, leading/trailing comments or whitespace. */
  sql: string;
  /** 1-based line of the file where the statement's first token is. */
  line: number;
}

const LF = 10;
const DASH = 45;
const SLASH = 47;
const STAR = 42;
const SEMI = 59;
const SQUOTE = 39;
const DQUOTE = 34;
const BACKTICK = 96;
const LBRACKET = 91;
const DOLLAR = 36;

/**
 * Splits a revision section into statements on `;` outside string literals, quoted identifiers,
 * comments, dollar quotes and compound bodies (SQLite `CREATE TRIGGER ... BEGIN ... END`,
 * PostgreSQL `BEGIN ATOMIC ... END`), as the engine's statementSyntax role describes them. Each
 * statement carries the file line it starts on, counted from `firstLine` (the line the section
 * starts on), so an error can point into the file. Unterminated quotes and comments run to the
 * end of the text: the database then reports the real syntax error, which is more precise than
 * anything guessed here.
 */
export function splitStatements(sql: string, engine: Dialect | StatementSyntax, firstLine = 1): SqlStatement[] {
  const syntax = typeof engine === 'string' ? roleOf(engine, 'statementSyntax') : engine;
  const n = sql.length;
  const out: SqlStatement[] = [];
  let i = 0;
  let line = firstLine;
  // Current statement: where its first token starts and where its last token ends.
  let start = -1;
  let end = -1;
  let startLine = 0;
  // Compound-body tracking: the statement's first words decide whether BEGIN opens a body.
  let head: string[] = [];
  let compound = false;
  let depth = 0;
  let pendingBegin = false;
  let bodyDone = false;

  const flush = (): void => {
    if (start >= 0) out.push({ sql: sql.slice(start, end), line: startLine });
    start = -1;
    head = [];
    compound = false;
    depth = 0;
    pendingBegin = false;
    bodyDone = false;
  };

  while (i < n) {
    const c = sql.charCodeAt(i);
    if (c === LF) {
      line++;
      i++;
      continue;
    }
    if (c <= 32) {
      i++;
      continue;
    }
    const next = i + 1 < n ? sql.charCodeAt(i + 1) : 0;
    if (c === DASH && next === DASH) {
      const nl = sql.indexOf('\n', i);
      i = nl === -1 ? n : nl;
      continue;
    }
    if (c === SLASH && next === STAR) {
      const stop = skipBlockComment(sql, i, syntax.nestedComments);
      line += countLines(sql, i, stop);
      i = stop;
      continue;
    }
    if (c === SEMI && depth === 0) {
      flush();
      i++;
      continue;
    }
    if (start < 0) {
      start = i;
      startLine = line;
    }
    const dollarEnd = syntax.dollarQuotes && c === DOLLAR ? skipDollarQuote(sql, i) : i;
    let stop: number;
    let multiline = true;
    if (c === SQUOTE) {
      stop = skipQuoted(sql, i, SQUOTE, syntax.escapeStrings && isEscapeString(sql, i));
    } else if (c === DQUOTE || (syntax.bracketIdentifiers && c === BACKTICK)) {
      stop = skipQuoted(sql, i, c, false);
    } else if (syntax.bracketIdentifiers && c === LBRACKET) {
      const close = sql.indexOf(']', i + 1);
      stop = close === -1 ? n : close + 1;
    } else if (dollarEnd > i) {
      stop = dollarEnd;
    } else if (isWordStart(c)) {
      multiline = false;
      stop = i + 1;
      while (stop < n && isWordPart(sql.charCodeAt(stop))) stop++;
      // Only words that can matter are upper-cased: the statement's first few, and inside bodies.
      if (head.length < 4 || compound) onWord(sql.slice(i, stop).toUpperCase());
    } else {
      multiline = false;
      stop = i + 1;
    }
    if (multiline) line += countLines(sql, i, stop);
    i = stop;
    end = stop;
  }
  flush();
  return out;

  function onWord(word: string): void {
    if (head.length < 4) {
      head.push(word);
      compound = opensCompound(head, syntax.compoundBodies);
      if (!compound) return;
    }
    if (bodyDone) return;
    if (depth === 0) {
      // SQLite trigger bodies open with BEGIN; PostgreSQL SQL-standard bodies with BEGIN ATOMIC.
      if (pendingBegin) {
        pendingBegin = false;
        if (word === 'ATOMIC') depth = 1;
      } else if (word === 'BEGIN') {
        if (syntax.compoundBodies.beginAtomic) pendingBegin = true;
        else depth = 1;
      }
      return;
    }
    // CASE ... END nests inside a body; the END that brings the depth back to 0 closes the body.
    if (word === 'CASE') depth++;
    else if (word === 'END' && --depth === 0) bodyDone = true;
  }
}

/** Whether a statement starting with these words (at most four) can hold a `;`-separated body. */
function opensCompound(head: string[], bodies: StatementSyntax['compoundBodies']): boolean {
  if (head[0] !== 'CREATE') return false;
  const modifier = bodies.modifiers.find((words) => words.every((w, j) => head[1 + j] === w));
  return bodies.objects.includes(head[1 + (modifier?.length ?? 0)] ?? '');
}

/** Index just past a `/* ... *\/` comment, which some engines nest (PostgreSQL) and others do not (SQLite). */
function skipBlockComment(sql: string, i: number, nested: boolean): number {
  if (!nested) {
    const close = sql.indexOf('*/', i + 2);
    return close === -1 ? sql.length : close + 2;
  }
  let depth = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql.charCodeAt(i);
    const next = i + 1 < n ? sql.charCodeAt(i + 1) : 0;
    if (c === SLASH && next === STAR) {
      depth++;
      i += 2;
    } else if (c === STAR && next === SLASH) {
      i += 2;
      if (--depth === 0) return i;
    } else {
      i++;
    }
  }
  return n;
}

/** Index just past a quoted run opened at `i`; a doubled quote is an escape, and so is `\x` in E'...'. */
function skipQuoted(sql: string, i: number, quote: number, backslash: boolean): number {
  const n = sql.length;
  let k = i + 1;
  while (k < n) {
    const c = sql.charCodeAt(k);
    if (backslash && c === 92) {
      k += 2;
    } else if (c === quote) {
      if (k + 1 < n && sql.charCodeAt(k + 1) === quote) k += 2;
      else return k + 1;
    } else {
      k++;
    }
  }
  return n;
}

/** PostgreSQL `E'...'` strings treat backslash as an escape (so `E'it\'s'` is one literal). */
function isEscapeString(sql: string, i: number): boolean {
  const p = i > 0 ? sql.charCodeAt(i - 1) : 0;
  if (p !== 69 && p !== 101) return false;
  return i < 2 || !isWordPart(sql.charCodeAt(i - 2));
}

/** Index past a `$tag$ ... $tag$` quote starting at `i`, or `i` when `$` does not open one (`$1`). */
function skipDollarQuote(sql: string, i: number): number {
  const n = sql.length;
  let k = i + 1;
  if (k < n && isDigit(sql.charCodeAt(k))) return i;
  while (k < n && isTagPart(sql.charCodeAt(k))) k++;
  if (k >= n || sql.charCodeAt(k) !== DOLLAR) return i;
  const tag = sql.slice(i, k + 1);
  const close = sql.indexOf(tag, k + 1);
  return close === -1 ? n : close + tag.length;
}

function countLines(sql: string, from: number, to: number): number {
  let lines = 0;
  for (let k = from; k < to; k++) if (sql.charCodeAt(k) === LF) lines++;
  return lines;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isWordStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c > 127;
}

/** Identifier characters; `$` included because PostgreSQL allows it inside names (`a$b$c`). */
function isWordPart(c: number): boolean {
  return isWordStart(c) || isDigit(c) || c === DOLLAR;
}

function isTagPart(c: number): boolean {
  return isWordStart(c) || isDigit(c);
}
