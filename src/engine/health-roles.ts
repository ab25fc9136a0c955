/**
 * The role `ferry status`, `ferry serve` and the library's health checks ask of an engine: the
 * server's own facts about a database (version, size, and for a server its connections, longest
 * transaction and blocked sessions), read in one short query so a health check stays cheap.
 */
import type { Engine } from './types.js';

/** What the engine can tell of a database and its server. */
export interface ServerFacts {
  /** The engine's version (`16.4`, `3.46.1`). */
  version: string;
  /** The database's size on disk. */
  sizeBytes: number | null;
  /** A server's sessions: connections in use against its limit, the longest open transaction, sessions waiting on a lock. */
  server?: {
    connections: number;
    maxConnections: number;
    longestTransactionSeconds: number | null;
    blockedSessions: number;
  };
}

export interface HealthRoles {
  healthFacts: { facts(engine: Engine): Promise<ServerFacts> };
}
