import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, generateKeyPair } from 'jose';
import { databaseKinds } from '../support/test-database.ts';
import { createTestServer, type TestServer } from '../support/test-server.ts';

const person = { familyName: '山田', givenName: '花子', familyNameKana: 'ヤマダ', givenNameKana: 'ハナコ', birthDate: '1990-04-01', honseki: '東京都', examPassNumber: 'A-1' };

describe.each(databaseKinds)('API error paths on %s', (kind) => {
  let s: TestServer;
  let applicant: string;
  let stranger: string;
  let reviewer: string;
  let otherReviewer: string;
  let appId: string;
  beforeAll(async () => {
    s = await createTestServer(kind);
    applicant = `Bearer ${await s.token({ sub: 'owner', role: 'applicant' })}`;
    stranger = `Bearer ${await s.token({ sub: 'stranger', role: 'applicant' })}`;
    reviewer = `Bearer ${await s.token({ sub: 'r1', role: 'reviewer', registrar: 'test-body' })}`;
    otherReviewer = `Bearer ${await s.token({ sub: 'r2', role: 'reviewer', registrar: 'other-body' })}`;
    const created = await s.app.inject({ method: 'POST', url: '/v1/qualifications/test-qual/procedures/registration/applications', headers: { authorization: applicant }, payload: { data: person } });
    appId = created.json().id;
  });
  afterAll(async () => s?.close());

  const expectProblem = (res: { statusCode: number; headers: Record<string, unknown>; json(): any }, status: number, code: string) => {
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = res.json();
    expect({ status: res.statusCode, code: body.code, bodyStatus: body.status }).toEqual({ status, code, bodyStatus: status });
    expect(body.type).toBe(`https://shikaku.dev/problems/${code.toLowerCase().replaceAll('_', '-')}`);
    expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+|SELECT|INSERT|stack/);
    return body;
  };
  const countEvents = async () => Number((await s.engine.db.selectFrom('application_events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  it('answers 401 without a token and for a forged or expired one', async () => {
    expectProblem(await s.app.inject({ method: 'GET', url: `/v1/applications/${appId}` }), 401, 'AUTH_TOKEN_MISSING');
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'ES256', typ: 'JWT' }).setSubject('x').setIssuer('urn:shikaku:development').setAudience('shikaku').setExpirationTime('1h').sign(privateKey);
    expectProblem(await s.app.inject({ method: 'GET', url: `/v1/applications/${appId}`, headers: { authorization: `Bearer ${forged}` } }), 401, 'AUTH_TOKEN_INVALID');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'x', role: 'admin', exp: 9e9 })).toString('base64url')}.`;
    expectProblem(await s.app.inject({ method: 'GET', url: `/v1/applications/${appId}`, headers: { authorization: `Bearer ${none}` } }), 401, 'AUTH_TOKEN_INVALID');
    expectProblem(await s.app.inject({ method: 'GET', url: `/v1/applications/${appId}`, headers: { authorization: 'Basic abc' } }), 401, 'AUTH_TOKEN_INVALID');
  });

  it('authenticates before validating: no token and a malformed request answer 401, not a schema error', async () => {
    expectProblem(await s.app.inject({ method: 'POST', url: '/v1/qualifications/test-qual/procedures/registration/applications', payload: { data: 'not an object', extra: 1 } }), 401, 'AUTH_TOKEN_MISSING');
    expectProblem(await s.app.inject({ method: 'GET', url: '/v1/me/applications?limit=abc' }), 401, 'AUTH_TOKEN_MISSING');
    expectProblem(await s.app.inject({ method: 'POST', url: `/v1/applications/${appId}/events`, headers: { authorization: 'Bearer a.b.c' }, payload: { nope: true } }), 401, 'AUTH_TOKEN_INVALID');
  });

  it('hides another applicant\'s application and another registrar\'s application as 404', async () => {
    expectProblem(await s.app.inject({ method: 'GET', url: `/v1/applications/${appId}`, headers: { authorization: stranger } }), 404, 'APPLICATION_NOT_FOUND');
    expectProblem(await s.app.inject({ method: 'GET', url: `/v1/applications/${appId}`, headers: { authorization: otherReviewer } }), 404, 'APPLICATION_NOT_FOUND');
    expectProblem(await s.app.inject({ method: 'GET', url: `/v1/applications/${appId}/events`, headers: { authorization: stranger } }), 404, 'APPLICATION_NOT_FOUND');
    expect((await s.app.inject({ method: 'GET', url: `/v1/applications/${appId}`, headers: { authorization: reviewer } })).statusCode).toBe(200);
    expectProblem(await s.app.inject({ method: 'GET', url: '/v1/applications/not-a-uuid', headers: { authorization: applicant } }), 404, 'APPLICATION_NOT_FOUND');
  });

  it('requires If-Match (428), refuses a stale version (409) and changes nothing', async () => {
    const before = await countEvents();
    expectProblem(await s.app.inject({ method: 'POST', url: `/v1/applications/${appId}/events`, headers: { authorization: applicant }, payload: { type: 'submit' } }), 428, 'PRECONDITION_REQUIRED');
    const stale = expectProblem(await s.app.inject({ method: 'POST', url: `/v1/applications/${appId}/events`, headers: { authorization: applicant, 'if-match': '"7"' }, payload: { type: 'submit' } }), 409, 'APPLICATION_VERSION_CONFLICT');
    expect(stale.currentVersion).toBe(1);
    expectProblem(await s.app.inject({ method: 'POST', url: `/v1/applications/${appId}/events`, headers: { authorization: applicant, 'if-match': 'abc' }, payload: { type: 'submit' } }), 400, 'REQUEST_INVALID');
    expect(await countEvents()).toBe(before);
  });

  it('answers 422 for an unknown event and for an event not allowed now, with reasons', async () => {
    const unknown = expectProblem(await s.app.inject({ method: 'POST', url: `/v1/applications/${appId}/events`, headers: { authorization: applicant, 'if-match': '"1"' }, payload: { type: 'teleport' } }), 422, 'APPLICATION_EVENT_UNKNOWN');
    expect(unknown.events).toContain('submit');
    const early = expectProblem(await s.app.inject({ method: 'POST', url: `/v1/applications/${appId}/events`, headers: { authorization: reviewer, 'if-match': '"1"' }, payload: { type: 'approve' } }), 422, 'APPLICATION_EVENT_NOT_ALLOWED');
    expect(early.reasons).toEqual(['`approve` is not accepted in state `draft`']);
    const incomplete = await s.app.inject({ method: 'POST', url: '/v1/qualifications/test-qual/procedures/registration/applications', headers: { authorization: stranger }, payload: { data: { familyName: '田中' } } });
    const refused = expectProblem(await s.app.inject({ method: 'POST', url: `/v1/applications/${incomplete.json().id}/events`, headers: { authorization: stranger, 'if-match': '"1"' }, payload: { type: 'submit' } }), 422, 'APPLICATION_EVENT_NOT_ALLOWED');
    expect(refused.reasons.join()).toContain('missing: givenName, familyNameKana, givenNameKana, birthDate, honseki, examPassNumber');
  });

  it('refuses deficiency notes whose path is not a JSON Pointer and changes nothing', async () => {
    const before = await countEvents();
    const bad = expectProblem(await s.app.inject({
      method: 'POST', url: `/v1/applications/${appId}/events`, headers: { authorization: reviewer, 'if-match': '"1"' },
      payload: { type: 'requestCorrection', comment: 'x', fields: [{ path: 'examPassNumber', message: 'no leading slash' }] },
    }), 400, 'REQUEST_INVALID');
    expect(JSON.stringify(bad.errors)).toContain('/fields/0/path');
    expect(await countEvents()).toBe(before);
  });

  it('refuses invalid application data with field paths and creates nothing', async () => {
    const res = await s.app.inject({ method: 'POST', url: '/v1/qualifications/test-qual/procedures/registration/applications', headers: { authorization: stranger }, payload: { data: { birthDate: '1990-02-30', myNumber: '123456789012', familyName: 5 } } });
    const body = expectProblem(res, 422, 'APPLICATION_DATA_INVALID');
    expect(body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['/birthDate', '/familyName', '/myNumber']);
    const stored = await s.engine.db.selectFrom('applications').select('id').where('applicant_id', '=', 'stranger').execute();
    expect(stored).toHaveLength(1);
  });

  it('refuses a procedure that is not open yet with its opening date, and unknown qualifications and procedures', async () => {
    const future = expectProblem(await s.app.inject({ method: 'POST', url: '/v1/qualifications/other-qual/procedures/reissue/applications', headers: { authorization: applicant }, payload: {} }), 409, 'PROCEDURE_NOT_AVAILABLE');
    expect(future.opensOn).toBe('2099-04-01');
    const unscheduled = expectProblem(await s.app.inject({ method: 'POST', url: '/v1/qualifications/other-qual/procedures/change/applications', headers: { authorization: applicant }, payload: {} }), 409, 'PROCEDURE_NOT_AVAILABLE');
    expect(unscheduled.opensOn).toBeNull();
    expectProblem(await s.app.inject({ method: 'POST', url: '/v1/qualifications/nope/procedures/registration/applications', headers: { authorization: applicant }, payload: {} }), 404, 'QUALIFICATION_NOT_FOUND');
    expectProblem(await s.app.inject({ method: 'GET', url: '/v1/qualifications/test-qual/procedures/exam/form' }), 404, 'PROCEDURE_NOT_FOUND');
    expectProblem(await s.app.inject({ method: 'POST', url: '/v1/qualifications/test-qual/procedures/registration/applications', headers: { authorization: reviewer }, payload: {} }), 403, 'AUTH_FORBIDDEN');
  });

  it('answers malformed, oversized and non-JSON bodies and unknown routes with problem details', async () => {
    const url = '/v1/qualifications/test-qual/procedures/registration/applications';
    expectProblem(await s.app.inject({ method: 'POST', url, headers: { authorization: applicant, 'content-type': 'application/json' }, payload: '{"data":' }), 400, 'REQUEST_INVALID');
    expectProblem(await s.app.inject({ method: 'POST', url, headers: { authorization: applicant, 'content-type': 'text/plain' }, payload: 'hello' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectProblem(await s.app.inject({ method: 'POST', url, headers: { authorization: applicant }, payload: { data: { familyName: 'x'.repeat(70_000) } } }), 413, 'REQUEST_TOO_LARGE');
    expectProblem(await s.app.inject({ method: 'POST', url, headers: { authorization: applicant }, payload: { data: {}, state: 'registered' } }), 400, 'REQUEST_INVALID');
    expectProblem(await s.app.inject({ method: 'GET', url: '/v1/nothing' }), 404, 'ROUTE_NOT_FOUND');
    const wrongMethod = await s.app.inject({ method: 'DELETE', url: `/v1/applications/${appId}`, headers: { authorization: applicant } });
    expect(expectProblem(wrongMethod, 405, 'METHOD_NOT_ALLOWED').allowed).toEqual(['GET', 'HEAD', 'PATCH']);
    expect(wrongMethod.headers.allow).toBe('GET, HEAD, PATCH');
    expect(await s.engine.db.selectFrom('applications').select('id').where('id', '=', appId).executeTakeFirst()).toEqual({ id: appId });
    expectProblem(await s.app.inject({ method: 'PUT', url: '/v1/qualifications?x=1' }), 405, 'METHOD_NOT_ALLOWED');
  });

  it('serves the public qualification list, detail and form schema', async () => {
    const list = (await s.app.inject({ method: 'GET', url: '/v1/qualifications' })).json();
    expect(list.today).toBe('2026-12-01');
    const other = list.items.find((q: { id: string }) => q.id === 'other-qual');
    expect(other.procedures).toEqual([
      { name: 'registration', title: { ja: '新規登録申請', en: 'Registration' }, available: true, from: '2024-01-01' },
      { name: 'reissue', title: { ja: '登録証再交付申請', en: 'Certificate reissue' }, available: false, from: '2099-04-01' },
      { name: 'change', title: { ja: '登録事項変更届', en: 'Change of registered details' }, available: false, from: null },
    ]);
    const detail = (await s.app.inject({ method: 'GET', url: '/v1/qualifications/test-qual' })).json();
    expect(detail.fees.registration).toEqual({ lines: [{ kind: 'registration-fee', amount: 3000 }, { kind: 'registration-license-tax', amount: 9000 }], total: 12000, currency: 'JPY' });
    const form = (await s.app.inject({ method: 'GET', url: '/v1/qualifications/test-qual/procedures/link/form' })).json();
    expect(form.schema.required).toEqual(['registrationNumber', 'familyName', 'givenName', 'birthDate']);
    expect(form.schema.properties.registrationNumber.pattern).toBe('^[0-9]{1,6}$');
    expect(form.schema.properties.birthDate).toMatchObject({ type: 'string', format: 'date', title: '生年月日' });
    expect((await s.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await s.app.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({ status: 'ready' });
  });
});
