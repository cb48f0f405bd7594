import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import type { Role } from '../engine/index.ts';
import type { TrustedIssuer } from './authenticate.ts';

export const DEV_ISSUER = 'urn:shikaku:development';
export const DEV_AUDIENCE = 'shikaku';

/** The local development issuer: an ES256 key created on first use. Never trusted in production. */
export interface DevIssuer {
  readonly trusted: TrustedIssuer;
  mint(claims: { sub: string; role: Role; registrar?: string | undefined }, ttlSeconds?: number): Promise<string>;
}

export async function loadDevIssuer(keyFile: string): Promise<DevIssuer> {
  if (!existsSync(keyFile)) {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), kid: `dev-${Date.now().toString(36)}`, alg: 'ES256' };
    mkdirSync(dirname(keyFile), { recursive: true });
    writeFileSync(keyFile, JSON.stringify(jwk), { mode: 0o600, flag: 'wx' });
  }
  const jwk = JSON.parse(readFileSync(keyFile, 'utf8')) as JWK & { kid: string };
  const key = await importJWK(jwk, 'ES256');
  const { d: _private, ...publicJwk } = jwk;
  return {
    trusted: { issuer: DEV_ISSUER, audience: DEV_AUDIENCE, jwks: { keys: [publicJwk] } },
    mint: (claims, ttlSeconds = 8 * 3600) =>
      new SignJWT({ role: claims.role, ...(claims.registrar ? { registrar: claims.registrar } : {}) })
        .setProtectedHeader({ alg: 'ES256', kid: jwk.kid, typ: 'JWT' })
        .setSubject(claims.sub)
        .setIssuer(DEV_ISSUER)
        .setAudience(DEV_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(`${ttlSeconds}s`)
        .sign(key),
  };
}
