import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { ShikakuError } from '../engine/index.ts';
import type { ActorOf } from './request-actor.ts';

export interface RateLimits {
  /** Requests per minute from one IP address, signed in or not. */
  readonly perIpPerMinute: number;
  /** Requests per minute by one verified caller (token subject), from any address. */
  readonly perCallerPerMinute: number;
}

export const defaultRateLimits: RateLimits = { perIpPerMinute: 1200, perCallerPerMinute: 600 };

const limited = (_request: unknown, context: { after: string }) =>
  new ShikakuError('RATE_LIMITED', `too many requests; retry after ${context.after}`);

/**
 * Two buckets: per IP for everyone (on request), and per verified caller (before the handler), so
 * rotating addresses does not help a token holder and unauthenticated floods stop early. Both answer
 * 429 problem details with Retry-After. Counters are per process (documented in docs/api.md).
 */
export async function registerRateLimits(app: FastifyInstance, limits: RateLimits, actorOf: ActorOf): Promise<void> {
  await app.register(rateLimit, {
    global: true,
    max: limits.perIpPerMinute,
    timeWindow: '1 minute',
    keyGenerator: (request) => `ip:${request.ip}`,
    errorResponseBuilder: limited,
  });
  await app.register(rateLimit, {
    global: true,
    hook: 'preHandler',
    max: limits.perCallerPerMinute,
    timeWindow: '1 minute',
    allowList: (request) => !request.headers.authorization,
    // An invalid token gets its IP's bucket here; the route then answers 401.
    // The plugin asks for the key before it consults allowList: an anonymous request must not verify
    // (and fail to verify) a token it does not carry.
    keyGenerator: async (request) =>
      request.headers.authorization ? actorOf(request).then((actor) => `caller:${actor.id}`, () => `ip:${request.ip}`) : `ip:${request.ip}`,
    errorResponseBuilder: limited,
  });
}
