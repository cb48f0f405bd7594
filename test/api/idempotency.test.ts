import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { IDEMPOTENCY_KEY_TTL_MS } from '../../api/idempotency.plugin.ts';
import { databaseKinds } from '../support/test-database.ts';
import { createTestServer, type TestServer } from '../support/test-server.ts';

const person = { familyName: '山田', givenName: '花子', familyNameKana: 'ヤマダ', givenNameKana: 'ハナコ', birthDate: '1990-04-01', honseki: '東京都', examPassNumber: 'A-1' };
const createUrl = '/v1/qualifications/test-qual/procedures/registration/applications';
const REPLAYS = 1000;

type Res = { statusCode: number; headers: Record<string, unknown>; body: string; json(): any };
/** What a retry must get back unchanged (draft-ietf-httpapi-idempotency-key-header §2.6). */
const answer = (res: Res) => ({ status: res.statusCode, body: res.body, location: res.headers.location, etag: res.headers.etag, type: res.headers['content-type'] });

describe.each(databaseKinds)('Idempotency-Key on %s', (kind) => {
  let s: TestServer;
  let applicant: string;
  beforeAll(async () => {
    // The replay runs send thousands of requests from one caller within a minute; rate limits have their own tests.
    s = await createTestServer(kind, { rateLimits: { perIpPerMinute: 1_000_000, perCallerPerMinute: 1_000_000 } });
    applicant = `Bearer ${await s.token({ sub: 'owner', role: 'applicant' })}`;
  });
  afterAll(async () => s?.close());

  const create = (key: string | undefined, payload: object = { data: person }, authorization = applicant) =>
    s.app.inject({ method: 'POST', url: createUrl, headers: { authorization, ...(key === undefined ? {} : { 'idempotency-key': key }) }, payload });
  const send = (id: string, key: string, payload: object, version: number) =>
    s.app.inject({ method: 'POST', url: `/v1/applications/${id}/events`, headers: { authorization: applicant, 'idempotency-key': key, 'if-match': `"${version}"` }, payload });
  const applicationsOf = async (applicantId: string) => (await s.engine.db.selectFrom('applications').select('id').where('applicant_id', '=', applicantId).execute()).length;
  const eventsOf = async (id: string) => (await s.engine.db.selectFrom('application_events').select('seq').where('application_id', '=', id).execute()).length;
  const draft = async () => (await create(undefined)).json().id as string;
  const expectProblem = (res: Res, status: number, code: string) => {
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect({ status: res.statusCode, code: res.json().code }).toEqual({ status, code });
  };
  /** Sends `count` copies of a request in small concurrent batches (inject, no sockets). */
  async function replay(count: number, request: () => Promise<Res>): Promise<Res[]> {
    const all: Res[] = [];
    for (let i = 0; i < count; i += 20) all.push(...(await Promise.all(Array.from({ length: Math.min(20, count - i) }, request))));
    return all;
  }

  it(`returns the first 201 with its body, Location and ETag to ${REPLAYS} retries of a create and creates one application`, async () => {
    const key = randomUUID();
    const before = await applicationsOf('owner');
    const first = await create(key);
    expect(first.statusCode).toBe(201);
    const retries = await replay(REPLAYS, () => create(key));
    expect(retries.filter((r) => JSON.stringify(answer(r)) !== JSON.stringify(answer(first)))).toEqual([]);
    expect(retries.every((r) => r.headers['idempotent-replayed'] === 'true')).toBe(true);
    expect(await applicationsOf('owner')).toBe(before + 1);
    expect(await eventsOf(first.json().id)).toBe(1);
  });

  it(`returns the first 200 with its body and ETag to ${REPLAYS} retries of an event and records one event`, async () => {
    const id = await draft();
    const key = randomUUID();
    const first = await send(id, key, { type: 'submit' }, 1);
    expect({ status: first.statusCode, state: first.json().state, etag: first.headers.etag }).toEqual({ status: 200, state: 'awaitingPayment', etag: '"2"' });
    // If-Match "1" is stale now: only a stored answer can still be a 200.
    const retries = await replay(REPLAYS, () => send(id, key, { type: 'submit' }, 1));
    expect(retries.filter((r) => JSON.stringify(answer(r)) !== JSON.stringify(answer(first)))).toEqual([]);
    expect(await eventsOf(id)).toBe(2);
  });

  it('replays the same request sent with another token of the same caller and the body keys in another order', async () => {
    const key = randomUUID();
    const first = await create(key, { data: person, submit: false });
    const again = await create(key, { submit: false, data: Object.fromEntries(Object.entries(person).reverse()) }, `Bearer ${await s.token({ sub: 'owner', role: 'applicant' })}`);
    expect(answer(again)).toEqual(answer(first));
  });

  it('answers 422 IDEMPOTENCY_KEY_REUSED for the same key with another body or another path, and does nothing', async () => {
    const key = randomUUID();
    const first = await create(key);
    const before = await applicationsOf('owner');
    expectProblem(await create(key, { data: { ...person, givenName: '太郎' } }), 422, 'IDEMPOTENCY_KEY_REUSED');
    expectProblem(await create(key, { data: person, submit: true }), 422, 'IDEMPOTENCY_KEY_REUSED');
    expectProblem(await send(first.json().id, key, { type: 'submit' }, 1), 422, 'IDEMPOTENCY_KEY_REUSED');
    expect(await applicationsOf('owner')).toBe(before);
    expect(await eventsOf(first.json().id)).toBe(1);
    // The key still holds its first answer.
    expect(answer(await create(key))).toEqual(answer(first));
  });

  it('replays an error answer too, even after the application changed', async () => {
    const incomplete = (await create(undefined, { data: { familyName: '田中' } })).json().id as string;
    const key = randomUUID();
    const refused = await send(incomplete, key, { type: 'submit' }, 1);
    expectProblem(refused, 422, 'APPLICATION_EVENT_NOT_ALLOWED');
    const patched = await s.app.inject({ method: 'PATCH', url: `/v1/applications/${incomplete}`, headers: { authorization: applicant, 'if-match': '"1"' }, payload: { data: person } });
    expect(patched.statusCode).toBe(200);
    // Run again, the retry would now be a 409 (stale If-Match); the stored 422 comes back instead.
    const retry = await send(incomplete, key, { type: 'submit' }, 1);
    expect(answer(retry)).toEqual(answer(refused));
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(await eventsOf(incomplete)).toBe(2);
  });

  it('answers 409 IDEMPOTENCY_KEY_IN_FLIGHT while the first request holds the key unanswered', async () => {
    const id = await draft();
    const key = randomUUID();
    const first = await send(id, key, { type: 'submit' }, 1);
    // A claimed key without an answer yet is what a request still running leaves behind.
    await s.engine.db.updateTable('idempotency_keys').set({ status_code: null, response_headers: null, response_body: null }).where('caller_id', '=', 'owner').where('key', '=', key).execute();
    expectProblem(await send(id, key, { type: 'submit' }, 1), 409, 'IDEMPOTENCY_KEY_IN_FLIGHT');
    expect(await eventsOf(id)).toBe(2);
    expect(first.statusCode).toBe(200);
  });

  // PGlite has one session, so only PostgreSQL can hold a row lock while the server works on another.
  it.runIf(kind === 'postgres')('answers 409 IDEMPOTENCY_KEY_IN_FLIGHT to a retry that arrives while the first request is blocked, then replays it', async () => {
    const id = await draft();
    const key = randomUUID();
    const locker = await s.database.connect().startTransaction().execute();
    await locker.selectFrom('applications').select('id').where('id', '=', id).forUpdate().execute();
    const first = send(id, key, { type: 'submit' }, 1);
    await vi.waitFor(async () => expect(await s.engine.db.selectFrom('idempotency_keys').select('key').where('key', '=', key).executeTakeFirst()).toBeDefined(), { timeout: 30_000 });
    expectProblem(await send(id, key, { type: 'submit' }, 1), 409, 'IDEMPOTENCY_KEY_IN_FLIGHT');
    await locker.commit().execute();
    const answered = await first;
    expect(answered.statusCode).toBe(200);
    expect(answer(await send(id, key, { type: 'submit' }, 1))).toEqual(answer(answered));
    expect(await eventsOf(id)).toBe(2);
  });

  it('scopes keys to the caller: another applicant with the same key and body gets their own application', async () => {
    const key = randomUUID();
    const mine = await create(key);
    const theirs = await create(key, { data: person }, `Bearer ${await s.token({ sub: 'neighbour', role: 'applicant' })}`);
    expect({ status: theirs.statusCode, applicant: theirs.json().applicant, replayed: theirs.headers['idempotent-replayed'] }).toEqual({ status: 201, applicant: 'neighbour', replayed: undefined });
    expect(theirs.json().id).not.toBe(mine.json().id);
    expect(await applicationsOf('neighbour')).toBe(1);
  });

  it('treats a quoted key and the same key bare as one key', async () => {
    const key = randomUUID();
    const quoted = await create(`"${key}"`);
    expect(answer(await create(key))).toEqual(answer(quoted));
  });

  it.each([
    ['empty', ''],
    ['a space inside', 'two words'],
    ['256 characters', 'k'.repeat(256)],
    ['non-ASCII', 'キー'],
    ['an opening quote only', '"abc'],
    ['a closing quote only', 'abc"'],
    ['two values as Node joins repeated headers', 'key-1, key-2'],
  ])('answers 400 IDEMPOTENCY_KEY_INVALID to a key that is %s and creates nothing', async (_name, key) => {
    const before = await applicationsOf('owner');
    expectProblem(await create(key), 400, 'IDEMPOTENCY_KEY_INVALID');
    expect(await applicationsOf('owner')).toBe(before);
  });

  it('keeps a key for its TTL and then does the work again', async () => {
    const key = randomUUID();
    const start = s.clock.now();
    const first = await create(key);
    try {
      s.clock.advance(IDEMPOTENCY_KEY_TTL_MS);
      expect(answer(await create(key))).toEqual(answer(first));
      s.clock.advance(1);
      // Expired, the key is new: another body is not a reuse, and the work is done.
      const other = { data: { ...person, givenName: '次郎' } };
      const later = await create(key, other);
      expect({ status: later.statusCode, replayed: later.headers['idempotent-replayed'], givenName: later.json().data.givenName }).toEqual({ status: 201, replayed: undefined, givenName: '次郎' });
      expect(later.json().id).not.toBe(first.json().id);
      expect(answer(await create(key, other))).toEqual(answer(later));
    } finally {
      s.clock.set(start);
    }
  });
});
