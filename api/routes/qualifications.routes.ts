import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import {
  applicationDataSchema,
  feePreview,
  japanDate,
  procedureAvailability,
  ShikakuError,
  type LoadedQualification,
} from '../../engine/index.ts';
import { jsonResponse, problems, validated } from '../route-responses.ts';
import { ProcedureParams } from '../schemas.ts';
import type { ServerDeps } from '../server-deps.ts';

function summary(q: LoadedQualification, today: string) {
  const d = q.definition;
  return {
    id: d.id,
    name: d.name,
    registrar: d.registrar,
    online: d.online,
    procedures: Object.entries(d.procedures).map(([name, offer]) => ({
      name,
      title: q.procedures.get(name)?.spec.procedure.title ?? offer.title ?? { ja: name },
      ...procedureAvailability(q, name, today),
    })),
  };
}

/** Public reading of the definitions: what exists, what is open today, and each form. */
export function registerQualificationRoutes(app: FastifyInstance, deps: ServerDeps): void {
  const { definitions, clock } = deps.engine;
  const find = (id: string) => {
    const q = definitions.qualifications.get(id);
    if (!q) throw new ShikakuError('QUALIFICATION_NOT_FOUND', `no qualification \`${id}\``);
    return q;
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
    return { today, items: [...definitions.qualifications.values()].map((q) => summary(q, today)) };
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
      ...summary(q, today),
      law: q.definition.law,
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
