import { findCertificateStatus, type CertificateStatusView, type EngineDeps } from '../engine/index.ts';
import { createTtlCache } from './ttl-cache.ts';

/** How long a certificate's status is reused: a reissue or revocation shows within this (published in docs/api.md). */
export const CERTIFICATE_STATUS_TTL_MS = 2000;

/**
 * Certificate statuses for `POST /v1/verify`, each read from the register at most once per TTL: a
 * verifier's phone retries and a desk scans the same card again, and one lookup per request would
 * make the database the bottleneck. The answer says when the status was read.
 */
export interface CertificateStatusCache {
  get(certificateId: string): Promise<{ status: CertificateStatusView | undefined; asOf: Date }>;
}

/** `ttlMs` is clamped to CERTIFICATE_STATUS_TTL_MS; time comes from the engine's clock. */
export function createCertificateStatusCache(engine: EngineDeps, ttlMs = CERTIFICATE_STATUS_TTL_MS): CertificateStatusCache {
  const cache = createTtlCache<CertificateStatusView | undefined>(Math.min(ttlMs, CERTIFICATE_STATUS_TTL_MS), () => engine.clock.now());
  return {
    get: (certificateId) => cache.get(certificateId, () => findCertificateStatus(engine.db, certificateId)).then(({ value, asOf }) => ({ status: value, asOf })),
  };
}
