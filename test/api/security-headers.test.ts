import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../support/test-server.ts';

describe('security headers', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await createTestServer('pglite');
  });
  afterAll(async () => s?.close());

  it('are on every answer: a JSON route, a problem, and the HTML of /docs', async () => {
    for (const url of ['/v1/qualifications', '/v1/no-such-route', '/docs/']) {
      const res = await s.app.inject({ method: 'GET', url });
      expect({ url, ...Object.fromEntries(['x-content-type-options', 'x-frame-options', 'referrer-policy', 'strict-transport-security', 'cross-origin-opener-policy'].map((h) => [h, res.headers[h]])) }).toEqual({
        url,
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'SAMEORIGIN',
        'referrer-policy': 'no-referrer',
        'strict-transport-security': 'max-age=31536000; includeSubDomains',
        'cross-origin-opener-policy': 'same-origin',
      });
      expect(res.headers['content-security-policy'], url).toMatch(/default-src 'self'/);
      expect(res.headers['x-powered-by'], url).toBeUndefined();
    }
  });

  it('keep the API\'s strict policy while /docs has its own', async () => {
    const api = await s.app.inject({ method: 'GET', url: '/v1/qualifications' });
    const docs = await s.app.inject({ method: 'GET', url: '/docs/' });
    expect(api.headers['content-security-policy']).toContain('upgrade-insecure-requests');
    expect(docs.headers['content-security-policy']).not.toBe(api.headers['content-security-policy']);
  });
});
