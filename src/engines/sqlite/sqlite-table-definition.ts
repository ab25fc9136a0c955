/**
 * Token-level edits of a SQLite CREATE TABLE text, for the table rebuild. The original text is
 * edited (a column's type, NOT NULL or DEFAULT swapped, a definition or named constraint taken
 * out, one appended) rather than regenerated from a model, so everything SQLite keeps only in that
 * text survives untouched: unnamed CHECKs, collations, generated columns, conflict clauses,
 * AUTOINCREMENT, WITHOUT ROWID / STRICT and comments.
 */
import { FerryError } from '../../errors.js';
import { sameExpression, type ColumnChange } from '../../schema/operations.js';
import { extractChecks, parseCreateTable, type TableBodyPart } from './sqlite-ddl-rewrite.js';
import { identName, isKeyword, joinSql, quoteSqliteIdent as q, significant, type Token } from './sqlite-tokens.js';

/** What a rebuild changes in a table's definition; absent fields change nothing. */
export interface TableChange {
  /** Columns to remove, with the table constraints and indexes that use them. */
  dropColumns?: string[];
  /** Type / nullability / default changes, per column. */
  alterColumns?: { column: string; change: ColumnChange }[];
  /** Column definitions (SQLite DDL text) to append after the last column. */
  addColumns?: string[];
  /** Table constraints (DDL text, e.g. `CONSTRAINT "c" CHECK (x > 0)`) to append. */
  addConstraints?: string[];
  /** Names of constraints to remove, table-level or column-level (`CONSTRAINT name ...`). */
  dropConstraints?: string[];
  /** Constraints to remove by what they are, for those written without a name. */
  dropMatching?: ConstraintMatch[];
  /** A new primary key in place of the old one (column- or table-level); no columns: none. */
  primaryKey?: { columns: string[]; name?: string };
}

/** A constraint found by what it is: a unique constraint or foreign key by its columns, a check by its expression. */
export interface ConstraintMatch {
  kind: 'unique' | 'foreignKey' | 'check';
  columns?: string[];
  expression?: string;
}

/** The edited CREATE TABLE text and, in words, what went with dropped columns. */
export interface EditedDefinition {
  sql: string;
  dropped: string[];
}

/** One piece of a column definition: the name and type, or one column constraint. */
interface Segment {
  /** The constraint's keyword (NOT, NULL, DEFAULT, CHECK...; '' for the name-and-type head). */
  keyword: string;
  /** Its name when written as `CONSTRAINT name ...`. */
  name?: string;
  text: string;
}

const COLUMN_CONSTRAINT_WORDS = new Set(['CONSTRAINT', 'PRIMARY', 'NOT', 'NULL', 'UNIQUE', 'CHECK', 'DEFAULT', 'COLLATE', 'REFERENCES', 'GENERATED', 'AS']);

/** Applies `change` to a CREATE TABLE text and names the result `newName`. */
export function editTableDefinition(sql: string, newName: string, change: TableChange): EditedDefinition {
  const parsed = parseCreateTable(sql);
  const lower = (s: string) => s.toLowerCase();
  const columns = parsed.parts.filter((p) => p.kind === 'column').map((p) => lower(p.name!));
  for (const c of [...(change.dropColumns ?? []), ...(change.alterColumns ?? []).map((a) => a.column)]) {
    if (!columns.includes(lower(c))) throw new FerryError('COLUMN_MISSING', `Table ${parsed.name} has no column ${c}.`, { subject: `${parsed.name}.${c}` });
  }
  const drop = new Set((change.dropColumns ?? []).map(lower));
  const dropNames = new Set((change.dropConstraints ?? []).map(lower));
  const found = new Set<string>();
  const matching = new Matching(change.dropMatching ?? []);
  const rowidTable = !/WITHOUT\s+ROWID/i.test(parsed.tail);
  const dropped: string[] = [];
  const kept: string[] = [];
  let lastColumn = -1;
  for (const part of parsed.parts) {
    if (part.kind === 'column') {
      if (drop.has(lower(part.name!))) continue;
      const alter = change.alterColumns?.find((a) => lower(a.column) === lower(part.name!))?.change;
      kept.push(editColumn(part, alter, dropNames, found, matching, !!change.primaryKey, rowidTable));
      lastColumn = kept.length - 1;
      continue;
    }
    if (part.name && dropNames.has(lower(part.name))) {
      found.add(lower(part.name));
      continue;
    }
    const shape = tableConstraintShape(part);
    if (change.primaryKey && shape.keyword === 'PRIMARY') continue;
    if (matching.take(shape.keyword, shape.columns, part.text)) continue;
    const uses = [...constraintColumns(part)].filter((c) => drop.has(c));
    if (uses.length) {
      dropped.push(`${part.text} (uses dropped column ${uses.join(', ')})`);
      continue;
    }
    kept.push(part.text);
  }
  const unmatched = matching.left();
  if (unmatched.length) {
    throw new FerryError('SCHEMA_FAILED', `Table ${parsed.name} has no ${unmatched.join(', ')}.`, {
      subject: parsed.name,
      hint: 'Check the columns or the expression against the table\'s CREATE TABLE (sqlite3 app.db ".schema <table>").',
    });
  }
  const missing = [...dropNames].filter((n) => !found.has(n));
  if (missing.length) {
    throw new FerryError('SCHEMA_FAILED', `Table ${parsed.name} has no constraint named ${missing.join(', ')}.`, {
      subject: parsed.name,
      hint: 'SQLite knows a constraint by name only when its CREATE TABLE says CONSTRAINT <name>; check the name (ferry adds constraints with their names).',
    });
  }
  kept.splice(lastColumn + 1, 0, ...(change.addColumns ?? []));
  kept.push(...(change.addConstraints ?? []));
  const pk = change.primaryKey;
  if (pk?.columns.length) kept.push(`${pk.name ? `CONSTRAINT ${q(pk.name)} ` : ''}PRIMARY KEY (${pk.columns.map(q).join(', ')})`);
  const head = /^\s*CREATE\s+TEMP(ORARY)?\s+/i.test(parsed.head) ? 'CREATE TABLE ' : parsed.head.replace(/IF\s+NOT\s+EXISTS\s*$/i, '');
  return { sql: `${head}${q(newName)} (\n  ${joinSql(kept, ',\n  ')}\n)${parsed.tail}`, dropped };
}

/** Constraints written `CONSTRAINT name ...` in a CREATE TABLE, table- or column-level. */
export function namedConstraints(sql: string): { name: string; keyword: string; columns: string[] }[] {
  const out: { name: string; keyword: string; columns: string[] }[] = [];
  for (const part of parseCreateTable(sql).parts) {
    if (part.kind === 'column') {
      for (const s of columnSegments(part.tokens)) if (s.name) out.push({ name: s.name, keyword: s.keyword, columns: [part.name!] });
      continue;
    }
    if (!part.name || !isKeyword(significant(part.tokens)[0], 'CONSTRAINT')) continue;
    out.push({ name: part.name, ...tableConstraintShape(part) });
  }
  return out;
}

/** A table constraint's keyword (UNIQUE, CHECK, FOREIGN, PRIMARY) and the columns in its first parentheses. */
function tableConstraintShape(part: TableBodyPart): { keyword: string; columns: string[] } {
  const sig = significant(part.tokens);
  const keyword = sig[isKeyword(sig[0], 'CONSTRAINT') ? 2 : 0]?.text.toUpperCase() ?? '';
  const open = sig.findIndex((t) => t.text === '(');
  const close = sig.findIndex((t) => t.text === ')');
  const columns =
    open >= 0 && close > open
      ? sig
          .slice(open + 1, close)
          .filter((t) => t.kind === 'word' || t.kind === 'ident')
          .map(identName)
      : [];
  return { keyword, columns };
}

/** The dropMatching of a change, each taken by the first constraint that is what it describes. */
class Matching {
  private readonly open: ConstraintMatch[];
  constructor(matches: ConstraintMatch[]) {
    this.open = [...matches];
  }

  /** Whether the constraint (keyword, columns, text) is one to drop; it is then no longer looked for. */
  take(keyword: string, columns: string[], text: string): boolean {
    const kind = keyword === 'UNIQUE' ? 'unique' : keyword === 'FOREIGN' || keyword === 'REFERENCES' ? 'foreignKey' : keyword === 'CHECK' ? 'check' : undefined;
    if (!kind) return false;
    const k = this.open.findIndex((m) => {
      if (m.kind !== kind) return false;
      if (kind === 'check') {
        const expression = extractChecks(text)[0]?.expression;
        return expression !== undefined && m.expression !== undefined && sameExpression(expression, m.expression);
      }
      return !!m.columns && m.columns.length === columns.length && m.columns.every((c, i) => c.toLowerCase() === columns[i]!.toLowerCase());
    });
    if (k < 0) return false;
    this.open.splice(k, 1);
    return true;
  }

  /** What was looked for and not found, in words. */
  left(): string[] {
    return this.open.map((m) =>
      m.kind === 'check' ? `CHECK (${m.expression})` : `${m.kind === 'unique' ? 'UNIQUE' : 'FOREIGN KEY'} (${(m.columns ?? []).join(', ')})`,
    );
  }
}

/** The keywords of a column definition's constraints (PRIMARY, NOT, DEFAULT, REFERENCES...). */
export function columnConstraintKeywords(part: TableBodyPart): string[] {
  return columnSegments(part.tokens)
    .slice(1)
    .map((s) => s.keyword);
}

/** A column definition with `change` applied and named constraints in `dropNames` removed. */
function editColumn(
  part: TableBodyPart,
  change: ColumnChange | undefined,
  dropNames: Set<string>,
  found: Set<string>,
  matching: Matching,
  dropPrimaryKey: boolean,
  rowidTable: boolean,
): string {
  const segments = columnSegments(part.tokens);
  // An INTEGER PRIMARY KEY is the rowid and never NULL: moved off the key it stays NOT NULL (as a
  // PostgreSQL column does when its primary key is dropped).
  const sig = significant(part.tokens);
  const rowidAlias =
    dropPrimaryKey &&
    rowidTable &&
    segments.some((x) => x.keyword === 'PRIMARY') &&
    sig[1]?.text.toUpperCase() === 'INTEGER' &&
    sig[2]?.text.toUpperCase() === 'PRIMARY';
  let head = segments[0]!.text;
  if (change?.type !== undefined) {
    // Keep comments around the name and type; only the type's words change.
    const name = significant(part.tokens)[0]!;
    const at = part.tokens.indexOf(name);
    const before = part.tokens
      .slice(0, at)
      .map((t) => t.text)
      .join('')
      .trim();
    const comments = part.tokens
      .slice(at)
      .filter((t) => t.kind === 'comment' && head.includes(t.text))
      .map((t) => t.text);
    head = joinSql([before, `${name.text} ${change.type}`, ...comments].filter(Boolean), ' ');
  }
  let rest = segments.slice(1).filter((s) => {
    // A new primary key replaces a column's PRIMARY KEY (its AUTOINCREMENT goes with it).
    if (dropPrimaryKey && s.keyword === 'PRIMARY') return false;
    if (s.name && dropNames.has(s.name.toLowerCase())) {
      found.add(s.name.toLowerCase());
      return false;
    }
    // A column constraint is on its own column: UNIQUE and REFERENCES match by [column].
    return !matching.take(s.keyword, [part.name!], s.text);
  });
  if (rowidAlias && change?.nullable !== true && !rest.some((s) => s.keyword === 'NOT')) rest.push({ keyword: 'NOT', text: 'NOT NULL' });
  if (change?.nullable === true) rest = rest.filter((s) => s.keyword !== 'NOT');
  if (change?.nullable === false) {
    rest = rest.filter((s) => s.keyword !== 'NULL');
    if (!rest.some((s) => s.keyword === 'NOT')) rest.push({ keyword: 'NOT', text: 'NOT NULL' });
  }
  if (change?.default !== undefined) {
    rest = rest.filter((s) => s.keyword !== 'DEFAULT');
    if (change.default !== null) rest.push({ keyword: 'DEFAULT', text: `DEFAULT ${sqliteDefault(change.default)}` });
  }
  return joinSql([head, ...rest.map((s) => s.text)], ' ');
}

/**
 * Splits a column definition into its head (name and type) and one segment per column
 * constraint. A constraint starts at one of its keywords at parenthesis depth 0, except where that
 * word belongs to the constraint before it: the NULL of NOT NULL, the value of DEFAULT (DEFAULT
 * NULL), NOT DEFERRABLE in a REFERENCES clause, the AS of GENERATED ALWAYS AS, a CONSTRAINT's
 * name and the keyword right after it.
 */
function columnSegments(tokens: Token[]): Segment[] {
  const sig = significant(tokens);
  const word = (k: number) => (sig[k]?.kind === 'word' ? sig[k]!.text.toUpperCase() : (sig[k]?.text ?? ''));
  const starts: number[] = [];
  let depth = 0;
  for (let k = 1; k < sig.length; k++) {
    const t = sig[k]!;
    if (t.kind === 'punct') {
      if (t.text === '(') depth++;
      else if (t.text === ')') depth--;
      continue;
    }
    const w = word(k);
    if (depth > 0 || t.kind !== 'word' || !COLUMN_CONSTRAINT_WORDS.has(w)) continue;
    const prev = word(k - 1);
    const afterDefault = prev === 'DEFAULT' || ((prev === '-' || prev === '+') && word(k - 2) === 'DEFAULT');
    if (prev === 'CONSTRAINT' || word(k - 2) === 'CONSTRAINT' || prev === 'COLLATE' || afterDefault) continue;
    if ((w === 'NULL' && prev === 'NOT') || (w === 'NOT' && word(k + 1) === 'DEFERRABLE') || (w === 'AS' && prev === 'ALWAYS')) continue;
    starts.push(k);
  }
  const sqlText = tokens.map((t) => t.text).join('');
  const base = tokens[0]?.start ?? 0;
  const at = (k: number) => (k < sig.length ? sig[k]!.start - base : sqlText.length);
  const out: Segment[] = [{ keyword: '', text: sqlText.slice(0, at(starts[0] ?? sig.length)).trim() }];
  starts.forEach((k, n) => {
    const text = sqlText.slice(at(k), at(starts[n + 1] ?? sig.length)).trim();
    if (word(k) === 'CONSTRAINT') out.push({ keyword: word(k + 2), name: identName(sig[k + 1]!), text });
    else out.push({ keyword: word(k), text });
  });
  return out;
}

/** Column names a table constraint uses: every name before REFERENCES (after it: the parent's). */
function constraintColumns(part: TableBodyPart): Set<string> {
  const out = new Set<string>();
  const sig = significant(part.tokens);
  const from = isKeyword(sig[0], 'CONSTRAINT') ? 2 : 0;
  for (const t of sig.slice(from)) {
    if (isKeyword(t, 'REFERENCES')) break;
    if (t.kind === 'word' || t.kind === 'ident') out.add(identName(t).toLowerCase());
  }
  return out;
}

/** SQLite takes literals bare after DEFAULT but any other expression only in parentheses. */
export function sqliteDefault(expr: string): string {
  const e = expr.trim();
  if (/^([-+]?\d+(\.\d+)?(e[-+]?\d+)?|'(?:[^']|'')*'|X'[0-9a-f]*'|NULL|TRUE|FALSE|CURRENT_TIMESTAMP|CURRENT_DATE|CURRENT_TIME)$/i.test(e)) return e;
  return e.startsWith('(') && e.endsWith(')') ? e : `(${e})`;
}
