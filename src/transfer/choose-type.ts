/**
 * Glue of choosing a column's type: the source engine's mapper reads, the target's mapper writes.
 * The rules live in each engine's type mapper (each engine's -type-mapper.ts).
 */
import type { ReadTypeInput, TypeMapper, TypeReading } from '../engine/type-mapper.js';

/** A column's chosen type: what it reads as, and the target's DDL for it. */
export interface TypeChoice extends TypeReading {
  targetType: string;
}

/** Reads a source column with the source engine's mapper and writes it with the target's. */
export function chooseType(input: ReadTypeInput, from: TypeMapper, to: TypeMapper): TypeChoice {
  const reading = from.read(input);
  return { ...reading, targetType: to.write(reading.type) };
}
