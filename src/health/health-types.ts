/**
 * What ferry's health checks report, as plain data: `ferry status --json`, every endpoint of
 * `ferry serve`, `checkHealth()` and the start-up validation read these same shapes.
 */
import type { RequiredTable } from '../config/types.js';

/** One database to check, resolved from the config's `databases` section or DATABASE_URL. */
export interface DatabaseSpec {
  name: string;
  /** Its URL or SQLite path (may hold a password: never printed; reports carry `displayUrl`). */
  url: string | undefined;
  /** Where the URL came from, for a message when it is missing (`DATABASE_URL`, `databases.main.url`). */
  urlFrom: string;
  /** Its revisions folder, absolute, when it has one. */
  revisions?: string;
  requiredTables: RequiredTable[];
  /** Whether readiness waits for it. */
  required: boolean;
  /** Its backup folder, absolute, when known. */
  backups?: string;
  /** How long one check may take. */
  timeoutMs: number;
}

/** A database's revision state. */
export interface RevisionState {
  /** The applied heads. */
  current: string[];
  /** The graph's heads (what the app's code expects). */
  heads: string[];
  /** Revisions not applied yet. */
  pending: number;
  /** Applied revisions whose files changed since. */
  edited: string[];
  /** Revisions whose after-commit steps a killed run left unfinished. */
  unfinished: string[];
  /** Differences between the live schema and the revisions' (when checked; `ferry status` checks it). */
  drift: string[] | null;
  /** After-commit steps not done: a backfill running now, or one a killed run left. */
  steps: { revision: string; label: string; rowsDone: number; rowsTotal: number | null }[];
}

/** What one check of one database found. */
export interface DatabaseHealth {
  name: string;
  /** The URL with any password masked. */
  url: string;
  engine: string | null;
  required: boolean;
  reachable: boolean;
  latencyMs: number | null;
  serverVersion: string | null;
  sizeBytes: number | null;
  revisions: RevisionState | null;
  /** Required tables (`orders`) and columns (`orders.total`) missing. */
  missing: string[];
  backup: { latest: string; at: string; ageSeconds: number } | null;
  sync: { source: string; phase: string; updatedAt: string }[];
  server: { connections: number; maxConnections: number; longestTransactionSeconds: number | null; blockedSessions: number } | null;
  /** Each makes the database unhealthy (unreachable, behind the app's revisions, a table missing, drift). */
  errors: string[];
  /** Worth a look, not failing (an edited revision file, connections near the limit). */
  warnings: string[];
  checkedAt: string;
  ms: number;
}

/** Every database's health, as `checkHealth()` and `/api/v1/health/database` give it. */
export interface HealthReport {
  /** No database has an error. */
  success: boolean;
  /** Every database's errors and warnings, each prefixed with the database's name. */
  errors: string[];
  warnings: string[];
  databases: DatabaseHealth[];
  /** The schema part: revisions, required tables, drift. */
  validation: { valid: boolean; errors: string[]; warnings: string[] };
  /** Every required database is reachable and valid (what `/readyz` answers). */
  ready: boolean;
  checkedAt: string;
}
