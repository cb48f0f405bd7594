import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { createPostgresPool, migrateToLatest, pgliteKysely, pgliteOptions, type Database, type DatabaseKind } from '../../engine/index.ts';

/** The PostgreSQL server tests may create databases on (CI sets it); PGlite always runs. */
const adminUrl = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;

export interface TestDatabase {
  readonly kind: DatabaseKind;
  readonly db: Kysely<Database>;
  /** A second, independent connection source (another "process"); PGlite has only one session. */
  readonly connect: () => Kysely<Database>;
  readonly url?: string;
  drop(): Promise<void>;
}

/** The kinds every database test loops over, like kysely's dialect loop. */
export const databaseKinds: DatabaseKind[] = adminUrl ? ['pglite', 'postgres'] : ['pglite'];
export const postgresAvailable = adminUrl !== undefined;

/** A fresh, migrated database of `kind` that `drop()` removes: tests never rely on leftovers. */
export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const pglite = await PGlite.create('memory://', pgliteOptions);
    const db = pgliteKysely(pglite);
    await migrateToLatest(db);
    return { kind, db, connect: () => db, drop: () => db.destroy() };
  }
  if (!adminUrl) throw new Error('set TEST_DATABASE_URL to run PostgreSQL tests');
  const name = `shikaku_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const pools: pg.Pool[] = [];
  const connect = () => {
    const pool = createPostgresPool(url.toString(), 20);
    pools.push(pool);
    return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  };
  const db = connect();
  await migrateToLatest(db);
  return {
    kind,
    db,
    connect,
    url: url.toString(),
    async drop() {
      await Promise.all(pools.map((p) => p.end().catch(() => undefined)));
      const dropper = new pg.Client({ connectionString: adminUrl });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await dropper.end();
    },
  };
}
