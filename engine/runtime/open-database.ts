import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './database-schema.ts';
import { acquireLockFile } from './lock-file.ts';
import { PGliteDialect } from './pglite-dialect.ts';

export type DatabaseKind = 'postgres' | 'pglite';

/** An open database: kysely for all SQL, plus how to close it and release its lock. */
export interface OpenDatabase {
  readonly db: Kysely<Database>;
  readonly kind: DatabaseKind;
  close(): Promise<void>;
}

const INT8_OID = 20;
// Registration numbers and outbox ids are int8; they stay far below 2^53, so plain numbers are exact.
const parseInt8 = (value: string) => Number(value);

/** A PostgreSQL pool whose int8 values come back as numbers. */
export function createPostgresPool(connectionString: string, max = 10): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? parseInt8 : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client whose server connection dies (restart, failover, admin termination) emits `error` on
  // the pool; unhandled, that would crash the process. The pool drops the client and connects anew.
  pool.on('error', () => undefined);
  return pool;
}

/** Kysely over an existing PGlite instance (tests share one per file). */
export function pgliteKysely(pglite: PGlite): Kysely<Database> {
  return new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
}

export const pgliteOptions = { parsers: { [INT8_OID]: parseInt8 } };

/**
 * Opens PostgreSQL when `databaseUrl` is set, else embedded PGlite persisted in `dataDir`, guarded
 * by a lock file so a second process is refused. PGlite never fsyncs: committed data survives a
 * process crash, not a power loss.
 * @throws ShikakuError DATABASE_LOCKED when another live process uses `dataDir`.
 */
export async function openDatabase(options: { databaseUrl?: string | undefined; dataDir: string; poolSize?: number }): Promise<OpenDatabase> {
  if (options.databaseUrl) {
    const pool = createPostgresPool(options.databaseUrl, options.poolSize);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, kind: 'postgres', close: () => db.destroy() };
  }
  mkdirSync(options.dataDir, { recursive: true });
  const release = acquireLockFile(join(options.dataDir, 'shikaku.lock'));
  try {
    const pglite = await PGlite.create(join(options.dataDir, 'pgdata'), pgliteOptions);
    const db = pgliteKysely(pglite);
    return {
      db,
      kind: 'pglite',
      close: async () => {
        try {
          await db.destroy();
        } finally {
          release();
        }
      },
    };
  } catch (error) {
    release();
    throw error;
  }
}
