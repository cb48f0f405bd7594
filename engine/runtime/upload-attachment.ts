import { createHash, randomUUID } from 'node:crypto';
import { didYouMean } from '../definitions/did-you-mean.ts';
import { ShikakuError } from '../errors.ts';
import type { Actor } from './actor.ts';
import type { ApplicationRow } from './applications.repository.ts';
import { acceptedMediaTypes, isCertificatePhoto, uploadReference } from './attachments.ts';
import type { AttachmentMediaType } from './database-schema.ts';
import { editableProcedure, writeEdit } from './edit-application.ts';
import { inTransaction, type EngineDeps } from './engine-deps.ts';

/** Leading bytes of each accepted media type: the declared type must match what the file is. */
const signatures: Record<AttachmentMediaType, readonly number[]> = {
  'image/jpeg': [0xff, 0xd8, 0xff],
  'image/png': [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  'application/pdf': [0x25, 0x50, 0x44, 0x46, 0x2d], // %PDF-
};

/** The accepted media type `content` starts like; undefined for anything else. Pure. */
export function sniffMediaType(content: Uint8Array): AttachmentMediaType | undefined {
  return (Object.keys(signatures) as AttachmentMediaType[]).find((type) => signatures[type].every((byte, i) => content[i] === byte));
}

export interface UploadAttachmentCommand {
  readonly actor: Actor;
  readonly expectedVersion: number;
  readonly key: string;
  /** The Content-Type the client declared. */
  readonly mediaType: string;
  readonly content: Uint8Array;
  /** Further checks of the content (decoding an image), run once the application and type are known good. */
  readonly checkContent?: (file: { mediaType: AttachmentMediaType; content: Uint8Array; certificatePhoto: boolean }) => Promise<void>;
}

/** What an upload stored, without its bytes. */
export interface UploadedAttachment {
  readonly id: string;
  readonly key: string;
  readonly mediaType: AttachmentMediaType;
  readonly byteSize: number;
  readonly sha256: string;
}

/**
 * The applicant uploads attachment `key` while the application is editable: the file is stored and the
 * data refers to it as `upload:<id>`, in one transaction with the `edited` history event (which records
 * the file's SHA-256). A new upload of the same key replaces the previous file.
 * @throws ShikakuError AUTH_FORBIDDEN, APPLICATION_VERSION_CONFLICT, APPLICATION_NOT_EDITABLE,
 *   ATTACHMENT_NOT_FOUND (no such attachment in the procedure), ATTACHMENT_TYPE_UNSUPPORTED, ATTACHMENT_INVALID.
 */
export async function uploadAttachment(deps: EngineDeps, row: ApplicationRow, command: UploadAttachmentCommand): Promise<{ application: ApplicationRow; attachment: UploadedAttachment }> {
  const { actor, key, content } = command;
  const procedure = await editableProcedure(deps, row, actor, command.expectedVersion);
  const keys = procedure.spec.procedure.attachments.map((a) => a.key);
  if (!keys.includes(key)) throw new ShikakuError('ATTACHMENT_NOT_FOUND', `the procedure has no attachment \`${key}\``, { attachments: keys, hint: didYouMean(key, keys) });
  const accepted = acceptedMediaTypes(procedure.spec, key);
  const mediaType = accepted.find((type) => type === command.mediaType);
  if (!mediaType) throw new ShikakuError('ATTACHMENT_TYPE_UNSUPPORTED', `attachment \`${key}\` accepts ${accepted.join(', ')}, not ${command.mediaType || 'a body without Content-Type'}`, { accepted });
  if (content.length === 0) throw new ShikakuError('ATTACHMENT_INVALID', 'the file is empty');
  const sniffed = sniffMediaType(content);
  if (sniffed !== mediaType) throw new ShikakuError('ATTACHMENT_INVALID', `the file was sent as ${mediaType} but is ${sniffed ?? 'none of the accepted types'}`);
  await command.checkContent?.({ mediaType, content, certificatePhoto: isCertificatePhoto(procedure.spec, key) });
  const attachment: UploadedAttachment = { id: randomUUID(), key, mediaType, byteSize: content.length, sha256: createHash('sha256').update(content).digest('hex') };
  const data = { ...row.data, attachments: { ...((row.data.attachments ?? {}) as Record<string, unknown>), [key]: uploadReference(attachment.id) } };
  return inTransaction(deps.db, async (trx) => {
    // The version-guarded edit first: it locks the application, so concurrent uploads queue and all but one conflict.
    const application = await writeEdit({ ...deps, db: trx }, row, actor, data, { changed: ['attachments'], uploaded: { key, mediaType, byteSize: attachment.byteSize, sha256: attachment.sha256 } });
    await trx.deleteFrom('attachments').where('application_id', '=', row.id).where('key', '=', key).execute();
    await trx.insertInto('attachments').values({
      id: attachment.id, application_id: row.id, key, media_type: mediaType, byte_size: attachment.byteSize, sha256: attachment.sha256,
      content, uploaded_by: actor.id, uploaded_at: application.updated_at,
    }).execute();
    return { application, attachment };
  });
}
