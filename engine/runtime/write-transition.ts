import { CompiledQuery, type Kysely } from 'kysely';
import type { Database } from './database-schema.ts';
import type { DeficiencyNotice } from './deficiency-notice.ts';

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
  /** New application data, when the event edits it. */
  readonly data?: Readonly<Record<string, unknown>> | undefined;
  /** The deficiency notice this event opens. Leaving the state closes the open one; staying keeps it. */
  readonly notice?: DeficiencyNotice | undefined;
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
  const { rows } = await db.executeQuery<{ n: number }>(transitionStatement(w));
  return Number(rows[0]?.n ?? 0) === 1;
}

/** The one statement `writeTransition` sends: its text (cached per shape) and parameters. Pure. */
export function transitionStatement(w: TransitionWrite): CompiledQuery {
  const now = w.now.toISOString();
  const e = w.event;
  const parameters: unknown[] = [
    w.toState, JSON.stringify(w.snapshot), e.hash, now, w.registryEntryId, w.applicationId, w.expectedVersion,
    e.seq, e.type, e.actorId, e.actorRole, e.fromState, JSON.stringify(e.payload), e.prevHash,
    w.data === undefined ? null : JSON.stringify(w.data),
    w.notice === undefined ? null : JSON.stringify(w.notice),
  ];
  for (const t of w.timers) parameters.push(t.id, t.state, t.event, t.dueAt.toISOString());
  for (const o of w.outbox) parameters.push(o.kind, JSON.stringify(o.payload));
  return CompiledQuery.raw(transitionSql(w.leavesState, w.timers.length, w.outbox.length), parameters);
}

const statements = new Map<string, string>();

/**
 * The statement text for one shape of transition (state left or not, how many timers and outbox rows),
 * built once per shape: the hot path only binds parameters.
 */
function transitionSql(leavesState: boolean, timers: number, outbox: number): string {
  const key = `${leavesState}:${timers}:${outbox}`;
  const cached = statements.get(key);
  if (cached) return cached;
  let n = 16;
  const next = () => `$${++n}`;
  const timerRows = Array.from({ length: timers }, () => `(${next()}::uuid, ${next()}::text, ${next()}::text, ${next()}::timestamptz)`);
  const outboxRows = Array.from({ length: outbox }, () => `(${next()}::text, ${next()}::jsonb)`);
  const text = `WITH upd AS (
  UPDATE applications
  SET state = $1::text, snapshot = $2::jsonb, version = version + 1, last_event_hash = $3::text, updated_at = $4::timestamptz,
      registry_entry_id = COALESCE($5::uuid, registry_entry_id), data = COALESCE($15::jsonb, data),
      notice = ${leavesState ? '$16::jsonb' : 'COALESCE($16::jsonb, notice)'}
  WHERE id = $6::uuid AND version = $7::int
  RETURNING id
), history AS (
  INSERT INTO application_events (application_id, seq, type, actor_id, actor_role, from_state, to_state, payload, occurred_at, prev_hash, hash)
  SELECT id, $8::int, $9::text, $10::text, $11::text, $12::text, $1::text, $13::jsonb, $4::timestamptz, $14::text, $3::text FROM upd
)${leavesState ? `, cancelled AS (
  DELETE FROM timers WHERE application_id = (SELECT id FROM upd)
)` : ''}${timers > 0 ? `, armed AS (
  INSERT INTO timers (id, application_id, state, event, due_at, locked_until, created_at)
  SELECT t.id, upd.id, t.state, t.event, t.due_at, NULL, $4::timestamptz
  FROM upd CROSS JOIN (VALUES ${timerRows.join(', ')}) AS t (id, state, event, due_at)
)` : ''}${outbox > 0 ? `, queued AS (
  INSERT INTO outbox (kind, application_id, payload, created_at, available_at)
  SELECT o.kind, upd.id, o.payload, $4::timestamptz, $4::timestamptz
  FROM upd CROSS JOIN (VALUES ${outboxRows.join(', ')}) AS o (kind, payload)
)` : ''}
SELECT count(*)::int AS n FROM upd`;
  statements.set(key, text);
  return text;
}
