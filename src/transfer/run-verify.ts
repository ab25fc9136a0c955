import type { CopyConfig } from '../config/types.js';
import { connect, resolveDatabaseArgument } from '../engines/registry.js';
import type { Engine } from '../engine/types.js';
import { parseUrl } from '../engines/registry.js';
import { openSqlite } from '../engines/sqlite/sqlite-engine.js';
import { verifyDatabases, type VerifyReport } from './verify-copy.js';

/** Options of `ferry verify`; the CLI and the library call the same function. */
export interface VerifyOptions {
  /** The side that holds the original rows: URL or SQLite path. */
  from: string;
  /** The side they were copied to: URL or SQLite path. */
  to: string;
  /** Only these tables (source names). */
  include?: string[];
  /** Show up to this many differing rows per differing table. */
  detailed?: number;
  /** The config's copy section (table and column renames). */
  config?: CopyConfig;
  /** Folder relative paths resolve against. */
  cwd?: string;
  /** How long to wait for a locked database. */
  lockTimeoutMs?: number;
}

/**
 * `ferry verify`: row counts and order-independent checksums of normalised values, table by table,
 * between any two databases ferry reads (SQLite or PostgreSQL on either side). Reads only: SQLite
 * files are opened read-only.
 */
export async function runVerify(options: VerifyOptions): Promise<VerifyReport> {
  const cwd = options.cwd ?? process.cwd();
  const open = async (input: string): Promise<Engine> => {
    const url = resolveDatabaseArgument(input, cwd);
    const t = parseUrl(url);
    return t.dialect === 'sqlite'
      ? openSqlite(t.file!, { readonly: true, mustExist: true, busyTimeoutMs: options.lockTimeoutMs })
      : connect(t.url, { busyTimeoutMs: options.lockTimeoutMs });
  };
  // Both URLs are parsed before connecting, so a malformed second one fails before any connection.
  parseUrl(resolveDatabaseArgument(options.to, cwd));
  const from = await open(options.from);
  let to: Engine | null = null;
  try {
    to = await open(options.to);
    return await verifyDatabases({ from, to, include: options.include, config: options.config, detailed: options.detailed });
  } finally {
    await from.close();
    await to?.close();
  }
}
