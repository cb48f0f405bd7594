import { sql, type Kysely } from 'kysely';
import type { Database } from './database-schema.ts';

export interface TimerRow {
  readonly id: string;
  readonly state: string;
  readonly event: string;
  readonly dueAt: Date;
}

export interface OutboxRow {
  readonly kind: string;
  readonly payload: Readonly<Record<string, unknown>>;
}

/** Everything one transition writes; computed purely before any statement runs. */
export interface TransitionWrite {
  readonly applicationId: string;
  readonly expectedVersion: number;
  readonly toState: string;
  readonly snapshot: unknown;
  readonly registryEntryId: string | null;
  readonly event: {
    readonly seq: number;
    readonly type: string;
    readonly actorId: string;
    readonly actorRole: string;
    readonly fromState: string;
    readonly payload: Readonly<Record<string, unknown>>;
    readonly prevHash: string;
    readonly hash: string;
  };
  /** Whether the state changed, so the old state's timers are cancelled. */
  readonly leavesState: boolean;
  readonly timers: readonly TimerRow[];
  readonly outbox: readonly OutboxRow[];
  readonly now: Date;
}

/**
 * Writes a transition as ONE statement: the version-checked update, the history row, timer changes and
 * outbox rows all hang off the update, so either everything is written or (stale version) nothing.
 * @returns whether the version check passed.
 */
export async function writeTransition(db: Kysely<Database>, w: TransitionWrite): Promise<boolean> {
  const now = w.now.toISOString();
  const e = w.event;
  const deleteTimers = w.leavesState ? sql`, cancelled AS (DELETE FROM timers WHERE application_id = (SELECT id FROM upd))` : sql``;
  const insertTimers =
    w.timers.length > 0
      ? sql`, armed AS (
          INSERT INTO timers (id, application_id, state, event, due_at, locked_until, created_at)
          SELECT t.id, upd.id, t.state, t.event, t.due_at, NULL, ${now}::timestamptz
          FROM upd CROSS JOIN (VALUES ${sql.join(w.timers.map((t) => sql`(${t.id}::uuid, ${t.state}::text, ${t.event}::text, ${t.dueAt.toISOString()}::timestamptz)`))}) AS t (id, state, event, due_at))`
      : sql``;
  const insertOutbox =
    w.outbox.length > 0
      ? sql`, queued AS (
          INSERT INTO outbox (kind, application_id, payload, created_at, available_at)
          SELECT o.kind, upd.id, o.payload, ${now}::timestamptz, ${now}::timestamptz
          FROM upd CROSS JOIN (VALUES ${sql.join(w.outbox.map((o) => sql`(${o.kind}::text, ${JSON.stringify(o.payload)}::jsonb)`))}) AS o (kind, payload))`
      : sql``;
  const { rows } = await sql<{ n: number }>`
    WITH upd AS (
      UPDATE applications
      SET state = ${w.toState}, snapshot = ${JSON.stringify(w.snapshot)}::jsonb, version = version + 1,
          last_event_hash = ${e.hash}, updated_at = ${now}::timestamptz,
          registry_entry_id = COALESCE(${w.registryEntryId}::uuid, registry_entry_id)
      WHERE id = ${w.applicationId}::uuid AND version = ${w.expectedVersion}::int
      RETURNING id
    ), history AS (
      INSERT INTO application_events (application_id, seq, type, actor_id, actor_role, from_state, to_state, payload, occurred_at, prev_hash, hash)
      SELECT id, ${e.seq}::int, ${e.type}::text, ${e.actorId}::text, ${e.actorRole}::text, ${e.fromState}::text, ${w.toState}::text,
             ${JSON.stringify(e.payload)}::jsonb, ${now}::timestamptz, ${e.prevHash}::text, ${e.hash}::text
      FROM upd
    )${deleteTimers}${insertTimers}${insertOutbox}
    SELECT count(*)::int AS n FROM upd`.execute(db);
  return Number(rows[0]?.n ?? 0) === 1;
}
