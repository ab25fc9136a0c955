import { createRequire } from 'node:module';
import type * as commanderTypes from 'commander';
import { EXIT } from '../errors.js';
import { registerBackupCommands } from './backup-commands.js';
import { registerConsolidate } from './consolidate-command.js';
import { registerCopyCommands } from './copy-commands.js';
import { loadEngineModules } from './engine-modules.js';
import { outputOf } from './common-options.js';
import { reportError } from './output.js';
import { registerRevisionCommands } from './revision-commands.js';
import { registerSyncCommands } from './sync-commands.js';
import { registerWatch } from './watch-command.js';
import { registerHealthCommands } from './health-commands.js';

// commander is CommonJS: required, it loads in half the time an ESM import takes (no export
// scanning), which every command pays at start-up.
const require = createRequire(import.meta.url);
const { Command, CommanderError } = require('commander') as typeof commanderTypes;

/** The `ferry` command line: argument parsing and printing only; the work is in the library. */
export async function main(argv: string[]): Promise<void> {
  // A reader that stops early (`ferry history | head`) closes the pipe: the command goes on
  // quietly without its output rather than dying with EPIPE, least of all in the middle of a run.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
    });
  }
  const version = (require('../../../package.json') as { version: string }).version;
  const program = new Command('ferry')
    .description(
      "Move an application's data safely: consolidate SQLite files, copy SQLite to PostgreSQL and back, version schemas, back up, verify and restore.",
    )
    .version(version)
    .showHelpAfterError()
    .exitOverride();
  // Under --json, a usage error (unknown option, missing argument) is one JSON document on stdout
  // like every other error, not commander's text and help on stderr.
  const json = argv.includes('--json');
  let usageError: string | undefined;
  if (json) program.configureOutput({ outputError: (text) => (usageError = text.replace(/^error:\s*/, '').trim()) }).showHelpAfterError(false);
  try {
    await loadEngineModules(process.env.FERRY_ENGINES);
  } catch (e) {
    process.exitCode = reportError(outputOf({ json }), e);
    return;
  }
  registerConsolidate(program);
  registerBackupCommands(program);
  registerCopyCommands(program);
  registerRevisionCommands(program);
  registerSyncCommands(program);
  registerWatch(program);
  registerHealthCommands(program);
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? EXIT.ok : EXIT.usage;
      if (json && usageError !== undefined) {
        process.stdout.write(
          JSON.stringify(
            { ok: false, error: { code: 'USAGE', message: usageError, hint: 'Run the command with --help to see its arguments and options.' } },
            null,
            2,
          ) + '\n',
        );
      }
      return;
    }
    throw e;
  }
}
