import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { applicationAccess, attachmentMediaTypes, findReferencedAttachment, ShikakuError, uploadAttachment, withConnection, type Role } from '../../engine/index.ts';
import { checkImage } from '../../renderer/index.ts';
import { etag, ifMatchVersion, reachableApplication } from '../application-request.ts';
import { applicationView } from '../application-view.ts';
import { requireRole, type ActorOf } from '../request-actor.ts';
import { applicationHeaders, authenticated, bearerSecurity, jsonResponse, problems, validated } from '../route-responses.ts';
import { IfMatchHeader } from '../schemas.ts';
import type { ServerDeps } from '../server-deps.ts';

/** The largest file one attachment may be: a scanned multi-page certificate fits, a video does not. */
export const ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024;

const AttachmentParams = Type.Object({ id: Type.String({ maxLength: 64 }), key: Type.String({ maxLength: 64 }) });
const binary = Type.String({ format: 'binary' });
const extension: Record<string, string> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'application/pdf': 'pdf' };

/**
 * Uploading and reading an application's attachments. The routes live in their own context: it parses
 * any body as raw bytes, while the rest of the API stays JSON-only.
 */
export function registerAttachmentRoutes(app: FastifyInstance, deps: ServerDeps, actorOf: ActorOf): void {
  const engine = deps.engine;
  const readers = (Object.keys(applicationAccess) as Role[]).filter((role) => applicationAccess[role].reach !== 'none' && applicationAccess[role].read);

  app.register(async (files) => {
    files.removeAllContentTypeParsers();
    files.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: ATTACHMENT_MAX_BYTES }, (_request, body, done) => done(null, body));

    files.put('/v1/applications/:id/attachments/:key', {
      config: { binaryBody: attachmentMediaTypes },
      schema: {
        tags: ['applications'],
        operationId: 'uploadAttachment',
        summary: 'Upload an attachment (the photo, a scanned document) while the application is editable; If-Match required',
        description: `The body is the file itself, at most ${ATTACHMENT_MAX_BYTES / 1024 / 1024} MiB. The data then refers to it as \`upload:<id>\`; uploading again replaces it. `
          + 'The certificate photo (`photo`, where the certificate prints one) must be JPEG or PNG of at least 118 pixels on its shorter side.',
        security: bearerSecurity,
        params: AttachmentParams,
        headers: Type.Object(IfMatchHeader),
        response: {
          200: jsonResponse('Stored; the application refers to it', Type.Object({
            attachment: Type.Ref('Attachment'),
            application: Type.Ref('Application'),
          }), applicationHeaders),
          ...problems(authenticated, validated, 'REQUEST_TOO_LARGE', 'AUTH_FORBIDDEN', 'APPLICATION_NOT_FOUND', 'ATTACHMENT_NOT_FOUND', 'APPLICATION_VERSION_CONFLICT', 'APPLICATION_NOT_EDITABLE', 'ATTACHMENT_TYPE_UNSUPPORTED', 'ATTACHMENT_INVALID', 'PRECONDITION_REQUIRED'),
        },
      },
    }, async (request, reply) => {
      const actor = await actorOf(request);
      requireRole(actor, ['applicant'], 'only the applicant uploads attachments');
      const { id, key } = request.params as { id: string; key: string };
      const mediaType = String(request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      const content = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const result = await withConnection(engine, async (engine) => {
        const row = await reachableApplication(engine, actor, id);
        const { application, attachment } = await uploadAttachment(engine, row, {
          actor, expectedVersion: ifMatchVersion(request), key, mediaType, content,
          checkContent: async (file) => {
            if (file.mediaType !== 'application/pdf') await checkImage(file.content, { photo: file.certificatePhoto });
          },
        });
        return { attachment: { ...attachment, href: `/v1/applications/${id}/attachments/${key}` }, application: await applicationView(engine, application, actor) };
      });
      return reply.header('etag', etag(result.application.version)).send(result);
    });

    files.get('/v1/applications/:id/attachments/:key', {
      schema: {
        tags: ['applications'],
        operationId: 'getAttachment',
        summary: 'The file uploaded as an attachment (owner and reviewers)',
        security: bearerSecurity,
        params: AttachmentParams,
        response: {
          200: { description: 'The file as uploaded', content: Object.fromEntries(attachmentMediaTypes.map((type) => [type, { schema: binary }])) },
          ...problems(authenticated, validated, 'AUTH_FORBIDDEN', 'APPLICATION_NOT_FOUND', 'ATTACHMENT_NOT_FOUND'),
        },
      },
    }, async (request, reply) => {
      const actor = await actorOf(request);
      requireRole(actor, readers, 'your role does not read applications');
      const { id, key } = request.params as { id: string; key: string };
      const row = await reachableApplication(engine, actor, id);
      const attachment = await findReferencedAttachment(engine.db, row, key);
      if (!attachment) throw new ShikakuError('ATTACHMENT_NOT_FOUND', `nothing is uploaded as \`${key}\` on this application`);
      return reply
        .type(attachment.media_type)
        .header('content-disposition', `attachment; filename="${key}.${extension[attachment.media_type]}"`)
        .header('cache-control', 'private, no-store')
        // An uploaded PDF opened in the browser runs nothing and reaches nothing.
        .header('content-security-policy', "sandbox; default-src 'none'")
        .header('etag', `"${attachment.sha256}"`)
        .send(Buffer.from(attachment.content));
    });
  });
}
