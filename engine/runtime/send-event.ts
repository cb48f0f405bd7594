import { randomUUID } from 'node:crypto';
import type { CompiledProcedure } from '../compile/compile-procedure.ts';
import { japanDate } from '../clock.ts';
import { ShikakuError } from '../errors.ts';
import { addIsoDuration, parseIsoDuration } from '../iso-duration.ts';
import { actionLibrary, type ActionName } from '../library/actions.ts';
import type { TransitionFacts, TransitionInput } from '../library/transition-input.ts';
import type { Actor } from './actor.ts';
import { chooseTransition } from './choose-transition.ts';
import { findApplicationRow, type ApplicationRow } from './applications.repository.ts';
import { inTransaction, withConnection, type EngineDeps } from './engine-deps.ts';
import { hashEvent } from './event-hash.ts';
import { openNotice } from './deficiency-notice.ts';
import { loadFacts } from './load-facts.ts';
import { performRegistryActions } from './registry-actions.ts';
import { writeTransition, type OutboxRow, type TimerRow } from './write-transition.ts';

export interface SendEventCommand {
  readonly applicationId: string;
  readonly type: string;
  readonly actor: Actor;
  /** The version the caller read (If-Match); omitted only by trusted internal callers. */
  readonly expectedVersion?: number | undefined;
  readonly comment?: string | undefined;
  /** Field-level notes of a deficiency notice. */
  readonly notes?: readonly { path: string; message: string }[] | undefined;
}

/** The input guards see for `actor` acting on `row`. */
export function transitionInput(procedure: CompiledProcedure, row: ApplicationRow, actor: Actor, facts: TransitionFacts, now: Date): TransitionInput {
  return { actor: { id: actor.id, role: actor.role }, applicantId: row.applicant_id, data: row.data, notice: row.notice, spec: procedure.spec, facts, today: japanDate(now) };
}

/**
 * Applies one event to an application as one atomic write: version check, XState transition,
 * history row (hash-chained), register changes, timers and outbox rows; then tells `deps.onTransition`.
 * @throws ShikakuError APPLICATION_NOT_FOUND, APPLICATION_VERSION_CONFLICT, APPLICATION_EVENT_UNKNOWN,
 *   APPLICATION_EVENT_NOT_ALLOWED (with `reasons`).
 */
export async function sendEvent(deps: EngineDeps, command: SendEventCommand): Promise<ApplicationRow> {
  return withConnection(deps, async (deps) => {
    const row = await findApplicationRow(deps, command.applicationId);
    if (!row) throw new ShikakuError('APPLICATION_NOT_FOUND', `application ${command.applicationId} does not exist`);
    return applyToRow(deps, row, command);
  });
}

/** `sendEvent` on an already-read row (the caller's read is the optimistic version). */
export async function applyToRow(deps: EngineDeps, row: ApplicationRow, command: SendEventCommand): Promise<ApplicationRow> {
  if (command.expectedVersion !== undefined && command.expectedVersion !== row.version) {
    throw new ShikakuError('APPLICATION_VERSION_CONFLICT', `the application is at version ${row.version}, not ${command.expectedVersion}`, { currentVersion: row.version });
  }
  const procedure = await deps.definitions.pinned(deps.db, row.definition_hash);
  if (!procedure.events.has(command.type)) {
    throw new ShikakuError('APPLICATION_EVENT_UNKNOWN', `\`${command.type}\` is not an event of this procedure`, { events: [...procedure.events].sort() });
  }
  const facts = await loadFacts(deps.db, procedure.factsFor(row.state, command.type), row);
  const now = deps.clock.now();
  const input = transitionInput(procedure, row, command.actor, facts, now);
  const choice = chooseTransition(procedure.spec, row.state, command.type, input);
  if (!choice.chosen) throw new ShikakuError('APPLICATION_EVENT_NOT_ALLOWED', `\`${command.type}\` is not allowed now`, { reasons: choice.reasons, state: row.state });
  if (choice.chosen.comment === 'required' && !command.comment?.trim()) {
    throw new ShikakuError('APPLICATION_EVENT_NOT_ALLOWED', `\`${command.type}\` needs a comment`, { reasons: ['a comment is required'], state: row.state });
  }

  const [next, actions] = procedure.step(row.snapshot, { type: command.type, input });
  const toState = String(next.value);
  const names = actions.map((a) => a.type).filter((t): t is ActionName => Object.hasOwn(actionLibrary, t));
  const transactional = names.filter((n) => actionLibrary[n].transactional);
  const leavesState = toState !== row.state;
  const timers: TimerRow[] = leavesState
    ? (procedure.spec.procedure.states[toState]?.timers ?? []).map((t) => ({
        id: randomUUID(),
        state: toState,
        event: t.event,
        dueAt: addIsoDuration(now, parseIsoDuration(t.after)!),
      }))
    : [];
  const outbox: OutboxRow[] = actions.flatMap((a): OutboxRow[] => {
    const parameter = a.params?.value;
    if (a.type === 'notify') return [{ kind: 'notification', payload: { template: parameter, recipientId: row.applicant_id, applicationId: row.id, event: command.type } }];
    if (a.type === 'issueCertificate') return [{ kind: 'certificate.issue', payload: { applicationId: row.id, qualificationId: row.qualification_id, procedure: row.procedure } }];
    return [];
  });

  const write = async (db: EngineDeps['db'], effects: Record<string, unknown>, registryEntryId: string | null) => {
    const payload = {
      ...(command.comment ? { comment: command.comment } : {}),
      ...(command.notes?.length ? { notes: command.notes } : {}),
      ...(Object.keys(effects).length > 0 ? { effects } : {}),
    };
    const event = {
      seq: row.version + 1,
      type: command.type,
      actorId: command.actor.id,
      actorRole: command.actor.role,
      fromState: row.state,
      payload,
      prevHash: row.last_event_hash,
    };
    const hash = hashEvent(row.last_event_hash, {
      applicationId: row.id, seq: event.seq, type: event.type, actorId: event.actorId, actorRole: event.actorRole,
      fromState: event.fromState, toState, payload, occurredAt: now,
    });
    const notice = command.notes?.length ? openNotice(row.data, { seq: event.seq, type: command.type, comment: command.comment, notes: command.notes, at: now }) : undefined;
    const ok = await writeTransition(db, {
      applicationId: row.id,
      expectedVersion: row.version,
      toState,
      snapshot,
      registryEntryId,
      notice,
      event: { ...event, hash },
      leavesState,
      timers,
      outbox,
      now,
    });
    if (!ok) throw new ShikakuError('APPLICATION_VERSION_CONFLICT', 'the application changed while the event was applied', {});
    return {
      ...row,
      state: toState,
      snapshot,
      version: row.version + 1,
      last_event_hash: hash,
      updated_at: now,
      registry_entry_id: registryEntryId ?? row.registry_entry_id,
      notice: notice ?? (leavesState ? null : row.notice),
    };
  };

  const snapshot = { value: next.value, context: next.context as Record<string, unknown> };
  const updated = transactional.length === 0 ? await write(deps.db, {}, null) : await inTransaction(deps.db, async (trx) => {
    // Lock first: a losing concurrent decision stops here and never touches the register.
    const locked = await trx.selectFrom('applications').select('version').where('id', '=', row.id).forUpdate().executeTakeFirst();
    if (locked?.version !== row.version) throw new ShikakuError('APPLICATION_VERSION_CONFLICT', 'the application changed while the event was applied', {});
    const { effects, registryEntryId } = await performRegistryActions(trx, transactional, row, procedure.spec, facts, now);
    return write(trx, effects, registryEntryId);
  });
  deps.onTransition?.({ qualification: row.qualification_id, procedure: row.procedure, event: command.type });
  return updated;
}
