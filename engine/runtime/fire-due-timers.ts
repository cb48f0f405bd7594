import { sql } from 'kysely';
import { ShikakuError } from '../errors.ts';
import { timerActor } from './actor.ts';
import type { EngineDeps } from './engine-deps.ts';
import { findApplicationRow } from './applications.repository.ts';
import { applyToRow } from './send-event.ts';

/** How long a claimed timer stays invisible to other workers; a crashed worker's claim lapses after it. */
const LEASE_MS = 60_000;

export interface TimerRunResult {
  readonly fired: number;
  readonly stale: number;
  readonly retried: number;
}

/**
 * Fires timers due by the injected clock as ordinary events from role `system`. Safe with many
 * workers: claims use SKIP LOCKED plus a lease, and the version check lets one transition win, so
 * each timer's event is applied exactly once.
 */
export async function fireDueTimers(deps: EngineDeps, limit = 50): Promise<TimerRunResult> {
  const now = deps.clock.now();
  const claimed = await sql<{ id: string; application_id: string; state: string; event: string }>`
    UPDATE timers SET locked_until = ${new Date(now.getTime() + LEASE_MS).toISOString()}::timestamptz
    WHERE id IN (
      SELECT id FROM timers
      WHERE due_at <= ${now.toISOString()}::timestamptz AND (locked_until IS NULL OR locked_until < ${now.toISOString()}::timestamptz)
      ORDER BY due_at LIMIT ${limit}
      FOR UPDATE SKIP LOCKED)
    RETURNING id, application_id, state, event`.execute(deps.db);
  let fired = 0;
  let stale = 0;
  let retried = 0;
  for (const timer of claimed.rows) {
    const row = await findApplicationRow(deps, timer.application_id);
    if (!row || row.state !== timer.state) {
      await deps.db.deleteFrom('timers').where('id', '=', timer.id).execute();
      stale++;
      continue;
    }
    try {
      await applyToRow(deps, row, { applicationId: row.id, type: timer.event, actor: timerActor });
      fired++;
    } catch (error) {
      if (!(error instanceof ShikakuError)) throw error;
      if (error.code === 'APPLICATION_VERSION_CONFLICT') {
        // Someone else moved the application meanwhile: release the claim and look again next round.
        await deps.db.updateTable('timers').set({ locked_until: null }).where('id', '=', timer.id).execute();
        retried++;
      } else {
        await deps.db.deleteFrom('timers').where('id', '=', timer.id).execute();
        stale++;
      }
    }
  }
  return { fired, stale, retried };
}
