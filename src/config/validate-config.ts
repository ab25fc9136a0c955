import path from 'node:path';
import { createRequire } from 'node:module';
import { FerryError } from '../errors.js';
import {
  checkKeys,
  closest,
  describe,
  expectNonEmptyString,
  expectRecord,
  formatPath,
  isMisspelled,
  isRecord,
  optionalString,
  type Found,
  type Segment,
} from './validate-helpers.js';
import { checkCopy, checkDatabases, checkRevisions } from './validate-sections.js';
import type { BackupConfig, ConflictPolicy, ConsolidateConfig, FerryConfig, SourceMapping, TableMapping, TableTransform } from './types.js';

/** One thing wrong with a config, as listed in a CONFIG_INVALID error's `data.problems`. */
export interface ConfigProblem {
  /** Full key path, e.g. `consolidate.sources["continuum.db"].tables.memories.colums`. */
  path: string;
  /** What is wrong, in one sentence. */
  message: string;
  /** What to do about it, when there is more to say than the message. */
  hint?: string;
  /** 1-based line in the config file (JSON and YAML configs only). */
  line?: number;
  /** 1-based column in the config file (JSON and YAML configs only). */
  column?: number;
}

/** Where the raw config came from: the file (null for configs passed in code) and, for JSON/YAML, its text. */
export interface ConfigSource {
  file: string | null;
  text?: string;
}

const CONFLICT_POLICIES: readonly ConflictPolicy[] = ['error', 'skip', 'replace'];
const TOP_KEYS = ['$schema', 'consolidate', 'backup', 'copy', 'revisions', 'databases'];
const BACKUP_KEYS = ['dir'];
const CONSOLIDATE_KEYS = ['sourceDir', 'targetDir', 'backupDir', 'sources', 'onConflict'];
const SOURCE_KEYS = ['target', 'tables', 'onConflict'];
const TABLE_KEYS = ['as', 'columns', 'transform', 'onConflict'];

/**
 * Checks a parsed config and returns it as a FerryConfig (a fresh object: `$schema` dropped, an empty
 * YAML table entry turned into `{}`). Every problem is collected; the error's message describes the
 * first one (with file, line and a "did you mean" where possible) and `data.problems` lists them all.
 */
export function validateConfig(raw: unknown, where: ConfigSource): FerryConfig {
  const found: Found[] = [];
  const config = checkTop(raw, found);
  if (found.length === 0) return config;
  throw invalidConfigError(found, where);
}

function checkTop(raw: unknown, found: Found[]): FerryConfig {
  if (!isRecord(raw)) {
    const message =
      raw === null || raw === undefined
        ? 'The config is empty.'
        : `The config must be an object with "consolidate", "copy" and/or "backup" sections, not ${describe(raw)}.`;
    found.push({ segments: [], message, at: 'value' });
    return {};
  }
  checkKeys(raw, [], TOP_KEYS, 'at the top level', found);
  const out: FerryConfig = {};
  if (raw.consolidate !== undefined) out.consolidate = checkConsolidate(raw.consolidate, ['consolidate'], found);
  if (raw.backup !== undefined) out.backup = checkBackup(raw.backup, ['backup'], found);
  if (raw.copy !== undefined) out.copy = checkCopy(raw.copy, ['copy'], found);
  if (raw.revisions !== undefined) out.revisions = checkRevisions(raw.revisions, ['revisions'], found);
  if (raw.databases !== undefined) out.databases = checkDatabases(raw.databases, ['databases'], found);
  return out;
}

function checkBackup(raw: unknown, at: Segment[], found: Found[]): BackupConfig {
  if (!expectRecord(raw, at, found)) return {};
  checkKeys(raw, at, BACKUP_KEYS, `in ${formatPath(at)}`, found);
  const out: BackupConfig = {};
  const dir = optionalString(raw, 'dir', at, found);
  if (dir !== undefined) out.dir = dir;
  return out;
}

function checkConsolidate(raw: unknown, at: Segment[], found: Found[]): ConsolidateConfig {
  const out: ConsolidateConfig = { sourceDir: '', targetDir: '', sources: {} };
  if (!expectRecord(raw, at, found)) return out;
  checkKeys(raw, at, CONSOLIDATE_KEYS, `in ${formatPath(at)}`, found);
  out.sourceDir = requiredString(raw, 'sourceDir', at, found, 'the folder holding the SQLite files to consolidate');
  out.targetDir = requiredString(raw, 'targetDir', at, found, 'the folder the consolidated files are written to');
  const backupDir = optionalString(raw, 'backupDir', at, found);
  if (backupDir !== undefined) out.backupDir = backupDir;
  const onConflict = optionalPolicy(raw, at, found);
  if (onConflict !== undefined) out.onConflict = onConflict;

  const sourcesAt = [...at, 'sources'];
  if (raw.sources === undefined) {
    if (!isMisspelled(raw, 'sources')) {
      found.push({
        segments: sourcesAt,
        message: `${formatPath(sourcesAt)} is required.`,
        hint: 'List each source file with its target, e.g. "sources": { "debates.db": { "target": "core.db" } }.',
        at: 'key',
      });
    }
  } else if (expectRecord(raw.sources, sourcesAt, found)) {
    const entries = Object.entries(raw.sources);
    if (entries.length === 0) {
      found.push({
        segments: sourcesAt,
        message: `${formatPath(sourcesAt)} is empty, so there is nothing to consolidate.`,
        hint: 'Add at least one source file, e.g. "debates.db": { "target": "core.db" }.',
        at: 'value',
      });
    }
    // fromEntries defines own properties, so a source named "__proto__" stays data, not a prototype.
    out.sources = Object.fromEntries(entries.map(([name, value]) => [name, checkSource(value, [...sourcesAt, name], found)] as const));
  }
  return out;
}

function checkSource(raw: unknown, at: Segment[], found: Found[]): SourceMapping {
  const out: SourceMapping = { target: '' };
  if (at[at.length - 1] === '') {
    found.push({ segments: at, message: 'A source file name is empty.', at: 'key' });
  }
  if (!expectRecord(raw, at, found, 'an object such as { "target": "core.db" }')) return out;
  checkKeys(raw, at, SOURCE_KEYS, 'in a source mapping', found);
  out.target = requiredString(raw, 'target', at, found, 'the file (inside targetDir) this source is merged into');
  if (out.target !== '' && !isBareFileName(out.target)) {
    found.push({
      segments: [...at, 'target'],
      message: `${formatPath([...at, 'target'])} must be a plain file name inside targetDir, not ${JSON.stringify(out.target)}.`,
      hint: 'Drop the folder part; to write somewhere else, change consolidate.targetDir.',
      at: 'value',
    });
  }
  const onConflict = optionalPolicy(raw, at, found);
  if (onConflict !== undefined) out.onConflict = onConflict;

  const tablesAt = [...at, 'tables'];
  if (raw.tables !== undefined && expectRecord(raw.tables, tablesAt, found)) {
    out.tables = Object.fromEntries(Object.entries(raw.tables).map(([name, value]) => [name, checkTable(value, [...tablesAt, name], found)] as const));
  }
  return out;
}

function checkTable(raw: unknown, at: Segment[], found: Found[]): TableMapping {
  if (at[at.length - 1] === '') found.push({ segments: at, message: 'A table name is empty.', at: 'key' });
  // In YAML, `tier_transitions:` with nothing after it reads as null; it plainly means "defaults".
  if (raw === null) return {};
  const out: TableMapping = {};
  if (!expectRecord(raw, at, found, 'an object (use {} to move the table as it is)')) return out;
  checkKeys(raw, at, TABLE_KEYS, 'in a table mapping', found);
  if (raw.as !== undefined) {
    const as = expectNonEmptyString(raw.as, [...at, 'as'], found);
    if (as !== undefined) out.as = as;
  }
  if (raw.columns !== undefined) {
    const columns = checkColumns(raw.columns, [...at, 'columns'], found);
    if (columns) out.columns = columns;
  }
  if (raw.transform !== undefined) {
    const transform = checkTransform(raw.transform, [...at, 'transform'], found);
    if (transform) out.transform = transform;
  }
  const onConflict = optionalPolicy(raw, at, found);
  if (onConflict !== undefined) out.onConflict = onConflict;
  return out;
}

function checkColumns(raw: unknown, at: Segment[], found: Found[]): string[] | undefined {
  if (!Array.isArray(raw) || raw.length === 0) {
    found.push({
      segments: at,
      message: `${formatPath(at)} must be a non-empty list of column names, not ${describe(raw)}.`,
      hint: 'Leave "columns" out to keep every column.',
      at: 'value',
    });
    return undefined;
  }
  const seen = new Set<string>();
  let ok = true;
  raw.forEach((item: unknown, i) => {
    const name = expectNonEmptyString(item, [...at, i], found);
    if (name === undefined) {
      ok = false;
    } else if (seen.has(name)) {
      ok = false;
      found.push({ segments: [...at, i], message: `Column ${JSON.stringify(name)} is listed twice in ${formatPath(at)}.`, at: 'value' });
    }
    if (name !== undefined) seen.add(name);
  });
  return ok ? (raw as string[]).slice() : undefined;
}

function checkTransform(raw: unknown, at: Segment[], found: Found[]): TableTransform | undefined {
  if (typeof raw === 'function') return raw as TableTransform;
  if (!isRecord(raw)) {
    found.push({
      segments: at,
      message: `${formatPath(at)} must be an object of column -> SQL expression (or, in a TS/JS config, a function), not ${describe(raw)}.`,
      at: 'value',
    });
    return undefined;
  }
  const entries = Object.entries(raw).map(
    ([column, expr]) => [column, expectNonEmptyString(expr, [...at, column], found, 'a SQL expression such as "upper(name)"')] as const,
  );
  if (entries.some(([, sql]) => sql === undefined)) return undefined;
  return Object.fromEntries(entries) as Record<string, string>;
}

function requiredString(obj: Record<string, unknown>, key: string, at: Segment[], found: Found[], meaning: string): string {
  const keyAt = [...at, key];
  if (obj[key] === undefined) {
    // A misspelled key is already reported as unknown, with this key as its suggestion; saying
    // "required" as well would only send the reader looking for a second mistake.
    if (isMisspelled(obj, key)) return '';
    found.push({
      segments: keyAt,
      message: `${formatPath(keyAt)} is required (${meaning}).`,
      hint: `Add "${key}" to ${formatPath(at)}.`,
      at: 'key',
    });
    return '';
  }
  return expectNonEmptyString(obj[key], keyAt, found) ?? '';
}

function optionalPolicy(obj: Record<string, unknown>, at: Segment[], found: Found[]): ConflictPolicy | undefined {
  const value = obj.onConflict;
  if (value === undefined) return undefined;
  if (typeof value === 'string' && (CONFLICT_POLICIES as readonly string[]).includes(value)) return value as ConflictPolicy;
  const keyAt = [...at, 'onConflict'];
  const suggestion = typeof value === 'string' ? closest(value, CONFLICT_POLICIES) : undefined;
  found.push({
    segments: keyAt,
    message:
      `${formatPath(keyAt)} must be one of ${CONFLICT_POLICIES.map((p) => `"${p}"`).join(', ')}, not ${describe(value)}` +
      (suggestion ? `; did you mean "${suggestion}"?` : '.'),
    hint: 'error: stop at the first clashing row; skip: keep the row already there; replace: overwrite it with the later one.',
    at: 'value',
  });
  return undefined;
}

function isBareFileName(name: string): boolean {
  return !/[\\/]/.test(name) && name !== '.' && name !== '..' && name.trim() === name;
}

function invalidConfigError(found: Found[], where: ConfigSource): FerryError {
  const locate = where.text !== undefined ? makeLocator(where.text) : () => undefined;
  const located: ConfigProblem[] = found.map((f) => {
    const pos = locate(f.segments, f.at);
    return {
      path: formatPath(f.segments),
      message: f.message,
      ...(f.hint ? { hint: f.hint } : {}),
      ...(pos ? { line: pos.line, column: pos.col } : {}),
    };
  });
  // Describe the problem nearest the top of the file first: that is where a reader starts fixing.
  // (sort is stable, so problems without a position keep the order they were found in.)
  const problems = located.slice().sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  const first = problems[0];
  const label = where.file === null ? 'config' : displayPath(where.file);
  const position = first.line !== undefined ? `:${first.line}:${first.column}` : '';
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
  return new FerryError('CONFIG_INVALID', `Invalid config ${label}${position}: ${first.message}${more}`, {
    subject: first.path === '(top level)' ? (where.file ?? undefined) : first.path,
    hint: first.hint,
    data: { file: where.file, problems },
  });
}

/**
 * Builds a function that finds where a key path sits in the source text. JSON is (for this purpose)
 * YAML, so one walk over yaml's document tree serves both formats. When the path is missing (a
 * required key left out), it points at the deepest part of the path that does exist.
 */
function makeLocator(text: string): (segments: Segment[], at: 'key' | 'value') => { line: number; col: number } | undefined {
  // yaml loads only when a config has a problem to point at.
  const { isMap, isScalar, isSeq, LineCounter, parseDocument } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false });
  return (segments, at) => {
    let node: unknown = doc.contents;
    let offset = rangeStart(node);
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i];
      const last = i === segments.length - 1;
      if (isMap(node)) {
        // The last pair with the key wins, as it does in JSON.parse and in yaml's toJS.
        const pair = node.items.filter((p) => isScalar(p.key) && String(p.key.value) === String(seg)).pop();
        if (!pair) break;
        const keyStart = rangeStart(pair.key);
        const valueStart = rangeStart(pair.value);
        offset = last && at === 'value' && valueStart !== undefined ? valueStart : (keyStart ?? offset);
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
        node = node.items[seg];
        offset = rangeStart(node) ?? offset;
      } else {
        break;
      }
    }
    return offset === undefined ? undefined : lineCounter.linePos(offset);
  };
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
  return range ? range[0] : undefined;
}

function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}
