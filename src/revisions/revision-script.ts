import { durationMs } from '../util/duration.js';
import { FerryError } from '../errors.js';
import { importUserModule } from '../util/import-module.js';
import type { Revision, RevisionContext, RevisionSection } from './revision-types.js';
import { REVISION_ID, checkFileName, displayPath, normaliseText, oneLine, withChecksum, type NewRevisionOptions } from './revision-text.js';

type RevisionFn = (ctx: RevisionContext) => Promise<void> | void;
type ScriptModule = Record<string, unknown>;

// `export const name[: type] = ` at the start of a line; the value is read by readLiteral.
const EXPORT_CONST = /^[ \t]*export[ \t]+(?:const|let|var)[ \t]+(revision|parents|message|transactional|lockTimeout)\b[^=\n]*=[ \t]*/gm;
const EXPORT_FN = /^[ \t]*export[ \t]+(?:(?:async[ \t]+)?function\*?[ \t]*|(?:const|let|var)[ \t]+)(up|down)\b/gm;
const EXPORT_LIST = /^[ \t]*export[ \t]*\{([^}]*)\}/gm;

/**
 * Reads a TS/JS revision WITHOUT running it: `revision`, `parents`, `message` and `transactional`
 * come from its `export const` lines, which must therefore hold literals ('id', ['a', 'b'], false).
 * Importing thousands of modules through jiti would take seconds; a text scan takes microseconds.
 * `up.fn`/`down.fn` import the module on first call (once per loaded revision).
 */
export function scanScriptRevision(text: string, file: string): Revision {
  const t = normaliseText(text);
  const values = new Map<string, { value: unknown; line: number }>();
  for (const m of t.matchAll(EXPORT_CONST)) {
    const line = lineAt(t, m.index!);
    const literal = readLiteral(t, m.index! + m[0].length);
    if (literal === undefined) invalid(file, `"export const ${m[1]}" must be a literal value (ferry reads it without running the file).`, line);
    values.set(m[1], { value: literal!.value, line });
  }
  const fns = new Set<string>();
  for (const m of t.matchAll(EXPORT_FN)) fns.add(m[1]);
  for (const m of t.matchAll(EXPORT_LIST))
    for (const part of m[1].split(','))
      fns.add(
        part
          .trim()
          .split(/\s+as\s+/)
          .pop()!,
      );

  const rev = values.get('revision');
  if (!rev) invalid(file, 'exports no revision id.', undefined, "Add `export const revision = '<id>';` (a string literal).");
  const id = rev!.value;
  if (typeof id !== 'string' || !REVISION_ID.test(id) || ['head', 'heads', 'base'].includes(id)) {
    invalid(file, `${JSON.stringify(id)} is not a valid revision id (lowercase letters, digits and _; not head, heads or base).`, rev!.line);
  }
  const parents = toParents(values.get('parents'), file);
  const message = values.get('message')?.value ?? '';
  if (typeof message !== 'string') invalid(file, '"message" must be a string.', values.get('message')!.line);
  const transactional = values.get('transactional')?.value ?? true;
  if (typeof transactional !== 'boolean') invalid(file, '"transactional" must be true or false.', values.get('transactional')!.line);
  // `export const lockTimeout = '5s'`: as `-- ferry:lock-timeout` in a SQL revision.
  const lockTimeout = values.get('lockTimeout');
  const lockTimeoutMs = lockTimeout === undefined ? undefined : typeof lockTimeout.value === 'string' ? durationMs(lockTimeout.value) : undefined;
  if (lockTimeout && lockTimeoutMs === undefined) invalid(file, "\"lockTimeout\" must be a duration string such as '500ms', '5s' or '1min'.", lockTimeout.line);
  if (!fns.has('up')) invalid(file, 'exports no up function.', undefined, 'Add `export async function up(ctx) { ... }`.');
  checkFileName(file, id as string, rev!.line);

  const load = lazyImport(file);
  const lazy = (name: 'up' | 'down'): RevisionSection => ({ fn: async (ctx) => (await load())[name](ctx) });
  const revision = {
    id: id as string,
    parents,
    message: message as string,
    file,
    kind: 'script' as const,
    transactional: transactional as boolean,
    ...(lockTimeoutMs ? { lockTimeoutMs } : {}),
  };
  return withChecksum({ ...revision, up: lazy('up'), down: fns.has('down') ? lazy('down') : null }, text);
}

/**
 * Imports a script revision now and returns it with the module's real functions. The migrator calls
 * this for every script of a plan before running any of it, so a syntax error (CONFIG_SYNTAX, with
 * file and line) or an export that disagrees with the text scan (CONFIG_INVALID) changes nothing.
 */
export async function importScriptRevision(revision: Revision): Promise<Revision> {
  if (revision.kind !== 'script') return revision;
  const mod = await importModule(revision.file);
  const { up, down } = checkModule(mod, revision);
  const transactional = mod.transactional === undefined ? true : mod.transactional !== false;
  return { ...revision, up: { fn: up }, down: down ? { fn: down } : null, transactional };
}

function lazyImport(file: string): () => Promise<{ up: RevisionFn; down: RevisionFn }> {
  let pending: Promise<{ up: RevisionFn; down: RevisionFn }> | undefined;
  return () =>
    (pending ??= importModule(file).then(
      (mod) => {
        if (typeof mod.up !== 'function') invalid(file, 'exports no up function.');
        const missing = () => invalid(file, 'exports no down function.');
        return { up: mod.up as RevisionFn, down: typeof mod.down === 'function' ? (mod.down as RevisionFn) : missing };
      },
      (err: unknown) => {
        // Forget a failure, so a long-lived caller that fixes the file can try again.
        pending = undefined;
        throw err;
      },
    ));
}

function checkModule(mod: ScriptModule, revision: Revision): { up: RevisionFn; down: RevisionFn | null } {
  const { file } = revision;
  if (mod.revision !== revision.id)
    invalid(
      file,
      `exports revision ${JSON.stringify(mod.revision)} when run, but ${revision.id} when read; keep \`export const revision\` a plain string literal.`,
    );
  const parents = mod.parents === undefined || mod.parents === null ? [] : Array.isArray(mod.parents) ? mod.parents : [mod.parents];
  if (parents.join(' ') !== revision.parents.join(' '))
    invalid(file, 'exports different parents when run than when read; keep `export const parents` a literal array of ids.');
  if (typeof mod.up !== 'function') invalid(file, 'exports no up function.');
  return { up: mod.up as RevisionFn, down: typeof mod.down === 'function' ? (mod.down as RevisionFn) : null };
}

/** jiti, created once: moduleCache off so an edited file is re-read, fsCache off so nothing is written. */
async function importModule(file: string): Promise<ScriptModule> {
  try {
    return (await importUserModule(file)) as ScriptModule;
  } catch (err) {
    throw scriptError(err, file);
  }
}

/** A jiti transform failure ("ParseError: reason \n file:line:col") or SyntaxError is CONFIG_SYNTAX. */
function scriptError(err: unknown, file: string): FerryError {
  const message = err instanceof Error ? err.message : String(err);
  const transform = /^(\w+): ([\s\S]*?)\s*\n\s*(.+):(\d+):(\d+)\s*$/.exec(message);
  const stackLine = /:(\d+):\d+\)?$/m.exec((err instanceof Error ? (err.stack ?? '') : '').split('\n').find((l) => l.includes(file + ':')) ?? '');
  const line = transform ? Number(transform[4]) || undefined : stackLine ? Number(stackLine[1]) : undefined;
  const reason = transform ? transform[2].trim() : message.split('\n')[0].trim();
  const syntax = transform !== null || err instanceof SyntaxError;
  return new FerryError(
    syntax ? 'CONFIG_SYNTAX' : 'CONFIG_INVALID',
    `${syntax ? 'Syntax error in' : 'Loading failed:'} ${displayPath(file)}${line ? `:${line}` : ''}: ${reason}`,
    {
      subject: file,
      hint: syntax
        ? 'Fix the code at that spot; ferry runs revisions with jiti, which strips types but does not type-check.'
        : 'The revision threw while loading; fix it.',
      data: { file, ...(line ? { line } : {}) },
      cause: err,
    },
  );
}

function invalid(file: string, message: string, line?: number, hint?: string): never {
  throw new FerryError('CONFIG_INVALID', `${displayPath(file)}${line ? `:${line}` : ''}: ${message}`, {
    subject: file,
    hint,
    data: { file, ...(line ? { line } : {}) },
  });
}

function toParents(entry: { value: unknown; line: number } | undefined, file: string): string[] {
  const value = entry?.value;
  if (value === undefined || value === null) return [];
  const list = typeof value === 'string' ? (value === '' ? [] : [value]) : value;
  if (!Array.isArray(list) || !list.every((p) => typeof p === 'string' && REVISION_ID.test(p)))
    invalid(file, '"parents" must be a revision id or an array of them.', entry!.line);
  if (new Set(list as string[]).size !== (list as string[]).length) invalid(file, 'a parent is listed twice.', entry!.line);
  return list as string[];
}

/** A string, array of strings, boolean, null or undefined literal at `i`; undefined if it is anything else. */
function readLiteral(t: string, i: number): { value: unknown } | undefined {
  const ch = t[i];
  if (ch === "'" || ch === '"' || ch === '`') {
    const s = readString(t, i);
    return s && { value: s.value };
  }
  if (ch === '[') {
    const items: string[] = [];
    let k = i + 1;
    for (;;) {
      while (k < t.length && /[\s,]/.test(t[k])) k++;
      if (t[k] === ']') return { value: items };
      const s = readString(t, k);
      if (!s) return undefined;
      items.push(s.value);
      k = s.end;
    }
  }
  for (const [word, value] of [
    ['true', true],
    ['false', false],
    ['null', null],
    ['undefined', undefined],
  ] as const) {
    if (t.startsWith(word, i) && !/[\w$]/.test(t[i + word.length] ?? '')) return { value };
  }
  return undefined;
}

function readString(t: string, i: number): { value: string; end: number } | undefined {
  const quote = t[i];
  if (quote !== "'" && quote !== '"' && quote !== '`') return undefined;
  let value = '';
  for (let k = i + 1; k < t.length; k++) {
    const ch = t[k];
    if (ch === quote) return { value, end: k + 1 };
    // A template with ${...} is computed at run time: not a literal.
    if ((ch === '\n' && quote !== '`') || (quote === '`' && ch === '$' && t[k + 1] === '{')) return undefined;
    if (ch === '\\') {
      const e = t[++k];
      value += e === 'n' ? '\n' : e === 't' ? '\t' : e;
    } else {
      value += ch;
    }
  }
  return undefined;
}

function lineAt(t: string, index: number): number {
  let line = 1;
  for (let k = t.indexOf('\n'); k !== -1 && k < index; k = t.indexOf('\n', k + 1)) line++;
  return line;
}

/** Options for a new script revision: the bodies are code for inside `up(ctx)` / `down(ctx)`. */
export interface NewScriptRevisionOptions extends NewRevisionOptions {
  /** 'ts' (default) writes typed TypeScript; 'js' an ES module with JSDoc types. */
  language?: 'ts' | 'js';
}

/** The text of a new TS/JS revision file, in the shape scanScriptRevision reads. */
export function scriptRevisionText(opts: NewScriptRevisionOptions): string {
  const ts = opts.language !== 'js';
  const q = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  const fn = (name: string, body: string) => {
    const code = body.replace(/\r\n?/g, '\n').replace(/^\n+|\s+$/g, '');
    const lines = code === '' ? [] : code.split('\n').map((l) => (l ? `  ${l}` : l));
    const signature = ts ? `export async function ${name}(ctx: RevisionContext): Promise<void> {` : `export async function ${name}(ctx) {`;
    return [...(ts ? [] : ["/** @param {import('ferry-db').RevisionContext} ctx */"]), signature, ...lines, '}'];
  };
  const out = [ts ? "import type { RevisionContext } from 'ferry-db';" : '// @ts-check', ''];
  out.push(`export const revision = ${q(opts.id)};`);
  out.push(`export const parents${ts ? ': string[]' : ''} = [${opts.parents.map(q).join(', ')}];`);
  out.push(`export const message = ${q(oneLine(opts.message))};`);
  if (opts.transactional === false) out.push('export const transactional = false;');
  out.push('', ...fn('up', opts.up));
  if (opts.down !== null) out.push('', ...fn('down', opts.down));
  return out.join('\n') + '\n';
}
