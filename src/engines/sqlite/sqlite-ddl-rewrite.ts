import { identName, isKeyword, joinSql, matchParen, quoteSqliteIdent, tokenize, type Token } from './sqlite-tokens.js';

/** One part of a CREATE TABLE body: a column definition or a table constraint. */
export interface TableBodyPart {
  kind: 'column' | 'constraint';
  /** Column name for columns; constraint name (CONSTRAINT x) for constraints when given. */
  name?: string;
  text: string;
  tokens: Token[];
}

export interface ParsedCreateTable {
  /** Text before the table name (CREATE [TEMP] TABLE [IF NOT EXISTS]). */
  head: string;
  name: string;
  parts: TableBodyPart[];
  /** Text after the closing parenthesis (WITHOUT ROWID, STRICT). */
  tail: string;
}

const CONSTRAINT_WORDS = new Set(['CONSTRAINT', 'PRIMARY', 'UNIQUE', 'CHECK', 'FOREIGN']);

/** Splits a SQLite CREATE TABLE statement into its head, name, body parts and tail. */
export function parseCreateTable(sql: string): ParsedCreateTable {
  const tokens = tokenize(sql);
  let i = 0;
  const sig = (from: number): number => {
    let j = from;
    while (j < tokens.length && (tokens[j]!.kind === 'space' || tokens[j]!.kind === 'comment')) j++;
    return j;
  };
  // CREATE [TEMP|TEMPORARY] TABLE [IF NOT EXISTS] [schema.]name (
  i = sig(0); // CREATE
  i = sig(i + 1);
  if (isKeyword(tokens[i], 'TEMP') || isKeyword(tokens[i], 'TEMPORARY')) i = sig(i + 1);
  i = sig(i + 1); // past TABLE
  if (isKeyword(tokens[i], 'IF')) i = sig(sig(sig(i + 1) + 1) + 1);
  let nameTok = i;
  let j = sig(i + 1);
  if (tokens[j]?.text === '.') {
    nameTok = sig(j + 1);
    j = sig(nameTok + 1);
  }
  const head = sql.slice(0, tokens[i]!.start);
  const name = identName(tokens[nameTok]!);
  const open = j;
  if (tokens[open]?.text !== '(') throw new Error(`Not a CREATE TABLE with a column list: ${sql.slice(0, 80)}`);
  const close = matchParen(tokens, open);
  const parts: TableBodyPart[] = [];
  let depth = 0;
  let partStart = open + 1;
  for (let k = open + 1; k <= close; k++) {
    const t = tokens[k]!;
    if (t.kind === 'punct' && t.text === '(') depth++;
    else if (t.kind === 'punct' && t.text === ')' && k !== close) depth--;
    if (k === close || (depth === 0 && t.kind === 'punct' && t.text === ',')) {
      const partTokens = tokens.slice(partStart, k);
      const text = partTokens
        .map((x) => x.text)
        .join('')
        .trim();
      if (text) parts.push(classifyPart(partTokens, text));
      partStart = k + 1;
    }
  }
  const tail = sql.slice(tokens[close]!.start + 1);
  return { head, name, parts, tail };
}

function classifyPart(partTokens: Token[], text: string): TableBodyPart {
  const sigToks = partTokens.filter((t) => t.kind !== 'space' && t.kind !== 'comment');
  const first = sigToks[0]!;
  if (first.kind === 'word' && CONSTRAINT_WORDS.has(first.text.toUpperCase())) {
    const name = isKeyword(first, 'CONSTRAINT') && sigToks[1] ? identName(sigToks[1]) : undefined;
    return { kind: 'constraint', name, text, tokens: partTokens };
  }
  return { kind: 'column', name: identName(first), text, tokens: partTokens };
}

/** Identifier names mentioned anywhere in a part (used to find constraints on dropped columns). */
export function identifiersIn(part: TableBodyPart): Set<string> {
  const out = new Set<string>();
  for (const t of part.tokens) if (t.kind === 'word' || t.kind === 'ident') out.add(identName(t).toLowerCase());
  return out;
}

export interface RewriteTableOptions {
  /** The table's name in the target. */
  newName: string;
  /** Columns to keep (by name); all when undefined. */
  keepColumns?: string[];
  /** Table renames to apply inside REFERENCES clauses: old name -> new name. */
  renames?: Map<string, string>;
}

export interface RewriteResult {
  sql: string;
  /** Human-readable notes about constraints dropped because they used a dropped column. */
  dropped: string[];
}

/**
 * Rewrites a CREATE TABLE statement for the target: new table name, only the kept columns, and
 * REFERENCES pointing at renamed tables. Table constraints that mention a dropped column are left
 * out and reported, because SQLite would refuse them.
 */
export function rewriteCreateTable(sql: string, options: RewriteTableOptions): RewriteResult {
  const parsed = parseCreateTable(sql);
  const keep = options.keepColumns ? new Set(options.keepColumns.map((c) => c.toLowerCase())) : undefined;
  const droppedCols = keep
    ? new Set(parsed.parts.filter((p) => p.kind === 'column' && !keep.has(p.name!.toLowerCase())).map((p) => p.name!.toLowerCase()))
    : new Set<string>();
  const dropped: string[] = [];
  const kept: string[] = [];
  for (const part of parsed.parts) {
    if (part.kind === 'column') {
      if (droppedCols.has(part.name!.toLowerCase())) continue;
      kept.push(rewriteReferences(part.tokens, options.renames));
      continue;
    }
    const ids = identifiersIn(part);
    const uses = [...droppedCols].filter((c) => ids.has(c));
    if (uses.length > 0) {
      dropped.push(`${part.text} (uses dropped column ${uses.join(', ')})`);
      continue;
    }
    kept.push(rewriteReferences(part.tokens, options.renames));
  }
  const head = /^\s*CREATE\s+TEMP(ORARY)?\s+/i.test(parsed.head) ? 'CREATE TABLE ' : parsed.head.replace(/IF\s+NOT\s+EXISTS\s*$/i, '');
  return { sql: `${head}${quoteSqliteIdent(options.newName)} (\n  ${joinSql(kept, ',\n  ')}\n)${parsed.tail}`, dropped };
}

/** Replaces the table name after each REFERENCES keyword according to `renames`. */
function rewriteReferences(tokens: Token[], renames?: Map<string, string>): string {
  if (!renames || renames.size === 0)
    return tokens
      .map((t) => t.text)
      .join('')
      .trim();
  const out = tokens.map((t) => t.text);
  for (let i = 0; i < tokens.length; i++) {
    if (!isKeyword(tokens[i], 'REFERENCES')) continue;
    let j = i + 1;
    while (j < tokens.length && (tokens[j]!.kind === 'space' || tokens[j]!.kind === 'comment')) j++;
    const tok = tokens[j];
    if (!tok) continue;
    const target = renames.get(identName(tok));
    if (target !== undefined) out[j] = quoteSqliteIdent(target);
  }
  return out.join('').trim();
}

/**
 * Rewrites a CREATE [UNIQUE] INDEX statement to use a new index name and table name; the column
 * list, expressions, collations and WHERE clause stay as written.
 */
export function rewriteCreateIndex(sql: string, newIndexName: string, newTableName: string): string {
  const tokens = tokenize(sql);
  const sigIdx: number[] = [];
  tokens.forEach((t, i) => {
    if (t.kind !== 'space' && t.kind !== 'comment') sigIdx.push(i);
  });
  let k = 0;
  const at = (n: number) => tokens[sigIdx[n]!];
  k = 1; // after CREATE
  if (isKeyword(at(k), 'UNIQUE')) k++;
  k++; // INDEX
  if (isKeyword(at(k), 'IF')) k += 3;
  let nameK = k;
  if (at(k + 1)?.text === '.') nameK = k + 2;
  const onK = nameK + 1;
  if (!isKeyword(at(onK), 'ON')) throw new Error(`Unexpected CREATE INDEX form: ${sql.slice(0, 80)}`);
  const out = tokens.map((t) => t.text);
  for (let x = k; x <= nameK; x++) out[sigIdx[x]!] = '';
  out[sigIdx[nameK]!] = quoteSqliteIdent(newIndexName);
  out[sigIdx[onK + 1]!] = quoteSqliteIdent(newTableName);
  return out.join('').replace(/IF\s+NOT\s+EXISTS\s+/i, '');
}

export interface ExtractedCheck {
  name?: string;
  expression: string;
}

/** Finds every CHECK constraint (column-level and table-level, named or not) in a CREATE TABLE. */
export function extractChecks(sql: string): ExtractedCheck[] {
  const tokens = tokenize(sql).filter((t) => t.kind !== 'space' && t.kind !== 'comment');
  const out: ExtractedCheck[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (!isKeyword(tokens[i], 'CHECK') || tokens[i + 1]?.text !== '(') continue;
    const close = matchParen(tokens, i + 1);
    const startTok = tokens[i + 2];
    const endTok = tokens[close];
    if (!startTok || !endTok) continue;
    const expression = sql.slice(startTok.start, endTok.start).trim();
    const name = isKeyword(tokens[i - 2], 'CONSTRAINT') ? identName(tokens[i - 1]!) : undefined;
    out.push({ name, expression });
  }
  return out;
}

/** Reads the table options after the column list: WITHOUT ROWID and STRICT. */
export function tableOptions(sql: string): { withoutRowid: boolean; strict: boolean } {
  let tail = '';
  try {
    tail = parseCreateTable(sql).tail.toUpperCase();
  } catch {
    return { withoutRowid: false, strict: false };
  }
  return { withoutRowid: /WITHOUT\s+ROWID/.test(tail), strict: /\bSTRICT\b/.test(tail) };
}

/**
 * Each column's `COLLATE name` in a CREATE TABLE, by lower-cased column name (SQLite's PRAGMAs do
 * not report column collations; NOCASE changes what UNIQUE and `=` mean, so copies must know it).
 */
export function columnCollations(sql: string): Map<string, string> {
  const out = new Map<string, string>();
  let parts: TableBodyPart[];
  try {
    parts = parseCreateTable(sql).parts;
  } catch {
    return out;
  }
  for (const part of parts) {
    if (part.kind !== 'column' || !part.name) continue;
    const toks = part.tokens.filter((t) => t.kind !== 'space' && t.kind !== 'comment');
    let depth = 0;
    for (let i = 1; i < toks.length; i++) {
      const t = toks[i]!;
      if (t.text === '(') depth++;
      else if (t.text === ')') depth--;
      // Only the column's own COLLATE clause, not one inside a CHECK or DEFAULT expression.
      else if (depth === 0 && isKeyword(t, 'COLLATE') && toks[i + 1]) out.set(part.name.toLowerCase(), identName(toks[i + 1]!));
    }
  }
  return out;
}
