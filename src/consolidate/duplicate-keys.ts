import { fileRoleOf } from '../backup/file-database.js';
import type { Engine } from '../engine/types.js';
import type { DuplicateKeys, PlannedPiece, PlannedTable, PlannedTarget } from './plan-types.js';

export { formatKey } from '../values/key-text.js';

/**
 * Counts keys shared by two sources of one target table (for the dry-run), for every pair of
 * sources of every merged table. The engine probes one source's keys in the other; both files
 * stay read-only.
 */
export async function findDuplicateKeys(targets: PlannedTarget[], open: (file: string) => Promise<Engine>): Promise<DuplicateKeys[]> {
  const out: DuplicateKeys[] = [];
  for (const target of targets) {
    for (const table of target.tables) {
      const keys = table.keys.length ? table.keys : table.wholeRowKey ? [table.wholeRowKey] : [];
      if (table.pieces.length < 2 || keys.length === 0) continue;
      for (let j = 1; j < table.pieces.length; j++) {
        for (let i = 0; i < j; i++) out.push(...(await sharedBetween(target, table, keys, table.pieces[i]!, table.pieces[j]!, open)));
      }
    }
  }
  return out;
}

/** Keys of the later piece `b` already in the earlier piece `a`, per key of the table. */
async function sharedBetween(
  target: PlannedTarget,
  table: PlannedTable,
  keys: string[][],
  a: PlannedPiece,
  b: PlannedPiece,
  open: (file: string) => Promise<Engine>,
): Promise<DuplicateKeys[]> {
  const out: DuplicateKeys[] = [];
  const role = fileRoleOf(a.sourcePath, 'consolidation');
  const ea = await open(a.sourcePath);
  const eb = await open(b.sourcePath).catch(async (e: unknown) => {
    await ea.close();
    throw e;
  });
  try {
    for (const key of keys) {
      const exprA = key.map((c) => a.exprs[a.columns.indexOf(c)]!);
      const exprB = key.map((c) => b.exprs[b.columns.indexOf(c)]!);
      const found = await role.countSharedKeys(
        { db: ea, table: a.sourceTable, exprs: exprA },
        { db: eb, table: b.sourceTable, exprs: exprB },
        { wholeRow: !table.keys.length, subject: `${a.sourcePath} or ${b.sourcePath}` },
      );
      if (found.count > 0)
        out.push({
          target: target.file,
          table: table.name,
          sources: [a.source, b.source],
          count: found.count,
          examples: found.examples,
          policy: b.onConflict,
          ...(table.keys.length ? {} : { wholeRow: true }),
        });
    }
  } finally {
    await ea.close();
    await eb.close();
  }
  return out;
}
