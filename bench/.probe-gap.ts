import { randomBytes } from 'node:crypto';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { createPostgresPool, migrateToLatest, systemClock, type Database } from '../engine/index.ts';
import { fixtureDefinitions } from '../test/support/fixture-definitions.ts';
import { runLoad } from './load.ts';
import { baselineTransition, createApplications, engineTransition, type RawQuery } from './workload.ts';
const admin = 'postgres://postgres@127.0.0.1:5432/postgres';
const name = `shikaku_bench_${randomBytes(6).toString('hex')}`;
const c = new pg.Client(admin); await c.connect(); await c.query(`CREATE DATABASE ${name}`); await c.end();
const url = `postgres://postgres@127.0.0.1:5432/${name}`;
const pool = createPostgresPool(url, 4);
const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
const raw = new pg.Pool({ connectionString: url, max: 4 });
try {
  await migrateToLatest(db);
  const defs = await fixtureDefinitions();
  await defs.persist(db, new Date());
  const deps = { db, definitions: defs, clock: systemClock };
  const ids = await createApplications(deps, 800);
  const callers = [0, 1, 2, 3].map((i) => ids.slice(i * 200, (i + 1) * 200));
  const q2: RawQuery = (t, p) => raw.query(t, p);
  // raw with the extra facts SELECT the engine issues (kysely's text for findActiveEntryOfHolder)
  const q3: RawQuery = async (t, p) => {
    if (t.startsWith('select * from "applications"')) {
      const r = await raw.query(t, p);
      const row = r.rows[0];
      await raw.query('select * from "registry_entries" where "qualification_id" = $1 and "holder_id" = $2 and "status" = $3', [row.qualification_id, row.applicant_id, 'active']);
      return r;
    }
    return raw.query(t, p);
  };
  const dur = Number(process.env.D ?? 4000);
  for (let r = 0; r < 2; r++) {
    for (const [label, op] of [
      ['engine', (id: string) => engineTransition(deps, id)],
      ['raw 2 stmts', (id: string) => baselineTransition(q2, id)],
      ['raw 3 stmts', (id: string) => baselineTransition(q3, id)],
    ] as const) {
      const cpu0 = process.cpuUsage();
      const res = await runLoad(callers, op, 0, dur);
      const cpu = process.cpuUsage(cpu0);
      console.log(label.padEnd(12), res.txPerSec.toFixed(0), 'tx/s p50', res.p50Ms.toFixed(2), 'p99', res.p99Ms.toFixed(2), 'node CPU µs/op', ((cpu.user + cpu.system) / res.ops).toFixed(0), 'user', (cpu.user / res.ops).toFixed(0));
    }
  }
} finally {
  await db.destroy(); await raw.end();
  const d = new pg.Client(admin); await d.connect(); await d.query(`DROP DATABASE ${name} WITH (FORCE)`); await d.end();
}
