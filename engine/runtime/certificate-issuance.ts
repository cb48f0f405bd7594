import type { Kysely } from 'kysely';
import { createHash } from 'node:crypto';
import { japanDate } from '../clock.ts';
import type { Qualification } from '../definitions/definition-schema.ts';
import { findAttachmentById, findReferencedAttachment, PHOTO_ATTACHMENT, type AttachmentRow } from './attachments.ts';
import type { Database } from './database-schema.ts';
import type { EngineDeps } from './engine-deps.ts';
import type { RegistryEntry } from './registry-entry.ts';
import { findActiveEntryOfHolder, findRegistryEntryById } from './registry.repository.ts';

/** What a certificate is issued for: the registry entry it prints and the definition that lays it out. */
export interface CertificateSubject {
  readonly applicationId: string;
  readonly entry: RegistryEntry;
  /** The qualification file in force on the issue date: it sets the printed items (seed ①–⑨). */
  readonly qualification: Qualification;
  /** The template of the approved procedure (`reissue` always issues; others only when the print changes). */
  readonly template: string;
  /**
   * The photo to print (item ⑧) when the certificate has one: the approved application's upload, else the one
   * the current certificate prints; null when neither exists (a holder linking a paper-era registration).
   */
  readonly photo: AttachmentRow | null;
}

/**
 * The subject of the certificate an approved application asks for: the entry the approval wrote or
 * changed, else (a reissue) the applicant's active entry of that qualification and kind.
 * @returns undefined when the application or its entry no longer exists.
 */
export async function certificateSubject(deps: EngineDeps, db: Kysely<Database>, applicationId: string, now: Date): Promise<CertificateSubject | undefined> {
  const application = await db.selectFrom('applications').select(['id', 'qualification_id', 'applicant_id', 'registry_entry_id', 'data', 'definition_hash']).where('id', '=', applicationId).executeTakeFirst();
  if (!application) return undefined;
  const variant = typeof application.data.variant === 'string' ? application.data.variant : null;
  const entry = application.registry_entry_id
    ? await findRegistryEntryById(db, application.registry_entry_id)
    : await findActiveEntryOfHolder(db, application.qualification_id, application.applicant_id, variant);
  const qualification = deps.definitions.inForce(application.qualification_id, japanDate(now))?.loaded.definition ?? deps.definitions.qualifications.get(application.qualification_id)?.definition;
  if (!entry || entry.status !== 'active' || !qualification) return undefined;
  const template = (await deps.definitions.pinned(db, application.definition_hash)).spec.procedure.template;
  const photo = qualification.certificate.photo ? ((await findReferencedAttachment(db, application, PHOTO_ATTACHMENT)) ?? (await currentPhoto(db, entry.id))) : undefined;
  return { applicationId, entry, qualification, template, photo: photo ?? null };
}

async function currentPhoto(db: Kysely<Database>, registryEntryId: string): Promise<AttachmentRow | undefined> {
  const current = await db.selectFrom('certificates').select('photo_attachment_id').where('registry_entry_id', '=', registryEntryId).where('status', '=', 'active').executeTakeFirst();
  return current?.photo_attachment_id ? findAttachmentById(db, current.photo_attachment_id) : undefined;
}

/** Whether the certificate of this application was issued already (outbox jobs run at least once). */
export async function certificateIssuedFor(db: Kysely<Database>, applicationId: string): Promise<boolean> {
  return (await db.selectFrom('certificates').select('id').where('source_application_id', '=', applicationId).executeTakeFirst()) !== undefined;
}

/** What the entry's current certificate prints, if it has one. */
export async function printedOnCurrentCertificate(db: Kysely<Database>, registryEntryId: string): Promise<Record<string, unknown> | undefined> {
  const row = await db.selectFrom('certificates').select('printed').where('registry_entry_id', '=', registryEntryId).where('status', '=', 'active').executeTakeFirst();
  return row?.printed;
}

/**
 * Stores a signed certificate as the entry's active one; the one it replaces is superseded in the same
 * transaction, so a reissue invalidates the old copy at the moment the new one exists.
 */
export async function recordCertificate(
  db: Kysely<Database>,
  certificate: { id: string; subject: CertificateSubject; tokenKeyId: string; printed: Record<string, unknown>; pdf: Uint8Array; now: Date },
): Promise<void> {
  const { id, subject, tokenKeyId, printed, pdf, now } = certificate;
  await db
    .updateTable('certificates')
    .set({ status: 'superseded', status_reason: `superseded by certificate ${id} (再交付)`, status_changed_at: now })
    .where('registry_entry_id', '=', subject.entry.id)
    .where('status', '=', 'active')
    .execute();
  await db
    .insertInto('certificates')
    .values({
      id,
      registry_entry_id: subject.entry.id,
      qualification_id: subject.entry.qualificationId,
      holder_id: subject.entry.holderId,
      source_application_id: subject.applicationId,
      status: 'active',
      status_reason: null,
      token_key_id: tokenKeyId,
      printed: JSON.stringify(printed),
      pdf,
      pdf_sha256: createHash('sha256').update(pdf).digest('hex'),
      photo_attachment_id: subject.photo?.id ?? null,
      issued_at: now,
      status_changed_at: now,
    })
    .execute();
}
