import type { Kysely, Selectable } from 'kysely';
import type { CertificatesTable, CertificateStatus, Database } from './database-schema.ts';

export type CertificateRow = Selectable<CertificatesTable>;

/** What a verifier may learn about a certificate: its status, never its PDF or holder id. */
export interface CertificateStatusView {
  readonly id: string;
  readonly qualificationId: string;
  readonly status: CertificateStatus;
  /** Why it is no longer valid (for revoked: the admin's reason; otherwise what superseded it). */
  readonly reason: string | null;
  readonly changedAt: Date;
}

/** The status of a certificate by id; undefined when there is none or `id` is not a UUID. */
export async function findCertificateStatus(db: Kysely<Database>, id: string): Promise<CertificateStatusView | undefined> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return undefined;
  const row = await db
    .selectFrom('certificates')
    .select(['id', 'qualification_id', 'status', 'status_reason', 'status_changed_at'])
    .where('id', '=', id)
    .executeTakeFirst();
  return row && { id: row.id, qualificationId: row.qualification_id, status: row.status, reason: row.status_reason, changedAt: new Date(row.status_changed_at) };
}
