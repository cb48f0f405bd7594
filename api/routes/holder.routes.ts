import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { findCurrentCertificate, formatRegistrationNumber, listCurrentCertificates, listEntriesOfHolder, revokeCertificate, ShikakuError } from '../../engine/index.ts';
import { requireRole, type ActorOf } from '../request-actor.ts';
import { authenticated, bearerSecurity, jsonBody, jsonResponse, problems, validated } from '../route-responses.ts';
import type { ServerDeps } from '../server-deps.ts';

const HolderQualification = Type.Object({
  qualification: Type.String(),
  name: Type.Ref('LocalizedText'),
  registrationNumber: Type.String({ description: 'In the qualification\'s display format, e.g. 第000123号.' }),
  variant: Type.Union([Type.String(), Type.Null()], { description: 'The kind, for family qualifications.' }),
  status: Type.Union([Type.Literal('active'), Type.Literal('deregistered')]),
  registeredOn: Type.String(),
  expiresOn: Type.Union([Type.String(), Type.Null()]),
  certificate: Type.Union(
    [
      Type.Object({
        id: Type.String({ format: 'uuid' }),
        issuedAt: Type.String({ format: 'date-time' }),
        href: Type.String({ description: 'GET it for the signed PDF.' }),
      }),
      Type.Null(),
    ],
    { description: 'The current certificate; null while it is being issued or when the entry is deregistered.' },
  ),
});

/** The holder's own register entries and certificates, and an admin's revocation of a certificate. */
export function registerHolderRoutes(app: FastifyInstance, deps: ServerDeps, actorOf: ActorOf): void {
  const { db, definitions } = deps.engine;

  app.get('/v1/me/qualifications', {
    schema: {
      tags: ['me'],
      operationId: 'listMyQualifications',
      summary: 'My registrations (資格), each with its current certificate',
      security: bearerSecurity,
      response: { 200: jsonResponse('My registrations', Type.Object({ items: Type.Array(HolderQualification) })), ...problems(authenticated, 'AUTH_FORBIDDEN') },
    },
  }, async (request) => {
    const actor = await actorOf(request);
    requireRole(actor, ['applicant'], 'only holders have their own registrations');
    const [entries, certificates] = await Promise.all([listEntriesOfHolder(db, actor.id), listCurrentCertificates(db, actor.id)]);
    const items = entries.map((entry) => {
      const definition = definitions.qualifications.get(entry.qualificationId)?.definition;
      const certificate = entry.status === 'active' ? certificates.get(entry.id) : undefined;
      const query = entry.variant ? `?variant=${encodeURIComponent(entry.variant)}` : '';
      return {
        qualification: entry.qualificationId,
        name: definition?.name ?? { ja: entry.qualificationId },
        registrationNumber: definition ? formatRegistrationNumber(entry.registrationNumber, definition.registrationNumber) : String(entry.registrationNumber),
        variant: entry.variant,
        status: entry.status,
        registeredOn: entry.registeredOn,
        expiresOn: entry.expiresOn,
        certificate: certificate
          ? { id: certificate.id, issuedAt: certificate.issuedAt.toISOString(), href: `/v1/me/qualifications/${entry.qualificationId}/certificate.pdf${query}` }
          : null,
      };
    });
    return { items };
  });

  app.get('/v1/me/qualifications/:q/certificate.pdf', {
    schema: {
      tags: ['me'],
      operationId: 'getMyCertificate',
      summary: 'My current signed certificate (デジタル資格者証) of a qualification, as PDF',
      security: bearerSecurity,
      params: Type.Object({ q: Type.String({ maxLength: 64 }) }),
      querystring: Type.Object({ variant: Type.Optional(Type.String({ maxLength: 64 })) }, { additionalProperties: false }),
      response: {
        200: { description: 'The signed PDF', content: { 'application/pdf': { schema: Type.String({ format: 'binary' }) } } },
        ...problems(authenticated, validated, 'AUTH_FORBIDDEN', 'CERTIFICATE_NOT_FOUND'),
      },
    },
  }, async (request, reply) => {
    const actor = await actorOf(request);
    requireRole(actor, ['applicant'], 'only holders download their own certificates');
    const { q } = request.params as { q: string };
    const { variant } = request.query as { variant?: string };
    const entry = (await listEntriesOfHolder(db, actor.id)).find((e) => e.qualificationId === q && e.status === 'active' && (variant === undefined || e.variant === variant));
    const certificate = entry && (await findCurrentCertificate(db, actor.id, q, entry.id));
    if (!certificate) throw new ShikakuError('CERTIFICATE_NOT_FOUND', `you hold no current certificate of \`${q}\``);
    return reply
      .type('application/pdf')
      .header('content-disposition', `attachment; filename="${q}-${certificate.id}.pdf"`)
      .header('cache-control', 'private, no-store')
      .send(Buffer.from(certificate.pdf));
  });

  app.post('/v1/admin/certificates/:id/revoke', {
    schema: {
      tags: ['admin'],
      operationId: 'revokeCertificate',
      summary: 'Revoke one certificate with a reason verifiers will see (admin)',
      security: bearerSecurity,
      params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
      body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false }),
      response: {
        200: jsonResponse('The certificate is revoked', Type.Object({ id: Type.String(), status: Type.Literal('revoked'), previousStatus: Type.String() })),
        ...problems(authenticated, jsonBody, 'AUTH_FORBIDDEN', 'CERTIFICATE_NOT_FOUND'),
      },
    },
  }, async (request) => {
    requireRole(await actorOf(request), ['admin'], 'only admins revoke certificates');
    const { id } = request.params as { id: string };
    const { reason } = request.body as { reason: string };
    const previousStatus = await revokeCertificate(db, id, reason, deps.engine.clock.now());
    if (!previousStatus) throw new ShikakuError('CERTIFICATE_NOT_FOUND', `no certificate ${id}`);
    return { id, status: 'revoked' as const, previousStatus };
  });
}
