import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedSchemas } from '../../api/schemas.ts';
import { databaseKinds } from '../support/test-database.ts';
import { createTestServer, type TestServer } from '../support/test-server.ts';

const person = { familyName: '山田', givenName: '花子', familyNameKana: 'ヤマダ', givenNameKana: 'ハナコ', birthDate: '1990-04-01', honseki: '東京都', examPassNumber: 'A-1' };
const createUrl = '/v1/qualifications/test-qual/procedures/registration/applications';

/** The property names of a shared schema: throws if it was renamed, so the field list never goes stale. */
function propertiesOf(id: string): string[] {
  const schema = sharedSchemas.find((s) => (s as { $id?: string }).$id === id);
  if (!schema) throw new Error(`api/schemas.ts has no shared schema ${id}`);
  return Object.keys(schema.properties);
}
const camel = (column: string) => column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
// Names a client might guess that neither the view nor the tables spell this way.
const guessed = ['registrar', 'registrarId', 'history', 'events', 'status', 'reviewerId', 'qualificationBodyId', 'payment', 'certificate', 'applicantId'];
// A value of a plausible type for each name, so no refusal is a mere type error.
const forged = (name: string): unknown =>
  /version|seq/i.test(name) ? 99 : name === 'final' ? true : /^(fees|snapshot|notice|payload|actor)$/.test(name) ? { forged: true } : name === 'registrationNumber' ? '000001' : `forged-${name}`;

type Res = { statusCode: number; headers: Record<string, unknown>; json(): any };
/** How a response deviates from the expected refusal, or undefined when it is that refusal. */
function deviation(res: Res, status: number, code: string, path: string): string | undefined {
  const body = res.json();
  const paths: string[] = (body.errors ?? []).map((e: { path: string }) => e.path);
  const ok = res.statusCode === status && body.code === code && String(res.headers['content-type']).startsWith('application/problem+json') && paths.some((p) => p.endsWith(path));
  return ok ? undefined : `${res.statusCode} ${body.code} ${JSON.stringify(paths)}`;
}

describe.each(databaseKinds)('server-owned fields cannot be written on %s', (kind) => {
  let s: TestServer;
  let owner: string;
  let serverOwned: string[];
  let formFields: string[];
  let appId: string;
  beforeAll(async () => {
    s = await createTestServer(kind, { rateLimits: { perIpPerMinute: 1_000_000, perCallerPerMinute: 1_000_000 } });
    owner = `Bearer ${await s.token({ sub: 'owner', role: 'applicant' })}`;
    const columns = async (table: string) =>
      (await sql<{ column_name: string }>`SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ${table}`.execute(s.engine.db)).rows.map((r) => r.column_name);
    const dbNames = [...(await columns('applications')), ...(await columns('application_events'))];
    expect(dbNames).toContain('registrar_id');
    // `data` is the one writable container; everything else the view, the history or the tables show is the server's.
    serverOwned = [...new Set([...propertiesOf('Application'), ...propertiesOf('HistoryEvent'), ...dbNames, ...dbNames.map(camel), ...guessed])].filter((n) => n !== 'data').sort();
    formFields = Object.keys((await s.app.inject({ method: 'GET', url: '/v1/qualifications/test-qual/procedures/registration/form' })).json().schema.properties);
    appId = (await s.app.inject({ method: 'POST', url: createUrl, headers: { authorization: owner }, payload: { data: person } })).json().id;
  });
  afterAll(async () => s?.close());

  /** Everything a write could change: the row, the history and what the API shows. */
  const everything = async () => JSON.stringify({
    row: await s.engine.db.selectFrom('applications').selectAll().where('id', '=', appId).executeTakeFirstOrThrow(),
    events: await s.engine.db.selectFrom('application_events').selectAll().where('application_id', '=', appId).orderBy('seq').execute(),
    view: (await s.app.inject({ method: 'GET', url: `/v1/applications/${appId}`, headers: { authorization: owner } })).json(),
    applications: (await s.engine.db.selectFrom('applications').select('id').execute()).length,
  });
  const writable = (schemaId: string) => new Set(propertiesOf(schemaId));

  /** Sends `body(name)` for every server-owned name; returns the names that got anything but the refusal or changed something. */
  async function attempt(names: string[], request: (name: string) => Promise<Res>, status: number, code: string, path: (name: string) => string) {
    const failures: Record<string, string> = {};
    for (const name of names) {
      const before = await everything();
      const why = deviation(await request(name), status, code, path(name));
      const changed = (await everything()) !== before;
      if (why || changed) failures[name] = `${why ?? 'refused'}${changed ? ', and something changed' : ''}`;
    }
    return failures;
  }
  const create = (payload: object) => s.app.inject({ method: 'POST', url: createUrl, headers: { authorization: owner }, payload });
  const patch = (payload: object) => s.app.inject({ method: 'PATCH', url: `/v1/applications/${appId}`, headers: { authorization: owner, 'if-match': '"1"' }, payload });
  const send = (payload: object) => s.app.inject({ method: 'POST', url: `/v1/applications/${appId}/events`, headers: { authorization: owner, 'if-match': '"1"' }, payload });
  const topLevel = (schemaId: string) => serverOwned.filter((n) => !writable(schemaId).has(n));

  it('checks a field list derived from the view, the history and the tables', () => {
    expect(serverOwned).toEqual(expect.arrayContaining(['state', 'version', 'registrarId', 'registrar_id', 'fees', 'history', 'registrationNumber', 'applicant', 'applicantId', 'definitionHash', 'id', 'createdAt', 'notice', 'snapshot', 'seq', 'hash']));
    // Inside `data` these names must be unknown to the form, or the data test would prove nothing.
    expect(serverOwned.filter((n) => formFields.includes(n))).toEqual([]);
  });

  it('refuses every server-owned field at the top level of a create (with submit) with 400 and creates nothing', async () => {
    expect(await attempt(topLevel('CreateApplicationRequest'), (n) => create({ data: person, submit: true, [n]: forged(n) }), 400, 'REQUEST_INVALID', (n) => `/${n}`)).toEqual({});
  });

  it('refuses every server-owned field inside the data of a create (with submit) as an unknown field, 422, and creates nothing', async () => {
    expect(await attempt(serverOwned, (n) => create({ data: { ...person, [n]: forged(n) }, submit: true }), 422, 'APPLICATION_DATA_INVALID', (n) => `/${n}`)).toEqual({});
  });

  it('refuses every server-owned field at the top level of a PATCH with 400 and changes nothing', async () => {
    expect(await attempt(topLevel('EditApplicationRequest'), (n) => patch({ data: { givenName: '太郎' }, [n]: forged(n) }), 400, 'REQUEST_INVALID', (n) => `/${n}`)).toEqual({});
  });

  it('refuses every server-owned field inside the data of a PATCH as an unknown field, 422, and changes nothing', async () => {
    expect(await attempt(serverOwned, (n) => patch({ data: { givenName: '太郎', [n]: forged(n) } }), 422, 'APPLICATION_DATA_INVALID', (n) => `/${n}`)).toEqual({});
  });

  // A merge patch null removes a key; removing a key the form does not have is still naming an unknown field.
  it('refuses a PATCH that removes a server-owned name with null as an unknown field, 422, and changes nothing', async () => {
    expect(await attempt(serverOwned, (n) => patch({ data: { [n]: null } }), 422, 'APPLICATION_DATA_INVALID', (n) => `/${n}`)).toEqual({});
  });

  it('refuses every server-owned field at the top level of an event with 400 and records nothing', async () => {
    expect(await attempt(topLevel('EventRequest'), (n) => send({ type: 'submit', [n]: forged(n) }), 400, 'REQUEST_INVALID', (n) => `/${n}`)).toEqual({});
  });

  it('refuses data on an event with 400, whatever it carries, and records nothing', async () => {
    expect(await attempt(serverOwned, (n) => send({ type: 'submit', data: { [n]: forged(n) } }), 400, 'REQUEST_INVALID', () => '/data')).toEqual({});
  });

  it('refuses server-owned names nested in attachments and prototype keys anywhere', async () => {
    const before = await everything();
    expect(deviation(await patch({ data: { attachments: { state: 'registered' } } }), 422, 'APPLICATION_DATA_INVALID', '/attachments/state')).toBeUndefined();
    for (const raw of ['{"data":{"__proto__":{"state":"registered"}}}', '{"data":{"constructor":{"prototype":{"state":"registered"}}}}', '{"__proto__":{"version":99},"data":{}}']) {
      const res = await s.app.inject({ method: 'PATCH', url: `/v1/applications/${appId}`, headers: { authorization: owner, 'if-match': '"1"', 'content-type': 'application/json' }, payload: raw });
      expect({ status: res.statusCode, code: res.json().code }).toEqual({ status: 400, code: 'REQUEST_INVALID' });
    }
    expect(await everything()).toBe(before);
  });

  // Run last: the same requests without the forged field succeed, so every refusal above was the field's doing.
  it('accepts the same requests without the server-owned fields', async () => {
    expect((await create({ data: person, submit: true })).statusCode).toBe(201);
    const edited = await patch({ data: { givenName: '太郎' } });
    expect({ status: edited.statusCode, version: edited.json().version, state: edited.json().state }).toEqual({ status: 200, version: 2, state: 'draft' });
    const sent = await s.app.inject({ method: 'POST', url: `/v1/applications/${appId}/events`, headers: { authorization: owner, 'if-match': '"2"' }, payload: { type: 'submit' } });
    expect({ status: sent.statusCode, state: sent.json().state }).toEqual({ status: 200, state: 'awaitingPayment' });
  });
});
