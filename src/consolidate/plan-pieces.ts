import type { ConflictPolicy, TableMapping } from '../config/types.js';
import type { ConsolidationRole } from '../engine/consolidation-role.js';
import type { Engine } from '../engine/types.js';
import type { Table } from '../schema/model.js';
import type { PlannedIndex, PlannedPiece, PlannedTable, PlannedTarget, Problem } from './plan-types.js';

/**
 * How one source table moves: its columns, the expression per column (a configured SQL transform
 * is checked by the engine), its row count. Null, with the reason among `problems`, when the
 * mapping names a column the table lacks or a transform that does not parse.
 */
export async function planPiece(
  engine: Engine,
  role: ConsolidationRole,
  source: string,
  file: string,
  table: Table,
  tm: TableMapping,
  policy: ConflictPolicy,
  problems: Problem[],
): Promise<PlannedPiece | null> {
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
  const exprs = columns.map((c) => engine.quoteIdent(c));
  let rowFn: PlannedPiece['rowFn'];
  if (typeof tm.transform === 'function') rowFn = tm.transform;
  else if (tm.transform && !(await applySqlTransforms(engine, role, source, table, columns, exprs, tm.transform, problems))) return null;
  const rows = await engine.countRows(table.name);
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
      exprs.every((e, i) => e === engine.quoteIdent(columns[i]!)) &&
      columns.length === table.columns.length &&
      columns.every((c, i) => c === table.columns[i]!.name),
  };
}

/**
 * Puts a configured SQL transform in place of its columns' expressions, each checked by the
 * engine; false, with the reason among `problems`, when one names a column not moved or does not
 * parse.
 */
async function applySqlTransforms(
  engine: Engine,
  role: ConsolidationRole,
  source: string,
  table: Table,
  columns: string[],
  exprs: string[],
  transform: Record<string, string>,
  problems: Problem[],
): Promise<boolean> {
  for (const [col, expr] of Object.entries(transform)) {
    const i = columns.indexOf(col);
    if (i < 0) {
      problems.push({
        severity: 'error',
        code: 'CONFIG_INVALID',
        message: `transform names column "${col}", which ${source}:${table.name} does not move.`,
        subject: `${source}:${table.name}`,
        hint: `Moved columns: ${columns.join(', ')}`,
      });
      return false;
    }
    const invalid = await role.expressionProblem(engine, table.name, expr);
    if (invalid !== null) {
      problems.push({
        severity: 'error',
        code: 'CONFIG_INVALID',
        message: `transform for ${source}:${table.name}.${col} is not valid SQL: ${invalid}`,
        subject: `${source}:${table.name}.${col}`,
        hint: 'Use an SQLite expression over the source row, e.g. "lower(email)".',
      });
      return false;
    }
    exprs[i] = `(${expr})`;
  }
  return true;
}

/**
 * Adds a piece to its target table: the first piece creates the table (its CREATE TABLE and
 * indexes rewritten by the engine for the target's names and columns), later ones must move the
 * same columns.
 */
export function addToTarget(
  role: ConsolidationRole,
  target: PlannedTarget,
  table: Table,
  name: string,
  piece: PlannedPiece,
  renames: Map<string, string>,
  problems: Problem[],
): void {
  const existing = target.tables.find((t) => t.name.toLowerCase() === name.toLowerCase());
  if (existing) {
    mergeInto(existing, target, table, name, piece, problems);
    return;
  }
  const rewritten = role.rewriteCreateTable(table.sql!, {
    newName: name,
    keepColumns: piece.columns.length === table.columns.filter((c) => !c.generated).length ? undefined : piece.columns,
    renames,
  });
  const notes = rewritten.dropped.map((d) => `left out ${d}`);
  const kept = new Set(piece.columns.map((c) => c.toLowerCase()));
  const indexes = targetIndexes(role, target, table, name, kept, notes);
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

/** A later source of a table already planned: same columns required; declared types that differ are noted. */
function mergeInto(existing: PlannedTable, target: PlannedTarget, table: Table, name: string, piece: PlannedPiece, problems: Problem[]): void {
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
}

/** The source table's indexes for the target table, renamed and unique in the file; those on left-out columns are dropped (noted). */
function targetIndexes(role: ConsolidationRole, target: PlannedTarget, table: Table, name: string, kept: Set<string>, notes: string[]): PlannedIndex[] {
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
    indexes.push({ name: idxName, sql: role.rewriteCreateIndex(idx.sql, idxName, name), unique: idx.unique });
  }
  return indexes;
}

function identifiersOf(sql: string): string[] {
  return (sql.match(/"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_]*/g) ?? []).map((t) => t.replace(/^"|"$/g, '').replace(/""/g, '"').toLowerCase());
}
