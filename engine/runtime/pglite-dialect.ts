import type { PGlite, Transaction } from '@electric-sql/pglite';
import {
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
} from 'kysely';

/**
 * Kysely on embedded PGlite. PGlite has one session, so a transaction holds PGlite's exclusive
 * `transaction()` lock: any other caller waits instead of landing inside our BEGIN.
 */
class PGliteConnection implements DatabaseConnection {
  tx: Transaction | undefined;
  done: ((commit: boolean) => void) | undefined;
  closed: Promise<unknown> | undefined;

  constructor(private readonly pg: PGlite) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const result = await (this.tx ?? this.pg).query<R>(query.sql, query.parameters as unknown[]);
    return {
      rows: result.rows,
      ...(result.affectedRows !== undefined ? { numAffectedRows: BigInt(result.affectedRows) } : {}),
    };
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming is not supported on PGlite');
  }
}

class PGliteDriver implements Driver {
  constructor(private readonly pg: PGlite) {}

  async init(): Promise<void> {
    await this.pg.waitReady;
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    return new PGliteConnection(this.pg);
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const c = connection as PGliteConnection;
    await new Promise<void>((begun, failed) => {
      c.closed = this.pg
        .transaction(async (tx) => {
          c.tx = tx;
          begun();
          const commit = await new Promise<boolean>((resolve) => (c.done = resolve));
          if (!commit) await tx.rollback();
        })
        .catch((error: unknown) => {
          failed(error);
          throw error;
        });
    });
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const c = connection as PGliteConnection;
    c.done?.(true);
    try {
      await c.closed;
    } finally {
      c.tx = undefined;
    }
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const c = connection as PGliteConnection;
    c.done?.(false);
    await c.closed?.catch(() => undefined);
    c.tx = undefined;
  }

  async releaseConnection(): Promise<void> {}

  async destroy(): Promise<void> {
    if (!this.pg.closed) await this.pg.close();
  }
}

export class PGliteDialect implements Dialect {
  constructor(private readonly pg: PGlite) {}
  createAdapter() {
    return new PostgresAdapter();
  }
  createDriver(): Driver {
    return new PGliteDriver(this.pg);
  }
  createQueryCompiler() {
    return new PostgresQueryCompiler();
  }
  createIntrospector(db: Kysely<any>) {
    return new PostgresIntrospector(db);
  }
}
