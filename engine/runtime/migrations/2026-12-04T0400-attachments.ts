import { sql, type Kysely } from 'kysely';

const statements = [
  // Documents uploaded to an application (a photo, a scanned pass certificate). The application's data
  // refers to one as `upload:<id>`; a replaced upload is deleted, so each key has at most one row.
  `CREATE TABLE attachments (
    id uuid PRIMARY KEY,
    application_id uuid NOT NULL REFERENCES applications (id),
    key text NOT NULL,
    media_type text NOT NULL,
    byte_size integer NOT NULL,
    sha256 text NOT NULL,
    content bytea NOT NULL,
    uploaded_by text NOT NULL,
    uploaded_at timestamptz NOT NULL
  )`,
  `CREATE UNIQUE INDEX attachments_application_key ON attachments (application_id, key)`,
  // The photo a certificate printed (item ⑧), so a later certificate without a new photo prints the same one.
  `ALTER TABLE certificates ADD COLUMN photo_attachment_id uuid REFERENCES attachments (id)`,
];

// Frozen in time: never edit a migration that has shipped; add a new one.
export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE certificates DROP COLUMN photo_attachment_id`.execute(db);
  await sql`DROP TABLE attachments`.execute(db);
}
