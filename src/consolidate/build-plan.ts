import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ConflictPolicy, ConsolidateConfig, TableMapping } from '../config/types.js';
import { FerryError } from '../errors.js';
import { openSqlite, type SqliteEngine } from '../engines/sqlite/sqlite-engine.js';
import { rewriteCreateIndex, rewriteCreateTable } from '../engines/sqlite/sqlite-ddl-rewrite.js';
import { quoteSqliteIdent } from '../engines/sqlite/sqlite-tokens.js';
import type { Schema, Table } from '../schema/model.js';
import { deviceOf, freeBytes, nearestExisting } from '../util/disk-space.js';
import { readRunState } from './run-state.js';
import { sqliteDiskSize } from '../util/fs-atomic.js';
import { findDuplicateKeys } from './duplicate-keys.js';
import type { ConsolidatePlan, PlannedIndex, PlannedPiece, PlannedSource, PlannedTable, PlannedTarget, Problem } from './plan-types.js';

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

const SQLITE_FILE = /\.(db|sqlite|sqlite3|db3)$/i;

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
  const problems: Problem[] = [];
  if (!fs.existsSync(sourceDir) || !fs.statSync(sourceDir).isDirectory()) {
    throw new FerryError('SOURCE_DIR_MISSING', `The source folder ${sourceDir} does not exist.`, {
      subject: sourceDir,
      hint: "Check consolidate.sourceDir in the config (relative paths start at the config file's folder).",
    });
  }
  const onDisk = fs.readdirSync(sourceDir).filter((f) => SQLITE_FILE.test(f) && fs.statSync(path.join(sourceDir, f)).isFile());
  const mapped = Object.keys(cfg.sources);
  const missing = mapped.filter((m) => !fs.existsSync(path.join(sourceDir, m)));
  for (const m of missing)
    problems.push({
      severity: 'error',
      code: 'SOURCE_MISSING',
      message: `Mapped source ${m} is not in ${sourceDir}.`,
      subject: path.join(sourceDir, m),
      hint: 'Fix the file name in the config or remove its entry.',
    });
  const unmapped = onDisk.filter((f) => !mapped.includes(f));

  const sources: PlannedSource[] = [];
  const targets = new Map<string, PlannedTarget>();
  for (const name of mapped) {
    if (missing.includes(name)) continue;
    const mapping = cfg.sources[name]!;
    const file = path.join(sourceDir, name);
    let engine: SqliteEngine;
    let schema: Schema;
    let wal = false;
    try {
      engine = openSqlite(file, { readonly: true, busyTimeoutMs: options.busyTimeoutMs });
      schema = await engine.introspect();
      wal = String(engine.db.pragma('journal_mode', { simple: true })).toLowerCase() === 'wal';
    } catch (e) {
      if (e instanceof FerryError) {
        problems.push({ severity: 'error', code: e.code, message: e.message, subject: file, hint: e.hint });
        continue;
      }
      throw e;
    }
    const planned: PlannedSource = { name, path: file, bytes: sqliteDiskSize(file), tables: schema.tables.map((t) => t.name), tablesLeft: [] };
    if (options.inspect) {
      const rows = engine.run('checking', () => engine.db.prepare('PRAGMA quick_check').pluck().all() as string[]);
      planned.check = rows.length === 1 && rows[0] === 'ok' ? 'ok' : rows.slice(0, 5).join('; ');
      if (planned.check !== 'ok')
        problems.push({
          severity: 'error',
          code: 'CORRUPT',
          message: `${file} is corrupt: ${planned.check}`,
          subject: file,
          hint: 'Restore it from a backup, or try `sqlite3 FILE .recover` on a copy.',
        });
    }
    sources.push(planned);
    const target = targets.get(mapping.target) ?? { file: mapping.target, path: path.join(targetDir, mapping.target), tables: [], postSql: [], wal: false };
    target.wal ||= wal;
    targets.set(mapping.target, target);

    const wanted: [string, TableMapping][] = mapping.tables ? Object.entries(mapping.tables) : schema.tables.map((t) => [t.name, {}]);
    planned.tablesLeft = schema.tables.map((t) => t.name).filter((t) => !wanted.some(([w]) => w === t));
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
      let piece: PlannedPiece | null;
      try {
        piece = planPiece(engine, name, file, table, tm, policy, problems);
      } catch (e) {
        if (!(e instanceof FerryError)) throw e;
        problems.push({ severity: 'error', code: e.code, message: e.message, subject: e.subject, hint: e.hint });
        continue;
      }
      if (!piece) continue;
      addToTarget(target, table, tm.as ?? table.name, piece, renames, problems);
    }
    for (const v of schema.virtualTables ?? []) {
      problems.push({
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
          problems.push({
            severity: 'warning',
            code: 'CONFIG_INVALID',
            message: `Trigger/view "${obj.name}" from ${name} has the same name as one already planned for ${target.file}; it is not carried over.`,
            subject: `${name}:${obj.name}`,
          });
        } else target.postSql.push({ name: obj.name, sql: obj.sql });
      }
    } else if (schema.triggers.length + schema.views.length > 0) {
      problems.push({
        severity: 'warning',
        code: 'CONFIG_INVALID',
        message: `${name} has triggers/views (${[...schema.triggers, ...schema.views].map((o) => o.name).join(', ')}) that are not carried over because only some tables are mapped.`,
        subject: name,
        hint: 'Recreate them in the target, or map the whole file.',
      });
    }
    // Closed at once: an estate can have dozens of files, and each open connection holds a cache.
    engine.db.close();
  }

  const plannedTargets = [...targets.values()];
  problems.push(...samePathProblems(plannedTargets, sources));
  for (const t of plannedTargets) {
    for (const tb of t.tables) {
      if (tb.pieces.length < 2 || tb.keys.length) continue;
      // Without a key nothing can collide, so rows found in two sources would be kept twice.
      tb.wholeRowKey = tb.pieces[0]!.columns;
      const dedupe = tb.pieces.slice(1).some((p) => p.onConflict !== 'error');
      tb.notes.push(
        dedupe ? 'no key: rows equal in every column to a row of an earlier source are dropped (onConflict)' : 'no key: rows from every source are appended',
      );
      if (!dedupe) {
        problems.push({
          severity: 'warning',
          code: 'KEYLESS_MERGE',
          message: `${t.file}:${tb.name} has no primary key or unique constraint and is merged from ${tb.pieces.map((p) => p.source).join(', ')}: every row is appended, so a row found in two sources appears twice.`,
          subject: `${t.file}:${tb.name}`,
          hint: 'Set "onConflict": "skip" for this table to drop rows equal in every column to one already written (listed in the rejects file), or give the table a key.',
        });
      }
    }
  }
  let duplicates: ConsolidatePlan['duplicates'] = [];
  if (options.inspect) {
    try {
      duplicates = findDuplicateKeys(plannedTargets, (file) => openSqlite(file, { readonly: true, busyTimeoutMs: options.busyTimeoutMs }));
    } catch (e) {
      if (!(e instanceof FerryError)) throw e;
      problems.push({ severity: 'error', code: e.code, message: e.message, subject: e.subject, hint: e.hint });
    }
    problems.push(...targetProblems(plannedTargets, targetDir, options));
  }
  for (const d of duplicates) {
    if (d.wholeRow) {
      if (d.policy === 'error')
        problems.push({
          severity: 'warning',
          code: 'KEYLESS_MERGE',
          message: `${d.count} row(s) of ${d.target}:${d.table} are in both ${d.sources[0]} and ${d.sources[1]} (e.g. ${d.examples.join(', ')}) and will appear twice.`,
          subject: `${d.target}:${d.table}`,
          hint: 'Set "onConflict": "skip" for this table to drop the whole-row duplicates.',
        });
    } else if (d.policy === 'error') {
      problems.push({
        severity: 'error',
        code: 'CONFLICT',
        message: `${d.count} key(s) of ${d.target}:${d.table} appear in both ${d.sources[0]} and ${d.sources[1]} (e.g. ${d.examples.join(', ')}).`,
        subject: `${d.target}:${d.table}`,
        hint: 'Set "onConflict": "skip" or "replace" for this table, or fix the data.',
      });
    }
  }
  const sourceBytes = sources.reduce((s, x) => s + x.bytes, 0);
  const probe = options.freeBytes ?? freeBytes;
  const sameDevice = safeDevice(targetDir) === safeDevice(backupDir);
  const neededBytes = sameDevice ? 2 * sourceBytes : sourceBytes;
  const free = probe(targetDir);
  const space = { sourceBytes, neededBytes, freeBytes: free, dir: targetDir };
  if (free < neededBytes)
    problems.push({
      severity: 'error',
      code: 'DISK_FULL',
      message: `Not enough free disk in ${targetDir}: ${free} bytes free, ${neededBytes} needed (backup and targets, twice the ${sourceBytes} bytes of sources).`,
      subject: targetDir,
      hint: 'Free disk space, or put targetDir/backupDir on a larger disk.',
    });
  if (!sameDevice && probe(backupDir) < sourceBytes)
    problems.push({
      severity: 'error',
      code: 'DISK_FULL',
      message: `Not enough free disk in ${backupDir} for the backup (${sourceBytes} bytes needed).`,
      subject: backupDir,
      hint: 'Free disk space or choose another backupDir.',
    });
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

/**
 * What the run would refuse on, told by the dry-run too: a target that already exists (unless a
 * resumable run of this same plan made it) and a target folder that cannot be created.
 */
function targetProblems(targets: PlannedTarget[], targetDir: string, options: PlanOptions): Problem[] {
  const out: Problem[] = [];
  const existing = nearestExisting(targetDir);
  if (!fs.statSync(existing).isDirectory()) {
    out.push({
      severity: 'error',
      code: 'UNWRITABLE',
      message: `Cannot create the target folder ${targetDir}: ${existing} is a file.`,
      subject: targetDir,
      hint: 'Check consolidate.targetDir.',
    });
  }
  const state = readRunState(targetDir);
  for (const t of targets) {
    if (!fs.existsSync(t.path) || state?.completed.includes(t.file)) continue;
    out.push({
      severity: options.force ? 'warning' : 'error',
      code: 'TARGET_EXISTS',
      message: `Target ${t.path} already exists${options.force ? ' and will be replaced (backed up first)' : ''}.`,
      subject: t.path,
      hint: 'Run with --force to replace it (it is backed up first), or choose another targetDir.',
    });
  }
  return out;
}

/** A target at a source's own path would be written over the source: refused, with or without --force. */
function samePathProblems(targets: PlannedTarget[], sources: PlannedSource[]): Problem[] {
  const real = (p: string) => {
    try {
      return fs.realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  const out: Problem[] = [];
  for (const t of targets) {
    const clash = sources.find((s) => real(s.path) === real(t.path));
    if (clash) {
      out.push({
        severity: 'error',
        code: 'TARGET_IS_SOURCE',
        message: `The target ${t.path} is the source ${clash.name} itself; consolidating would overwrite the source.`,
        subject: t.path,
        hint: 'Choose a targetDir other than sourceDir, or another target file name.',
      });
    }
  }
  return out;
}

function safeDevice(p: string): number {
  try {
    return deviceOf(p);
  } catch {
    return -1;
  }
}

function planPiece(
  engine: SqliteEngine,
  source: string,
  file: string,
  table: Table,
  tm: TableMapping,
  policy: ConflictPolicy,
  problems: Problem[],
): PlannedPiece | null {
  const insertable = table.columns.filter((c) => !c.generated).map((c) => c.name);
  let columns = insertable;
  if (tm.columns) {
    const absent = tm.columns.filter((c) => !table.columns.some((x) => x.name === c));
    if (absent.length) {
      problems.push({
        severity: 'error',
        code: 'COLUMN_MISSING',
        message: `Column(s) ${absent.map((c) => `"${c}"`).join(', ')} do not exist in ${source}:${table.name}.`,
        subject: `${source}:${table.name}`,
        hint: `Its columns: ${table.columns.map((c) => c.name).join(', ')}`,
      });
      return null;
    }
    columns = tm.columns.filter((c) => insertable.includes(c));
  }
  const exprs = columns.map(quoteSqliteIdent);
  let rowFn: PlannedPiece['rowFn'];
  if (typeof tm.transform === 'function') {
    rowFn = tm.transform;
  } else if (tm.transform) {
    for (const [col, expr] of Object.entries(tm.transform)) {
      const i = columns.indexOf(col);
      if (i < 0) {
        problems.push({
          severity: 'error',
          code: 'CONFIG_INVALID',
          message: `transform names column "${col}", which ${source}:${table.name} does not move.`,
          subject: `${source}:${table.name}`,
          hint: `Moved columns: ${columns.join(', ')}`,
        });
        return null;
      }
      try {
        engine.db.prepare(`SELECT (${expr}) FROM ${quoteSqliteIdent(table.name)} LIMIT 0`);
      } catch (e) {
        problems.push({
          severity: 'error',
          code: 'CONFIG_INVALID',
          message: `transform for ${source}:${table.name}.${col} is not valid SQL: ${(e as Error).message}`,
          subject: `${source}:${table.name}.${col}`,
          hint: 'Use an SQLite expression over the source row, e.g. "lower(email)".',
        });
        return null;
      }
      exprs[i] = `(${expr})`;
    }
  }
  const rows = engine.run('counting rows in', () =>
    Number(
      engine.db
        .prepare(`SELECT count(*) FROM ${quoteSqliteIdent(table.name)}`)
        .pluck()
        .get() as bigint,
    ),
  );
  return {
    id: `${source}/${table.name}`,
    source,
    sourcePath: file,
    sourceTable: table.name,
    columns,
    exprs,
    rowFn,
    fnInputColumns: rowFn ? columns : undefined,
    onConflict: policy,
    rows,
    hasRowid: !table.withoutRowid,
    wholeTable:
      !rowFn &&
      exprs.every((e, i) => e === quoteSqliteIdent(columns[i]!)) &&
      columns.length === table.columns.length &&
      columns.every((c, i) => c === table.columns[i]!.name),
  };
}

function addToTarget(target: PlannedTarget, table: Table, name: string, piece: PlannedPiece, renames: Map<string, string>, problems: Problem[]): void {
  const existing = target.tables.find((t) => t.name.toLowerCase() === name.toLowerCase());
  if (existing) {
    const a = [...existing.pieces[0]!.columns].map((c) => c.toLowerCase()).sort();
    const b = [...piece.columns].map((c) => c.toLowerCase()).sort();
    if (a.join('\u0000') !== b.join('\u0000')) {
      problems.push({
        severity: 'error',
        code: 'INCOMPATIBLE_COLUMNS',
        message: `${piece.source}:${piece.sourceTable} and ${existing.pieces[0]!.source}:${existing.pieces[0]!.sourceTable} both write ${target.file}:${name} but with different columns (${piece.columns.join(', ')} vs ${existing.pieces[0]!.columns.join(', ')}).`,
        subject: `${target.file}:${name}`,
        hint: 'Map them to different tables ("as"), or choose the same "columns" for both.',
      });
      return;
    }
    for (const c of piece.columns) {
      const declared = table.columns.find((x) => x.name === c)?.type ?? '';
      const first = existing.columnTypes[c] ?? '';
      if (declared.toUpperCase() !== first.toUpperCase())
        existing.notes.push(
          `column ${c} is declared ${first || '(none)'} in the first source and ${declared || '(none)'} in ${piece.source}; values keep their own storage class`,
        );
    }
    existing.pieces.push(piece);
    return;
  }
  const rewritten = rewriteCreateTable(table.sql!, {
    newName: name,
    keepColumns: piece.columns.length === table.columns.filter((c) => !c.generated).length ? undefined : piece.columns,
    renames,
  });
  const notes = rewritten.dropped.map((d) => `left out ${d}`);
  const kept = new Set(piece.columns.map((c) => c.toLowerCase()));
  const usedNames = new Set(target.tables.flatMap((t) => t.indexes.map((i) => i.name.toLowerCase())));
  const indexes: PlannedIndex[] = [];
  for (const idx of table.indexes) {
    const mentions = idx.hasExpressions || idx.where ? identifiersOf(idx.sql) : idx.columns.map((c) => c.toLowerCase());
    const droppedCols = table.columns.map((c) => c.name.toLowerCase()).filter((c) => !kept.has(c) && mentions.includes(c));
    if (droppedCols.length) {
      notes.push(`left out index ${idx.name} (uses dropped column ${droppedCols.join(', ')})`);
      continue;
    }
    let idxName = idx.name;
    if (name !== table.name && idx.name.includes(table.name)) idxName = idx.name.split(table.name).join(name);
    for (let n = 2; usedNames.has(idxName.toLowerCase()); n++) idxName = `${name}_${idx.name}${n > 2 ? `_${n}` : ''}`;
    usedNames.add(idxName.toLowerCase());
    indexes.push({ name: idxName, sql: rewriteCreateIndex(idx.sql, idxName, name), unique: idx.unique });
  }
  const keys: string[][] = [];
  if (table.primaryKey) keys.push(table.primaryKey.columns);
  for (const u of table.uniques) keys.push(u.columns);
  for (const i of table.indexes) if (i.unique && !i.hasExpressions && !i.where) keys.push(i.columns);
  const keptKeys = keys.filter((k) => k.every((c) => kept.has(c.toLowerCase())));
  const planned: PlannedTable = {
    name,
    createSql: rewritten.sql,
    indexes,
    keys: keptKeys,
    columnTypes: Object.fromEntries(table.columns.map((c) => [c.name, c.type])),
    pieces: [piece],
    autoincrement: !!table.primaryKey?.autoincrement,
    withoutRowid: !!table.withoutRowid,
    notes,
  };
  if (name !== table.name) notes.unshift(`renamed from ${piece.source}:${table.name}`);
  if (piece.columns.length < table.columns.length) notes.push(`keeps ${piece.columns.length} of ${table.columns.length} columns`);
  target.tables.push(planned);
}

function identifiersOf(sql: string): string[] {
  return (sql.match(/"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_]*/g) ?? []).map((t) => t.replace(/^"|"$/g, '').replace(/""/g, '"').toLowerCase());
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
