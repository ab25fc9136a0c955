import { FerryError } from '../errors.js';
import type { RevisionGraph } from './revision-graph.js';

/** The database's applied revisions, derived from the stored heads and the graph. */
export function appliedSet(graph: RevisionGraph, heads: string[], where: string): Set<string> {
  const applied = new Set<string>();
  for (const h of heads) {
    if (!graph.get(h)) {
      throw new FerryError('CONFLICT', `${where} is at revision ${h}, which none of the revision files defines.`, {
        subject: h,
        hint: 'Restore the missing revision file (from version control), or mark the database as being at a known revision with ferry stamp.',
      });
    }
    applied.add(h);
    for (const a of graph.ancestors(h)) applied.add(a.id);
  }
  return applied;
}
