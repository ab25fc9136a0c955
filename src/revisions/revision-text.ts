/** The text-level pieces of revision files: ids, checksums, file names, one-line messages. */
import crypto from 'node:crypto';
import path from 'node:path';
import { FerryError } from '../errors.js';
import type { Revision } from './revision-types.js';

const TRAILING_SPACE = /[^\S\n](?:\n|$)/;
/** One-shot hashing (Node >= 20.12) is about twice as fast per small file as createHash. */
const sha256 = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

/** A revision id as files write it; `head`, `heads` and `base` are targets, so no id may be one. */
export const REVISION_ID = /^[0-9a-z_]+$/;

/**
 * SHA-256 (hex) of a revision file's content after normalising what editors and checkouts change
 * without meaning to: a BOM, CRLF/CR line endings, trailing whitespace on each line and blank lines
 * at the end. Any other change, even one character of SQL, changes the checksum.
 */
export function revisionChecksum(text: string): string {
  let normal = normaliseText(text);
  // Most files have no trailing whitespace: test first, since the replace is the slow part.
  if (TRAILING_SPACE.test(normal)) normal = normal.replace(/[^\S\n]+$/gm, '');
  let end = normal.length;
  while (end > 0 && normal.charCodeAt(end - 1) === 10) end--;
  if (end < normal.length) normal = normal.slice(0, end);
  return sha256 ? sha256('sha256', normal, 'hex') : crypto.createHash('sha256').update(normal).digest('hex');
}

/**
 * Adds `checksum` as an own, enumerable property computed on first read (then kept). Hashing is
 * the largest part of parsing a small file, and `current`, `heads` and `history` never read it;
 * an own enumerable getter (unlike a class getter) survives `{ ...revision }` and JSON.stringify.
 */
export function withChecksum(revision: Omit<Revision, 'checksum'>, text: string): Revision {
  let sum: string | undefined;
  return Object.defineProperty(revision, 'checksum', { enumerable: true, configurable: true, get: () => (sum ??= revisionChecksum(text)) }) as Revision;
}

/** The text with a BOM removed and every line ending as \n (line numbers stay those of the file). */
export function normaliseText(text: string): string {
  const t = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  return t.includes('\r') ? t.replace(/\r\n?/g, '\n') : t;
}

/**
 * The id inside a file is authoritative; a file name that starts with another id almost always
 * means a copied revision whose header was not updated, which would apply the wrong thing.
 */
export function checkFileName(file: string, id: string, line?: number): void {
  // Plain string steps: this runs once per file, thousands of times per load.
  const name = file.slice(Math.max(file.lastIndexOf('/'), file.lastIndexOf(path.sep)) + 1);
  if (name.startsWith(id) && (name.charCodeAt(id.length) === 95 || name.lastIndexOf('.') === id.length)) return;
  const stem = name.replace(/\.[^.]+$/, '');
  const named = stem.split('_')[0];
  throw new FerryError(
    'CONFIG_INVALID',
    `${displayPath(file)}${line ? `:${line}` : ''}: the file says revision ${id} but its name starts with "${named}" (a copied file?).`,
    {
      subject: file,
      hint: `Name the file ${id}_<slug>${path.extname(file)}, or give the copy a new id (ferry revision -m MSG makes one).`,
      data: { file, revision: id, ...(line ? { line } : {}) },
    },
  );
}

/** What a new revision file holds. */
export interface NewRevisionOptions {
  /** The new revision's id (newRevisionId()). */
  id: string;
  /** Its parents: the current head, several heads for a merge, none for a base. */
  parents: string[];
  /** One line describing the change (newlines become spaces). */
  message: string;
  /** The up section's SQL, or for scripts the body of `up(ctx)`. */
  up: string;
  /** The down section's SQL (null: no down section), or for scripts the body of `down(ctx)`. */
  down: string | null;
  /** False writes `-- ferry:no-transaction` (scripts: `export const transactional = false`). */
  transactional?: boolean;
}

/** The message as one line (newlines and tabs become spaces). */
export function oneLine(message: string): string {
  return message.replace(/\s+/g, ' ').trim();
}

/** A path relative to the working folder when it is inside it, for shorter messages. */
export function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}
