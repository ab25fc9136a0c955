/**
 * UUIDs as text: the forms apps write into SQLite (36 characters with hyphens in either case, or
 * SQLAlchemy's 32 hex digits) read into PostgreSQL's canonical lower-case form, and written back in
 * the column's own style.
 */
import type { UuidStyle } from './column-type.js';

const HYPHENATED = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const COMPACT = /^[0-9a-fA-F]{32}$/;

/** The canonical `8-4-4-4-12` lower-case form of a UUID text, or null when it is not one. */
export function canonicalUuid(text: string): string | null {
  if (HYPHENATED.test(text)) return text.toLowerCase();
  if (COMPACT.test(text)) {
    const t = text.toLowerCase();
    return `${t.slice(0, 8)}-${t.slice(8, 12)}-${t.slice(12, 16)}-${t.slice(16, 20)}-${t.slice(20)}`;
  }
  return null;
}

/** A canonical UUID written in a column's style. */
export function formatUuid(canonical: string, style: UuidStyle | undefined): string {
  if (!style) return canonical;
  const t = style.compact ? canonical.replaceAll('-', '') : canonical;
  return style.upper ? t.toUpperCase() : t;
}
