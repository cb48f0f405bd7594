import { ShikakuError } from '../errors.ts';
import type { Actor } from './actor.ts';
import type { CompiledProcedure } from '../compile/compile-procedure.ts';
import { unknownRemovals, validateApplicationData } from './application-form.ts';
import { forgedUploadReferences } from './attachments.ts';
import type { ApplicationRow } from './applications.repository.ts';
import type { EngineDeps } from './engine-deps.ts';
import { hashEvent } from './event-hash.ts';
import { writeTransition } from './write-transition.ts';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** RFC 7396 JSON merge patch: `null` removes a key, objects merge, anything else replaces. Pure. */
export function mergePatch(target: Readonly<Record<string, unknown>>, patch: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const result: Record<string, unknown> = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else if (isObject(value) && isObject(result[key])) result[key] = mergePatch(result[key] as Record<string, unknown>, value);
    else result[key] = value;
  }
  return result;
}

/**
 * The applicant edits their application's data (merge patch) while its state is `editable`; the edit
 * is a history event like any other, so the chain shows who changed which fields when.
 * @throws ShikakuError AUTH_FORBIDDEN (not the owner), APPLICATION_VERSION_CONFLICT,
 *   APPLICATION_NOT_EDITABLE, APPLICATION_DATA_INVALID (with `errors`).
 */
export async function editApplication(
  deps: EngineDeps,
  row: ApplicationRow,
  command: { actor: Actor; expectedVersion: number; patch: Readonly<Record<string, unknown>> },
): Promise<ApplicationRow> {
  const procedure = await editableProcedure(deps, row, command.actor, command.expectedVersion);
  const data = mergePatch(row.data, command.patch);
  const errors = [...forgedUploadReferences(row.data, command.patch), ...unknownRemovals(procedure, command.patch), ...validateApplicationData(procedure, data)];
  if (errors.length > 0) throw new ShikakuError('APPLICATION_DATA_INVALID', 'the application data is not valid', { errors });
  return writeEdit(deps, row, command.actor, data, { changed: Object.keys(command.patch).sort() });
}

/**
 * The pinned procedure of an application `actor` may edit now.
 * @throws ShikakuError AUTH_FORBIDDEN, APPLICATION_VERSION_CONFLICT, APPLICATION_NOT_EDITABLE.
 */
export async function editableProcedure(deps: EngineDeps, row: ApplicationRow, actor: Actor, expectedVersion: number): Promise<CompiledProcedure> {
  if (actor.role !== 'applicant' || actor.id !== row.applicant_id) throw new ShikakuError('AUTH_FORBIDDEN', 'only the applicant edits an application');
  if (expectedVersion !== row.version) {
    throw new ShikakuError('APPLICATION_VERSION_CONFLICT', `the application is at version ${row.version}, not ${expectedVersion}`, { currentVersion: row.version });
  }
  const procedure = await deps.definitions.pinned(deps.db, row.definition_hash);
  if (!procedure.spec.procedure.states[row.state]?.editable) {
    throw new ShikakuError('APPLICATION_NOT_EDITABLE', `the application cannot be edited in state \`${row.state}\``, { state: row.state });
  }
  return procedure;
}

/** Writes checked data as an `edited` history event (one statement, version-guarded). @throws APPLICATION_VERSION_CONFLICT */
export async function writeEdit(deps: EngineDeps, row: ApplicationRow, actor: Actor, data: Record<string, unknown>, payload: Record<string, unknown>): Promise<ApplicationRow> {
  const now = deps.clock.now();
  const event = { seq: row.version + 1, type: 'edited', actorId: actor.id, actorRole: actor.role, fromState: row.state, payload, prevHash: row.last_event_hash };
  const hash = hashEvent(row.last_event_hash, { applicationId: row.id, seq: event.seq, type: event.type, actorId: event.actorId, actorRole: event.actorRole, fromState: row.state, toState: row.state, payload, occurredAt: now });
  const written = await writeTransition(deps.db, {
    applicationId: row.id, expectedVersion: row.version, toState: row.state, snapshot: row.snapshot, registryEntryId: null, data,
    event: { ...event, hash }, leavesState: false, timers: [], outbox: [], now,
  });
  if (!written) throw new ShikakuError('APPLICATION_VERSION_CONFLICT', 'the application changed while it was edited', {});
  return { ...row, data, version: row.version + 1, last_event_hash: hash, updated_at: now };
}
