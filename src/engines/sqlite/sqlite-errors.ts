import { FerryError } from '../../errors.js';

/**
 * Turns a better-sqlite3 error into a FerryError that names the file and says what to do.
 * SQLite's own codes tell the cases apart: NOTADB (not a database), CORRUPT, BUSY/LOCKED.
 */
export function sqliteError(err: unknown, file: string, doing: string): FerryError {
  if (err instanceof FerryError) return err;
  const e = err as { code?: string; message?: string };
  const code = e.code ?? '';
  const msg = e.message ?? String(err);
  if (code === 'SQLITE_NOTADB' || /file is not a database/i.test(msg)) {
    return new FerryError('NOT_SQLITE', `${file} is not a SQLite database.`, {
      subject: file,
      hint: 'Check the path, or remove the file from the source folder / mapping if it is not a database.',
      cause: err,
    });
  }
  if (code.startsWith('SQLITE_CORRUPT') || /malformed/i.test(msg)) {
    return new FerryError('CORRUPT', `${file} is corrupt (${msg}).`, {
      subject: file,
      hint: 'Restore it from a backup (ferry backups / ferry restore), or try `sqlite3 FILE .recover` on a copy.',
      cause: err,
    });
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED') || /database is locked/i.test(msg)) {
    return new FerryError('LOCKED', `${file} is locked by another process (while ${doing}).`, {
      subject: file,
      hint: 'Stop the application or job writing to it, or wait and retry (--lock-timeout sets how long ferry waits).',
      cause: err,
    });
  }
  if (code === 'SQLITE_CANTOPEN') {
    return new FerryError('SOURCE_MISSING', `Cannot open ${file} (${msg}).`, {
      subject: file,
      hint: 'Check that the file exists and that its folder is readable and writable.',
      cause: err,
    });
  }
  if (code === 'SQLITE_FULL' || /disk is full|database or disk is full/i.test(msg)) {
    return new FerryError('DISK_FULL', `The disk filled up while ${doing} ${file}.`, {
      subject: file,
      hint: 'Free disk space and run the command again; it resumes.',
      cause: err,
    });
  }
  if (code === 'SQLITE_READONLY' || code === 'SQLITE_IOERR' || /readonly|read-only/i.test(msg)) {
    return new FerryError('UNWRITABLE', `Cannot write ${file} (${msg}).`, { subject: file, hint: 'Check the folder permissions and free space.', cause: err });
  }
  return new FerryError('QUERY', `SQLite error while ${doing} ${file}: ${msg}`, { subject: file, cause: err });
}
