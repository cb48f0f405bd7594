import type { FastifyRequest } from 'fastify';
import { canReachApplication, findApplicationRow, ShikakuError, type Actor, type ApplicationRow, type EngineDeps } from '../engine/index.ts';
import { accessDenied } from './request-actor.ts';

/** An application's version as its ETag. */
export const etag = (version: number) => `"${version}"`;

/** The version in If-Match (`"3"`, `W/"3"` or `3`). @throws PRECONDITION_REQUIRED, REQUEST_INVALID */
export function ifMatchVersion(request: FastifyRequest): number {
  const header = request.headers['if-match'];
  if (header === undefined) throw new ShikakuError('PRECONDITION_REQUIRED', 'send If-Match with the version (ETag) you read');
  const m = /^(?:W\/)?"?(\d{1,9})"?$/.exec(String(header).trim());
  if (!m) throw new ShikakuError('REQUEST_INVALID', 'If-Match must be the ETag of the application, e.g. "3"');
  return Number(m[1]);
}

/** The application if `actor` reaches it; another party's answers exactly like a missing one. */
export async function reachableApplication(engine: EngineDeps, actor: Actor, id: string): Promise<ApplicationRow> {
  const row = await findApplicationRow(engine, id);
  if (row && canReachApplication(actor, row)) return row;
  const message = `application ${id} does not exist`;
  if (row) throw accessDenied('APPLICATION_NOT_FOUND', message, actor.role === 'applicant' ? 'not the applicant' : 'another registrar');
  throw new ShikakuError('APPLICATION_NOT_FOUND', message);
}
