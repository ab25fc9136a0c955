/**
 * Real ORMs through `ferry sync` (TypeORM, Knex and Drizzle, test/support/orm-apps.ts): the app
 * writes on SQLite, a sync starts, the app writes more while it runs (those rows reach PostgreSQL
 * through the change log, not the snapshot), the cutover switches, and the same app on PostgreSQL
 * reads what it read on SQLite, with the same JavaScript types, filters alike and continues the ids.
 * It writes there, the sync rolls back, and the app on SQLite reads exactly what it would had it
 * made those writes on SQLite (rows as the ORM returns them, so stored forms such as epoch
 * milliseconds or 0/1 booleans count too).
 */
process.env.TZ = 'UTC';

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ferry, type CliResult } from '../support/cli.js';
import { freshPostgresDatabase } from '../support/postgres.js';
import { tempDir } from '../support/sqlite-fixtures.js';
import { applyLaterChanges, ORM_APPS, runFilters, withSession, writeSeed, type OrmSession, type Snapshot } from '../support/orm-apps.js';

/** What the app does once it runs on PostgreSQL (and, for the expected state, on a SQLite copy). */
async function afterTheSwitch(s: OrmSession, seed: { users: number[]; orders: number[] }): Promise<{ user: number; order: number }> {
  const user = await s.insertUser({
    email: 'frank@example.com',
    active: false,
    createdAt: new Date('2026-12-06T07:08:09.010Z'),
    balance: '3.30',
    externalId: '0b6a7f52-5c1e-4c3a-9d57-8f7b0f1e2d3c',
    settings: { theme: 'light', after: 'switch' },
  });
  const order = await s.insertOrder({ user, total: '9.99', placedAt: new Date('2026-12-06T07:08:10.500Z'), paid: true, note: 'on postgres' });
  await s.updateUser(seed.users[0]!, { balance: '1.00', active: false });
  await s.updateOrder(seed.orders[0]!, { note: null });
  return { user, order };
}

function ok(r: CliResult, what: string): void {
  assert.equal(r.status, 0, `${what}: exit ${r.status}\n${r.stdout}\n${r.stderr}`);
}

/** Ids as numbers: whether a driver returns them as numbers is what readAll compares. */
function numbers(ids: { user: number; order: number }): { user: number; order: number } {
  return { user: Number(ids.user), order: Number(ids.order) };
}

for (const app of ORM_APPS) {
  test(`${app.name}: the app keeps working through ferry sync start, cutover and rollback`, async (t) => {
    const pg = await freshPostgresDatabase(t);
    if (!pg) return;
    const dir = tempDir(`sync-orm-${app.name}`);
    const appDb = path.join(dir, 'app.db');
    const expectedDb = path.join(dir, 'expected.db');
    if (app.ferryConfig) fs.writeFileSync(path.join(dir, 'ferry.config.json'), JSON.stringify(app.ferryConfig, null, 2));
    await app.createSqliteSchema(appDb);
    const wal = new Database(appDb);
    wal.pragma('journal_mode = WAL');
    wal.close();
    const seed = await withSession(app, appDb, (s) => writeSeed(s));

    ok(await ferry(dir, 'sync', 'start', 'app.db', pg.url, '--until-caught-up'), 'sync start');
    // The app goes on writing on SQLite: these rows travel through the change log.
    let expected!: Snapshot;
    await withSession(app, appDb, async (s) => {
      assert.deepStrictEqual(numbers(await applyLaterChanges(s, seed)), { user: 5, order: 7 });
      expected = await s.readAll();
    });
    ok(await ferry(dir, 'sync', 'cutover', 'app.db', pg.url), 'sync cutover');

    // What the app would hold had it stayed on SQLite and made the same writes there.
    const copy = new Database(appDb, { readonly: true });
    copy.exec(`VACUUM INTO '${expectedDb.replaceAll("'", "''")}'`);
    copy.close();
    const home = new Database(expectedDb);
    for (const name of home.prepare(`SELECT name FROM sqlite_schema WHERE type = 'trigger' AND name LIKE '\\_ferry%' ESCAPE '\\'`).pluck().all() as string[])
      home.exec(`DROP TRIGGER "${name}"`);
    home.close();

    await withSession(app, pg.url, async (s) => {
      assert.deepStrictEqual(await s.readAll(), expected, 'on PostgreSQL after the cutover: the same rows, types and values');
      const filters = await runFilters(s);
      await withSession(app, expectedDb, async (e) => assert.deepStrictEqual(filters, await runFilters(e), 'filters'));
      assert.deepStrictEqual(numbers(await afterTheSwitch(s, seed)), { user: 6, order: 8 }, 'new ids continue after every synced row');
    });
    let after!: Snapshot;
    let afterDriver!: Snapshot;
    await withSession(app, expectedDb, async (e) => {
      await afterTheSwitch(e, seed);
      after = await e.readAll();
      afterDriver = await e.readDriverRows();
    });

    ok(await ferry(dir, 'sync', 'rollback', 'app.db', pg.url), 'sync rollback');
    await withSession(app, appDb, async (s) => {
      assert.deepStrictEqual(await s.readAll(), after, 'back on SQLite: what the app wrote on PostgreSQL, as it reads it');
      assert.deepStrictEqual(await s.readDriverRows(), afterDriver, 'back on SQLite: the rows as the ORM returns them (stored forms)');
      const filters = await runFilters(s);
      await withSession(app, expectedDb, async (e) => assert.deepStrictEqual(filters, await runFilters(e)));
    });
    ok(await ferry(dir, 'sync', 'stop', 'app.db', pg.url), 'sync stop');
  });
}
