import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import fc from 'fast-check';
import type { OpenAPIV3_1 } from 'openapi-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseKinds } from '../support/test-database.ts';
import { createTestServer, type TestServer } from '../support/test-server.ts';

// Requests per database: a few hundred in `npm test`, FUZZ_RUNS=10000 in the slow suite (.ci/run).
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const addFormats = addFormatsModule.default;
const methods = ['get', 'put', 'post', 'delete', 'patch'] as const;

type Schema = { $ref?: string; type?: string | string[]; properties?: Record<string, Schema>; required?: string[]; items?: Schema; enum?: unknown[]; const?: unknown; anyOf?: Schema[]; oneOf?: Schema[]; maxLength?: number; minLength?: number; maxItems?: number; minimum?: number; maximum?: number; additionalProperties?: boolean | Schema; patternProperties?: Record<string, Schema> };

interface Operation {
  readonly method: (typeof methods)[number];
  readonly path: string;
  readonly op: OpenAPIV3_1.OperationObject;
}

/** Values worth trying anywhere a string goes: real ids and events, edge cases, injection attempts. */
const person = { familyName: '山田', givenName: '花子', familyNameKana: 'ヤマダ', givenNameKana: 'ハナコ', birthDate: '1990-04-01', honseki: '東京都', examPassNumber: 'A-1' };
const nastyStrings = ['', ' ', 'null', '0', '-1', '1e309', '../../etc/passwd', "' OR 1=1 --", '<script>alert(1)</script>', '__proto__', 'constructor', '%00', '\u0000', '𠮷野家', 'a'.repeat(300), '"3"', 'W/"1"'];

describe.each(databaseKinds)('fuzzing every operation of the OpenAPI document on %s', (kind) => {
  let s: TestServer;
  let operations: Operation[];
  let tokens: (string | undefined)[];
  let ids: string[];
  const validators = new Map<string, ValidateFunction>();
  let components: Record<string, Schema>;
  let ajv: Ajv2020;

  beforeAll(async () => {
    s = await createTestServer(kind, { rateLimits: { perIpPerMinute: 1_000_000, perCallerPerMinute: 1_000_000 } });
    const document = (await s.app.inject({ method: 'GET', url: '/openapi.json' })).json() as OpenAPIV3_1.Document;
    components = (document.components?.schemas ?? {}) as Record<string, Schema>;
    ajv = new Ajv2020({ strict: false, allErrors: false });
    addFormats(ajv);
    ajv.addSchema({ $id: 'doc', components: document.components });
    operations = Object.entries(document.paths ?? {}).flatMap(([path, item]) => methods.filter((m) => item?.[m]).map((method) => ({ method, path, op: item![method]! })));
    const mint = (sub: string, role: Parameters<TestServer['token']>[0]['role'], registrar?: string) => s.token({ sub, role, ...(registrar ? { registrar } : {}) });
    const applicant = await mint('fuzz-applicant', 'applicant');
    tokens = [
      applicant,
      await mint('fuzz-other', 'applicant'),
      await mint('fuzz-reviewer', 'reviewer', 'test-body'),
      await mint('fuzz-foreign', 'reviewer', 'other-body'),
      await mint('fuzz-admin', 'admin'),
      await mint('fuzz-payment', 'payment'),
      undefined,
      'not.a.token',
    ];
    ids = [];
    for (const submit of [false, true, true]) {
      const created = await s.app.inject({ method: 'POST', url: '/v1/qualifications/test-qual/procedures/registration/applications', headers: { authorization: `Bearer ${applicant}` }, payload: { data: person, submit } });
      ids.push(created.json().id);
    }
  });
  afterAll(async () => s?.close());

  const resolve = (schema: Schema): Schema => (schema.$ref ? resolve(components[schema.$ref.split('/').at(-1)!]!) : schema);

  /** Values a schema accepts (mostly), from fast-check; unknown shapes fall back to any JSON. */
  function valid(schema: Schema, depth = 0): fc.Arbitrary<unknown> {
    const s = resolve(schema);
    if (s.const !== undefined) return fc.constant(s.const);
    if (s.enum) return fc.constantFrom(...s.enum);
    const union = s.anyOf ?? s.oneOf;
    if (union) return fc.oneof(...union.map((u) => valid(u, depth + 1)));
    const type = Array.isArray(s.type) ? s.type[0] : s.type;
    switch (type) {
      case 'string':
        return fc.oneof(fc.string({ minLength: s.minLength ?? 0, maxLength: Math.min(s.maxLength ?? 40, 40) }), fc.constantFrom('submit', 'approve', 'requestCorrection', 'confirmPayment', 'withdraw', 'resubmit', '/familyName', 'test-qual'));
      case 'integer':
        return fc.integer({ min: s.minimum ?? -5, max: s.maximum ?? 1000 });
      case 'number':
        return fc.double({ noNaN: true });
      case 'boolean':
        return fc.boolean();
      case 'null':
        return fc.constant(null);
      case 'array':
        return depth > 3 ? fc.constant([]) : fc.array(valid(s.items ?? {}, depth + 1), { maxLength: Math.min(s.maxItems ?? 3, 3) });
      case 'object': {
        if (depth > 3) return fc.constant({});
        const props = s.properties ?? {};
        const required = new Set(s.required ?? []);
        if (Object.keys(props).length === 0) return fc.dictionary(fc.constantFrom('familyName', 'givenName', 'birthDate', 'examPassNumber', 'attachments', 'x'), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });
        return fc.record(Object.fromEntries(Object.entries(props).map(([k, v]) => [k, valid(v, depth + 1)])), { requiredKeys: [...required].filter((k) => k in props) });
      }
      default:
        return fc.jsonValue({ maxDepth: 2 });
    }
  }

  /** A path, query, header and body for `operation`: valid by its schemas, broken, or junk. */
  function requestFor(operation: Operation) {
    const params = (operation.op.parameters ?? []) as OpenAPIV3_1.ParameterObject[];
    const anyString = fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom(...nastyStrings));
    const pathValue = (name: string) =>
      name === 'id' ? fc.oneof(fc.constantFrom(...ids), fc.uuid(), anyString) : name === 'q' ? fc.oneof(fc.constantFrom('test-qual', 'other-qual', 'renew-qual'), anyString) : name === 'p' ? fc.oneof(fc.constantFrom('registration', 'change', 'link', 'reissue'), anyString) : anyString;
    const pathParams = fc.record(Object.fromEntries(params.filter((p) => p.in === 'path').map((p) => [p.name, pathValue(p.name)])));
    const query = fc.dictionary(fc.oneof(fc.constantFrom(...params.filter((p) => p.in === 'query').map((p) => p.name), 'junk'), fc.string({ maxLength: 8 })), fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('1', '100', '101', '0', 'underReview', 'test-qual')), { maxKeys: 3 });
    const bodySchema = (operation.op.requestBody as OpenAPIV3_1.RequestBodyObject | undefined)?.content?.['application/json']?.schema as Schema | undefined;
    // Realistic application data, so creates and edits get past the form schema too.
    const realistic = fc.record({ data: fc.constant(person), submit: fc.boolean() });
    const body = bodySchema
      ? fc.oneof(
          { weight: 3, arbitrary: valid(bodySchema).map((v) => ({ payload: JSON.stringify(v), type: 'application/json' })) },
          { weight: 1, arbitrary: realistic.map((v) => ({ payload: JSON.stringify(bodySchema.$ref?.endsWith('/EditApplicationRequest') ? { data: v.data } : v), type: 'application/json' })) },
          { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => ({ payload: JSON.stringify(v), type: 'application/json' })) },
          { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 50 }), fc.constantFrom('application/json', 'text/plain', 'application/xml', 'application/x-www-form-urlencoded')).map(([payload, type]) => ({ payload, type })) },
        )
      : fc.option(fc.jsonValue({ maxDepth: 2 }).map((v) => ({ payload: JSON.stringify(v), type: 'application/json' })), { nil: undefined });
    return fc.record({
      pathParams,
      query,
      body,
      token: fc.constantFrom(...tokens),
      ifMatch: fc.option(fc.oneof(fc.integer({ min: 0, max: 12 }).map((n) => `"${n}"`), anyString), { nil: undefined }),
      idempotencyKey: fc.option(fc.oneof(fc.uuid(), anyString), { nil: undefined }),
    });
  }

  function validatorFor(operation: Operation, status: string, schema: Schema): ValidateFunction {
    const key = `${operation.method} ${operation.path} ${status}`;
    let v = validators.get(key);
    if (!v) {
      v = ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/')));
      validators.set(key, v);
    }
    return v;
  }

  it(`answers ${RUNS} generated requests without a 5xx, a leak or an undeclared response`, async () => {
    const seen = new Map<number, number>();
    const arbitrary = fc.constantFrom(...operations).chain((operation) => requestFor(operation).map((request) => ({ operation, request })));
    await fc.assert(
      fc.asyncProperty(arbitrary, async ({ operation, request }) => {
        const url = operation.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(String(request.pathParams[name] ?? '')));
        const query = new URLSearchParams(request.query as Record<string, string>).toString();
        const headers: Record<string, string> = {};
        if (request.token) headers.authorization = `Bearer ${request.token}`;
        if (request.ifMatch !== undefined) headers['if-match'] = request.ifMatch;
        if (request.idempotencyKey !== undefined) headers['idempotency-key'] = request.idempotencyKey;
        if (request.body) headers['content-type'] = request.body.type;
        const res = await s.app.inject({ method: operation.method.toUpperCase() as 'GET', url: query ? `${url}?${query}` : url, headers, ...(request.body ? { payload: request.body.payload } : {}) });
        seen.set(res.statusCode, (seen.get(res.statusCode) ?? 0) + 1);
        const where = `${operation.method.toUpperCase()} ${url} → ${res.statusCode} ${res.body.slice(0, 300)}`;
        expect(res.statusCode, where).toBeLessThan(500);
        expect(res.body, where).not.toMatch(/\bat [\w.<>]+ \(|node_modules|\.ts:\d+|\bSELECT\b|\bINSERT INTO\b|\bUPDATE \w+ SET\b|syntax error at/i);
        // A path param that takes the URL to another route (`.` or `..` segments, an encoded slash) gets
        // that path's answer: a route 404, or a 405 naming the methods the other path has.
        const elsewhere = Object.values(request.pathParams).some((v) => /^\.{1,2}$|%2f|\//i.test(String(v)));
        if (res.statusCode === 404 && !operation.op.responses?.['404']) {
          expect(res.json().code, where).toMatch(/_NOT_FOUND$/);
          return;
        }
        if (res.statusCode === 405 && elsewhere) {
          expect({ code: res.json().code, allow: res.headers.allow !== undefined }, where).toEqual({ code: 'METHOD_NOT_ALLOWED', allow: true });
          return;
        }
        const declared = operation.op.responses?.[String(res.statusCode)] as OpenAPIV3_1.ResponseObject | undefined;
        expect(declared, `undeclared status: ${where}`).toBeDefined();
        const contentType = String(res.headers['content-type'] ?? '').split(';')[0]!;
        const schema = declared!.content?.[contentType]?.schema as Schema | undefined;
        expect(schema, `undeclared content type ${contentType}: ${where}`).toBeDefined();
        const validate = validatorFor(operation, `${res.statusCode} ${contentType}`, schema!);
        // The verification page and its assets are text (schema: string); everything else is JSON.
        const body: unknown = contentType.endsWith('json') ? res.json() : res.body;
        expect(validate(body), `${where}\n${JSON.stringify(validate.errors)}`).toBe(true);
      }),
      { numRuns: RUNS, ...(SEED !== undefined ? { seed: SEED } : {}) },
    );
    // The generator reaches past the front door: successes and several kinds of refusal.
    expect([...seen.keys()].filter((status) => status < 300).length, JSON.stringify([...seen])).toBeGreaterThan(0);
    expect([...seen.keys()].filter((status) => status >= 400).length, JSON.stringify([...seen])).toBeGreaterThan(3);
  }, 600_000);
});
