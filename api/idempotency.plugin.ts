import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { canonicalJson, ShikakuError, type EngineDeps } from '../engine/index.ts';
import type { ActorOf } from './request-actor.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** POST routes that honour Idempotency-Key. */
    idempotent?: boolean;
  }
}

/** How long a key and its stored response are kept (published in docs/api.md). */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;

// The header is an RFC 8941 sf-string (quotes balanced); a bare key is accepted too and is the same key.
const keyPattern = /^(?:"([\x21\x23-\x5b\x5d-\x7e]{1,255})"|([\x21\x23-\x5b\x5d-\x7e]{1,255}))$/;
const replayedHeaders = ['content-type', 'location', 'etag'];

/**
 * Idempotency-Key (draft-ietf-httpapi-idempotency-key-header): a retry returns the first response
 * (success or error) without doing the work again; the same key with another request is 422; a retry
 * while the first is running is 409. Keys are scoped to the verified caller and expire after 24 h.
 * A 5xx is not stored, so a retry after a fault runs again.
 */
export function registerIdempotency(app: FastifyInstance, engine: EngineDeps, actorOf: ActorOf): void {
  const claims = new WeakMap<FastifyRequest, { callerId: string; key: string }>();

  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    if (!request.routeOptions.config.idempotent) return;
    const header = request.headers['idempotency-key'];
    if (header === undefined) return;
    const match = typeof header === 'string' ? keyPattern.exec(header.trim()) : null;
    if (!match) throw new ShikakuError('IDEMPOTENCY_KEY_INVALID', 'send one Idempotency-Key, e.g. "8e03978e-40d5-43e8-bc93-6894a57f9324"');
    const key = (match[1] ?? match[2])!;
    const actor = await actorOf(request);
    const requestHash = createHash('sha256').update(`${request.method} ${request.url}\n${canonicalJson(request.body ?? null)}`).digest('hex');
    const now = engine.clock.now();
    const db = engine.db;
    await db.deleteFrom('idempotency_keys').where('caller_id', '=', actor.id).where('key', '=', key).where('expires_at', '<', now).execute();
    const claimed = await db
      .insertInto('idempotency_keys')
      .values({ caller_id: actor.id, key, request_hash: requestHash, status_code: null, response_headers: null, response_body: null, created_at: now, expires_at: new Date(now.getTime() + IDEMPOTENCY_KEY_TTL_MS) })
      .onConflict((oc) => oc.columns(['caller_id', 'key']).doNothing())
      .returning('key')
      .executeTakeFirst();
    if (claimed) {
      claims.set(request, { callerId: actor.id, key });
      return;
    }
    const stored = await db.selectFrom('idempotency_keys').selectAll().where('caller_id', '=', actor.id).where('key', '=', key).executeTakeFirst();
    // Gone between the two statements: the first request failed with a 5xx and released the key.
    if (!stored) throw new ShikakuError('IDEMPOTENCY_KEY_IN_FLIGHT', 'the first request with this Idempotency-Key has just finished; retry');
    if (stored.request_hash !== requestHash) throw new ShikakuError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was already used with a different request');
    if (stored.status_code === null) throw new ShikakuError('IDEMPOTENCY_KEY_IN_FLIGHT', 'the first request with this Idempotency-Key is still running; retry shortly');
    for (const [name, value] of Object.entries(stored.response_headers ?? {})) reply.header(name, value);
    return reply.code(stored.status_code).header('idempotent-replayed', 'true').send(stored.response_body);
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const claim = claims.get(request);
    if (!claim) return payload;
    claims.delete(request);
    const row = engine.db.updateTable('idempotency_keys').where('caller_id', '=', claim.callerId).where('key', '=', claim.key);
    if (reply.statusCode >= 500) {
      await engine.db.deleteFrom('idempotency_keys').where('caller_id', '=', claim.callerId).where('key', '=', claim.key).execute();
      return payload;
    }
    const headers = Object.fromEntries(replayedHeaders.flatMap((h) => (reply.hasHeader(h) ? [[h, String(reply.getHeader(h))]] : [])));
    await row.set({ status_code: reply.statusCode, response_headers: JSON.stringify(headers), response_body: typeof payload === 'string' ? payload : String(payload) }).execute();
    return payload;
  });
}
