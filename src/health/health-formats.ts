/**
 * The health report in the shapes the runbooks and the IETF draft expect. Pure functions of a
 * HealthReport, so every endpoint says the same thing in its own words.
 */
import type { DatabaseHealth, HealthReport } from './health-types.js';

/** `/api/v1/health/database`: `{success, errors, warnings, databases, validation}` (the consolidation runbook's). */
export function databaseHealthBody(r: HealthReport) {
  return { success: r.success, errors: r.errors, warnings: r.warnings, databases: r.databases, validation: r.validation };
}

/**
 * `/api/health`: `{status, checks: {database: {healthy, latency_ms}}}` (the PostgreSQL runbook's).
 * `database` sums up every database readiness waits for; each also has its own `database:<name>`.
 */
export function apiHealthBody(r: HealthReport) {
  const latency = (list: DatabaseHealth[]) => Math.max(0, ...list.map((d) => d.latencyMs ?? 0));
  const checks: Record<string, { healthy: boolean; latency_ms: number | null; errors?: string[] }> = {
    database: { healthy: r.ready, latency_ms: latency(r.databases.filter((d) => d.required)) },
  };
  for (const d of r.databases) checks[`database:${d.name}`] = { healthy: d.reachable && d.errors.length === 0, latency_ms: d.latencyMs, errors: d.errors };
  return { status: r.ready ? 'healthy' : 'unhealthy', checks };
}

type IetfStatus = 'pass' | 'warn' | 'fail';

/** One measurement as the draft spells it. */
interface IetfCheck {
  componentId: string;
  componentType: 'datastore';
  observedValue?: number | string | boolean;
  observedUnit?: string;
  status: IetfStatus;
  time: string;
  output?: string;
}

/**
 * `/health` as `application/health+json` (draft-inadarei-api-health-check): `status` pass, warn or
 * fail, and `checks` keyed `component:measurement`.
 */
export function ietfHealthBody(r: HealthReport) {
  const checks: Record<string, IetfCheck[]> = {};
  for (const d of r.databases) {
    const status: IetfStatus = !d.reachable || d.errors.length ? 'fail' : d.warnings.length ? 'warn' : 'pass';
    const base = { componentId: d.name, componentType: 'datastore' as const, time: d.checkedAt };
    const add = (measurement: string, c: Omit<IetfCheck, keyof typeof base>) => (checks[`${d.name}:${measurement}`] = [{ ...base, ...c }]);
    add('responseTime', { observedValue: d.latencyMs ?? undefined, observedUnit: 'ms', status: d.reachable ? status : 'fail', output: d.errors[0] });
    if (d.revisions) add('pendingRevisions', { observedValue: d.revisions.pending, status: d.revisions.pending ? 'fail' : 'pass' });
    if (d.server)
      add('connections', {
        observedValue: d.server.connections,
        observedUnit: `of ${d.server.maxConnections}`,
        status: d.warnings.some((w) => w.includes('connections')) ? 'warn' : 'pass',
      });
    if (d.backup) add('backupAge', { observedValue: d.backup.ageSeconds, observedUnit: 's', status: 'pass' });
  }
  const all = Object.values(checks).flat();
  const status: IetfStatus = !r.ready ? 'fail' : all.some((c) => c.status !== 'pass') ? 'warn' : 'pass';
  return { status, description: 'ferry: the databases this app uses', checks, ...(r.errors.length ? { output: r.errors.join('; ') } : {}) };
}
