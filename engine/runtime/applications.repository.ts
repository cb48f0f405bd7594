import { CompiledQuery, type Selectable } from 'kysely';
import type { ApplicationsTable } from './database-schema.ts';
import type { EngineDeps } from './engine-deps.ts';

export type ApplicationRow = Selectable<ApplicationsTable>;

// Written out once rather than built per call: this read runs before every event.
const selectApplicationSql = 'select * from "applications" where "id" = $1';

/** The application with this id; undefined when there is none or `id` is not a UUID. */
export async function findApplicationRow(deps: Pick<EngineDeps, 'db'>, id: string): Promise<ApplicationRow | undefined> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return undefined;
  const { rows } = await deps.db.executeQuery<ApplicationRow>(CompiledQuery.raw(selectApplicationSql, [id]));
  return rows[0];
}
