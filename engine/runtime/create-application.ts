import { randomUUID } from 'node:crypto';
import { getInitialSnapshot } from 'xstate';
import { japanDate } from '../clock.ts';
import { ShikakuError } from '../errors.ts';
import type { Actor } from './actor.ts';
import { validateApplicationData } from './application-form.ts';
import { forgedUploadReferences } from './attachments.ts';
import { availabilityMessage, procedureAvailability } from './availability.ts';
import { inTransaction, type EngineDeps } from './engine-deps.ts';
import { GENESIS_HASH, hashEvent } from './event-hash.ts';
import type { ApplicationRow } from './applications.repository.ts';
import { applyToRow } from './send-event.ts';

export interface CreateApplicationCommand {
  readonly qualificationId: string;
  readonly procedure: string;
  readonly actor: Actor;
  readonly data: Record<string, unknown>;
  /** Submit at once; if submission is refused, nothing is created. */
  readonly submit?: boolean;
}

/**
 * Creates an application pinned to the definition in force, recording a `created` history event.
 * @throws ShikakuError QUALIFICATION_NOT_FOUND, PROCEDURE_NOT_FOUND, PROCEDURE_NOT_AVAILABLE (with `opensOn`),
 *   AUTH_FORBIDDEN (not an applicant), APPLICATION_DATA_INVALID (with `errors`), and sendEvent's errors on submit.
 */
export async function createApplication(deps: EngineDeps, command: CreateApplicationCommand): Promise<ApplicationRow> {
  const store = deps.definitions;
  if (!store.qualifications.has(command.qualificationId)) throw new ShikakuError('QUALIFICATION_NOT_FOUND', `no qualification \`${command.qualificationId}\``);
  const now = deps.clock.now();
  const today = japanDate(now);
  // The version in force today decides, not the newest file: a scheduled change waits for its effectiveFrom.
  const version = store.inForce(command.qualificationId, today);
  if (!version) {
    const first = store.upcoming(command.qualificationId, today);
    throw new ShikakuError('PROCEDURE_NOT_AVAILABLE', `this qualification's definition takes effect on ${first?.effectiveFrom} (Japan time)`, { opensOn: first?.effectiveFrom ?? null });
  }
  const procedure = version.loaded.procedures.get(command.procedure);
  if (!procedure) throw new ShikakuError('PROCEDURE_NOT_FOUND', `\`${command.qualificationId}\` offers no procedure \`${command.procedure}\``);
  const availability = procedureAvailability(version.loaded, command.procedure, today);
  if (!availability.available) {
    throw new ShikakuError('PROCEDURE_NOT_AVAILABLE', availabilityMessage(availability), {
      opensOn: availability.from,
      ...(availability.planned ? { planned: availability.planned } : {}),
    });
  }
  if (command.actor.role !== 'applicant') throw new ShikakuError('AUTH_FORBIDDEN', 'only applicants create applications');
  const errors = [...forgedUploadReferences({}, command.data), ...validateApplicationData(procedure, command.data)];
  if (errors.length > 0) throw new ShikakuError('APPLICATION_DATA_INVALID', 'the application data is not valid', { errors });

  const id = randomUUID();
  const initial = getInitialSnapshot(procedure.machine, undefined as never);
  const state = String(initial.value);
  const hash = hashEvent(GENESIS_HASH, {
    applicationId: id, seq: 1, type: 'created', actorId: command.actor.id, actorRole: command.actor.role,
    fromState: null, toState: state, payload: {}, occurredAt: now,
  });
  const row: ApplicationRow = {
    id,
    qualification_id: command.qualificationId,
    procedure: command.procedure,
    definition_hash: procedure.hash,
    registrar_id: procedure.spec.qualification.registrar.id,
    applicant_id: command.actor.id,
    state,
    snapshot: { value: initial.value, context: initial.context as Record<string, unknown> },
    data: command.data,
    version: 1,
    last_event_hash: hash,
    registry_entry_id: null,
    notice: null,
    created_at: now,
    updated_at: now,
  };
  return inTransaction(deps.db, async (trx) => {
    await trx
      .insertInto('applications')
      .values({ ...row, notice: null, snapshot: JSON.stringify(row.snapshot), data: JSON.stringify(row.data) })
      .execute();
    await trx
      .insertInto('application_events')
      .values({
        application_id: id, seq: 1, type: 'created', actor_id: command.actor.id, actor_role: command.actor.role,
        from_state: null, to_state: state, payload: JSON.stringify({}), occurred_at: now, prev_hash: GENESIS_HASH, hash,
      })
      .execute();
    return command.submit ? applyToRow({ ...deps, db: trx }, row, { applicationId: id, type: 'submit', actor: command.actor }) : row;
  });
}
