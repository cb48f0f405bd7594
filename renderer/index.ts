export type { CertificateItemView, CertificateView } from './certificate-view.ts';
export { createCertificateRenderer, type CertificateRenderer } from './certificate-renderer.ts';
export { readSigningCertificate, type SigningIdentity } from './signing-identity.ts';
export { createPdfSigner, type PdfSigner } from './pdf-signer.ts';
export { devSigningIdentityFile, loadDevSigningIdentity } from './dev-signing-identity.ts';
export { checkPdfSignature, type PdfSignatureCheck } from './pdf-signature-check.ts';
export {
  CERTIFICATE_TOKEN_TYPE,
  createCertificateTokens,
  loadDevCertificateKeys,
  verificationUrl,
  type CertificateClaims,
  type CertificateKeyRing,
  type CertificateTokens,
  type TokenCheck,
  type TokenRejection,
} from './certificate-token.ts';
export { checkImage, printablePhoto } from './certificate-photo.ts';
