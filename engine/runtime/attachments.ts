import type { Kysely, Selectable } from 'kysely';
import type { ProcedureSpec } from '../definitions/procedure-spec.ts';
import type { AttachmentMediaType, AttachmentsTable, Database } from './database-schema.ts';

export type AttachmentRow = Selectable<AttachmentsTable>;

/** What the application data holds for an uploaded attachment. */
export const uploadReference = (id: string) => `upload:${id}`;
const UPLOAD_REFERENCE = /^upload:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
/** The `pattern` of an attachment that must be uploaded, for the form's JSON Schema. */
export const uploadReferencePattern = UPLOAD_REFERENCE.source;

/** The attachment id in an upload reference; undefined for anything else (a portal's own document reference). */
export function uploadedId(reference: unknown): string | undefined {
  return typeof reference === 'string' ? UPLOAD_REFERENCE.exec(reference)?.[1] : undefined;
}

/** The attachment printed on the certificate as item ⑧ when the qualification's certificate has a photo. */
export const PHOTO_ATTACHMENT = 'photo';

/** Whether attachment `key` of this procedure is the certificate photo: it must then be an uploaded image. */
export function isCertificatePhoto(spec: ProcedureSpec, key: string): boolean {
  return key === PHOTO_ATTACHMENT && spec.qualification.certificatePhoto === true;
}

/** Every media type an upload may have. */
export const attachmentMediaTypes: readonly AttachmentMediaType[] = ['image/jpeg', 'image/png', 'application/pdf'];

/** The media types an attachment may have: the certificate photo is printed, so it is an image. */
export function acceptedMediaTypes(spec: ProcedureSpec, key: string): readonly AttachmentMediaType[] {
  return isCertificatePhoto(spec, key) ? attachmentMediaTypes.filter((type) => type.startsWith('image/')) : attachmentMediaTypes;
}

/** The upload the application's data refers to under `key`; undefined when it refers to none. */
export async function findReferencedAttachment(db: Kysely<Database>, application: { id: string; data: Record<string, unknown> }, key: string): Promise<AttachmentRow | undefined> {
  const id = uploadedId((application.data.attachments as Record<string, unknown> | undefined)?.[key]);
  if (!id) return undefined;
  // Scoped to the application: a reference copied from someone else's application finds nothing.
  return db.selectFrom('attachments').selectAll().where('id', '=', id).where('application_id', '=', application.id).executeTakeFirst();
}

/** Attachment by id, whichever application it belongs to (a certificate's recorded photo). */
export function findAttachmentById(db: Kysely<Database>, id: string): Promise<AttachmentRow | undefined> {
  return db.selectFrom('attachments').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Problems for upload references the caller wrote into application data: only an upload sets one, so a
 * client cannot point an attachment at a file it did not upload here. Pure.
 */
export function forgedUploadReferences(before: Readonly<Record<string, unknown>>, patch: Readonly<Record<string, unknown>>): { path: string; message: string }[] {
  const given = patch.attachments;
  if (typeof given !== 'object' || given === null || Array.isArray(given)) return [];
  const current = (before.attachments ?? {}) as Record<string, unknown>;
  return Object.entries(given)
    .filter(([key, value]) => uploadedId(value) !== undefined && value !== current[key])
    .map(([key]) => ({ path: `/attachments/${key}`, message: `upload references are set by PUT /v1/applications/{id}/attachments/${key}` }));
}
