/**
 * The health endpoints as one plain Node `(req, res)` handler, so the same code serves `ferry serve`
 * and an app's own http, Express or Fastify server. Checks run at most once per second however
 * often they are polled (one check answers every request that arrives while it runs).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { checkHealth, type HealthOptions } from './check-health.js';
import { dashboardPage } from './dashboard-page.js';
import { apiHealthBody, databaseHealthBody, ietfHealthBody } from './health-formats.js';
import type { HealthReport } from './health-types.js';

export interface HandlerOptions extends HealthOptions {
  /** When set, every endpoint but `/livez` and the page's shell needs `Authorization: Bearer <token>`. */
  token?: string;
  /** Reuse a report this young (default 1000 ms). */
  cacheMs?: number;
  /** A path prefix the endpoints live under in an app's server (default none). */
  prefix?: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void;

/** The handler; a request for another path goes to `next` (Express) or gets a 404. */
export function healthHandler(options: HandlerOptions = {}): Handler {
  const report = cachedReport(options);
  const prefix = (options.prefix ?? '').replace(/\/$/, '');
  return (req, res, next) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const route = prefix && path.startsWith(prefix) ? path.slice(prefix.length) || '/' : prefix ? null : path;
    const send = (status: number, body: unknown, type = 'application/json') => {
      res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store' });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    if (route === '/livez') return send(200, { status: 'alive' });
    // The page's shell holds no data: it asks the endpoints below, with the token the viewer gives it.
    if (route === '/') return send(200, dashboardPage(prefix), 'text/html');
    const answer = ANSWERS[route ?? ''];
    if (!answer) return next ? next() : send(404, { error: `No such endpoint: ${path}` });
    if (options.token && !authorised(req, options.token)) {
      res.setHeader('www-authenticate', 'Bearer');
      return send(401, { error: 'Send Authorization: Bearer <token> (ferry serve --token).' });
    }
    report().then(
      (r) => {
        const [status, body, type] = answer(r);
        send(status, body, type);
      },
      (e: unknown) => send(500, { error: e instanceof Error ? e.message : String(e) }),
    );
  };
}

const ANSWERS: Record<string, (r: HealthReport) => [number, unknown, string?]> = {
  '/readyz': (r) => [
    r.ready ? 200 : 503,
    { ready: r.ready, reasons: r.databases.filter((d) => d.required).flatMap((d) => d.errors.map((e) => `${d.name}: ${e}`)) },
  ],
  '/api/v1/health/database': (r) => [r.success ? 200 : 503, databaseHealthBody(r)],
  '/api/health': (r) => [r.ready ? 200 : 503, apiHealthBody(r)],
  '/health': (r) => [r.ready ? 200 : 503, ietfHealthBody(r), 'application/health+json'],
};

/** One check at a time: requests during it share it, and its report is reused for `cacheMs` after it ends. */
function cachedReport(options: HandlerOptions): () => Promise<HealthReport> {
  let last: { endedAt: number | null; report: Promise<HealthReport> } | undefined;
  const cacheMs = options.cacheMs ?? 1000;
  return () => {
    if (!last || (last.endedAt !== null && Date.now() - last.endedAt > cacheMs)) {
      const entry: { endedAt: number | null; report: Promise<HealthReport> } = { endedAt: null, report: checkHealth(options) };
      last = entry;
      entry.report.then(
        () => (entry.endedAt = Date.now()),
        // A failed check is not reused.
        () => (last = last === entry ? undefined : last),
      );
    }
    return last.report;
  };
}

/** The bearer token, compared in constant time. */
function authorised(req: IncomingMessage, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
  if (!m) return false;
  const given = Buffer.from(m[1]!.trim());
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}
