import type { CopyConfig } from '../config/types.js';
import type { Engine } from '../engine/types.js';
import { connect, parseUrl, resolveDatabaseArgument, roleOf } from '../engines/registry.js';
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
 * between any two databases ferry reads (any registered engine on either side). Reads only: file
 * databases are opened read-only.
 */
export async function runVerify(options: VerifyOptions): Promise<VerifyReport> {
  const cwd = options.cwd ?? process.cwd();
  // Read-only, and a file must already exist: verify never creates or changes a database.
  const open = (input: string): Promise<Engine> =>
    connect(resolveDatabaseArgument(input, cwd), { readonly: true, mustExist: true, busyTimeoutMs: options.lockTimeoutMs });
  // Both URLs are parsed, and both engines asked for their digester, before connecting: a
  // malformed second URL or an engine that cannot be verified fails before any connection.
  for (const input of [options.from, options.to]) roleOf(parseUrl(resolveDatabaseArgument(input, cwd)), 'digester');
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
