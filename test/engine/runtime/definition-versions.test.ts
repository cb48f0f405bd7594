import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createApplication, DefinitionStore, diffDefinitions, editApplication, loadDefinitions, migrateApplications, sendEvent, ShikakuError, type EngineDeps } from '../../../engine/index.ts';
import { createTestDatabase, databaseKinds } from '../../support/test-database.ts';
import { applicant, createEngineFixture, DAY_MS, paymentProvider, person, reviewer, type EngineFixture } from './engine-fixture.ts';

const root = join(import.meta.dirname, '../../..');
const tempDirs: string[] = [];
afterAll(async () => Promise.all(tempDirs.map((d) => rm(d, { recursive: true, force: true }))));

const examPassLine = '      - { key: examPassNumber, type: string, required: true, maxLength: 20, label: { ja: 合格証書番号, en: Exam pass number } }\n';
const licenseLine = '      - { key: licenseNumber, type: string, required: true, maxLength: 20, label: { ja: 免許番号, en: Licence number } }\n';

/**
 * The fixture definitions with test-qual rewritten by `edit` (and, when `ownTemplate`, its registration
 * on a copy of the template without the 戸籍 send-back state), loaded into a new store.
 */
async function changedStore(edit: (text: string) => string, ownTemplate = false): Promise<DefinitionStore> {
  const dir = await mkdtemp(join(tmpdir(), 'shikaku-versions-'));
  tempDirs.push(dir);
  await cp(join(root, 'definitions/procedures'), join(dir, 'procedures'), { recursive: true });
  await cp(join(root, 'test/fixtures/engine/qualifications'), join(dir, 'qualifications'), { recursive: true });
  if (ownTemplate) {
    const template = await readFile(join(dir, 'procedures/registration.yaml'), 'utf8');
    const withoutKoseki = template
      .replace('kind: registration\n', 'kind: registration-v2\n')
      .replace(/ {6}# 本籍 could not[^\n]*\n {6}requestKoseki:[^\n]*\n/, '')
      .replace(/ {2}kosekiRequired:\n(?: {4}[^\n]*\n)+/, '');
    expect(withoutKoseki).not.toContain('kosekiRequired');
    await writeFile(join(dir, 'procedures/registration-v2.yaml'), withoutKoseki);
  }
  const file = join(dir, 'qualifications/test-qual.yaml');
  const text = await readFile(file, 'utf8');
  expect(text).toContain(examPassLine);
  await writeFile(file, edit(text));
  const loaded = await loadDefinitions(dir);
  expect(loaded.problems).toEqual([]);
  return new DefinitionStore(loaded.qualifications);
}

const versioned = (version: number, effectiveFrom?: string) => (text: string) =>
  text.replace('id: test-qual\n', `id: test-qual\nversion: ${version}\n${effectiveFrom ? `effectiveFrom: "${effectiveFrom}"\n` : ''}`);

describe.each(databaseKinds)('definition versions on %s', (kind) => {
  let f: EngineFixture;
  beforeEach(async () => {
    await f?.drop();
    f = await createEngineFixture(kind);
  });
  afterAll(async () => f?.drop());

  it('keeps version 1 in force until version 2 takes effect, then pins new applications to version 2', async () => {
    const v1Hash = f.definitions.current('test-qual', 'registration')!.hash;
    // Version 2 adds a required field and takes effect nine days after the clock's start (2026-12-01 JST).
    const store = await changedStore((t) => versioned(2, '2026-12-10')(t.replace(examPassLine, examPassLine + licenseLine)));
    expect(await store.persist(f.deps.db, f.clock.now())).toEqual([]);
    const deps: EngineDeps = { ...f.deps, definitions: store };
    expect(store.versionsOf('test-qual').map((v) => [v.version, v.effectiveFrom])).toEqual([[1, null], [2, '2026-12-10']]);

    const before = await createApplication(deps, { qualificationId: 'test-qual', procedure: 'registration', actor: applicant('early'), data: person('early'), submit: true });
    expect(before).toMatchObject({ state: 'awaitingPayment', definition_hash: v1Hash });

    f.clock.advance(9 * DAY_MS);
    const refused = await createApplication(deps, { qualificationId: 'test-qual', procedure: 'registration', actor: applicant('late'), data: person('late'), submit: true }).catch((e: unknown) => e);
    expect((refused as ShikakuError).code).toBe('APPLICATION_EVENT_NOT_ALLOWED');
    expect(JSON.stringify((refused as ShikakuError).details.reasons)).toContain('licenseNumber');
    const after = await createApplication(deps, { qualificationId: 'test-qual', procedure: 'registration', actor: applicant('late'), data: { ...person('late'), licenseNumber: 'L-1' }, submit: true });
    expect(after.definition_hash).toBe(store.current('test-qual', 'registration')!.hash);
    expect(after.definition_hash).not.toBe(v1Hash);

    // The version-1 application still finishes under version 1, without the new field.
    const paid = await sendEvent(deps, { applicationId: before.id, type: 'confirmPayment', actor: paymentProvider, expectedVersion: before.version });
    const approved = await sendEvent(deps, { applicationId: before.id, type: 'approve', actor: reviewer(), expectedVersion: paid.version });
    expect(approved).toMatchObject({ state: 'registered', definition_hash: v1Hash });
  });

  it('lets an application in a state that version 2 removed finish under version 1', async () => {
    const created = await createApplication(f.deps, { qualificationId: 'test-qual', procedure: 'registration', actor: applicant('koseki'), data: person('koseki'), submit: true });
    const paid = await sendEvent(f.deps, { applicationId: created.id, type: 'confirmPayment', actor: paymentProvider, expectedVersion: created.version });
    const sentBack = await sendEvent(f.deps, { applicationId: created.id, type: 'requestKoseki', actor: reviewer(), expectedVersion: paid.version });
    expect(sentBack.state).toBe('kosekiRequired');

    const store = await changedStore((t) => versioned(2)(t.replace('    template: registration\n', '    template: registration-v2\n').replace(examPassLine, examPassLine + licenseLine)), true);
    expect(await store.persist(f.deps.db, f.clock.now())).toEqual([]);
    expect(Object.keys(store.current('test-qual', 'registration')!.spec.procedure.states)).not.toContain('kosekiRequired');
    const deps: EngineDeps = { ...f.deps, definitions: store };

    const withKoseki = { ...person('koseki'), attachments: { kosekiCertificate: 'doc-1' } };
    const edited = await editApplication(deps, sentBack, { actor: applicant('koseki'), expectedVersion: sentBack.version, patch: withKoseki });
    const resubmitted = await sendEvent(deps, { applicationId: created.id, type: 'resubmit', actor: applicant('koseki'), expectedVersion: edited.version });
    const approved = await sendEvent(deps, { applicationId: created.id, type: 'approve', actor: reviewer(), expectedVersion: resubmitted.version });
    expect(approved).toMatchObject({ state: 'registered', definition_hash: created.definition_hash });
  });

  it('refuses a file that reuses a stored version number with other content, and keeps the stored version in force', async () => {
    const v1Hash = f.definitions.current('test-qual', 'registration')!.hash;
    const store = await changedStore((t) => t.replace(examPassLine, examPassLine + licenseLine));
    const problems = await store.persist(f.deps.db, f.clock.now());
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ code: 'DEFINITION_VERSION_REUSED', path: 'version' });
    expect(problems[0]!.file).toMatch(/test-qual\.yaml$/);
    expect(problems[0]!.hint).toContain('raise version to 2');
    // The refused file is not served; the version stored before stays in force with its own rules.
    expect(store.qualifications.has('test-qual')).toBe(false);
    const inForce = store.inForce('test-qual', '2026-12-01');
    expect(inForce?.version).toBe(1);
    expect(inForce?.loaded.procedures.get('registration')?.hash).toBe(v1Hash);
    expect(store.qualifications.has('other-qual')).toBe(true);
  });

  it('says when a qualification whose only version starts later opens', async () => {
    const database = await createTestDatabase(kind);
    try {
      const store = await changedStore(versioned(1, '2027-04-01'));
      expect(await store.persist(database.db, f.clock.now())).toEqual([]);
      const refused = await createApplication({ db: database.db, definitions: store, clock: f.clock }, { qualificationId: 'test-qual', procedure: 'registration', actor: applicant('x'), data: person('x') }).catch((e: unknown) => e);
      expect(refused).toMatchObject({ code: 'PROCEDURE_NOT_AVAILABLE', details: { opensOn: '2027-04-01' } });
      expect((refused as ShikakuError).message).toContain('2027-04-01');
    } finally {
      await database.drop();
    }
  });

  it('migrates in-flight applications only with a mapping for every removed state, writing one history event each', async () => {
    const inReview = await createApplication(f.deps, { qualificationId: 'test-qual', procedure: 'registration', actor: applicant('m1'), data: person('m1'), submit: true });
    const reviewed = await sendEvent(f.deps, { applicationId: inReview.id, type: 'confirmPayment', actor: paymentProvider, expectedVersion: inReview.version });
    const other = await createApplication(f.deps, { qualificationId: 'test-qual', procedure: 'registration', actor: applicant('m2'), data: person('m2'), submit: true });
    const paid = await sendEvent(f.deps, { applicationId: other.id, type: 'confirmPayment', actor: paymentProvider, expectedVersion: other.version });
    const sentBack = await sendEvent(f.deps, { applicationId: other.id, type: 'requestKoseki', actor: reviewer(), expectedVersion: paid.version });
    const store = await changedStore((t) => versioned(2)(t.replace('    template: registration\n', '    template: registration-v2\n')), true);
    expect(await store.persist(f.deps.db, f.clock.now())).toEqual([]);
    const deps: EngineDeps = { ...f.deps, definitions: store };
    const admin = { id: 'ops', role: 'admin' as const };
    const events = async (id: string) => f.deps.db.selectFrom('application_events').select(['seq', 'type', 'from_state', 'to_state']).where('application_id', '=', id).orderBy('seq').execute();

    // kosekiRequired is gone in version 2 and unmapped: nothing moves, the refusal names the state.
    const unmapped = await migrateApplications(deps, { qualificationId: 'test-qual', from: 1, to: 2, stateMap: {}, dryRun: false, actor: admin });
    expect(unmapped.refused).toEqual([expect.objectContaining({ applicationId: other.id, state: 'kosekiRequired' })]);
    expect(unmapped.refused[0]!.reason).toContain('--map kosekiRequired=');
    expect((await events(other.id)).at(-1)!.type).toBe('requestKoseki');
    expect((await events(inReview.id)).at(-1)!.type).toBe('confirmPayment');

    const dry = await migrateApplications(deps, { qualificationId: 'test-qual', from: 1, to: 2, stateMap: { kosekiRequired: 'correctionRequested' }, dryRun: true, actor: admin });
    expect(dry).toMatchObject({ dryRun: true, refused: [] });
    expect(dry.moved.map((m) => [m.applicationId, m.fromState, m.toState]).sort()).toEqual(
      [[inReview.id, 'underReview', 'underReview'], [other.id, 'kosekiRequired', 'correctionRequested']].sort(),
    );
    expect(await f.deps.db.selectFrom('applications').select('definition_hash').where('id', '=', other.id).executeTakeFirstOrThrow()).toEqual({ definition_hash: other.definition_hash });

    await expect(migrateApplications(deps, { qualificationId: 'test-qual', from: 1, to: 2, stateMap: { kosekiRequired: 'nowhere' }, dryRun: true, actor: admin })).rejects.toMatchObject({ code: 'REQUEST_INVALID' });

    const done = await migrateApplications(deps, { qualificationId: 'test-qual', from: 1, to: 2, stateMap: { kosekiRequired: 'correctionRequested' }, dryRun: false, actor: admin });
    expect(done.moved).toHaveLength(2);
    const v2Hash = store.current('test-qual', 'registration')!.hash;
    const moved = await f.deps.db.selectFrom('applications').select(['id', 'definition_hash', 'state', 'version']).where('id', 'in', [inReview.id, other.id]).orderBy('id').execute();
    expect(moved.every((r) => r.definition_hash === v2Hash)).toBe(true);
    expect(moved.find((r) => r.id === other.id)).toMatchObject({ state: 'correctionRequested', version: sentBack.version + 1 });
    expect((await events(other.id)).at(-1)).toEqual({ seq: sentBack.version + 1, type: 'definitionMigrated', from_state: 'kosekiRequired', to_state: 'correctionRequested' });
    expect((await events(inReview.id)).at(-1)).toMatchObject({ type: 'definitionMigrated', from_state: 'underReview', to_state: 'underReview' });
    // The new state's deadline timer is armed; the moved application goes on under version 2.
    const timers = await f.deps.db.selectFrom('timers').select(['state', 'event']).where('application_id', '=', other.id).execute();
    expect(timers).toEqual([{ state: 'correctionRequested', event: 'correctionDeadlinePassed' }]);
    const approved = await sendEvent(deps, { applicationId: inReview.id, type: 'approve', actor: reviewer(), expectedVersion: reviewed.version + 1 });
    expect(approved).toMatchObject({ state: 'registered', definition_hash: v2Hash });

    // A second run finds nothing left on version 1.
    expect((await migrateApplications(deps, { qualificationId: 'test-qual', from: 1, to: 2, stateMap: {}, dryRun: true, actor: admin })).moved).toEqual([]);
  });
});

describe('diffDefinitions', () => {
  it('reports additions, removals and changes by path, matching list items by key', () => {
    const before = { name: { ja: 'a' }, fields: [{ key: 'x', type: 'string' }, { key: 'y', type: 'date' }], fees: [{ kind: 'f', amount: 1 }] };
    const after = { name: { ja: 'b' }, fields: [{ key: 'n', type: 'string' }, { key: 'x', type: 'string' }], fees: [{ kind: 'f', amount: 2 }], renewal: { every: 'P5Y' } };
    expect(diffDefinitions(before, after)).toEqual([
      { kind: 'changed', path: 'fees[0].amount', before: 1, after: 2 },
      { kind: 'removed', path: 'fields[1]', before: { key: 'y', type: 'date' } },
      { kind: 'added', path: 'fields[0]', after: { key: 'n', type: 'string' } },
      { kind: 'changed', path: 'name.ja', before: 'a', after: 'b' },
      { kind: 'added', path: 'renewal', after: { every: 'P5Y' } },
    ]);
    expect(diffDefinitions(before, structuredClone(before))).toEqual([]);
  });
});
