import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../api/authenticate.ts';
import { buildServer } from '../../api/build-server.ts';
import { loadDevIssuer } from '../../api/dev-issuer.ts';
import { createMetrics, type Metrics } from '../../api/metrics.plugin.ts';
import { loadConfig } from '../../cli/config.ts';
import { fireDueTimers, type Role } from '../../engine/index.ts';
import { databaseKinds } from '../support/test-database.ts';
import { createTestServer, type TestServer } from '../support/test-server.ts';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef0123456789';
const DAY_MS = 24 * 60 * 60 * 1000;
const person = {
  familyName: '山田', givenName: '花子', familyNameKana: 'ヤマダ', givenNameKana: 'ハナコ',
  birthDate: '1990-04-01', honseki: '東京都', examPassNumber: 'A-123',
};

/** The value of one sample in Prometheus text, matched on exactly these labels; undefined if absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_:][\w:]*)\{(.*)\} (\S+)$/.exec(line);
    if (m?.[1] !== name) continue;
    const found = Object.fromEntries([...m[2]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    const same = Object.keys(found).length === Object.keys(labels).length && Object.entries(labels).every(([k, v]) => found[k] === v);
    if (same) return Number(m[3]);
  }
  return undefined;
}

describe.each(databaseKinds)('/metrics on %s', (kind) => {
  let s: TestServer;
  let app: FastifyInstance;
  let metrics: Metrics;
  let bearer: (claims: { sub: string; role: Role; registrar?: string }) => Promise<string>;
  beforeAll(async () => {
    s = await createTestServer(kind);
    // The test server has no metrics configured; this one shares its database, definitions and clock.
    const issuer = await loadDevIssuer(join(mkdtempSync(join(tmpdir(), 'shikaku-key-')), 'dev-issuer.json'));
    metrics = createMetrics();
    app = await buildServer({
      engine: s.engine,
      authenticate: createAuthenticator([issuer.trusted]),
      ready: async () => true,
      metrics: { token: METRICS_TOKEN, collector: metrics },
    });
    bearer = async (claims) => `Bearer ${await issuer.mint(claims)}`;
  });
  afterAll(async () => {
    await app?.close();
    await s?.close();
  });

  const scrape = async () => {
    const response = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    return response.body;
  };

  it('is not served when no metrics token is configured', async () => {
    const response = await s.app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(404);
    expect(response.json().code).toBe('ROUTE_NOT_FOUND');
  });

  it('refuses callers without the metrics token, an admin token included', async () => {
    const missing = await app.inject({ method: 'GET', url: '/metrics' });
    expect(missing.statusCode).toBe(401);
    expect(missing.json().code).toBe('AUTH_TOKEN_MISSING');
    for (const authorization of [`Bearer ${METRICS_TOKEN}x`, `Bearer ${METRICS_TOKEN.slice(1)}`, await bearer({ sub: 'ops-1', role: 'admin' })]) {
      const refused = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization } });
      expect(refused.statusCode).toBe(401);
      expect(refused.headers['content-type']).toBe('application/problem+json; charset=utf-8');
      expect(refused.json().code).toBe('AUTH_TOKEN_INVALID');
    }
  });

  it('counts requests by route pattern and status with their latency, never by raw URL', async () => {
    expect((await app.inject({ method: 'GET', url: '/v1/qualifications/test-qual' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/v1/qualifications/no-such-qualification' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/v1/no/such/path' })).statusCode).toBe(404);
    const text = await scrape();
    expect(sample(text, 'shikaku_http_requests_total', { method: 'GET', route: '/v1/qualifications/:q', status: '200' })).toBe(1);
    expect(sample(text, 'shikaku_http_requests_total', { method: 'GET', route: '/v1/qualifications/:q', status: '404' })).toBe(1);
    expect(sample(text, 'shikaku_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(sample(text, 'shikaku_http_request_duration_seconds_count', { method: 'GET', route: '/v1/qualifications/:q' })).toBe(2);
    expect(text).not.toContain('no-such-qualification');
    expect(text).not.toContain('/v1/no/such/path');
    // Process metrics come along, from this server's own registry.
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('counts transitions by qualification, procedure and event, from the API and from timers, without ids', async () => {
    const applicant = await bearer({ sub: 'person-metrics-1', role: 'applicant' });
    const labels = (event: string) => ({ qualification: 'test-qual', procedure: 'registration', event });
    const send = async (id: string, authorization: string, version: number, body: Record<string, unknown>) => {
      const response = await app.inject({ method: 'POST', url: `/v1/applications/${id}/events`, headers: { authorization, 'if-match': `"${version}"` }, payload: body });
      expect(response.statusCode).toBe(200);
    };
    const created = await app.inject({
      method: 'POST',
      url: '/v1/qualifications/test-qual/procedures/registration/applications',
      headers: { authorization: applicant },
      payload: { data: person },
    });
    expect(created.statusCode).toBe(201);
    const id: string = created.json().id;
    expect(sample(await scrape(), 'shikaku_transitions_total', labels('submit'))).toBeUndefined();

    await send(id, applicant, 1, { type: 'submit' });
    expect(sample(await scrape(), 'shikaku_transitions_total', labels('submit'))).toBe(1);

    await send(id, await bearer({ sub: 'payment-provider', role: 'payment' }), 2, { type: 'confirmPayment' });
    await send(id, await bearer({ sub: 'staff-1', role: 'reviewer', registrar: 'test-body' }), 3, { type: 'requestCorrection', comment: '写真を撮り直してください' });
    // A refused event (here: a stale version) is not a transition.
    const stale = await app.inject({ method: 'POST', url: `/v1/applications/${id}/events`, headers: { authorization: applicant, 'if-match': '"1"' }, payload: { type: 'withdraw' } });
    expect(stale.statusCode).toBe(409);

    // The worker fires the correction deadline with the same counter, as `shikaku serve` wires it.
    s.clock.advance(31 * DAY_MS);
    expect((await fireDueTimers({ ...s.engine, onTransition: metrics.countTransition })).fired).toBe(1);

    const text = await scrape();
    expect(sample(text, 'shikaku_transitions_total', labels('submit'))).toBe(1);
    expect(sample(text, 'shikaku_transitions_total', labels('confirmPayment'))).toBe(1);
    expect(sample(text, 'shikaku_transitions_total', labels('requestCorrection'))).toBe(1);
    expect(sample(text, 'shikaku_transitions_total', labels('correctionDeadlinePassed'))).toBe(1);
    expect(sample(text, 'shikaku_transitions_total', labels('withdraw'))).toBeUndefined();
    expect(text).not.toContain(id);
    expect(text).not.toContain('person-metrics-1');
  });
});

describe('SHIKAKU_METRICS_TOKEN', () => {
  it('turns /metrics on only with a token long enough not to be guessed', () => {
    expect(loadConfig({}).metricsToken).toBeUndefined();
    expect(loadConfig({ SHIKAKU_METRICS_TOKEN: METRICS_TOKEN }).metricsToken).toBe(METRICS_TOKEN);
    for (const weak of ['secret', 'x'.repeat(31), `${'x'.repeat(40)} y`]) {
      expect(() => loadConfig({ SHIKAKU_METRICS_TOKEN: weak })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    }
  });
});
