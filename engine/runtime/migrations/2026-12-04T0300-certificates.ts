import { sql, type Kysely } from 'kysely';

const statements = [
  // Every certificate (デジタル資格者証) issued: the signed PDF, what signed it, and whether it is still valid.
  `CREATE TABLE certificates (
    id uuid PRIMARY KEY,
    registry_entry_id uuid NOT NULL REFERENCES registry_entries (id),
    qualification_id text NOT NULL,
    holder_id text,
    source_application_id uuid,
    status text NOT NULL CHECK (status IN ('active', 'superseded', 'deregistered', 'revoked')),
    status_reason text,
    token_key_id text NOT NULL,
    printed jsonb NOT NULL,
    pdf bytea NOT NULL,
    pdf_sha256 text NOT NULL,
    issued_at timestamptz NOT NULL,
    status_changed_at timestamptz NOT NULL
  )`,
  // At most one valid certificate per registry entry: issuing the next one supersedes it.
  `CREATE UNIQUE INDEX certificates_active_entry ON certificates (registry_entry_id) WHERE status = 'active'`,
  `CREATE INDEX certificates_holder ON certificates (holder_id, qualification_id, issued_at DESC)`,
  // Issuance is an outbox effect delivered at least once: one certificate per approving application.
  `CREATE UNIQUE INDEX certificates_source_application ON certificates (source_application_id) WHERE source_application_id IS NOT NULL`,
];

// Frozen in time: never edit a migration that has shipped; add a new one.
export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE certificates`.execute(db);
}
