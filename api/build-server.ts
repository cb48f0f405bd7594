import Fastify, { type FastifyInstance } from 'fastify';
import type { EngineDeps } from '../engine/index.ts';
import { installProblemHandlers, sendProblem } from './problem-details.ts';
import { registerIdempotency } from './idempotency.plugin.ts';
import { registerMetrics } from './metrics.plugin.ts';
import { registerOpenApi } from './openapi.plugin.ts';
import { defaultRateLimits, registerRateLimits } from './rate-limits.plugin.ts';
import { registerSecurityHeaders } from './security-headers.plugin.ts';
import { createActorOf } from './request-actor.ts';
import { registerApplicationRoutes } from './routes/applications.routes.ts';
import { registerAttachmentRoutes } from './routes/attachments.routes.ts';
import { registerDefinitionsAdminRoutes } from './routes/definitions-admin.routes.ts';
import { registerHolderRoutes } from './routes/holder.routes.ts';
import { registerHealthRoutes } from './routes/health.routes.ts';
import { registerQueueRoutes } from './routes/queues.routes.ts';
import { registerQualificationRoutes } from './routes/qualifications.routes.ts';
import { registerVerifyRoutes } from './routes/verify.routes.ts';
import { sharedSchemas } from './schemas.ts';
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
    // Malformed URLs and over-long path segments are the router's own errors: answer them as problems too.
    frameworkErrors: (error, request, reply) =>
      sendProblem(reply, request, 'REQUEST_INVALID', error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'a path segment is longer than 100 characters' : 'the URL is not valid'),
  });
  installProblemHandlers(app);
  // The API speaks JSON only: anything else is 415, not a string that fails validation later.
  app.removeContentTypeParser('text/plain');
  registerSecurityHeaders(app, { contentSecurityPolicy: { directives: { defaultSrc: ["'self'"] } } });
  for (const schema of sharedSchemas) app.addSchema(schema);
  await registerOpenApi(app);

  // The server counts the transitions it applies, next to any observer the caller set.
  const metrics = deps.metrics;
  const engine: EngineDeps = metrics
    ? { ...deps.engine, onTransition: (t) => { deps.engine.onTransition?.(t); metrics.collector.countTransition(t); } }
    : deps.engine;
  if (metrics) registerMetrics(app, metrics.collector, metrics.token);

  const actorOf = createActorOf(deps.authenticate);
  // Authentication comes before validation: without a valid token a caller gets 401, never a schema error.
  app.addHook('preValidation', async (request) => {
    const security = (request.routeOptions.schema as { security?: readonly Record<string, unknown>[] } | undefined)?.security;
    if (security?.some((s) => 'bearerAuth' in s)) await actorOf(request);
  });
  await registerRateLimits(app, deps.rateLimits ?? defaultRateLimits, actorOf);
  registerIdempotency(app, engine, actorOf);

  const routeDeps = { ...deps, engine };
  registerHealthRoutes(app, routeDeps);
  registerQualificationRoutes(app, routeDeps);
  registerApplicationRoutes(app, routeDeps, actorOf);
  registerAttachmentRoutes(app, routeDeps, actorOf);
  registerQueueRoutes(app, routeDeps, actorOf);
  registerDefinitionsAdminRoutes(app, routeDeps, actorOf);
  registerHolderRoutes(app, routeDeps, actorOf);
  registerVerifyRoutes(app, routeDeps);
  return app;
}
