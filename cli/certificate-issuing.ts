import { readFileSync } from 'node:fs';
import { createCertificateIssueHandler } from '../api/certificate-issuance.ts';
import { defaultOutboxHandlers, ShikakuError, type EngineDeps, type OutboxHandler } from '../engine/index.ts';
import { createCertificateRenderer, createPdfSigner, loadDevSigningIdentity, type CertificateTokens, type SigningIdentity } from '../renderer/index.ts';
import type { Config } from './config.ts';

/**
 * The identity that signs certificate PDFs: the configured PKCS#12, or outside production the
 * development one in the data directory (created on first use).
 * @throws ShikakuError CONFIG_INVALID in production without one, or when the files cannot be read.
 */
export async function pdfSigningIdentity(config: Config): Promise<SigningIdentity> {
  if (config.pdfSigning) {
    try {
      return { p12: readFileSync(config.pdfSigning.p12File), passphrase: readFileSync(config.pdfSigning.passphraseFile, 'utf8').trimEnd() };
    } catch (error) {
      throw new ShikakuError('CONFIG_INVALID', `cannot read the PDF signing identity: ${(error as Error).message}`);
    }
  }
  if (config.production) throw new ShikakuError('CONFIG_INVALID', 'in production set SHIKAKU_PDF_SIGNING_P12 and SHIKAKU_PDF_SIGNING_PASSPHRASE_FILE: the development identity is never used there');
  return loadDevSigningIdentity(config.dataDir);
}

/** The worker's outbox handlers: notices, and certificates rendered, signed and stored. */
export async function workerHandlers(config: Config, engine: EngineDeps, tokens: CertificateTokens): Promise<Record<string, OutboxHandler>> {
  const issue = createCertificateIssueHandler(engine, {
    renderer: await createCertificateRenderer(),
    signer: createPdfSigner(await pdfSigningIdentity(config), { clock: engine.clock }),
    tokens,
    publicBaseUrl: config.publicUrl,
  });
  return { ...defaultOutboxHandlers, 'certificate.issue': issue };
}
