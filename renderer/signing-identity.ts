import { createPrivateKey, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { ShikakuError } from '../engine/index.ts';
import { oids } from './oids.ts';

/** A PKCS#12 file (RSA key + certificate, optionally its chain) and its passphrase. */
export interface SigningIdentity {
  readonly p12: Uint8Array;
  readonly passphrase: string;
}

/** An identity parsed once: the key for `node:crypto`, the signer certificate first, then any chain. */
export interface OpenedSigningIdentity {
  readonly privateKey: KeyObject;
  /** Size of the RSA modulus in bytes, i.e. of one signature. */
  readonly signatureBytes: number;
  /** DER size of all the certificates, which the CMS carries. */
  readonly certificateBytes: number;
  readonly certificates: readonly [forge.pki.Certificate, ...forge.pki.Certificate[]];
}

/**
 * Parses a PKCS#12 (OpenSSL 3 AES or `-legacy` 3DES). Throws `CONFIG_INVALID` for a wrong passphrase, a key that is
 * not RSA (node-forge reads no other kind) or no certificate matching the key.
 */
export function openSigningIdentity(identity: SigningIdentity): OpenedSigningIdentity {
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(Buffer.from(identity.p12).toString('binary')), identity.passphrase);
  } catch (error) {
    throw invalid(`cannot open the PKCS#12 (wrong passphrase, or a key that is not RSA?): ${(error as Error).message}`);
  }
  const bags = (type: string) => p12.getBags({ bagType: type })[type] ?? [];
  const key = [...bags(oids.pkcs8ShroudedKeyBag), ...bags(oids.keyBag)].find((bag) => bag.key)?.key;
  if (!key) throw invalid('the PKCS#12 holds no RSA private key');
  const certificates = bags(oids.certBag).flatMap((bag) => (bag.cert ? [bag.cert] : []));
  const signer = certificates.find((cert) => (cert.publicKey as forge.pki.rsa.PublicKey).n.equals(key.n));
  if (!signer) throw invalid('the PKCS#12 holds no certificate for its private key');
  return {
    privateKey: createPrivateKey(forge.pki.privateKeyToPem(key)),
    signatureBytes: Math.ceil(key.n.bitLength() / 8),
    certificateBytes: certificates.reduce((sum, cert) => sum + forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).length(), 0),
    certificates: [signer, ...certificates.filter((cert) => cert !== signer)],
  };
}

/** The signer certificate (DER) of `identity`: what `checkPdfSignature` is given as trusted. */
export function readSigningCertificate(identity: SigningIdentity): Uint8Array {
  const [certificate] = openSigningIdentity(identity).certificates;
  return Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(certificate)).getBytes(), 'binary');
}

function invalid(message: string): ShikakuError {
  return new ShikakuError('CONFIG_INVALID', `PDF signing identity: ${message}`);
}
