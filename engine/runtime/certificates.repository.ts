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

/** Marks the active certificate of a registry entry as no longer valid, with why. */
export async function markEntryCertificates(db: Kysely<Database>, registryEntryId: string, status: Exclude<CertificateStatus, 'active'>, reason: string, now: Date): Promise<number> {
  const result = await db
    .updateTable('certificates')
    .set({ status, status_reason: reason, status_changed_at: now })
    .where('registry_entry_id', '=', registryEntryId)
    .where('status', '=', 'active')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * Revokes one certificate (an admin's decision, e.g. a leaked copy), with the reason verifiers see.
 * @returns the certificate's status before, or undefined when there is no such certificate.
 */
export async function revokeCertificate(db: Kysely<Database>, id: string, reason: string, now: Date): Promise<CertificateStatus | undefined> {
  const before = await findCertificateStatus(db, id);
  if (!before) return undefined;
  await db.updateTable('certificates').set({ status: 'revoked', status_reason: reason, status_changed_at: now }).where('id', '=', id).execute();
  return before.status;
}

/** The holder's current (active) certificate for a qualification (and kind), PDF included. */
export async function findCurrentCertificate(db: Kysely<Database>, holderId: string, qualificationId: string, registryEntryId?: string): Promise<CertificateRow | undefined> {
  return db
    .selectFrom('certificates')
    .selectAll()
    .where('holder_id', '=', holderId)
    .where('qualification_id', '=', qualificationId)
    .where('status', '=', 'active')
    .$if(registryEntryId !== undefined, (q) => q.where('registry_entry_id', '=', registryEntryId!))
    .orderBy('issued_at', 'desc')
    .executeTakeFirst();
}

/** The holder's current certificates by registry entry, without their PDFs (one query for a listing). */
export async function listCurrentCertificates(db: Kysely<Database>, holderId: string): Promise<Map<string, { id: string; issuedAt: Date }>> {
  const rows = await db.selectFrom('certificates').select(['id', 'registry_entry_id', 'issued_at']).where('holder_id', '=', holderId).where('status', '=', 'active').execute();
  return new Map(rows.map((r) => [r.registry_entry_id, { id: r.id, issuedAt: new Date(r.issued_at) }]));
}
