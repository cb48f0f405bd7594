import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { createAuthenticator } from '../../api/authenticate.ts';
import { buildServer } from '../../api/build-server.ts';
import { loadDevIssuer } from '../../api/dev-issuer.ts';
import type { RateLimits } from '../../api/rate-limits.plugin.ts';
import { createDefinitionsReloader, createManualClock, type DatabaseKind, type EngineDeps, type Role } from '../../engine/index.ts';
import { createTestDatabase, type TestDatabase } from './test-database.ts';
import { fixtureDefinitions, fixtureDefinitionsDir } from './fixture-definitions.ts';

export interface TestServer {
  readonly app: FastifyInstance;
  readonly engine: EngineDeps;
  readonly database: TestDatabase;
  readonly clock: ReturnType<typeof createManualClock>;
  /** The definitions folder the server reloads (`POST /v1/admin/definitions/reload`); tests may edit it. */
  readonly definitionsDir: string;
  token(claims: { sub: string; role: Role; registrar?: string }): Promise<string>;
  close(): Promise<void>;
}

/** One parsed pino line: `level`, `time`, `reqId`, `msg` and the logged fields. */
export type LogLine = Record<string, unknown>;

export interface TestServerOptions {
  /** Collects every log line at `info` and above, parsed; without it the server logs nothing. */
  readonly logSink?: LogLine[];
  /** Default: the server's defaults. Suites that send many requests from one caller raise them. */
  readonly rateLimits?: RateLimits;
}

/** A server on a fresh database with the fixture definitions, a manual clock and a dev issuer. */
export async function createTestServer(kind: DatabaseKind, options: TestServerOptions = {}): Promise<TestServer> {
  const database = await createTestDatabase(kind);
  const clock = createManualClock(new Date('2026-12-01T01:00:00Z'));
  const definitionsDir = fixtureDefinitionsDir();
  const definitions = await fixtureDefinitions(definitionsDir);
  const engine: EngineDeps = { db: database.db, definitions, clock };
  await definitions.persist(database.db, clock.now());
  const issuer = await loadDevIssuer(join(mkdtempSync(join(tmpdir(), 'shikaku-key-')), 'dev-issuer.json'));
  const app = await buildServer({
    engine,
    authenticate: createAuthenticator([issuer.trusted]),
    ready: async () => (await sql`SELECT 1`.execute(database.db), true),
    reloader: createDefinitionsReloader(engine, definitionsDir),
    ...(options.rateLimits ? { rateLimits: options.rateLimits } : {}),
    ...(options.logSink ? { logger: { level: 'info', stream: lineCollector(options.logSink) } } : {}),
  });
  return {
    app,
    engine,
    database,
    clock,
    definitionsDir,
    token: (claims) => issuer.mint(claims),
    async close() {
      await app.close();
      await database.drop();
    },
  };
}

// pino writes one JSON document per line, synchronously, to anything with `write`.
function lineCollector(sink: LogLine[]): { write(chunk: string): void } {
  return {
    write(chunk) {
      for (const line of chunk.split('\n')) if (line.trim()) sink.push(JSON.parse(line) as LogLine);
    },
  };
}
