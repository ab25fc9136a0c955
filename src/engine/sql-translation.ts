/**
 * Translating one engine's SQL expressions into another's, for the parts of a schema `ferry copy`
 * carries over as text: column defaults, CHECKs, index keys and partial-index WHEREs. Each pair of
 * engines translates its own way (the target engine's `expressionTranslation` role hands out the
 * translator for a source engine); only constructs known to mean the same on both sides pass, and
 * anything else comes back with the reason, so the plan can warn instead of guessing.
 */
import type { LogicalType } from '../values/column-type.js';

/** The result of a translation: the SQL, or why there is none. */
export type Translation = { sql: string } | { untranslatable: string };

/**
 * A translated default (`sql: null` = no default; `expression`: an expression the target must be
 * asked about), or why there is none.
 */
export type DefaultTranslation = { sql: string | null; expression?: boolean } | { untranslatable: string };

/** What an expression may refer to. */
export interface ExpressionContext {
  /** Source column name -> target column name; SQLite matches names case-insensitively. */
  columns: Map<string, string>;
  /** Target names of columns that are boolean in the target (0/1 compared with them become false/true). */
  booleanColumns?: Set<string>;
  /** Target names of columns that compare without regard to case in the target (citext). */
  caseInsensitiveColumns?: Set<string>;
}

/** A source CREATE INDEX split into the parts that are translated one by one. */
export interface IndexParts {
  unique: boolean;
  /** Key parts as written (expressions or columns, with ASC/DESC and COLLATE). */
  keys: string[];
  where?: string;
  /** Why the index cannot be carried over at all (e.g. `it uses gin`), when it cannot. */
  refused?: string;
}

/** Translates one source engine's expressions into the target engine's SQL. Pure. */
export interface ExpressionTranslator {
  /** A boolean or scalar expression (a CHECK, an index key, a WHERE). */
  expression(sql: string, ctx: ExpressionContext): Translation;
  /** A column default, for a column of the given logical type. */
  columnDefault(sql: string, logical: LogicalType): DefaultTranslation;
  /** A source CREATE INDEX statement's parts, or null when it cannot be read. */
  indexParts(sql: string): IndexParts | null;
}
