import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import type { CertificateClaims, TokenCheck } from '../../renderer/index.ts';
import { createCertificateStatusCache } from '../certificate-status-cache.ts';
import { jsonBody, jsonResponse, problems } from '../route-responses.ts';
import type { VerificationReason } from '../schemas.ts';
import type { ServerDeps } from '../server-deps.ts';

const webDir = join(import.meta.dirname, '../../web');

// The verification page loads its own script and style and talks to this origin only: no inline code,
// nothing from elsewhere, no frames, and DOM writes only through textContent (Trusted Types enforced).
// No upgrade-insecure-requests: it would break the page on a plain-HTTP local server.
export const verifyPageCsp = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "img-src 'self'",
  "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'", "require-trusted-types-for 'script'", 'trusted-types',
].join('; ');

// Served from web/ under /web/<file>; read once when the server is built.
const assets = [
  { file: 'verify.js', type: 'text/javascript', summary: 'The verification page\'s script' },
  { file: 'verify.css', type: 'text/css', summary: 'The verification page\'s style sheet' },
  { file: 'favicon.svg', type: 'image/svg+xml', summary: 'The pages\' icon' },
] as const;

const statusDetails: Record<Extract<VerificationReason, 'not-found' | 'superseded' | 'deregistered' | 'revoked'>, string> = {
  'not-found': 'the signature is ours but no such certificate was issued',
  superseded: 'a newer certificate was issued for this registration (再交付); this one is no longer valid',
  deregistered: 'the registration has been deleted from the register (登録抹消)',
  revoked: 'the issuing body revoked this certificate',
};

const textResponse = (description: string, mediaType: string) => ({ description, content: { [mediaType]: { schema: Type.String() } } });

/**
 * Public verification of certificates (デジタル資格者証): the key set, `POST /v1/verify` and the page
 * the QR code opens. No login; every route is behind the per-IP rate limit. Without
 * `deps.certificateTokens` the key set is empty and every token is refused (unknown-key).
 */
export function registerVerifyRoutes(app: FastifyInstance, deps: ServerDeps): void {
  const tokens = deps.certificateTokens;
  const statuses = createCertificateStatusCache(deps.engine);
  const { definitions } = deps.engine;

  const printed = (c: CertificateClaims) => {
    const d = definitions.qualifications.get(c.qualificationId)?.definition;
    return {
      id: c.certificateId,
      qualificationId: c.qualificationId,
      qualificationName: d?.name ?? null,
      issuer: d?.registrar.name ?? null,
      registrationNumber: c.registrationNumber,
      name: c.name,
      birthDate: c.birthDate,
      issuedOn: c.issuedOn,
    };
  };

  app.get('/.well-known/jwks.json', {
    schema: {
      tags: ['verification'],
      operationId: 'getCertificateKeys',
      summary: 'The public keys that sign certificate tokens (current and previous)',
      response: { 200: jsonResponse('The key set', Type.Ref('JsonWebKeySet')), ...problems() },
    },
  }, async (_request, reply) => {
    // Verifiers refresh it; a rotation is announced by adding the next key here before it signs.
    reply.header('cache-control', 'public, max-age=300');
    return tokens?.jwks() ?? { keys: [] };
  });

  app.post('/v1/verify', {
    schema: {
      tags: ['verification'],
      operationId: 'verifyCertificate',
      summary: 'Whether a certificate\'s QR token is genuine and the certificate valid now',
      description:
        'A refused token is a 200 with `valid: false` and a `reason`, never an error. The status is the register\'s, read at `statusAsOf` '
        + '(reused for at most 2 s, so a reissue or revocation shows within 2 s).',
      body: Type.Ref('VerificationRequest'),
      response: { 200: jsonResponse('The verdict', Type.Ref('Verification')), ...problems(jsonBody) },
    },
  }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const { token } = request.body as { token: string };
    const check: TokenCheck = tokens ? await tokens.verify(token) : { valid: false, reason: 'unknown-key', detail: 'this server has no certificate keys' };
    if (!check.valid) return { valid: false, signatureValid: false, status: null, reason: check.reason, detail: check.detail, certificate: null, statusAsOf: null };
    const { status, asOf } = await statuses.get(check.claims.certificateId);
    const statusAsOf = asOf.toISOString();
    if (!status || status.qualificationId !== check.claims.qualificationId) {
      return { valid: false, signatureValid: true, status: null, reason: 'not-found' as const, detail: statusDetails['not-found'], certificate: null, statusAsOf };
    }
    const active = status.status === 'active';
    return {
      valid: active,
      signatureValid: true,
      status: status.status,
      reason: active ? null : status.status,
      detail: active ? null : statusDetails[status.status],
      certificate: printed(check.claims),
      statusAsOf,
    };
  });

  const page = readFileSync(join(webDir, 'verify.html'), 'utf8');
  app.get('/verify', {
    schema: {
      tags: ['verification'],
      operationId: 'getVerificationPage',
      summary: 'The page the QR code opens (HTML; the token is in the URL fragment)',
      response: { 200: textResponse('The verification page', 'text/html'), ...problems() },
    },
  }, async (_request, reply) =>
    reply.header('content-type', 'text/html; charset=utf-8').header('content-security-policy', verifyPageCsp).header('cache-control', 'no-cache').send(page));

  for (const asset of assets) {
    const body = readFileSync(join(webDir, asset.file), 'utf8');
    app.get(`/web/${asset.file}`, {
      schema: {
        tags: ['verification'],
        operationId: `getWebAsset${asset.file.replace(/^\w|\.\w/g, (s) => s.replace('.', '').toUpperCase())}`,
        summary: asset.summary,
        response: { 200: textResponse(asset.summary, asset.type), ...problems() },
      },
    }, async (_request, reply) => reply.header('content-type', `${asset.type}; charset=utf-8`).header('cache-control', 'public, max-age=300').send(body));
  }
}
