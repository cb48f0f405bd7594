import { findCertificateStatus, type CertificateStatusView, type EngineDeps } from '../engine/index.ts';

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
export function createCertificateStatusCache(engine: EngineDeps, ttlMs = CERTIFICATE_STATUS_TTL_MS, maxEntries = 10_000): CertificateStatusCache {
  const ttl = Math.min(ttlMs, CERTIFICATE_STATUS_TTL_MS);
  const entries = new Map<string, { value: Promise<{ status: CertificateStatusView | undefined; asOf: Date }>; expires: number }>();
  return {
    get(certificateId) {
      const at = engine.clock.now();
      const hit = entries.get(certificateId);
      if (hit && hit.expires > at.getTime()) return hit.value;
      entries.delete(certificateId);
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
      // Concurrent verifications of one certificate share one lookup; a failed lookup is not remembered.
      const value = findCertificateStatus(engine.db, certificateId).then((status) => ({ status, asOf: at }));
      entries.set(certificateId, { value, expires: at.getTime() + ttl });
      value.catch(() => entries.get(certificateId)?.value === value && entries.delete(certificateId));
      return value;
    },
  };
}
