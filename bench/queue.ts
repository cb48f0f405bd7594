// The review queue at scale: pages and per-state counts of GET /v1/review/applications over a large
// applications table on PostgreSQL, through the engine's own query functions. The baseline is the same
// deep page fetched with OFFSET (what keyset pagination avoids), measured in the same run.
import { performance } from 'node:perf_hooks';
import { sql, type Kysely } from 'kysely';
import { countByState, listApplications, type ApplicationFilter, type Database } from '../engine/index.ts';
import { median } from './load.ts';

export interface QueueCase {
  readonly name: string;
  readonly filter: ApplicationFilter;
  readonly matching: number;
  readonly firstPageMs: number;
  readonly deepPageMs: number;
  readonly offsetDeepPageMs: number;
  readonly countsMs: number;
}

const PAGE = 20;
const REPEAT = 15;

// Shares chosen so every filter combination meets both common and rare values.
const registrars = [
  { id: 'queue-big', share: 0.7 },
  { id: 'queue-mid', share: 0.25 },
  { id: 'queue-small', share: 0.05 },
];

/**
 * Fills `applications` with `rows` synthetic rows (4 qualifications per registrar, the last one rare;
 * 3 procedures; 5 states) in one INSERT … SELECT, then VACUUM ANALYZE as autovacuum eventually would.
 */
export async function fillQueue(db: Kysely<Database>, rows: number): Promise<void> {
  await sql`INSERT INTO definitions (hash, qualification_id, procedure, compiler_version, spec, created_at)
    VALUES ('bench-queue', 'queue', 'registration', 'bench', '{}'::jsonb, now()) ON CONFLICT DO NOTHING`.execute(db);
  await sql`
    INSERT INTO applications (id, qualification_id, procedure, definition_hash, registrar_id, applicant_id, state, snapshot, data, version, last_event_hash, created_at, updated_at)
    SELECT gen_random_uuid(),
      r || '-q' || (CASE WHEN u2 < 0.01 THEN 3 ELSE floor(u2 * 3)::int END),
      CASE WHEN u3 < 0.6 THEN 'registration' WHEN u3 < 0.97 THEN 'change' ELSE 'reissue' END,
      'bench-queue', r, 'applicant-' || (i % 200000),
      CASE WHEN u4 < 0.3 THEN 'draft' WHEN u4 < 0.5 THEN 'underReview' WHEN u4 < 0.55 THEN 'correctionRequested' WHEN u4 < 0.95 THEN 'registered' ELSE 'withdrawn' END,
      '{"value":"draft","context":{}}'::jsonb, '{"familyName":"山田"}'::jsonb, 1, 'x',
      timestamptz '2026-01-01 00:00:00+00' + i * interval '20 seconds', timestamptz '2026-01-01 00:00:00+00' + i * interval '20 seconds'
    FROM (
      SELECT i, random() AS u2, random() AS u3, random() AS u4,
        CASE WHEN random() < ${registrars[0]!.share} THEN ${registrars[0]!.id} WHEN random() < ${registrars[1]!.share / (1 - registrars[0]!.share)} THEN ${registrars[1]!.id} ELSE ${registrars[2]!.id} END AS r
      FROM generate_series(1, ${rows}::int) AS i
    ) AS g`.execute(db);
  await sql`VACUUM ANALYZE applications`.execute(db);
}

const cases: { name: string; filter: ApplicationFilter }[] = [
  { name: 'registrar', filter: { registrarId: 'queue-big' } },
  { name: 'registrar + state', filter: { registrarId: 'queue-big', state: 'underReview' } },
  { name: 'registrar + rare qualification', filter: { registrarId: 'queue-big', qualificationId: 'queue-big-q3' } },
  { name: 'registrar + qualification + state', filter: { registrarId: 'queue-big', qualificationId: 'queue-big-q0', state: 'correctionRequested' } },
  { name: 'registrar + rare procedure', filter: { registrarId: 'queue-big', procedure: 'reissue' } },
  { name: 'small registrar + all filters', filter: { registrarId: 'queue-small', qualificationId: 'queue-small-q1', procedure: 'change', state: 'underReview' } },
];

async function timeMs(fn: () => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return median(samples);
}

const where = (f: ApplicationFilter) =>
  sql.join(
    [
      sql`registrar_id = ${f.registrarId}`,
      ...(f.qualificationId ? [sql`qualification_id = ${f.qualificationId}`] : []),
      ...(f.procedure ? [sql`procedure = ${f.procedure}`] : []),
      ...(f.state ? [sql`state = ${f.state}`] : []),
    ],
    sql` AND `,
  );

/** Median latencies per filter: first page, a page 99 % of the way in (keyset and OFFSET), counts. */
export async function measureQueue(db: Kysely<Database>): Promise<QueueCase[]> {
  const results: QueueCase[] = [];
  for (const c of cases) {
    const matching = Number((await sql<{ n: string }>`SELECT count(*) AS n FROM applications WHERE ${where(c.filter)}`.execute(db)).rows[0]!.n);
    const deepOffset = Math.max(0, Math.floor(matching * 0.99) - 1);
    // The cursor a client would hold after paging to 99 %: the row just before the deep page.
    const before = (await sql<{ created_at: Date; id: string }>`SELECT created_at, id FROM applications WHERE ${where(c.filter)} ORDER BY created_at, id OFFSET ${deepOffset} LIMIT 1`.execute(db)).rows[0]!;
    const cursor = Buffer.from(JSON.stringify([new Date(before.created_at).toISOString(), before.id])).toString('base64url');
    const firstPageMs = await timeMs(() => listApplications(db, c.filter, { limit: PAGE }));
    const deepPageMs = await timeMs(() => listApplications(db, c.filter, { limit: PAGE, cursor }));
    const offsetDeepPageMs = await timeMs(() => sql`SELECT * FROM applications WHERE ${where(c.filter)} ORDER BY created_at, id OFFSET ${deepOffset + 1} LIMIT ${PAGE + 1}`.execute(db));
    const countsMs = await timeMs(() => countByState(db, c.filter));
    results.push({ name: c.name, filter: c.filter, matching, firstPageMs, deepPageMs, offsetDeepPageMs, countsMs });
  }
  return results;
}
