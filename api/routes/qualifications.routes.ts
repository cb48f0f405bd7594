import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import {
  applicationDataSchema,
  feePreview,
  japanDate,
  plannedStart,
  procedureAvailability,
  ShikakuError,
  type DefinitionStore,
  type LoadedQualification,
} from '../../engine/index.ts';
import { jsonResponse, problems, validated } from '../route-responses.ts';
import { ProcedureParams } from '../schemas.ts';
import type { ServerDeps } from '../server-deps.ts';

/** The version served on `today`: the one in force, else (nothing in force yet) the newest file. */
function served(definitions: DefinitionStore, id: string, today: string): { q: LoadedQualification; version: number; effectiveFrom: string | null } | undefined {
  const inForce = definitions.inForce(id, today);
  if (inForce) return { q: inForce.loaded, version: inForce.version, effectiveFrom: inForce.effectiveFrom };
  const file = definitions.qualifications.get(id);
  return file && { q: file, version: file.definition.version ?? 1, effectiveFrom: file.definition.effectiveFrom ?? null };
}

function summary(definitions: DefinitionStore, id: string, today: string) {
  const { q, version, effectiveFrom } = served(definitions, id, today)!;
  const d = q.definition;
  const upcoming = definitions.upcoming(id, today);
  const notYet = effectiveFrom !== null && effectiveFrom > today;
  return {
    id: d.id,
    name: d.name,
    registrar: d.registrar,
    version,
    effectiveFrom,
    ...(upcoming && upcoming.version !== version ? { upcoming: { version: upcoming.version, effectiveFrom: upcoming.effectiveFrom! } } : {}),
    online: { from: d.online.from, ...(d.online.planned ? { planned: plannedStart(d.online.planned) } : {}), ...(d.online.note ? { note: d.online.note } : {}) },
    procedures: Object.entries(d.procedures).map(([name, offer]) => {
      const availability = procedureAvailability(q, name, today);
      return {
        name,
        title: q.procedures.get(name)?.spec.procedure.title ?? offer.title ?? { ja: name },
        ...availability,
        // A definition that takes effect later opens nothing before then.
        ...(notYet ? { available: false, from: effectiveFrom } : {}),
        ...(offer.window !== undefined ? { window: offer.window } : {}),
      };
    }),
  };
}

/** Public reading of the definitions: what exists, what is open today, and each form. */
export function registerQualificationRoutes(app: FastifyInstance, deps: ServerDeps): void {
  const { definitions, clock } = deps.engine;
  const find = (id: string) => {
    const version = served(definitions, id, japanDate(clock.now()));
    if (!version) throw new ShikakuError('QUALIFICATION_NOT_FOUND', `no qualification \`${id}\``);
    return version.q;
  };

  app.get('/v1/qualifications', {
    schema: {
      tags: ['qualifications'],
      operationId: 'listQualifications',
      summary: 'List qualifications with each procedure\'s availability today',
      response: { 200: jsonResponse('The qualifications', Type.Object({ today: Type.String({ description: 'Today in Japan time.' }), items: Type.Array(Type.Ref('QualificationSummary')) })), ...problems() },
    },
  }, async () => {
    const today = japanDate(clock.now());
    return { today, items: [...definitions.qualifications.keys()].map((id) => summary(definitions, id, today)) };
  });

  app.get('/v1/qualifications/:q', {
    schema: {
      tags: ['qualifications'],
      operationId: 'getQualification',
      summary: 'One qualification: its law, registration number format, certificate and fees',
      params: Type.Object({ q: Type.String({ maxLength: 64 }) }),
      response: { 200: jsonResponse('The qualification', Type.Ref('Qualification')), ...problems(validated, 'QUALIFICATION_NOT_FOUND') },
    },
  }, async (request) => {
    const q = find((request.params as { q: string }).q);
    const today = japanDate(clock.now());
    return {
      ...summary(definitions, q.definition.id, today),
      law: q.definition.law,
      renewal: q.definition.renewal ?? null,
      variants: q.definition.variants ?? null,
      registrationNumber: q.definition.registrationNumber,
      certificate: q.definition.certificate,
      fees: Object.fromEntries([...q.procedures].map(([name, p]) => [name, feePreview(p.spec)])),
    };
  });

  app.get('/v1/qualifications/:q/procedures/:p/form', {
    schema: {
      tags: ['qualifications'],
      operationId: 'getProcedureForm',
      summary: 'The form of a procedure: JSON Schema of the application data, attachments and a fee preview',
      params: ProcedureParams,
      response: { 200: jsonResponse('The form', Type.Ref('ProcedureForm')), ...problems(validated, 'QUALIFICATION_NOT_FOUND', 'PROCEDURE_NOT_FOUND') },
    },
  }, async (request) => {
    const { q: qid, p } = request.params as { q: string; p: string };
    const q = find(qid);
    const procedure = q.procedures.get(p);
    if (!procedure) throw new ShikakuError('PROCEDURE_NOT_FOUND', `\`${qid}\` offers no procedure \`${p}\``);
    return {
      qualification: qid,
      procedure: p,
      title: procedure.spec.procedure.title,
      ...procedureAvailability(q, p, japanDate(clock.now())),
      schema: applicationDataSchema(procedure.spec),
      fees: feePreview(procedure.spec),
    };
  });
}
