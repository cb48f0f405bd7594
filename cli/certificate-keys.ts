import { readFileSync } from 'node:fs';
import { createCertificateTokens, loadDevCertificateKeys, type CertificateKeyRing, type CertificateTokens } from '../renderer/index.ts';
import { ShikakuError } from '../engine/index.ts';
import type { Config } from './config.ts';

/**
 * The keys that sign and verify certificate QR tokens: the ring in SHIKAKU_CERTIFICATE_KEYS_FILE, or
 * outside production the development key in the data directory (created on first use).
 * @throws ShikakuError CONFIG_INVALID in production without a ring, or when the ring is unreadable or unusable.
 */
export async function certificateTokens(config: Config): Promise<CertificateTokens> {
  let ring: CertificateKeyRing;
  if (config.certificateKeysFile) {
    try {
      ring = JSON.parse(readFileSync(config.certificateKeysFile, 'utf8')) as CertificateKeyRing;
    } catch (error) {
      throw new ShikakuError('CONFIG_INVALID', `cannot read SHIKAKU_CERTIFICATE_KEYS_FILE ${config.certificateKeysFile}: ${(error as Error).message}`);
    }
  } else if (config.production) {
    throw new ShikakuError('CONFIG_INVALID', 'in production set SHIKAKU_CERTIFICATE_KEYS_FILE: the development certificate key is never used there');
  } else {
    ring = await loadDevCertificateKeys(config.dataDir);
  }
  try {
    return createCertificateTokens(ring);
  } catch (error) {
    throw new ShikakuError('CONFIG_INVALID', `SHIKAKU_CERTIFICATE_KEYS_FILE ${config.certificateKeysFile ?? '(development key)'}: ${(error as Error).message}`);
  }
}
