import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { ShikakuError, type EngineDeps } from '../engine/index.ts';
import { authenticated, problems } from './route-responses.ts';

/**
 * One server's Prometheus metrics, in a registry of its own (not prom-client's global one, so a
 * process can build many servers). Labels are route patterns, statuses and definition names only:
 * never a raw URL, an id or personal data, which also keeps the number of series bounded.
 */
export interface Metrics {
  readonly registry: Registry;
  /** Counts an applied event; the server wires it into its engine, give it to a worker's too. */
  readonly countTransition: NonNullable<EngineDeps['onTransition']>;
  /** Records one answered request. `route` is the pattern (`/v1/applications/:id`). */
  readonly countRequest: (request: { method: string; route: string; status: number; seconds: number }) => void;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'shikaku_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'shikaku_http_request_duration_seconds',
    help: 'Time from receiving a request to sending its response, by method and route pattern.',
    labelNames: ['method', 'route'] as const,
    registers: [registry],
  });
  const transitions = new Counter({
    name: 'shikaku_transitions_total',
    help: 'Events applied to applications (API and timers), by qualification, procedure and event.',
    labelNames: ['qualification', 'procedure', 'event'] as const,
    registers: [registry],
  });
  return {
    registry,
    countTransition: (t) => transitions.inc({ qualification: t.qualification, procedure: t.procedure, event: t.event }),
    countRequest: ({ method, route, status, seconds }) => {
      requests.inc({ method, route, status: String(status) });
      latency.observe({ method, route }, seconds);
    },
  };
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Records every request and serves `GET /metrics` (Prometheus text format) to callers that send
 * `Authorization: Bearer <token>`: the numbers are not personal, but they describe the service's
 * traffic and should not be public.
 */
export function registerMetrics(app: FastifyInstance, metrics: Metrics, token: string): void {
  app.addHook('onResponse', async (request, reply) => {
    // Requests that matched no route (404, 405) share one label, so probing paths adds no series.
    metrics.countRequest({ method: request.method, route: request.routeOptions.url ?? 'unmatched', status: reply.statusCode, seconds: reply.elapsedTime / 1000 });
  });

  // Compared as digests: equal lengths for timingSafeEqual, and the time says nothing about the token.
  const expected = digest(`Bearer ${token}`);
  app.get('/metrics', {
    schema: {
      tags: ['ops'],
      operationId: 'getMetrics',
      summary: 'Prometheus metrics: requests by route and status, latency, transitions, process',
      security: [{ metricsToken: [] }],
      response: {
        200: { description: 'Prometheus text exposition format 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } },
        ...problems(authenticated),
      },
    },
  }, async (request, reply) => {
    const given = request.headers.authorization;
    if (!given) throw new ShikakuError('AUTH_TOKEN_MISSING', 'send Authorization: Bearer <the metrics token>');
    if (!timingSafeEqual(digest(given), expected)) throw new ShikakuError('AUTH_TOKEN_INVALID', 'this is not the metrics token');
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}
