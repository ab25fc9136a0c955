import { durationMs } from '../util/duration.js';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { FerryError } from '../errors.js';
import type { Revision, RevisionSection } from './revision-types.js';
import { closest } from './did-you-mean.js';
import { REVISION_ID, checkFileName, displayPath, normaliseText, oneLine, withChecksum, type NewRevisionOptions } from './revision-text.js';
import { importScriptRevision, scanScriptRevision } from './revision-script.js';

/** Extensions of revision files; `.d.ts` and every other file in the folder are ignored. */
export const REVISION_EXTENSIONS: readonly string[] = ['.sql', '.ts', '.mts', '.js', '.mjs'];

const RESERVED_IDS = new Set(['head', 'heads', 'base']);
const HEADER_DIRECTIVES = ['revision', 'parents', 'message', 'no-transaction', 'lock-timeout'];
const DIRECTIVES = [...HEADER_DIRECTIVES, 'up', 'down'];
/** Directives about the statement after them, read by `ferry lint` (any number, inside a section). */
const STATEMENT_DIRECTIVES = ['lint-ignore'];
/** Names in the folder that are not revisions though they have a revision extension. */
const NOT_REVISIONS = /^schema\.(sql|ts|mts|js|mjs)$/;

/**
 * Reads every revision file of `dir` (not recursively), sorted by file name so the result is the
 * same on every machine. SQL is parsed by one native regex pass per file. Script revisions
 * (.ts/.js) are NOT imported here: their id, parents and message come from a text scan of their
 * `export const` lines, and `up.fn`/`down.fn` import the module on first call. Call
 * `importScriptRevision` on the scripts of a plan before running it, so a syntax error stops the
 * run before anything changes (or pass `importScripts` to do that for every script now, as
 * `ferry check` does). 5,000 SQL files load in about 60-120 ms.
 */
export async function loadRevisions(dir: string, options: LoadRevisionsOptions = {}): Promise<Revision[]> {
  const abs = path.resolve(dir);
  let names: string[];
  try {
    const entries = await fs.promises.readdir(abs, { withFileTypes: true });
    names = entries.filter((e) => !e.isDirectory() && isRevisionFileName(e.name)).map((e) => e.name);
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR';
    throw new FerryError(
      'CONFIG_INVALID',
      missing ? `The revisions folder ${abs} does not exist.` : `Cannot read the revisions folder ${abs}: ${(err as Error).message}`,
      {
        subject: abs,
        hint: missing
          ? 'Create the first revision with `ferry revision -m "initial schema"`, or point ferry at the right folder.'
          : 'Check the folder and its permissions.',
        data: { dir: abs },
        cause: err,
      },
    );
  }
  // The default sort compares code units: the order must not depend on the machine's locale.
  names.sort();
  const revisions: Revision[] = [];
  for (let i = 0; i < names.length; i++) {
    // Synchronous reads in slices, yielding between slices. Measured with 5,000 small files:
    // readFileSync ~55 ms, all-concurrent fs.readFile ~190 ms, fs.promises.readFile ~450 ms
    // (each async read is four thread-pool round trips: open, stat, read, close). Yielding keeps
    // a host process (a server running ferry as a library) responsive meanwhile.
    if (i > 0 && i % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
    const file = abs + path.sep + names[i];
    revisions.push(parseRevisionText(readText(file), file));
  }
  return options.importScripts ? Promise.all(revisions.map(importScriptRevision)) : revisions;
}

/** Options for loadRevisions. */
export interface LoadRevisionsOptions {
  /** Import every TS/JS revision now (default: on first run of its up/down), so syntax errors surface at load. */
  importScripts?: boolean;
}

/** Whether a file name in the revisions folder is a revision file (dotfiles, README, schema.* are not). */
export function isRevisionFileName(name: string): boolean {
  if (name.startsWith('.') || name.endsWith('.d.ts') || NOT_REVISIONS.test(name)) return false;
  const dot = name.lastIndexOf('.');
  return dot > 0 && REVISION_EXTENSIONS.includes(name.slice(dot).toLowerCase());
}

/** Parses one revision file's text; the extension decides between SQL and script. */
export function parseRevisionText(text: string, file: string): Revision {
  return path.extname(file).toLowerCase() === '.sql' ? parseSqlRevision(text, file) : scanScriptRevision(text, file);
}

function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw unreadable(file, err as Error);
  }
}

function unreadable(file: string, err: Error): FerryError {
  return new FerryError('CONFIG_INVALID', `Cannot read revision file ${displayPath(file)}: ${err.message}`, { subject: file, cause: err });
}

/**
 * Parses a SQL revision: a header of `-- ferry:` directives (other comments and blank lines are
 * allowed there), then `-- ferry:up` and optionally `-- ferry:down` sections. Problems are
 * CONFIG_INVALID errors naming the file and, when one line is at fault, the line.
 */
export function parseSqlRevision(text: string, file: string): Revision {
  const t = normaliseText(text);
  const seen = new Map<string, number>();
  let id: string | undefined;
  let parents: string[] = [];
  let message = '';
  let transactional = true;
  let lockTimeoutMs: number | undefined;
  let up: RevisionSection | undefined;
  let down: RevisionSection | undefined;
  let open: RevisionSection | undefined;
  let openFrom = 0;
  let headerEnd = t.length;
  // One native regex pass finds the directive lines; section SQL is never walked line by line,
  // which keeps thousands of files (and long sections) cheap to parse.
  let lineNo = 1;
  let counted = 0;
  DIRECTIVE_LINE.lastIndex = 0;
  for (let m = DIRECTIVE_LINE.exec(t); m !== null; m = DIRECTIVE_LINE.exec(t)) {
    for (let k = t.indexOf('\n', counted); k !== -1 && k < m.index; k = t.indexOf('\n', k + 1)) lineNo++;
    counted = m.index;
    const name = m[1].toLowerCase();
    const arg = m[2].trim();
    if (STATEMENT_DIRECTIVES.includes(name)) continue;
    if (!DIRECTIVES.includes(name)) {
      const near = closest(name, DIRECTIVES);
      fail(
        file,
        `unknown directive "-- ferry:${name}"${near ? `; did you mean "-- ferry:${near}"?` : '.'}`,
        lineNo,
        `ferry knows -- ferry:${[...DIRECTIVES, ...STATEMENT_DIRECTIVES].join(', -- ferry:')}.`,
      );
    }
    if (seen.has(name)) fail(file, `"-- ferry:${name}" appears twice (first on line ${seen.get(name)}).`, lineNo);
    seen.set(name, lineNo);
    if (name === 'up' || name === 'down') {
      if (arg !== '') fail(file, `unexpected text after "-- ferry:${name}"; the section's SQL goes on the following lines.`, lineNo);
      if (open) open.sql = t.slice(openFrom, m.index);
      else headerEnd = m.index;
      const nl = t.indexOf('\n', m.index);
      openFrom = nl === -1 ? t.length : nl + 1;
      open = { sql: '', line: lineNo + 1 };
      if (name === 'up') up = open;
      else down = open;
    } else if (open) {
      fail(file, `"-- ferry:${name}" must be in the header, before "-- ferry:up".`, lineNo);
    } else if (name === 'revision') {
      if (!REVISION_ID.test(arg) || RESERVED_IDS.has(arg))
        fail(file, `"${arg}" is not a valid revision id (lowercase letters, digits and _; not head, heads or base).`, lineNo);
      id = arg;
    } else if (name === 'parents') {
      parents = arg === '' ? [] : SEPARATOR.test(arg) ? arg.split(/[\s,]+/) : [arg];
      for (const p of parents) if (!REVISION_ID.test(p)) fail(file, `"${p}" is not a valid parent revision id.`, lineNo);
      if (parents.length > 1 && new Set(parents).size !== parents.length) fail(file, 'a parent is listed twice.', lineNo);
    } else if (name === 'message') {
      message = arg;
    } else if (name === 'lock-timeout') {
      lockTimeoutMs = durationMs(arg);
      if (lockTimeoutMs === undefined) fail(file, `"-- ferry:lock-timeout ${arg}" is not a duration (say 500ms, 5s or 1min).`, lineNo);
    } else if (arg !== '') {
      fail(file, '"-- ferry:no-transaction" takes no value.', lineNo);
    } else {
      transactional = false;
    }
  }
  if (open) open.sql = t.slice(openFrom);
  checkHeader(t, headerEnd, file);
  if (id === undefined)
    fail(
      file,
      'has no "-- ferry:revision <id>" line.',
      undefined,
      'Start the file with `-- ferry:revision <id>`; `ferry revision -m MSG` writes a complete file.',
    );
  if (!up)
    fail(
      file,
      'has no "-- ferry:up" section.',
      undefined,
      'Put the SQL that applies the revision after a `-- ferry:up` line (and the SQL that reverts it after `-- ferry:down`).',
    );
  checkFileName(file, id, seen.get('revision'));
  return withChecksum({ id, parents, message, file, kind: 'sql', up, down: down ?? null, transactional, ...(lockTimeoutMs ? { lockTimeoutMs } : {}) }, text);
}

/**
 * A `-- ferry:name ...` line. A space after the colon (`-- ferry: a note`) keeps it an ordinary
 * comment; anything else that looks like a directive must be one, so a misspelt `-- ferry:donw`
 * fails loudly instead of silently becoming part of the up SQL.
 */
const DIRECTIVE_LINE = /^[ \t]*--[ \t]*ferry:([A-Za-z]\S*)([^\n]*)$/gm;
const SEPARATOR = /[\s,]/;

/** The header (before the first section) holds only comments and blank lines. */
function checkHeader(t: string, end: number, file: string): void {
  let line = 1;
  for (let pos = 0; pos < end; line++) {
    let nl = t.indexOf('\n', pos);
    if (nl === -1 || nl > end) nl = end;
    let k = pos;
    while (k < nl && t.charCodeAt(k) <= 32) k++;
    if (k < nl && !t.startsWith('--', k)) fail(file, 'SQL before "-- ferry:up"; the header holds only "-- ferry:" lines and comments.', line);
    pos = nl + 1;
  }
}

function fail(file: string, message: string, line?: number, hint?: string): never {
  throw new FerryError('CONFIG_INVALID', `${displayPath(file)}${line ? `:${line}` : ''}: ${message}`, {
    subject: file,
    hint,
    data: { file, ...(line ? { line } : {}) },
  });
}

/** A new revision id: 12 random lowercase hex digits (48 bits, so parallel branches never collide in practice). */
export function newRevisionId(): string {
  return crypto.randomBytes(6).toString('hex');
}

/** The file-name slug for a message: lowercase ASCII words joined by `_`, at most 40 characters. */
export function slugFor(message: string): string {
  const words = message
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  let slug = '';
  for (const w of words) {
    const next = slug ? `${slug}_${w}` : w;
    if (next.length > 40) break;
    slug = next;
  }
  return slug || (words[0]?.slice(0, 40) ?? 'revision');
}

/** The text of a new SQL revision file, in exactly the format parseSqlRevision reads. */
export function revisionFileText(opts: NewRevisionOptions): string {
  const lines = [`-- ferry:revision ${opts.id}`];
  if (opts.parents.length > 0) lines.push(`-- ferry:parents ${opts.parents.join(' ')}`);
  // A message is one line in the header; a newline in it would end the directive.
  lines.push(`-- ferry:message ${oneLine(opts.message)}`.trimEnd());
  if (opts.transactional === false) lines.push('-- ferry:no-transaction');
  lines.push('-- ferry:up', ...sectionLines(opts.up));
  if (opts.down !== null) lines.push('-- ferry:down', ...sectionLines(opts.down));
  return lines.join('\n') + '\n';
}

function sectionLines(sql: string): string[] {
  const body = sql.replace(/\r\n?/g, '\n').replace(/^\n+|\s+$/g, '');
  return body === '' ? [] : body.split('\n');
}
