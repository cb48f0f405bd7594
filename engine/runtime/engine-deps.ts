import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Database } from './database-schema.ts';
import type { DefinitionStore } from './definition-store.ts';

/** An event the engine applied, as observers see it: definition names only, no ids or personal data. */
export interface AppliedTransition {
  readonly qualification: string;
  readonly procedure: string;
  readonly event: string;
}

/** What every engine operation needs; passed first, kysely-style. */
export interface EngineDeps {
  readonly db: Kysely<Database>;
  readonly definitions: DefinitionStore;
  readonly clock: Clock;
  /**
   * Told of every event `applyToRow` applies, whoever sent it (API, worker timers), once its write is
   * committed; when the caller passed its own transaction (create with submit), once the write is done
   * in it. It must not throw: the transition has already happened. Metrics hang off it.
   */
  readonly onTransition?: ((transition: AppliedTransition) => void) | undefined;
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
