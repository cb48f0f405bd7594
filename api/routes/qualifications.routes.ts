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
import { FeeLines, ProcedureParams, problemResponses, QualificationSummary } from '../schemas.ts';
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
    schema: { summary: 'List qualifications with each procedure\'s availability today', response: { 200: Type.Object({ today: Type.String(), items: Type.Array(QualificationSummary) }) } },
  }, async () => {
    const today = japanDate(clock.now());
    return { today, items: [...definitions.qualifications.values()].map((q) => summary(q, today)) };
  });

  app.get('/v1/qualifications/:q', {
    schema: {
      params: Type.Object({ q: Type.String({ maxLength: 64 }) }),
      response: {
        200: Type.Object({
          ...QualificationSummary.properties,
          law: Type.String(),
          registrationNumber: Type.Object({ digits: Type.Union([Type.Integer(), Type.Null()]), prefix: Type.Optional(Type.String()), display: Type.String() }),
          certificate: Type.Object({ title: Type.String(), front: Type.Array(Type.String()), photo: Type.Boolean(), back: Type.Array(Type.String()) }),
          fees: Type.Record(Type.String(), FeeLines),
        }),
        ...problemResponses,
      },
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
      params: ProcedureParams,
      response: {
        200: Type.Object({
          qualification: Type.String(),
          procedure: Type.String(),
          title: Type.Object({ ja: Type.String(), en: Type.Optional(Type.String()) }),
          available: Type.Boolean(),
          from: Type.Union([Type.String(), Type.Null()]),
          schema: Type.Record(Type.String(), Type.Unknown()),
          fees: FeeLines,
        }),
        ...problemResponses,
      },
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
