import type { DefinitionsReloader, EngineDeps } from '../engine/index.ts';
import type { CertificateTokens } from '../renderer/index.ts';
import type { Authenticate } from './authenticate.ts';
import type { Metrics } from './metrics.plugin.ts';
import type { RateLimits } from './rate-limits.plugin.ts';

/** What `buildServer` needs; everything is injected, nothing read from the environment. */
export interface ServerDeps {
  readonly engine: EngineDeps;
  readonly authenticate: Authenticate;
  /** Whether the database answers; `/readyz` reports it. */
  readonly ready: () => Promise<boolean>;
  /** pino options, or false for no logging (tests). */
  readonly logger?: boolean | Record<string, unknown>;
  /** Request body cap in bytes (default 64 KiB: application data is small; uploads have their own route). */
  readonly bodyLimit?: number;
  /** Default: 1,200 requests a minute per IP, 600 per caller. */
  readonly rateLimits?: RateLimits;
  /**
   * Serves `/metrics` to `Authorization: Bearer <token>` and records into `collector`; without it there
   * is no `/metrics`. The server counts its own transitions; hand `collector.countTransition` to an
   * in-process worker's engine as `onTransition` so timer events count too.
   */
  readonly metrics?: { readonly token: string; readonly collector: Metrics };
  /** Re-reads the definitions folder for `POST /v1/admin/definitions/reload`; without it the route answers 404. */
  readonly reloader?: DefinitionsReloader;
  /**
   * Verifies certificate QR tokens for `POST /v1/verify` and publishes `/.well-known/jwks.json`;
   * without it the key set is empty and every token is refused.
   */
  readonly certificateTokens?: CertificateTokens;
}
