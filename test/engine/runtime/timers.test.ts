import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultOutboxHandlers, fireDueTimers, processOutbox, sendEvent, type EngineDeps } from '../../../engine/index.ts';
import { databaseKinds } from '../../support/test-database.ts';
import { applicant, correctionRequested, createEngineFixture, DAY_MS, reviewer, underReview, type EngineFixture } from './engine-fixture.ts';

/** Runs `fireDueTimers` in small batches until a round claims nothing; returns how many it fired. */
async function drainTimers(deps: EngineDeps): Promise<number> {
  let fired = 0;
  for (;;) {
    const round = await fireDueTimers(deps, 5);
    fired += round.fired;
    if (round.fired + round.stale + round.retried === 0) return fired;
  }
}

/** Runs `processOutbox` in small batches until a round does nothing; returns how many jobs it finished. */
async function drainOutbox(deps: EngineDeps): Promise<number> {
  let done = 0;
  for (;;) {
    const round = await processOutbox(deps, defaultOutboxHandlers, 3);
    done += round.done;
    if (round.done + round.failed === 0) return done;
  }
}

describe.each(databaseKinds)('correction deadline timers and the outbox on %s', (kind) => {
  let f: EngineFixture;
  beforeAll(async () => {
    f = await createEngineFixture(kind);
  });
  afterAll(async () => f?.drop());

  const timersOf = (id: string) => f.deps.db.selectFrom('timers').selectAll().where('application_id', '=', id).execute();
  const eventsOf = (id: string) => f.deps.db.selectFrom('application_events').selectAll().where('application_id', '=', id).orderBy('seq').execute();

  it('arms a 30-day timer on correctionRequested, fires nothing before the deadline and withdraws the application once after it', async () => {
    const requestedAt = f.clock.now();
    const row = await correctionRequested(f.deps, 'late-person');
    expect(row.state).toBe('correctionRequested');

    const timers = await timersOf(row.id);
    expect(timers).toHaveLength(1);
    expect(timers[0]).toMatchObject({ state: 'correctionRequested', event: 'correctionDeadlinePassed', locked_until: null });
    expect(new Date(timers[0]!.due_at).getTime()).toBe(requestedAt.getTime() + 30 * DAY_MS);

    expect(await fireDueTimers(f.deps)).toEqual({ fired: 0, stale: 0, retried: 0 });
    f.clock.advance(30 * DAY_MS - 1000);
    expect(await fireDueTimers(f.deps)).toEqual({ fired: 0, stale: 0, retried: 0 });
    expect((await f.deps.db.selectFrom('applications').select('state').where('id', '=', row.id).executeTakeFirstOrThrow()).state).toBe('correctionRequested');

    f.clock.advance(2000);
    expect(await fireDueTimers(f.deps)).toEqual({ fired: 1, stale: 0, retried: 0 });
    expect(await fireDueTimers(f.deps)).toEqual({ fired: 0, stale: 0, retried: 0 });
    f.clock.advance(DAY_MS);
    expect(await fireDueTimers(f.deps)).toEqual({ fired: 0, stale: 0, retried: 0 });

    const stored = await f.deps.db.selectFrom('applications').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ state: 'withdrawn', version: 5 });
    const deadline = (await eventsOf(row.id)).filter((e) => e.type === 'correctionDeadlinePassed');
    expect(deadline).toHaveLength(1);
    expect(deadline[0]).toMatchObject({ seq: 5, actor_id: 'system:timer', actor_role: 'system', from_state: 'correctionRequested', to_state: 'withdrawn' });
    expect(await timersOf(row.id)).toEqual([]);

    const outbox = await f.deps.db.selectFrom('outbox').select(['kind', 'payload']).where('application_id', '=', row.id).orderBy('id').execute();
    expect(outbox.at(-1)).toEqual({
      kind: 'notification',
      payload: { template: 'deadline-withdrawn', recipientId: 'late-person', applicationId: row.id, event: 'correctionDeadlinePassed' },
    });
    expect(outbox.filter((o) => o.payload.template === 'deadline-withdrawn')).toHaveLength(1);
  });

  it('cancels the timer when the applicant resubmits before the deadline', async () => {
    const row = await correctionRequested(f.deps, 'prompt-person');
    expect(await timersOf(row.id)).toHaveLength(1);
    f.clock.advance(10 * DAY_MS);
    const resubmitted = await sendEvent(f.deps, { applicationId: row.id, type: 'resubmit', actor: applicant('prompt-person'), expectedVersion: row.version });
    expect(resubmitted.state).toBe('underReview');
    expect(await timersOf(row.id)).toEqual([]);

    f.clock.advance(40 * DAY_MS);
    expect(await fireDueTimers(f.deps)).toEqual({ fired: 0, stale: 0, retried: 0 });
    const stored = await f.deps.db.selectFrom('applications').select(['state', 'version']).where('id', '=', row.id).executeTakeFirstOrThrow();
    expect(stored).toEqual({ state: 'underReview', version: 5 });
    expect((await eventsOf(row.id)).map((e) => e.type)).toEqual(['created', 'submit', 'confirmPayment', 'requestCorrection', 'resubmit']);
  });

  it('re-arms a fresh 30-day timer when a correction is requested again', async () => {
    const row = await correctionRequested(f.deps, 'twice-corrected');
    f.clock.advance(20 * DAY_MS);
    const back = await sendEvent(f.deps, { applicationId: row.id, type: 'resubmit', actor: applicant('twice-corrected'), expectedVersion: row.version });
    const again = await sendEvent(f.deps, { applicationId: row.id, type: 'requestCorrection', actor: reviewer(), expectedVersion: back.version, comment: 'もう一度' });
    const timers = await timersOf(row.id);
    expect(timers).toHaveLength(1);
    expect(new Date(timers[0]!.due_at).getTime()).toBe(f.clock.now().getTime() + 30 * DAY_MS);

    // The first request's deadline passes: nothing fires, because that timer is gone.
    f.clock.advance(15 * DAY_MS);
    expect((await fireDueTimers(f.deps)).fired).toBe(0);
    f.clock.advance(16 * DAY_MS);
    expect((await fireDueTimers(f.deps)).fired).toBe(1);
    const stored = await f.deps.db.selectFrom('applications').select(['state', 'version']).where('id', '=', row.id).executeTakeFirstOrThrow();
    expect(stored).toEqual({ state: 'withdrawn', version: again.version + 1 });
  });

  it('drops a timer whose application already left the timer state, without any event', async () => {
    const row = await underReview(f.deps, 'stale-timer');
    // A leftover row, e.g. from a crash between releases: the application is not in correctionRequested.
    await f.deps.db
      .insertInto('timers')
      .values({ id: randomUUID(), application_id: row.id, state: 'correctionRequested', event: 'correctionDeadlinePassed', due_at: f.clock.now(), locked_until: null, created_at: f.clock.now() })
      .execute();
    expect(await fireDueTimers(f.deps)).toEqual({ fired: 0, stale: 1, retried: 0 });
    expect(await timersOf(row.id)).toEqual([]);
    const stored = await f.deps.db.selectFrom('applications').select(['state', 'version']).where('id', '=', row.id).executeTakeFirstOrThrow();
    expect(stored).toEqual({ state: 'underReview', version: 3 });
  });

  it('leaves a timer claimed by another worker alone until its lease lapses', async () => {
    const row = await correctionRequested(f.deps, 'leased');
    f.clock.advance(31 * DAY_MS);
    // Another worker claimed it a moment ago and then died.
    await f.deps.db.updateTable('timers').set({ locked_until: new Date(f.clock.now().getTime() + 30_000) }).where('application_id', '=', row.id).execute();
    expect((await fireDueTimers(f.deps)).fired).toBe(0);
    f.clock.advance(31_000);
    expect((await fireDueTimers(f.deps)).fired).toBe(1);
    expect((await f.deps.db.selectFrom('applications').select('state').where('id', '=', row.id).executeTakeFirstOrThrow()).state).toBe('withdrawn');
  });

  it('withdraws each of 30 due applications exactly once when two workers fire timers concurrently', async () => {
    const rows: { id: string }[] = [];
    for (let i = 0; i < 30; i++) rows.push(await correctionRequested(f.deps, `batch-${i}`));
    const ids = rows.map((r) => r.id);
    f.clock.advance(31 * DAY_MS);

    // Two workers that share nothing but the database (on PGlite both use its single session).
    const [one, two] = [await f.otherEngine(), await f.otherEngine()];
    const [firedByOne, firedByTwo] = await Promise.all([drainTimers(one), drainTimers(two)]);
    expect(firedByOne + firedByTwo).toBe(30);

    const events = await f.deps.db
      .selectFrom('application_events')
      .select(['application_id', 'actor_role'])
      .where('type', '=', 'correctionDeadlinePassed')
      .where('application_id', 'in', ids)
      .execute();
    expect(events).toHaveLength(30);
    expect(new Set(events.map((e) => e.application_id)).size).toBe(30);
    expect(events.every((e) => e.actor_role === 'system')).toBe(true);
    const states = await f.deps.db.selectFrom('applications').select('state').where('id', 'in', ids).execute();
    expect(states.every((s) => s.state === 'withdrawn')).toBe(true);
    expect(await f.deps.db.selectFrom('timers').select('id').where('application_id', 'in', ids).execute()).toEqual([]);
    const notices = await f.deps.db.selectFrom('outbox').select('payload').where('application_id', 'in', ids).where('kind', '=', 'notification').execute();
    expect(notices.filter((n) => n.payload.template === 'deadline-withdrawn')).toHaveLength(30);
  });

  it('delivers every notification exactly once when two outbox processors run concurrently, and leaves certificate jobs pending', async () => {
    const row = await underReview(f.deps, 'certified');
    await sendEvent(f.deps, { applicationId: row.id, type: 'approve', actor: reviewer(), expectedVersion: row.version });

    const [one, two] = [await f.otherEngine(), await f.otherEngine()];
    const [doneByOne, doneByTwo] = await Promise.all([drainOutbox(one), drainOutbox(two)]);

    const jobs = await f.deps.db.selectFrom('outbox').selectAll().orderBy('id').execute();
    const notificationJobs = jobs.filter((j) => j.kind === 'notification');
    const certificateJobs = jobs.filter((j) => j.kind === 'certificate.issue');
    expect(certificateJobs.length).toBeGreaterThanOrEqual(1);
    expect(doneByOne + doneByTwo).toBe(notificationJobs.length);

    const delivered = await f.deps.db.selectFrom('notifications').selectAll().orderBy('id').execute();
    expect(delivered).toHaveLength(notificationJobs.length);
    expect(new Set(delivered.map((n) => Number(n.outbox_id))).size).toBe(delivered.length);
    const byOutbox = new Map(delivered.map((n) => [Number(n.outbox_id), n]));
    for (const job of notificationJobs) {
      expect(job.done_at).not.toBeNull();
      expect(job.attempts).toBe(1);
      expect(byOutbox.get(Number(job.id))).toMatchObject({ recipient_id: job.payload.recipientId, template: job.payload.template, application_id: job.application_id, read_at: null });
    }
    expect(delivered.filter((n) => n.application_id === row.id).map((n) => n.template).sort()).toEqual(['approved', 'payment-requested', 'received']);

    // No handler knows certificate.issue yet: untouched, waiting for the worker that will.
    for (const job of certificateJobs) expect(job).toMatchObject({ done_at: null, attempts: 0, locked_until: null, last_error: null });
    expect(certificateJobs.map((j) => j.payload)).toContainEqual({ applicationId: row.id, qualificationId: 'test-qual', procedure: 'registration' });

    expect(await processOutbox(f.deps, defaultOutboxHandlers)).toEqual({ done: 0, failed: 0 });
    expect(await f.deps.db.selectFrom('notifications').select('id').execute()).toHaveLength(delivered.length);
  });

  it('delivers the notices of one batch in the order they were queued', async () => {
    const ids: string[] = [];
    for (const who of ['fifo-1', 'fifo-2']) {
      const row = await underReview(f.deps, who);
      await sendEvent(f.deps, { applicationId: row.id, type: 'approve', actor: reviewer(), expectedVersion: row.version });
      ids.push(row.id);
    }
    expect(await processOutbox(f.deps, defaultOutboxHandlers)).toEqual({ done: 6, failed: 0 });
    const delivered = await f.deps.db.selectFrom('notifications').select(['outbox_id', 'template']).where('application_id', 'in', ids).orderBy('id').execute();
    const queued = delivered.map((n) => Number(n.outbox_id));
    expect(queued).toEqual([...queued].sort((a, b) => a - b));
  });
});
