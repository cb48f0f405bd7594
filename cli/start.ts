import { sql } from 'kysely';
import { pino } from 'pino';
import { createAuthenticator } from '../api/authenticate.ts';
import { buildServer } from '../api/build-server.ts';
import { createMetrics } from '../api/metrics.plugin.ts';
import {
  createDefinitionsReloader,
  DefinitionStore,
  formatProblem,
  loadDefinitions,
  migrateToLatest,
  openDatabase,
  ShikakuError,
  startWorker,
  systemClock,
  type EngineDeps,
  type OpenDatabase,
} from '../engine/index.ts';
import { workerHandlers } from './certificate-issuing.ts';
import { certificateTokens } from './certificate-keys.ts';
import type { Config } from './config.ts';
import { trustedIssuers } from './trusted-issuers.ts';

/** Loads definitions or fails with every problem, formatted as `shikaku validate` prints them. */
export async function loadDefinitionStore(config: Config): Promise<DefinitionStore> {
  const loaded = await loadDefinitions(config.definitionsDir);
  if (loaded.problems.length > 0) {
    throw new ShikakuError('DEFINITIONS_INVALID', `${loaded.problems.length} definition problem(s):\n${loaded.problems.map(formatProblem).join('\n')}`);
  }
  return new DefinitionStore(loaded.qualifications);
}

/** Opens and migrates the database, and stores the definitions' specs under their hashes. */
export async function openEngine(config: Config, definitions: DefinitionStore): Promise<{ engine: EngineDeps; database: OpenDatabase }> {
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await migrateToLatest(database.db);
    const engine: EngineDeps = { db: database.db, definitions, clock: systemClock };
    const reused = await definitions.persist(database.db, systemClock.now());
    if (reused.length > 0) throw new ShikakuError('DEFINITIONS_INVALID', `${reused.length} definition problem(s):\n${reused.map(formatProblem).join('\n')}`);
    return { engine, database };
  } catch (error) {
    await database.close();
    throw error;
  }
}

/** `shikaku serve`: API plus an in-process worker, until SIGINT/SIGTERM. */
export async function serve(config: Config, options: { worker: boolean }): Promise<void> {
  const logger = pino({ level: config.logLevel });
  const definitions = await loadDefinitionStore(config);
  const issuers = await trustedIssuers(config);
  // Certificate QR tokens: verified by /v1/verify, published at /.well-known/jwks.json.
  const tokens = await certificateTokens(config);
  const { engine, database } = await openEngine(config, definitions);
  const reloader = createDefinitionsReloader(engine, config.definitionsDir);
  const metrics = config.metricsToken ? { token: config.metricsToken, collector: createMetrics() } : undefined;
  const app = await buildServer({
    engine,
    authenticate: createAuthenticator(issuers),
    ready: async () => (await sql`SELECT 1`.execute(engine.db), true),
    logger: { level: config.logLevel },
    rateLimits: config.rateLimits,
    reloader,
    certificateTokens: tokens,
    ...(metrics ? { metrics } : {}),
  });
  // The server counts the events it applies; the worker's timer events go into the same registry.
  const workerEngine: EngineDeps = metrics ? { ...engine, onTransition: metrics.collector.countTransition } : engine;
  const worker = options.worker
    ? startWorker(workerEngine, { intervalMs: config.workerIntervalMs, handlers: await workerHandlers(config, workerEngine, tokens), onError: (err) => logger.error({ err }, 'worker round failed') })
    : undefined;
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    await app.close();
    await worker?.stop();
    await database.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  // SIGHUP re-reads the definitions folder: valid files go live, invalid ones are logged and refused.
  process.on('SIGHUP', () => void reloader.reload().then(
    (r) => logger[r.problems.length > 0 ? 'warn' : 'info']({ applied: r.applied, problems: r.problems.map(formatProblem) }, 'definitions reloaded'),
    (err: unknown) => logger.error({ err }, 'definitions reload failed'),
  ));
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    await worker?.stop();
    await database.close();
    throw error;
  }
  logger.info({ database: database.kind, qualifications: definitions.qualifications.size }, `shikaku serving on http://${config.host}:${config.port}`);
}

/** `shikaku worker`: timers and outbox only, for scaling out against PostgreSQL. */
export async function work(config: Config): Promise<void> {
  const logger = pino({ level: config.logLevel });
  const definitions = await loadDefinitionStore(config);
  const { engine, database } = await openEngine(config, definitions);
  const tokens = await certificateTokens(config);
  const worker = startWorker(engine, { intervalMs: config.workerIntervalMs, handlers: await workerHandlers(config, engine, tokens), onError: (err) => logger.error({ err }, 'worker round failed') });
  const stop = async () => {
    await worker.stop();
    await database.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  logger.info({ database: database.kind }, 'shikaku worker running');
}
