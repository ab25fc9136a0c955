/**
 * The declared schema for autogenerate: a `schema.sql` of the wanted DDL (or a TS module describing
 * the tables, see declared-schema-module.ts), read by building it on an empty scratch database of
 * the same engine and introspecting that. Letting the engine itself
 * parse the DDL means the declared model and the live model come out of the same introspector,
 * so the diff compares like with like (types, defaults and check texts as the engine prints them).
 */
import fs from 'node:fs';
import type { Dialect } from '../engine/types.js';
import { FerryError } from '../errors.js';
import { buildSchemaModule, importSchemaModule } from './declared-schema-module.js';
import { normaliseSchema } from './normalise-schema.js';
import { withScratchDatabase } from './scratch-database.js';
import type { Schema } from '../schema/model.js';
import type { RenameHint } from '../schema/plan-schema-change.js';
import { splitStatements } from './split-statements.js';

/** The wanted schema and the rename hints written in its file. */
export interface DeclaredSchema {
  schema: Schema;
  hints: RenameHint[];
}

const TABLE_HINT = /^\s*--\s*ferry:rename-table\s+(\S+)\s*->\s*(\S+)\s*$/;
const COLUMN_HINT = /^\s*--\s*ferry:rename-column\s+([^\s.]+)\.(\S+)\s*->\s*(\S+)\s*$/;

/**
 * Reads the rename hints of a declared schema: `-- ferry:rename-table old -> new` and
 * `-- ferry:rename-column table.old -> new`. A malformed `ferry:rename` line is an error rather
 * than silently ignored, because an ignored hint turns a rename into data loss.
 */
export function parseRenameHints(text: string, file: string): RenameHint[] {
  const hints: RenameHint[] = [];
  text.split(/\r?\n/).forEach((line, n) => {
    if (!/^\s*--\s*ferry:rename/.test(line)) return;
    const t = TABLE_HINT.exec(line);
    const c = COLUMN_HINT.exec(line);
    if (t) hints.push({ kind: 'table', from: t[1]!, to: t[2]! });
    else if (c) hints.push({ kind: 'column', table: c[1]!, from: c[2]!, to: c[3]! });
    else {
      throw new FerryError('CONFIG_INVALID', `${file}:${n + 1}: cannot read the rename hint "${line.trim()}".`, {
        subject: `${file}:${n + 1}`,
        hint: 'Write "-- ferry:rename-table old -> new" or "-- ferry:rename-column table.old -> new".',
      });
    }
  });
  return hints;
}

/**
 * Loads `file` (the wanted DDL) into an empty scratch database of `dialect` and introspects it.
 * `url` is the real database's URL: PostgreSQL needs its server for a temporary database.
 */
export async function loadDeclaredSchema(file: string, dialect: Dialect, url?: string): Promise<DeclaredSchema> {
  if (!fs.existsSync(file)) {
    throw new FerryError('USAGE', `There is no declared schema at ${file}.`, {
      subject: file,
      hint: 'Write the wanted DDL there, or point at it with --schema or revisions.schema in the config.',
    });
  }
  const text = fs.readFileSync(file, 'utf8');
  // A TS/JS module describes the schema as data; anything else is the wanted DDL.
  const module = /\.(ts|mts|js|mjs)$/.test(file) ? await importSchemaModule(file) : null;
  const hints = module ? (module.renames ?? []) : parseRenameHints(text, file);
  const schema = await withScratchDatabase(dialect, url, 'Autogenerate (loading the declared schema)', async (engine) => {
    if (module) await buildSchemaModule(engine, module, file);
    else
      for (const st of splitStatements(text, dialect, 1)) {
        try {
          await engine.exec(st.sql);
        } catch (e) {
          throw new FerryError('CONFIG_INVALID', `${file}:${st.line}: the declared schema does not run: ${(e as Error).message}`, {
            subject: `${file}:${st.line}`,
            hint: 'Fix the DDL in the declared schema.',
          });
        }
      }
    return normaliseSchema(await engine.introspect());
  });
  return { schema, hints };
}
