/**
 * `ferry status` and `ferry serve`: parsing and printing only; the checks are in src/health/.
 */
import type { Command } from 'commander';
import { EXIT, FerryError } from '../errors.js';
import type { DatabaseHealth, HealthReport } from '../health/health-types.js';
import { formatBytes } from '../util/disk-space.js';
import { commonOptions, loadCommandConfig, type CommonFlags } from './common-options.js';
import { paint, printJson, type Output } from './output.js';
import { action } from './revision-commands.js';
import { untilStopped } from './stop-signals.js';

interface StatusFlags extends CommonFlags {
  url?: string;
  drift: boolean;
}

interface ServeFlags extends CommonFlags {
  url?: string;
  host: string;
  port: string;
  token?: string;
}

const health = () => import('../health/check-health.js');

export function registerHealthCommands(program: Command): void {
  commonOptions(
    program
      .command('status')
      .description("One screen for every database the app uses: reachable, revisions, required tables, backups, syncs, the server's load"),
  )
    .option('--url <url>', "check this database alone (default: the config's databases section, else DATABASE_URL)")
    .option('--no-drift', 'skip comparing the live schema with the revisions (a scratch database)')
    .action(
      action<StatusFlags>(async (o, f) => {
        const specs = await specsOf(f, o);
        const report = await (await health()).checkHealth({ databases: specs, drift: f.drift });
        if (o.json) printJson(o, { ok: report.success, ...report });
        else printStatus(o, report);
        return report.success ? EXIT.ok : EXIT.differences;
      }),
    );

  commonOptions(
    program.command('serve').description('Serve health endpoints (/livez, /readyz, /api/v1/health/database, /api/health, /health) and a dashboard page'),
  )
    .option('--url <url>', "serve this database alone (default: the config's databases section, else DATABASE_URL)")
    .option('--host <host>', "the address to listen on (anything but loopback puts the databases' state on the network)", '127.0.0.1')
    .option('--port <port>', 'the port (0 picks a free one)', '8080')
    .option('--token <token>', 'require Authorization: Bearer <token> on every endpoint but /livez (default: FERRY_SERVE_TOKEN)')
    .action(
      action<ServeFlags>(async (o, f) => {
        const port = Number(f.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new FerryError('USAGE', `--port must be a port number, not "${f.port}".`);
        const specs = await specsOf(f, o);
        const token = f.token ?? process.env.FERRY_SERVE_TOKEN;
        const { serveHealth } = await import('../health/serve.js');
        // The signals are taken before the address is printed: whoever waits for that line may stop it at once.
        return untilStopped(async (stop) => {
          const server = await serveHealth({ databases: specs, host: f.host, port, ...(token ? { token } : {}) });
          if (o.json) printJson(o, { ok: true, url: server.url, databases: specs.map((s) => s.name), token: Boolean(token) });
          // Printed under --quiet too: with --port 0 it is the only place the chosen port shows.
          else o.err(`ferry serve: ${server.url} (${specs.map((s) => s.name).join(', ')})${token ? ', token required' : ''}; Ctrl-C stops it`);
          if (!stop.aborted) await new Promise((resolve) => stop.addEventListener('abort', resolve, { once: true }));
          await server.close();
          return EXIT.ok;
        });
      }),
    );
}

/** The databases: --url alone, else the config's section, else DATABASE_URL. */
async function specsOf(f: { url?: string } & CommonFlags, o: Output) {
  const loaded = await loadCommandConfig(f, o);
  const { databaseSpecs } = await import('../health/database-specs.js');
  if (!f.url) return databaseSpecs(loaded.config, loaded.dir);
  const [spec] = databaseSpecs({ ...loaded.config, databases: undefined }, loaded.dir, { ...process.env, DATABASE_URL: f.url });
  return [spec!];
}

function printStatus(o: Output, r: HealthReport): void {
  for (const d of r.databases) printDatabase(o, d);
  o.out(r.success ? paint(o, 'green', 'All databases healthy.') : paint(o, 'red', `${r.errors.length} problem(s).`));
}

function printDatabase(o: Output, d: DatabaseHealth): void {
  const state = !d.reachable
    ? paint(o, 'red', 'unreachable')
    : d.errors.length
      ? paint(o, 'red', 'unhealthy')
      : d.warnings.length
        ? paint(o, 'yellow', 'warnings')
        : paint(o, 'green', 'healthy');
  o.out(`${paint(o, 'bold', d.name)}  ${state}  ${d.url}`);
  const facts: string[] = [];
  if (d.reachable) facts.push(`${d.engine} ${d.serverVersion ?? ''}`.trim(), `latency ${d.latencyMs} ms`);
  if (d.sizeBytes !== null) facts.push(`size ${formatBytes(d.sizeBytes)}`);
  if (facts.length) o.out(`  ${facts.join(', ')}`);
  const rev = d.revisions;
  if (rev)
    o.out(
      `  revisions: at ${rev.current.join(', ') || 'base'}; ${rev.pending ? `${rev.pending} pending` : 'up to date'}${rev.edited.length ? `; edited: ${rev.edited.join(', ')}` : ''}${rev.drift === null ? '' : rev.drift.length ? '; schema drift' : '; no drift'}`,
    );
  for (const s of rev?.steps ?? []) o.out(`  step: ${s.revision} ${s.label}${s.rowsTotal ? ` ${s.rowsDone}/${s.rowsTotal} rows` : ''}`);
  if (d.missing.length) o.out(`  missing: ${d.missing.join(', ')}`);
  if (d.reachable) o.out(`  backup: ${d.backup ? `${d.backup.latest} (${age(d.backup.ageSeconds)} old)` : 'none found'}`);
  for (const s of d.sync) o.out(`  sync: ${s.phase} from ${s.source} (updated ${s.updatedAt})`);
  if (d.server)
    o.out(
      `  server: ${d.server.connections}/${d.server.maxConnections} connections, longest transaction ${d.server.longestTransactionSeconds === null ? 'none' : age(d.server.longestTransactionSeconds)}, ${d.server.blockedSessions} blocked`,
    );
  for (const e of d.errors) o.out(`  ${paint(o, 'red', 'error:')} ${e}`);
  for (const w of d.warnings) o.out(`  ${paint(o, 'yellow', 'warning:')} ${w}`);
}

function age(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} days`;
}
