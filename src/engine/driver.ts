/**
 * The engine contract as the rest of ferry sees it: a driver per engine, registered once (see
 * engines/registry.ts), made of a small core (open a connection, which is an `Engine`) and
 * optional roles. Callers look a role up with `requireRole`; an engine without it gives one clear
 * NOT_SUPPORTED error naming the engine and what was asked, never a crash, and no caller ever tests
 * an engine's name.
 *
 * Roles are grouped by the commands that use them, one interface per group in its own file, so
 * each group can grow without touching the others.
 */
import { FerryError } from '../errors.js';
import type { ActivityRoles } from './activity-roles.js';
import type { CopyRoles } from './copy-roles.js';
import type { FileRoles } from './file-roles.js';
import type { HealthRoles } from './health-roles.js';
import type { ServerBackupRoles } from './server-backup-role.js';
import type { RevisionRoles } from './revision-roles.js';
import type { LintRoles } from './lint-roles.js';
import type { TargetLimits } from './target-limits.js';
import type { TypeMapper } from './type-mapper.js';
import type { Capabilities, ConnectOptions, ConnectionTarget, Dialect, Engine } from './types.js';
import type { SyncRoles } from './sync-roles.js';
import type { VerifyRoles } from './verify-roles.js';

/** Roles every command may ask of an engine, whatever it is doing. */
export interface CoreRoles {
  /** How the engine's declared types read into ferry's neutral column types, and back. */
  typeMapper: TypeMapper;
  /** Which names and how many columns the engine's tables can hold. */
  limits: TargetLimits;
}

/** Every optional role an engine may supply. */
export interface EngineRoles
  extends CoreRoles, RevisionRoles, CopyRoles, VerifyRoles, FileRoles, SyncRoles, LintRoles, ActivityRoles, HealthRoles, ServerBackupRoles {}

/**
 * How an engine's databases are named: the light part of a driver, which commands that only name
 * a database (or only read revision files) load without the engine's roles.
 */
export interface EngineNames {
  /** The engine's name as plans and state record it (`sqlite`, `postgres`). */
  readonly dialect: Dialect;
  /** The name people read in messages (`SQLite`, `PostgreSQL`). */
  readonly label: string;
  /** Whether a URL or path names a database of this engine (its scheme, or a file extension). */
  claims(input: string): boolean;
  /** Parses a URL this engine claims; a bad one is a BAD_URL error that never shows a password. */
  parseUrl(input: string): ConnectionTarget;
}

/** One engine, as registered: how to recognise its URLs, how to open it, and its roles. */
export interface EngineDriver extends EngineNames {
  readonly capabilities: Capabilities;
  /** Opens a connection. */
  open(target: ConnectionTarget, options: ConnectOptions): Promise<Engine>;
  /** The optional roles it supplies. */
  readonly roles: Partial<EngineRoles>;
}

/** What each role is for, as a NOT_SUPPORTED message names it. */
const ROLE_PURPOSE: Partial<Record<keyof EngineRoles, string>> = {
  typeMapper: 'type mapping (ferry copy)',
  healthFacts: 'health checks (ferry status, ferry serve)',
  serverBackup: 'dumps of a server database (ferry backup, ferry backups --check, ferry restore --to)',
  limits: 'table limits (ferry copy)',
  runLock: 'schema revisions (ferry upgrade/downgrade/stamp)',
  versionTables: 'schema revisions (ferry upgrade/downgrade/stamp/current)',
  revisionRun: 'schema revisions (ferry upgrade/downgrade)',
  schemaOps: 'schema operations (ctx.ops, ferry revision --autogenerate)',
  scratch: 'scratch databases (ferry check, --sql, ferry revision --autogenerate)',
  statementSyntax: 'SQL revisions (splitting a revision into statements)',
  schemaNormaliser: 'ferry revision --autogenerate',
  backup: 'file backups (ferry backup/restore)',
  consolidation: 'consolidation (ferry consolidate)',
  tableFacts: 'being planned as the source of ferry copy',
  tableReader: 'being read by ferry copy',
  databaseSize: 'measuring its size (ferry copy)',
  tableSink: 'being written by ferry copy',
  copyDdl: 'creating tables for ferry copy',
  postLoad: 'building keys and links after ferry copy loads a table',
  copyPreflight: 'the pre-flight checks of ferry copy',
  originRecord: 'recording and restoring where copied tables came from (ferry copy)',
  expressionTranslation: 'translating defaults and expressions (ferry copy)',
  digester: 'content checksums (ferry verify, the verify step of ferry copy, ferry consolidate --verify)',
  rowReader: 'showing differing rows (ferry verify --detailed)',
  changeCapture: 'capturing changes while the app writes (ferry sync)',
  changeSink: 'receiving a sync (ferry sync)',
  migrationLinter: 'linting revisions for changes on a live database (ferry lint)',
  activity: 'watching sessions, locks and index builds while a migration runs (ferry watch)',
};

/**
 * The role `role` of an engine, or a NOT_SUPPORTED error naming the engine and what was asked:
 * a third engine registered with the core alone fails clearly in every command that needs more.
 */
export function requireRole<K extends keyof EngineRoles>(driver: EngineDriver, role: K, purpose?: string): NonNullable<EngineRoles[K]> {
  const found = driver.roles[role];
  if (found !== undefined && found !== null) return found as NonNullable<EngineRoles[K]>;
  const what = purpose ?? ROLE_PURPOSE[role] ?? role;
  throw new FerryError('NOT_SUPPORTED', `${driver.label} databases do not support ${what}: the ${driver.label} engine has no ${role} role.`, {
    subject: driver.dialect,
    hint: 'Use an engine that supports it (see "Engines and what they support" in the README).',
    data: { engine: driver.dialect, role },
  });
}

/**
 * A role whose implementation loads on first use: every method of `T` awaits `load()` and calls it,
 * except those given in `ready` (synchronous ones, from a light module). Driver modules load with
 * every command, so a role with heavy code (a database driver, worker threads) is declared this way.
 */
export function lazyRole<T extends object>(load: () => Promise<T>, ready: Partial<T> = {}): T {
  return new Proxy(ready as T, {
    get(target, name) {
      if (name in target) return target[name as keyof T];
      // Not a thenable (await would call it), and no symbol is a method.
      if (typeof name === 'symbol' || name === 'then') return undefined;
      return async (...args: unknown[]) => {
        const role = (await load()) as Record<PropertyKey, (...a: unknown[]) => unknown>;
        return role[name]!(...args);
      };
    },
  });
}
