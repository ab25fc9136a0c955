/**
 * Type-override names as users write them in the config (logical names and engine spellings), the
 * errors for overrides that cannot hold a column, and how a profile is described in messages.
 * Shared by every engine's type mapper.
 */
import { FerryError } from '../errors.js';
import { LOGICAL_TYPES, type ColumnProfile, type LogicalType } from '../values/column-type.js';

/** Override spellings accepted besides the logical names, all lower case. */
const ALIASES: Record<string, LogicalType> = {
  bigint: 'int64',
  int8: 'int64',
  integer: 'int64',
  int: 'int64',
  int4: 'int64',
  smallint: 'int64',
  int2: 'int64',
  'double precision': 'float64',
  double: 'float64',
  float8: 'float64',
  float: 'float64',
  real: 'float64',
  float4: 'float64',
  decimal: 'numeric',
  bool: 'boolean',
  varchar: 'text',
  string: 'text',
  'character varying': 'text',
  bytea: 'bytes',
  blob: 'bytes',
  'timestamp without time zone': 'timestamp',
  datetime: 'timestamp',
  'timestamp with time zone': 'timestamptz',
  'time without time zone': 'time',
};

/** Resolves an override name (logical name or alias) or throws TYPE_OVERRIDE listing the valid names. */
export function resolveOverride(name: string, where: string): LogicalType {
  const key = name.trim().toLowerCase().replace(/\s+/g, ' ');
  if ((LOGICAL_TYPES as readonly string[]).includes(key)) return key as LogicalType;
  const alias = ALIASES[key];
  if (alias) return alias;
  throw new FerryError('TYPE_OVERRIDE', `${where}: unknown type override ${JSON.stringify(name)}.`, {
    subject: where,
    hint: `Use one of: ${LOGICAL_TYPES.filter((t) => t !== 'pgtext').join(', ')} (PostgreSQL names such as bigint, double precision, timestamptz also work).`,
  });
}

/** The integer width an override name asks for (`integer` 32 bits, `smallint` 16), if it names one. */
export function overrideIntBits(name: string): 16 | 32 | 64 | undefined {
  const key = name.trim().toLowerCase();
  if (key === 'integer' || key === 'int' || key === 'int4') return 32;
  if (key === 'smallint' || key === 'int2') return 16;
  if (key === 'bigint' || key === 'int8' || key === 'int64') return 64;
  return undefined;
}

/** "12 integer, 3 text" for messages. */
export function describe(p: ColumnProfile): string {
  const parts = (
    [
      ['integer', p.integers],
      ['real', p.reals],
      ['text', p.texts],
      ['blob', p.blobs],
    ] as const
  )
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`);
  return parts.length ? parts.join(', ') : 'only NULLs';
}

/** The TYPE_OVERRIDE error for an override that cannot hold what the column holds. */
export function overrideError(where: string, override: string, found: string, logical: LogicalType): FerryError {
  return new FerryError('TYPE_OVERRIDE', `${where}: the type override ${JSON.stringify(override)} (${logical}) cannot hold what the column holds: ${found}.`, {
    subject: where,
    hint: 'Remove the override or pick a type that holds every value (text holds anything but blobs).',
  });
}
