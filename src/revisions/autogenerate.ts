/**
 * `ferry revision --autogenerate`: the declared schema diffed against the database at its head,
 * written as a new revision with an up and a down.
 */
import path from 'node:path';
import { connect, roleOf } from '../engines/registry.js';
import { FerryError } from '../errors.js';
import type { Schema } from '../schema/model.js';
import type { SchemaOp } from '../schema/operations.js';
import { planSchemaChange } from '../schema/plan-schema-change.js';
import { loadDeclaredSchema } from './declared-schema.js';
import { normaliseSchema } from './normalise-schema.js';
import { newRevision } from './revision-commands.js';
import type { RevisionGraph } from './revision-graph.js';
import { dirOf, loadGraph, urlOf, type RevisionTarget } from './revision-target.js';
import { VersionStore } from './version-store.js';

/** Options of autogenerateRevision. */
export interface AutogenerateOptions extends RevisionTarget {
  /** The declared schema file (the wanted DDL, with optional rename hints); default `schema.sql` beside the revisions folder. */
  schemaFile?: string;
  /** The new revision's message. */
  message: string;
}

/** What autogenerate did; `file` is null when the database already matches the declared schema. */
export interface AutogenerateResult {
  file: string | null;
  id: string | null;
  /** 'sql', or 'script' when an op needs a live table rebuild (SQLite), written as ctx.ops calls. */
  kind: 'sql' | 'script' | null;
  ops: SchemaOp[];
  reverse: SchemaOp[];
  warnings: string[];
}

/**
 * `ferry revision --autogenerate`: writes a revision that takes the database (which must be at the
 * graph's single head) to the declared schema, and back in its down section. Plan first
 * (planSchemaChange, pure), then render the ops for the engine (its schemaOps role); nothing here
 * runs DDL on the real database. Throws a FerryError when the database is not at head, so a
 * revision is never generated against a stale schema.
 */
export async function autogenerateRevision(options: AutogenerateOptions): Promise<AutogenerateResult> {
  const { graph } = await loadGraph(options);
  const heads = singleHead(graph);
  const url = urlOf(options);
  const current = await schemaAtHead(url, heads);
  const declared = await loadDeclaredSchema(declaredSchemaFile(options), current.dialect, url);
  const plan = planSchemaChange(current, declared.schema, declared.hints);
  const base = { ops: plan.ops, reverse: plan.reverse, warnings: plan.warnings };
  if (plan.ops.length === 0 && plan.warnings.length === 0) return { file: null, id: null, kind: null, ...base };

  const ops = roleOf(current, 'schemaOps', 'ferry revision --autogenerate');
  const up = rendered(await ops.render(plan.ops, current, declared.schema));
  const down = rendered(await ops.render(plan.reverse, declared.schema, current));
  if (!up.script && !down.script) {
    const warn = plan.warnings.map((w) => `-- WARNING: ${w}`);
    const r = await newRevision({ ...options, up: [...warn, ...up.lines].join('\n'), down: down.lines.join('\n') });
    return { file: r.file, id: r.id, kind: 'sql', ...base };
  }
  // A script revision, because some op needs the table rebuild only ctx.ops performs.
  const warn = plan.warnings.map((w) => `// WARNING: ${w}`);
  const r = await newRevision({ ...options, script: true, up: [...warn, ...up.script!].join('\n'), down: down.script!.join('\n') });
  return { file: r.file, id: r.id, kind: 'script', ...base };
}

/** The declared schema file autogenerate reads: `schemaFile`, else `schema.sql` beside the revisions folder. */
export function declaredSchemaFile(options: Pick<AutogenerateOptions, 'schemaFile' | 'dir' | 'cwd'>): string {
  return path.resolve(options.cwd ?? process.cwd(), options.schemaFile ?? path.join(path.dirname(dirOf(options)), 'schema.sql'));
}

/** The graph's heads, refused when there is more than one. */
function singleHead(graph: RevisionGraph): string[] {
  const heads = graph.heads().map((r) => r.id);
  if (heads.length > 1)
    throw new FerryError('CONFLICT', `There are ${heads.length} heads (${heads.join(', ')}); autogenerate needs one.`, {
      hint: 'Merge them first: ferry merge -m "merge heads".',
    });
  return heads;
}

/**
 * The live schema, normalised (see normaliseSchema), once the database is known to be at the
 * graph's head. A database file need not exist while there are no revisions yet.
 */
async function schemaAtHead(url: string, heads: string[]): Promise<Schema> {
  const engine = await connect(url, { mustExist: heads.length > 0 });
  try {
    const at = await new VersionStore(engine).heads();
    if (at.join(' ') !== heads.join(' ')) {
      throw new FerryError(
        'CONFLICT',
        `The database is at ${at.join(', ') || 'base'}, not at the head ${heads[0] ?? 'base'}: upgrade first, so the revision is generated against the schema its parent makes.`,
        {
          subject: engine.displayUrl,
          hint: 'ferry upgrade head, then run autogenerate again.',
        },
      );
    }
    return await normaliseSchema(await engine.introspect());
  } finally {
    await engine.close();
  }
}

/** One direction of the revision: SQL lines, and (when some op needs a live rebuild) the same as script lines. */
interface Rendered {
  lines: string[];
  script: string[] | null;
}

/** The role's steps as SQL lines; any op among them turns the whole direction into a script calling ctx.ops. */
function rendered(steps: (string | SchemaOp)[]): Rendered {
  const lines = steps.filter((s): s is string => typeof s === 'string').map((s) => `${s};`);
  if (steps.every((s) => typeof s === 'string')) return { lines, script: null };
  const script = steps.map((s) => (typeof s === 'string' ? `await ctx.sql(${JSON.stringify(s)});` : opCall(s)));
  return { lines, script };
}

/** The ctx.ops call that performs a rebuild op in a script revision. */
function opCall(op: SchemaOp): string {
  const a = (...args: unknown[]) =>
    args
      .filter((x) => x !== undefined)
      .map((x) => JSON.stringify(x))
      .join(', ');
  switch (op.kind) {
    case 'addColumn':
      return `await ctx.ops.addColumn(${a(op.table, op.column)});`;
    case 'dropColumn':
      return `await ctx.ops.dropColumn(${a(op.table, op.column)});`;
    case 'alterColumn':
      return `await ctx.ops.alterColumn(${a(op.table, op.column, op.change)});`;
    case 'addForeignKey':
      return `await ctx.ops.addForeignKey(${a(op.table, op.name, op.columns, op.refTable, op.refColumns, { onDelete: op.onDelete, onUpdate: op.onUpdate })});`;
    case 'addUnique':
      return `await ctx.ops.addUnique(${a(op.table, op.name, op.columns)});`;
    case 'addCheck':
      return `await ctx.ops.addCheck(${a(op.table, op.name, op.expression)});`;
    case 'dropForeignKey':
      return `await ctx.ops.dropForeignKey(${a(op.table, op.name ?? op.columns)});`;
    case 'dropUnique':
      return `await ctx.ops.dropUnique(${a(op.table, op.name ?? op.columns)});`;
    case 'dropCheck':
      return `await ctx.ops.dropCheck(${a(op.table, op.name ?? { expression: op.expression })});`;
    case 'setPrimaryKey':
      return `await ctx.ops.setPrimaryKey(${a(op.table, op.columns, op.name ? { name: op.name } : undefined)});`;
    default:
      throw new FerryError('USAGE', `autogenerate has no ctx.ops call for ${op.kind}.`);
  }
}
