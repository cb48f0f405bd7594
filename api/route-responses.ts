import Type, { type TSchema } from 'typebox';
import { errorCatalogue, type ErrorCode } from '../engine/index.ts';

// Route response declarations: fastify serialises with them (picking the schema by the reply's content
// type) and @fastify/swagger documents them, so what the OpenAPI says is what the server sends.

/** A JSON success response with the headers it carries. */
export function jsonResponse(description: string, schema: TSchema, headers: Readonly<Record<string, TSchema>> = {}) {
  return { description, ...(Object.keys(headers).length > 0 ? { headers } : {}), content: { 'application/json': { schema } } };
}

/** The headers of a response that carries an application. */
export const applicationHeaders = { etag: Type.String({ description: 'The version, quoted: send it back as If-Match.' }) };

// Every route is behind the per-IP and per-caller rate limits.
const everyRoute: readonly ErrorCode[] = ['RATE_LIMITED'];
/** A route that reads the caller from `Authorization: Bearer <JWT>`. */
export const authenticated: readonly ErrorCode[] = ['AUTH_TOKEN_MISSING', 'AUTH_TOKEN_INVALID'];
/** A route that validates path, query or headers. */
export const validated: readonly ErrorCode[] = ['REQUEST_INVALID'];
/** A route that takes a JSON body. */
export const jsonBody: readonly ErrorCode[] = ['REQUEST_INVALID', 'REQUEST_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'];
/** A POST that honours Idempotency-Key. */
export const idempotent: readonly ErrorCode[] = ['IDEMPOTENCY_KEY_INVALID', 'IDEMPOTENCY_KEY_IN_FLIGHT', 'IDEMPOTENCY_KEY_REUSED'];

const retryAfter = { 'retry-after': Type.Integer({ description: 'Seconds to wait before retrying.' }) };

/**
 * The problem+json responses of a route that can fail with `codes` (plus RATE_LIMITED, which every
 * route can): one entry per status, described by the codes it carries and their catalogue titles.
 */
export function problems(...codes: (ErrorCode | readonly ErrorCode[])[]) {
  const byStatus = new Map<number, Set<ErrorCode>>();
  for (const code of [...everyRoute, ...codes.flat()]) {
    const { status } = errorCatalogue[code];
    byStatus.set(status, (byStatus.get(status) ?? new Set()).add(code));
  }
  return Object.fromEntries(
    [...byStatus].sort(([a], [b]) => a - b).map(([status, set]) => [
      status,
      {
        description: [...set].map((code) => `\`${code}\`: ${errorCatalogue[code].title}`).join('; '),
        ...(status === 429 ? { headers: retryAfter } : {}),
        content: { 'application/problem+json': { schema: Type.Ref('Problem') } },
      },
    ]),
  );
}

/** The security schemes routes refer to; `openapi.plugin.ts` puts them in the document's components. */
export const securitySchemes = {
  bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An ES256 JWT from a trusted issuer with `sub`, `role` and, for staff, `registrar`.' },
  metricsToken: { type: 'http', scheme: 'bearer', description: 'The token configured as SHIKAKU_METRICS_TOKEN.' },
} as const;

/** `security` of a route that needs a signed-in caller. */
export const bearerSecurity = [{ bearerAuth: [] }];
