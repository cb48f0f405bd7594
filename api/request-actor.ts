import type { FastifyRequest } from 'fastify';
import type { Actor } from '../engine/index.ts';
import type { Authenticate } from './authenticate.ts';

/** The caller of a request, verified once per request however many hooks ask. */
export type ActorOf = (request: FastifyRequest) => Promise<Actor>;

export function createActorOf(authenticate: Authenticate): ActorOf {
  const actors = new WeakMap<FastifyRequest, Promise<Actor>>();
  return (request) => {
    let actor = actors.get(request);
    if (!actor) {
      actor = authenticate(request.headers.authorization);
      actors.set(request, actor);
    }
    return actor;
  };
}
