/**
 * Passwords never printed: masking of URLs and of every secret this process has seen, wherever it
 * appears in a message, and the one BAD_URL error every engine's URL parser throws.
 */
import { FerryError } from '../errors.js';

/** Passwords this process has seen (in URLs, PGPASSWORD, ~/.pgpass); never printed. */
const secrets = new Set<string>();
/** Shorter secrets are not scrubbed from free text: they would mangle ordinary words. */
const MIN_SCRUBBED_SECRET = 4;
/** Passwords that are words ferry prints anyway; scrubbing them would garble every message. */
const NOT_SCRUBBED = new Set(['postgres', 'postgresql', 'sqlite', 'password']);

/**
 * Remembers a password so that maskPassword removes it from any text, in the forms it may take
 * there (as is, percent-encoded, JSON-escaped). A password equal to the user name (which messages
 * print) or to a word such as "postgres" is not scrubbed: that would garble every message.
 */
export function rememberSecret(secret: string | undefined | null, user?: string): void {
  if (!secret || secret.length < MIN_SCRUBBED_SECRET) return;
  if (NOT_SCRUBBED.has(secret.toLowerCase()) || (user !== undefined && secret.toLowerCase() === user.toLowerCase())) return;
  const forms = new Set([secret, encodeURIComponent(secret)]);
  try {
    const u = new URL('postgres://h');
    u.password = secret;
    forms.add(u.password);
  } catch {
    // Not every string can be set; the other forms still count.
  }
  for (const form of [...forms]) forms.add(JSON.stringify(form).slice(1, -1));
  for (const form of forms) if (form.length >= MIN_SCRUBBED_SECRET) secrets.add(form);
}

/** Forgets every remembered password (for tests of maskPassword's own rules). */
export function forgetSecrets(): void {
  secrets.clear();
}

const SCHEME = /[a-z][a-z0-9+.-]*:\/\//gi;
/** A `password=` parameter's value runs to `&`, `#` or a space (or a `"` or `\`, which end a JSON string). */
export const QUERY_PASSWORD = /([?&](?:password|sslpassword)=)[^&#\s"\\]*/gi;

/**
 * Replaces the password in any URL-looking text with `***`, so the text can be printed. It copes
 * with passwords that were not percent-encoded (spaces, `@`, `/`, `?`, `#`, `:` inside them): a
 * URL's password runs from the first `:` after `scheme://` to the last `@` on the same line (and
 * before the next URL). `password=` query parameters are masked too, and so is any password this
 * process has seen (see rememberSecret), wherever it appears. Over-masking (an e-mail address
 * later on the same line) is accepted; leaking is not.
 */
export function maskPassword(text: string): string {
  let out = '';
  let done = 0;
  // A URL starts at the text's start or after a space, quote, bracket, '=' or ','; "x://" inside
  // a password (postgres://app://pw@h) starts none.
  const starts = [...text.matchAll(SCHEME)]
    .filter((m) => m.index === 0 || /[\s"'`(<[{=,;]/.test(text[m.index! - 1]!))
    .map((m) => ({ at: m.index!, body: m.index! + m[0].length }));
  for (let i = 0; i < starts.length; i++) {
    const s = starts[i]!.body;
    if (s < done) continue;
    const lineEnd = text.slice(s).search(/[\r\n]/);
    let end = lineEnd < 0 ? text.length : s + lineEnd;
    const next = starts.find((x, j) => j > i && x.at >= s);
    if (next && next.at < end) end = next.at;
    out += text.slice(done, s) + maskAuthority(text.slice(s, end));
    done = end;
  }
  out += text.slice(done);
  return scrubSecrets(out);
}

/** Masks the password in the text after `scheme://` (up to the line's end or the next URL). */
function maskAuthority(span: string): string {
  const colon = span.indexOf(':');
  const userEnd = span.search(/[/?#\s"'`\\]/);
  // A ':' after a '/', '?' or '#' (or a space) is not the user:password separator.
  if (colon < 0 || (userEnd >= 0 && userEnd < colon) || span.startsWith('[')) return span.replace(QUERY_PASSWORD, '$1***');
  // Already masked (ferry's own display URLs): leave it, and what follows, alone.
  if (span.startsWith('***@', colon + 1)) return span.replace(QUERY_PASSWORD, '$1***');
  // `user@host:port`: the ':' is the port's, and there is no password (a later '@' on the line,
  // as in `user "app@corp"`, is not the end of one).
  if (span.slice(0, colon).includes('@')) return span.replace(QUERY_PASSWORD, '$1***');
  // The password runs to the last '@': the host after it never holds one, and a raw password may.
  const at = span.lastIndexOf('@');
  if (at > colon) return `${span.slice(0, colon + 1)}***${span.slice(at).replace(QUERY_PASSWORD, '$1***')}`;
  // No '@' after it: `host:port` is fine; anything else after the ':' (`user:secret` with the host
  // forgotten, or a password with a raw '/') is masked up to the next space.
  const authorityEnd = span.slice(colon + 1).search(/[/?#\s"'`\\]/);
  const port = authorityEnd < 0 ? span.slice(colon + 1) : span.slice(colon + 1, colon + 1 + authorityEnd);
  if (colon === 0 || /^[\d:]*$/.test(port) || port.includes(',')) return span.replace(QUERY_PASSWORD, '$1***');
  const wordEnd = span.slice(colon + 1).search(/[\s"'`\\]/);
  return `${span.slice(0, colon + 1)}***${wordEnd < 0 ? '' : span.slice(colon + 1 + wordEnd)}`;
}

function scrubSecrets(text: string): string {
  if (secrets.size === 0) return text;
  // Longest first, so a secret containing another is replaced whole.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (text.includes(secret)) text = text.split(secret).join('***');
  }
  return text;
}

// ---------------------------------------------------------------------------------------------
// Parsing

/** An input that is no URL ferry reads: anything between its scheme and its last '@' is hidden. */
export function redactUnknown(text: string): string {
  if (!text.includes('@')) return maskPassword(text);
  const m = /^([a-z][a-z0-9+.-]*:\/*)/i.exec(text);
  return `${m ? m[1] : ''}***${text.slice(text.lastIndexOf('@'))}`;
}

export function badUrl(display: string, why: string, hint?: string): FerryError {
  return new FerryError('BAD_URL', `Cannot use "${display}" as a database: ${why}.`, {
    subject: display,
    hint:
      hint ??
      'Use sqlite:path/to/file.db, sqlite::memory:, a path ending in .db/.sqlite, or postgres://user@host:port/db (the password percent-encoded, or in PGPASSWORD or ~/.pgpass).',
  });
}
