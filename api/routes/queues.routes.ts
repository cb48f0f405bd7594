import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { countByState, listApplications, ShikakuError, type ApplicationRow } from '../../engine/index.ts';
import { createTtlCache } from '../ttl-cache.ts';
import { requireRole, type ActorOf } from '../request-actor.ts';
import { authenticated, bearerSecurity, jsonResponse, problems, validated } from '../route-responses.ts';
import { ApplicationPage, PageQuery } from '../schemas.ts';
import type { ServerDeps } from '../server-deps.ts';

const summary = (row: ApplicationRow) => ({
  id: row.id,
  qualification: row.qualification_id,
  procedure: row.procedure,
  state: row.state,
  version: row.version,
  applicant: row.applicant_id,
  createdAt: new Date(row.created_at).toISOString(),
  updatedAt: new Date(row.updated_at).toISOString(),
});

/** Lists: an applicant's own applications (newest first) and a reviewer's queue (oldest first). */
export function registerQueueRoutes(app: FastifyInstance, deps: ServerDeps, actorOf: ActorOf): void {
  const db = deps.engine.db;
  // Counting a large registrar reads every index entry (~0.1 s at 700,000 rows) while a page costs under a
  // millisecond, so per-state counts are reused for 5 s; the answer says how old they are.
  const countsCache = createTtlCache<Record<string, number>>(5000, () => deps.engine.clock.now(), 1000);

  app.get('/v1/me/applications', {
    schema: {
      tags: ['me'],
      operationId: 'listMyApplications',
      summary: 'My applications, newest first',
      security: bearerSecurity,
      querystring: Type.Object(PageQuery, { additionalProperties: false }),
      response: { 200: jsonResponse('A page of applications', ApplicationPage), ...problems(authenticated, validated, 'AUTH_FORBIDDEN') },
    },
  }, async (request) => {
    const actor = await actorOf(request);
    requireRole(actor, ['applicant'], 'only applicants have their own applications');
    const q = request.query as { cursor?: string; limit?: string };
    const page = await listApplications(db, { applicantId: actor.id }, { limit: Number(q.limit ?? 20), cursor: q.cursor, newestFirst: true });
    return { items: page.items.map(summary), nextCursor: page.nextCursor };
  });

  app.get('/v1/review/applications', {
    schema: {
      tags: ['review'],
      operationId: 'listReviewQueue',
      security: bearerSecurity,
      summary: "The review queue of the caller's registrar, oldest first, with counts per state",
      querystring: Type.Object(
        {
          qualification: Type.Optional(Type.String({ maxLength: 64 })),
          procedure: Type.Optional(Type.String({ maxLength: 64 })),
          state: Type.Optional(Type.String({ maxLength: 64 })),
          ...PageQuery,
        },
        { additionalProperties: false },
      ),
      response: {
        200: jsonResponse(
          'A page of the queue',
          Type.Object({
            ...ApplicationPage.properties,
            counts: Type.Record(Type.String(), Type.Integer(), { description: 'Applications per state under the same qualification/procedure filter.' }),
            countsAsOf: Type.String({ format: 'date-time', description: 'When the counts were taken: they are reused for up to 5 seconds.' }),
          }),
        ),
        ...problems(authenticated, validated, 'AUTH_FORBIDDEN'),
      },
    },
  }, async (request) => {
    const actor = await actorOf(request);
    requireRole(actor, ['reviewer', 'registrar-admin'], 'only registrar staff have a review queue');
    // Staff tokens always name a registrar (authenticate.ts); without one there is no queue to show.
    if (!actor.registrar) throw new ShikakuError('AUTH_FORBIDDEN', 'only registrar staff have a review queue');
    const q = request.query as { qualification?: string; procedure?: string; state?: string; cursor?: string; limit?: string };
    const filter = { registrarId: actor.registrar, qualificationId: q.qualification, procedure: q.procedure, state: q.state };
    const countsKey = JSON.stringify([filter.registrarId, filter.qualificationId ?? null, filter.procedure ?? null]);
    const [page, counted] = await Promise.all([
      listApplications(db, filter, { limit: Number(q.limit ?? 20), cursor: q.cursor }),
      countsCache.get(countsKey, () => countByState(db, filter)),
    ]);
    return { items: page.items.map(summary), nextCursor: page.nextCursor, counts: counted.value, countsAsOf: counted.asOf.toISOString() };
  });
}
