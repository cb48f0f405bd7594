import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { ShikakuError, type ReloadResult } from '../../engine/index.ts';
import type { ActorOf } from '../request-actor.ts';
import { requireRole } from '../request-actor.ts';
import type { ServerDeps } from '../server-deps.ts';

const DefinitionProblem = Type.Object(
  {
    file: Type.String(),
    line: Type.Integer(),
    column: Type.Integer(),
    path: Type.String(),
    code: Type.String(),
    message: Type.String(),
    hint: Type.Optional(Type.String()),
  },
  { $id: 'DefinitionProblem', description: 'One located definition problem, as `shikaku validate` prints it.' },
);

const ReloadReport = Type.Object(
  {
    applied: Type.Array(Type.String(), { description: 'Qualifications whose new or changed file went live.' }),
    problems: Type.Array(DefinitionProblem, { description: 'The files these are in were refused; what ran before keeps running.' }),
    at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'When the reload ran; null when none has run yet.' }),
  },
  { $id: 'DefinitionsReload' },
);

const report = (r: ReloadResult | undefined) => ({ applied: [...(r?.applied ?? [])], problems: [...(r?.problems ?? [])], at: r ? r.at.toISOString() : null });

/**
 * Onboarding without a restart: an admin re-reads the definitions folder (as SIGHUP does) and sees what
 * went live and what was refused.
 */
export function registerDefinitionsAdminRoutes(app: FastifyInstance, deps: ServerDeps, actorOf: ActorOf, errorResponses: Record<number, unknown>): void {
  const reloader = deps.reloader;
  const guard = async (request: Parameters<ActorOf>[0]) => {
    requireRole(await actorOf(request), ['admin'], 'only admins reload definitions');
    if (!reloader) throw new ShikakuError('ROUTE_NOT_FOUND', 'this server was started without a definitions folder to reload');
    return reloader;
  };

  app.post('/v1/admin/definitions/reload', {
    schema: {
      summary: 'Re-read the definitions folder: valid files go live, invalid ones are refused (admin)',
      tags: ['admin'],
      security: [{ bearer: [] }],
      response: { 200: ReloadReport, ...errorResponses },
    },
  }, async (request) => report(await (await guard(request)).reload()));

  app.get('/v1/admin/definitions/reload', {
    schema: {
      summary: 'The result of the last reload (admin)',
      tags: ['admin'],
      security: [{ bearer: [] }],
      response: { 200: ReloadReport, ...errorResponses },
    },
  }, async (request) => report((await guard(request)).last()));
}
