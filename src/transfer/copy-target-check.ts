import type { Engine } from '../engine/types.js';
import { FerryError, isFerryError } from '../errors.js';
import type { Schema } from '../schema/model.js';
import { chooseType, logicalFromPostgresType } from './choose-type.js';
import type { CopyPlan } from './copy-types.js';

/**
 * Checks the plan's tables against what the target already holds, before anything is written:
 * with --data-only each must exist; otherwise an existing table must be empty unless
 * --if-exists says truncate or append. Returns the names of the target tables that exist.
 */
export async function checkTargetTables(target: Engine, plan: CopyPlan, existing: Schema, options: { ifExists: 'fail' | 'truncate' | 'append'; dataOnly: boolean; partial: boolean }): Promise<Set<string>> {
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
 * Makes the plan write into existing target tables as they are: every planned column must exist,
 * and PostgreSQL columns keep their own type (the COPY encoder writes that type), provided the
 * source's values fit it; a column whose values cannot be held fails here, before any write.
 */
export function adoptExistingTables(plan: CopyPlan, existing: Schema, dialect: 'sqlite' | 'postgres'): void {
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
      if (dialect !== 'postgres' || col.type === c.targetType) continue;
      const logical = logicalFromPostgresType(col.type);
      if (logical !== c.logical) {
        try {
          chooseType({ table: t.source, column: c.source, declared: c.sourceType, profile: c.profile, override: logical, epoch: c.epoch, direction: 'sqlite-to-postgres' });
        } catch (e) {
          if (!isFerryError(e)) throw e;
          throw new FerryError('INCOMPATIBLE_COLUMNS', `The target column ${t.target}.${c.target} is ${col.type}, which cannot hold the source's values: ${e.message}`, {
            subject: `${t.target}.${c.target}`,
            hint: 'Change the target column type, or copy into a fresh table so ferry picks a type that fits.',
          });
        }
      }
      c.logical = logical;
      c.targetType = col.type;
    }
  }
}
