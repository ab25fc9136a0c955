import fs from 'node:fs';
import path from 'node:path';

/**
 * Writes a SQL revision file in ferry's format into `dir` and returns its path. A null `up` or
 * `down` leaves that section out (to test files without one); `fileId` names the file with
 * another id than the one inside (to test a copied file).
 */
export function sqlRevision(dir: string, id: string, parents: string[], message: string, up: string | null, down: string | null, fileId = id): string {
  const file = path.join(dir, `${fileId}_${message.replace(/\W+/g, '_')}.sql`);
  const lines = [`-- ferry:revision ${id}`, ...(parents.length ? [`-- ferry:parents ${parents.join(' ')}`] : []), `-- ferry:message ${message}`];
  if (up !== null) lines.push('-- ferry:up', up);
  if (down !== null) lines.push('-- ferry:down', down);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}
