/**
 * A third engine for tests: registered with the core alone (open, quote, query, introspect, rows)
 * and no optional roles. Underneath it is SQLite, so connecting and reading work; its name and
 * label are its own, so every command that needs a role must say "FakeDB ... not supported".
 * Loaded into the CLI through FERRY_ENGINES (its default export is the driver).
 */
import type { EngineDriver } from '../../src/engine/driver.js';
import type { Engine } from '../../src/engine/types.js';
import { openSqlite } from '../../src/engines/sqlite/sqlite-engine.js';

/** `fake:/path/to/file.db` opens that SQLite file as a FakeDB database. */
const fakeDriver: EngineDriver = {
  dialect: 'fake',
  label: 'FakeDB',
  capabilities: { transactionalDdl: true, schemas: false, fileBackup: false },
  claims: (input) => /^fake:/i.test(input.trim()),
  parseUrl: (input) => ({ dialect: 'fake', url: input.trim(), displayUrl: input.trim() }),
  async open(target, options) {
    const inner = openSqlite(target.url.slice('fake:'.length), {
      readonly: options.readonly,
      mustExist: options.mustExist,
      busyTimeoutMs: options.busyTimeoutMs,
    });
    return new Proxy(inner, {
      get(t, key) {
        if (key === 'dialect') return 'fake';
        if (key === 'displayUrl') return target.displayUrl;
        const value = Reflect.get(t, key, t) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(t) : value;
      },
    }) as unknown as Engine;
  },
  roles: {},
};

export default fakeDriver;
