import { fileURLToPath } from 'node:url';

let jiti: Promise<{ import(id: string): Promise<unknown> }> | undefined;

/**
 * Imports a user's TS/JS file (config, script revision, declared schema) through jiti, loaded only
 * when first needed. Without moduleCache an edited file is seen again in a long-lived process;
 * without fsCache ferry writes nothing into the user's node_modules/.cache or the temp folder.
 * `import ... from 'ferry-db'` (the package's name) resolves to this very package, even when ferry
 * runs through npx or a global install and is not in the project's node_modules; so does `'ferry'`
 * (the command's name, which older configs and generated revision scripts import). Errors are
 * thrown as jiti gives them, for the caller to turn into a message naming the file.
 */
export async function importUserModule(file: string): Promise<unknown> {
  jiti ??= import('jiti').then(({ createJiti }) => {
    const self = fileURLToPath(new URL('../index.js', import.meta.url));
    return createJiti(import.meta.url, { moduleCache: false, fsCache: false, alias: { 'ferry-db': self, ferry: self } });
  });
  return (await jiti).import(file);
}
