import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendEvent, ShikakuError, type ApplicationRow, type EngineDeps } from '../../../engine/index.ts';
import { postgresAvailable } from '../../support/test-database.ts';
import { createEngineFixture, person, reviewer, underReview, type EngineFixture } from './engine-fixture.ts';

/** Engines that share nothing but the database: each has its own pool and definition store. */
const ENGINES = 5;

type Outcome = { ok: true; row: ApplicationRow; type: string } | { ok: false; error: unknown; type: string };

const settle = async (type: string, run: () => Promise<ApplicationRow>): Promise<Outcome> => {
  try {
    return { ok: true, row: await run(), type };
  } catch (error) {
    return { ok: false, error, type };
  }
};

const codeOf = (error: unknown) => (error instanceof ShikakuError ? error.code : `not a ShikakuError: ${String(error)}`);

// Real races need real sessions: PGlite has a single one, so these run on PostgreSQL only.
describe.skipIf(!postgresAvailable)('concurrent decisions on PostgreSQL', () => {
  let f: EngineFixture;
  let engines: EngineDeps[];
  beforeAll(async () => {
    f = await createEngineFixture('postgres');
    engines = await Promise.all(Array.from({ length: ENGINES }, () => f.otherEngine()));
  });
  afterAll(async () => f?.drop());

  const counter = async () =>
    (await f.deps.db.selectFrom('registry_counters').select('last_number').where('qualification_id', '=', 'test-qual').executeTakeFirst())?.last_number;

  it('lets exactly one of 50 racing approve/reject decisions win and refuses the rest with a conflict or not-allowed', async () => {
    const row = await underReview(f.deps, 'racer');
    expect(row.state).toBe('underReview');
    const version = row.version;

    const outcomes = await Promise.all(
      Array.from({ length: 50 }, (_, i) => {
        const deps = engines[i % ENGINES]!;
        const actor = reviewer(`staff-${i}`);
        return i % 2 === 0
          ? settle('approve', () => sendEvent(deps, { applicationId: row.id, type: 'approve', actor, expectedVersion: version }))
          : settle('reject', () => sendEvent(deps, { applicationId: row.id, type: 'reject', actor, expectedVersion: version, comment: `却下 ${i}` }));
      }),
    );

    const winners = outcomes.filter((o) => o.ok);
    expect(winners).toHaveLength(1);
    const losers = outcomes.filter((o): o is Extract<Outcome, { ok: false }> => !o.ok);
    expect(losers).toHaveLength(49);
    for (const loser of losers) expect(['APPLICATION_VERSION_CONFLICT', 'APPLICATION_EVENT_NOT_ALLOWED']).toContain(codeOf(loser.error));

    const winner = winners[0] as Extract<Outcome, { ok: true }>;
    const stored = await f.deps.db.selectFrom('applications').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
    expect(stored.version).toBe(version + 1);
    expect(stored.state).toBe(winner.row.state);
    expect(stored.state).toBe(winner.type === 'approve' ? 'registered' : 'rejected');

    const decisions = await f.deps.db
      .selectFrom('application_events')
      .select(['type', 'seq', 'actor_role'])
      .where('application_id', '=', row.id)
      .where('type', 'in', ['approve', 'reject'])
      .execute();
    expect(decisions).toEqual([{ type: winner.type, seq: version + 1, actor_role: 'reviewer' }]);

    const entries = await f.deps.db.selectFrom('registry_entries').select(['registration_number', 'source_application_id']).where('qualification_id', '=', 'test-qual').execute();
    if (winner.type === 'approve') {
      expect(entries).toEqual([{ registration_number: 1, source_application_id: row.id }]);
      expect(await counter()).toBe(1);
    } else {
      expect(entries).toEqual([]);
      // Losing approvals stop at the row lock, before the counter: no number was ever taken.
      expect(await counter()).toBeUndefined();
    }
  });

  it('gives 20 concurrent approvals of different applicants the numbers after the last one without gaps or duplicates', async () => {
    const before = (await counter()) ?? 0;
    const rows = await Promise.all(Array.from({ length: 20 }, (_, i) => underReview(f.deps, `batch-${i}`)));

    const approved = await Promise.all(
      rows.map((row, i) => sendEvent(engines[i % ENGINES]!, { applicationId: row.id, type: 'approve', actor: reviewer(), expectedVersion: row.version })),
    );
    expect(approved.map((r) => r.state)).toEqual(Array(20).fill('registered'));

    const entries = await f.deps.db
      .selectFrom('registry_entries')
      .select(['registration_number', 'source_application_id', 'holder_id'])
      .where('source_application_id', 'in', rows.map((r) => r.id))
      .execute();
    const numbers = entries.map((e) => e.registration_number).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 20 }, (_, i) => before + i + 1));
    expect(new Set(entries.map((e) => e.holder_id)).size).toBe(20);
    expect(await counter()).toBe(before + 20);

    // Each approve history event records the number its own entry got.
    const events = await f.deps.db
      .selectFrom('application_events')
      .select(['application_id', 'payload'])
      .where('type', '=', 'approve')
      .where('application_id', 'in', rows.map((r) => r.id))
      .execute();
    expect(events).toHaveLength(20);
    const numberOf = new Map(entries.map((e) => [e.source_application_id, e.registration_number]));
    for (const e of events) expect((e.payload.effects as { registrationNumber: number }).registrationNumber).toBe(numberOf.get(e.application_id));
  });

  it('when 20 approvals race, every application refers to its own registry entry', async () => {
    const rows = await Promise.all(Array.from({ length: 20 }, (_, i) => underReview(f.deps, `refs-${i}`)));
    await Promise.all(rows.map((row, i) => sendEvent(engines[i % ENGINES]!, { applicationId: row.id, type: 'approve', actor: reviewer(), expectedVersion: row.version })));
    const joined = await f.deps.db
      .selectFrom('applications as a')
      .innerJoin('registry_entries as e', 'e.id', 'a.registry_entry_id')
      .select(['a.id', 'a.applicant_id', 'e.source_application_id', 'e.holder_id'])
      .where('a.id', 'in', rows.map((r) => r.id))
      .execute();
    expect(joined).toHaveLength(20);
    for (const j of joined) {
      expect(j.source_application_id).toBe(j.id);
      expect(j.holder_id).toBe(j.applicant_id);
    }
  });

  it('rolls back an approval refused by the unique holder index and gives its number to the next approval', async () => {
    // Somebody is registered first, so the counter row exists and can be held.
    const first = await underReview(f.deps, 'first-holder');
    await sendEvent(f.deps, { applicationId: first.id, type: 'approve', actor: reviewer(), expectedVersion: first.version });
    const base = (await counter())!;

    // One person with two registration applications, both submitted before either is approved.
    const a = await underReview(f.deps, 'twice', person('twice-a'));
    const b = await underReview(f.deps, 'twice', person('twice-b'));

    // Hold the counter row so both approvals load their facts (not registered yet) and then queue on it:
    // the second one past the lock can only be stopped by the unique index on active holders.
    const holder = new pg.Client({ connectionString: f.database.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT last_number FROM registry_counters WHERE qualification_id = 'test-qual' FOR UPDATE`);
      const racing = [a, b].map((row, i) =>
        settle('approve', () => sendEvent(engines[i]!, { applicationId: row.id, type: 'approve', actor: reviewer(), expectedVersion: row.version })),
      );
      await waitForLockWaiters(holder, 2);
      await holder.query('COMMIT');
      const outcomes = await Promise.all(racing);

      const won = outcomes.filter((o) => o.ok);
      const lost = outcomes.filter((o): o is Extract<Outcome, { ok: false }> => !o.ok);
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(codeOf(lost[0]!.error)).toBe('APPLICATION_EVENT_NOT_ALLOWED');
      // The unique index's message, not the guard's (`approve` is not allowed now): both passed the guard.
      expect((lost[0]!.error as ShikakuError).message).toBe('the applicant is already registered');
      expect((lost[0]!.error as ShikakuError).details.reasons).toEqual(['notRegistered: the applicant is already registered in this qualification']);
    } finally {
      await holder.end();
    }

    const twice = await f.deps.db.selectFrom('registry_entries').select(['registration_number', 'source_application_id']).where('holder_id', '=', 'twice').execute();
    expect(twice).toHaveLength(1);
    expect(twice[0]!.registration_number).toBe(base + 1);
    const loserId = twice[0]!.source_application_id === a.id ? b.id : a.id;
    const loser = await f.deps.db.selectFrom('applications').selectAll().where('id', '=', loserId).executeTakeFirstOrThrow();
    expect(loser).toMatchObject({ state: 'underReview', version: 3, registry_entry_id: null });
    const loserEvents = await f.deps.db.selectFrom('application_events').select('type').where('application_id', '=', loserId).orderBy('seq').execute();
    expect(loserEvents.map((e) => e.type)).toEqual(['created', 'submit', 'confirmPayment']);
    expect(await counter()).toBe(base + 1);

    // The rolled-back number is handed out again: no gap.
    const next = await underReview(f.deps, 'after-rollback');
    const approved = await sendEvent(engines[2]!, { applicationId: next.id, type: 'approve', actor: reviewer(), expectedVersion: next.version });
    const entry = await f.deps.db.selectFrom('registry_entries').select('registration_number').where('id', '=', approved.registry_entry_id!).executeTakeFirstOrThrow();
    expect(entry.registration_number).toBe(base + 2);
    expect(await counter()).toBe(base + 2);

    const all = (await f.deps.db.selectFrom('registry_entries').select('registration_number').where('qualification_id', '=', 'test-qual').execute())
      .map((e) => e.registration_number)
      .sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
  });

  it('an approval that loses the version race to a reject while the counter is held takes no number', async () => {
    const base = (await counter())!;
    const row = await underReview(f.deps, 'lost-race');
    const holder = new pg.Client({ connectionString: f.database.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT last_number FROM registry_counters WHERE qualification_id = 'test-qual' FOR UPDATE`);
      // The approval locks the application row, then queues on the counter; the reject queues on the row.
      const approving = settle('approve', () => sendEvent(engines[0]!, { applicationId: row.id, type: 'approve', actor: reviewer(), expectedVersion: row.version }));
      await waitForLockWaiters(holder, 1);
      const rejecting = settle('reject', () => sendEvent(engines[1]!, { applicationId: row.id, type: 'reject', actor: reviewer('staff-2'), expectedVersion: row.version, comment: '却下' }));
      await waitForLockWaiters(holder, 2);
      await holder.query('COMMIT');
      const [approve, reject] = await Promise.all([approving, rejecting]);
      expect(approve.ok).toBe(true);
      expect(reject.ok).toBe(false);
      expect(codeOf((reject as Extract<Outcome, { ok: false }>).error)).toBe('APPLICATION_VERSION_CONFLICT');
    } finally {
      await holder.end();
    }
    expect(await counter()).toBe(base + 1);

    // Now the other way round: the reject wins, the approval that raced it never touches the counter.
    const other = await underReview(f.deps, 'lost-race-2');
    const outcomes = await Promise.all([
      settle('reject', () => sendEvent(engines[3]!, { applicationId: other.id, type: 'reject', actor: reviewer(), expectedVersion: other.version, comment: '却下' })),
      settle('approve', () => sendEvent(engines[4]!, { applicationId: other.id, type: 'approve', actor: reviewer(), expectedVersion: other.version })),
    ]);
    expect(outcomes.filter((o) => o.ok)).toHaveLength(1);
    const expected = outcomes.find((o) => o.ok)!.type === 'approve' ? base + 2 : base + 1;
    expect(await counter()).toBe(expected);
  });
});

/** Waits until at least `n` sessions of this database wait on a lock (the racers are queued). */
async function waitForLockWaiters(client: pg.Client, n: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { rows } = await client.query<{ waiting: number }>(
      `SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    if (rows[0]!.waiting >= n) return;
    if (Date.now() > deadline) throw new Error(`only ${rows[0]!.waiting} of ${n} sessions are waiting on a lock`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
