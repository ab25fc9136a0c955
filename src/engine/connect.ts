import { parseUrl } from './url.js';
import type { Engine } from './types.js';
import type { SqliteOpenOptions } from '../engines/sqlite/sqlite-engine.js';

export interface ConnectOptions {
  /** SQLite only: open the file read-only (sources are never written). */
  readonly?: boolean;
  /** SQLite only: the file must already exist. Default true for read-only opens. */
  mustExist?: boolean;
  /** How long to wait on a locked database, in milliseconds (PostgreSQL: lock_timeout). */
  busyTimeoutMs?: number;
}

/** Connects to any supported database by URL; the scheme picks the engine. */
export async function connect(url: string, options: ConnectOptions = {}): Promise<Engine> {
  const target = parseUrl(url);
  switch (target.dialect) {
    case 'sqlite': {
      const opts: SqliteOpenOptions = { readonly: options.readonly, mustExist: options.mustExist, busyTimeoutMs: options.busyTimeoutMs };
      // Each driver loads only when a URL needs it: a command on SQLite never pays for pg, and
      // the other way round (short commands such as `ferry current` are mostly start-up time).
      const { openSqlite } = await import('../engines/sqlite/sqlite-engine.js');
      return openSqlite(target.memory ? ':memory:' : target.file, opts);
    }
    case 'postgres': {
      const { connectPostgres } = await import('../engines/postgres/postgres-engine.js');
      const engine = await connectPostgres(target);
      // PostgreSQL's form of "how long to wait for a locked object": a statement waiting longer fails.
      if (options.busyTimeoutMs !== undefined) await engine.exec(`SET lock_timeout = ${Math.floor(options.busyTimeoutMs)}`);
      return engine;
    }
  }
}
