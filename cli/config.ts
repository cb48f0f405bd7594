import { join, resolve } from 'node:path';
import { ShikakuError } from '../engine/index.ts';

const packageRoot = resolve(import.meta.dirname, '..');

/** Every setting, parsed once at start-up; nothing else reads `process.env`. */
export interface Config {
  /** PostgreSQL URL; unset → embedded PGlite in `dataDir`. */
  readonly databaseUrl: string | undefined;
  /** Embedded database, dev issuer key and other local state. Default `./.shikaku`. */
  readonly dataDir: string;
  /** Folder with procedures/ and qualifications/. Default: the package's definitions/. */
  readonly definitionsDir: string;
  readonly port: number;
  readonly host: string;
  readonly production: boolean;
  readonly logLevel: string;
  /** Trusted token issuer (required in production); the dev issuer is used only outside production. */
  readonly tokenIssuer: { issuer: string; audience: string; jwksFile: string } | undefined;
  /** Worker poll interval in milliseconds. */
  readonly workerIntervalMs: number;
  /** Requests per minute per IP and per verified caller. */
  readonly rateLimits: { readonly perIpPerMinute: number; readonly perCallerPerMinute: number };
  /** The bearer token Prometheus sends to `/metrics`; unset → no `/metrics`. */
  readonly metricsToken: string | undefined;
  /**
   * JSON key ring that signs certificate QR tokens (`{currentKid, keys: [{kid, privateJwk?, publicJwk, retired?}]}`);
   * required by `serve` in production; unset elsewhere → a development key in `dataDir`.
   */
  readonly certificateKeysFile: string | undefined;
  /** Where the public reaches this server: QR codes point at `${publicUrl}/verify`. No trailing slash. */
  readonly publicUrl: string;
  /**
   * The PKCS#12 (RSA) that signs certificate PDFs and the file holding its passphrase; required in
   * production; unset elsewhere → a self-signed development identity in `dataDir`.
   */
  readonly pdfSigning: { readonly p12File: string; readonly passphraseFile: string } | undefined;
}

function integer(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new ShikakuError('CONFIG_INVALID', `${name} must be an integer from ${min} to ${max}, not \`${text}\``);
  return n;
}

// Long enough not to be guessed, in the characters a bearer token may have (RFC 6750 b64token).
const metricsTokenPattern = /^[A-Za-z0-9._~+/-]{32,512}=*$/;

/** Parses the environment into a frozen Config. @throws ShikakuError CONFIG_INVALID */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) throw new ShikakuError('CONFIG_INVALID', 'DATABASE_URL must start with postgres:// or postgresql://');
  const issuer = env.SHIKAKU_TOKEN_ISSUER;
  const jwksFile = env.SHIKAKU_JWKS_FILE;
  if (Boolean(issuer) !== Boolean(jwksFile)) throw new ShikakuError('CONFIG_INVALID', 'set SHIKAKU_TOKEN_ISSUER and SHIKAKU_JWKS_FILE together');
  const metricsToken = env.SHIKAKU_METRICS_TOKEN || undefined;
  if (metricsToken !== undefined && !metricsTokenPattern.test(metricsToken)) {
    throw new ShikakuError('CONFIG_INVALID', 'SHIKAKU_METRICS_TOKEN must be 32 to 512 characters of A-Z a-z 0-9 . _ ~ + / - (e.g. `openssl rand -hex 32`)');
  }
  const production = env.NODE_ENV === 'production';
  const certificateKeysFile = env.SHIKAKU_CERTIFICATE_KEYS_FILE ? resolve(env.SHIKAKU_CERTIFICATE_KEYS_FILE) : undefined;
  const port = integer('PORT', env.PORT, 3000, 0, 65535);
  const p12File = env.SHIKAKU_PDF_SIGNING_P12;
  const passphraseFile = env.SHIKAKU_PDF_SIGNING_PASSPHRASE_FILE;
  if (Boolean(p12File) !== Boolean(passphraseFile)) throw new ShikakuError('CONFIG_INVALID', 'set SHIKAKU_PDF_SIGNING_P12 and SHIKAKU_PDF_SIGNING_PASSPHRASE_FILE together');
  const publicUrl = (env.SHIKAKU_PUBLIC_URL || `http://127.0.0.1:${port}`).replace(/\/+$/, '');
  if (!URL.canParse(publicUrl) || !/^https?:\/\/[^/?#]+(\/[^?#]*)?$/.test(publicUrl)) {
    throw new ShikakuError('CONFIG_INVALID', `SHIKAKU_PUBLIC_URL must be an http(s) URL without query or fragment, e.g. https://shikaku.example.jp, not \`${publicUrl}\``);
  }
  return Object.freeze({
    databaseUrl,
    dataDir: resolve(env.SHIKAKU_DATA_DIR || '.shikaku'),
    definitionsDir: resolve(env.SHIKAKU_DEFINITIONS || join(packageRoot, 'definitions')),
    port,
    host: env.HOST || '127.0.0.1',
    production,
    logLevel: env.LOG_LEVEL || 'info',
    tokenIssuer: issuer && jwksFile ? { issuer, audience: env.SHIKAKU_TOKEN_AUDIENCE || 'shikaku', jwksFile: resolve(jwksFile) } : undefined,
    workerIntervalMs: integer('SHIKAKU_WORKER_INTERVAL_MS', env.SHIKAKU_WORKER_INTERVAL_MS, 1000, 50, 3_600_000),
    rateLimits: Object.freeze({
      perIpPerMinute: integer('SHIKAKU_RATE_LIMIT_PER_IP', env.SHIKAKU_RATE_LIMIT_PER_IP, 1200, 1, 100_000_000),
      perCallerPerMinute: integer('SHIKAKU_RATE_LIMIT_PER_CALLER', env.SHIKAKU_RATE_LIMIT_PER_CALLER, 600, 1, 100_000_000),
    }),
    metricsToken,
    certificateKeysFile,
    publicUrl,
    pdfSigning: p12File && passphraseFile ? Object.freeze({ p12File: resolve(p12File), passphraseFile: resolve(passphraseFile) }) : undefined,
  });
}
