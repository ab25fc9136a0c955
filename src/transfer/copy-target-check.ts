import { roleOf } from '../engines/registry.js';
import type { Dialect, Engine } from '../engine/types.js';
import { FerryError } from '../errors.js';
import type { Schema } from '../schema/model.js';
import type { CopyPlan } from './copy-types.js';
import { plainEpochUnit } from '../values/time-text.js';

/**
 * Checks the plan's tables against what the target already holds, before anything is written:
 * with --data-only each must exist; otherwise an existing table must be empty unless
 * --if-exists says truncate or append. Returns the names of the target tables that exist.
 */
export async function checkTargetTables(
  target: Engine,
  plan: CopyPlan,
  existing: Schema,
  options: { ifExists: 'fail' | 'truncate' | 'append'; dataOnly: boolean; partial: boolean },
): Promise<Set<string>> {
  const names = new Set(existing.tables.map((t) => t.name));
  const found = new Set<string>();
  const missing: string[] = [];
  const nonEmpty: string[] = [];
  for (const t of plan.tables) {
    if (!names.has(t.target)) {
      if (options.dataOnly) missing.push(t.target);
      continue;
    }
    found.add(t.target);
    if (options.ifExists === 'fail') {
      const rows = await target.countRows(t.target);
      if (rows > 0) nonEmpty.push(`${t.target} (${rows.toLocaleString('en-US')} rows)`);
    }
  }
  if (missing.length) {
    throw new FerryError('TABLE_MISSING', `--data-only needs the tables to exist in ${plan.to.displayUrl}; missing: ${missing.join(', ')}.`, {
      subject: missing[0],
      hint: 'Create them first (ferry copy --schema-only, or your own migrations), or leave out --data-only.',
    });
  }
  if (nonEmpty.length) {
    throw new FerryError('TARGET_NOT_EMPTY', `${plan.to.displayUrl} already has rows in ${nonEmpty.join(', ')}; nothing was written.`, {
      subject: nonEmpty[0],
      hint: 'Use --if-exists truncate to replace those rows, --if-exists append to add to them, or --exclude to leave the tables out.',
    });
  }
  return found;
}

/**
 * Makes the plan write into existing target tables as they are (the app's own schema, made by its
 * migrations): every planned column must exist, and each column keeps the target's own type. Values
 * are then converted into that type one by one (ISO or ORM date-time text into timestamptz, 0/1
 * into boolean, UUID text into uuid, numbers into numeric(p,s) or integer when exact); a value that
 * cannot be converted without loss is a reject with its reason, never rounded or cut.
 */
export function adoptExistingTables(plan: CopyPlan, existing: Schema, dialect: Dialect): void {
  const mapper = roleOf(dialect, 'typeMapper');
  // Where declared types do not bind values (SQLite), the plan's own conversions stay.
  const converted = roleOf(dialect, 'tableSink').bindsDeclaredTypes;
  for (const t of plan.tables) {
    const table = existing.tables.find((x) => x.name === t.target);
    if (!table) continue;
    for (const c of t.columns) {
      const col = table.columns.find((x) => x.name === c.target);
      if (!col) {
        throw new FerryError('COLUMN_MISSING', `The target table "${t.target}" has no column "${c.target}".`, {
          subject: `${t.target}.${c.target}`,
          hint: 'Add the column, map it to another name with copy.tables.<table>.columns.<column>.as in the config, or copy into a fresh table.',
        });
      }
      if (col.type === c.targetType) continue;
      const type = mapper.read({ table: t.target, column: c.target, declared: col.type, jsonb: false, integers: 'fit' }).type;
      c.targetType = col.type;
      if (!converted) continue;
      c.type = type;
      c.logical = type.logical;
      c.checkLimits = true;
      // The app's own migrations chose this type: a difference in meaning from the source's is theirs.
      c.configured = true;
      // What the source holds decides how it is read into the target's type.
      const p = c.profile;
      if ((type.logical === 'timestamp' || type.logical === 'timestamptz') && p) {
        if (p.integers > 0 && !c.epoch && p.minInteger !== undefined) c.epoch = plainEpochUnit(p.minInteger, p.maxInteger!);
        if (type.logical === 'timestamptz' && (p.textTimestamps ?? 0) + (p.textDates ?? 0) > 0) c.zonelessUtc = true;
      }
      if (type.logical !== 'timestamp' && type.logical !== 'timestamptz') delete c.epoch;
    }
  }
}
