import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApplication, sendEvent, ShikakuError, type ApplicationRow, type EngineDeps } from '../../../engine/index.ts';
import { databaseKinds } from '../../support/test-database.ts';
import { applicant, createEngineFixture, DAY_MS, type EngineFixture } from './engine-fixture.ts';

const personData = (n: string) => ({ familyName: '山田', givenName: `太郎${n}`, familyNameKana: 'ヤマダ', givenNameKana: 'タロウ', birthDate: '1985-05-05', honseki: '大阪府' });
const staff = (registrar: string) => ({ id: `staff-${registrar}`, role: 'reviewer' as const, registrar });

async function registered(deps: EngineDeps, qualificationId: string, who: string, data: Record<string, unknown>): Promise<ApplicationRow> {
  const submitted = await createApplication(deps, { qualificationId, procedure: 'registration', actor: applicant(who), data, submit: true });
  expect(submitted.state).toBe('underReview');
  return sendEvent(deps, { applicationId: submitted.id, type: 'approve', actor: staff(submitted.registrar_id), expectedVersion: submitted.version });
}

const entriesOf = (f: EngineFixture, qualificationId: string, holder: string) =>
  f.deps.db.selectFrom('registry_entries').select(['registration_number', 'variant', 'expires_on', 'registered_on']).where('qualification_id', '=', qualificationId).where('holder_id', '=', holder).orderBy('registration_number').execute();

const refusal = async (promise: Promise<unknown>) => {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ShikakuError);
  return error as ShikakuError;
};

describe.each(databaseKinds)('renewal, variants and windows on %s', (kind) => {
  let f: EngineFixture;
  beforeAll(async () => {
    f = await createEngineFixture(kind);
  });
  afterAll(async () => f?.drop());

  it('compiles a free procedure without payment states and a paid one without the free path', () => {
    const free = f.definitions.current('renew-qual', 'registration')!.spec.procedure;
    expect(Object.keys(free.states)).not.toContain('awaitingPayment');
    const paid = f.definitions.current('test-qual', 'registration')!.spec.procedure;
    const submit = paid.states.draft!.on!.submit!;
    expect((Array.isArray(submit) ? submit : [submit]).map((t) => t.to)).toEqual(['awaitingPayment']);
  });

  it('registers with an expiry one period after the registration date, and renews only inside the window', async () => {
    // The clock starts on 2026-12-01 (Japan time): the registration expires on 2031-12-01.
    await registered(f.deps, 'renew-qual', 'renewer', personData('r'));
    expect(await entriesOf(f, 'renew-qual', 'renewer')).toEqual([{ registration_number: 1, variant: null, expires_on: '2031-12-01', registered_on: '2026-12-01' }]);
    const renewal = () => createApplication(f.deps, { qualificationId: 'renew-qual', procedure: 'renewal', actor: applicant('renewer'), data: { trainingCompleted: true }, submit: true });

    const early = await refusal(renewal());
    expect(early.code).toBe('APPLICATION_EVENT_NOT_ALLOWED');
    // 90 days before 2031-12-01 is 2031-09-02.
    expect(JSON.stringify(early.details.reasons)).toContain('renewal opens on 2031-09-02');

    f.clock.set(new Date('2031-09-01T15:00:00Z')); // 2031-09-02 00:00 in Japan
    const opened = await renewal();
    expect(opened.state).toBe('underReview');
    const approved = await sendEvent(f.deps, { applicationId: opened.id, type: 'approve', actor: staff('renew-body'), expectedVersion: opened.version });
    expect(approved.state).toBe('renewed');
    // The new period runs on from the old expiry.
    expect((await entriesOf(f, 'renew-qual', 'renewer'))[0]!.expires_on).toBe('2036-12-01');
    const events = await f.deps.db.selectFrom('application_events').select('payload').where('application_id', '=', opened.id).where('type', '=', 'approve').executeTakeFirstOrThrow();
    expect(events.payload).toMatchObject({ effects: { previousExpiry: '2031-12-01', expiresOn: '2036-12-01' } });

    // 30 days before the new expiry the window has closed: 2036-11-02 is the first day too late.
    f.clock.set(new Date('2036-11-01T15:00:00Z'));
    const late = await refusal(renewal());
    expect(JSON.stringify(late.details.reasons)).toContain('renewal closed on 2036-11-01');
  });

  it('keeps one register per kind: the same person registers two kinds, not the same kind twice', async () => {
    f.clock.set(new Date('2026-12-05T01:00:00Z'));
    await registered(f.deps, 'family-qual', 'multi', { ...personData('m'), variant: 'kind-a' });
    await registered(f.deps, 'family-qual', 'multi', { ...personData('m'), variant: 'kind-b' });
    expect((await entriesOf(f, 'family-qual', 'multi')).map((e) => [e.registration_number, e.variant])).toEqual([[1, 'kind-a'], [2, 'kind-b']]);

    const again = await refusal(createApplication(f.deps, { qualificationId: 'family-qual', procedure: 'registration', actor: applicant('multi'), data: { ...personData('m'), variant: 'kind-a' }, submit: true }));
    expect(again.code).toBe('APPLICATION_EVENT_NOT_ALLOWED');
    expect(JSON.stringify(again.details.reasons)).toContain('already registered');

    const unknown = await refusal(createApplication(f.deps, { qualificationId: 'family-qual', procedure: 'registration', actor: applicant('multi'), data: { ...personData('m'), variant: 'kind-z' } }));
    expect(unknown.code).toBe('APPLICATION_DATA_INVALID');
    const missing = await refusal(createApplication(f.deps, { qualificationId: 'family-qual', procedure: 'registration', actor: applicant('nokind'), data: personData('n'), submit: true }));
    expect(JSON.stringify(missing.details.reasons)).toContain('variant');
  });

  it('accepts exam applications only inside the announced window (Japan time)', async () => {
    const { honseki: _notAsked, ...person } = personData('e');
    const exam = { ...person, variant: 'kind-a', attachments: { photo: 'upload-1' } };
    const apply = (who: string) => createApplication(f.deps, { qualificationId: 'family-qual', procedure: 'exam', actor: applicant(who), data: exam, submit: true });
    f.clock.set(new Date('2026-12-20T14:59:00Z')); // 23:59 on the last day in Japan
    expect((await apply('in-time')).state).toBe('underReview');
    f.clock.advance(2 * 60 * 1000);
    const late = await refusal(apply('too-late'));
    expect(JSON.stringify(late.details.reasons)).toContain('applications closed on 2026-12-20');
    f.clock.advance(-30 * DAY_MS);
    expect(JSON.stringify((await refusal(apply('too-early'))).details.reasons)).toContain('applications open on 2026-12-01');
  });
});
