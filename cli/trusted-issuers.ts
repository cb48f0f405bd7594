import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JSONWebKeySet } from 'jose';
import type { TrustedIssuer } from '../api/authenticate.ts';
import { loadDevIssuer } from '../api/dev-issuer.ts';
import { ShikakuError } from '../engine/index.ts';
import type { Config } from './config.ts';

export const devIssuerKeyFile = (config: Config) => join(config.dataDir, 'dev-issuer.jwk.json');

/**
 * The issuers the server trusts: the configured one, plus the local development issuer outside
 * production. @throws ShikakuError CONFIG_INVALID in production without a configured issuer.
 */
export async function trustedIssuers(config: Config): Promise<TrustedIssuer[]> {
  const issuers: TrustedIssuer[] = [];
  if (config.tokenIssuer) {
    let jwks: JSONWebKeySet;
    try {
      jwks = JSON.parse(readFileSync(config.tokenIssuer.jwksFile, 'utf8')) as JSONWebKeySet;
    } catch (error) {
      throw new ShikakuError('CONFIG_INVALID', `cannot read SHIKAKU_JWKS_FILE ${config.tokenIssuer.jwksFile}: ${(error as Error).message}`);
    }
    if (!Array.isArray(jwks.keys) || jwks.keys.length === 0) throw new ShikakuError('CONFIG_INVALID', `${config.tokenIssuer.jwksFile} has no keys`);
    issuers.push({ issuer: config.tokenIssuer.issuer, audience: config.tokenIssuer.audience, jwks });
  }
  if (config.production) {
    if (issuers.length === 0) throw new ShikakuError('CONFIG_INVALID', 'in production set SHIKAKU_TOKEN_ISSUER and SHIKAKU_JWKS_FILE: the development issuer is never trusted there');
    return issuers;
  }
  issuers.push((await loadDevIssuer(devIssuerKeyFile(config))).trusted);
  return issuers;
}
