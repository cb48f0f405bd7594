import { sql, type Kysely } from 'kysely';
import { ShikakuError } from '../errors.ts';
import type { ApplicationRow } from './applications.repository.ts';
import type { Database } from './database-schema.ts';

export interface ApplicationFilter {
  readonly applicantId?: string | undefined;
  readonly registrarId?: string | undefined;
  readonly qualificationId?: string | undefined;
  readonly procedure?: string | undefined;
  readonly state?: string | undefined;
}

export interface ApplicationPage {
  readonly items: ApplicationRow[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  readonly nextCursor: string | null;
}

const encodeCursor = (row: ApplicationRow) => Buffer.from(JSON.stringify([new Date(row.created_at).toISOString(), row.id])).toString('base64url');

function decodeCursor(cursor: string): [string, string] {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof createdAt === 'string' && !Number.isNaN(Date.parse(createdAt)) && typeof id === 'string' && /^[0-9a-f-]{36}$/.test(id)) return [createdAt, id];
  } catch {
    // Falls through to the coded error below.
  }
  throw new ShikakuError('REQUEST_INVALID', 'the cursor is not one this API returned');
}

/**
 * One page of applications matching `filter`, in a stable order (created, then id): keyset pagination,
 * so a page costs the same at row 1,000,000 as at row 1. `newestFirst` for applicants' own lists.
 */
export async function listApplications(
  db: Kysely<Database>,
  filter: ApplicationFilter,
  page: { limit: number; cursor?: string | undefined; newestFirst?: boolean },
): Promise<ApplicationPage> {
  const after = page.cursor ? decodeCursor(page.cursor) : undefined;
  const rows = await db
    .selectFrom('applications')
    .selectAll()
    .$if(filter.applicantId !== undefined, (q) => q.where('applicant_id', '=', filter.applicantId!))
    .$if(filter.registrarId !== undefined, (q) => q.where('registrar_id', '=', filter.registrarId!))
    .$if(filter.qualificationId !== undefined, (q) => q.where('qualification_id', '=', filter.qualificationId!))
    .$if(filter.procedure !== undefined, (q) => q.where('procedure', '=', filter.procedure!))
    .$if(filter.state !== undefined, (q) => q.where('state', '=', filter.state!))
    .$if(after !== undefined, (q) =>
      q.where(page.newestFirst ? sql<boolean>`(created_at, id) < (${after![0]}::timestamptz, ${after![1]}::uuid)` : sql<boolean>`(created_at, id) > (${after![0]}::timestamptz, ${after![1]}::uuid)`),
    )
    .orderBy('created_at', page.newestFirst ? 'desc' : 'asc')
    .orderBy('id', page.newestFirst ? 'desc' : 'asc')
    .limit(page.limit + 1)
    .execute();
  const items = rows.slice(0, page.limit);
  return { items, nextCursor: rows.length > page.limit ? encodeCursor(items.at(-1)!) : null };
}

/** How many applications match `filter` (ignoring its state), per state. */
export async function countByState(db: Kysely<Database>, filter: ApplicationFilter): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('applications')
    .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
    .$if(filter.applicantId !== undefined, (q) => q.where('applicant_id', '=', filter.applicantId!))
    .$if(filter.registrarId !== undefined, (q) => q.where('registrar_id', '=', filter.registrarId!))
    .$if(filter.qualificationId !== undefined, (q) => q.where('qualification_id', '=', filter.qualificationId!))
    .$if(filter.procedure !== undefined, (q) => q.where('procedure', '=', filter.procedure!))
    .groupBy('state')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
}
