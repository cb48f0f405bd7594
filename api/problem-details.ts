import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorCatalogue, ShikakuError, type ErrorCode } from '../engine/index.ts';
import { trackAllowedMethods } from './allowed-methods.ts';
import { denialReason, knownActor } from './request-actor.ts';

export const problemTypeBase = 'https://shikaku.dev/problems/';

/** The RFC 9457 document for a code; `details` become extension members. */
export function problemDocument(code: ErrorCode, detail: string, instance: string, details: Readonly<Record<string, unknown>> = {}) {
  const { status, title } = errorCatalogue[code];
  return { type: `${problemTypeBase}${code.toLowerCase().replaceAll('_', '-')}`, title, status, detail, instance, code, ...details };
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, code: ErrorCode, detail: string, details: Readonly<Record<string, unknown>> = {}) {
  const body = problemDocument(code, detail, request.url, details);
  return reply.code(body.status).type('application/problem+json').send(body);
}

const logged = new WeakSet<FastifyRequest>();

/**
 * The one place access denials are logged: a `security: 'access-denied'` warning with who (actor id,
 * role, registrar), what (method and route), which resource (the path, ids only) and why; never a
 * token, header or body. At most once per request.
 */
function logAccessDenied(request: FastifyRequest, error: ShikakuError): void {
  if (logged.has(request)) return;
  logged.add(request);
  const actor = knownActor(request);
  request.log.warn({
    security: 'access-denied',
    actor: actor?.id ?? null,
    role: actor?.role ?? null,
    registrar: actor?.registrar ?? null,
    action: `${request.method} ${request.routeOptions.url ?? ''}`,
    // The path holds only ids (no query string, which may carry filters).
    resource: (request.url.split('?')[0] ?? '').slice(0, 300),
    status: error.status,
    code: error.code,
    reason: denialReason(error) ?? error.message,
  }, 'access denied');
}

// Fastify's own client errors, by its error code.
const fastifyCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'REQUEST_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'REQUEST_INVALID',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'REQUEST_INVALID',
  FST_ERR_CTP_INVALID_JSON_BODY: 'REQUEST_INVALID',
};

/**
 * Every error leaves as problem+json with a catalogue code; no stack trace or SQL ever reaches a client.
 * Call before routes are registered (405 needs to see them).
 */
export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | ShikakuError, request, reply) => {
    if (error instanceof ShikakuError) {
      if (error.status === 401 || error.status === 403 || denialReason(error) !== undefined) logAccessDenied(request, error);
      return sendProblem(reply, request, error.code, error.message, error.details);
    }
    if ((error as FastifyError).validation) {
      const errors = (error as FastifyError).validation!.map((v) => ({
        path: `${(error as FastifyError).validationContext ?? ''}${v.instancePath || ''}${v.keyword === 'additionalProperties' ? `/${String(v.params.additionalProperty)}` : ''}`,
        message: v.keyword === 'additionalProperties' ? 'unknown property' : (v.message ?? 'invalid'),
      }));
      return sendProblem(reply, request, 'REQUEST_INVALID', 'the request does not match its schema', { errors });
    }
    const mapped = fastifyCodes[(error as FastifyError).code ?? ''];
    if (mapped) return sendProblem(reply, request, mapped, error.message);
    const status = (error as FastifyError).statusCode ?? 500;
    if (status >= 400 && status < 500) return sendProblem(reply, request, 'REQUEST_INVALID', error.message);
    request.log.error({ err: error }, 'unhandled error');
    return sendProblem(reply, request, 'INTERNAL', 'an internal error occurred; it has been logged');
  });
  const allowedMethods = trackAllowedMethods(app);
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    const allowed = allowedMethods(path);
    if (allowed.length > 0) {
      return sendProblem(reply.header('allow', allowed.join(', ')), request, 'METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${path}; use ${allowed.join(', ')}`, { allowed });
    }
    return sendProblem(reply, request, 'ROUTE_NOT_FOUND', `no route ${request.method} ${path}`);
  });
}
