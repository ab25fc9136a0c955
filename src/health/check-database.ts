/**
 * One health check of one database: reachable and how fast, the server's facts, revision state,
 * required tables, the newest backup, syncs it receives. Each part is asked of the engine's roles,
 * so nothing here knows which engine it talks to. The whole check is bounded by the database's
 * timeout: a database that hangs is reported as such, and never holds up the others.
 */
import fs from 'node:fs';
import path from 'node:path';
import { listBackups } from '../backup/backup-catalog.js';
import type { RequiredTable } from '../config/types.js';
import type { Engine } from '../engine/types.js';
import { connect, driverOf, engineLabel, parseUrl } from '../engines/registry.js';
import { maskPassword } from '../engine/secrets.js';
import { isFerryError } from '../errors.js';
import { checkRevisions } from '../revisions/check-revisions.js';
import { loadGraph } from '../revisions/revision-target.js';
import { VersionStore } from '../revisions/version-store.js';
import { StepStore } from '../revisions/step-store.js';
import { appliedSet } from '../revisions/applied-set.js';
import type { Schema } from '../schema/model.js';
import type { DatabaseHealth, DatabaseSpec, RevisionState } from './health-types.js';

/** Warn when this share of the server's connections is in use. */
const CONNECTIONS_WARNING = 0.8;

export interface CheckOptions {
  /** Also compare the live schema with the revisions' on a scratch database (slower; `ferry status` does). */
  drift?: boolean;
}

/** Checks one database within its timeout. */
export async function checkDatabase(spec: DatabaseSpec, options: CheckOptions = {}): Promise<DatabaseHealth> {
  const started = Date.now();
  const health: DatabaseHealth = {
    name: spec.name,
    url: spec.url ? maskPassword(spec.url) : '(none)',
    engine: null,
    required: spec.required,
    reachable: false,
    latencyMs: null,
    serverVersion: null,
    sizeBytes: null,
    revisions: null,
    missing: [],
    backup: null,
    sync: [],
    server: null,
    errors: [],
    warnings: [],
    checkedAt: new Date(started).toISOString(),
    ms: 0,
  };
  const done = () => ({ ...health, errors: [...health.errors], warnings: [...health.warnings], ms: Date.now() - started });
  if (!spec.url) {
    health.errors.push(`No URL: set ${spec.urlFrom}.`);
    return done();
  }
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), spec.timeoutMs)));
  const work = runChecks(spec, spec.url, health, options).catch((e: unknown) => {
    health.errors.push(messageOf(e));
  });
  const outcome = await Promise.race([work.then(() => 'done' as const), timedOut]);
  clearTimeout(timer);
  // The parts that answered stay in the report; the one that hung is named.
  if (outcome === 'timeout') health.errors.push(`The check did not finish within ${spec.timeoutMs} ms (the database or a query on it hangs).`);
  return done();
}

/** The checks in order; each fills its part of `health` as soon as it has it. */
async function runChecks(spec: DatabaseSpec, url: string, health: DatabaseHealth, options: CheckOptions): Promise<void> {
  health.engine = engineLabel(parseUrl(url));
  const t0 = performance.now();
  const engine = await connect(url, { mustExist: true, readonly: true });
  try {
    await engine.query('SELECT 1 AS ok');
    health.latencyMs = Math.round((performance.now() - t0) * 10) / 10;
    health.reachable = true;
    await serverFacts(engine, health);
    if (spec.revisions) health.revisions = await revisionState(engine, url, spec.revisions, health, options);
    if (spec.requiredTables.length) health.missing = missingTables(await engine.introspect(), spec.requiredTables);
    for (const m of health.missing) health.errors.push(`Required ${m.includes('.') ? 'column' : 'table'} ${m} is missing.`);
    health.backup = latestBackup(spec, url);
    const sink = driverOf(engine).roles.changeSink;
    if (sink) health.sync = (await sink.readStates(engine)).map((s) => ({ source: s.source, phase: s.phase, updatedAt: s.updatedAt }));
  } finally {
    await engine.close();
  }
}

async function serverFacts(engine: Engine, health: DatabaseHealth): Promise<void> {
  const role = driverOf(engine).roles.healthFacts;
  if (!role) return;
  const facts = await role.facts(engine);
  health.serverVersion = facts.version;
  health.sizeBytes = facts.sizeBytes;
  const s = facts.server;
  if (!s) return;
  health.server = s;
  if (s.connections >= s.maxConnections * CONNECTIONS_WARNING) health.warnings.push(`${s.connections} of ${s.maxConnections} connections in use.`);
  if (s.blockedSessions > 0) health.warnings.push(`${s.blockedSessions} session(s) wait for a lock (ferry watch shows who blocks them).`);
}

/** Current and pending revisions, edited files and unfinished steps (and drift, when asked). */
async function revisionState(engine: Engine, url: string, dir: string, health: DatabaseHealth, options: CheckOptions): Promise<RevisionState> {
  const { graph } = await loadGraph({ dir });
  const current = await new VersionStore(engine).heads();
  const applied = appliedSet(graph, current, engine.displayUrl);
  const pending = graph.upgradePlan(applied, 'heads');
  const check = await checkRevisions(engine, url, graph, { drift: options.drift === true, lint: false });
  const of = (kind: string) => check.problems.filter((p) => p.kind === kind);
  const state: RevisionState = {
    current,
    heads: graph.heads().map((r) => r.id),
    pending: pending.length,
    edited: of('changed').map((p) => p.revision ?? p.message),
    unfinished: of('unfinished').map((p) => p.revision ?? p.message),
    drift: options.drift ? of('schema').map((p) => p.message) : null,
    steps: [],
  };
  if (pending.length) health.errors.push(`${pending.length} revision(s) not applied: the database is behind the app (ferry upgrade).`);
  for (const p of of('changed')) health.warnings.push(p.message);
  for (const p of of('never-applied')) health.errors.push(p.message);
  // A backfill running now looks the same as one a killed run left: a warning, with its progress.
  for (const p of of('unfinished')) health.warnings.push(p.message);
  state.steps = (await new StepStore(engine).all())
    .filter((s) => !s.done)
    .map((s) => ({ revision: s.revision, label: s.step.label, rowsDone: s.rowsDone, rowsTotal: s.rowsTotal }));
  for (const p of state.drift ?? []) health.errors.push(`Schema drift: ${p}`);
  return state;
}

/** `orders` or `orders.total` for each required table or column the schema lacks. */
export function missingTables(schema: Schema, required: RequiredTable[]): string[] {
  const out: string[] = [];
  for (const r of required) {
    const { table, columns } = typeof r === 'string' ? { table: r, columns: [] } : { table: r.table, columns: r.columns ?? [] };
    const found = schema.tables.find((t) => t.name === table);
    if (!found) out.push(table);
    else for (const c of columns) if (!found.columns.some((x) => x.name === c)) out.push(`${table}.${c}`);
  }
  return out;
}

/** The newest backup set holding this database: its configured folder, else `backup/` beside its file. */
function latestBackup(spec: DatabaseSpec, url: string): DatabaseHealth['backup'] {
  const file = parseUrl(url).file;
  const dir = spec.backups ?? (file ? path.join(path.dirname(file), 'backup') : undefined);
  if (!dir || !fs.existsSync(dir)) return null;
  const name = file ? path.basename(file) : undefined;
  const set = listBackups(dir).find((s) => !s.damaged && (!name || s.manifest.files.some((f) => path.basename(f.name) === name)));
  if (!set) return null;
  return { latest: set.id, at: set.createdAt, ageSeconds: Math.max(0, Math.round((Date.now() - Date.parse(set.createdAt)) / 1000)) };
}

/** A failure's message, password masked (ferry's errors already are). */
function messageOf(e: unknown): string {
  if (isFerryError(e)) return e.message;
  return maskPassword(e instanceof Error ? e.message : String(e));
}
