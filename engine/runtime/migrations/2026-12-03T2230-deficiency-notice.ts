import { sql, type Kysely } from 'kysely';

// The open deficiency notice (申請不備通知) of an application: the reviewer's field notes, shown to the
// applicant and checked before a resubmission. Null when none is open.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE applications ADD COLUMN notice jsonb`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE applications DROP COLUMN notice`.execute(db);
}
