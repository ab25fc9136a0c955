/**
 * PostgreSQL's activity role for `ferry watch`: pg_stat_activity with pg_blocking_pids and pg_locks,
 * pg_stat_progress_create_index, ferry's steps table and pg_stat_user_tables, one look at a time.
 * It reads only views and catalogs: a watch must never take a lock a migration could queue behind.
 */
import type { ActivityReader, ActivitySession, IndexBuild, PendingStep, SessionRef, TableHealth, Termination } from '../../engine/activity-roles.js';
import type { Engine } from '../../engine/types.js';
import { ADVISORY_KEY } from './postgres-run-lock.js';

/** How the watch names itself: a ferry session (never terminated) that is not a ferry run. */
const WATCH_NAME = 'ferry watch';
/** The longest query text kept: one line in a terminal. */
const QUERY_CHARS = 100;
/** ISO 8601 in UTC, to the microsecond, so a session's start names it exactly. */
const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
const ageMs = (column: string) => `greatest(0, extract(epoch FROM clock_timestamp() - ${column}) * 1000)::float8`;
const HERE = '(SELECT oid FROM pg_database WHERE datname = current_database())';

/** Holders of ferry's run lock: a bigint advisory key is split into classid (high half) and objid (low half). */
const RUN_LOCK_HOLDERS = `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 AND database = ${HERE}
  AND classid = ${Number(ADVISORY_KEY >> 32n)} AND objid = ${Number(ADVISORY_KEY & 0xffffffffn)}`;

/** A session of ferry's, which a watch never terminates: by name, or by the run lock it holds. */
const IS_FERRY = `(a.application_name LIKE 'ferry%' OR a.pid IN (${RUN_LOCK_HOLDERS}))`;

/**
 * The sessions worth showing. pg_blocking_pids costs a look at the lock manager, so it is asked
 * only of sessions that wait for a lock; a blocker in another database (a virtualxid a concurrent
 * index build waits for) is still listed, since the chain needs its head.
 */
const SESSIONS = `WITH s AS (
  SELECT a.*, a.datname = current_database() AS here,
    CASE WHEN a.wait_event_type = 'Lock' AND a.datname = current_database() THEN pg_blocking_pids(a.pid) ELSE '{}'::int[] END AS blocked_by,
    (${IS_FERRY} AND a.application_name <> '${WATCH_NAME}') AS ferry
  FROM pg_stat_activity a WHERE a.pid <> pg_backend_pid()
), blockers AS (SELECT DISTINCT unnest(blocked_by) AS pid FROM s),
waits AS (
  SELECT DISTINCT ON (l.pid) l.pid, l.mode || ' on ' || CASE
      WHEN l.relation IS NOT NULL THEN l.locktype || ' ' || l.relation::regclass::text
      WHEN l.locktype = 'transactionid' THEN 'transaction ' || l.transactionid
      WHEN l.locktype = 'virtualxid' THEN 'virtual transaction ' || l.virtualxid
      ELSE l.locktype END AS what
  FROM pg_locks l WHERE NOT l.granted ORDER BY l.pid
)
SELECT s.pid, ${iso('s.backend_start')} AS backend_start, s.usename AS "user", s.application_name, s.state,
  s.wait_event_type || ': ' || s.wait_event AS wait_event, ${ageMs('s.xact_start')} AS transaction_ms, ${ageMs('s.query_start')} AS query_ms,
  regexp_replace(left(s.query, ${QUERY_CHARS * 4}), '\\s+', ' ', 'g') AS query, w.what AS waiting_for,
  array_to_string(s.blocked_by, ',') AS blocked_by, s.ferry
FROM s LEFT JOIN waits w ON w.pid = s.pid
WHERE (s.here AND (cardinality(s.blocked_by) > 0 OR s.ferry OR s.state LIKE 'idle in transaction%'
    OR (s.backend_type = 'client backend' AND (s.xact_start <= clock_timestamp() - $1 * interval '1 millisecond'
      OR (s.state = 'active' AND s.query_start <= clock_timestamp() - $1 * interval '1 millisecond')))))
  OR s.pid IN (SELECT pid FROM blockers)
ORDER BY s.pid`;

const INDEX_BUILDS = `SELECT p.pid, p.relid::regclass::text AS "table", p.relid::text AS relid,
  CASE WHEN p.index_relid <> 0 THEN p.index_relid::regclass::text END AS index, p.command, p.phase,
  p.blocks_done, p.blocks_total, p.tuples_done, p.tuples_total, NULLIF(p.current_locker_pid, 0) AS locker
FROM pg_stat_progress_create_index p WHERE p.datid = ${HERE} AND p.pid <> pg_backend_pid() ORDER BY p.pid`;

/** Dead tuples of the tables named by reason: backfilled ($1, quoted names), indexed ($2, oids), locked by ($3, pids). */
const TABLES = `WITH wanted AS (
  SELECT to_regclass(t)::oid AS relid, 'backfill' AS why FROM unnest($1::text[]) t
  UNION ALL SELECT unnest($2::oid[]), 'index build'
  UNION ALL SELECT l.relation, 'locked' FROM pg_locks l WHERE l.pid = ANY($3::int[]) AND l.relation IS NOT NULL AND l.database = ${HERE}
)
SELECT t.relid::regclass::text AS "table", t.n_live_tup AS live, t.n_dead_tup AS dead, ${iso('t.last_autovacuum')} AS last_autovacuum,
  string_agg(DISTINCT w.why, ',' ORDER BY w.why) AS reasons
FROM wanted w JOIN pg_stat_user_tables t ON t.relid = w.relid
GROUP BY t.relid, t.n_live_tup, t.n_dead_tup, t.last_autovacuum ORDER BY 1`;

type Raw = Record<string, unknown>;
const num = (v: unknown): number => Number(v ?? 0);
/** A comma-joined list (ferry's connections read arrays as text). */
const list = (v: unknown): string[] => (v ? String(v).split(',') : []);
const orNull = <T>(v: unknown, f: (x: unknown) => T): T | null => (v === null || v === undefined ? null : f(v));

export const postgresActivity: ActivityReader = {
  async snapshot(engine, { longMs, stepsTable }) {
    // ferry's connections say `ferry` (see postgres-connect.ts); the watch says what it is, so
    // another watch does not list it as a ferry run.
    await engine.query(`SELECT set_config('application_name', '${WATCH_NAME}', false) WHERE current_setting('application_name') = 'ferry'`);
    const [clock] = await engine.query<{ at: string; self: number }>(`SELECT ${iso('clock_timestamp()')} AS at, pg_backend_pid() AS self`);
    const sessions = (await engine.query<Raw>(SESSIONS, [longMs])).map(session);
    const builds = await engine.query<Raw>(INDEX_BUILDS);
    const steps = await pendingSteps(engine, stepsTable);
    const inChains = new Set(sessions.flatMap((s) => (s.blockedBy.length ? [s.pid, ...s.blockedBy] : [])));
    const backfilled = [...new Set(steps.flatMap((s) => (s.kind === 'backfill' && s.table ? [engine.quoteTable(s.table)] : [])))];
    const tables = (await engine.query<Raw>(TABLES, [backfilled, builds.map((b) => b.relid), [...inChains]])).map(tableHealth);
    return { at: clock!.at, self: Number(clock!.self), sessions, indexBuilds: builds.map(indexBuild), steps, tables };
  },

  async terminate(engine, sessions) {
    const results: Termination[] = [];
    for (const s of sessions) results.push(await terminateOne(engine, s));
    return results;
  },
};

/** Ends one session, checked in the same statement: still the same connection, and not ferry's. */
async function terminateOne(engine: Engine, s: SessionRef): Promise<Termination> {
  const same = `a.pid = $1 AND ${iso('a.backend_start')} = $2 AND a.pid <> pg_backend_pid()`;
  try {
    const [row] = await engine.query<{ ok: boolean }>(`SELECT pg_terminate_backend(a.pid) AS ok FROM pg_stat_activity a WHERE ${same} AND NOT ${IS_FERRY}`, [
      s.pid,
      s.backendStart,
    ]);
    if (row) return row.ok ? { pid: s.pid, terminated: true } : { pid: s.pid, terminated: false, reason: 'the server did not signal it' };
    const [left] = await engine.query(`SELECT 1 FROM pg_stat_activity a WHERE ${same}`, [s.pid, s.backendStart]);
    return { pid: s.pid, terminated: false, reason: left ? 'it is a ferry session' : 'it has already ended' };
  } catch (e) {
    // Most often a missing privilege (pg_signal_backend, or a superuser's session): said, not thrown,
    // so the other blockers are still tried.
    return { pid: s.pid, terminated: false, reason: (e as Error).message };
  }
}

function session(r: Raw): ActivitySession {
  const text = String(r.query ?? '').trim();
  return {
    pid: num(r.pid),
    backendStart: String(r.backend_start),
    user: orNull(r.user, String),
    application: String(r.application_name ?? ''),
    state: orNull(r.state, String),
    waitEvent: orNull(r.wait_event, String),
    transactionMs: orNull(r.transaction_ms, (v) => Math.round(num(v))),
    queryMs: orNull(r.query_ms, (v) => Math.round(num(v))),
    query: text.length > QUERY_CHARS ? `${text.slice(0, QUERY_CHARS - 1)}…` : text,
    waitingFor: orNull(r.waiting_for, String),
    blockedBy: list(r.blocked_by).map(Number),
    ferry: r.ferry === true,
  };
}

function indexBuild(r: Raw): IndexBuild {
  const [blocksDone, blocksTotal, tuplesDone, tuplesTotal] = [r.blocks_done, r.blocks_total, r.tuples_done, r.tuples_total].map(num) as [
    number,
    number,
    number,
    number,
  ];
  const share = (done: number, total: number) => Math.round((1000 * done) / total) / 10;
  return {
    pid: num(r.pid),
    table: String(r.table),
    index: orNull(r.index, String),
    command: String(r.command),
    phase: String(r.phase),
    blocksDone,
    blocksTotal,
    tuplesDone,
    tuplesTotal,
    percent: blocksTotal > 0 ? share(blocksDone, blocksTotal) : tuplesTotal > 0 ? share(tuplesDone, tuplesTotal) : null,
    waitingForPid: orNull(r.locker, num),
  };
}

/** ferry's steps not done yet, when its steps table is there (it is created by the first revision that needs it). */
async function pendingSteps(engine: Engine, stepsTable: string): Promise<PendingStep[]> {
  const table = engine.quoteIdent(stepsTable);
  const [found] = await engine.query<{ found: string | null }>(`SELECT to_regclass($1)::text AS found`, [table]);
  if (!found?.found) return [];
  const rows = await engine.query<Raw>(
    `SELECT revision, direction, position, step, rows_done, rows_total FROM ${table} WHERE done = 0 ORDER BY revision, direction, position`,
  );
  return rows.map((r) => {
    let step: { kind?: unknown; label?: unknown; table?: unknown } = {};
    try {
      step = JSON.parse(String(r.step)) as typeof step;
    } catch {
      // A row written by another version of ferry: still listed, by its position.
    }
    return {
      revision: String(r.revision),
      direction: String(r.direction),
      position: num(r.position),
      kind: typeof step.kind === 'string' ? step.kind : 'unknown',
      label: typeof step.label === 'string' ? step.label : `step ${num(r.position)}`,
      table: typeof step.table === 'string' ? step.table : null,
      rowsDone: num(r.rows_done),
      rowsTotal: orNull(r.rows_total, num),
    };
  });
}

function tableHealth(r: Raw): TableHealth {
  return {
    table: String(r.table),
    live: num(r.live),
    dead: num(r.dead),
    lastAutovacuum: orNull(r.last_autovacuum, String),
    reasons: list(r.reasons) as TableHealth['reasons'],
  };
}
