/**
 * The dashboard page `ferry serve` shows at `/`, in a real headless Chromium (Debian's, through
 * playwright-core): what it draws for a healthy SQLite database at its revisions and for a
 * PostgreSQL that refuses connections, the token form, and a phone-sized screen.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { chromium, type Browser, type Page } from 'playwright-core';
import { serveHealth, type RunningServer } from '../../src/health/serve.js';
import type { DatabaseSpec } from '../../src/health/health-types.js';
import { ferry } from '../support/cli.js';
import { inCi } from '../support/postgres.js';
import { sqlRevision } from '../support/revision-fixtures.js';
import { tempDir } from '../support/sqlite-fixtures.js';

/** Debian's chromium (.ci/run installs it); playwright cannot download browsers here. */
const CHROMIUM = '/usr/bin/chromium';
const NO_CHROMIUM = `no ${CHROMIUM}: install Debian's chromium (apt-get install chromium) to run the dashboard page's tests`;

let browser: Browser | undefined;

before(async () => {
  if (!fs.existsSync(CHROMIUM)) {
    if (inCi()) throw new Error(`CI is set but ${NO_CHROMIUM}`);
    return;
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
});

after(async () => {
  await browser?.close();
});

/** A SQLite app database with a table of its own and one revision applied by `ferry upgrade`. */
async function healthySqlite(): Promise<DatabaseSpec> {
  const dir = tempDir('dashboard');
  const file = path.join(dir, 'app.db');
  const db = new Database(file);
  db.exec("CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT NOT NULL); INSERT INTO accounts (name) VALUES ('ada')");
  db.close();
  const migrations = path.join(dir, 'migrations');
  fs.mkdirSync(migrations);
  sqlRevision(migrations, 'd4a000000001', [], 'create notes', 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);', 'DROP TABLE notes;');
  const r = await ferry(dir, 'upgrade', '--url', file);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  return { name: 'app', url: file, urlFrom: 'test', revisions: migrations, requiredTables: ['accounts', 'notes'], required: true, timeoutMs: 5000 };
}

/** A PostgreSQL nothing listens for (port 1), which readiness waits for. */
const BROKEN: DatabaseSpec = {
  name: 'broken',
  url: 'postgres://postgres@127.0.0.1:1/postgres',
  urlFrom: 'test',
  requiredTables: [],
  required: true,
  timeoutMs: 5000,
};

/** Like BROKEN, with a long database name: its error line has a long URL in it. */
const BROKEN_LONG: DatabaseSpec = { ...BROKEN, name: 'orders', url: 'postgres://postgres@127.0.0.1:1/the_orders_database_of_the_shop_in_eu_west_1' };

/** `ferry serve` in this process, closed when the test ends. */
async function serve(t: { after(fn: () => Promise<void>): void }, databases: DatabaseSpec[], token?: string): Promise<RunningServer> {
  const server = await serveHealth({ host: '127.0.0.1', port: 0, databases, ...(token ? { token } : {}) });
  t.after(() => server.close());
  return server;
}

/** A fresh page (its own session storage, so no token carries over), closed when the test ends. */
async function newPage(t: { after(fn: () => Promise<void>): void }, viewport = { width: 1280, height: 800 }): Promise<Page> {
  const context = await browser!.newContext({ viewport });
  t.after(() => context.close());
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  // The browser logs each answer of 401, 500 or 503 and a refused connection; those are expected here.
  const expected = /^Failed to load resource: (the server responded with a status of (401|500|503)\b|net::ERR_CONNECTION_REFUSED)/;
  page.on('console', (m) => void (m.type() === 'error' && !expected.test(m.text()) && problems.push(m.text())));
  t.after(async () => assert.deepEqual(problems, [], 'the page logged errors'));
  return page;
}

/** Loads the page and waits for its first report to be drawn. */
async function loaded(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForSelector('body[data-state]', { timeout: 15_000 });
}

/** A database's card: its class, its facts (dt -> dd) and its error and warning lines. */
async function card(page: Page, name: string) {
  return page.$eval(`#db-${name}`, (section) => ({
    className: section.className,
    title: section.querySelector('h2')?.textContent,
    facts: Object.fromEntries([...section.querySelectorAll('dt')].map((dt) => [dt.textContent, dt.nextElementSibling?.textContent])),
    errors: [...section.querySelectorAll('li.error')].map((li) => li.textContent),
    warnings: [...section.querySelectorAll('li.warning')].map((li) => li.textContent),
  }));
}

/** Writes a full-page screenshot and checks it is a PNG with something in it. */
async function screenshot(page: Page, label: string): Promise<string> {
  const file = path.join(tempDir('dashboard-shots'), `${label}.png`);
  await page.screenshot({ path: file, fullPage: true });
  const bytes = fs.readFileSync(file);
  assert.ok(bytes.length > 1000, `${file} is ${bytes.length} bytes`);
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${file} is not a PNG`);
  return file;
}

/** How much wider than the screen the page is (0: no sideways scrolling). */
async function overflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

test('the page shows a healthy SQLite database and a PostgreSQL that refuses connections', async (t) => {
  if (!browser) return t.skip(NO_CHROMIUM);
  const server = await serve(t, [await healthySqlite(), BROKEN]);
  const page = await newPage(t);
  await loaded(page, `${server.url}/`);

  assert.equal(await page.getAttribute('body', 'data-state'), 'fail');
  assert.match((await page.textContent('#status'))!, /^1 problem\(s\) · /);
  assert.deepEqual(await page.$$eval('main section', (s) => s.map((x) => x.id)), ['db-app', 'db-broken']);

  const app = await card(page, 'app');
  assert.equal(app.className, 'ok');
  assert.equal(app.title, 'app');
  assert.equal(app.facts.state, 'healthy');
  assert.equal(app.facts.revision, 'd4a000000001 (up to date)');
  assert.match(app.facts.engine!, /^SQLite \d/);
  assert.match(app.facts.latency!, /^[\d.]+ ms$/);
  // ferry upgrade backed the file up first, into backup/ beside it.
  assert.match(app.facts.backup!, /^\d{8}_\d{6}, \d+ s old$/);
  assert.deepEqual([app.errors, app.warnings], [[], []]);

  const broken = await card(page, 'broken');
  assert.equal(broken.className, 'fail');
  assert.equal(broken.facts.state, 'unreachable');
  assert.equal(broken.facts.database, 'postgres://postgres@127.0.0.1:1/postgres');
  assert.equal(broken.facts.engine, 'PostgreSQL');
  assert.equal(broken.errors.length, 1);
  assert.match(broken.errors[0]!, /^Cannot connect to PostgreSQL at 127\.0\.0\.1:1 .*the connection was refused/);
  // ferry never looked for its backups: the card says nothing about them rather than "none found".
  assert.equal(broken.facts.backup, undefined);

  // The colours the classes stand for.
  const border = (name: string) => page.$eval(`#db-${name}`, (s) => getComputedStyle(s).borderLeftColor);
  assert.equal(await border('app'), 'rgb(26, 127, 55)');
  assert.equal(await border('broken'), 'rgb(207, 34, 46)');
  assert.equal(await page.isVisible('#token'), false);
  await screenshot(page, 'one-broken');
});

test('the page says all healthy when every database is', async (t) => {
  if (!browser) return t.skip(NO_CHROMIUM);
  const server = await serve(t, [await healthySqlite()]);
  const page = await newPage(t);
  await loaded(page, `${server.url}/`);
  assert.equal(await page.getAttribute('body', 'data-state'), 'ok');
  assert.match((await page.textContent('#status'))!, /^all healthy · /);
  assert.equal((await card(page, 'app')).className, 'ok');
  assert.equal(await page.$$eval('main section', (s) => s.length), 1);
  await screenshot(page, 'all-healthy');
});

test('with a token, #token=... in the address shows the data and a bare address shows the token form', async (t) => {
  if (!browser) return t.skip(NO_CHROMIUM);
  const token = 'dashboard-test-token';
  const server = await serve(t, [await healthySqlite(), BROKEN], token);

  const given = await newPage(t);
  await loaded(given, `${server.url}/#token=${token}`);
  assert.equal(await given.getAttribute('body', 'data-state'), 'fail');
  assert.equal((await card(given, 'app')).className, 'ok');
  assert.equal((await card(given, 'broken')).className, 'fail');
  assert.equal(await given.isVisible('#token'), false);
  await screenshot(given, 'token-in-address');

  const bare = await newPage(t);
  await bare.goto(`${server.url}/`);
  await bare.waitForSelector('#token', { state: 'visible', timeout: 15_000 });
  assert.equal(await bare.textContent('#status'), 'token needed');
  assert.equal(await bare.$$eval('main section', (s) => s.length), 0);
  await screenshot(bare, 'token-form');

  // A wrong token leaves the form up; the right one, typed in, shows the data.
  await bare.fill('#token-input', 'not-the-token');
  await bare.click('#token button');
  await bare.waitForSelector('#token', { state: 'visible', timeout: 15_000 });
  assert.equal(await bare.textContent('#status'), 'token needed');
  await bare.fill('#token-input', token);
  await bare.click('#token button');
  await bare.waitForSelector('#db-broken', { timeout: 15_000 });
  assert.equal(await bare.isVisible('#token'), false);
  assert.match((await bare.textContent('#status'))!, /^1 problem\(s\) · /);
});

test('the page fits a phone screen: no sideways scrolling at 390 or 320 pixels wide', async (t) => {
  if (!browser) return t.skip(NO_CHROMIUM);
  const server = await serve(t, [await healthySqlite(), BROKEN_LONG]);
  for (const width of [390, 320]) {
    const page = await newPage(t, { width, height: 844 });
    await loaded(page, `${server.url}/`);
    assert.equal(await page.$$eval('main section', (s) => s.length), 2);
    assert.match((await card(page, 'orders')).errors[0]!, /the_orders_database_of_the_shop_in_eu_west_1/);
    assert.equal(await overflow(page), 0, `the page is wider than a ${width} px screen`);
    assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= width);
    // The cards stack, each as wide as the screen allows.
    const boxes = await page.$$eval('main section', (s) => s.map((x) => x.getBoundingClientRect()).map((r) => ({ left: r.left, right: r.right, top: r.top })));
    assert.equal(boxes[0]!.left, boxes[1]!.left);
    assert.ok(boxes[1]!.top > boxes[0]!.top);
    for (const b of boxes) assert.ok(b.right <= width, `a card ends at ${b.right} px on a ${width} px screen`);
    await screenshot(page, `phone-${width}`);
  }
});

test('the page tells a failed check from a server that does not answer', async (t) => {
  if (!browser) return t.skip(NO_CHROMIUM);
  // No databases given: the handler reads the config in `cwd`, which is broken, so the check fails (500).
  const cwd = tempDir('dashboard-bad-config');
  fs.writeFileSync(path.join(cwd, 'ferry.config.json'), '{ "databases": ');
  const server = await serveHealth({ host: '127.0.0.1', port: 0, cwd });
  t.after(() => server.close());
  const page = await newPage(t);
  await loaded(page, `${server.url}/`);
  assert.equal(await page.getAttribute('body', 'data-state'), 'down');
  assert.match((await page.textContent('#status'))!, /^the check failed: .*ferry\.config\.json/);

  await server.close();
  await page.evaluate(() => (window as unknown as { refresh(): Promise<void> }).refresh());
  assert.equal(await page.textContent('#status'), 'ferry serve is not answering');
  assert.equal(await page.getAttribute('body', 'data-state'), 'down');
});
