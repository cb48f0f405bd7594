import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { applicationAccess, applyToRow, createApplication, editApplication, roleMaySend, ShikakuError, withConnection, type Role } from '../../engine/index.ts';
import { etag, ifMatchVersion, reachableApplication } from '../application-request.ts';
import { applicationView } from '../application-view.ts';
import { applicationHeaders, authenticated, bearerSecurity, idempotent, jsonBody, jsonResponse, problems, validated } from '../route-responses.ts';
import { IdempotencyKeyHeader, IdParams, IfMatchHeader, ProcedureParams } from '../schemas.ts';
import { accessDenied, requireRole, type ActorOf } from '../request-actor.ts';
import type { ServerDeps } from '../server-deps.ts';

/** Applications: create, read, send events, read history. Others' applications answer 404. */
export function registerApplicationRoutes(app: FastifyInstance, deps: ServerDeps, actorOf: ActorOf): void {
  const engine = deps.engine;

  // Function-level: roles that reach no application get 403 on every application route; payment sends
  // its events but reads nothing (docs/api.md, Access).
  const roles = Object.keys(applicationAccess) as Role[];
  const senders = roles.filter((role) => applicationAccess[role].reach !== 'none');
  const readers = senders.filter((role) => applicationAccess[role].read);

  app.post('/v1/qualifications/:q/procedures/:p/applications', {
    config: { idempotent: true },
    schema: {
      tags: ['applications'],
      operationId: 'createApplication',
      summary: 'Create an application (draft, or submitted at once)',
      security: bearerSecurity,
      params: ProcedureParams,
      headers: Type.Object(IdempotencyKeyHeader),
      body: Type.Ref('CreateApplicationRequest'),
      response: {
        201: jsonResponse('Created', Type.Ref('Application'), { ...applicationHeaders, location: Type.String({ description: 'The new application.' }) }),
        ...problems(authenticated, jsonBody, idempotent, 'AUTH_FORBIDDEN', 'QUALIFICATION_NOT_FOUND', 'PROCEDURE_NOT_FOUND', 'PROCEDURE_NOT_AVAILABLE', 'APPLICATION_DATA_INVALID', 'APPLICATION_EVENT_NOT_ALLOWED'),
      },
    },
  }, async (request, reply) => {
    const actor = await actorOf(request);
    // Before the qualification and its availability, so other roles get the same 403 for any procedure.
    requireRole(actor, ['applicant'], 'only applicants create applications');
    const { q, p } = request.params as { q: string; p: string };
    const body = request.body as { data?: Record<string, unknown>; submit?: boolean };
    const row = await createApplication(engine, { qualificationId: q, procedure: p, actor, data: body.data ?? {}, submit: body.submit === true });
    return reply.code(201).header('location', `/v1/applications/${row.id}`).header('etag', etag(row.version)).send(await applicationView(engine, row, actor));
  });

  app.get('/v1/applications/:id', {
    schema: {
      tags: ['applications'],
      operationId: 'getApplication',
      summary: 'An application: state, data, version (ETag), fees and the events you may send',
      security: bearerSecurity,
      params: IdParams,
      response: { 200: jsonResponse('The application', Type.Ref('Application'), applicationHeaders), ...problems(authenticated, validated, 'AUTH_FORBIDDEN', 'APPLICATION_NOT_FOUND') },
    },
  }, async (request, reply) => {
    const actor = await actorOf(request);
    requireRole(actor, readers, 'your role does not read applications');
    const row = await reachableApplication(engine, actor, (request.params as { id: string }).id);
    return reply.header('etag', etag(row.version)).send(await applicationView(engine, row, actor));
  });

  app.post('/v1/applications/:id/events', {
    config: { idempotent: true },
    schema: {
      tags: ['applications'],
      operationId: 'sendEvent',
      summary: 'Send an event (submit, approve, requestCorrection, ...); If-Match required',
      security: bearerSecurity,
      params: IdParams,
      body: Type.Ref('EventRequest'),
      headers: Type.Object({ ...IfMatchHeader, ...IdempotencyKeyHeader }),
      response: {
        200: jsonResponse('The application after the event', Type.Ref('Application'), applicationHeaders),
        ...problems(authenticated, jsonBody, idempotent, 'AUTH_FORBIDDEN', 'APPLICATION_NOT_FOUND', 'APPLICATION_VERSION_CONFLICT', 'APPLICATION_EVENT_UNKNOWN', 'APPLICATION_EVENT_NOT_ALLOWED', 'PRECONDITION_REQUIRED'),
      },
    },
  }, async (request, reply) => {
    const actor = await actorOf(request);
    const body = request.body as { type: string; comment?: string; fields?: { path: string; message: string }[] };
    requireRole(actor, senders, 'your role sends no events');
    // Read, check and write on one connection.
    const view = await withConnection(engine, async (engine) => {
      const row = await reachableApplication(engine, actor, (request.params as { id: string }).id);
      // A role no transition of this event names is refused as such (403), not as a business rule (422).
      const procedure = await engine.definitions.pinned(engine.db, row.definition_hash);
      if (procedure.events.has(body.type) && !roleMaySend(procedure, body.type, actor.role)) {
        throw accessDenied('AUTH_FORBIDDEN', `your role may not send \`${body.type}\``, `role ${actor.role} may not send ${body.type}`);
      }
      const expectedVersion = ifMatchVersion(request);
      try {
        const updated = await applyToRow(engine, row, { applicationId: row.id, type: body.type, actor, expectedVersion, comment: body.comment, notes: body.fields });
        const view = await applicationView(engine, updated, actor);
        // A role that may not read (payment) learns the new state and version, not the applicant's data.
        return applicationAccess[actor.role].read ? view : { ...view, data: {}, notice: undefined };
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
      tags: ['applications'],
      operationId: 'editApplication',
      summary: 'Edit the data of your application while its state allows (JSON merge patch); If-Match required',
      security: bearerSecurity,
      params: IdParams,
      body: Type.Ref('EditApplicationRequest'),
      headers: Type.Object(IfMatchHeader),
      response: {
        200: jsonResponse('The edited application', Type.Ref('Application'), applicationHeaders),
        ...problems(authenticated, jsonBody, 'AUTH_FORBIDDEN', 'APPLICATION_NOT_FOUND', 'APPLICATION_VERSION_CONFLICT', 'APPLICATION_NOT_EDITABLE', 'APPLICATION_DATA_INVALID', 'PRECONDITION_REQUIRED'),
      },
    },
  }, async (request, reply) => {
    const actor = await actorOf(request);
    const { data } = request.body as { data: Record<string, unknown> };
    requireRole(actor, ['applicant'], 'only the applicant edits an application');
    const view = await withConnection(engine, async (engine) => {
      const row = await reachableApplication(engine, actor, (request.params as { id: string }).id);
      const updated = await editApplication(engine, row, { actor, expectedVersion: ifMatchVersion(request), patch: data });
      return applicationView(engine, updated, actor);
    });
    return reply.header('etag', etag(view.version)).send(view);
  });

  app.get('/v1/applications/:id/events', {
    schema: {
      tags: ['applications'],
      operationId: 'listApplicationEvents',
      summary: 'The history of an application, oldest first, hash-chained',
      security: bearerSecurity,
      params: IdParams,
      response: { 200: jsonResponse('The history', Type.Object({ items: Type.Array(Type.Ref('HistoryEvent')) })), ...problems(authenticated, validated, 'AUTH_FORBIDDEN', 'APPLICATION_NOT_FOUND') },
    },
  }, async (request) => {
    const actor = await actorOf(request);
    requireRole(actor, readers, 'your role does not read applications');
    const row = await reachableApplication(engine, actor, (request.params as { id: string }).id);
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
