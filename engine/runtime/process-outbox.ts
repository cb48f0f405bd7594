import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Database } from './database-schema.ts';
import type { EngineDeps } from './engine-deps.ts';

const LEASE_MS = 60_000;

/** Performs one outbox job inside the transaction that marks it done, so its effect happens once. */
export type OutboxHandler = (trx: Kysely<Database>, job: { id: string; payload: Record<string, unknown>; applicationId: string | null }, now: Date) => Promise<void>;

/** Delivers a notice (お知らせ) to the applicant's inbox. */
export const deliverNotification: OutboxHandler = async (trx, job, now) => {
  await trx
    .insertInto('notifications')
    .values({
      outbox_id: job.id,
      recipient_id: String(job.payload.recipientId),
      application_id: job.applicationId,
      template: String(job.payload.template),
      created_at: now,
      read_at: null,
    })
    .onConflict((oc) => oc.column('outbox_id').doNothing())
    .execute();
};

/**
 * Claims and runs pending outbox jobs of the kinds `handlers` knows (others wait for the worker that
 * knows them, e.g. certificate rendering). A failing job is retried with backoff and its error kept.
 */
export async function processOutbox(deps: EngineDeps, handlers: Readonly<Record<string, OutboxHandler>>, limit = 50): Promise<{ done: number; failed: number }> {
  const kinds = Object.keys(handlers);
  if (kinds.length === 0) return { done: 0, failed: 0 };
  const now = deps.clock.now();
  const claimed = await sql<{ id: string; kind: string; payload: Record<string, unknown>; application_id: string | null; attempts: number }>`
    UPDATE outbox SET locked_until = ${new Date(now.getTime() + LEASE_MS).toISOString()}::timestamptz, attempts = attempts + 1
    WHERE id IN (
      SELECT id FROM outbox
      WHERE done_at IS NULL AND kind IN (${sql.join(kinds)}) AND available_at <= ${now.toISOString()}::timestamptz
        AND (locked_until IS NULL OR locked_until < ${now.toISOString()}::timestamptz)
      ORDER BY id LIMIT ${limit}
      FOR UPDATE SKIP LOCKED)
    RETURNING id, kind, payload, application_id, attempts`.execute(deps.db);
  let done = 0;
  let failed = 0;
  // UPDATE … RETURNING yields rows in no particular order; notices must arrive in the order queued.
  const jobs = [...claimed.rows].sort((a, b) => Number(a.id) - Number(b.id));
  for (const job of jobs) {
    try {
      await deps.db.transaction().execute(async (trx) => {
        await handlers[job.kind]!(trx, { id: String(job.id), payload: job.payload, applicationId: job.application_id }, now);
        await trx.updateTable('outbox').set({ done_at: now, locked_until: null }).where('id', '=', String(job.id)).execute();
      });
      done++;
    } catch (error) {
      const backoffMs = Math.min(3_600_000, 1000 * 2 ** job.attempts);
      await deps.db
        .updateTable('outbox')
        .set({ locked_until: null, available_at: new Date(now.getTime() + backoffMs), last_error: String((error as Error).message).slice(0, 500) })
        .where('id', '=', String(job.id))
        .execute();
      failed++;
    }
  }
  return { done, failed };
}
