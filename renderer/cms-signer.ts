import { constants, privateEncrypt } from 'node:crypto';
import { Signer } from '@signpdf/utils';
import forge from 'node-forge';
import { oids } from './oids.ts';
import type { OpenedSigningIdentity } from './signing-identity.ts';

/** DER prefix of a SHA-256 DigestInfo (RFC 8017 §9.2): what RSASSA-PKCS1-v1_5 signs, followed by the digest. */
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

/**
 * A detached PKCS#7 SignedData signer (SHA-256, RSA) for `@signpdf`, reusable for any number of documents.
 * `@signpdf/signer-p12` re-parses the PKCS#12 and signs in pure-JS RSA on every call (~45 ms) and works only once;
 * here the key is parsed once and the RSA operation runs in `node:crypto` (~0.3 ms). forge only builds the CMS.
 */
export class CmsSigner extends Signer {
  readonly #identity: OpenedSigningIdentity;

  constructor(identity: OpenedSigningIdentity) {
    super();
    this.#identity = identity;
  }

  /** Signs the bytes `@signpdf` passes (the PDF without its /Contents hole); returns the DER CMS. */
  override async sign(content: Buffer, signingTime: Date = new Date()): Promise<Buffer> {
    const { certificates, privateKey } = this.#identity;
    const signedData = forge.pkcs7.createSignedData();
    signedData.content = forge.util.createBuffer(content.toString('binary'));
    for (const certificate of certificates) signedData.addCertificate(certificate);
    // forge calls `key.sign(md)` with the digest of the signed attributes; sign that digest with node:crypto.
    const key = {
      sign: (md: forge.md.MessageDigest) => privateEncrypt(
        { key: privateKey, padding: constants.RSA_PKCS1_PADDING },
        Buffer.concat([SHA256_DIGEST_INFO, Buffer.from(md.digest().getBytes(), 'binary')]),
      ).toString('binary'),
    };
    signedData.addSigner({
      key: key as unknown as forge.pki.rsa.PrivateKey,
      certificate: certificates[0],
      digestAlgorithm: oids.sha256,
      authenticatedAttributes: [
        { type: oids.contentType, value: oids.data },
        { type: oids.messageDigest },
        { type: oids.signingTime, value: signingTime.toISOString() },
      ],
    });
    signedData.sign({ detached: true });
    return Buffer.from(forge.asn1.toDer(signedData.toAsn1()).getBytes(), 'binary');
  }
}
