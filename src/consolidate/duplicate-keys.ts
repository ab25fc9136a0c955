import type { SqliteEngine } from '../engines/sqlite/sqlite-engine.js';
import { sqliteError } from '../engines/sqlite/sqlite-errors.js';
import { quoteSqliteIdent } from '../engines/sqlite/sqlite-tokens.js';
import type { DuplicateKeys, PlannedTarget } from './plan-types.js';

const PROBE_BATCH = 400;

/**
 * Counts keys shared by two sources of one target table (for the dry-run). Keys of the later
 * source are streamed in batches and probed in the earlier one with `IN (...)`, which uses the
 * key's index; both files stay read-only and nothing is attached.
 */
export function findDuplicateKeys(targets: PlannedTarget[], open: (file: string) => SqliteEngine): DuplicateKeys[] {
  const out: DuplicateKeys[] = [];
  for (const target of targets) {
    for (const table of target.tables) {
      const keys = table.keys.length ? table.keys : table.wholeRowKey ? [table.wholeRowKey] : [];
      if (table.pieces.length < 2 || keys.length === 0) continue;
      for (let j = 1; j < table.pieces.length; j++) {
        for (let i = 0; i < j; i++) {
          const a = table.pieces[i]!;
          const b = table.pieces[j]!;
          const ea = open(a.sourcePath);
          const eb = open(b.sourcePath);
          try {
            for (const key of keys) {
              const exprA = key.map((c) => a.exprs[a.columns.indexOf(c)]!);
              const exprB = key.map((c) => b.exprs[b.columns.indexOf(c)]!);
              let found: { count: number; examples: string[] };
              try {
                found = countShared(ea, a.sourceTable, exprA, eb, b.sourceTable, exprB, !table.keys.length);
              } catch (e) {
                throw sqliteError(e, `${a.sourcePath} or ${b.sourcePath}`, 'comparing keys of');
              }
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
            ea.db.close();
            eb.db.close();
          }
        }
      }
    }
  }
  return out;
}

/**
 * A key with a NULL never collides with a unique key, so such rows are skipped. A whole row is
 * different: onConflict skip drops a row equal to one already there, NULLs included, so rows
 * with NULLs are probed one by one with `IS` (SQLite's NULL-safe equality).
 */
function countShared(
  ea: SqliteEngine,
  ta: string,
  exprA: string[],
  eb: SqliteEngine,
  tb: string,
  exprB: string[],
  wholeRow: boolean,
): { count: number; examples: string[] } {
  const read = eb.db
    .prepare(`SELECT ${exprB.join(', ')} FROM ${quoteSqliteIdent(tb)}${wholeRow ? '' : ` WHERE ${exprB.map((e) => `${e} IS NOT NULL`).join(' AND ')}`}`)
    .raw(true);
  const nullSafe = wholeRow
    ? ea.db.prepare(`SELECT ${exprA.join(', ')} FROM ${quoteSqliteIdent(ta)} WHERE ${exprA.map((e) => `${e} IS ?`).join(' AND ')}`).raw(true)
    : null;
  const width = exprA.length;
  const probes = new Map<number, ReturnType<typeof ea.db.prepare>>();
  const probe = (n: number) => {
    let st = probes.get(n);
    if (!st) {
      const lhs = width === 1 ? exprA[0]! : `(${exprA.join(', ')})`;
      const rhs =
        width === 1
          ? Array(n).fill('?').join(', ')
          : `VALUES ${Array(n)
              .fill(`(${Array(width).fill('?').join(', ')})`)
              .join(', ')}`;
      st = ea.db.prepare(`SELECT ${exprA.join(', ')} FROM ${quoteSqliteIdent(ta)} WHERE ${lhs} IN (${rhs})`).raw(true);
      probes.set(n, st);
    }
    return st;
  };
  let count = 0;
  const examples: string[] = [];
  let batch: unknown[][] = [];
  const flush = () => {
    if (!batch.length) return;
    const rows = probe(batch.length).all(batch.flat()) as unknown[][];
    count += rows.length;
    for (const r of rows) if (examples.length < 5) examples.push(formatKey(r));
    batch = [];
  };
  for (const row of read.iterate() as IterableIterator<unknown[]>) {
    if (nullSafe && row.some((v) => v === null)) {
      const rows = nullSafe.all(row) as unknown[][];
      count += rows.length;
      for (const r of rows) if (examples.length < 5) examples.push(formatKey(r));
      continue;
    }
    batch.push(row);
    if (batch.length >= PROBE_BATCH) flush();
  }
  flush();
  return { count, examples };
}

/** A key as people read it: (1) or (1, 'a'). */
export function formatKey(values: unknown[]): string {
  const parts = values.map((v) => (typeof v === 'string' ? `'${v}'` : v instanceof Uint8Array ? `x'${Buffer.from(v).toString('hex')}'` : String(v)));
  return parts.length === 1 ? parts[0]! : `(${parts.join(', ')})`;
}
