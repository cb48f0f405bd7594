import type { FastifyRequest } from 'fastify';
import { ShikakuError, type Actor, type Role } from '../engine/index.ts';
import type { Authenticate } from './authenticate.ts';

/** The caller of a request, verified once per request however many hooks ask. */
export type ActorOf = (request: FastifyRequest) => Promise<Actor>;

// Verified callers by request, so the error handler can name who was denied without verifying again.
const verified = new WeakMap<FastifyRequest, Actor>();
// Denials and why, for the security log; the reason never reaches the client.
const denials = new WeakMap<ShikakuError, string>();

/**
 * The Authorization value, or every value when the request repeated the header: Node keeps only the
 * first in `request.headers`, and a proxy may have checked another one, so the authenticator must see all.
 */
function authorizationValues(request: FastifyRequest): string | string[] | undefined {
  const raw = request.raw.rawHeaders;
  const values: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === 'authorization') values.push(raw[i + 1]!);
  return values.length > 1 ? values : request.headers.authorization;
}

export function createActorOf(authenticate: Authenticate): ActorOf {
  const actors = new WeakMap<FastifyRequest, Promise<Actor>>();
  return (request) => {
    let actor = actors.get(request);
    if (!actor) {
      actor = authenticate(authorizationValues(request)).then((a) => {
        verified.set(request, a);
        return a;
      });
      actors.set(request, actor);
    }
    return actor;
  };
}

/** The verified caller of `request`, once authentication has succeeded; undefined before or after a failure. */
export function knownActor(request: FastifyRequest): Actor | undefined {
  return verified.get(request);
}

/**
 * An error that the error handler logs as a security event (`access-denied`) with `reason`. Use
 * APPLICATION_NOT_FOUND for another party's application, so existence never leaks; every 401 and 403
 * is logged anyway. `reason` must name no personal data.
 */
export function accessDenied(code: 'AUTH_FORBIDDEN' | 'APPLICATION_NOT_FOUND', message: string, reason: string): ShikakuError {
  const error = new ShikakuError(code, message);
  denials.set(error, reason);
  return error;
}

/** Why `error` denied access, if it is an access denial made by `accessDenied`. */
export function denialReason(error: ShikakuError): string | undefined {
  return denials.get(error);
}

/**
 * Function-level access: the caller's role must be one of `roles`, whatever the resource, so the answer
 * is the same for an id that exists and one that does not.
 * @throws ShikakuError AUTH_FORBIDDEN (logged as a denial).
 */
export function requireRole(actor: Actor, roles: readonly Role[], message: string): void {
  if (!roles.includes(actor.role)) throw accessDenied('AUTH_FORBIDDEN', message, `role ${actor.role} is not one of ${roles.join(', ')}`);
}
