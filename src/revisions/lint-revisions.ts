/**
 * `ferry lint`: the statements of revisions, checked for changes that stall a live database (the
 * engine's migrationLinter role holds the rules). SQL revisions are read from their files, with
 * file lines; script revisions are run from the base on a scratch database (with a database URL)
 * and the statements they send are checked. `-- ferry:lint-ignore <rule> <reason>` before a
 * statement waives a rule for it, and the reason is shown.
 */
import path from 'node:path';
import type { LintRule } from '../engine/lint-roles.js';
import type { Dialect } from '../engine/types.js';
import { connect, driverOf, parseUrl, roleOf } from '../engines/registry.js';
import { FerryError } from '../errors.js';
import { AFTER_COMMIT_MARKER } from './after-commit.js';
import { recordScripts } from './plan-sql.js';
import type { RevisionGraph } from './revision-graph.js';
import { loadGraph, urlOf, type RevisionTarget } from './revision-target.js';
import type { Revision } from './revision-types.js';
import { splitStatements } from './split-statements.js';

/** One rule one statement breaks. */
export interface LintFinding {
  revision: string;
  /** The revision file, relative to the revisions folder's parent (as the user names it). */
  file: string;
  /** 1-based line of the statement in the file (0: a statement a script revision sent). */
  line: number;
  rule: string;
  level: LintRule['level'];
  /** The lock the statement takes on an existing table, or null. */
  lock: string | null;
  table?: string;
  message: string;
  safe: string;
  statement: string;
  /** The reason given with `-- ferry:lint-ignore`, when the author waived this rule here. */
  ignored?: string;
  /** With a database: the table's size there (findings on big tables come first). */
  tableRows?: number;
  tableBytes?: number;
}

export interface LintReport {
  dialect: Dialect;
  findings: LintFinding[];
  /** Findings not waived, by level. */
  errors: number;
  warnings: number;
  /** Script revisions whose statements could not be learnt, and why. */
  notLinted: { revision: string; file: string; reason: string }[];
}

export interface LintOptions extends RevisionTarget {
  /** Only these revisions (ids, prefixes or names the graph resolves); default: every one. */
  revisions?: string[];
}

/** `-- ferry:lint-ignore <rule> <reason>`: waives `rule` for the next statement. */
const IGNORE = /^\s*--\s*ferry:lint-ignore\s+([\w-]+)\s*(.*)$/;

/** The lint of the folder's revisions (or those named). */
export async function lintRevisions(options: LintOptions): Promise<LintReport> {
  const { graph } = await loadGraph(options);
  const url = (options.url ?? process.env.DATABASE_URL) ? urlOf(options) : undefined;
  const dialect: Dialect = url ? parseUrl(url).dialect : 'postgres';
  // An engine without a linter is named before anything is read.
  roleOf(dialect, 'migrationLinter');
  const wanted = options.revisions?.length ? options.revisions.map((r) => graph.resolve(r)) : graph.topological();
  const root = path.dirname(path.resolve(options.cwd ?? process.cwd(), options.dir ?? 'migrations'));
  const scripts = wanted.some((r) => r.kind === 'script') ? await scriptStatements(graph, dialect, url) : null;
  const report: LintReport = { dialect, findings: [], errors: 0, warnings: 0, notLinted: [] };
  for (const rev of wanted) {
    const file = path.relative(root, rev.file);
    let statements: LintStatementOf[];
    if (rev.kind === 'sql') statements = sqlStatements(rev, dialect);
    else if (scripts && 'statements' in scripts) {
      // What a script sent after its transaction committed (ctx.ops' lock-light halves, backfills) runs outside it.
      const sent = scripts.statements.get(rev.id) ?? [];
      const split = sent.indexOf(AFTER_COMMIT_MARKER);
      const of = (list: string[]) => list.filter((s) => !s.startsWith('-- ')).map((sql) => ({ sql, line: 0, ignored: new Map<string, string>() }));
      report.findings.push(...(await findingsOf(rev, file, of(split < 0 ? sent : sent.slice(0, split)), dialect)));
      if (split >= 0) report.findings.push(...(await findingsOf({ ...rev, transactional: false }, file, of(sent.slice(split + 1)), dialect, true)));
      continue;
    } else {
      report.notLinted.push({
        revision: rev.id,
        file,
        reason: scripts?.failed ?? 'a script revision: its statements are learnt by running it on a scratch database, which needs --url',
      });
      continue;
    }
    report.findings.push(...(await findingsOf(rev, file, statements, dialect)));
  }
  if (url) await addTableSizes(url, report.findings);
  report.findings.sort(bySize);
  report.errors = report.findings.filter((f) => f.level === 'error' && f.ignored === undefined).length;
  report.warnings = report.findings.filter((f) => f.level === 'warning' && f.ignored === undefined).length;
  return report;
}

type LintStatementOf = { sql: string; line: number; ignored: Map<string, string> };

/** One revision's findings, from its statements. */
async function findingsOf(rev: Revision, file: string, statements: LintStatementOf[], dialect: Dialect, afterCommit = false): Promise<LintFinding[]> {
  const out: LintFinding[] = [];
  for (const hit of await roleOf(dialect, 'migrationLinter').lint({ statements, transactional: rev.transactional, afterCommit })) {
    const st = statements[hit.statement]!;
    const ignored = st.ignored.get(hit.rule.id);
    out.push({
      revision: rev.id,
      file,
      line: st.line,
      rule: hit.rule.id,
      level: hit.rule.level,
      lock: hit.rule.lock,
      ...(hit.table ? { table: hit.table } : {}),
      message: hit.rule.why,
      safe: hit.rule.safe,
      statement: st.sql.replace(/\s+/g, ' ').trim().slice(0, 200),
      ...(ignored !== undefined ? { ignored: ignored || '(no reason given)' } : {}),
    });
  }
  return out;
}

/**
 * The findings of the SQL revisions about to run (`ferry upgrade` warns with them, `--strict`
 * refuses, `ferry check` counts error-level ones as problems). Script revisions are left to
 * `ferry lint --url`, which runs them on a scratch database. Empty for an engine without a linter.
 */
export async function lintPending(plan: Revision[], dialect: Dialect): Promise<LintFinding[]> {
  if (!driverOf(dialect).roles.migrationLinter) return [];
  const out: LintFinding[] = [];
  for (const rev of plan)
    if (rev.kind === 'sql') out.push(...(await findingsOf(rev, path.relative(process.cwd(), rev.file) || rev.file, sqlStatements(rev, dialect), dialect)));
  return out.filter((f) => f.ignored === undefined);
}

/** A SQL revision's up statements, each with its file line and the rules waived just before it. */
function sqlStatements(rev: Revision, dialect: Dialect): LintStatementOf[] {
  const text = rev.up.sql ?? '';
  const first = rev.up.line ?? 1;
  const waivers = text.split('\n').flatMap((l, i) => {
    const m = IGNORE.exec(l);
    return m ? [{ line: first + i, rule: m[1]!, reason: m[2]!.trim() }] : [];
  });
  const statements = splitStatements(text, dialect, first);
  return statements.map((st, i) => {
    const after = i === 0 ? first - 1 : statements[i - 1]!.line;
    const ignored = new Map(waivers.filter((w) => w.line > after && w.line <= st.line).map((w) => [w.rule, w.reason]));
    return { sql: st.sql, line: st.line, ignored };
  });
}

/** The statements script revisions send, run from the base on a scratch database (a URL's server is needed). */
async function scriptStatements(graph: RevisionGraph, dialect: Dialect, url: string | undefined) {
  if (!url) return null;
  return recordScripts({ plan: graph.topological(), direction: 'up', dialect, graph, applied: new Set(), url });
}

/** Each finding's table size in the database, when the engine can tell. */
async function addTableSizes(url: string, findings: LintFinding[]): Promise<void> {
  const tables = [...new Set(findings.flatMap((f) => (f.table ? [f.table] : [])))];
  if (!tables.length) return;
  const linter = roleOf(parseUrl(url).dialect, 'migrationLinter');
  if (!linter.tableSizes) return;
  const engine = await connect(url, { mustExist: true });
  try {
    const sizes = await linter.tableSizes(engine, tables);
    for (const f of findings) {
      const s = f.table ? sizes.get(f.table) : undefined;
      if (s) Object.assign(f, { tableRows: s.rows, tableBytes: s.bytes });
    }
  } catch (e) {
    throw new FerryError('INTERNAL', `Reading table sizes for the lint failed: ${(e as Error).message}`, { cause: e });
  } finally {
    await engine.close();
  }
}

/** Biggest tables first, then errors before warnings, then file order. */
function bySize(a: LintFinding, b: LintFinding): number {
  return (b.tableBytes ?? -1) - (a.tableBytes ?? -1) || (a.level === b.level ? 0 : a.level === 'error' ? -1 : 1) || 0;
}
