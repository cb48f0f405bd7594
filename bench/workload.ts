// The benchmark workload: a register-free event cycle on `other-qual` registration applications,
// driven once through the engine API and once as the raw statements the engine issues.
import { createHash, randomUUID } from 'node:crypto';
import {
  applyToRow,
  canReachApplication,
  createApplication,
  findApplicationRow,
  transitionStatement,
  withConnection,
  type Actor,
  type EngineDeps,
} from '../engine/index.ts';

export const QUALIFICATION = 'other-qual';
export const PROCEDURE = 'registration';
export const REVIEWER: Actor = { id: 'bench-reviewer', role: 'reviewer', registrar: 'other-body' };
const COMMENT = 'bench: please correct the kana of the given name';
const DAY_MS = 86_400_000;

const applicationData = {
  familyName: '山田',
  givenName: '太郎',
  familyNameKana: 'ヤマダ',
  givenNameKana: 'タロウ',
  birthDate: '1990-04-01',
  honseki: '東京都',
  email: 'taro@example.jp',
};

/**
 * One step of the cycle, keyed by the state the application is in. It never touches the register and
 * repeats forever: draft → underReview ⇄ correctionRequested. `outbox`/`timers` are what the engine
 * writes for that transition (registration.yaml), so the baseline can write the same rows.
 */
export interface Step {
  readonly type: string;
  readonly by: 'applicant' | 'reviewer';
  readonly toState: string;
  readonly comment?: string;
  readonly notify?: string;
  readonly timer?: { readonly event: string; readonly afterDays: number };
}

const STEPS: Readonly<Record<string, Step>> = {
  draft: { type: 'submit', by: 'applicant', toState: 'underReview', notify: 'received' },
  underReview: { type: 'requestCorrection', by: 'reviewer', toState: 'correctionRequested', comment: COMMENT, notify: 'deficiency', timer: { event: 'correctionDeadlinePassed', afterDays: 30 } },
  correctionRequested: { type: 'resubmit', by: 'applicant', toState: 'underReview' },
};

export function stepFor(state: string): Step {
  const step = STEPS[state];
  if (!step) throw new Error(`bench: application in unexpected state \`${state}\``);
  return step;
}

export const actorFor = (step: Step, applicantId: string): Actor => (step.by === 'reviewer' ? REVIEWER : { id: applicantId, role: 'applicant' });

/** Creates `count` draft applications through the engine, each with its own applicant, `parallel` at a time. */
export async function createApplications(deps: EngineDeps, count: number, parallel = 4): Promise<string[]> {
  const ids: string[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        const i = next++;
        const row = await createApplication(deps, {
          qualificationId: QUALIFICATION,
          procedure: PROCEDURE,
          actor: { id: `bench-applicant-${i}`, role: 'applicant' },
          data: applicationData,
        });
        ids[i] = row.id;
      }
    }),
  );
  return ids;
}

/** One transition through the engine API, exactly like POST /v1/applications/:id/events: read, then applyToRow, on one connection. */
export async function engineTransition(outer: EngineDeps, applicationId: string): Promise<void> {
  await withConnection(outer, async (deps) => {
    const row = await findApplicationRow(deps, applicationId);
    if (!row) throw new Error(`bench: application ${applicationId} vanished`);
    const step = stepFor(row.state);
    const actor = actorFor(step, row.applicant_id);
    if (!canReachApplication(actor, row)) throw new Error('bench: actor cannot see the application');
    await applyToRow(deps, row, { applicationId: row.id, type: step.type, actor, expectedVersion: row.version, comment: step.comment });
  });
}

// ---- baseline: the same statements without the engine ------------------------------------------

/** What kysely compiles `findApplicationRow` to. */
export const SELECT_APPLICATION_SQL = 'select * from "applications" where "id" = $1';

/** A raw query function: `pg.Pool#query` or `PGlite#query`. */
export type RawQuery = (text: string, params: unknown[]) => Promise<{ rows: Record<string, unknown>[] }>;

/**
 * The same transition as raw statements: the SELECT by id, then the single CTE with the engine's
 * parameters — same snapshot JSON, same sha256 event hash (canonical key order written out by hand),
 * same history/timer/outbox rows. What is left out is the engine: kysely, definition lookup, the
 * facts query, guard evaluation and the XState transition.
 */
export async function baselineTransition(query: RawQuery, applicationId: string): Promise<void> {
  const { rows } = await query(SELECT_APPLICATION_SQL, [applicationId]);
  const row = rows[0] as { id: string; state: string; applicant_id: string; version: number; last_event_hash: string } | undefined;
  if (!row) throw new Error(`bench: application ${applicationId} vanished`);
  const step = stepFor(row.state);
  const actor = actorFor(step, row.applicant_id);
  const now = new Date();
  const nowIso = now.toISOString();
  const payload = step.comment ? { comment: step.comment } : {};
  const seq = row.version + 1;
  const prevHash = row.last_event_hash;
  // Keys in canonical (sorted) order, so this is the string hashEvent hashes.
  const canonical = JSON.stringify({
    actorId: actor.id, actorRole: actor.role, applicationId: row.id, fromState: row.state, occurredAt: nowIso,
    payload, seq, toState: step.toState, type: step.type,
  });
  const hash = createHash('sha256').update(prevHash).update('\n').update(canonical).digest('hex');
  const shape = transitionShape(row.state);
  // The engine's own statement builder: the baseline sends exactly the engine's SQL, minus the engine.
  const statement = transitionStatement({
    applicationId: row.id,
    expectedVersion: row.version,
    toState: step.toState,
    snapshot: { value: step.toState, context: {} },
    registryEntryId: null,
    event: { seq, type: step.type, actorId: actor.id, actorRole: actor.role, fromState: row.state, payload, prevHash, hash },
    leavesState: shape.leavesState,
    timers: shape.timers ? [{ id: randomUUID(), state: step.toState, event: step.timer!.event, dueAt: new Date(now.getTime() + step.timer!.afterDays * DAY_MS) }] : [],
    outbox: shape.outbox ? [{ kind: 'notification', payload: { template: step.notify, recipientId: row.applicant_id, applicationId: row.id, event: step.type } }] : [],
    now,
  });
  const result = await query(statement.sql, statement.parameters as unknown[]);
  if (Number(result.rows[0]?.n ?? 0) !== 1) throw new Error(`bench: version conflict on ${row.id} (callers must not share rows)`);
}

/** The write shape (for transitionSql) of the step taken from `state`. */
export function transitionShape(state: string): { leavesState: boolean; timers: number; outbox: number } {
  const step = stepFor(state);
  const leavesState = step.toState !== state;
  return { leavesState, timers: leavesState && step.timer ? 1 : 0, outbox: step.notify ? 1 : 0 };
}
