/**
 * The type-mapper role of an engine: how its declared column types read into ferry's neutral
 * column type, and how a neutral type is written back as its own DDL. A copy plans each column as
 * "the source's mapper reads, the target's mapper writes", so no code outside the engines knows
 * which way a copy goes, and a third engine adds a mapper rather than a copy direction.
 */
import type { ColumnProfile, ColumnType, ValueStyle } from '../values/column-type.js';
import type { Column, Table } from '../schema/model.js';
import type { PlanWarning } from './table-plan.js';

/** A profile plus the facts only ferry's own round trip needs (decimal text in `NUMERIC_TEXT`). */
export interface ProfileFacts extends ColumnProfile {
  /** Text values that are plain decimal literals (counted only when asked). */
  textNumeric?: number;
}

/** How `ferry copy` sizes integer columns (`--integers`). */
export type IntegerPolicy = 'fit' | 'bigint';

/** Everything the type of one source column depends on. */
export interface ReadTypeInput {
  table: string;
  column: string;
  /** The declared type text as the source reports it. */
  declared: string;
  /** The column's collation when it is not the default (SQLite: NOCASE, RTRIM, ...). */
  collation?: string;
  /** What profiling found in the values (SQLite sources); without it the declared type decides. */
  profile?: ProfileFacts;
  /** A configured logical type (copy.tables.<t>.columns.<c>.type). */
  override?: string;
  /** Configured: integers are Unix times in these units. */
  epoch?: 'seconds' | 'milliseconds';
  /** JSON-declared columns become jsonb. */
  jsonb: boolean;
  /** Integer widths: fit the declared type and the values (default), or always 64 bits. */
  integers: IntegerPolicy;
}

/** What a source column reads as: the neutral type, how its values are read and written, warnings. */
export interface TypeReading {
  type: ColumnType;
  /** Integers are Unix times in these units (configured, or plain from the values). */
  epoch?: 'seconds' | 'milliseconds';
  /** Zone-less date-times in a zoned column are UTC. */
  zonelessUtc?: boolean;
  /** The text form the values are stored in (SQLite), for writing them back alike. */
  style?: ValueStyle;
  warnings: PlanWarning[];
}

/** An engine's type mapper. */
export interface TypeMapper {
  /** Reads a source column's declared type (and profile) into the neutral type. */
  read(input: ReadTypeInput): TypeReading;
  /** The DDL type (with any column collation) for a neutral type. */
  write(type: ColumnType): string;
  /** The engine gives the column its values itself without a declared default (SQLite's INTEGER PRIMARY KEY). */
  numbersItself?(table: Table, column: Column): boolean;
}
