import { createApplication, createManualClock, sendEvent, type Actor, type ApplicationRow, type DatabaseKind, type DefinitionStore, type EngineDeps } from '../../../engine/index.ts';
import { fixtureDefinitions } from '../../support/fixture-definitions.ts';
import { createTestDatabase, type TestDatabase } from '../../support/test-database.ts';

/** Where every runtime test's manual clock starts (Japan date 2026-12-01). */
export const START = new Date('2026-12-01T01:00:00Z');
export const DAY_MS = 24 * 60 * 60 * 1000;

export type ManualClock = ReturnType<typeof createManualClock>;

export interface EngineFixture {
  readonly database: TestDatabase;
  readonly definitions: DefinitionStore;
  readonly clock: ManualClock;
  readonly deps: EngineDeps;
  /** Another engine sharing nothing with `deps` but the database (own pool and definition store on PostgreSQL). */
  otherEngine(): Promise<EngineDeps>;
  drop(): Promise<void>;
}

/** A fresh migrated database of `kind` with the fixture definitions persisted and a manual clock. */
export async function createEngineFixture(kind: DatabaseKind): Promise<EngineFixture> {
  const database = await createTestDatabase(kind);
  const definitions = await fixtureDefinitions();
  const clock = createManualClock(START);
  await definitions.persist(database.db, clock.now());
  return {
    database,
    definitions,
    clock,
    deps: { db: database.db, definitions, clock },
    otherEngine: async () => ({ db: database.connect(), definitions: await fixtureDefinitions(), clock }),
    drop: () => database.drop(),
  };
}

export const applicant = (id: string): Actor => ({ id, role: 'applicant' });
export const reviewer = (id = 'staff-1'): Actor => ({ id, role: 'reviewer', registrar: 'test-body' });
export const paymentProvider: Actor = { id: 'payment-provider', role: 'payment' };

/** Complete registration data for test-qual; `n` makes the person distinct. */
export function person(n: number | string): Record<string, unknown> {
  return {
    familyName: '山田', givenName: `花子${n}`, familyNameKana: 'ヤマダ', givenNameKana: 'ハナコ',
    birthDate: '1990-04-01', honseki: '東京都', examPassNumber: `A-${n}`,
  };
}

/** A test-qual registration of `applicantId`, created, submitted (→ awaitingPayment) and paid (→ underReview, version 3). */
export async function underReview(deps: EngineDeps, applicantId: string, data: Record<string, unknown> = person(applicantId)): Promise<ApplicationRow> {
  const submitted = await createApplication(deps, { qualificationId: 'test-qual', procedure: 'registration', actor: applicant(applicantId), data, submit: true });
  return sendEvent(deps, { applicationId: submitted.id, type: 'confirmPayment', actor: paymentProvider, expectedVersion: submitted.version });
}

/** An application in `correctionRequested` (version 4): the reviewer asked for a correction at the clock's now. */
export async function correctionRequested(deps: EngineDeps, applicantId: string): Promise<ApplicationRow> {
  const row = await underReview(deps, applicantId);
  return sendEvent(deps, { applicationId: row.id, type: 'requestCorrection', actor: reviewer(), expectedVersion: row.version, comment: '合格証書番号を確認してください' });
}
