import type { FastifyInstance, FastifyRequest } from 'fastify';
import Type from 'typebox';
import {
  applyToRow,
  canSeeApplication,
  createApplication,
  editApplication,
  findApplicationRow,
  ShikakuError,
  withConnection,
  type Actor,
  type ApplicationRow,
  type EngineDeps,
} from '../../engine/index.ts';
import { applicationView } from '../application-view.ts';
import { ApplicationView, CreateApplicationBody, EditApplicationBody, EventBody, HistoryEvent, IdParams, ProcedureParams, problemResponses } from '../schemas.ts';
import type { ActorOf } from '../request-actor.ts';
import type { ServerDeps } from '../server-deps.ts';

const etag = (version: number) => `"${version}"`;

/** The version in If-Match (`"3"`, `W/"3"` or `3`). @throws PRECONDITION_REQUIRED, REQUEST_INVALID */
function ifMatchVersion(request: FastifyRequest): number {
  const header = request.headers['if-match'];
  if (header === undefined) throw new ShikakuError('PRECONDITION_REQUIRED', 'send If-Match with the version (ETag) you read');
  const m = /^(?:W\/)?"?(\d{1,9})"?$/.exec(String(header).trim());
  if (!m) throw new ShikakuError('REQUEST_INVALID', 'If-Match must be the ETag of the application, e.g. "3"');
  return Number(m[1]);
}

/** Applications: create, read, send events, read history. Others' applications answer 404. */
export function registerApplicationRoutes(app: FastifyInstance, deps: ServerDeps, actorOf: ActorOf): void {
  const engine = deps.engine;

  async function visibleApplication(engine: EngineDeps, request: FastifyRequest, actor: Actor, id: string): Promise<ApplicationRow> {
    const row = await findApplicationRow(engine, id);
    if (row && canSeeApplication(actor, row)) return row;
    if (row) request.log.warn({ security: 'access-denied', actor: actor.id, role: actor.role, resource: `application:${id}`, reason: 'not owner or registrar' }, 'access denied');
    throw new ShikakuError('APPLICATION_NOT_FOUND', `application ${id} does not exist`);
  }

  app.post('/v1/qualifications/:q/procedures/:p/applications', {
    config: { idempotent: true },
    schema: {
      summary: 'Create an application (draft, or submitted at once)',
      params: ProcedureParams,
      body: CreateApplicationBody,
      response: { 201: ApplicationView, ...problemResponses },
    },
  }, async (request, reply) => {
    const actor = await actorOf(request);
    const { q, p } = request.params as { q: string; p: string };
    const body = request.body as { data?: Record<string, unknown>; submit?: boolean };
    const row = await createApplication(engine, { qualificationId: q, procedure: p, actor, data: body.data ?? {}, submit: body.submit === true });
    return reply.code(201).header('location', `/v1/applications/${row.id}`).header('etag', etag(row.version)).send(await applicationView(engine, row, actor));
  });

  app.get('/v1/applications/:id', {
    schema: { params: IdParams, response: { 200: ApplicationView, ...problemResponses } },
  }, async (request, reply) => {
    const actor = await actorOf(request);
    const row = await visibleApplication(engine, request, actor, (request.params as { id: string }).id);
    return reply.header('etag', etag(row.version)).send(await applicationView(engine, row, actor));
  });

  app.post('/v1/applications/:id/events', {
    config: { idempotent: true },
    schema: {
      summary: 'Send an event (submit, approve, requestCorrection, ...); If-Match required',
      params: IdParams,
      body: EventBody,
      headers: Type.Object({ 'if-match': Type.Optional(Type.String({ maxLength: 20 })) }),
      response: { 200: ApplicationView, ...problemResponses },
    },
  }, async (request, reply) => {
    const actor = await actorOf(request);
    const body = request.body as { type: string; comment?: string; fields?: { path: string; message: string }[] };
    // Read, check and write on one connection.
    const view = await withConnection(engine, async (engine) => {
      const row = await visibleApplication(engine, request, actor, (request.params as { id: string }).id);
      const expectedVersion = ifMatchVersion(request);
      try {
        const updated = await applyToRow(engine, row, { applicationId: row.id, type: body.type, actor, expectedVersion, comment: body.comment, notes: body.fields });
        return await applicationView(engine, updated, actor);
      } catch (error) {
        if (error instanceof ShikakuError && error.code === 'APPLICATION_EVENT_NOT_ALLOWED') {
          request.log.info({ actor: actor.id, role: actor.role, event: body.type, state: row.state, reasons: error.details.reasons }, 'event refused');
        }
        throw error;
      }
    });
    return reply.header('etag', etag(view.version)).send(view);
  });

  app.patch('/v1/applications/:id', {
    schema: {
      summary: 'Edit the data of your application while its state allows (JSON merge patch); If-Match required',
      params: IdParams,
      body: EditApplicationBody,
      headers: Type.Object({ 'if-match': Type.Optional(Type.String({ maxLength: 20 })) }),
      response: { 200: ApplicationView, ...problemResponses },
    },
  }, async (request, reply) => {
    const actor = await actorOf(request);
    const { data } = request.body as { data: Record<string, unknown> };
    const view = await withConnection(engine, async (engine) => {
      const row = await visibleApplication(engine, request, actor, (request.params as { id: string }).id);
      const updated = await editApplication(engine, row, { actor, expectedVersion: ifMatchVersion(request), patch: data });
      return applicationView(engine, updated, actor);
    });
    return reply.header('etag', etag(view.version)).send(view);
  });

  app.get('/v1/applications/:id/events', {
    schema: { params: IdParams, response: { 200: Type.Object({ items: Type.Array(HistoryEvent) }), ...problemResponses } },
  }, async (request) => {
    const actor = await actorOf(request);
    const row = await visibleApplication(engine, request, actor, (request.params as { id: string }).id);
    const events = await engine.db.selectFrom('application_events').selectAll().where('application_id', '=', row.id).orderBy('seq').execute();
    return {
      items: events.map((e) => ({
        seq: e.seq,
        type: e.type,
        actor: { id: e.actor_id, role: e.actor_role },
        from: e.from_state,
        to: e.to_state,
        payload: e.payload,
        occurredAt: new Date(e.occurred_at).toISOString(),
        hash: e.hash,
        prevHash: e.prev_hash,
      })),
    };
  });
}
