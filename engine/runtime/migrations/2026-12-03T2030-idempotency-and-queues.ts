import { sql, type Kysely } from 'kysely';

const statements = [
  // Stored first responses of POSTs carrying Idempotency-Key, per caller.
  `CREATE TABLE idempotency_keys (
    caller_id text NOT NULL,
    key text NOT NULL,
    request_hash text NOT NULL,
    status_code integer,
    response_headers jsonb,
    response_body text,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (caller_id, key)
  )`,
  `CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at)`,
  // Review queues without a qualification filter, and applicants' own lists.
  `CREATE INDEX applications_registrar_queue ON applications (registrar_id, created_at, id)`,
  `CREATE INDEX applications_registrar_state ON applications (registrar_id, state, created_at, id)`,
];

// Frozen in time: never edit a migration that has shipped; add a new one.
export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX applications_registrar_state`.execute(db);
  await sql`DROP INDEX applications_registrar_queue`.execute(db);
  await sql`DROP TABLE idempotency_keys`.execute(db);
}
