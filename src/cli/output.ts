import { EXIT, FerryError, isFerryError } from '../errors.js';
import { maskPassword } from '../engine/secrets.js';
import type { RowDifference } from '../verify/row-differences.js';

/** How this run prints: JSON documents, colours, live progress bars or plain log lines. */
export interface Output {
  json: boolean;
  color: boolean;
  /** Live bars only on a terminal, outside CI, not with --json and not with --quiet. */
  live: boolean;
  /** --quiet: no progress or step lines; results, warnings and errors still print. */
  quiet: boolean;
  /** --verbose: more detail. */
  verbose: boolean;
  /** A result line on stdout. */
  out: (line?: string) => void;
  /** A warning or error line on stderr (always printed). */
  err: (line?: string) => void;
  /** A progress or step line on stderr (not under --quiet). */
  log: (line?: string) => void;
  /** A detail line on stderr (only under --verbose). */
  detail: (line?: string) => void;
}

export function makeOutput(json: boolean, level: { quiet?: boolean; verbose?: boolean } = {}): Output {
  const ci = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';
  const quiet = !!level.quiet;
  const verbose = !!level.verbose;
  const err = (line = '') => void process.stderr.write(maskPassword(line) + '\n');
  return {
    json,
    quiet,
    verbose,
    color: !!process.stdout.isTTY && !('NO_COLOR' in process.env) && !json,
    live: !!process.stderr.isTTY && !ci && !json && !quiet,
    out: (line = '') => void process.stdout.write(maskPassword(line) + '\n'),
    err,
    log: quiet || json ? () => undefined : err,
    detail: verbose && !json ? err : () => undefined,
  };
}

const CODES = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1 } as const;

/** Colours text when the output allows it (NO_COLOR, pipes and --json turn it off). */
export function paint(o: Output, color: keyof typeof CODES, text: string): string {
  return o.color ? `\u001b[${CODES[color]}m${text}\u001b[0m` : text;
}

export function mark(o: Output, ok: boolean): string {
  return ok ? paint(o, 'green', '✓') : paint(o, 'red', '✗');
}

/** Prints a JSON document; bigints become strings so int64 values stay exact. */
export function printJson(o: Output, value: unknown): void {
  o.out(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : typeof v === 'function' ? '[function]' : v), 2));
}

/** Prints an error as one clear message (and a hint), and returns the exit code. */
export function reportError(o: Output, e: unknown): number {
  const err = isFerryError(e)
    ? e
    : new FerryError('INTERNAL', `Unexpected error: ${(e as Error)?.message ?? String(e)}`, {
        hint: 'This is a bug in ferry; rerun with FERRY_DEBUG=1 for the stack trace and report it.',
        cause: e,
      });
  if (o.json) printJson(o, { ok: false, error: err.toJSON() });
  else {
    o.err(`${paint(o, 'red', 'error:')} ${err.message}`);
    if (err.hint) o.err(`${paint(o, 'dim', 'hint:')} ${err.hint}`);
    const problems = (err.data?.problems as { message: string }[] | undefined) ?? [];
    if (problems.length > 1) for (const p of problems.slice(1)) o.err(`  - ${p.message}`);
  }
  // A stack trace repeats the messages it holds, a URL with its password among them: masked like every line.
  if (process.env.FERRY_DEBUG) o.err((err.cause as Error | undefined)?.stack ?? err.stack);
  if (err.code === 'TOO_MANY_REJECTS') return EXIT.rejects;
  return err.code === 'USAGE' ? EXIT.usage : EXIT.error;
}

/** The first differing rows of a table (verify --detailed, consolidate --verify), each side under its label. */
export function printRowDifferences(o: Output, differences: RowDifference[], labels: { source: string; target: string }): void {
  for (const d of differences) {
    o.out(`    ${d.kind} key ${JSON.stringify(d.key)}${d.columns ? ` in ${d.columns.join(', ')}` : ''}${d.origin ? ` (from ${d.origin})` : ''}`);
    if (d.source) o.out(`      ${labels.source}: ${JSON.stringify(d.source)}`);
    if (d.target) o.out(`      ${labels.target}: ${JSON.stringify(d.target)}`);
  }
}
