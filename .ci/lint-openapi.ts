// Validates the OpenAPI document the server generates against the OpenAPI 3.1 specification with
// @apidevtools/swagger-parser, outside the test suite. Exits non-zero on any error.
// Run: npx tsx .ci/lint-openapi.ts
import { join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { createAuthenticator } from '../api/authenticate.ts';
import { buildServer } from '../api/build-server.ts';
import { createMetrics } from '../api/metrics.plugin.ts';
import { DefinitionStore, formatProblem, loadDefinitions, systemClock, type Database } from '../engine/index.ts';

const loaded = await loadDefinitions(join(import.meta.dirname, '../definitions'));
if (loaded.problems.length > 0) {
  console.error(loaded.problems.map(formatProblem).join('\n'));
  process.exit(1);
}
// Describing the API needs no database: this pool is never connected, since no request touches it.
const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool() }) });
const app = await buildServer({
  engine: { db, definitions: new DefinitionStore(loaded.qualifications), clock: systemClock },
  authenticate: createAuthenticator([]),
  ready: async () => false,
  // With metrics on, so /metrics is in the document too.
  metrics: { token: 'lint-openapi', collector: createMetrics() },
});
try {
  const response = await app.inject({ method: 'GET', url: '/openapi.json' });
  if (response.statusCode !== 200) throw new Error(`GET /openapi.json answered ${response.statusCode}: ${response.body}`);
  const document = response.json();
  if (document.openapi !== '3.1.0') throw new Error(`expected OpenAPI 3.1.0, got ${String(document.openapi)}`);
  await SwaggerParser.validate(document);
  console.log(`OpenAPI ${document.openapi}: ${Object.keys(document.paths).length} paths, ${Object.keys(document.components.schemas).length} schemas, valid`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
} finally {
  await app.close();
  await db.destroy();
}
