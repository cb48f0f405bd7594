import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import packageJson from '../package.json' with { type: 'json' };
import { jsonResponse, problems, securitySchemes } from './route-responses.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A route whose body is a file, not JSON: the media types the document lists for it. */
    binaryBody?: readonly string[];
  }
}

const tags = [
  { name: 'qualifications', description: 'What can be applied for, open today or not, and each form (public).' },
  { name: 'applications', description: 'Create, read, edit and move applications; If-Match on every change.' },
  { name: 'me', description: "The signed-in applicant's own data." },
  { name: 'review', description: "Registrar staff's queue." },
  { name: 'verification', description: 'Public, no login: check a certificate\'s QR token and its status now (デジタル資格者証の確認), and the page the QR code opens.' },
  { name: 'ops', description: 'Health, readiness, metrics and this document.' },
  { name: 'admin', description: 'Platform operation: reloading definitions without a restart.' },
];

// Replaces helmet's policy on the /docs routes only. Swagger UI needs nothing from elsewhere (it is
// served from /docs/static and reads /docs/json); its styles set inline ones. Unlike the plugin's
// default there is no upgrade-insecure-requests: it would break the UI on a plain-HTTP local server.
const docsCsp = [
  "default-src 'self'", "base-uri 'self'", "connect-src 'self'", "font-src 'self' data:", "form-action 'self'",
  "frame-ancestors 'none'", "img-src 'self' data:", "object-src 'none'", "script-src 'self'", "script-src-attr 'none'",
  "style-src 'self' 'unsafe-inline'",
].join('; ');

/**
 * OpenAPI 3.1 generated from the route schemas, served at `/openapi.json`, and Swagger UI at `/docs`.
 * Call before the routes are registered: the document is built from the routes it sees afterwards.
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Shikaku API',
        version: packageJson.version,
        description:
          "Japan's national qualifications (国家資格) online: find a procedure and its form, apply, pay, be reviewed and registered. "
          + 'Errors are RFC 9457 problem details (application/problem+json) with a stable `code`. Walk-through: docs/api.md.',
      },
      components: { securitySchemes },
      tags,
    },
    // Shared schemas keep their `$id` as component name, so clients get stable type names.
    // A file body is not validated by a schema (it is bytes); the document still describes it.
    transform: ({ schema, url, route }) => {
      const types = route.config?.binaryBody;
      if (!types) return { schema, url };
      const content = Object.fromEntries(types.map((type) => [type, { schema: { type: 'string', format: 'binary' } }]));
      return { schema: { ...schema, body: { content } } as typeof schema, url };
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: docsCsp });

  app.get('/openapi.json', {
    schema: {
      tags: ['ops'],
      operationId: 'getOpenApi',
      summary: 'This OpenAPI 3.1 document',
      response: { 200: jsonResponse('The document', Type.Object({}, { additionalProperties: true })), ...problems() },
    },
  }, async () => app.swagger());
}
