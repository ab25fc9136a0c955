import type { HealthRoles } from '../../engine/health-roles.js';

/**
 * PostgreSQL's facts for a health check, in one round trip: every figure comes from the server's own views.
 * Connections are the server's (they share one limit); the longest transaction and the blocked
 * sessions are this database's own, since only its transactions hold back vacuum on its tables and
 * a lock wait in another database on the same server is not this database's problem.
 */
export const postgresHealthRoles: HealthRoles = {
  healthFacts: {
    async facts(engine) {
      const [row] = await engine.query<{
        version: string;
        size: string;
        connections: number;
        max_connections: number;
        longest: number | null;
        blocked: number;
      }>(
        `SELECT current_setting('server_version') AS version, pg_database_size(current_database())::text AS size,
                (SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend') AS connections,
                current_setting('max_connections')::int AS max_connections,
                (SELECT extract(epoch FROM max(clock_timestamp() - xact_start))::float8 FROM pg_stat_activity
                  WHERE xact_start IS NOT NULL AND pid <> pg_backend_pid() AND backend_type = 'client backend'
                    AND datname = current_database()) AS longest,
                (SELECT count(*)::int FROM pg_stat_activity
                  WHERE datname = current_database() AND cardinality(pg_blocking_pids(pid)) > 0) AS blocked`,
      );
      return {
        version: row!.version.split(' ')[0]!,
        sizeBytes: Number(row!.size),
        server: {
          connections: row!.connections,
          maxConnections: row!.max_connections,
          longestTransactionSeconds: row!.longest === null ? null : Math.round(row!.longest),
          blockedSessions: row!.blocked,
        },
      };
    },
  },
};
