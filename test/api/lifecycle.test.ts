import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importRegistryEntry } from '../../engine/index.ts';
import { databaseKinds } from '../support/test-database.ts';
import { createTestServer, type TestServer } from '../support/test-server.ts';

const person = {
  familyName: '山田', givenName: '花子', familyNameKana: 'ヤマダ', givenNameKana: 'ハナコ',
  birthDate: '1990-04-01', honseki: '東京都', examPassNumber: 'A-123',
};

describe.each(databaseKinds)('application lifecycle over HTTP on %s', (kind) => {
  let s: TestServer;
  let applicant: string;
  let reviewer: string;
  let payment: string;
  beforeAll(async () => {
    s = await createTestServer(kind);
    applicant = `Bearer ${await s.token({ sub: 'person-1', role: 'applicant' })}`;
    reviewer = `Bearer ${await s.token({ sub: 'staff-1', role: 'reviewer', registrar: 'test-body' })}`;
    payment = `Bearer ${await s.token({ sub: 'payment-provider', role: 'payment' })}`;
  });
  afterAll(async () => s?.close());

  const send = (id: string, auth: string, version: number, body: Record<string, unknown>) =>
    s.app.inject({ method: 'POST', url: `/v1/applications/${id}/events`, headers: { authorization: auth, 'if-match': `"${version}"` }, payload: body });

  it('runs create → submit → pay → correction → resubmit → approve and registers the holder with the next number', async () => {
    const created = await s.app.inject({
      method: 'POST',
      url: '/v1/qualifications/test-qual/procedures/registration/applications',
      headers: { authorization: applicant },
      payload: { data: person },
    });
    expect(created.statusCode).toBe(201);
    const app = created.json();
    expect(created.headers.location).toBe(`/v1/applications/${app.id}`);
    expect(created.headers.etag).toBe('"1"');
    expect(app.state).toBe('draft');
    expect(app.allowedEvents.map((e: { type: string }) => e.type).sort()).toEqual(['submit', 'withdraw']);

    const submitted = await send(app.id, applicant, 1, { type: 'submit' });
    expect(submitted.statusCode).toBe(200);
    expect(submitted.json().state).toBe('awaitingPayment');
    expect(submitted.json().fees.total).toBe(12000);

    // Only the payment role confirms fees until the payment issue lands.
    const selfPaid = await send(app.id, applicant, 2, { type: 'confirmPayment' });
    expect(selfPaid.statusCode).toBe(403);
    expect(selfPaid.json().code).toBe('AUTH_FORBIDDEN');

    const paid = await send(app.id, payment, 2, { type: 'confirmPayment' });
    expect(paid.json().state).toBe('underReview');

    const noComment = await send(app.id, reviewer, 3, { type: 'requestCorrection' });
    expect(noComment.statusCode).toBe(422);
    const correction = await send(app.id, reviewer, 3, {
      type: 'requestCorrection',
      comment: '合格証書番号を確認してください',
      fields: [{ path: '/examPassNumber', message: '番号が一致しません' }],
    });
    expect(correction.statusCode).toBe(200);
    expect(correction.json().state).toBe('correctionRequested');
    expect(correction.json().notice).toEqual({
      event: 'requestCorrection', comment: '合格証書番号を確認してください', sentAt: '2026-12-01T01:00:00.000Z',
      fields: [{ path: '/examPassNumber', message: '番号が一致しません', addressed: false }],
    });

    // The noted field must change before the application can go back to review.
    const unchanged = await send(app.id, applicant, 4, { type: 'resubmit' });
    expect(unchanged.statusCode).toBe(422);
    expect(unchanged.json().reasons.join()).toContain('/examPassNumber (番号が一致しません)');
    const seen = await s.app.inject({ method: 'GET', url: `/v1/applications/${app.id}`, headers: { authorization: applicant } });
    expect(seen.json().allowedEvents.map((e: { type: string }) => e.type)).toEqual(['withdraw']);

    const edited = await s.app.inject({ method: 'PATCH', url: `/v1/applications/${app.id}`, headers: { authorization: applicant, 'if-match': '"4"' }, payload: { data: { examPassNumber: 'A-124' } } });
    expect(edited.statusCode).toBe(200);
    expect(edited.json().notice.fields).toEqual([{ path: '/examPassNumber', message: '番号が一致しません', addressed: true }]);

    const resubmitted = await send(app.id, applicant, 5, { type: 'resubmit' });
    expect(resubmitted.json().state).toBe('underReview');
    expect(resubmitted.json()).not.toHaveProperty('notice');

    const approved = await send(app.id, reviewer, 6, { type: 'approve' });
    expect(approved.statusCode).toBe(200);
    expect(approved.headers.etag).toBe('"7"');
    expect(approved.json()).toMatchObject({ state: 'registered', final: true, registrationNumber: '第000001号', allowedEvents: [] });

    const entry = await s.engine.db.selectFrom('registry_entries').selectAll().where('qualification_id', '=', 'test-qual').execute();
    expect(entry).toHaveLength(1);
    expect(entry[0]).toMatchObject({ registration_number: 1, holder_id: 'person-1', family_name: '山田', status: 'active', registered_on: '2026-12-01' });

    const history = await s.app.inject({ method: 'GET', url: `/v1/applications/${app.id}/events`, headers: { authorization: applicant } });
    const items = history.json().items;
    expect(items.map((e: { type: string }) => e.type)).toEqual(['created', 'submit', 'confirmPayment', 'requestCorrection', 'edited', 'resubmit', 'approve']);
    expect(items[3].payload).toMatchObject({ comment: '合格証書番号を確認してください', notes: [{ path: '/examPassNumber', message: '番号が一致しません' }] });
    expect(items[6].payload.effects.registrationNumber).toBe(1);
    for (let i = 1; i < items.length; i++) expect(items[i].prevHash).toBe(items[i - 1].hash);

    const notices = await s.engine.db.selectFrom('outbox').select(['kind', 'payload']).where('application_id', '=', app.id).orderBy('id').execute();
    expect(notices.map((n) => [n.kind, n.payload.template])).toEqual([
      ['notification', 'payment-requested'],
      ['notification', 'received'],
      ['notification', 'deficiency'],
      ['certificate.issue', undefined],
      ['notification', 'approved'],
    ]);
  });

  it('gives the next registration a higher number and refuses a second registration of the same person', async () => {
    const other = `Bearer ${await s.token({ sub: 'person-2', role: 'applicant' })}`;
    const created = await s.app.inject({ method: 'POST', url: '/v1/qualifications/test-qual/procedures/registration/applications', headers: { authorization: other }, payload: { data: { ...person, givenName: '次郎' }, submit: true } });
    expect(created.json().state).toBe('awaitingPayment');
    await send(created.json().id, payment, 2, { type: 'confirmPayment' });
    const approved = await send(created.json().id, reviewer, 3, { type: 'approve' });
    expect(approved.json().registrationNumber).toBe('第000002号');

    const again = await s.app.inject({ method: 'POST', url: '/v1/qualifications/test-qual/procedures/registration/applications', headers: { authorization: applicant }, payload: { data: person, submit: true } });
    expect(again.statusCode).toBe(422);
    expect(again.json().reasons.join()).toContain('already registered');
    const drafts = await s.engine.db.selectFrom('applications').select('id').where('applicant_id', '=', 'person-1').execute();
    expect(drafts).toHaveLength(1);
  });

  it('links an existing holder who gives a matching registration number, name and birth date', async () => {
    await importRegistryEntry(s.engine.db, {
      qualificationId: 'test-qual', registrationNumber: 500, holderId: null, familyName: '佐藤', givenName: '一郎',
      birthDate: '1970-01-02', honseki: '大阪府', registeredOn: '1999-04-01',
    }, s.clock.now());
    const holder = `Bearer ${await s.token({ sub: 'person-3', role: 'applicant' })}`;
    const mismatch = await s.app.inject({
      method: 'POST', url: '/v1/qualifications/test-qual/procedures/link/applications', headers: { authorization: holder },
      payload: { data: { registrationNumber: '500', familyName: '佐藤', givenName: '二郎', birthDate: '1970-01-02' }, submit: true },
    });
    expect(mismatch.json().state).toBe('underReview');

    const linked = await s.app.inject({
      method: 'POST', url: '/v1/qualifications/test-qual/procedures/link/applications', headers: { authorization: holder },
      payload: { data: { registrationNumber: '500', familyName: '佐藤', givenName: '一郎', birthDate: '1970-01-02' }, submit: true },
    });
    expect(linked.statusCode).toBe(201);
    expect(linked.json()).toMatchObject({ state: 'linked', registrationNumber: '第000500号' });
    const entry = await s.engine.db.selectFrom('registry_entries').select('holder_id').where('registration_number', '=', 500).executeTakeFirstOrThrow();
    expect(entry.holder_id).toBe('person-3');

    // Imported numbers raise the counter: the next registration follows them.
    const fresh = `Bearer ${await s.token({ sub: 'person-4', role: 'applicant' })}`;
    const created = await s.app.inject({ method: 'POST', url: '/v1/qualifications/test-qual/procedures/registration/applications', headers: { authorization: fresh }, payload: { data: { ...person, givenName: '四郎' }, submit: true } });
    await send(created.json().id, payment, 2, { type: 'confirmPayment' });
    expect((await send(created.json().id, reviewer, 3, { type: 'approve' })).json().registrationNumber).toBe('第000501号');
  });
});
