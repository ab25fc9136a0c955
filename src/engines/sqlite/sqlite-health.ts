import type { HealthRoles } from '../../engine/health-roles.js';

/** SQLite's facts for a health check: the library's version and the file's pages (a file has no sessions to count). */
export const sqliteHealthRoles: HealthRoles = {
  healthFacts: {
    async facts(engine) {
      const [row] = await engine.query<{ version: string; size: number | bigint }>(
        `SELECT sqlite_version() AS version, (SELECT page_count FROM pragma_page_count()) * (SELECT page_size FROM pragma_page_size()) AS size`,
      );
      return { version: row!.version, sizeBytes: Number(row!.size) };
    },
  },
};
