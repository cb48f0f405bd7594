import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { ShikakuError, type Actor, type Role } from '../engine/index.ts';

/** A token issuer the server trusts: its JWKS, issuer and audience. */
export interface TrustedIssuer {
  readonly issuer: string;
  readonly audience: string;
  readonly jwks: JSONWebKeySet;
}

const roles: readonly Role[] = ['applicant', 'reviewer', 'registrar-admin', 'linkage', 'payment', 'admin'];
const staffRoles: readonly Role[] = ['reviewer', 'registrar-admin'];
// Headers that would let a token choose its own verification key.
const forbiddenHeaders = ['jku', 'x5u', 'jwk', 'x5c'];

/** Verifies the Authorization header: one value, or every value when the request repeated it. */
export type Authenticate = (authorization: string | readonly string[] | undefined) => Promise<Actor>;

// A portal sends the same token for many requests; an ES256 verification costs more CPU than the rest
// of a simple request, so verified tokens are remembered (by their full text) until they expire.
const CACHE_SIZE = 10_000;
// Real ID tokens are 1 to 3 KB; a cap keeps a padded token from costing parse time and cache memory.
export const MAX_TOKEN_LENGTH = 8192;
// RFC 9110 §11.1: the scheme is case-insensitive; the token is a JWS in compact form (three segments).
const bearerPattern = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/i;

/** The subject as our person id: a non-empty string of at most 255 characters (OpenID Connect Core §2). */
const subjectOf = (sub: unknown): string | undefined => (typeof sub === 'string' && sub.length > 0 && sub.length <= 255 ? sub : undefined);

/**
 * Verifies `Authorization: Bearer <JWT>` against trusted issuers: ES256 only, `typ: JWT`, issuer,
 * audience and expiry checked, a string `sub`, a known role, a registrar for staff (and only for staff);
 * tokens naming their own keys, longer than MAX_TOKEN_LENGTH or sent in two Authorization values are refused.
 * @throws ShikakuError AUTH_TOKEN_MISSING or AUTH_TOKEN_INVALID.
 */
export function createAuthenticator(issuers: readonly TrustedIssuer[], now: () => number = Date.now): Authenticate {
  const verifiers = issuers.map((i) => ({ ...i, keys: createLocalJWKSet(i.jwks) }));
  const verified = new Map<string, { actor: Actor; expiresAt: number }>();
  const remember = (token: string, actor: Actor, exp: number) => {
    if (verified.size >= CACHE_SIZE) verified.delete(verified.keys().next().value!);
    verified.set(token, { actor, expiresAt: exp * 1000 });
    return actor;
  };
  return async (authorization) => {
    if (authorization === undefined || authorization.length === 0) throw new ShikakuError('AUTH_TOKEN_MISSING', 'send Authorization: Bearer <token>');
    // Two credentials are ambiguous (a proxy may have checked the other one): refuse rather than pick.
    if (typeof authorization !== 'string') {
      if (authorization.length > 1) throw new ShikakuError('AUTH_TOKEN_INVALID', 'send one Authorization header');
      authorization = authorization[0]!;
    }
    const token = bearerPattern.exec(authorization)?.[1];
    if (!token) throw new ShikakuError('AUTH_TOKEN_INVALID', 'the Authorization header is not a bearer JWT');
    if (token.length > MAX_TOKEN_LENGTH) throw new ShikakuError('AUTH_TOKEN_INVALID', `the token is longer than ${MAX_TOKEN_LENGTH} characters`);
    const known = verified.get(token);
    if (known) {
      if (known.expiresAt > now()) return known.actor;
      verified.delete(token);
    }
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw new ShikakuError('AUTH_TOKEN_INVALID', 'the token header cannot be read');
    }
    if (forbiddenHeaders.some((h) => h in header)) throw new ShikakuError('AUTH_TOKEN_INVALID', 'tokens may not carry their own keys');
    for (const v of verifiers) {
      try {
        const { payload } = await jwtVerify(token, v.keys, { issuer: v.issuer, audience: v.audience, algorithms: ['ES256'], typ: 'JWT', requiredClaims: ['sub', 'exp'], currentDate: new Date(now()) });
        const id = subjectOf(payload.sub);
        if (!id) throw new ShikakuError('AUTH_TOKEN_INVALID', 'the token subject must be a string of 1 to 255 characters');
        const role = payload.role as Role;
        if (!roles.includes(role)) throw new ShikakuError('AUTH_TOKEN_INVALID', 'the token has no valid role');
        if (!staffRoles.includes(role)) return remember(token, { id, role }, payload.exp!);
        // Only staff belong to a registrar: a registrar claim on any other role grants nothing.
        const registrar = typeof payload.registrar === 'string' && payload.registrar !== '' ? payload.registrar : undefined;
        if (!registrar) throw new ShikakuError('AUTH_TOKEN_INVALID', `role ${role} needs a registrar claim`);
        return remember(token, { id, role, registrar }, payload.exp!);
      } catch (error) {
        if (error instanceof ShikakuError) throw error;
      }
    }
    throw new ShikakuError('AUTH_TOKEN_INVALID', 'the token is not valid for any trusted issuer (signature, issuer, audience, type or expiry)');
  };
}
