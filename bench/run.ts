// `npm run bench`: engine transition throughput against a same-work raw-SQL baseline, on PostgreSQL and
// on embedded PGlite, measured in one run so the ratios carry over between machines. See bench/README.md.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import {
  createPostgresPool,
  hashEvent,
  migrateToLatest,
  pgliteKysely,
  pgliteOptions,
  systemClock,
  type Database,
  type DefinitionStore,
  type EngineDeps,
} from '../engine/index.ts';
import { benchDefinitions } from './bench-definitions.ts';
import { benchCertificates, type CertificateBenchResult } from './certificates.ts';
import { median, runLoad, type LoadResult } from './load.ts';
import { startHttpTarget } from './http.ts';
import { fillQueue, measureQueue, type QueueCase } from './queue.ts';
import { measureDefinitionLoad, residentMiB, type DefinitionLoad } from './startup.ts';
import {
  baselineTransition,
  createApplications,
  engineTransition,
  SELECT_APPLICATION_SQL,
  transitionShape,
  type RawQuery,
} from './workload.ts';

const root = join(import.meta.dirname, '..');
const envNumber = (name: string, fallback: number) => {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};

const config = {
  callers: 4,
  rowsPerCaller: envNumber('BENCH_ROWS_PER_CALLER', 200),
  rounds: 4,
  warmupMs: envNumber('BENCH_WARMUP_SECONDS', 1) * 1000,
  postgresMs: envNumber('BENCH_SECONDS', 6) * 1000,
  pgliteMs: envNumber('BENCH_PGLITE_SECONDS', envNumber('BENCH_SECONDS', 5)) * 1000,
  queueRows: envNumber('BENCH_QUEUE_ROWS', 1_000_000),
  // Issue 5: rendering windows per variant, autocannon runs per HTTP target, and the load on /v1/verify.
  certificates: process.env.BENCH_SKIP_CERTIFICATES !== '1',
  certificateMs: envNumber('BENCH_CERT_SECONDS', 3) * 1000,
  verifySeconds: envNumber('BENCH_VERIFY_SECONDS', 3),
  verifyConnections: 32,
};

const targets = {
  postgresRatio: 0.9,
  // Full steps over real HTTP (JWT verification, schemas, GET + POST) against raw transitions.
  httpRatio: 0.4,
  pgliteRatio: 0.85,
  p99OverP50: 4,
  snapshotBytes: 1024,
  // Keyset pagination: a page 99 % of the way into the queue costs about what the first page does.
  queueDeepOverFirst: 2,
  // Issue 4: all definitions load, validate and compile in a second; `serve` on PostgreSQL stays small.
  definitionLoadMs: 1000,
  serveRssMiB: 250,
  // Issue 5 / notes §5 target 4: signing costs at most 15 %; twice the naive pdf-lib render; small files.
  signedOverUnsigned: 0.85,
  signedOverNaive: 2,
  certificateBytes: 45_000,
  // Notes §5 target 3: framework layers cost at most 10 % over the bare route, and a fifth of hello-world.
  verifyOverBare: 0.9,
  verifyOverHello: 0.2,
  verifyP99Ms: 10,
  // api/certificate-status-cache.ts: a status change shows within the cache's 2 s.
  statusVisibleMs: 2000,
};

const adminUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const log = (line: string) => console.log(line);
const describe = (r: LoadResult) => `${fmt(r.txPerSec).padStart(6)} tx/s  p50 ${fmt(r.p50Ms, 2)} ms  p99 ${fmt(r.p99Ms, 2)} ms  (${r.ops} ops)`;
const normalise = (text: string) => text.replace(/\s+/g, ' ').trim();

interface PairResult {
  readonly rounds: { engine: LoadResult; baseline: LoadResult; ratio: number }[];
  readonly engineTxPerSec: number;
  readonly baselineTxPerSec: number;
  readonly ratio: number;
  readonly engineP50Ms: number;
  readonly engineP99Ms: number;
  readonly baselineP50Ms: number;
  readonly baselineP99Ms: number;
  readonly snapshotBytes: number;
}

/** Splits `ids` into one disjoint slice per caller, so callers never contend on a row. */
const slices = (ids: readonly string[]) => Array.from({ length: config.callers }, (_, c) => ids.slice(c * config.rowsPerCaller, (c + 1) * config.rowsPerCaller));

/**
 * Rounds in ABBA order (engine first, then baseline first, ...), so neither side always runs in the
 * first, colder window; the ratio is the median of the per-round ratios, as in the baselines notes.
 */
async function measurePair(
  label: string,
  ids: readonly string[] | { engine: readonly string[]; baseline: readonly string[] },
  engineOp: (id: string) => Promise<void>,
  baselineOp: (id: string) => Promise<void>,
  durationMs: number,
  db: Kysely<Database>,
): Promise<PairResult> {
  const { engine: engineIds, baseline: baselineIds } = 'engine' in ids ? ids : { engine: ids, baseline: ids };
  const rounds: PairResult['rounds'] = [];
  for (let r = 1; r <= config.rounds; r++) {
    const engineFirst = r % 4 === 1 || r % 4 === 0;
    const measure = async (side: 'engine' | 'baseline') => {
      const result = await runLoad(slices(side === 'engine' ? engineIds : baselineIds), side === 'engine' ? engineOp : baselineOp, config.warmupMs, durationMs);
      log(`[${label}] round ${r} ${side.padEnd(8)} ${describe(result)}`);
      return result;
    };
    const first = await measure(engineFirst ? 'engine' : 'baseline');
    const second = await measure(engineFirst ? 'baseline' : 'engine');
    const [engine, baseline] = engineFirst ? [first, second] : [second, first];
    rounds.push({ engine, baseline, ratio: engine.txPerSec / baseline.txPerSec });
  }
  await checkConsistency(label, db, [...new Set([...engineIds, ...baselineIds])]);
  const { rows } = await sql<{ bytes: number | null }>`SELECT max(octet_length(snapshot::text))::int AS bytes FROM applications`.execute(db);
  const engineTxPerSec = median(rounds.map((r) => r.engine.txPerSec));
  const baselineTxPerSec = median(rounds.map((r) => r.baseline.txPerSec));
  return {
    rounds,
    engineTxPerSec,
    baselineTxPerSec,
    ratio: median(rounds.map((r) => r.ratio)),
    engineP50Ms: median(rounds.map((r) => r.engine.p50Ms)),
    engineP99Ms: median(rounds.map((r) => r.engine.p99Ms)),
    baselineP50Ms: median(rounds.map((r) => r.baseline.p50Ms)),
    baselineP99Ms: median(rounds.map((r) => r.baseline.p99Ms)),
    snapshotBytes: Number(rows[0]?.bytes ?? 0),
  };
}

/**
 * After both loops: every application's version equals its history length, and for a sample the
 * hash chain (written alternately by engine and baseline) verifies with the engine's hashEvent —
 * evidence that the baseline wrote exactly what the engine writes.
 */
async function checkConsistency(label: string, db: Kysely<Database>, ids: readonly string[]): Promise<void> {
  const { rows: bad } = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM applications a
    WHERE a.version <> (SELECT count(*) FROM application_events e WHERE e.application_id = a.id)`.execute(db);
  if (Number(bad[0]?.n) !== 0) throw new Error(`[${label}] ${bad[0]?.n} applications have a version that does not match their history`);
  for (const id of [ids[0]!, ids[Math.floor(ids.length / 2)]!, ids[ids.length - 1]!]) {
    const events = await db.selectFrom('application_events').selectAll().where('application_id', '=', id).orderBy('seq').execute();
    const app = await db.selectFrom('applications').select(['last_event_hash', 'version']).where('id', '=', id).executeTakeFirstOrThrow();
    let prev = events[0]?.prev_hash;
    for (const e of events) {
      const fields: Parameters<typeof hashEvent>[1] = {
        applicationId: id, seq: e.seq, type: e.type, actorId: e.actor_id, actorRole: e.actor_role,
        fromState: e.from_state, toState: e.to_state, payload: e.payload as Record<string, unknown>, occurredAt: new Date(e.occurred_at),
      };
      const expected = hashEvent(e.prev_hash, fields);
      if (e.prev_hash !== prev || e.hash !== expected) throw new Error(`[${label}] hash chain broken at ${id} seq ${e.seq}`);
      prev = e.hash;
    }
    if (app.last_event_hash !== prev || app.version !== events.length) throw new Error(`[${label}] application ${id} does not end its chain`);
  }
  log(`[${label}] consistency: versions match history; sampled hash chains verify`);
}

/**
 * Runs one full cycle through the engine with a logging kysely and checks that the baseline issues
 * the same SELECT and the same CTE text. Reports every statement the engine sent per transition.
 */
async function inspectEngineStatements(
  deps: EngineDeps,
  loggingDb: Kysely<Database>,
  captured: { sql: string; parameters: readonly unknown[] }[],
): Promise<{ fromState: string; statements: string[] }[]> {
  const [id] = await createApplications(deps, 1, 1);
  const perTransition: { fromState: string; statements: string[] }[] = [];
  for (let i = 0; i < 3; i++) {
    const before = await deps.db.selectFrom('applications').select('state').where('id', '=', id!).executeTakeFirstOrThrow();
    captured.length = 0;
    await engineTransition({ ...deps, db: loggingDb }, id!);
    const statements = captured.map((q) => normalise(q.sql));
    const write = captured.find((q) => normalise(q.sql).startsWith('WITH upd AS'));
    if (statements[0] !== SELECT_APPLICATION_SQL) throw new Error(`baseline out of date: the engine's first statement is \`${statements[0]}\``);
    // The baseline builds its write with the engine's transitionStatement(), so only its shape can drift.
    if (!write || statements.at(-1) !== normalise(write.sql)) throw new Error(`baseline out of date: the engine's last statement from ${before.state} is not its transition write`);
    perTransition.push({ fromState: before.state, statements });
  }
  return perTransition;
}

async function benchPostgres(definitions: DefinitionStore, definitionsDir: string) {
  const name = `shikaku_bench_${randomBytes(6).toString('hex')}`;
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const { rows: versionRows } = await admin.query<{ v: string }>('SELECT current_setting($1) AS v', ['server_version']);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  log(`[postgres] created database ${name} (server ${versionRows[0]?.v}) on ${url.host}`);

  const enginePool = createPostgresPool(url.toString(), config.callers);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: enginePool }) });
  const inspectPool = createPostgresPool(url.toString(), 1);
  const captured: { sql: string; parameters: readonly unknown[] }[] = [];
  const loggingDb = new Kysely<Database>({ dialect: new PostgresDialect({ pool: inspectPool }), log: (event) => void captured.push(event.query) });
  const baselinePool = new pg.Pool({ connectionString: url.toString(), max: config.callers });
  // DROP … WITH (FORCE) at the end terminates any connection still closing; that is not a failure.
  for (const pool of [enginePool, inspectPool, baselinePool]) pool.on('error', () => undefined);
  try {
    await migrateToLatest(db);
    await definitions.persist(db, systemClock.now());
    const deps: EngineDeps = { db, definitions, clock: systemClock };

    const statements = await inspectEngineStatements(deps, loggingDb, captured);
    for (const s of statements) log(`[postgres] engine statements from ${s.fromState}: ${s.statements.length} — ${s.statements.map((t) => t.slice(0, 60)).join(' | ')}`);

    const t0 = performance.now();
    const ids = await createApplications(deps, config.callers * config.rowsPerCaller);
    log(`[postgres] created ${ids.length} applications in ${fmt((performance.now() - t0) / 1000, 1)} s`);

    const query: RawQuery = (text, params) => baselinePool.query(text, params);
    const pair = await measurePair('postgres', ids, (id) => engineTransition(deps, id), (id) => baselineTransition(query, id), config.postgresMs, db);
    // The HTTP client keeps the ETag of its last response, so it needs rows the baseline does not move.
    const httpIds = await createApplications(deps, config.callers * config.rowsPerCaller);
    const target = await startHttpTarget(root, url.toString(), definitionsDir);
    let http: PairResult;
    try {
      // A fresh process runs cold (module loading, JIT); the in-process engine was warmed by the pair before.
      await runLoad(slices(httpIds), (id) => target.transition(id), 0, config.postgresMs);
      log(`[http] shikaku serve (own process) on ${target.url}; each step is one POST event with If-Match from the previous response, ${config.callers} keep-alive clients`);
      http = await measurePair('http', { engine: httpIds, baseline: ids }, (id) => target.transition(id), (id) => baselineTransition(query, id), config.postgresMs, db);
    } finally {
      await target.close();
    }
    // `shikaku serve` with the real definitions, on this database, as an operator would start it.
    const real = await startHttpTarget(root, url.toString(), join(root, 'definitions'));
    let serve: { rssMiB: number; readyAfterMs: number };
    try {
      serve = { rssMiB: residentMiB(real.pid), readyAfterMs: real.readyAfterMs };
      log(`[serve] real definitions on PostgreSQL: ready after ${fmt(serve.readyAfterMs)} ms, RSS ${fmt(serve.rssMiB, 1)} MiB`);
    } finally {
      await real.close();
    }

    const t1 = performance.now();
    await fillQueue(db, config.queueRows);
    log(`[queue] ${fmt(config.queueRows)} more applications in ${fmt((performance.now() - t1) / 1000, 1)} s (VACUUM ANALYZE included)`);
    const queue = await measureQueue(db);
    for (const q of queue) {
      log(`[queue] ${q.name.padEnd(34)} ${fmt(q.matching).padStart(9)} rows  first ${fmt(q.firstPageMs, 2)} ms  at 99 % ${fmt(q.deepPageMs, 2)} ms (OFFSET ${fmt(q.offsetDeepPageMs, 1)} ms)  counts ${fmt(q.countsMs, 1)} ms`);
    }
    return { database: name, serverVersion: versionRows[0]?.v, statementsPerTransition: statements, ...pair, http, queue, serve };
  } finally {
    await Promise.allSettled([db.destroy(), loggingDb.destroy(), baselinePool.end()]);
    const dropper = new pg.Client({ connectionString: adminUrl });
    await dropper.connect();
    await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await dropper.end();
    log(`[postgres] dropped database ${name}`);
  }
}

async function benchPglite(definitions: DefinitionStore) {
  const t0 = performance.now();
  const pglite = await PGlite.create('memory://', pgliteOptions);
  const db = pgliteKysely(pglite);
  try {
    await migrateToLatest(db);
    await definitions.persist(db, systemClock.now());
    const deps: EngineDeps = { db, definitions, clock: systemClock };
    const ids = await createApplications(deps, config.callers * config.rowsPerCaller);
    log(`[pglite] in-memory instance ready with ${ids.length} applications in ${fmt((performance.now() - t0) / 1000, 1)} s`);
    const query: RawQuery = (text, params) => pglite.query<Record<string, unknown>>(text, params);
    const pair = await measurePair('pglite', ids, (id) => engineTransition(deps, id), (id) => baselineTransition(query, id), config.pgliteMs, db);
    return { version: packageVersion('@electric-sql/pglite'), ...pair };
  } finally {
    await db.destroy();
  }
}

function packageVersion(name: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

interface Check {
  readonly name: string;
  readonly value: string;
  readonly target: string;
  readonly status: 'PASS' | 'FAIL' | 'info';
}

function checksFor(label: string, pair: PairResult, ratioTarget: number, latencyTarget: boolean): Check[] {
  const p99Limit = targets.p99OverP50 * pair.engineP50Ms;
  return [
    { name: `${label} engine throughput`, value: `${fmt(pair.engineTxPerSec)} tx/s`, target: '—', status: 'info' },
    { name: `${label} baseline throughput`, value: `${fmt(pair.baselineTxPerSec)} tx/s`, target: '—', status: 'info' },
    { name: `${label} engine / baseline`, value: fmt(pair.ratio, 3), target: `≥ ${fmt(ratioTarget, 2)}`, status: pair.ratio >= ratioTarget ? 'PASS' : 'FAIL' },
    { name: `${label} engine p50 latency`, value: `${fmt(pair.engineP50Ms, 2)} ms`, target: '—', status: 'info' },
    {
      name: `${label} engine p99 latency`,
      value: `${fmt(pair.engineP99Ms, 2)} ms (${fmt(pair.engineP99Ms / pair.engineP50Ms, 2)}× p50)`,
      target: `≤ 4× p50 (${fmt(p99Limit, 2)} ms)`,
      status: latencyTarget ? (pair.engineP99Ms <= p99Limit ? 'PASS' : 'FAIL') : 'info',
    },
    { name: `${label} baseline p50 / p99`, value: `${fmt(pair.baselineP50Ms, 2)} / ${fmt(pair.baselineP99Ms, 2)} ms`, target: '—', status: 'info' },
    { name: `${label} max snapshot size`, value: `${pair.snapshotBytes} B`, target: `≤ ${targets.snapshotBytes} B`, status: pair.snapshotBytes <= targets.snapshotBytes ? 'PASS' : 'FAIL' },
  ];
}

function queueChecks(queue: readonly QueueCase[]): Check[] {
  const worst = <K extends keyof QueueCase>(key: K) => queue.reduce((a, b) => ((b[key] as number) > (a[key] as number) ? b : a));
  const ratio = (q: QueueCase) => q.deepPageMs / q.firstPageMs;
  const worstRatio = queue.reduce((a, b) => (ratio(b) > ratio(a) ? b : a));
  const rows = `${fmt(config.queueRows / 1e6, 1)}M`;
  return [
    { name: `review queue (${rows} rows) page at 99 % ÷ first page, worst filter`, value: `${fmt(ratio(worstRatio), 2)} (${worstRatio.name})`, target: `≤ ${targets.queueDeepOverFirst}`, status: ratio(worstRatio) <= targets.queueDeepOverFirst ? 'PASS' : 'FAIL' },
    { name: `review queue (${rows} rows) slowest page`, value: `${fmt(worst('deepPageMs').deepPageMs, 2)} ms`, target: '—', status: 'info' },
    { name: `review queue (${rows} rows) same page by OFFSET, slowest`, value: `${fmt(worst('offsetDeepPageMs').offsetDeepPageMs, 1)} ms`, target: '—', status: 'info' },
    { name: `review queue (${rows} rows) counts per state, slowest`, value: `${fmt(worst('countsMs').countsMs, 1)} ms (${worst('countsMs').name})`, target: '—', status: 'info' },
  ];
}

function startupChecks(load: DefinitionLoad, serve: { rssMiB: number; readyAfterMs: number }): Check[] {
  return [
    {
      name: `load + validate + compile ${load.qualifications} definitions (${load.procedures} procedures), first in process`,
      value: `${fmt(load.coldMs)} ms`,
      target: `≤ ${fmt(targets.definitionLoadMs)} ms`,
      status: load.coldMs <= targets.definitionLoadMs ? 'PASS' : 'FAIL',
    },
    { name: 'the same, warm', value: `${fmt(load.warmMs)} ms`, target: '—', status: 'info' },
    { name: 'shikaku serve on PostgreSQL, RSS once ready', value: `${fmt(serve.rssMiB, 1)} MiB`, target: `≤ ${targets.serveRssMiB} MiB`, status: serve.rssMiB <= targets.serveRssMiB ? 'PASS' : 'FAIL' },
    { name: 'shikaku serve on PostgreSQL, spawn to ready', value: `${fmt(serve.readyAfterMs)} ms`, target: '—', status: 'info' },
  ];
}

function certificateChecks(c: CertificateBenchResult): Check[] {
  const { render: r, verify: v } = c;
  const ms = (n: number) => `${fmt(n)} ms`;
  const cache = v.statusCache;
  return [
    { name: 'certificates rendered + signed (one core)', value: `${fmt(r.signedPerSec, 1)}/s (p50 ${fmt(r.signedMsPerCertificate, 1)} ms)`, target: '—', status: 'info' },
    { name: 'certificates rendered, unsigned', value: `${fmt(r.unsignedPerSec, 1)}/s (p50 ${fmt(r.unsignedMsPerCertificate, 1)} ms)`, target: '—', status: 'info' },
    { name: 'naive pdf-lib render (font parsed per PDF, QR as PNG)', value: `${fmt(r.naivePerSec, 1)}/s (p50 ${fmt(r.naiveMsPerCertificate, 1)} ms)`, target: '—', status: 'info' },
    { name: 'certificates signed ÷ unsigned', value: fmt(r.signedOverUnsigned, 3), target: `≥ ${fmt(targets.signedOverUnsigned, 2)}`, status: r.signedOverUnsigned >= targets.signedOverUnsigned ? 'PASS' : 'FAIL' },
    { name: 'certificates signed ÷ naive unsigned', value: `${fmt(r.signedOverNaive, 2)}×`, target: `≥ ${targets.signedOverNaive}×`, status: r.signedOverNaive >= targets.signedOverNaive ? 'PASS' : 'FAIL' },
    {
      name: 'bytes per signed certificate PDF, largest',
      value: `${fmt(r.signedBytes.max)} B (median ${fmt(r.signedBytes.median)})`,
      target: `≤ ${fmt(targets.certificateBytes)} B`,
      status: r.signedBytes.max <= targets.certificateBytes ? 'PASS' : 'FAIL',
    },
    {
      name: 'bytes per signed certificate PDF with a noisy 236×315 JPEG photo, largest',
      value: `${fmt(r.signedPhotoBytes)} B`,
      target: `≤ ${fmt(targets.certificateBytes)} B`,
      status: r.signedPhotoBytes <= targets.certificateBytes ? 'PASS' : 'FAIL',
    },
    { name: 'bytes per PDF, unsigned / naive (median)', value: `${fmt(r.unsignedBytes.median)} / ${fmt(r.naiveBytes.median)} B`, target: '—', status: 'info' },
    { name: `POST /v1/verify throughput (${v.connections} connections)`, value: `${fmt(v.verify.reqPerSec)} req/s`, target: '—', status: 'info' },
    { name: 'bare route (jose verify + pg row) throughput', value: `${fmt(v.bare.reqPerSec)} req/s`, target: '—', status: 'info' },
    { name: 'hello-world route throughput', value: `${fmt(v.hello.reqPerSec)} req/s`, target: '—', status: 'info' },
    { name: 'POST /v1/verify ÷ bare route', value: fmt(v.verifyOverBare, 3), target: `≥ ${fmt(targets.verifyOverBare, 2)}`, status: v.verifyOverBare >= targets.verifyOverBare ? 'PASS' : 'FAIL' },
    { name: 'POST /v1/verify ÷ hello-world', value: fmt(v.verifyOverHello, 3), target: `≥ ${fmt(targets.verifyOverHello, 2)}`, status: v.verifyOverHello >= targets.verifyOverHello ? 'PASS' : 'FAIL' },
    { name: 'POST /v1/verify p99 latency', value: ms(v.verify.p99Ms), target: `≤ ${targets.verifyP99Ms} ms`, status: v.verify.p99Ms <= targets.verifyP99Ms ? 'PASS' : 'FAIL' },
    { name: 'POST /v1/verify p50; bare p50 / p99; hello p50 / p99', value: `${ms(v.verify.p50Ms)}; ${fmt(v.bare.p50Ms)} / ${ms(v.bare.p99Ms)}; ${fmt(v.hello.p50Ms)} / ${ms(v.hello.p99Ms)}`, target: '—', status: 'info' },
    { name: 'bare route ÷ hello-world', value: fmt(v.bareOverHello, 3), target: '—', status: 'info' },
    {
      name: 'status cache: superseded shows on /v1/verify after',
      value: cache.visibleAfterMs === null ? 'never' : ms(cache.visibleAfterMs),
      target: `≤ ${fmt(targets.statusVisibleMs)} ms, never stale after`,
      status: cache.ok ? 'PASS' : 'FAIL',
    },
  ];
}

function printTable(checks: readonly Check[]): void {
  const header = { name: 'name', value: 'value', target: 'target', status: 'result' };
  const rows = [header, ...checks];
  const w = (key: keyof typeof header) => Math.max(...rows.map((r) => (key === 'status' ? r.status : r[key]).length));
  const widths = { name: w('name'), value: w('value'), target: w('target'), status: w('status') };
  const line = (r: { name: string; value: string; target: string; status: string }) =>
    `| ${r.name.padEnd(widths.name)} | ${r.value.padStart(widths.value)} | ${r.target.padEnd(widths.target)} | ${r.status.padEnd(widths.status)} |`;
  const rule = `|${'-'.repeat(widths.name + 2)}|${'-'.repeat(widths.value + 2)}|${'-'.repeat(widths.target + 2)}|${'-'.repeat(widths.status + 2)}|`;
  log(line(header));
  log(rule);
  for (const c of checks) log(line(c));
}

async function main(): Promise<void> {
  const started = performance.now();
  log(
    `shikaku bench — node ${process.version}, ${cpus().length} CPUs, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ` +
      `${config.callers} callers × ${config.rowsPerCaller} applications, ${config.rounds} alternating rounds, ` +
      `warm-up ${config.warmupMs / 1000} s, measure ${config.postgresMs / 1000} s (PostgreSQL) / ${config.pgliteMs / 1000} s (PGlite)`,
  );
  log('cycle: other-qual registration, draft -submit-> underReview -requestCorrection-> correctionRequested -resubmit-> underReview …');
  log(config.certificates
    ? `certificates: ${config.rounds} alternating rounds of ${config.certificateMs / 1000} s per rendering variant and ${config.verifySeconds} s per HTTP target (${config.verifyConnections} connections)`
    : 'certificates: skipped (BENCH_SKIP_CERTIFICATES=1)');
  // First, before anything else compiles the definition schemas in this process.
  const definitionLoad = await measureDefinitionLoad(root);
  log(`[definitions] ${definitionLoad.qualifications} qualifications, ${definitionLoad.procedures} procedures: first load ${fmt(definitionLoad.coldMs)} ms, then ${fmt(definitionLoad.warmMs)} ms`);
  if (definitionLoad.problems > 0) throw new Error(`bench: the real definitions have ${definitionLoad.problems} problem(s); run shikaku validate`);
  const { store: definitions, dir: definitionsDir } = await benchDefinitions(root);

  const postgres = await benchPostgres(definitions, definitionsDir);
  const pglite = await benchPglite(definitions);
  const certificates = config.certificates
    ? await benchCertificates({
      rounds: config.rounds, warmupMs: config.warmupMs, renderMs: config.certificateMs, httpSeconds: config.verifySeconds,
      connections: config.verifyConnections, adminUrl, definitions, definitionsDir,
    })
    : null;

  const checks = [
    ...checksFor('PostgreSQL', postgres, targets.postgresRatio, true),
    ...checksFor('HTTP API on PostgreSQL', postgres.http, targets.httpRatio, false),
    ...checksFor(`PGlite ${pglite.version ?? ''}`.trim(), pglite, targets.pgliteRatio, false),
    ...queueChecks(postgres.queue),
    ...startupChecks(definitionLoad, postgres.serve),
    ...(certificates ? certificateChecks(certificates) : []),
  ];
  const elapsed = (performance.now() - started) / 1000;
  log('');
  log(`Results (median of ${config.rounds} alternating rounds; ratio = median of the per-round engine ÷ baseline ratios; total ${fmt(elapsed, 1)} s)`);
  printTable(checks);
  const failed = checks.filter((c) => c.status === 'FAIL').length;
  log(failed === 0 ? 'All targets met.' : `${failed} target(s) missed (reported only; exit code stays 0).`);

  const dir = join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'latest.json');
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        generatedAt: new Date().toISOString(),
        environment: { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model, loadavg: loadavg(), pglite: pglite.version, postgresServer: postgres.serverVersion },
        config,
        targets,
        elapsedSeconds: elapsed,
        definitionLoad,
        postgres,
        pglite,
        certificates,
        checks,
      },
      null,
      2,
    )}\n`,
  );
  log(`wrote ${file}`);
  // A self-check, like the ones that throw above, but reported after the table so the run is not lost.
  if (certificates && !certificates.verify.statusCache.ok) {
    console.error(`bench failed: the certificate status cache self-check failed: ${certificates.verify.statusCache.problem}`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error('bench failed:', error);
  process.exitCode = 1;
});
