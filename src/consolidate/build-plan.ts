import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileRoleOf, isDatabaseFileName, openFile } from '../backup/file-database.js';
import type { ConflictPolicy, ConsolidateConfig, SourceMapping, TableMapping } from '../config/types.js';
import type { ConsolidationRole } from '../engine/consolidation-role.js';
import type { Engine } from '../engine/types.js';
import { isInternalTable } from '../schema/own-tables.js';
import { FerryError } from '../errors.js';
import type { Schema } from '../schema/model.js';
import { sqliteDiskSize } from '../util/fs-atomic.js';
import { findDuplicateKeys } from './duplicate-keys.js';
import { addToTarget, planPiece } from './plan-pieces.js';
import { duplicateProblems, keylessMergeProblems, samePathProblems, spaceCheck, targetProblems } from './plan-problems.js';
import type { ConsolidatePlan, PlannedSource, PlannedTarget, Problem } from './plan-types.js';

/** Options for planning a consolidation. */
export interface PlanOptions {
  config: ConsolidateConfig;
  /** Folder the config's relative paths are resolved against. */
  baseDir: string;
  configFile?: string | null;
  /** Dry-run extras: quick_check every source and count keys shared between sources. */
  inspect?: boolean;
  busyTimeoutMs?: number;
  /** Dry-run only: the run will be given --force (existing targets are then a warning). */
  force?: boolean;
  /** Free-space probe; tests inject one, the CLI uses the filesystem's figure. */
  freeBytes?: (dir: string) => number;
}

/**
 * Builds the consolidation plan from the config and the sources' schemas. Nothing is written.
 * Problems that make a run impossible are collected with severity 'error' (the run refuses to
 * start on them; dry-run lists them all).
 */
export async function buildPlan(options: PlanOptions): Promise<ConsolidatePlan> {
  const cfg = options.config;
  const sourceDir = path.resolve(options.baseDir, cfg.sourceDir);
  const targetDir = path.resolve(options.baseDir, cfg.targetDir);
  const backupDir = path.resolve(options.baseDir, cfg.backupDir ?? path.join(cfg.sourceDir, 'backup'));
  const { mapped, missing, unmapped, problems } = findSources(cfg, sourceDir);

  const sources: PlannedSource[] = [];
  const targets = new Map<string, PlannedTarget>();
  for (const name of mapped) {
    if (missing.includes(name)) continue;
    const planned = await planSource(name, cfg.sources[name]!, cfg, sourceDir, targetDir, targets, options, problems);
    if (planned) sources.push(planned);
  }

  const plannedTargets = [...targets.values()];
  problems.push(...samePathProblems(plannedTargets, sources));
  problems.push(...keylessMergeProblems(plannedTargets));
  let duplicates: ConsolidatePlan['duplicates'] = [];
  if (options.inspect) {
    try {
      duplicates = await findDuplicateKeys(plannedTargets, (file) => openFile(file, { readonly: true, busyTimeoutMs: options.busyTimeoutMs }));
    } catch (e) {
      if (!(e instanceof FerryError)) throw e;
      problems.push({ severity: 'error', code: e.code, message: e.message, subject: e.subject, hint: e.hint });
    }
    problems.push(...targetProblems(plannedTargets, targetDir, options.force));
  }
  problems.push(...duplicateProblems(duplicates));
  const { space, problems: spaceProblems } = spaceCheck(sources, targetDir, backupDir, options.freeBytes);
  problems.push(...spaceProblems);
  const totalRows = plannedTargets.reduce((s, t) => s + t.tables.reduce((a, tb) => a + tb.pieces.reduce((b, p) => b + p.rows, 0), 0), 0);
  return {
    configFile: options.configFile ?? null,
    sourceDir,
    targetDir,
    backupDir,
    sources,
    missing,
    unmapped,
    targets: plannedTargets,
    duplicates,
    problems,
    space,
    totalRows,
    fingerprint: fingerprintOf(cfg, plannedTargets),
  };
}

/** The mapped source files, those not in sourceDir (each a problem), and database files nobody mapped. */
function findSources(cfg: ConsolidateConfig, sourceDir: string): { mapped: string[]; missing: string[]; unmapped: string[]; problems: Problem[] } {
  if (!fs.existsSync(sourceDir) || !fs.statSync(sourceDir).isDirectory()) {
    throw new FerryError('SOURCE_DIR_MISSING', `The source folder ${sourceDir} does not exist.`, {
      subject: sourceDir,
      hint: "Check consolidate.sourceDir in the config (relative paths start at the config file's folder).",
    });
  }
  const onDisk = fs.readdirSync(sourceDir).filter((f) => isDatabaseFileName(f) && fs.statSync(path.join(sourceDir, f)).isFile());
  const mapped = Object.keys(cfg.sources);
  const missing = mapped.filter((m) => !fs.existsSync(path.join(sourceDir, m)));
  const problems: Problem[] = missing.map((m) => ({
    severity: 'error',
    code: 'SOURCE_MISSING',
    message: `Mapped source ${m} is not in ${sourceDir}.`,
    subject: path.join(sourceDir, m),
    hint: 'Fix the file name in the config or remove its entry.',
  }));
  return { mapped, missing, unmapped: onDisk.filter((f) => !mapped.includes(f)), problems };
}

/**
 * Plans one source file: opens it read-only, reads its schema, and adds a piece per mapped table
 * to its target (and its triggers and views when the whole file is mapped). Null, with the reason
 * among `problems`, when the file cannot be opened.
 */
async function planSource(
  name: string,
  mapping: SourceMapping,
  cfg: ConsolidateConfig,
  sourceDir: string,
  targetDir: string,
  targets: Map<string, PlannedTarget>,
  options: PlanOptions,
  problems: Problem[],
): Promise<PlannedSource | null> {
  const file = path.join(sourceDir, name);
  let role: ConsolidationRole;
  let engine: Engine;
  let schema: Schema;
  let wal = false;
  try {
    role = fileRoleOf(file, 'consolidation');
    engine = await openFile(file, { readonly: true, busyTimeoutMs: options.busyTimeoutMs });
    const found = await engine.introspect();
    // ferry's own tables and triggers in a source (a running sync's change capture) are not the app's.
    schema = { ...found, tables: found.tables.filter((t) => !isInternalTable(t.name)), triggers: found.triggers.filter((t) => !isInternalTable(t.name)) };
    wal = await role.usesWriteAheadLog(engine);
  } catch (e) {
    if (e instanceof FerryError) {
      problems.push({ severity: 'error', code: e.code, message: e.message, subject: file, hint: e.hint });
      return null;
    }
    throw e;
  }
  const planned: PlannedSource = { name, path: file, bytes: sqliteDiskSize(file), tables: schema.tables.map((t) => t.name), tablesLeft: [] };
  if (options.inspect) {
    planned.check = await role.quickCheck(engine, 5);
    if (planned.check !== 'ok')
      problems.push({
        severity: 'error',
        code: 'CORRUPT',
        message: `${file} is corrupt: ${planned.check}`,
        subject: file,
        hint: 'Restore it from a backup, or try `sqlite3 FILE .recover` on a copy.',
      });
  }
  const target = targets.get(mapping.target) ?? { file: mapping.target, path: path.join(targetDir, mapping.target), tables: [], postSql: [], wal: false };
  target.wal ||= wal;
  targets.set(mapping.target, target);

  const wanted: [string, TableMapping][] = mapping.tables ? Object.entries(mapping.tables) : schema.tables.map((t) => [t.name, {}]);
  planned.tablesLeft = schema.tables.map((t) => t.name).filter((t) => !wanted.some(([w]) => w === t));
  await planTables(engine, role, name, file, schema, wanted, mapping, cfg, target, problems);
  problems.push(...leftBehind(name, mapping, schema, target));
  // Closed at once: an estate can have dozens of files, and each open connection holds a cache.
  await engine.close();
  return planned;
}

/** A piece per mapped table of one source, added to its target table. */
async function planTables(
  engine: Engine,
  role: ConsolidationRole,
  name: string,
  file: string,
  schema: Schema,
  wanted: [string, TableMapping][],
  mapping: SourceMapping,
  cfg: ConsolidateConfig,
  target: PlannedTarget,
  problems: Problem[],
): Promise<void> {
  const renames = new Map(wanted.map(([t, m]) => [t, m.as ?? t]));
  for (const [tableName, tm] of wanted) {
    const table = schema.tables.find((t) => t.name === tableName);
    if (!table) {
      problems.push({
        severity: 'error',
        code: 'TABLE_MISSING',
        message: `Table "${tableName}" does not exist in ${name}.`,
        subject: `${name}:${tableName}`,
        hint: `Tables in ${name}: ${schema.tables.map((t) => t.name).join(', ') || '(none)'}`,
      });
      continue;
    }
    const policy: ConflictPolicy = tm.onConflict ?? mapping.onConflict ?? cfg.onConflict ?? 'error';
    let piece;
    try {
      piece = await planPiece(engine, role, name, file, table, tm, policy, problems);
    } catch (e) {
      if (!(e instanceof FerryError)) throw e;
      problems.push({ severity: 'error', code: e.code, message: e.message, subject: e.subject, hint: e.hint });
      continue;
    }
    if (!piece) continue;
    addToTarget(role, target, table, tm.as ?? table.name, piece, renames, problems);
  }
}

/**
 * What of a source does not move, said aloud: virtual tables, and triggers and views when only
 * some tables are mapped (or whose name is taken); the others are planned for the target.
 */
function leftBehind(name: string, mapping: SourceMapping, schema: Schema, target: PlannedTarget): Problem[] {
  const out: Problem[] = [];
  for (const v of schema.virtualTables ?? []) {
    out.push({
      severity: 'warning',
      code: 'CONFIG_INVALID',
      message: `${name} has the ${v.module} virtual table "${v.name}", which is not carried over (its shadow tables ${v.shadowTables.join(', ') || '(none)'} neither).`,
      subject: `${name}:${v.name}`,
      hint: `Recreate it in ${target.file} with its CREATE VIRTUAL TABLE and rebuild its index from the tables it covers.`,
    });
  }
  if (!mapping.tables) {
    for (const obj of [...schema.triggers, ...schema.views]) {
      if (target.postSql.some((p) => p.name === obj.name)) {
        out.push({
          severity: 'warning',
          code: 'CONFIG_INVALID',
          message: `Trigger/view "${obj.name}" from ${name} has the same name as one already planned for ${target.file}; it is not carried over.`,
          subject: `${name}:${obj.name}`,
        });
      } else target.postSql.push({ name: obj.name, sql: obj.sql });
    }
  } else if (schema.triggers.length + schema.views.length > 0) {
    out.push({
      severity: 'warning',
      code: 'CONFIG_INVALID',
      message: `${name} has triggers/views (${[...schema.triggers, ...schema.views].map((o) => o.name).join(', ')}) that are not carried over because only some tables are mapped.`,
      subject: name,
      hint: 'Recreate them in the target, or map the whole file.',
    });
  }
  return out;
}

/** A stable hash of what the plan does, so a resumed run can tell it is the same job. */
function fingerprintOf(cfg: ConsolidateConfig, targets: PlannedTarget[]): string {
  const shape = targets.map((t) => ({
    file: t.file,
    tables: t.tables.map((tb) => ({
      name: tb.name,
      sql: tb.createSql,
      idx: tb.indexes.map((i) => i.sql),
      pieces: tb.pieces.map((p) => ({ id: p.id, cols: p.columns, exprs: p.exprs, fn: p.rowFn ? String(p.rowFn) : null, policy: p.onConflict })),
    })),
  }));
  return crypto
    .createHash('sha256')
    .update(JSON.stringify({ sourceDir: cfg.sourceDir, shape }))
    .digest('hex')
    .slice(0, 16);
}
