/**
 * Where a copied table came from, as `ferry copy` records it in its target (`_ferry_origin`): the
 * original CREATE TABLE, its indexes and triggers, the database's views, and per column the text
 * form or Unix unit the app stored its values in. A later copy back hands a table's origin to the
 * target engine's `originRecord` role, which recreates the app's own DDL from it.
 */
import type { ColumnPlan } from './table-plan.js';
import type { LogicalType, ValueStyle } from '../values/column-type.js';

/** One column as the source had it. */
export interface ColumnOrigin {
  /** The name in the source (the target may have renamed it). */
  source: string;
  /** The name in the target. */
  target: string;
  /** The declared type in the source. */
  declared: string;
  logical: LogicalType;
  epoch?: 'seconds' | 'milliseconds';
  /** Zone-less date-times in it are UTC. */
  zonelessUtc?: boolean;
  style?: ValueStyle;
  /** Its type was configured: a difference in meaning there was the user's choice. */
  configured?: boolean;
}

/** One table as the source had it. */
export interface TableOrigin {
  /** Source engine. */
  dialect: string;
  /** The table's name in the source. */
  table: string;
  /** The source's own CREATE TABLE. */
  sql: string;
  /** The source's own CREATE INDEX statements. */
  indexes: string[];
  /** The source's own CREATE TRIGGER statements on this table. */
  triggers: string[];
  columns: ColumnOrigin[];
  /** The target table existed before the copy (the app's own schema): its differences are the app's choice. */
  existing?: boolean;
}

/** Everything recorded in a target: per target table, and the source's views. */
export interface RecordedOrigin {
  tables: Record<string, TableOrigin>;
  views: string[];
}

/** A planned column as its origin records it. */
export function columnOrigin(c: ColumnPlan): ColumnOrigin {
  const o: ColumnOrigin = { source: c.source, target: c.target, declared: c.sourceType, logical: c.logical };
  if (c.epoch) o.epoch = c.epoch;
  if (c.zonelessUtc) o.zonelessUtc = true;
  if (c.style) o.style = c.style;
  if (c.configured) o.configured = true;
  return o;
}
