import { KeyObject, sign as cryptoSign } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJWK, exportSPKI, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK, type JWTHeaderParameters } from 'jose';
import { createAuthenticator, type Authenticate, type TrustedIssuer } from '../../api/authenticate.ts';
import { loadDevIssuer } from '../../api/dev-issuer.ts';
import { loadConfig } from '../../cli/config.ts';
import { devIssuerKeyFile, trustedIssuers } from '../../cli/trusted-issuers.ts';
import { ShikakuError } from '../../engine/index.ts';
import { createTestServer, type TestServer } from '../support/test-server.ts';

const ISSUER = 'https://login.example.go.jp';
const AUDIENCE = 'shikaku';
const NOW = Date.parse('2026-12-01T01:00:00Z');
const t = NOW / 1000;
const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const defined = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

interface KeyPair { privateKey: CryptoKey; publicJwk: JWK }
async function keyPair(alg: 'ES256' | 'ES384' | 'RS256', kid: string): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg } };
}

// The issuer publishes an ES256 signing key and, to prove the algorithm allowlist (not a missing key)
// is what refuses them, an RS256 and an ES384 key too.
let es: KeyPair;
let rsa: KeyPair;
let p384: KeyPair;
let stranger: KeyPair;
let issuer: TrustedIssuer;
let auth: Authenticate;

beforeAll(async () => {
  [es, rsa, p384, stranger] = await Promise.all([keyPair('ES256', 'es-1'), keyPair('RS256', 'rsa-1'), keyPair('ES384', 'p384-1'), keyPair('ES256', 'es-1')]);
  issuer = { issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [es.publicJwk, rsa.publicJwk, p384.publicJwk] } };
  auth = createAuthenticator([issuer], () => NOW);
});

const validClaims = () => ({ iss: ISSUER, aud: AUDIENCE, sub: 'person-1', role: 'applicant', iat: t, exp: t + 3600 });
/** A token exactly like a valid one except for `claims` and `header` overrides (undefined removes). */
const token = (claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}, key: CryptoKey | Uint8Array = es.privateKey) =>
  new SignJWT(defined({ ...validClaims(), ...claims }))
    .setProtectedHeader(defined({ alg: 'ES256', typ: 'JWT', kid: 'es-1', ...header }) as JWTHeaderParameters)
    .sign(key);
const bearer = async (jwt: Promise<string> | string) => `Bearer ${await jwt}`;
/** ES256 over arbitrary header and payload text: jose's signer refuses the malformed ones on purpose. */
const rawToken = (header: unknown, payload: unknown) => {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${cryptoSign('sha256', Buffer.from(input), { key: KeyObject.from(es.privateKey), dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
};
const segments = async (jwt: Promise<string>) => (await jwt).split('.') as [string, string, string];

async function expectRefused(authenticate: Authenticate, authorization: string | string[]) {
  const error = await authenticate(authorization).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ShikakuError);
  expect((error as ShikakuError).code).toBe('AUTH_TOKEN_INVALID');
}

const forgeries: [string, () => Promise<string | string[]>][] = [
  ['alg none without a signature', async () => `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${(await segments(token()))[1]}.`],
  ['alg none with a signature', async () => { const [, p, s] = await segments(token()); return `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${p}.${s}`; }],
  ['alg NONE in capitals', async () => { const [, p, s] = await segments(token()); return `Bearer ${b64({ alg: 'NONE', typ: 'JWT' })}.${p}.${s}`; }],
  ['HS256 keyed with the issuer\'s public JWK', async () => bearer(token({}, { alg: 'HS256' }, new TextEncoder().encode(JSON.stringify(es.publicJwk))))],
  ['HS256 keyed with the issuer\'s public key PEM', async () => {
    const pem = await exportSPKI((await importJWK(es.publicJwk, 'ES256', { extractable: true })) as CryptoKey);
    return bearer(token({}, { alg: 'HS256' }, new TextEncoder().encode(pem)));
  }],
  ['a key the issuer never published, same kid', async () => bearer(token({}, {}, stranger.privateKey))],
  ['a key the issuer never published, no kid', async () => bearer(token({}, { kid: undefined }, stranger.privateKey))],
  ['an unknown kid', async () => bearer(token({}, { kid: 'es-2' }))],
  ['an embedded jwk of the attacker\'s key', async () => bearer(token({}, { jwk: stranger.publicJwk, kid: undefined }, stranger.privateKey))],
  // Signed by the real key: only the header rule can refuse these.
  ['an embedded jwk, even the issuer\'s own', async () => bearer(token({}, { jwk: es.publicJwk }))],
  ['a jku header', async () => bearer(token({}, { jku: 'https://attacker.example/jwks.json' }))],
  ['an x5u header', async () => bearer(token({}, { x5u: 'https://attacker.example/cert.pem' }))],
  ['an x5c header', async () => bearer(token({}, { x5c: ['MIIBszCCAVmgAwIBAgIUJ'] }))],
  ['typ at+jwt', async () => bearer(token({}, { typ: 'at+jwt' }))],
  ['no typ', async () => bearer(token({}, { typ: undefined }))],
  ['an unknown critical header', async () => bearer(rawToken({ alg: 'ES256', typ: 'JWT', kid: 'es-1', crit: ['exp-policy'], 'exp-policy': 1 }, validClaims()))],
  ['an unencoded payload (b64: false)', async () => bearer(rawToken({ alg: 'ES256', typ: 'JWT', kid: 'es-1', crit: ['b64'], b64: false }, validClaims()))],
  ['a payload that is a JSON array', async () => bearer(rawToken({ alg: 'ES256', typ: 'JWT', kid: 'es-1' }, [validClaims()]))],
  ['another issuer', async () => bearer(token({ iss: 'https://login.example.com' }))],
  ['no issuer', async () => bearer(token({ iss: undefined }))],
  ['another audience', async () => bearer(token({ aud: 'other-service' }))],
  ['no audience', async () => bearer(token({ aud: undefined }))],
  ['expired a second ago', async () => bearer(token({ exp: t - 1 }))],
  ['expiring this very second', async () => bearer(token({ exp: t }))],
  ['nbf in the future', async () => bearer(token({ nbf: t + 60 }))],
  ['no exp', async () => bearer(token({ exp: undefined }))],
  ['exp as a string', async () => bearer(token({ exp: String(t + 3600) }))],
  ['no sub', async () => bearer(token({ sub: undefined }))],
  ['an empty sub', async () => bearer(token({ sub: '' }))],
  ['a numeric sub', async () => bearer(token({ sub: 42 }))],
  ['an object sub', async () => bearer(token({ sub: { id: 'person-1' } }))],
  ['a sub longer than 255 characters (OpenID Connect Core §2)', async () => bearer(token({ sub: 'p'.repeat(256) }))],
  ['an unknown role', async () => bearer(token({ role: 'superuser' }))],
  ['the internal role system', async () => bearer(token({ role: 'system' }))],
  ['no role', async () => bearer(token({ role: undefined }))],
  ['a role list', async () => bearer(token({ role: ['admin'] }))],
  ['a reviewer without registrar', async () => bearer(token({ role: 'reviewer' }))],
  ['a registrar-admin without registrar', async () => bearer(token({ role: 'registrar-admin' }))],
  ['a reviewer with an empty registrar', async () => bearer(token({ role: 'reviewer', registrar: '' }))],
  ['a reviewer with a numeric registrar', async () => bearer(token({ role: 'reviewer', registrar: 7 }))],
  ['a tampered payload under the original signature', async () => {
    const [h, , s] = await segments(token());
    return `Bearer ${h}.${b64({ ...validClaims(), role: 'admin' })}.${s}`;
  }],
  ['a signature moved from another valid token', async () => { const [h, p] = await segments(token()); const [, , s] = await segments(token({ sub: 'person-2' })); return `Bearer ${h}.${p}.${s}`; }],
  ['RS256 by a key the issuer publishes', async () => bearer(token({}, { alg: 'RS256', kid: 'rsa-1' }, rsa.privateKey))],
  ['ES384 by a key the issuer publishes', async () => bearer(token({}, { alg: 'ES384', kid: 'p384-1' }, p384.privateKey))],
  ['a truncated signature', async () => (await bearer(token())).slice(0, -8)],
  ['no signature segment', async () => { const [h, p] = await segments(token()); return `Bearer ${h}.${p}`; }],
  ['a fourth segment', async () => `${await bearer(token())}.AAAA`],
  ['a garbled header', async () => { const [, p, s] = await segments(token()); return `Bearer ${(await segments(token()))[0].slice(0, 10)}.${p}.${s}`; }],
  ['a header that is not JSON', async () => { const [, p, s] = await segments(token()); return `Bearer ${b64('hello')}.${p}.${s}`; }],
  ['a payload that is not JSON', async () => { const [h, , s] = await segments(token()); return `Bearer ${h}.${b64('hello')}.${s}`; }],
  ['a huge header, validly signed', async () => bearer(token({}, { pad: 'x'.repeat(12_000) }))],
  ['a huge payload, validly signed', async () => bearer(token({ pad: 'x'.repeat(12_000) }))],
  ['an empty bearer', async () => 'Bearer '],
  ['the Basic scheme', async () => `Basic ${Buffer.from('person-1:secret').toString('base64')}`],
  ['a valid JWT under the Basic scheme', async () => `Basic ${await token()}`],
  ['a valid JWT under the DPoP scheme', async () => `DPoP ${await token()}`],
  ['a valid JWT with no scheme', async () => token()],
  ['a valid JWT glued to the scheme', async () => `Bearer${await token()}`],
  ['a valid JWT after two spaces', async () => `Bearer  ${await token()}`],
  ['a valid JWT followed by more text', async () => `${await bearer(token())} extra`],
  ['two valid bearer tokens in one value', async () => `${await bearer(token())}, ${await bearer(token())}`],
  ['two Authorization values', async () => [await bearer(token()), await bearer(token({ sub: 'person-2' }))]],
];

describe('the token forgery corpus against createAuthenticator', () => {
  it.each(forgeries)('refuses %s with AUTH_TOKEN_INVALID', async (_name, forge) => {
    await expectRefused(auth, await forge());
  });

  it.each([
    [{ role: 'applicant' }, { id: 'person-1', role: 'applicant' }],
    [{ role: 'reviewer', registrar: 'test-body' }, { id: 'person-1', role: 'reviewer', registrar: 'test-body' }],
    [{ role: 'registrar-admin', registrar: 'test-body' }, { id: 'person-1', role: 'registrar-admin', registrar: 'test-body' }],
    [{ role: 'linkage' }, { id: 'person-1', role: 'linkage' }],
    [{ role: 'payment' }, { id: 'person-1', role: 'payment' }],
    [{ role: 'admin' }, { id: 'person-1', role: 'admin' }],
  ])('accepts a valid token with claims %j as %j', async (claims, actor) => {
    expect(await auth(await bearer(token(claims)))).toEqual(actor);
  });

  it('drops a registrar claim on a role that does not belong to a registrar', async () => {
    expect(await auth(await bearer(token({ role: 'applicant', registrar: 'test-body' })))).toEqual({ id: 'person-1', role: 'applicant' });
  });

  // RFC 9110 §11.1: the scheme is case-insensitive; RFC 7515 §4.1.9: typ may omit "application/".
  it('accepts the scheme in any case, typ application/jwt and an audience list naming us', async () => {
    expect((await auth(`bearer ${await token()}`)).id).toBe('person-1');
    expect((await auth(await bearer(token({}, { typ: 'application/jwt' })))).id).toBe('person-1');
    expect((await auth(await bearer(token({ aud: ['other-service', AUDIENCE] })))).id).toBe('person-1');
  });

  it('accepts a hand-signed token, so the hand-signed forgeries fail for their flaw alone', async () => {
    expect((await auth(`Bearer ${rawToken({ alg: 'ES256', typ: 'JWT', kid: 'es-1' }, validClaims())}`)).id).toBe('person-1');
  });

  it('answers AUTH_TOKEN_MISSING without a header', async () => {
    await expect(auth(undefined)).rejects.toMatchObject({ code: 'AUTH_TOKEN_MISSING' });
  });

  it('refuses a remembered token once it expires', async () => {
    let now = NOW;
    const clocked = createAuthenticator([issuer], () => now);
    const jwt = await bearer(token({ exp: t + 60 }));
    expect((await clocked(jwt)).id).toBe('person-1');
    now += 60_000;
    await expectRefused(clocked, jwt);
  });

  it('refuses a token signed by one trusted issuer that names another', async () => {
    const other = await keyPair('ES256', 'other-1');
    const both = createAuthenticator([issuer, { issuer: 'https://other.example.jp', audience: AUDIENCE, jwks: { keys: [other.publicJwk] } }], () => NOW);
    expect((await both(await bearer(token({ iss: 'https://other.example.jp' }, { kid: 'other-1' }, other.privateKey)))).id).toBe('person-1');
    await expectRefused(both, await bearer(token({ iss: 'https://other.example.jp' })));
    await expectRefused(both, await bearer(token({}, { kid: 'other-1' }, other.privateKey)));
  });
});

describe('trusted issuers by mode', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'shikaku-issuers-'));
  const jwksFile = join(dataDir, 'portal-jwks.json');
  const env = { SHIKAKU_DATA_DIR: dataDir, SHIKAKU_TOKEN_ISSUER: ISSUER, SHIKAKU_JWKS_FILE: jwksFile };

  it('trusts the development issuer outside production only', async () => {
    writeFileSync(jwksFile, JSON.stringify(issuer.jwks));
    const dev = await loadDevIssuer(devIssuerKeyFile(loadConfig(env)));
    const devToken = `Bearer ${await dev.mint({ sub: 'dev-admin', role: 'admin' })}`;
    // Tokens are checked against the real clock here: the dev issuer mints for now.
    const portalToken = await bearer(token({ iat: undefined, exp: Math.floor(Date.now() / 1000) + 600 }));
    const development = createAuthenticator(await trustedIssuers(loadConfig(env)));
    expect((await development(devToken)).id).toBe('dev-admin');
    const production = createAuthenticator(await trustedIssuers(loadConfig({ ...env, NODE_ENV: 'production' })));
    await expectRefused(production, devToken);
    expect((await production(portalToken)).id).toBe('person-1');
  });

  it('refuses to start in production without a configured issuer', async () => {
    await expect(trustedIssuers(loadConfig({ SHIKAKU_DATA_DIR: dataDir, NODE_ENV: 'production' }))).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});

describe('forged tokens through HTTP', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await createTestServer('pglite');
  });
  afterAll(async () => s?.close());

  const get = (authorization: string) => s.app.inject({ method: 'GET', url: '/v1/me/applications', headers: { authorization } });
  const expect401 = (res: { statusCode: number; headers: Record<string, unknown>; json(): any }) => {
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect({ status: res.statusCode, code: res.json().code }).toEqual({ status: 401, code: 'AUTH_TOKEN_INVALID' });
  };

  it('answers 401 problem+json AUTH_TOKEN_INVALID for a sample of the corpus and 200 for a valid token', async () => {
    const valid = await s.token({ sub: 'owner', role: 'applicant' });
    const [h, p, sig] = valid.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
    expect401(await get(`Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${p}.`));
    expect401(await get(`Bearer ${h}.${b64({ ...payload, role: 'admin' })}.${sig}`));
    expect401(await get(`Bearer ${await new SignJWT(payload).setProtectedHeader(JSON.parse(Buffer.from(h, 'base64url').toString())).sign(stranger.privateKey)}`));
    expect401(await get(`Bearer ${valid.slice(0, -8)}`));
    expect401(await get(`Basic ${valid}`));
    expect401(await get(`Bearer ${valid}, Bearer ${valid}`));
    expect((await get(`Bearer ${valid}`)).statusCode).toBe(200);
  });

  // Node keeps only the first of repeated Authorization lines in request.headers, so this needs a socket.
  it('refuses two Authorization header lines on a real connection', async () => {
    const valid = `Bearer ${await s.token({ sub: 'owner', role: 'applicant' })}`;
    await s.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = s.app.server.address() as { port: number };
    const send = (values: string[]) =>
      new Promise<{ status: number; code: string | undefined }>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, path: '/v1/me/applications' }, (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, code: (JSON.parse(body) as { code?: string }).code }));
        });
        req.setHeader('authorization', values);
        req.on('error', reject);
        req.end();
      });
    expect(await send([valid])).toEqual({ status: 200, code: undefined });
    expect(await send([valid, 'Bearer x.y.z'])).toEqual({ status: 401, code: 'AUTH_TOKEN_INVALID' });
    expect(await send(['Bearer x.y.z', valid])).toEqual({ status: 401, code: 'AUTH_TOKEN_INVALID' });
  });
});
