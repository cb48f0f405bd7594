import type { FastifyInstance, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { ShikakuError, type ReloadResult } from '../../engine/index.ts';
import { requireRole, type ActorOf } from '../request-actor.ts';
import { authenticated, bearerSecurity, jsonResponse, problems } from '../route-responses.ts';
import type { ServerDeps } from '../server-deps.ts';

const report = (r: ReloadResult | undefined) => ({ applied: [...(r?.applied ?? [])], problems: [...(r?.problems ?? [])], at: r ? r.at.toISOString() : null });

/**
 * Onboarding without a restart: an admin re-reads the definitions folder (as SIGHUP does) and sees what
 * went live and what was refused.
 */
export function registerDefinitionsAdminRoutes(app: FastifyInstance, deps: ServerDeps, actorOf: ActorOf): void {
  const reloader = async (request: FastifyRequest) => {
    requireRole(await actorOf(request), ['admin'], 'only admins reload definitions');
    if (!deps.reloader) throw new ShikakuError('ROUTE_NOT_FOUND', 'this server was started without a definitions folder to reload');
    return deps.reloader;
  };
  const responses = { 200: jsonResponse('What went live and what was refused', Type.Ref('DefinitionsReload')), ...problems(authenticated, 'AUTH_FORBIDDEN', 'ROUTE_NOT_FOUND') };

  app.post('/v1/admin/definitions/reload', {
    schema: {
      tags: ['admin'],
      operationId: 'reloadDefinitions',
      summary: 'Re-read the definitions folder: valid files go live, invalid ones are refused (admin)',
      security: bearerSecurity,
      response: responses,
    },
  }, async (request) => report(await (await reloader(request)).reload()));

  app.get('/v1/admin/definitions/reload', {
    schema: {
      tags: ['admin'],
      operationId: 'getLastDefinitionsReload',
      summary: 'The result of the last reload (admin)',
      security: bearerSecurity,
      response: responses,
    },
  }, async (request) => report((await reloader(request)).last()));
}
