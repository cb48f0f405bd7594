import SwaggerParser from '@apidevtools/swagger-parser';
import type { FastifyInstance } from 'fastify';
import type { OpenAPIV3_1 } from 'openapi-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import packageJson from '../../package.json' with { type: 'json' };
import { databaseKinds } from '../support/test-database.ts';
import { createTestServer, type TestServer } from '../support/test-server.ts';

const methods = ['get', 'put', 'post', 'delete', 'options', 'patch', 'trace'] as const;

/**
 * Every route the server answers, from fastify's own route tree (`printRoutes`), in OpenAPI path
 * syntax. HEAD routes (fastify adds one per GET) and Swagger UI's assets under /docs are left out.
 */
function registeredRoutes(app: FastifyInstance): { method: string; path: string }[] {
  const segments: string[] = [];
  const routes: { method: string; path: string }[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│ ]*)[├└]── (.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    segments.length = m[1]!.length / 4;
    segments.push(m[2]!);
    const path = segments.join('').replace(/:(\w+)/g, '{$1}');
    if (path === '/docs' || path.startsWith('/docs/')) continue;
    for (const method of m[3]?.split(', ') ?? []) if (method !== 'HEAD') routes.push({ method: method.toLowerCase(), path });
  }
  return routes;
}

describe.each(databaseKinds)('the OpenAPI document on %s', (kind) => {
  let s: TestServer;
  let document: OpenAPIV3_1.Document;
  beforeAll(async () => {
    s = await createTestServer(kind);
    const response = await s.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    document = response.json();
  });
  afterAll(async () => s?.close());

  it('is OpenAPI 3.1 that swagger-parser validates, versioned like the package', async () => {
    expect(document.openapi).toBe('3.1.0');
    expect(document.info.version).toBe(packageJson.version);
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeDefined();
  });

  it('describes every registered route, and only those', () => {
    const routes = registeredRoutes(s.app);
    expect(routes.length).toBeGreaterThanOrEqual(12);
    expect(routes).toContainEqual({ method: 'post', path: '/v1/applications/{id}/events' });
    const documented = Object.entries(document.paths ?? {}).flatMap(([path, item]) => methods.filter((m) => item?.[m]).map((method) => ({ method, path })));
    expect(documented.sort(byRoute)).toEqual(routes.sort(byRoute));
  });

  it('gives every operation a success schema and problem+json for its errors', () => {
    for (const [path, item] of Object.entries(document.paths ?? {})) {
      for (const method of methods) {
        const operation = item?.[method];
        if (!operation) continue;
        const responses = Object.entries(operation.responses ?? {}) as [string, OpenAPIV3_1.ResponseObject][];
        const where = `${method.toUpperCase()} ${path}`;
        const success = responses.filter(([status]) => status.startsWith('2'));
        expect(success.length, where).toBe(1);
        expect(Object.values(success[0]![1].content ?? {})[0]?.schema, where).toBeDefined();
        const errors = responses.filter(([status]) => !status.startsWith('2'));
        // Every route sits behind the rate limits.
        expect(errors.map(([status]) => status), where).toContain('429');
        for (const [status, response] of errors) {
          expect(Object.keys(response.content ?? {}), `${where} ${status}`).toEqual(['application/problem+json']);
          expect(response.content!['application/problem+json']!.schema).toEqual({ $ref: '#/components/schemas/Problem' });
          expect(response.description, `${where} ${status}`).toMatch(/^`[A-Z_]+`/);
        }
      }
    }
  });

  it('declares the statuses a route can answer: 401 where a token is read, 428 where If-Match is required', () => {
    const statuses = (path: string, method: (typeof methods)[number]) => Object.keys(document.paths?.[path]?.[method]?.responses ?? {});
    expect(statuses('/v1/qualifications', 'get')).not.toContain('401');
    expect(statuses('/v1/applications/{id}', 'get')).toEqual(expect.arrayContaining(['200', '401', '404']));
    expect(statuses('/v1/applications/{id}/events', 'post')).toEqual(expect.arrayContaining(['409', '413', '415', '422', '428']));
    expect(statuses('/readyz', 'get')).toContain('503');
    expect(document.paths?.['/v1/applications/{id}']?.get?.security).toEqual([{ bearerAuth: [] }]);
    expect(document.components?.securitySchemes?.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  });

  it('names shared schemas after their $id', () => {
    const names = Object.keys(document.components?.schemas ?? {});
    expect(names).toEqual(expect.arrayContaining(['Application', 'Problem', 'LocalizedText', 'EventRequest']));
    expect(names.filter((name) => name.startsWith('def-'))).toEqual([]);
  });

  it('answers errors as the document says: problem+json with a catalogue code', async () => {
    const token = await s.token({ sub: 'person-1', role: 'applicant' });
    const response = await s.app.inject({ method: 'GET', url: '/v1/applications/00000000-0000-4000-8000-000000000000', headers: { authorization: `Bearer ${token}` } });
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    const problem = document.components?.schemas?.Problem as OpenAPIV3_1.SchemaObject;
    expect(Object.keys(response.json()).filter((key) => !(key in (problem.properties ?? {})))).toEqual([]);
    expect((problem.properties?.code as OpenAPIV3_1.SchemaObject).enum).toContain(response.json().code);
  });

  it('serves Swagger UI at /docs under its own CSP, leaving the API its strict one', async () => {
    const page = await s.app.inject({ method: 'GET', url: '/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('swagger-ui-bundle.js');
    const docsCsp = String(page.headers['content-security-policy']);
    expect(docsCsp).toContain("script-src 'self'");
    expect(docsCsp).not.toContain('upgrade-insecure-requests');
    const bundle = await s.app.inject({ method: 'GET', url: '/docs/static/swagger-ui-bundle.js' });
    expect(bundle.statusCode).toBe(200);
    expect(bundle.headers['content-security-policy']).toBe(docsCsp);
    const api = await s.app.inject({ method: 'GET', url: '/v1/qualifications' });
    expect(api.headers['content-security-policy']).toBeDefined();
    expect(api.headers['content-security-policy']).not.toBe(docsCsp);
    expect(String(api.headers['content-security-policy'])).toContain("default-src 'self'");
  });
});

function byRoute(a: { method: string; path: string }, b: { method: string; path: string }): number {
  return `${a.path} ${a.method}`.localeCompare(`${b.path} ${b.method}`);
}
