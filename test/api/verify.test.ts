import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CompactSign, exportSPKI, importJWK, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CERTIFICATE_STATUS_TTL_MS } from '../../api/certificate-status-cache.ts';
import { verifyPageCsp } from '../../api/routes/verify.routes.ts';
import { CERTIFICATE_TOKEN_TYPE, createCertificateTokens, verificationUrl, type CertificateTokens } from '../../renderer/index.ts';
import type { RegistryEntry } from '../../engine/index.ts';
import { databaseKinds } from '../support/test-database.ts';
import { claimsOf, createVerificationServer, insertCertificate, registryEntry, ringKey, signerWith, type VerificationServer } from '../support/verification-fixtures.ts';

const b64 = (data: string | Uint8Array) => Buffer.from(data).toString('base64url');

/** A compact JWS with any header at all, signed with WebCrypto (jose's signer would refuse some of these headers). */
async function rawSign(header: Record<string, unknown>, payload: string, privateJwk: JWK): Promise<string> {
  const { kty, crv, x, y, d } = privateJwk;
  const key = await crypto.subtle.importKey('jwk', { kty, crv, x, y, d }, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
  const input = `${b64(JSON.stringify(header))}.${payload}`;
  const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key, new TextEncoder().encode(input));
  return `${input}.${b64(new Uint8Array(signature))}`;
}

describe.each(databaseKinds)('certificate verification on %s', (kind) => {
  let s: VerificationServer;
  let tokens: CertificateTokens;
  let keys: Awaited<ReturnType<typeof ringKey>>[];
  const entries: Record<string, RegistryEntry> = {};
  const ids: Record<string, string> = {};
  const signed: Record<string, string> = {};

  const verify = async (token: unknown) => {
    const response = await s.app.inject({ method: 'POST', url: '/v1/verify', payload: { token } });
    expect(response.statusCode, response.body).toBe(200);
    return response.json();
  };

  beforeAll(async () => {
    // 2026 signs now; 2025 signed last year's certificates and still verifies; 2024 is retired.
    const [current, previous, retired] = [await ringKey('2026'), await ringKey('2025'), await ringKey('2024', { retired: true })];
    keys = [current, previous, retired];
    tokens = createCertificateTokens({ currentKid: '2026', keys });
    s = await createVerificationServer(kind, tokens);
    for (const [n, status] of [[1, 'active'], [2, 'superseded'], [3, 'deregistered'], [4, 'revoked'], [5, 'active'], [6, 'active'], [7, 'active']] as const) {
      const entry = (entries[n] = await registryEntry(s.db, n));
      ids[n] = await insertCertificate(s.db, entry, status);
    }
    signed.active = await tokens.sign(claimsOf(ids[1]!, entries[1]!));
    signed.superseded = await tokens.sign(claimsOf(ids[2]!, entries[2]!));
    signed.deregistered = await tokens.sign(claimsOf(ids[3]!, entries[3]!));
    signed.revoked = await tokens.sign(claimsOf(ids[4]!, entries[4]!));
    signed.previousKey = await signerWith(previous).sign(claimsOf(ids[5]!, entries[5]!));
    signed.retiredKey = await signerWith(retired).sign(claimsOf(ids[6]!, entries[6]!));
  });
  afterAll(async () => s?.close());

  it('accepts a token it signed: valid, active, with the printed items', async () => {
    const result = await verify(signed.active);
    expect(result).toEqual({
      valid: true,
      signatureValid: true,
      status: 'active',
      reason: null,
      detail: null,
      certificate: {
        id: ids[1],
        qualificationId: 'test-qual',
        qualificationName: { ja: '試験資格', en: 'Test Qualification' },
        issuer: { ja: '試験登録機関', en: 'Test Registrar' },
        registrationNumber: '第000001号',
        name: '山田 花子',
        birthDate: '1990/04/01',
        issuedOn: '2026/12/01',
      },
      statusAsOf: s.clock.now().toISOString(),
    });
  });

  it.each(['superseded', 'deregistered', 'revoked'] as const)('reports a %s certificate as invalid, with its status as the reason and its items', async (status) => {
    const result = await verify(signed[status]);
    expect(result).toMatchObject({ valid: false, signatureValid: true, status, reason: status, certificate: { name: '山田 花子' } });
    expect(result.detail).toEqual(expect.any(String));
  });

  it(`shows a status change within ${CERTIFICATE_STATUS_TTL_MS / 1000} s (statuses are reused no longer)`, async () => {
    const token = await tokens.sign(claimsOf(ids[7]!, entries[7]!));
    expect(await verify(token)).toMatchObject({ valid: true, status: 'active' });
    await s.db.updateTable('certificates').set({ status: 'revoked', status_reason: 'leaked copy', status_changed_at: s.clock.now() }).where('id', '=', ids[7]!).execute();
    const cached = await verify(token);
    expect(Date.parse(s.clock.now().toISOString()) - Date.parse(cached.statusAsOf)).toBeLessThanOrEqual(CERTIFICATE_STATUS_TTL_MS);
    s.clock.advance(CERTIFICATE_STATUS_TTL_MS + 1);
    expect(await verify(token)).toMatchObject({ valid: false, status: 'revoked', reason: 'revoked', statusAsOf: s.clock.now().toISOString() });
  });

  it('says invalid for a genuine signature on a certificate that was never issued', async () => {
    const token = await tokens.sign(claimsOf(crypto.randomUUID(), entries[1]!));
    expect(await verify(token)).toMatchObject({ valid: false, signatureValid: true, status: null, reason: 'not-found', certificate: null });
    // Nor for a real certificate id under another qualification.
    const other = await tokens.sign({ ...claimsOf(ids[1]!, entries[1]!), qualificationId: 'other-qual' });
    expect(await verify(other)).toMatchObject({ valid: false, reason: 'not-found', certificate: null });
  });

  it('still verifies a token of the previous key after rotation, and publishes both keys', async () => {
    expect(await verify(signed.previousKey)).toMatchObject({ valid: true, status: 'active' });
    const jwks = (await s.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json();
    expect(jwks.keys.map((k: JWK) => k.kid)).toEqual(['2026', '2025']);
  });

  it('refuses a token of a retired key, and does not publish that key', async () => {
    expect(await verify(signed.retiredKey)).toMatchObject({ valid: false, signatureValid: false, reason: 'retired-key', certificate: null });
  });

  it('publishes public keys only: no private part `d`, ES256 for signing', async () => {
    const response = await s.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(response.body).not.toMatch(/"d"/);
    for (const key of response.json().keys) expect(key).toEqual({ kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String), kid: expect.any(String), alg: 'ES256', use: 'sig' });
    // The published keys verify our tokens on their own (offline verification).
    const offline = createCertificateTokens({ currentKid: '2026', keys: [{ kid: '2026', privateJwk: keys[0]!.privateJwk, publicJwk: response.json().keys[0] }] });
    expect((await offline.verify(signed.active!)).valid).toBe(true);
  });

  describe('the forged and broken token corpus', () => {
    const corpus: [string, () => Promise<string>, string][] = [
      ['alg none, no signature', async () => `${b64(JSON.stringify({ alg: 'none', kid: '2026', typ: CERTIFICATE_TOKEN_TYPE }))}.${signed.active!.split('.')[1]}.`, 'malformed'],
      ['alg none, with a signature part', async () => `${b64(JSON.stringify({ alg: 'none', kid: '2026', typ: CERTIFICATE_TOKEN_TYPE }))}.${signed.active!.split('.')[1]}.${signed.active!.split('.')[2]}`, 'algorithm-not-allowed'],
      ['HS256 with the public JWK as the secret', async () => hs256(new TextEncoder().encode(JSON.stringify(keys[0]!.publicJwk))), 'algorithm-not-allowed'],
      ['HS256 with the public key PEM as the secret', async () => hs256(new TextEncoder().encode(await exportSPKI((await importJWK(keys[0]!.publicJwk, 'ES256', { extractable: true })) as CryptoKey))), 'algorithm-not-allowed'],
      ['ES384 in the header', async () => rawSign({ alg: 'ES384', kid: '2026', typ: CERTIFICATE_TOKEN_TYPE }, payloadOf(signed.active!), keys[0]!.privateJwk), 'algorithm-not-allowed'],
      ['an unknown kid', async () => rawSign({ alg: 'ES256', kid: 'nope', typ: CERTIFICATE_TOKEN_TYPE }, payloadOf(signed.active!), (await ringKey('nope')).privateJwk), 'unknown-key'],
      ['a kid that tries path traversal', async () => rawSign({ alg: 'ES256', kid: '../../dev/null', typ: CERTIFICATE_TOKEN_TYPE }, payloadOf(signed.active!), keys[0]!.privateJwk), 'unknown-key'],
      ['a kid of __proto__', async () => rawSign({ alg: 'ES256', kid: '__proto__', typ: CERTIFICATE_TOKEN_TYPE }, payloadOf(signed.active!), keys[0]!.privateJwk), 'unknown-key'],
      ['no kid', async () => rawSign({ alg: 'ES256', typ: CERTIFICATE_TOKEN_TYPE }, payloadOf(signed.active!), keys[0]!.privateJwk), 'unknown-key'],
      ['a retired kid', async () => signed.retiredKey!, 'retired-key'],
      ...(['jku', 'x5u'] as const).map((h): [string, () => Promise<string>, string] => [
        `a ${h} header pointing at the forger's keys`,
        async () => rawSign({ alg: 'ES256', kid: '2026', typ: CERTIFICATE_TOKEN_TYPE, [h]: 'https://attacker.example/keys' }, payloadOf(signed.active!), keys[0]!.privateJwk),
        'header-not-allowed',
      ]),
      ['an embedded jwk header, signed by that key', async () => {
        const forger = await ringKey('2026');
        return rawSign({ alg: 'ES256', kid: '2026', typ: CERTIFICATE_TOKEN_TYPE, jwk: forger.publicJwk }, payloadOf(signed.active!), forger.privateJwk);
      }, 'header-not-allowed'],
      ['an x5c header', async () => rawSign({ alg: 'ES256', kid: '2026', typ: CERTIFICATE_TOKEN_TYPE, x5c: ['MIIB'] }, payloadOf(signed.active!), keys[0]!.privateJwk), 'header-not-allowed'],
      ['a crit header', async () => rawSign({ alg: 'ES256', kid: '2026', typ: CERTIFICATE_TOKEN_TYPE, crit: ['exp'], exp: 1 }, payloadOf(signed.active!), keys[0]!.privateJwk), 'header-not-allowed'],
      ['b64: false (unencoded payload)', async () => rawSign({ alg: 'ES256', kid: '2026', typ: CERTIFICATE_TOKEN_TYPE, b64: false, crit: ['b64'] }, payloadOf(signed.active!), keys[0]!.privateJwk), 'header-not-allowed'],
      ['a wrong typ', async () => rawSign({ alg: 'ES256', kid: '2026', typ: 'JWT' }, payloadOf(signed.active!), keys[0]!.privateJwk), 'wrong-type'],
      ['no typ', async () => rawSign({ alg: 'ES256', kid: '2026' }, payloadOf(signed.active!), keys[0]!.privateJwk), 'wrong-type'],
      ['an altered payload (another name, same signature)', async () => {
        const [h, p, sig] = signed.active!.split('.');
        const bytes = Buffer.from(p!, 'base64url');
        bytes[bytes.length - 1]! ^= 1;
        return `${h}.${b64(bytes)}.${sig}`;
      }, 'signature-invalid'],
      ['an altered header (kid swapped to the previous key)', async () => {
        const [, p, sig] = signed.active!.split('.');
        return `${b64(JSON.stringify({ alg: 'ES256', kid: '2025', typ: CERTIFICATE_TOKEN_TYPE }))}.${p}.${sig}`;
      }, 'signature-invalid'],
      ['a signature of another key under a known kid', async () => rawSign({ alg: 'ES256', kid: '2026', typ: CERTIFICATE_TOKEN_TYPE }, payloadOf(signed.active!), (await ringKey('2026')).privateJwk), 'signature-invalid'],
      ['a truncated signature', async () => signed.active!.slice(0, -6), 'signature-invalid'],
      ['a token cut after the payload', async () => signed.active!.split('.').slice(0, 2).join('.'), 'malformed'],
      ['a token cut in the header', async () => signed.active!.slice(0, 20), 'malformed'],
      ['a genuine signature over JSON claims instead of the layout', async () => rawSign({ alg: 'ES256', kid: '2026', typ: CERTIFICATE_TOKEN_TYPE }, b64(JSON.stringify({ c: ids[1], n: '山田 花子' })), keys[0]!.privateJwk), 'malformed'],
      ['a genuine signature over an empty payload', async () => rawSign({ alg: 'ES256', kid: '2026', typ: CERTIFICATE_TOKEN_TYPE }, '', keys[0]!.privateJwk), 'malformed'],
      ['a header that is not JSON', async () => `${b64('{"alg":')}.${payloadOf(signed.active!)}.${signed.active!.split('.')[2]}`, 'malformed'],
      ['a header that is a JSON array', async () => `${b64('["ES256"]')}.${payloadOf(signed.active!)}.${signed.active!.split('.')[2]}`, 'malformed'],
      ['an empty string', async () => '', 'malformed'],
      ['the verification URL instead of the token', async () => verificationUrl('https://x.example', signed.active!), 'malformed'],
      ['whitespace around the token', async () => ` ${signed.active!} `, 'malformed'],
    ];

    it.each(corpus)('refuses %s with 200 {valid: false} and no items', async (_name, make, reason) => {
      const result = await verify(await make());
      expect(result).toMatchObject({ valid: false, signatureValid: false, status: null, reason, certificate: null, statusAsOf: null });
      expect(result.detail).toEqual(expect.any(String));
    });
  });

  it('refuses a body that is not {token: string of at most 1024 characters} as a bad request', async () => {
    for (const payload of [{}, { token: 42 }, { token: 'a'.repeat(1025) }, { token: signed.active, extra: 1 }]) {
      const response = await s.app.inject({ method: 'POST', url: '/v1/verify', payload });
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json().code).toBe('REQUEST_INVALID');
    }
  });

  it('answers verifications with no-store: a status must never come from a cache on the way', async () => {
    const response = await s.app.inject({ method: 'POST', url: '/v1/verify', payload: { token: signed.active } });
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('serves the verification page under a strict CSP with no inline script and nothing from elsewhere', async () => {
    const page = await s.app.inject({ method: 'GET', url: '/verify' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toBe(verifyPageCsp);
    expect(verifyPageCsp).toContain("script-src 'self'");
    expect(verifyPageCsp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    expect(page.body).toContain('<script src="web/verify.js" defer></script>');
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(page.body).not.toMatch(/\son\w+=/);
    for (const [url, type] of [['/web/verify.js', 'text/javascript'], ['/web/verify.css', 'text/css']] as const) {
      const asset = await s.app.inject({ method: 'GET', url });
      expect(asset.statusCode, url).toBe(200);
      expect(asset.headers['content-type']).toBe(`${type}; charset=utf-8`);
      expect(asset.body).not.toMatch(/(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}\//i);
      expect(asset.body).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
    }
    expect((await s.app.inject({ method: 'GET', url: '/web/other.js' })).statusCode).toBe(404);
  });
});

describe('the certificate QR token', () => {
  const realIds = readdirSync(join(import.meta.dirname, '../../definitions/qualifications')).map((f) => f.replace(/\.yaml$/, ''));
  const longestId = realIds.reduce((a, b) => (b.length > a.length ? b : a));
  // A public base URL of realistic length (the national page's is 30 bytes).
  const base = 'https://shikaku.digital.go.jp';
  let tokens: CertificateTokens;
  beforeAll(async () => {
    const key = await ringKey('2026-12');
    tokens = createCertificateTokens({ currentKid: key.kid, keys: [key] });
  });

  it.each(['勘解由小路 左衛門三郎', '長谷川 五郎左衛門', '勅使河原 美智子', '𠮷野 髙﨑太郎', '山田 花子', 'SMITH JOHN ALEXANDER'])(
    'keeps the verification URL within 300 bytes for %s, the longest qualification id and a 9-digit number',
    async (name) => {
      const claims = { certificateId: crypto.randomUUID(), qualificationId: longestId, registrationNumber: '第123456789号', name, birthDate: '1958/11/30', issuedOn: '2026/12/04' };
      const url = verificationUrl(base, await tokens.sign(claims));
      expect(Buffer.byteLength(url), url).toBeLessThanOrEqual(300);
      expect(url).toMatch(/^https:\/\/shikaku\.digital\.go\.jp\/verify#[\w-]+\.[\w-]+\.[\w-]+$/);
      const check = await tokens.verify(url.split('#')[1]!);
      expect(check).toEqual({ valid: true, kid: '2026-12', claims });
    },
  );

  it('carries the six printed items and nothing else; its header is exactly alg, kid and typ', async () => {
    const token = await tokens.sign({ certificateId: crypto.randomUUID(), qualificationId: 'kangoshi', registrationNumber: '第000123号', name: '山田 花子', birthDate: '1990/04/01', issuedOn: '2026/12/04' });
    expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString())).toEqual({ alg: 'ES256', kid: '2026-12', typ: CERTIFICATE_TOKEN_TYPE });
    const check = await tokens.verify(token);
    expect(check.valid && Object.keys(check.claims).sort()).toEqual(['birthDate', 'certificateId', 'issuedOn', 'name', 'qualificationId', 'registrationNumber']);
    // 16 (id) + 6 (dates) + 1+6 (kangoshi) + 1+3 (第000123号) + 1+10 (name in UTF-16): room for no other item.
    expect(Buffer.from(token.split('.')[1]!, 'base64url').length).toBe(44);
  });

  it.each([
    ['a registration number without 第…号', { registrationNumber: '00012345' }],
    ['a registration number with other text', { registrationNumber: 'A-123号' }],
    ['a name in Latin letters', { name: 'GARCÍA María José' }],
    ['a name outside the BMP', { name: '𠮷田 𩸽' }],
    ['an old birth date', { birthDate: '1926/12/25' }],
  ])('round-trips %s exactly', async (_what, change) => {
    const claims = { certificateId: crypto.randomUUID(), qualificationId: 'test-qual', registrationNumber: '第1号', name: '山田 花子', birthDate: '1990/04/01', issuedOn: '2026/12/04', ...change };
    expect(await tokens.verify(await tokens.sign(claims))).toEqual({ valid: true, kid: '2026-12', claims });
  });

  it.each([
    ['a certificate id that is not a lower-case UUID', { certificateId: 'ABC' }],
    ['an ISO birth date (it is printed yyyy/mm/dd)', { birthDate: '1990-04-01' }],
    ['an empty name', { name: '' }],
    ['a name with a control character', { name: '山田\n花子' }],
    ['a qualification id in capitals', { qualificationId: 'Test' }],
  ])('refuses to sign %s', async (_what, change) => {
    const claims = { certificateId: crypto.randomUUID(), qualificationId: 'test-qual', registrationNumber: '第1号', name: '山田 花子', birthDate: '1990/04/01', issuedOn: '2026/12/04', ...change };
    await expect(tokens.sign(claims)).rejects.toThrow(RangeError);
  });

  it('never throws while verifying, whatever it is given', async () => {
    for (const junk of [undefined, null, 42, {}, 'a.b.c', '...', 'é.é.é', `${'a'.repeat(2000)}.b.c`]) {
      await expect(tokens.verify(junk as string)).resolves.toMatchObject({ valid: false });
    }
  });

  it('refuses a key ring it cannot use, naming the problem', async () => {
    const key = await ringKey('k1');
    expect(() => createCertificateTokens({ currentKid: 'k2', keys: [key] })).toThrow(/currentKid "k2" is not in the ring/);
    expect(() => createCertificateTokens({ currentKid: 'k1', keys: [{ ...key, privateJwk: undefined as never }] })).toThrow(/no privateJwk/);
    expect(() => createCertificateTokens({ currentKid: 'k1', keys: [key, key] })).toThrow(/used twice/);
    expect(() => createCertificateTokens({ currentKid: 'k1', keys: [{ ...key, publicJwk: key.privateJwk }] })).toThrow(/private part/);
    expect(() => createCertificateTokens({ currentKid: 'k1', keys: [{ ...key, retired: true }] })).toThrow(/retired/);
    expect(() => createCertificateTokens({ currentKid: 'a/b', keys: [{ ...key, kid: 'a/b' }] })).toThrow(/kid must be/);
  });
});

describe('verification without certificate keys, and its rate limit', () => {
  let s: VerificationServer;
  beforeAll(async () => {
    s = await createVerificationServer('pglite', undefined, { rateLimits: { perIpPerMinute: 3, perCallerPerMinute: 3 } });
  });
  afterAll(async () => s?.close());

  it('publishes an empty key set and refuses every token, then answers 429 past the per-IP limit', async () => {
    expect((await s.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json()).toEqual({ keys: [] });
    const key = await ringKey('2026');
    const token = await signerWith(key).sign({ certificateId: crypto.randomUUID(), qualificationId: 'test-qual', registrationNumber: '第1号', name: '山田 花子', birthDate: '1990/04/01', issuedOn: '2026/12/04' });
    const first = await s.app.inject({ method: 'POST', url: '/v1/verify', payload: { token } });
    expect(first.json()).toMatchObject({ valid: false, reason: 'unknown-key' });
    await s.app.inject({ method: 'POST', url: '/v1/verify', payload: { token } });
    const limited = await s.app.inject({ method: 'POST', url: '/v1/verify', payload: { token } });
    expect(limited.statusCode).toBe(429);
    expect(limited.json().code).toBe('RATE_LIMITED');
  });
});

const payloadOf = (token: string) => token.split('.')[1]!;

async function hs256(secret: Uint8Array): Promise<string> {
  // jose signs HS256 with any bytes as the secret: the classic RS/ES → HS confusion.
  return new CompactSign(Buffer.from(payloadOf(await placeholderToken()), 'base64url')).setProtectedHeader({ alg: 'HS256', kid: '2026', typ: CERTIFICATE_TOKEN_TYPE }).sign(secret);
}

let placeholder: string | undefined;
async function placeholderToken(): Promise<string> {
  placeholder ??= await signerWith(await ringKey('x')).sign({ certificateId: crypto.randomUUID(), qualificationId: 'test-qual', registrationNumber: '第1号', name: '山田 花子', birthDate: '1990/04/01', issuedOn: '2026/12/04' });
  return placeholder;
}
