import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { sendProblem } from '../problem-details.ts';
import { jsonResponse, problems } from '../route-responses.ts';
import type { ServerDeps } from '../server-deps.ts';

/** Probes for the orchestrator: `/healthz` (the process answers) and `/readyz` (the database too). */
export function registerHealthRoutes(app: FastifyInstance, deps: ServerDeps): void {
  app.get('/healthz', {
    schema: {
      tags: ['ops'],
      operationId: 'getHealth',
      summary: 'Liveness: the process answers',
      response: { 200: jsonResponse('Alive', Type.Object({ status: Type.Literal('ok') })), ...problems() },
    },
  }, async () => ({ status: 'ok' as const }));

  app.get('/readyz', {
    schema: {
      tags: ['ops'],
      operationId: 'getReadiness',
      summary: 'Readiness: the database answers',
      response: { 200: jsonResponse('Ready', Type.Object({ status: Type.Literal('ready') })), ...problems('SERVICE_NOT_READY') },
    },
  }, async (request, reply) => {
    if (await deps.ready().catch(() => false)) return { status: 'ready' as const };
    return sendProblem(reply, request, 'SERVICE_NOT_READY', 'the database is not reachable');
  });
}
