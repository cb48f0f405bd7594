import helmet from '@fastify/helmet';
import Fastify, { type FastifyInstance } from 'fastify';
import { installProblemHandlers, sendProblem } from './problem-details.ts';
import { registerIdempotency } from './idempotency.plugin.ts';
import { defaultRateLimits, registerRateLimits } from './rate-limits.plugin.ts';
import { createActorOf } from './request-actor.ts';
import { registerApplicationRoutes } from './routes/applications.routes.ts';
import { registerQueueRoutes } from './routes/queues.routes.ts';
import { registerQualificationRoutes } from './routes/qualifications.routes.ts';
import type { ServerDeps } from './server-deps.ts';

/**
 * Builds the HTTP API without listening (tests call `inject`). Every error is problem+json; logs
 * never carry tokens.
 */
export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: deps.logger === undefined ? false : deps.logger === false ? false : { ...(deps.logger === true ? {} : deps.logger), redact: ['req.headers.authorization', 'req.headers.cookie'] },
    bodyLimit: deps.bodyLimit ?? 64 * 1024,
    requestIdHeader: 'x-request-id',
    genReqId: () => crypto.randomUUID(),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    return503OnClosing: true,
  });
  installProblemHandlers(app);
  // The API speaks JSON only: anything else is 415, not a string that fails validation later.
  app.removeContentTypeParser('text/plain');
  await app.register(helmet, { contentSecurityPolicy: { directives: { defaultSrc: ["'self'"] } } });

  const actorOf = createActorOf(deps.authenticate);
  await registerRateLimits(app, deps.rateLimits ?? defaultRateLimits, actorOf);
  registerIdempotency(app, deps.engine, actorOf);

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (request, reply) => {
    if (await deps.ready().catch(() => false)) return { status: 'ready' };
    return sendProblem(reply, request, 'SERVICE_NOT_READY', 'the database is not reachable');
  });
  registerQualificationRoutes(app, deps);
  registerApplicationRoutes(app, deps, actorOf);
  registerQueueRoutes(app, deps, actorOf);
  return app;
}
