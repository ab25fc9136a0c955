/**
 * Parsing of SQLite declared column types. SQLite accepts any text as a type name (`text(100)`,
 * `unsigned big int`, `DATETIME`, none at all) and derives a type *affinity* from it by substring
 * rules (https://www.sqlite.org/datatype3.html section 3.1). ferry uses the same rules, so it never
 * fails on a name SQLite accepted, plus name *hints* that say which extra checks profiling runs.
 */

/** SQLite's five type affinities. */
export type Affinity = 'INTEGER' | 'TEXT' | 'BLOB' | 'REAL' | 'NUMERIC';

/** What the declared name suggests beyond its affinity; the data still has the last word. */
export type TypeHint = 'boolean' | 'date' | 'timestamp' | 'timestamptz' | 'time' | 'json' | 'jsonb' | 'uuid' | 'decimal' | null;

/** A parsed declared type. */
export interface DeclaredType {
  /** The text as declared, trimmed. */
  text: string;
  /** Upper-cased name without the size/precision arguments, spaces collapsed: `VARCHAR`, `UNSIGNED BIG INT`. */
  base: string;
  /** Precision and scale arguments, e.g. [10, 2] for `DECIMAL(10,2)`. */
  args: number[];
  affinity: Affinity;
  hint: TypeHint;
  /** True when nothing was declared (BLOB affinity, values kept as given). */
  empty: boolean;
  /** Integer names: the width the name promises (SMALLINT 16, BIGINT 64, the rest 32). */
  intBits?: 16 | 32 | 64;
  /** VARCHAR(n)-like names: the character limit n. */
  maxLength?: number;
}

/** Parses a SQLite declared type name of any shape into its affinity and hint. Pure. */
export function parseDeclaredType(declared: string | null | undefined): DeclaredType {
  const text = (declared ?? '').trim();
  const paren = text.indexOf('(');
  const base = (paren < 0 ? text : text.slice(0, paren)).trim().replace(/\s+/g, ' ').toUpperCase();
  const args = paren < 0 ? [] : [...text.slice(paren).matchAll(/[-+]?\d+/g)].map((m) => Number(m[0]));
  const affinity = affinityOf(text);
  const out: DeclaredType = { text, base, args, affinity, hint: hintOf(base, args), empty: text === '' };
  if (affinity === 'INTEGER') out.intBits = /BIGINT|INT8|BIG INT/.test(base) ? 64 : /SMALLINT|INT2|TINYINT/.test(base) ? 16 : 32;
  if (LIMITED_TEXT.test(base) && args.length === 1 && args[0]! > 0) out.maxLength = args[0]!;
  return out;
}

/**
 * Names whose argument is a character limit (`VARCHAR(255)`). `TEXT(100)` is not one: MySQL and
 * SQLite dumps use it as a size hint, and apps never rely on it.
 */
const LIMITED_TEXT = /^(N?VARCHAR2?|CHARACTER VARYING|VARYING CHARACTER|NATIONAL VARYING CHARACTER|N?CHAR|NATIVE CHARACTER|NATIONAL CHARACTER|CHARACTER)$/;

/** SQLite's affinity rules, applied in SQLite's order to the whole declared text. */
export function affinityOf(declared: string): Affinity {
  const t = declared.toUpperCase();
  if (t.includes('INT')) return 'INTEGER';
  if (t.includes('CHAR') || t.includes('CLOB') || t.includes('TEXT')) return 'TEXT';
  if (t.includes('BLOB') || t.trim() === '') return 'BLOB';
  if (t.includes('REAL') || t.includes('FLOA') || t.includes('DOUB')) return 'REAL';
  return 'NUMERIC';
}

/**
 * Hints from the name. Order matters: `TIMESTAMP WITH TIME ZONE` before `TIMESTAMP`, `DATETIME`
 * before `DATE` and `TIME`, `JSONB` before `JSON`.
 */
function hintOf(base: string, args: number[]): TypeHint {
  if (/BOOL/.test(base)) return 'boolean';
  // MySQL's boolean spellings, common in dumps and ORMs: TINYINT(1), BIT, BIT(1).
  if ((base === 'TINYINT' && args.length === 1 && args[0] === 1) || (base === 'BIT' && (args.length === 0 || args[0] === 1))) return 'boolean';
  if (/TIMESTAMPTZ|TIMESTAMP_TZ|WITH TIME ZONE|DATETIMETZ|DATETIMEOFFSET/.test(base)) return 'timestamptz';
  if (/DATETIME|TIMESTAMP/.test(base)) return 'timestamp';
  if (/DATE/.test(base)) return 'date';
  if (/TIME/.test(base)) return 'time';
  if (/JSONB/.test(base)) return 'jsonb';
  if (/JSON/.test(base)) return 'json';
  if (/UUID|GUID/.test(base)) return 'uuid';
  if (/DECIMAL|NUMERIC|MONEY/.test(base)) return 'decimal';
  return null;
}

/** True when the hint asks profiling to check ISO date/time shapes. */
export function wantsTimestampCheck(t: DeclaredType): boolean {
  return t.hint === 'date' || t.hint === 'timestamp' || t.hint === 'timestamptz';
}
