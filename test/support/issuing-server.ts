import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { expect } from 'vitest';
import { createAuthenticator } from '../../api/authenticate.ts';
import { buildServer } from '../../api/build-server.ts';
import { createCertificateIssueHandler } from '../../api/certificate-issuance.ts';
import { loadDevIssuer } from '../../api/dev-issuer.ts';
import { createManualClock, DefinitionStore, defaultOutboxHandlers, loadDefinitions, processOutbox, type EngineDeps, type Role } from '../../engine/index.ts';
import { createCertificateRenderer, createCertificateTokens, createPdfSigner, loadDevSigningIdentity } from '../../renderer/index.ts';
import { createTestDatabase, type TestDatabase } from './test-database.ts';
import { ringKey } from './verification-fixtures.ts';

/** A server that issues certificates: the API plus the worker's outbox handlers, on `definitionsDir`. */
export async function issuingServer(kind: Parameters<typeof createTestDatabase>[0], definitionsDir: string) {
  const database: TestDatabase = await createTestDatabase(kind);
  const clock = createManualClock(new Date('2026-12-04T01:00:00Z'));
  const loaded = await loadDefinitions(definitionsDir);
  expect(loaded.problems).toEqual([]);
  const definitions = new DefinitionStore(loaded.qualifications);
  await definitions.persist(database.db, clock.now());
  const engine: EngineDeps = { db: database.db, definitions, clock };
  const dataDir = mkdtempSync(join(tmpdir(), 'shikaku-certificates-'));
  const issuer = await loadDevIssuer(join(dataDir, 'dev-issuer.json'));
  const key = await ringKey('cert-2026');
  const tokens = createCertificateTokens({ currentKid: key.kid, keys: [key] });
  const identity = await loadDevSigningIdentity(dataDir);
  const handlers = {
    ...defaultOutboxHandlers,
    'certificate.issue': createCertificateIssueHandler(engine, { renderer: await createCertificateRenderer(), signer: createPdfSigner(identity, { clock }), tokens, publicBaseUrl: 'https://shikaku.example.jp' }),
  };
  const app = await buildServer({
    engine,
    authenticate: createAuthenticator([issuer.trusted]),
    ready: async () => (await sql`SELECT 1`.execute(database.db), true),
    certificateTokens: tokens,
    rateLimits: { perIpPerMinute: 100_000, perCallerPerMinute: 100_000 },
  });
  const bearer = async (sub: string, role: Role, registrar?: string) => `Bearer ${await issuer.mint({ sub, role, ...(registrar ? { registrar } : {}) })}`;
  return {
    app,
    engine,
    clock,
    identity,
    bearer,
    /** Runs the worker's outbox once, as `shikaku serve` does every second. */
    work: () => processOutbox(engine, handlers),
    async close() {
      await app.close();
      await database.drop();
    },
  };
}
export type IssuingServer = Awaited<ReturnType<typeof issuingServer>>;

/** POSTs as `authorization` and expects success. */
export async function post(s: IssuingServer, url: string, authorization: string, payload: unknown, ifMatch?: number) {
  const res = await s.app.inject({ method: 'POST', url, headers: { authorization, ...(ifMatch ? { 'if-match': `"${ifMatch}"` } : {}) }, payload: payload as Record<string, unknown> });
  expect(res.statusCode, res.body).toBeLessThan(300);
  return res.json();
}

/** Moves an application through payment and review to approval. */
export async function approve(s: IssuingServer, application: { id: string; state: string; version: number }, registrar: string) {
  let current = application;
  if (current.state === 'awaitingPayment') current = await post(s, `/v1/applications/${current.id}/events`, await s.bearer('payment-provider', 'payment'), { type: 'confirmPayment' }, current.version);
  expect(current.state).toBe('underReview');
  return post(s, `/v1/applications/${current.id}/events`, await s.bearer(`staff-${registrar}`, 'reviewer', registrar), { type: 'approve' }, current.version);
}

export async function myCertificate(s: IssuingServer, authorization: string, qualification: string) {
  const list = (await s.app.inject({ method: 'GET', url: '/v1/me/qualifications', headers: { authorization } })).json();
  const item = list.items.find((i: { qualification: string }) => i.qualification === qualification);
  expect(item?.certificate, JSON.stringify(list)).toBeTruthy();
  const pdf = await s.app.inject({ method: 'GET', url: item.certificate.href, headers: { authorization } });
  expect(pdf.statusCode).toBe(200);
  expect(pdf.headers['content-type']).toBe('application/pdf');
  return { item, pdf: new Uint8Array(pdf.rawPayload) };
}

