/**
 * One small "app" per ORM / query builder (TypeORM, Knex, Drizzle), all with the same domain:
 *
 *   users  (id integer autoincrement, email varchar(120) unique, active boolean, created_at datetime,
 *           balance decimal(10,2), external_id uuid, settings json)
 *   orders (id, user_id -> users.id, total decimal(10,2), placed_at datetime, paid boolean, note text NULL)
 *
 * Each app creates its schema with the ORM's own tools, writes and reads through the ORM and runs
 * the same filters, on a SQLite file or a PostgreSQL URL. copy-orm.test.ts uses them to prove that an
 * app keeps working after `ferry copy app.db postgres://...` and again after the copy back.
 *
 * How each ORM is used (the facts the test relies on; the test file's header has what each writes):
 * - TypeORM: EntitySchema (no decorators), the same entities on both databases; `synchronize` creates
 *   the schema on SQLite and, in another database, on PostgreSQL. Portable column types: `Date`
 *   (datetime on SQLite, timestamp on PostgreSQL), `Boolean`, decimal(10,2), `uuid`, `json`.
 * - Knex: the same schema-builder code on both databases (what a Knex migration does). Knex returns
 *   raw driver values, so the app converts them itself (see knexUser / knexOrder).
 * - Drizzle: Drizzle tables are per dialect (sqlite-core / pg-core), so the app has a SQLite model and
 *   the PostgreSQL model a port of it would add. Both schemas are created with drizzle-kit's
 *   programmatic API (generateSQLiteMigration / generateMigration from an empty snapshot), i.e. the
 *   exact SQL `drizzle-kit generate` writes into a migration file.
 */
import crypto from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';
import { Between, DataSource, EntitySchema, type DataSourceOptions } from 'typeorm';
import knexPkg from 'knex';
import type { Knex } from 'knex';
import { and, asc, between, eq, gte, lte, sql } from 'drizzle-orm';
import { drizzle as drizzleSqlite } from 'drizzle-orm/better-sqlite3';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import * as sq from 'drizzle-orm/sqlite-core';
import * as pgc from 'drizzle-orm/pg-core';
import { generateDrizzleJson, generateMigration, generateSQLiteDrizzleJson, generateSQLiteMigration } from 'drizzle-kit/api';

/** Where an app runs. */
export type Dialect = 'sqlite' | 'postgres';

/** A SQLite file path or a postgres:// URL. */
export function dialectOf(target: string): Dialect {
  return /^postgres(ql)?:\/\//.test(target) ? 'postgres' : 'sqlite';
}

/** A user to write (decimals as decimal text; each app passes them the way the ORM takes them). */
export interface NewUser {
  email: string;
  active: boolean;
  createdAt: Date;
  balance: string;
  externalId: string;
  settings: Record<string, unknown>;
}

/** An order to write; `user` is the id of its user. */
export interface NewOrder {
  user: number;
  total: string;
  placedAt: Date;
  paid: boolean;
  note: string | null;
}

/** A change to a user. */
export interface UserPatch {
  active?: boolean;
  balance?: string;
  settings?: Record<string, unknown>;
}

/** A change to an order. */
export interface OrderPatch {
  paid?: boolean;
  note?: string | null;
}

/** Every row of both tables, ordered by id, as plain objects. */
export interface Snapshot {
  users: Record<string, unknown>[];
  orders: Record<string, unknown>[];
}

/** An open connection of one app. */
export interface OrmSession {
  dialect: Dialect;
  insertUser(user: NewUser): Promise<number>;
  insertOrder(order: NewOrder): Promise<number>;
  updateUser(id: number, patch: UserPatch): Promise<void>;
  updateOrder(id: number, patch: OrderPatch): Promise<void>;
  /** Every row as the app sees it: the ORM's hydration, plus the app's own conversion where the ORM returns raw driver values (Knex). */
  readAll(): Promise<Snapshot>;
  /** Every row exactly as the ORM returned it, before any conversion by the app (equal to readAll() where the ORM hydrates itself). */
  readDriverRows(): Promise<Snapshot>;
  /** Ids of users with from <= created_at <= to. */
  usersCreatedBetween(from: Date, to: Date): Promise<number[]>;
  /** Ids of orders with from <= placed_at <= to. */
  ordersPlacedBetween(from: Date, to: Date): Promise<number[]>;
  /** Ids of users with active = value. */
  usersActive(value: boolean): Promise<number[]>;
  /** Ids of orders with paid = value. */
  ordersPaid(value: boolean): Promise<number[]>;
  /** Ids of users whose settings JSON has "theme" = theme. */
  usersWithTheme(theme: string): Promise<number[]>;
  close(): Promise<void>;
}

/** A column whose PostgreSQL type ferry cannot be expected to match exactly, and why. */
export interface SchemaLeniency {
  /** `table.column`. */
  column: string;
  /** ferry's column types (as copy-orm.test.ts formats them) accepted besides the ORM's own. */
  accept: string[];
  reason: string;
}

/** One ORM's app. */
export interface OrmApp {
  name: 'typeorm' | 'knex' | 'drizzle';
  /** How the SQLite schema is created. */
  schemaTool: string;
  /** The ferry.config.json the copy needs for this app's file, or null. */
  ferryConfig: Record<string, unknown> | null;
  /**
   * The PostgreSQL column types (format: see copy-orm.test.ts `columnType`) ferry's schema must have
   * for this app, where they cannot be the ORM's own exactly (the SQLite file no longer says).
   */
  leniencies: SchemaLeniency[];
  /** Creates the app's schema in an empty SQLite file with the ORM's own tool. */
  createSqliteSchema(file: string): Promise<void>;
  /** Creates the app's schema in an empty PostgreSQL database with the ORM's own tool. */
  createPostgresSchema(url: string): Promise<void>;
  /** Opens the app on a SQLite file or a PostgreSQL URL, creating nothing. */
  open(target: string): Promise<OrmSession>;
}

const ids = (rows: { id: unknown }[]) => rows.map((r) => Number(r.id));

// ---------------------------------------------------------------------------------------------
// TypeORM
// ---------------------------------------------------------------------------------------------

interface TUser {
  id: number;
  email: string;
  active: boolean;
  created_at: Date;
  balance: number;
  external_id: string;
  settings: Record<string, unknown>;
}
interface TOrder {
  id: number;
  user_id: number;
  total: number;
  placed_at: Date;
  paid: boolean;
  note: string | null;
}

/**
 * TypeORM hydrates decimal columns as a JavaScript number on SQLite (the driver returns the REAL)
 * but as a string on PostgreSQL (pg returns numeric as text). Portable TypeORM apps add this
 * transformer (the usual "ColumnNumericTransformer") so the app sees numbers on both.
 */
const decimalToNumber = {
  to: (v: number | null | undefined) => v,
  from: (v: string | number | null) => (v === null ? null : Number(v)),
};

function typeormEntities(): EntitySchema[] {
  const user = new EntitySchema<TUser>({
    name: 'User',
    tableName: 'users',
    columns: {
      id: { type: 'integer', primary: true, generated: 'increment' },
      email: { type: 'varchar', length: 120, unique: true },
      active: { type: Boolean },
      created_at: { type: Date },
      balance: { type: 'decimal', precision: 10, scale: 2, transformer: decimalToNumber },
      external_id: { type: 'uuid' },
      settings: { type: 'json' },
    },
  });
  const order = new EntitySchema<TOrder>({
    name: 'Order',
    tableName: 'orders',
    columns: {
      id: { type: 'integer', primary: true, generated: 'increment' },
      user_id: { type: 'integer' },
      total: { type: 'decimal', precision: 10, scale: 2, transformer: decimalToNumber },
      placed_at: { type: Date },
      paid: { type: Boolean },
      note: { type: 'text', nullable: true },
    },
    relations: {
      user: { type: 'many-to-one', target: 'User', joinColumn: { name: 'user_id' } },
    } as never,
  });
  return [user as EntitySchema, order as EntitySchema];
}

function typeormOptions(target: string, synchronize: boolean): DataSourceOptions {
  const common = { entities: typeormEntities(), synchronize, logging: false as const };
  return dialectOf(target) === 'sqlite' ? { type: 'better-sqlite3', database: target, ...common } : { type: 'postgres', url: target, ...common };
}

async function typeormSync(target: string): Promise<void> {
  const ds = new DataSource(typeormOptions(target, true));
  await ds.initialize();
  await ds.destroy();
}

export const typeormApp: OrmApp = {
  name: 'typeorm',
  schemaTool: 'TypeORM DataSource synchronize: true (EntitySchema)',
  // TypeORM writes booleans as 0/1 into BOOLEAN, dates as text into DATETIME, decimals as numbers
  // into DECIMAL(10,2): the declared types say it all, except for its uuid column, which it declares
  // plain `varchar` on SQLite (ferry makes uuid only of columns declared UUID, or configured so: a
  // varchar that happens to hold UUIDs today may hold other text tomorrow).
  ferryConfig: { copy: { tables: { users: { columns: { external_id: { type: 'uuid' } } } } } },
  leniencies: [],
  createSqliteSchema: typeormSync,
  createPostgresSchema: typeormSync,
  async open(target) {
    const dialect = dialectOf(target);
    const ds = new DataSource(typeormOptions(target, false));
    await ds.initialize();
    const users = ds.getRepository<TUser>('User');
    const orders = ds.getRepository<TOrder>('Order');
    const read = async (): Promise<Snapshot> => ({
      users: (await users.find({ order: { id: 'ASC' } })) as unknown as Record<string, unknown>[],
      orders: (await orders.find({ order: { id: 'ASC' } })) as unknown as Record<string, unknown>[],
    });
    return {
      dialect,
      async insertUser(u) {
        const saved = await users.save(
          users.create({
            email: u.email,
            active: u.active,
            created_at: u.createdAt,
            balance: Number(u.balance),
            external_id: u.externalId,
            settings: u.settings,
          }),
        );
        return saved.id;
      },
      async insertOrder(o) {
        const saved = await orders.save(
          orders.create({
            user_id: o.user,
            total: Number(o.total),
            placed_at: o.placedAt,
            paid: o.paid,
            note: o.note,
          }),
        );
        return saved.id;
      },
      async updateUser(id, p) {
        await users.update(id, {
          ...(p.active !== undefined && { active: p.active }),
          ...(p.balance !== undefined && { balance: Number(p.balance) }),
          ...(p.settings !== undefined && { settings: p.settings as never }),
        });
      },
      async updateOrder(id, p) {
        await orders.update(id, { ...(p.paid !== undefined && { paid: p.paid }), ...(p.note !== undefined && { note: p.note }) });
      },
      readAll: read,
      readDriverRows: read,
      async usersCreatedBetween(from, to) {
        return ids(await users.find({ select: { id: true }, where: { created_at: Between(from, to) }, order: { id: 'ASC' } }));
      },
      async ordersPlacedBetween(from, to) {
        return ids(await orders.find({ select: { id: true }, where: { placed_at: Between(from, to) }, order: { id: 'ASC' } }));
      },
      async usersActive(value) {
        return ids(await users.find({ select: { id: true }, where: { active: value }, order: { id: 'ASC' } }));
      },
      async ordersPaid(value) {
        return ids(await orders.find({ select: { id: true }, where: { paid: value }, order: { id: 'ASC' } }));
      },
      async usersWithTheme(theme) {
        // TypeORM has no portable JSON filter (JsonContains is PostgreSQL jsonb only): raw SQL per dialect.
        const cond = dialect === 'sqlite' ? `json_extract(u.settings, '$.theme') = :theme` : `u.settings ->> 'theme' = :theme`;
        const rows = await users.createQueryBuilder('u').select('u.id', 'id').where(cond, { theme }).orderBy('u.id').getRawMany<{ id: unknown }>();
        return ids(rows);
      },
      async close() {
        await ds.destroy();
      },
    };
  },
};

// ---------------------------------------------------------------------------------------------
// Knex
// ---------------------------------------------------------------------------------------------

const knexFactory = knexPkg as unknown as (config: Knex.Config) => Knex;

function knexConnect(target: string): Knex {
  return dialectOf(target) === 'sqlite'
    ? knexFactory({ client: 'better-sqlite3', connection: { filename: target }, useNullAsDefault: true })
    : knexFactory({ client: 'pg', connection: target });
}

/** The app's schema, as a Knex migration would create it (the same code on both databases). */
async function knexCreateSchema(target: string): Promise<void> {
  const k = knexConnect(target);
  try {
    await k.schema.createTable('users', (t) => {
      t.increments('id');
      t.string('email', 120).notNullable().unique();
      t.boolean('active').notNullable();
      t.datetime('created_at').notNullable();
      t.decimal('balance', 10, 2).notNullable();
      t.uuid('external_id').notNullable();
      t.json('settings').notNullable();
    });
    await k.schema.createTable('orders', (t) => {
      t.increments('id');
      t.integer('user_id').unsigned().notNullable().references('id').inTable('users');
      t.decimal('total', 10, 2).notNullable();
      t.datetime('placed_at').notNullable();
      t.boolean('paid').notNullable();
      t.text('note');
    });
  } finally {
    await k.destroy();
  }
}

/*
 * Knex hands back what the driver returns. On SQLite (better-sqlite3) that is the stored value:
 * booleans 0/1, dates as the epoch milliseconds Knex wrote for a JS Date, decimals as the REAL in the
 * FLOAT column, JSON as text. On PostgreSQL pg gives boolean, Date, numeric as text and parsed JSON.
 * A Knex app converts these itself; these are that conversion, and readAll() applies them.
 */
const toBool = (v: unknown) => (typeof v === 'boolean' ? v : v === null ? null : Number(v) === 1);
const toDate = (v: unknown) => (v instanceof Date ? v : v === null ? null : new Date(typeof v === 'number' ? v : String(v)));
const toNum = (v: unknown) => (v === null ? null : Number(v));
const toJson = (v: unknown) => (typeof v === 'string' ? (JSON.parse(v) as unknown) : v);

function knexUser(r: Record<string, unknown>): Record<string, unknown> {
  return { ...r, active: toBool(r.active), created_at: toDate(r.created_at), balance: toNum(r.balance), settings: toJson(r.settings) };
}
function knexOrder(r: Record<string, unknown>): Record<string, unknown> {
  return { ...r, total: toNum(r.total), placed_at: toDate(r.placed_at), paid: toBool(r.paid) };
}

export const knexApp: OrmApp = {
  name: 'knex',
  schemaTool: 'Knex schema builder (createTable)',
  // Knex declares decimal(10, 2) as FLOAT on SQLite, so the file says "float" holding REALs; the app
  // means exact decimals (Knex creates decimal(10,2) on PostgreSQL). The config says numeric.
  ferryConfig: {
    copy: {
      tables: {
        // char(36) for Knex's uuid(): configured as uuid, like TypeORM's varchar.
        users: { columns: { balance: { type: 'numeric' }, external_id: { type: 'uuid' } } },
        orders: { columns: { total: { type: 'numeric' } } },
      },
    },
  },
  leniencies: [
    {
      column: 'users.balance',
      accept: ['numeric'],
      reason: 'Knex wrote `float` into SQLite: precision and scale (10,2) are gone from the file; numeric without them is the best a copy can do',
    },
    {
      column: 'orders.total',
      accept: ['numeric'],
      reason: 'Knex wrote `float` into SQLite: precision and scale (10,2) are gone from the file; numeric without them is the best a copy can do',
    },
  ],
  createSqliteSchema: knexCreateSchema,
  createPostgresSchema: knexCreateSchema,
  async open(target) {
    const dialect = dialectOf(target);
    const k = knexConnect(target);
    const driverRows = async (): Promise<Snapshot> => ({
      users: await k('users').select('*').orderBy('id'),
      orders: await k('orders').select('*').orderBy('id'),
    });
    const idsOf = async (q: Knex.QueryBuilder) => ids(await q.select('id').orderBy('id'));
    return {
      dialect,
      async insertUser(u) {
        // JSON is passed as text: pg would turn a JS array into a PostgreSQL array, and SQLite takes no objects.
        const [row] = await k('users')
          .insert({
            email: u.email,
            active: u.active,
            created_at: u.createdAt,
            balance: Number(u.balance),
            external_id: u.externalId,
            settings: JSON.stringify(u.settings),
          })
          .returning('id');
        return Number((row as { id: unknown }).id);
      },
      async insertOrder(o) {
        const [row] = await k('orders')
          .insert({ user_id: o.user, total: Number(o.total), placed_at: o.placedAt, paid: o.paid, note: o.note })
          .returning('id');
        return Number((row as { id: unknown }).id);
      },
      async updateUser(id, p) {
        await k('users')
          .where({ id })
          .update({
            ...(p.active !== undefined && { active: p.active }),
            ...(p.balance !== undefined && { balance: Number(p.balance) }),
            ...(p.settings !== undefined && { settings: JSON.stringify(p.settings) }),
          });
      },
      async updateOrder(id, p) {
        await k('orders')
          .where({ id })
          .update({ ...(p.paid !== undefined && { paid: p.paid }), ...(p.note !== undefined && { note: p.note }) });
      },
      async readAll() {
        const raw = await driverRows();
        return { users: raw.users.map(knexUser), orders: raw.orders.map(knexOrder) };
      },
      readDriverRows: driverRows,
      usersCreatedBetween: (from, to) => idsOf(k('users').whereBetween('created_at', [from, to])),
      ordersPlacedBetween: (from, to) => idsOf(k('orders').whereBetween('placed_at', [from, to])),
      usersActive: (value) => idsOf(k('users').where('active', value)),
      ordersPaid: (value) => idsOf(k('orders').where('paid', value)),
      usersWithTheme(theme) {
        // Knex's whereJsonPath works on SQLite but on PostgreSQL needs jsonb, and Knex's own
        // t.json() makes json there: the app uses raw SQL per dialect.
        return dialect === 'sqlite'
          ? idsOf(k('users').whereJsonPath('settings', '$.theme', '=', theme))
          : idsOf(k('users').whereRaw(`settings ->> 'theme' = ?`, [theme]));
      },
      async close() {
        await k.destroy();
      },
    };
  },
};

// ---------------------------------------------------------------------------------------------
// Drizzle
// ---------------------------------------------------------------------------------------------

/**
 * The app's SQLite model, written the way Drizzle's docs do for SQLite. Decimals use numeric in
 * mode 'number': in the default mode 'string' the app would read back '0.1' on SQLite (NUMERIC
 * affinity stores the REAL) but '0.10' on PostgreSQL for what it wrote as '0.10', so an app that
 * runs on both reads numbers.
 */
const dSqliteUsers = sq.sqliteTable('users', {
  id: sq.integer('id').primaryKey({ autoIncrement: true }),
  email: sq.text('email', { length: 120 }).notNull().unique(),
  active: sq.integer('active', { mode: 'boolean' }).notNull(),
  createdAt: sq.integer('created_at', { mode: 'timestamp' }).notNull(),
  balance: sq.numeric('balance', { mode: 'number' }).notNull(),
  externalId: sq.text('external_id').notNull(),
  settings: sq.text('settings', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
});
const dSqliteOrders = sq.sqliteTable('orders', {
  id: sq.integer('id').primaryKey({ autoIncrement: true }),
  userId: sq
    .integer('user_id')
    .notNull()
    .references(() => dSqliteUsers.id),
  total: sq.numeric('total', { mode: 'number' }).notNull(),
  placedAt: sq.integer('placed_at', { mode: 'timestamp_ms' }).notNull(),
  paid: sq.integer('paid', { mode: 'boolean' }).notNull(),
  note: sq.text('note'),
});

/** The PostgreSQL model a port of the app adds (Drizzle tables are per dialect). */
const dPgUsers = pgc.pgTable('users', {
  id: pgc.integer('id').primaryKey().generatedByDefaultAsIdentity(),
  email: pgc.varchar('email', { length: 120 }).notNull().unique(),
  active: pgc.boolean('active').notNull(),
  createdAt: pgc.timestamp('created_at', { withTimezone: true }).notNull(),
  balance: pgc.numeric('balance', { mode: 'number' }).notNull(),
  externalId: pgc.uuid('external_id').notNull(),
  settings: pgc.json('settings').$type<Record<string, unknown>>().notNull(),
});
const dPgOrders = pgc.pgTable('orders', {
  id: pgc.integer('id').primaryKey().generatedByDefaultAsIdentity(),
  userId: pgc
    .integer('user_id')
    .notNull()
    .references(() => dPgUsers.id),
  total: pgc.numeric('total', { mode: 'number' }).notNull(),
  placedAt: pgc.timestamp('placed_at', { withTimezone: true }).notNull(),
  paid: pgc.boolean('paid').notNull(),
  note: pgc.text('note'),
});

/** The statements `drizzle-kit generate` would write for the SQLite model. */
export async function drizzleSqliteDdl(): Promise<string[]> {
  return generateSQLiteMigration(await generateSQLiteDrizzleJson({}), await generateSQLiteDrizzleJson({ users: dSqliteUsers, orders: dSqliteOrders }));
}

/** The statements `drizzle-kit generate` would write for the PostgreSQL model. */
export async function drizzlePgDdl(): Promise<string[]> {
  return generateMigration(generateDrizzleJson({}), generateDrizzleJson({ users: dPgUsers, orders: dPgOrders }));
}

/** The app writes created_at in whole seconds everywhere: its SQLite column (mode 'timestamp') holds epoch seconds. */
const wholeSeconds = (d: Date) => new Date(Math.floor(d.getTime() / 1000) * 1000);

export const drizzleApp: OrmApp = {
  name: 'drizzle',
  schemaTool: 'drizzle-kit programmatic API (generateSQLiteMigration / generateMigration from an empty snapshot), executed as is',
  // Drizzle stores booleans and dates in INTEGER columns (integer({ mode: 'boolean' | 'timestamp' |
  // 'timestamp_ms' })) and JSON in a TEXT column (text({ mode: 'json' })): the declared types say
  // integer and text, so nothing in the file tells a copy they are booleans, epoch times and JSON.
  // created_at is epoch seconds, placed_at epoch milliseconds.
  ferryConfig: {
    copy: {
      tables: {
        users: { columns: { active: { type: 'boolean' }, created_at: { epoch: 'seconds' }, settings: { type: 'json' }, external_id: { type: 'uuid' } } },
        orders: { columns: { paid: { type: 'boolean' }, placed_at: { epoch: 'milliseconds' } } },
      },
    },
  },
  leniencies: [
    {
      column: 'users.email',
      accept: ['text', 'character varying(120)'],
      reason: 'drizzle-kit declares text(120) on SQLite (no length enforced there); the PostgreSQL port uses varchar(120)',
    },
  ],
  async createSqliteSchema(file) {
    const db = new Database(file);
    try {
      for (const s of await drizzleSqliteDdl()) db.exec(s);
    } finally {
      db.close();
    }
  },
  async createPostgresSchema(url) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      for (const s of await drizzlePgDdl()) await client.query(s);
    } finally {
      await client.end();
    }
  },
  async open(target) {
    const dialect = dialectOf(target);
    let close: () => Promise<void>;
    // The two dialects' query builders have different static types but the same API.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    let db: any;
    let u: typeof dSqliteUsers | typeof dPgUsers;
    let o: typeof dSqliteOrders | typeof dPgOrders;
    if (dialect === 'sqlite') {
      const file = new Database(target);
      db = drizzleSqlite(file);
      u = dSqliteUsers;
      o = dSqliteOrders;
      close = async () => void file.close();
    } else {
      const pool = new pg.Pool({ connectionString: target, max: 2 });
      db = drizzlePg(pool);
      u = dPgUsers;
      o = dPgOrders;
      close = () => pool.end();
    }
    const read = async (): Promise<Snapshot> => ({
      users: await db.select().from(u).orderBy(asc(u.id)),
      orders: await db.select().from(o).orderBy(asc(o.id)),
    });
    const idsWhere = async (table: typeof u | typeof o, cond: unknown) => ids(await db.select({ id: table.id }).from(table).where(cond).orderBy(asc(table.id)));
    return {
      dialect,
      async insertUser(x) {
        const [row] = await db
          .insert(u)
          .values({
            email: x.email,
            active: x.active,
            createdAt: wholeSeconds(x.createdAt),
            balance: Number(x.balance),
            externalId: x.externalId,
            settings: x.settings,
          })
          .returning({ id: u.id });
        return Number(row.id);
      },
      async insertOrder(x) {
        const [row] = await db
          .insert(o)
          .values({ userId: x.user, total: Number(x.total), placedAt: x.placedAt, paid: x.paid, note: x.note })
          .returning({ id: o.id });
        return Number(row.id);
      },
      async updateUser(id, p) {
        await db
          .update(u)
          .set({
            ...(p.active !== undefined && { active: p.active }),
            ...(p.balance !== undefined && { balance: Number(p.balance) }),
            ...(p.settings !== undefined && { settings: p.settings }),
          })
          .where(eq(u.id, id));
      },
      async updateOrder(id, p) {
        await db
          .update(o)
          .set({ ...(p.paid !== undefined && { paid: p.paid }), ...(p.note !== undefined && { note: p.note }) })
          .where(eq(o.id, id));
      },
      readAll: read,
      readDriverRows: read,
      usersCreatedBetween: (from, to) => idsWhere(u, between(u.createdAt, wholeSeconds(from), wholeSeconds(to))),
      ordersPlacedBetween: (from, to) => idsWhere(o, and(gte(o.placedAt, from), lte(o.placedAt, to))),
      usersActive: (value) => idsWhere(u, eq(u.active, value)),
      ordersPaid: (value) => idsWhere(o, eq(o.paid, value)),
      usersWithTheme(theme) {
        // Drizzle has no JSON operators: the app writes the dialect's SQL.
        return idsWhere(u, dialect === 'sqlite' ? sql`json_extract(${u.settings}, '$.theme') = ${theme}` : sql`${u.settings} ->> 'theme' = ${theme}`);
      },
      close: () => close(),
    };
  },
};

export const ORM_APPS: OrmApp[] = [typeormApp, knexApp, drizzleApp];

// ---------------------------------------------------------------------------------------------
// The data every app writes
// ---------------------------------------------------------------------------------------------

const uuid = (n: number) =>
  crypto
    .createHash('sha256')
    .update(`user-${n}`)
    .digest('hex')
    .replace(/^(.{8})(.{4}).(.{3}).(.{3})(.{12}).*$/, '$1-$2-4$3-a$4-$5');

/** Users written on SQLite: decimals 19.99 / 0.10 / -5.00 / 12345678.90, dates with milliseconds, both booleans. */
export const SEED_USERS: NewUser[] = [
  {
    email: 'alice@example.com',
    active: true,
    createdAt: new Date('2024-01-01T21:00:00.438Z'),
    balance: '19.99',
    externalId: uuid(1),
    settings: { theme: 'dark', tags: ['a', 'b'], limits: { daily: 1.5 } },
  },
  {
    email: 'bob@example.com',
    active: false,
    createdAt: new Date('2024-02-29T12:00:00.000Z'),
    balance: '0.10',
    externalId: uuid(2),
    settings: { theme: 'light', beta: true },
  },
  {
    email: 'carol@example.com',
    active: true,
    createdAt: new Date('2023-12-31T23:59:59.999Z'),
    balance: '-5.00',
    externalId: uuid(3),
    settings: { theme: 'dark', quote: 'it\'s "quoted" é ✓', empty: null },
  },
  { email: 'dave@example.com', active: false, createdAt: new Date('2024-06-15T08:30:15.123Z'), balance: '12345678.90', externalId: uuid(4), settings: {} },
];

/** Orders written on SQLite, given the users' ids in SEED_USERS order. */
export function seedOrders(userIds: number[]): NewOrder[] {
  const [a, b, c, d] = userIds as [number, number, number, number];
  return [
    { user: a, total: '19.99', placedAt: new Date('2024-01-02T10:15:30.250Z'), paid: true, note: 'first order' },
    { user: a, total: '0.10', placedAt: new Date('2024-01-03T00:00:00.001Z'), paid: false, note: null },
    { user: b, total: '-5.00', placedAt: new Date('2024-03-01T12:00:00.000Z'), paid: true, note: 'refund' },
    { user: c, total: '12345678.90', placedAt: new Date('2024-02-29T23:59:59.999Z'), paid: false, note: null },
    { user: d, total: '100.00', placedAt: new Date('2024-06-15T08:30:15.124Z'), paid: true, note: 'ünïcode ✓ "double" \'single\'' },
    { user: b, total: '0.01', placedAt: new Date('2024-12-31T23:59:59.500Z'), paid: false, note: '' },
  ];
}

/** The user and order the app adds after the move (on PostgreSQL; on a SQLite copy for the expected state). */
export const LATER_USER: NewUser = {
  email: 'erin@example.com',
  active: true,
  createdAt: new Date('2025-01-15T09:45:00.321Z'),
  balance: '250.50',
  externalId: uuid(5),
  settings: { theme: 'dark', v: 2 },
};
export function laterOrder(userId: number): NewOrder {
  return { user: userId, total: '42.42', placedAt: new Date('2025-01-15T09:46:00.007Z'), paid: false, note: null };
}

/** The filters run on every backend, with bounds that fall exactly on stored milliseconds. */
export async function runFilters(s: OrmSession): Promise<Record<string, number[]>> {
  return {
    usersCreatedBetween: await s.usersCreatedBetween(new Date('2024-01-01T21:00:00.438Z'), new Date('2024-02-29T12:00:00.000Z')),
    ordersPlacedBetween: await s.ordersPlacedBetween(new Date('2024-01-03T00:00:00.001Z'), new Date('2024-06-15T08:30:15.123Z')),
    usersActive: await s.usersActive(true),
    usersInactive: await s.usersActive(false),
    ordersPaid: await s.ordersPaid(true),
    ordersUnpaid: await s.ordersPaid(false),
    usersDarkTheme: await s.usersWithTheme('dark'),
  };
}

/** Writes the seed rows through the app; returns the ids it got. */
export async function writeSeed(s: OrmSession): Promise<{ users: number[]; orders: number[] }> {
  const users: number[] = [];
  for (const u of SEED_USERS) users.push(await s.insertUser(u));
  const orders: number[] = [];
  for (const o of seedOrders(users)) orders.push(await s.insertOrder(o));
  return { users, orders };
}

/** What the app does after the move: one new user and order, one user and one order changed. */
export async function applyLaterChanges(s: OrmSession, seed: { users: number[]; orders: number[] }): Promise<{ user: number; order: number }> {
  const user = await s.insertUser(LATER_USER);
  const order = await s.insertOrder(laterOrder(user));
  await s.updateUser(seed.users[1]!, { active: true, balance: '7.05', settings: { theme: 'dark', beta: false } });
  await s.updateOrder(seed.orders[1]!, { paid: true, note: 'paid later' });
  return { user, order };
}

/** Runs `fn` with a session of `app` on `target`, closed afterwards. */
export async function withSession<T>(app: OrmApp, target: string, fn: (s: OrmSession) => Promise<T>): Promise<T> {
  const s = await app.open(target);
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}
