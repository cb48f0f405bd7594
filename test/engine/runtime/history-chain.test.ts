import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createApplication,
  DefinitionStore,
  editApplication,
  GENESIS_HASH,
  hashEvent,
  loadDefinitions,
  sendEvent,
  ShikakuError,
  type EngineDeps,
} from '../../../engine/index.ts';
import { databaseKinds } from '../../support/test-database.ts';
import { applicant, createEngineFixture, paymentProvider, person, reviewer, underReview, type EngineFixture } from './engine-fixture.ts';

const root = join(import.meta.dirname, '../../..');

interface StoredEvent {
  application_id: string;
  seq: number;
  type: string;
  actor_id: string;
  actor_role: string;
  from_state: string | null;
  to_state: string;
  payload: Record<string, unknown>;
  occurred_at: Date;
  prev_hash: string;
  hash: string;
}

/** The hash a stored row should carry, recomputed from its own columns. */
const recompute = (e: StoredEvent) =>
  hashEvent(e.prev_hash, {
    applicationId: e.application_id,
    seq: e.seq,
    type: e.type,
    actorId: e.actor_id,
    actorRole: e.actor_role,
    fromState: e.from_state,
    toState: e.to_state,
    payload: e.payload,
    occurredAt: new Date(e.occurred_at),
  });

/** The seq of the first row whose link or content does not check out, or undefined for an intact chain. */
function firstBroken(events: readonly StoredEvent[]): number | undefined {
  let prev = GENESIS_HASH;
  for (const e of events) {
    if (e.prev_hash !== prev || recompute(e) !== e.hash) return e.seq;
    prev = e.hash;
  }
  return undefined;
}

describe.each(databaseKinds)('history hash chain and pinned definitions on %s', (kind) => {
  let f: EngineFixture;
  const tempDirs: string[] = [];
  beforeAll(async () => {
    f = await createEngineFixture(kind);
  });
  afterAll(async () => {
    await f?.drop();
    await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  const eventsOf = async (id: string) =>
    (await f.deps.db.selectFrom('application_events').selectAll().where('application_id', '=', id).orderBy('seq').execute()) as StoredEvent[];

  it('chains every event to the previous one from GENESIS_HASH, and each stored row reproduces its hash', async () => {
    const created = await createApplication(f.deps, { qualificationId: 'test-qual', procedure: 'registration', actor: applicant('chain-person'), data: person('chain') });
    let row = created;
    const step = async (type: string, actor: Parameters<typeof sendEvent>[1]['actor'], extra: { comment?: string; notes?: { path: string; message: string }[] } = {}) => {
      f.clock.advance(3_600_123);
      row = await sendEvent(f.deps, { applicationId: row.id, type, actor, expectedVersion: row.version, ...extra });
    };
    await step('submit', applicant('chain-person'));
    await step('confirmPayment', paymentProvider);
    await step('requestCorrection', reviewer(), { comment: '合格証書番号を確認してください', notes: [{ path: '/examPassNumber', message: '番号が一致しません' }] });
    f.clock.advance(60_000);
    row = await editApplication(f.deps, row, { actor: applicant('chain-person'), expectedVersion: row.version, patch: { examPassNumber: 'A-2' } });
    await step('resubmit', applicant('chain-person'));
    await step('approve', reviewer());
    expect(row.state).toBe('registered');

    const events = await eventsOf(row.id);
    expect(events.map((e) => e.type)).toEqual(['created', 'submit', 'confirmPayment', 'requestCorrection', 'edited', 'resubmit', 'approve']);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(events[0]!.prev_hash).toBe(GENESIS_HASH);
    expect(events[0]!.from_state).toBeNull();
    for (let i = 1; i < events.length; i++) {
      expect(events[i]!.prev_hash).toBe(events[i - 1]!.hash);
      expect(events[i]!.from_state).toBe(events[i - 1]!.to_state);
    }
    // Rows written by createApplication (`created`) and by sendEvent (the rest) hash the same documented
    // fields; sendEvent once also hashed a stray `prevHash` key, which an auditor could not reproduce.
    for (const e of events) {
      expect(e.hash).toMatch(/^[0-9a-f]{64}$/);
      expect({ seq: e.seq, hash: recompute(e) }).toEqual({ seq: e.seq, hash: e.hash });
    }
    expect(new Set(events.map((e) => e.hash)).size).toBe(events.length);
    expect(firstBroken(events)).toBeUndefined();
    expect(events[3]!.payload).toEqual({ comment: '合格証書番号を確認してください', notes: [{ path: '/examPassNumber', message: '番号が一致しません' }] });
    expect(events[6]!.payload).toMatchObject({ effects: { registrationNumber: 1 } });

    const stored = await f.deps.db.selectFrom('applications').select(['last_event_hash', 'version']).where('id', '=', row.id).executeTakeFirstOrThrow();
    expect(stored).toEqual({ last_event_hash: events.at(-1)!.hash, version: 7 });
    expect(row.last_event_hash).toBe(events.at(-1)!.hash);
  });

  it('detects a stored payload that was altered afterwards', async () => {
    const row = await underReview(f.deps, 'tampered-person');
    const corrected = await sendEvent(f.deps, { applicationId: row.id, type: 'requestCorrection', actor: reviewer(), expectedVersion: row.version, comment: '原文' });
    await sendEvent(f.deps, { applicationId: row.id, type: 'resubmit', actor: applicant('tampered-person'), expectedVersion: corrected.version });
    const before = await eventsOf(row.id);
    expect(firstBroken(before)).toBeUndefined();

    await sql`UPDATE application_events SET payload = ${JSON.stringify({ comment: '改ざん' })}::jsonb WHERE application_id = ${row.id}::uuid AND seq = 4`.execute(f.deps.db);
    const after = await eventsOf(row.id);
    expect(after[3]!.payload).toEqual({ comment: '改ざん' });
    expect(after[3]!.hash).toBe(before[3]!.hash);
    expect(recompute(after[3]!)).not.toBe(after[3]!.hash);
    expect(firstBroken(after)).toBe(4);
    // Rows before the edit still verify.
    for (const e of after.slice(0, 3)) expect(recompute(e)).toBe(e.hash);
  });

  it('keeps an application on its pinned definition after the definitions change, while new applications use the new one', async () => {
    // The old definitions are in force: an applicant starts a registration (draft) without the future field.
    const oldProcedure = f.definitions.current('test-qual', 'registration')!;
    const old = await createApplication(f.deps, { qualificationId: 'test-qual', procedure: 'registration', actor: applicant('pinned-person'), data: person('pinned') });
    expect(old.definition_hash).toBe(oldProcedure.hash);

    // A new release adds a required field to test-qual's registration.
    const dir = await mkdtemp(join(tmpdir(), 'shikaku-changed-defs-'));
    tempDirs.push(dir);
    await cp(join(root, 'definitions/procedures'), join(dir, 'procedures'), { recursive: true });
    await cp(join(root, 'test/fixtures/engine/qualifications'), join(dir, 'qualifications'), { recursive: true });
    const file = join(dir, 'qualifications/test-qual.yaml');
    const text = await readFile(file, 'utf8');
    const anchor = '      - { key: examPassNumber, type: string, required: true, maxLength: 20, label: { ja: 合格証書番号, en: Exam pass number } }\n';
    expect(text.split(anchor)).toHaveLength(2);
    // Changed rules are a new version: the stored version 1 keeps its content.
    const changed = text.replace(anchor, `${anchor}      - { key: licenseNumber, type: string, required: true, maxLength: 20, label: { ja: 免許番号, en: Licence number } }\n`);
    await writeFile(file, changed.replace('id: test-qual\n', 'id: test-qual\nversion: 2\n'));
    const loaded = await loadDefinitions(dir);
    expect(loaded.problems).toEqual([]);
    const definitions = new DefinitionStore(loaded.qualifications);
    expect(await definitions.persist(f.deps.db, f.clock.now())).toEqual([]);
    const deps: EngineDeps = { db: f.deps.db, definitions, clock: f.clock };

    const newProcedure = definitions.current('test-qual', 'registration')!;
    expect(newProcedure.hash).not.toBe(oldProcedure.hash);
    expect(newProcedure.spec.procedure.fields.map((x) => x.key)).toContain('licenseNumber');
    // Unchanged procedures keep their hash.
    expect(definitions.current('test-qual', 'link')!.hash).toBe(f.definitions.current('test-qual', 'link')!.hash);
    const stored = await f.deps.db.selectFrom('definitions').select('hash').where('qualification_id', '=', 'test-qual').where('procedure', '=', 'registration').execute();
    expect(stored.map((d) => d.hash).sort()).toEqual([oldProcedure.hash, newProcedure.hash].sort());

    // The new store never compiled the old spec: it comes back from the definitions table under its own hash.
    const pinned = await definitions.pinned(f.deps.db, oldProcedure.hash);
    expect(pinned.hash).toBe(oldProcedure.hash);
    expect(pinned.spec.procedure.fields.map((x) => x.key)).not.toContain('licenseNumber');

    // The old application follows its pinned spec all the way to registration.
    const submitted = await sendEvent(deps, { applicationId: old.id, type: 'submit', actor: applicant('pinned-person'), expectedVersion: old.version });
    expect(submitted.state).toBe('awaitingPayment');
    const paid = await sendEvent(deps, { applicationId: old.id, type: 'confirmPayment', actor: paymentProvider, expectedVersion: submitted.version });
    const approved = await sendEvent(deps, { applicationId: old.id, type: 'approve', actor: reviewer(), expectedVersion: paid.version });
    expect(approved).toMatchObject({ state: 'registered', definition_hash: oldProcedure.hash });

    // A new application is pinned to the new hash and needs the new field.
    const refused = await createApplication(deps, { qualificationId: 'test-qual', procedure: 'registration', actor: applicant('new-person'), data: person('new'), submit: true }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ShikakuError);
    expect((refused as ShikakuError).code).toBe('APPLICATION_EVENT_NOT_ALLOWED');
    expect(JSON.stringify((refused as ShikakuError).details.reasons)).toContain('licenseNumber');
    expect(await f.deps.db.selectFrom('applications').select('id').where('applicant_id', '=', 'new-person').execute()).toEqual([]);

    const fresh = await createApplication(deps, { qualificationId: 'test-qual', procedure: 'registration', actor: applicant('new-person'), data: { ...person('new'), licenseNumber: 'L-1' }, submit: true });
    expect(fresh).toMatchObject({ state: 'awaitingPayment', definition_hash: newProcedure.hash });

    // The old store (an engine not yet redeployed) still drives the new application by its pinned hash.
    const paidByOld = await sendEvent(f.deps, { applicationId: fresh.id, type: 'confirmPayment', actor: paymentProvider, expectedVersion: fresh.version });
    expect(paidByOld.state).toBe('underReview');
  });
});
