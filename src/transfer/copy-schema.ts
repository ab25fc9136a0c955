/**
 * The step of a copy between the pre-flight and the load: what the target already holds decides
 * whether the run resumes an interrupted copy, refuses to start over one, or creates the schema,
 * which it then does in one transaction (tables, extensions, the recorded origin, the state table).
 */
import type { Preflight } from '../engine/copy-roles.js';
import type { Engine } from '../engine/types.js';
import type { Schema } from '../schema/model.js';
import { roleOf } from '../engines/registry.js';
import { FerryError } from '../errors.js';
import { recordOriginSql, syncOriginColumns } from './copy-origin.js';
import type { CopySettings } from './copy-settings.js';
import { CopyState, type TableState } from './copy-state.js';
import { adoptExistingTables, checkTargetTables } from './copy-target-check.js';
import type { CopyPlan } from './copy-types.js';

/** The target, ready to load: every table's state, whether this run resumes, and its reject file. */
export interface PreparedTarget {
  state: CopyState;
  states: Map<string, TableState>;
  resumed: boolean;
  rejectFile: string;
}

/**
 * Resumes the copy the target holds (--resume), or creates the schema for a new one. A target with
 * an unfinished copy is never started over unless --if-exists truncate says so. Once the schema is
 * committed, the pre-flight's `discard` is dropped: the target then holds a resumable copy.
 */
export async function prepareTarget(target: Engine, plan: CopyPlan, run: CopySettings, pre: Preflight): Promise<PreparedTarget> {
  const state = new CopyState(target);
  const partial = await state.exists();
  if (partial && !run.options.resume && run.ifExists !== 'truncate') throw await partialCopyError(state, run);
  const existing = await target.introspect();
  if (partial && run.options.resume) {
    const prepared = await resumeTarget(state, plan, existing, run);
    run.emit({ type: 'planned', plan, resumed: true });
    return prepared;
  }
  await createSchema(target, state, plan, existing, run, partial);
  delete pre.discard;
  return { state, states: await state.load(), resumed: false, rejectFile: run.rejectFile };
}

/** Why a target holding an unfinished copy is not started over, and how to go on. */
async function partialCopyError(state: CopyState, run: CopySettings): Promise<FerryError> {
  const { from, to } = run;
  const recorded = await state.source();
  const all = [...(await state.load()).values()];
  // Every table loaded and linked: only the closing verify did not finish. Never advise throwing that away.
  if (all.length && all.every((t) => t.phase === 'done')) {
    return new FerryError('PARTIAL_COPY', `${to.displayUrl} holds a complete copy${recorded ? ` from ${recorded}` : ''} whose closing verify did not finish.`, {
      subject: to.displayUrl,
      hint: `Finish it with: ferry copy ${from.displayUrl} ${to.displayUrl} --resume (it only verifies).`,
    });
  }
  return new FerryError('PARTIAL_COPY', `${to.displayUrl} holds an unfinished copy${recorded ? ` from ${recorded}` : ''}; ferry will not start over it.`, {
    subject: to.displayUrl,
    hint: `Continue it with: ferry copy ${from.displayUrl} ${to.displayUrl} --resume. Or start again from scratch with --if-exists truncate.`,
  });
}

/** Takes up an interrupted copy: its tables, its state and (unless told otherwise) its reject file. */
async function resumeTarget(state: CopyState, plan: CopyPlan, existing: Schema, run: CopySettings): Promise<PreparedTarget> {
  // A resumed run keeps adding to the interrupted run's reject file.
  const rejectFile = (!run.options.rejectFile && !run.config.rejectFile ? await state.rejectFile() : null) ?? run.rejectFile;
  adoptExistingTables(plan, existing, run.to.dialect);
  const states = await state.load();
  for (const t of plan.tables) {
    if (!states.has(t.target))
      throw new FerryError('PARTIAL_COPY', `The unfinished copy in ${run.to.displayUrl} did not include the table "${t.target}".`, {
        subject: t.target,
        hint: 'Resume with the same --tables/--exclude as the interrupted run, or start again with --if-exists truncate.',
      });
  }
  return { state, states, resumed: true, rejectFile };
}

/**
 * Checks the tables already there, then creates the schema in one transaction: the tables, the
 * extensions they need, the recorded origin and the state table. Starting over an unfinished copy
 * (--if-exists truncate), the tables it created are made again from scratch, so they get their
 * keys and indexes (they only ever held that copy's rows).
 */
async function createSchema(target: Engine, state: CopyState, plan: CopyPlan, existing: Schema, run: CopySettings, partial: boolean): Promise<void> {
  const restart =
    partial && run.ifExists === 'truncate' ? new Set([...(await state.load()).values()].filter((s) => !s.existing).map((s) => s.table)) : new Set<string>();
  const before = { ...existing, tables: existing.tables.filter((t) => !restart.has(t.name)) };
  const plannedExisting = await checkTargetTables(target, plan, before, { ifExists: run.ifExists, dataOnly: !!run.options.dataOnly, partial });
  adoptExistingTables(plan, before, run.to.dialect);
  run.emit({ type: 'planned', plan, resumed: false });
  run.emit({ type: 'phase', phase: 'schema', message: `creating the schema in ${run.to.displayUrl}` });
  const ddl = roleOf(target, 'copyDdl');
  await target.transaction(async () => {
    if (partial) await state.drop();
    for (const name of restart) await target.exec(ddl.dropTableSql(target, name));
    const emptied = plan.tables.filter((t) => plannedExisting.has(t.target)).map((t) => t.target);
    if (run.ifExists === 'truncate' && emptied.length) for (const sql of ddl.emptyTablesSql(target, emptied)) await target.exec(sql);
    for (const name of plan.extensions ?? []) {
      const sql = ddl.createExtensionSql?.(name);
      if (sql) await target.exec(sql);
    }
    for (const t of plan.tables) {
      if (!plannedExisting.has(t.target)) for (const sql of ddl.createTableSql(t)) await target.exec(sql);
    }
    // Tables copied into the app's own schema (--data-only) are recorded too: the way back then
    // recreates the app's tables, and verify knows their types were the app's choice.
    syncOriginColumns(plan.origin, plan.tables, plannedExisting);
    for (const sql of recordOriginSql(
      target,
      plan.origin,
      plan.tables.map((t) => t.target),
    ))
      await target.exec(sql);
    await state.create(
      run.from.displayUrl,
      plan.tables.map((t) => t.target),
      plannedExisting,
      run.rejectFile,
    );
  });
}
