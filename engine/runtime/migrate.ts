import { Migrator, type Kysely, type MigrationResult } from 'kysely';
import * as initial from './migrations/2026-12-03T1940-initial.ts';
import * as idempotencyAndQueues from './migrations/2026-12-03T2030-idempotency-and-queues.ts';
import * as deficiencyNotice from './migrations/2026-12-03T2230-deficiency-notice.ts';
import * as variantsExpiryVersions from './migrations/2026-12-04T0200-variants-expiry-versions.ts';
import * as certificates from './migrations/2026-12-04T0300-certificates.ts';
import * as attachments from './migrations/2026-12-04T0400-attachments.ts';

// A static list: file discovery would need .ts loading at run time and could pick up stray files.
// Kysely applies migrations in name order; names start with their creation time.
const migrations = {
  '2026-12-03T1940-initial': initial,
  '2026-12-03T2030-idempotency-and-queues': idempotencyAndQueues,
  '2026-12-03T2230-deficiency-notice': deficiencyNotice,
  '2026-12-04T0200-variants-expiry-versions': variantsExpiryVersions,
  '2026-12-04T0300-certificates': certificates,
  '2026-12-04T0400-attachments': attachments,
};

/** Applies pending migrations (idempotent; PostgreSQL serialises concurrent runs with an advisory lock). */
export async function migrateToLatest(db: Kysely<any>): Promise<MigrationResult[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  return results ?? [];
}
