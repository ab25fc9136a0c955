/** What `ferry copy` reads about a SQLite source table before planning it: one profiling scan. */
import type { ColumnSettings, TableFacts } from '../../engine/copy-roles.js';
import type { ProfileFacts } from '../../engine/type-mapper.js';
import { resolveOverride } from '../../engine/type-overrides.js';
import type { Table } from '../../schema/model.js';
import type { SqliteEngine } from './sqlite-engine.js';
import { profileSqliteTableFull, sqliteSequenceValue, type ProfileColumnRequest } from './sqlite-profile.js';
import { profileRequestFor } from './sqlite-type-mapper.js';

/** A SQLite table's facts: one profiling scan, the rowid alias and its sequence floor. */
export function sqliteTableFacts(engine: SqliteEngine, t: Table, columnConfig: ColumnSettings): TableFacts {
  const requests: ProfileColumnRequest[] = t.columns.map((c) => {
    const override = columnConfig[c.name]?.type;
    return profileRequestFor(c.name, c.type, override === undefined ? undefined : resolveOverride(override, `${t.name}.${c.name}`));
  });
  const rowid = !t.withoutRowid;
  const profile = engine.run(`profiling table "${t.name}" of`, () => profileSqliteTableFull(engine.db, t.name, requests, rowid));
  const profiles = new Map<string, ProfileFacts>(t.columns.map((c, i) => [c.name, profile.columns[i]!]));
  const facts: TableFacts = { rows: profile.rows, profiles };
  // Only `INTEGER PRIMARY KEY` (exactly that type name) on a rowid table is the rowid alias.
  const pk = t.primaryKey;
  if (rowid && pk && pk.columns.length === 1 && t.columns.find((c) => c.name === pk.columns[0])?.type.toUpperCase() === 'INTEGER') {
    facts.identityColumn = pk.columns[0];
    const seq = pk.autoincrement ? sqliteSequenceValue(engine.db, t.name) : null;
    const max = profile.maxRowid ?? 0n;
    facts.sequenceFloor = seq !== null && seq > max ? seq : max;
  }
  return facts;
}
