/**
 * ferry's one error type. Every failure a user can cause (bad file, bad config, bad URL) is a
 * FerryError with a stable code, the thing it concerns and a hint, so the CLI can print one clear
 * message instead of a stack trace, and library callers can branch on `code`.
 */
export type ErrorCode =
  | 'USAGE'
  | 'CONFIG_NOT_FOUND'
  | 'CONFIG_SYNTAX'
  | 'CONFIG_INVALID'
  | 'SOURCE_DIR_MISSING'
  | 'SOURCE_MISSING'
  | 'NOT_SQLITE'
  | 'NOT_WAL'
  | 'SYNC_NOT_READY'
  | 'CORRUPT'
  | 'LOCKED'
  | 'TABLE_MISSING'
  | 'COLUMN_MISSING'
  | 'INCOMPATIBLE_COLUMNS'
  | 'CONFLICT'
  | 'TARGET_EXISTS'
  | 'DISK_FULL'
  | 'UNWRITABLE'
  | 'BACKUP_INVALID'
  | 'BACKUP_MISSING'
  | 'BAD_URL'
  | 'CONNECT'
  | 'AUTH'
  | 'DATABASE_MISSING'
  | 'QUERY'
  | 'STALE_STATE'
  | 'VERIFY_FAILED'
  | 'LINT_FAILED'
  | 'TARGET_NOT_EMPTY'
  | 'PARTIAL_COPY'
  | 'TYPE_OVERRIDE'
  | 'PRIVILEGE'
  | 'SCHEMA_FAILED'
  | 'TOO_MANY_REJECTS'
  | 'VIRTUAL_TABLE'
  | 'SOURCES_CHANGED'
  | 'TARGET_IS_SOURCE'
  | 'KEYLESS_MERGE'
  | 'TOO_MANY_COLUMNS'
  | 'NAME_NOT_ALLOWED'
  | 'NOT_SUPPORTED'
  | 'SCHEMA_INVALID'
  | 'INTERRUPTED'
  | 'INTERNAL';

/** Exit codes shared by every command; documented in the README. */
export const EXIT = {
  ok: 0,
  error: 1,
  usage: 2,
  rejects: 3,
  differences: 4,
} as const;

export interface FerryErrorDetails {
  /** The file, table, key, URL (masked) or config path the error is about. */
  subject?: string;
  /** What the user can do about it. */
  hint?: string;
  /** Extra structured data for `--json` output (never contains passwords). */
  data?: Record<string, unknown>;
  cause?: unknown;
}

export class FerryError extends Error {
  readonly code: ErrorCode;
  readonly subject?: string;
  readonly hint?: string;
  readonly data?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: FerryErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'FerryError';
    this.code = code;
    this.subject = details.subject;
    this.hint = details.hint;
    this.data = details.data;
  }

  /** Plain data for `--json` output. */
  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, subject: this.subject, hint: this.hint, ...(this.data ? { data: this.data } : {}) };
  }
}

export function isFerryError(e: unknown): e is FerryError {
  return e instanceof FerryError;
}
