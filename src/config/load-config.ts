import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createRequire } from 'node:module';
import { FerryError } from '../errors.js';
import { importUserModule } from '../util/import-module.js';
import { CONFIG_FILE_NAMES, findConfigFile } from './find-config.js';
import type { LoadedConfig } from './types.js';

/** Options for loadConfig. */
export interface LoadConfigOptions {
  /** Folder to search, and to resolve `configPath` against (default: process.cwd()). */
  cwd?: string;
  /** Explicit config file (`--config PATH`); it must exist. */
  configPath?: string;
  /** Fail with CONFIG_NOT_FOUND when there is no config file (default: return an empty config). */
  required?: boolean;
  /**
   * The command can run without a config: a config found in the working folder (not named with
   * --config or FERRY_CONFIG) that cannot be read or is invalid is then set aside, and reported in
   * `ignored`, instead of failing the command.
   */
  optional?: boolean;
}

const SCRIPT_EXTENSIONS = new Set(['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs']);

const EXAMPLE = `{
  "consolidate": {
    "sourceDir": "data",
    "targetDir": "data/consolidated",
    "sources": { "app.db": { "target": "core.db" } }
  }
}`;

/**
 * Finds, reads, parses and validates the config. The format follows the file's extension: JSON,
 * YAML, or TS/JS (run through jiti, so TypeScript needs no build step). Relative paths in the config
 * are meant to be resolved against the returned `dir`, the config file's folder.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  // --config wins; FERRY_CONFIG lets CI and containers point at a config without a flag.
  const named = options.configPath !== undefined ? '--config' : process.env.FERRY_CONFIG ? 'FERRY_CONFIG' : null;
  const file = findConfigFile(cwd, options.configPath ?? (process.env.FERRY_CONFIG || undefined), named ?? '--config');
  if (file === null) {
    if (options.required) {
      throw new FerryError('CONFIG_NOT_FOUND', `No ferry config file found in ${cwd}.`, {
        subject: cwd,
        hint: `Create ferry.config.json (or pass --config PATH), for example:\n${EXAMPLE}`,
        data: { searched: [...CONFIG_FILE_NAMES] },
      });
    }
    return { config: {}, file: null, dir: cwd };
  }
  try {
    const { raw, text } = await readConfig(file);
    // The validator loads only when there is a config to check (every command starts here).
    const { validateConfig } = await import('./validate-config.js');
    return { config: validateConfig(raw, { file, text }), file, dir: path.dirname(file) };
  } catch (e) {
    if (!options.optional || named !== null || !(e instanceof FerryError)) throw e;
    return { config: {}, file: null, dir: cwd, ignored: { file, error: e } };
  }
}

async function readConfig(file: string): Promise<{ raw: unknown; text?: string }> {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.json') {
    const text = await readText(file);
    return { raw: parseJson(text, file), text };
  }
  if (ext === '.yaml' || ext === '.yml') {
    const text = await readText(file);
    return { raw: parseYaml(text, file), text };
  }
  if (SCRIPT_EXTENSIONS.has(ext)) return { raw: await importScript(file) };
  throw new FerryError('USAGE', `ferry cannot read ${displayPath(file)}: "${ext || '(no extension)'}" is not a config format it knows.`, {
    subject: file,
    hint: 'Use a .json, .yaml/.yml, .ts/.mts or .js/.mjs config file.',
  });
}

async function readText(file: string): Promise<string> {
  try {
    // A BOM (left by some Windows editors) is not JSON, and no one means it as content.
    return (await readFile(file, 'utf8')).replace(/^\uFEFF/, '');
  } catch (err) {
    throw new FerryError('CONFIG_NOT_FOUND', `Cannot read config file ${displayPath(file)} (${(err as Error).message}).`, {
      subject: file,
      hint: 'Check that the file exists and is readable.',
      cause: err,
    });
  }
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const pos = jsonErrorPosition(message, text);
    const reason = message
      .replace(/\s*in JSON at position \d+(?:\s*\(line \d+ column \d+\))?\s*$/, '')
      .replace(/, (?:\.\.\.)?"[\s\S]*is not valid JSON\s*$/, '');
    const where = pos ? `:${pos.line}:${pos.column}` : '';
    throw new FerryError('CONFIG_SYNTAX', `Syntax error in ${displayPath(file)}${where}: ${reason}.`, {
      subject: file,
      hint: 'JSON allows no comments, trailing commas, single quotes or unquoted keys; fix that spot, or write the config as ferry.config.yaml or ferry.config.ts instead.',
      data: { file, ...(pos ?? {}) },
      cause: err,
    });
  }
}

/**
 * Line and column of a JSON.parse failure. Node 20's messages carry "position N" for most errors,
 * newer Nodes add "(line L column C)", and some messages ("Unexpected token ']', ... is not valid
 * JSON") carry neither; for those a small scanner finds the first offending character itself.
 */
function jsonErrorPosition(message: string, text: string): { line: number; column: number } | undefined {
  const lineColumn = /\(line (\d+) column (\d+)\)/.exec(message);
  if (lineColumn) return { line: Number(lineColumn[1]), column: Number(lineColumn[2]) };
  const position = /at position (\d+)/.exec(message);
  let offset: number | undefined;
  if (position) offset = Number(position[1]);
  else if (/end of JSON input/i.test(message)) offset = text.length;
  else offset = firstJsonErrorOffset(text);
  // An error in trailing blank lines means the input ran out: point just after the last real text.
  return offset === undefined ? undefined : lineColumnAt(text, Math.min(offset, text.trimEnd().length));
}

function lineColumnAt(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - (before.lastIndexOf('\n') + 1) + 1 };
}

/** Offset of the first character that breaks JSON syntax, or undefined if the text is valid JSON. */
function firstJsonErrorOffset(text: string): number | undefined {
  let i = 0;
  const fail = (): never => {
    throw new JsonScanStop(i);
  };
  const skipSpace = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const expect = (ch: string): void => {
    skipSpace();
    if (text[i] !== ch) fail();
    i++;
  };
  const scanString = (): void => {
    i++; // opening quote
    while (i < text.length) {
      const ch = text[i];
      if (ch === '"') {
        i++;
        return;
      }
      if (ch < ' ') fail();
      if (ch === '\\') {
        i++;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail();
          i += 5;
        } else if (text[i] !== undefined && '"\\/bfnrt'.includes(text[i])) {
          i++;
        } else {
          fail();
        }
      } else {
        i++;
      }
    }
    fail();
  };
  const scanValue = (): void => {
    skipSpace();
    const ch = text[i];
    if (ch === '{' || ch === '[') {
      const close = ch === '{' ? '}' : ']';
      i++;
      skipSpace();
      if (text[i] === close) {
        i++;
        return;
      }
      for (;;) {
        if (close === '}') {
          skipSpace();
          if (text[i] !== '"') fail();
          scanString();
          expect(':');
        }
        scanValue();
        skipSpace();
        if (text[i] === close) {
          i++;
          return;
        }
        if (text[i] !== ',') fail();
        i++;
      }
    }
    if (ch === '"') return scanString();
    const number = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    number.lastIndex = i;
    if (number.test(text)) {
      i = number.lastIndex;
      return;
    }
    for (const literal of ['true', 'false', 'null']) {
      if (text.startsWith(literal, i)) {
        i += literal.length;
        return;
      }
    }
    fail();
  };
  try {
    scanValue();
    skipSpace();
    if (i < text.length) fail();
    return undefined;
  } catch (stop) {
    if (stop instanceof JsonScanStop) return stop.offset;
    throw stop;
  }
}

class JsonScanStop {
  constructor(readonly offset: number) {}
}

/** yaml and jiti load only when a config needs them: most runs read JSON or no config at all. */
const requireLazily = createRequire(import.meta.url);

function parseYaml(text: string, file: string): unknown {
  const { parseDocument } = requireLazily('yaml') as typeof import('yaml');
  const doc = parseDocument(text);
  const first = doc.errors[0];
  if (first) {
    const pos = first.linePos?.[0];
    // yaml appends " at line L, column C:" and a code frame; keep the sentence, report the place ourselves.
    const reason = first.message.replace(/ at line \d+, column \d+:[\s\S]*$/, '').trim();
    const where = pos ? `:${pos.line}:${pos.col}` : '';
    throw new FerryError('CONFIG_SYNTAX', `Syntax error in ${displayPath(file)}${where}: ${reason}`, {
      subject: file,
      hint: 'Fix the YAML at that spot (indentation and unclosed brackets or quotes are the usual causes).',
      data: {
        file,
        ...(pos ? { line: pos.line, column: pos.col } : {}),
        errors: doc.errors.map((e) => ({ code: e.code, message: e.message, line: e.linePos?.[0].line, column: e.linePos?.[0].col })),
      },
      cause: first,
    });
  }
  return doc.toJS();
}

/**
 * Runs a TS/JS config with jiti and returns its default export (`module.exports` counts as one).
 * A transform failure means the file does not parse, so it becomes CONFIG_SYNTAX; an error thrown
 * while the file runs (a bad import, a throw) becomes CONFIG_INVALID. Either way the user gets the
 * file and line instead of a stack trace from inside jiti.
 */
async function importScript(file: string): Promise<unknown> {
  let mod: unknown;
  try {
    mod = await importUserModule(file);
  } catch (err) {
    throw scriptError(err, file);
  }
  const exported = isObject(mod) && 'default' in mod ? mod.default : undefined;
  if (exported === undefined) {
    throw new FerryError('CONFIG_INVALID', `${displayPath(file)} has no default export.`, {
      subject: file,
      hint: "Export the config object: `export default defineConfig({ consolidate: { ... } })` (defineConfig comes from 'ferry-db').",
    });
  }
  if (typeof exported === 'function') {
    throw new FerryError('CONFIG_INVALID', `The default export of ${displayPath(file)} is a function; ferry expects the config object itself.`, {
      subject: file,
      hint: 'Export the object, e.g. `export default defineConfig({ ... })`, not a function that returns it.',
    });
  }
  return exported;
}

function scriptError(err: unknown, file: string): FerryError {
  const message = err instanceof Error ? err.message : String(err);
  // Node's "Cannot find module" message goes on with a require stack that means nothing to the user.
  const summary = message.split('\n')[0].trim();
  // jiti reports a transform (parse) failure as a plain Error whose message is
  // "<code>: <reason> \n <file>:<line>:<column>", with babel's 0-based column and line 0 when unknown.
  const transform = /^(\w+): ([\s\S]*?)\s*\n\s*(.+):(\d+):(\d+)\s*$/.exec(message);
  if (transform) {
    const line = Number(transform[4]);
    const column = Number(transform[5]) + 1;
    const where = line > 0 ? `:${line}:${column}` : '';
    return new FerryError('CONFIG_SYNTAX', `Syntax error in ${displayPath(file)}${where}: ${transform[2].trim()}.`, {
      subject: file,
      hint: 'Fix the code at that spot. ferry runs TS/JS configs with jiti, which strips types but does not type-check them.',
      data: { file, ...(line > 0 ? { line, column } : {}) },
      cause: err,
    });
  }
  const line = lineInStack(err, file);
  const where = line !== undefined ? `:${line}` : '';
  if (err instanceof SyntaxError) {
    return new FerryError('CONFIG_SYNTAX', `Syntax error in ${displayPath(file)}${where}: ${summary}`, {
      subject: file,
      hint: 'Fix the code at that spot.',
      data: { file, ...(line !== undefined ? { line } : {}) },
      cause: err,
    });
  }
  const code = (err as { code?: unknown } | null)?.code;
  const missingModule = code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND';
  return new FerryError('CONFIG_INVALID', `${displayPath(file)}${where} failed while loading: ${summary}`, {
    subject: file,
    hint: missingModule
      ? "Install what the config imports in the config's project (for defineConfig: npm install --save-dev ferry), or drop the import and export a plain object."
      : 'The config file threw an error while running; fix it, or export a plain object.',
    data: { file, ...(line !== undefined ? { line } : {}) },
    cause: err,
  });
}

/** The line of the first stack frame inside `file` (jiti keeps line numbers when it transforms). */
function lineInStack(err: unknown, file: string): number | undefined {
  const stack = err instanceof Error ? (err.stack ?? '') : '';
  for (const stackLine of stack.split('\n')) {
    const at = stackLine.lastIndexOf(file + ':');
    if (at === -1) continue;
    const line = /^(\d+)/.exec(stackLine.slice(at + file.length + 1));
    if (line) return Number(line[1]);
  }
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}
