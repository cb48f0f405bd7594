import {
  allowedEvents,
  isAddressed,
  feePreview,
  formatRegistrationNumber,
  type Actor,
  type ApplicationRow,
  type EngineDeps,
} from '../engine/index.ts';

/** The API's view of an application for `actor`: state, data, version and what they may do next. */
export async function applicationView(deps: EngineDeps, row: ApplicationRow, actor: Actor) {
  const procedure = await deps.definitions.pinned(deps.db, row.definition_hash);
  const state = procedure.spec.procedure.states[row.state];
  let registrationNumber: string | null | undefined;
  if (row.registry_entry_id) {
    const entry = await deps.db.selectFrom('registry_entries').select('registration_number').where('id', '=', row.registry_entry_id).executeTakeFirst();
    const format = procedure.spec.qualification.registrationNumber;
    registrationNumber = entry ? formatRegistrationNumber(Number(entry.registration_number), format) : null;
  }
  return {
    id: row.id,
    qualification: row.qualification_id,
    procedure: row.procedure,
    state: row.state,
    ...(state?.title ? { stateTitle: state.title } : {}),
    final: state?.final === true,
    version: row.version,
    applicant: row.applicant_id,
    data: row.data,
    fees: feePreview(procedure.spec),
    allowedEvents: await allowedEvents(deps, procedure, row, actor),
    ...(row.notice
      ? {
          notice: {
            event: row.notice.event,
            ...(row.notice.comment ? { comment: row.notice.comment } : {}),
            sentAt: row.notice.sentAt,
            fields: row.notice.fields.map((f) => ({ path: f.path, message: f.message, addressed: isAddressed(f, row.data) })),
          },
        }
      : {}),
    ...(registrationNumber !== undefined ? { registrationNumber } : {}),
    definitionHash: row.definition_hash,
    createdAt: row.created_at.toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}
