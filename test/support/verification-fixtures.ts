import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { exportJWK, generateKeyPair } from 'jose';
import { createAuthenticator } from '../../api/authenticate.ts';
import { buildServer } from '../../api/build-server.ts';
import type { RateLimits } from '../../api/rate-limits.plugin.ts';
import { createManualClock, importRegistryEntry, type CertificateStatus, type Database, type DatabaseKind, type RegistryEntry } from '../../engine/index.ts';
import { createCertificateTokens, type CertificateKeyRing, type CertificateTokens } from '../../renderer/index.ts';
import { createTestDatabase, type TestDatabase } from './test-database.ts';
import { fixtureDefinitions } from './fixture-definitions.ts';

type RingKey = CertificateKeyRing['keys'][number];

/** A fresh ES256 key for a ring, with its private half. */
export async function ringKey(kid: string, options: { retired?: boolean } = {}): Promise<RingKey & { privateJwk: NonNullable<RingKey['privateJwk']> }> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { kid, privateJwk: await exportJWK(privateKey), publicJwk: await exportJWK(publicKey), ...(options.retired ? { retired: true } : {}) };
}

/** Signs as a server whose current key is `key` (e.g. last year's server, before a rotation). */
export const signerWith = (key: RingKey): CertificateTokens => createCertificateTokens({ currentKid: key.kid, keys: [{ ...key, retired: false }] });

export interface VerificationServer {
  readonly app: FastifyInstance;
  readonly db: Kysely<Database>;
  readonly database: TestDatabase;
  readonly clock: ReturnType<typeof createManualClock>;
  close(): Promise<void>;
}

/** A server on a fresh database with the fixture definitions, a manual clock and `tokens` (none: no keys). */
export async function createVerificationServer(
  kind: DatabaseKind,
  tokens: CertificateTokens | undefined,
  options: { rateLimits?: RateLimits; logSink?: string[] } = {},
): Promise<VerificationServer> {
  const database = await createTestDatabase(kind);
  const clock = createManualClock(new Date('2026-12-04T01:00:00Z'));
  const definitions = await fixtureDefinitions();
  await definitions.persist(database.db, clock.now());
  const sink = options.logSink;
  const app = await buildServer({
    engine: { db: database.db, definitions, clock },
    authenticate: createAuthenticator([]),
    ready: async () => (await sql`SELECT 1`.execute(database.db), true),
    ...(tokens ? { certificateTokens: tokens } : {}),
    ...(options.rateLimits ? { rateLimits: options.rateLimits } : {}),
    ...(sink ? { logger: { level: 'info', stream: { write: (line: string) => void sink.push(line) } } } : {}),
  });
  return {
    app,
    db: database.db,
    database,
    clock,
    async close() {
      await app.close();
      await database.drop();
    },
  };
}

/** An imported registry entry of the fixture qualification `test-qual`. */
export function registryEntry(db: Kysely<Database>, registrationNumber: number, name: { familyName: string; givenName: string } = { familyName: '山田', givenName: '花子' }): Promise<RegistryEntry> {
  return importRegistryEntry(
    db,
    { qualificationId: 'test-qual', registrationNumber, holderId: `holder-${registrationNumber}`, ...name, birthDate: '1990-04-01', honseki: '東京都', registeredOn: '2020-04-01' },
    new Date('2026-12-01T00:00:00Z'),
  );
}

/**
 * A `certificates` row as issuance writes it, with a placeholder PDF (issuance is tested elsewhere).
 * @returns the certificate id.
 */
export async function insertCertificate(db: Kysely<Database>, entry: RegistryEntry, status: CertificateStatus = 'active', id: string = randomUUID()): Promise<string> {
  const at = new Date('2026-12-01T00:00:00Z');
  await db
    .insertInto('certificates')
    .values({
      id,
      registry_entry_id: entry.id,
      qualification_id: entry.qualificationId,
      holder_id: entry.holderId,
      source_application_id: null,
      status,
      status_reason: status === 'active' ? null : `test: ${status}`,
      token_key_id: 'test',
      printed: JSON.stringify({}),
      pdf: new TextEncoder().encode('%PDF-1.7 placeholder'),
      pdf_sha256: '0'.repeat(64),
      issued_at: at,
      status_changed_at: at,
    })
    .execute();
  return id;
}

/** The claims a certificate of `entry` carries, as the issuer prints them. */
export const claimsOf = (certificateId: string, entry: RegistryEntry) => ({
  certificateId,
  qualificationId: entry.qualificationId,
  registrationNumber: `第${String(entry.registrationNumber).padStart(6, '0')}号`,
  name: `${entry.familyName} ${entry.givenName}`,
  birthDate: entry.birthDate.replaceAll('-', '/'),
  issuedOn: '2026/12/01',
});
