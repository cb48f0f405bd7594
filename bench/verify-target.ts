// Child process of bench/certificates.ts: the servers `POST /v1/verify` is measured on, all in one process so
// each gets the same Node, the same JIT and the same core:
// - the real API (`buildServer`, every plugin, rate limits lifted) on PostgreSQL, with the given key ring;
// - a bare fastify instance with the two baselines: `POST /verify` verifies the JWS with jose and looks the
//   certificate's row up with pg, nothing else; `GET /hello` answers {"hello":"world"}.
// Protocol (IPC): the parent sends one TargetConfig; the child answers TargetReady (or { error }) and closes
// everything when it receives 'close'. Listens on 127.0.0.1 only.
import { sql, Kysely, PostgresDialect } from 'kysely';
import Fastify from 'fastify';
import { compactVerify, importJWK, type CryptoKey } from 'jose';
import pg from 'pg';
import { createAuthenticator } from '../api/authenticate.ts';
import { buildServer } from '../api/build-server.ts';
import { createPostgresPool, DefinitionStore, loadDefinitions, systemClock, type Database } from '../engine/index.ts';
import { createCertificateTokens, type CertificateKeyRing } from '../renderer/index.ts';

export interface TargetConfig {
  readonly databaseUrl: string;
  readonly definitionsDir: string;
  readonly ring: CertificateKeyRing;
  /** Connections in each pool (the API's and the bare route's): `shikaku serve` uses 10. */
  readonly poolSize: number;
}

export interface TargetReady {
  /** Base URL of the real API. */
  readonly api: string;
  /** Base URL of the bare instance (`POST /verify`, `GET /hello`). */
  readonly bare: string;
}

/** The columns `findCertificateStatus` reads, by primary key. */
export const BARE_STATUS_SQL = 'SELECT id, qualification_id, status, status_reason, status_changed_at FROM certificates WHERE id = $1';

const send = (message: unknown) => new Promise<void>((resolve) => process.send!(message, () => resolve()));

async function start(config: TargetConfig): Promise<{ ready: TargetReady; close: () => Promise<void> }> {
  const loaded = await loadDefinitions(config.definitionsDir);
  if (loaded.problems.length > 0) throw new Error(`bench definitions have ${loaded.problems.length} problem(s)`);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: createPostgresPool(config.databaseUrl, config.poolSize) }) });
  const app = await buildServer({
    engine: { db, definitions: new DefinitionStore(loaded.qualifications), clock: systemClock },
    authenticate: createAuthenticator([]),
    ready: async () => (await sql`SELECT 1`.execute(db), true),
    certificateTokens: createCertificateTokens(config.ring),
    rateLimits: { perIpPerMinute: 1_000_000_000, perCallerPerMinute: 1_000_000_000 },
    logger: false,
  });

  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: config.poolSize });
  pool.on('error', () => undefined);
  const current = config.ring.keys.find((k) => k.kid === config.ring.currentKid)!;
  // Imported once, as any sensible verifier would; the JWS is verified on every request.
  const key = (await importJWK(current.publicJwk, 'ES256')) as CryptoKey;
  const bare = Fastify({ logger: false });
  bare.post('/verify', async (request) => {
    const { token } = request.body as { token: string };
    const { payload } = await compactVerify(token, key, { algorithms: ['ES256'] });
    // The certificate id is the payload's first 16 bytes (renderer/certificate-token.ts).
    const hex = Buffer.from(payload.subarray(0, 16)).toString('hex');
    const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    const { rows } = await pool.query<{ status: string }>(BARE_STATUS_SQL, [id]);
    return { valid: rows[0]?.status === 'active', status: rows[0]?.status ?? null };
  });
  bare.get('/hello', async () => ({ hello: 'world' }));

  const api = await app.listen({ host: '127.0.0.1', port: 0 });
  const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });
  return {
    ready: { api, bare: bareUrl },
    async close() {
      await Promise.allSettled([app.close(), bare.close()]);
      await Promise.allSettled([db.destroy(), pool.end()]);
    },
  };
}

if (process.send) {
  process.once('message', (config: TargetConfig) => {
    start(config).then(
      async ({ ready, close }) => {
        process.once('message', () => void close().finally(() => process.exit(0)));
        process.once('disconnect', () => void close().finally(() => process.exit(0)));
        await send(ready);
      },
      async (error: unknown) => {
        await send({ error: error instanceof Error ? error.stack ?? error.message : String(error) });
        process.exit(1);
      },
    );
  });
}
