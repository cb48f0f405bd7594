import { sql, type Kysely } from 'kysely';

const statements = [
  // Review queues filtered by qualification (without a state) page in index order too.
  `CREATE INDEX applications_registrar_qualification ON applications (registrar_id, qualification_id, created_at, id)`,
  // Family qualifications (技能士 131 trades, ...) keep one register per kind: a holder may hold several.
  `ALTER TABLE registry_entries ADD COLUMN variant text`,
  // Registrations (or cards) that the law renews carry their expiry as a Japan-time date.
  `ALTER TABLE registry_entries ADD COLUMN expires_on text`,
  `DROP INDEX registry_entries_active_holder`,
  `CREATE UNIQUE INDEX registry_entries_active_holder ON registry_entries (qualification_id, (coalesce(variant, '')), holder_id)
    WHERE holder_id IS NOT NULL AND status = 'active'`,
  // Every version of every qualification file ever loaded; new applications use the one in force.
  `CREATE TABLE definition_versions (
    qualification_id text NOT NULL,
    version integer NOT NULL CHECK (version > 0),
    effective_from text,
    content_hash text NOT NULL,
    definition jsonb NOT NULL,
    procedures jsonb NOT NULL,
    first_loaded_at timestamptz NOT NULL,
    PRIMARY KEY (qualification_id, version)
  )`,
  // Every compiled procedure a version has had (a template change gives a version new hashes), so a
  // migration between versions finds all applications pinned to the old one.
  `CREATE TABLE definition_version_hashes (
    qualification_id text NOT NULL,
    version integer NOT NULL,
    procedure text NOT NULL,
    hash text NOT NULL REFERENCES definitions (hash),
    PRIMARY KEY (qualification_id, version, procedure, hash),
    FOREIGN KEY (qualification_id, version) REFERENCES definition_versions (qualification_id, version)
  )`,
];

// Frozen in time: never edit a migration that has shipped; add a new one.
export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX applications_registrar_qualification`.execute(db);
  await sql`DROP TABLE definition_version_hashes`.execute(db);
  await sql`DROP TABLE definition_versions`.execute(db);
  await sql`DROP INDEX registry_entries_active_holder`.execute(db);
  await sql`CREATE UNIQUE INDEX registry_entries_active_holder ON registry_entries (qualification_id, holder_id) WHERE holder_id IS NOT NULL AND status = 'active'`.execute(db);
  await sql`ALTER TABLE registry_entries DROP COLUMN expires_on`.execute(db);
  await sql`ALTER TABLE registry_entries DROP COLUMN variant`.execute(db);
}
