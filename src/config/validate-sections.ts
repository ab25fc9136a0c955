import { durationMs } from '../util/duration.js';
import { LOGICAL_TYPES } from '../values/column-type.js';
import {
  INTEGER_POLICIES,
  VIRTUAL_TABLE_MODES,
  type CopyColumnConfig,
  type CopyConfig,
  type CopyTableConfig,
  type DatabaseConfig,
  type RequiredTable,
  type RevisionsConfig,
} from './types.js';
import { checkKeys, describe, expectNonEmptyString, expectRecord, formatPath, isRecord, optionalString, type Found, type Segment } from './validate-helpers.js';

const COPY_KEYS = [
  'from',
  'to',
  'include',
  'exclude',
  'batchSize',
  'parallel',
  'ifExists',
  'maxRejects',
  'jsonb',
  'integers',
  'virtualTables',
  'rejectFile',
  'tables',
];
const COPY_TABLE_KEYS = ['as', 'batchSize', 'columns'];
const COPY_COLUMN_KEYS = ['type', 'epoch', 'as'];

/** Checks the `copy` section (the same rules for JSON, YAML and TS configs). */
export function checkCopy(raw: unknown, at: Segment[], found: Found[]): CopyConfig {
  const out: CopyConfig = {};
  if (!expectRecord(raw, at, found)) return out;
  checkKeys(raw, at, COPY_KEYS, `in ${formatPath(at)}`, found);
  for (const key of ['from', 'to', 'rejectFile'] as const) {
    const v = optionalString(raw, key, at, found);
    if (v !== undefined) out[key] = v;
  }
  for (const key of ['include', 'exclude'] as const) {
    if (raw[key] !== undefined) {
      const list = stringList(raw[key], [...at, key], found);
      if (list) out[key] = list;
    }
  }
  for (const [key, min] of [
    ['batchSize', 1],
    ['parallel', 1],
    ['maxRejects', 0],
  ] as const) {
    if (raw[key] !== undefined) {
      const n = wholeNumber(raw[key], [...at, key], min, found);
      if (n !== undefined) out[key] = n;
    }
  }
  if (raw.ifExists !== undefined) {
    if (raw.ifExists === 'fail' || raw.ifExists === 'truncate' || raw.ifExists === 'append') out.ifExists = raw.ifExists;
    else
      found.push({
        segments: [...at, 'ifExists'],
        message: `${formatPath([...at, 'ifExists'])} must be "fail", "truncate" or "append", not ${describe(raw.ifExists)}.`,
        at: 'value',
      });
  }
  if (raw.jsonb !== undefined) {
    if (typeof raw.jsonb === 'boolean') out.jsonb = raw.jsonb;
    else found.push({ segments: [...at, 'jsonb'], message: `${formatPath([...at, 'jsonb'])} must be true or false, not ${describe(raw.jsonb)}.`, at: 'value' });
  }
  const choice = <T extends string>(key: 'integers' | 'virtualTables', allowed: readonly T[]): T | undefined => {
    const v = raw[key];
    if (v === undefined) return undefined;
    if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
    found.push({
      segments: [...at, key],
      message: `${formatPath([...at, key])} must be ${allowed.map((a) => `"${a}"`).join(' or ')}, not ${describe(v)}.`,
      at: 'value',
    });
    return undefined;
  };
  const integers = choice('integers', INTEGER_POLICIES);
  if (integers) out.integers = integers;
  const virtualTables = choice('virtualTables', VIRTUAL_TABLE_MODES);
  if (virtualTables) out.virtualTables = virtualTables;
  const tablesAt = [...at, 'tables'];
  if (raw.tables !== undefined && expectRecord(raw.tables, tablesAt, found)) {
    out.tables = Object.fromEntries(Object.entries(raw.tables).map(([name, value]) => [name, checkCopyTable(value, [...tablesAt, name], found)] as const));
  }
  return out;
}

function checkCopyTable(raw: unknown, at: Segment[], found: Found[]): CopyTableConfig {
  const out: CopyTableConfig = {};
  if (raw === null) return out;
  if (!expectRecord(raw, at, found, 'an object such as { "as": "new_name" }')) return out;
  checkKeys(raw, at, COPY_TABLE_KEYS, 'in a copy table override', found);
  if (raw.as !== undefined) {
    const as = expectNonEmptyString(raw.as, [...at, 'as'], found);
    if (as !== undefined) out.as = as;
  }
  if (raw.batchSize !== undefined) {
    const n = wholeNumber(raw.batchSize, [...at, 'batchSize'], 1, found);
    if (n !== undefined) out.batchSize = n;
  }
  const columnsAt = [...at, 'columns'];
  if (raw.columns !== undefined && expectRecord(raw.columns, columnsAt, found)) {
    out.columns = Object.fromEntries(Object.entries(raw.columns).map(([name, value]) => [name, checkCopyColumn(value, [...columnsAt, name], found)] as const));
  }
  return out;
}

function checkCopyColumn(raw: unknown, at: Segment[], found: Found[]): CopyColumnConfig {
  const out: CopyColumnConfig = {};
  if (!expectRecord(raw, at, found, 'an object such as { "type": "timestamptz" }')) return out;
  checkKeys(raw, at, COPY_COLUMN_KEYS, 'in a copy column override', found);
  // The type name itself is checked when the plan is built (TYPE_OVERRIDE lists the valid names
  // and says whether the column's values fit); here it only has to be a string.
  if (raw.type !== undefined) {
    const type = expectNonEmptyString(raw.type, [...at, 'type'], found, `a type name (${LOGICAL_TYPES.filter((t) => t !== 'pgtext').join(', ')})`);
    if (type !== undefined) out.type = type;
  }
  if (raw.epoch !== undefined) {
    if (raw.epoch === 'seconds' || raw.epoch === 'milliseconds') out.epoch = raw.epoch;
    else
      found.push({
        segments: [...at, 'epoch'],
        message: `${formatPath([...at, 'epoch'])} must be "seconds" or "milliseconds", not ${describe(raw.epoch)}.`,
        at: 'value',
      });
  }
  if (raw.as !== undefined) {
    const as = expectNonEmptyString(raw.as, [...at, 'as'], found);
    if (as !== undefined) out.as = as;
  }
  return out;
}

function stringList(raw: unknown, at: Segment[], found: Found[]): string[] | undefined {
  if (!Array.isArray(raw)) {
    found.push({ segments: at, message: `${formatPath(at)} must be a list of table names, not ${describe(raw)}.`, at: 'value' });
    return undefined;
  }
  const out: string[] = [];
  raw.forEach((item: unknown, i) => {
    const s = expectNonEmptyString(item, [...at, i], found);
    if (s !== undefined) out.push(s);
  });
  return out.length === raw.length ? out : undefined;
}

function wholeNumber(raw: unknown, at: Segment[], min: number, found: Found[]): number | undefined {
  if (typeof raw === 'number' && Number.isInteger(raw) && raw >= min) return raw;
  found.push({ segments: at, message: `${formatPath(at)} must be a whole number of at least ${min}, not ${describe(raw)}.`, at: 'value' });
  return undefined;
}

const REVISIONS_KEYS = ['dir', 'url', 'schema', 'lockTimeout'];

/** Checks the `revisions` section. */
export function checkRevisions(raw: unknown, at: Segment[], found: Found[]): RevisionsConfig {
  const out: RevisionsConfig = {};
  if (!expectRecord(raw, at, found)) return out;
  checkKeys(raw, at, REVISIONS_KEYS, `in ${formatPath(at)}`, found);
  for (const key of ['dir', 'url', 'schema'] as const) {
    const v = optionalString(raw, key, at, found);
    if (v !== undefined) out[key] = v;
  }
  const wait = raw.lockTimeout;
  if (wait !== undefined) {
    if ((typeof wait === 'number' && wait > 0) || (typeof wait === 'string' && durationMs(wait) !== undefined)) out.lockTimeout = wait;
    else
      found.push({
        segments: [...at, 'lockTimeout'],
        message: `${formatPath([...at, 'lockTimeout'])} must be a duration such as '5s' or '500ms' (or milliseconds).`,
        at: 'value',
      });
  }
  return out;
}

const DATABASE_KEYS = ['url', 'urlEnv', 'revisions', 'requiredTables', 'required', 'backups', 'timeout'];

/** Checks the `databases` section: each database names where to find it (`url` or `urlEnv`). */
export function checkDatabases(raw: unknown, at: Segment[], found: Found[]): Record<string, DatabaseConfig> {
  const out: Record<string, DatabaseConfig> = {};
  if (!expectRecord(raw, at, found)) return out;
  for (const [name, value] of Object.entries(raw)) {
    const here = [...at, name];
    if (!expectRecord(value, here, found)) continue;
    checkKeys(value, here, DATABASE_KEYS, `in ${formatPath(here)}`, found);
    const db: DatabaseConfig = {};
    for (const key of ['url', 'urlEnv', 'revisions', 'backups'] as const) {
      const v = optionalString(value, key, here, found);
      if (v !== undefined) db[key] = v;
    }
    if (db.url === undefined && db.urlEnv === undefined)
      found.push({ segments: here, message: `${formatPath(here)} needs "url" or "urlEnv" (the environment variable holding its URL).`, at: 'value' });
    if (value.required !== undefined) {
      if (typeof value.required === 'boolean') db.required = value.required;
      else found.push({ segments: [...here, 'required'], message: `${formatPath([...here, 'required'])} must be true or false.`, at: 'value' });
    }
    const timeout = value.timeout;
    if (timeout !== undefined) {
      if ((typeof timeout === 'number' && timeout > 0) || (typeof timeout === 'string' && durationMs(timeout) !== undefined)) db.timeout = timeout;
      else
        found.push({
          segments: [...here, 'timeout'],
          message: `${formatPath([...here, 'timeout'])} must be a duration such as '2s' (or milliseconds).`,
          at: 'value',
        });
    }
    if (value.requiredTables !== undefined) db.requiredTables = checkRequiredTables(value.requiredTables, [...here, 'requiredTables'], found);
    out[name] = db;
  }
  return out;
}

function checkRequiredTables(raw: unknown, at: Segment[], found: Found[]): RequiredTable[] {
  const bad = () =>
    found.push({ segments: at, message: `${formatPath(at)} must list table names, or { "table": "orders", "columns": ["id", "total"] }.`, at: 'value' });
  if (!Array.isArray(raw)) return (bad(), []);
  const out: RequiredTable[] = [];
  for (const item of raw) {
    if (typeof item === 'string' && item !== '') out.push(item);
    else if (
      isRecord(item) &&
      typeof item.table === 'string' &&
      (item.columns === undefined || (Array.isArray(item.columns) && item.columns.every((c) => typeof c === 'string')))
    )
      out.push({ table: item.table, ...(item.columns ? { columns: item.columns as string[] } : {}) });
    else bad();
  }
  return out;
}
