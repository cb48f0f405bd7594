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

export type Authenticate = (authorization: string | undefined) => Promise<Actor>;

// A portal sends the same token for many requests; an ES256 verification costs more CPU than the rest
// of a simple request, so verified tokens are remembered (by their full text) until they expire.
const CACHE_SIZE = 10_000;

/**
 * Verifies `Authorization: Bearer <JWT>` against trusted issuers: ES256 only, `typ: JWT`, issuer,
 * audience and expiry checked; tokens naming their own keys are refused.
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
    const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(authorization ?? '');
    if (!authorization) throw new ShikakuError('AUTH_TOKEN_MISSING', 'send Authorization: Bearer <token>');
    if (!match) throw new ShikakuError('AUTH_TOKEN_INVALID', 'the Authorization header is not a bearer JWT');
    const token = match[1]!;
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
        const role = payload.role as Role;
        if (!roles.includes(role)) throw new ShikakuError('AUTH_TOKEN_INVALID', 'the token has no valid role');
        const registrar = typeof payload.registrar === 'string' ? payload.registrar : undefined;
        if (staffRoles.includes(role) && !registrar) throw new ShikakuError('AUTH_TOKEN_INVALID', `role ${role} needs a registrar claim`);
        return remember(token, { id: String(payload.sub), role, registrar }, payload.exp!);
      } catch (error) {
        if (error instanceof ShikakuError) throw error;
      }
    }
    throw new ShikakuError('AUTH_TOKEN_INVALID', 'the token is not valid for any trusted issuer (signature, issuer, audience, type or expiry)');
  };
}
