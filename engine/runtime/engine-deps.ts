import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Database } from './database-schema.ts';
import type { DefinitionStore } from './definition-store.ts';

/** What every engine operation needs; passed first, kysely-style. */
export interface EngineDeps {
  readonly db: Kysely<Database>;
  readonly definitions: DefinitionStore;
  readonly clock: Clock;
}

/** Runs `fn` in a transaction, or inside the caller's when `db` already is one. */
export function inTransaction<T>(db: Kysely<Database>, fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db) : db.transaction().execute(fn);
}

/**
 * Runs `fn` with every statement on one pooled connection (read, then write): one pool checkout per
 * request instead of one per statement.
 */
export function withConnection<T>(deps: EngineDeps, fn: (deps: EngineDeps) => Promise<T>): Promise<T> {
  return deps.db.isTransaction ? fn(deps) : deps.db.connection().execute((db) => fn({ ...deps, db }));
}
