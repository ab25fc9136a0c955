import { driverOf } from '../engines/registry.js';
import type { Schema } from '../schema/model.js';

/**
 * An introspected schema with what schema operations need filled in by the engine's
 * schemaNormaliser role (SQLite: constraint names, which its PRAGMAs do not report but reverse and
 * drop ops need); as it is when the engine's introspection is already complete.
 */
export async function normaliseSchema(schema: Schema): Promise<Schema> {
  const normalise = driverOf(schema).roles.schemaNormaliser;
  return normalise ? normalise(schema) : schema;
}
