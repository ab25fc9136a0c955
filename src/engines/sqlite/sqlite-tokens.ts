/**
 * A small SQLite tokenizer. ferry rewrites the engine's own CREATE TABLE / CREATE INDEX text
 * (rename a table, drop a column definition, repoint a REFERENCES clause) instead of regenerating
 * DDL from a model, so everything SQLite keeps in that text (collations, generated columns,
 * conflict clauses, unnamed CHECKs, comments) survives exactly.
 */
export type TokenKind = 'word' | 'ident' | 'string' | 'number' | 'punct' | 'space' | 'comment';

export interface Token {
  kind: TokenKind;
  text: string;
  /** Offset of the token in the source text. */
  start: number;
}

export function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    const start = i;
    if (/\s/.test(c)) {
      while (i < n && /\s/.test(sql[i]!)) i++;
      out.push({ kind: 'space', text: sql.slice(start, i), start });
    } else if (c === '-' && sql[i + 1] === '-') {
      while (i < n && sql[i] !== '\n') i++;
      out.push({ kind: 'comment', text: sql.slice(start, i), start });
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
      out.push({ kind: 'comment', text: sql.slice(start, i), start });
    } else if (c === "'" || c === '"' || c === '`') {
      i = skipQuoted(sql, i, c);
      out.push({ kind: c === "'" ? 'string' : 'ident', text: sql.slice(start, i), start });
    } else if (c === '[') {
      const end = sql.indexOf(']', i + 1);
      i = end < 0 ? n : end + 1;
      out.push({ kind: 'ident', text: sql.slice(start, i), start });
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      while (i < n && /[0-9a-zA-Z_.]/.test(sql[i]!)) {
        // exponent sign: 1e+10
        if ((sql[i] === 'e' || sql[i] === 'E') && (sql[i + 1] === '+' || sql[i + 1] === '-')) i++;
        i++;
      }
      out.push({ kind: 'number', text: sql.slice(start, i), start });
    } else if (/[A-Za-z_\u0080-\uffff$]/.test(c)) {
      while (i < n && /[A-Za-z0-9_\u0080-\uffff$]/.test(sql[i]!)) i++;
      out.push({ kind: 'word', text: sql.slice(start, i), start });
    } else {
      i++;
      out.push({ kind: 'punct', text: c, start });
    }
  }
  return out;
}

function skipQuoted(sql: string, i: number, q: string): number {
  let j = i + 1;
  while (j < sql.length) {
    if (sql[j] === q) {
      if (sql[j + 1] === q) {
        j += 2;
        continue;
      }
      return j + 1;
    }
    j++;
  }
  return sql.length;
}

/** The identifier a token names: unquoted words as written, quoted ones without their quotes. */
export function identName(tok: Token): string {
  if (tok.kind === 'ident' || tok.kind === 'string') {
    const q = tok.text[0]!;
    if (q === '[') return tok.text.slice(1, -1);
    return tok.text
      .slice(1, -1)
      .split(q + q)
      .join(q);
  }
  return tok.text;
}

/** True when the token is the keyword `kw` (case-insensitive). */
export function isKeyword(tok: Token | undefined, kw: string): boolean {
  return !!tok && tok.kind === 'word' && tok.text.toUpperCase() === kw;
}

/** Tokens without whitespace and comments, for pattern matching. */
export function significant(tokens: Token[]): Token[] {
  return tokens.filter((t) => t.kind !== 'space' && t.kind !== 'comment');
}

/** Index (in `tokens`) of the parenthesis closing the one at `open`. */
export function matchParen(tokens: Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind !== 'punct') continue;
    if (t.text === '(') depth++;
    else if (t.text === ')') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** Double-quotes an identifier for SQLite, doubling any quote inside it. */
export function quoteSqliteIdent(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}

/** Joins SQL pieces, breaking the line after a piece that ends in a `--` comment. */
export function joinSql(pieces: string[], separator: string): string {
  return pieces
    .map((p, i) => {
      if (i === pieces.length - 1) return p;
      const last = tokenize(p)
        .filter((t) => t.kind !== 'space')
        .at(-1);
      return last?.kind === 'comment' && last.text.startsWith('--') ? `${p}\n${separator}` : `${p}${separator}`;
    })
    .join('');
}
