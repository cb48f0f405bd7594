import type { EngineDeps } from '../engine/index.ts';
import type { Authenticate } from './authenticate.ts';
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
}
