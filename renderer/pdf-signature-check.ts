import { createHash, verify, X509Certificate } from 'node:crypto';
import { derChildren, derContent, derOid, derTag, readDer, type DerElement } from './der-reader.ts';
import { oids } from './oids.ts';

/** The verdict on a PDF's signature; `reasons` names every check that failed. */
export interface PdfSignatureCheck {
  readonly valid: boolean;
  readonly reasons: readonly string[];
  /** The signer certificate's common name, when the signature has one. */
  readonly signer?: string;
}

/**
 * Checks a certificate PDF's signature by the strict rule (reliability notes §3a), not by viewer heuristics:
 * exactly one signature; its /ByteRange covers the whole file except the /Contents hole (so nothing was appended);
 * the CMS message digest equals SHA-256 of the covered bytes; the CMS signature verifies with the embedded
 * certificate, which was valid at the signed signing time; and, when `trusted` (DER certificates) is given, that
 * certificate is one of them. Pure; never throws.
 */
export function checkPdfSignature(pdf: Uint8Array, trusted?: readonly Uint8Array[]): PdfSignatureCheck {
  const bytes = Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength);
  const text = bytes.toString('latin1');
  const count = text.match(/\/ByteRange\b/g)?.length ?? 0;
  if (count === 0) return { valid: false, reasons: ['the PDF carries no signature (no /ByteRange)'] };
  const reasons: string[] = [];
  if (count > 1) reasons.push(`the PDF carries ${count} signatures; a certificate has exactly one`);
  const range = /\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/.exec(text)?.slice(1).map(Number);
  const [start = 0, holeStart = 0, holeEnd = 0, tailLength = 0] = range ?? [];
  if (!range) return { valid: false, reasons: [...reasons, 'the /ByteRange is not four numbers'] };
  if (start !== 0) reasons.push(`the signed bytes start at byte ${start}, not at the beginning of the file`);
  if (holeEnd + tailLength !== bytes.length) {
    reasons.push(`the signed bytes end at byte ${holeEnd + tailLength} but the file has ${bytes.length}: it was changed after signing (e.g. an incremental update)`);
  }
  const hole = text.slice(holeStart, holeEnd);
  if (holeStart >= holeEnd || holeEnd > bytes.length || !/^<[0-9A-Fa-f]*>$/.test(hole) || !/\/Contents\s*$/.test(text.slice(Math.max(0, holeStart - 32), holeStart))) {
    return { valid: false, reasons: [...reasons, 'the unsigned gap in /ByteRange is not the signature\'s /Contents'] };
  }

  let cms: SignedCms;
  try {
    cms = readSignedCms(Buffer.from(hole.slice(1, -1), 'hex'));
  } catch (error) {
    return { valid: false, reasons: [...reasons, `the signature is not a readable CMS SignedData: ${(error as Error).message}`] };
  }
  if (cms.signerCount !== 1) reasons.push(`the CMS has ${cms.signerCount} signers, not one`);
  if (cms.digestAlgorithm !== oids.sha256) reasons.push(`the digest algorithm is ${cms.digestAlgorithm}, not SHA-256`);
  if (cms.contentType !== oids.data) reasons.push('the signed attributes do not declare PKCS#7 data content');
  const covered = Buffer.concat([bytes.subarray(start, holeStart), bytes.subarray(holeEnd, holeEnd + tailLength)]);
  if (!cms.messageDigest?.equals(createHash('sha256').update(covered).digest())) {
    reasons.push('the message digest does not match the signed bytes: the file was changed after signing');
  }
  const { certificate } = cms;
  if (!certificate) {
    reasons.push('the signature embeds no certificate of its signer');
  } else {
    if (!cms.signedAttributes || !verifies(cms.signedAttributes, certificate, cms.signature)) {
      reasons.push('the CMS signature does not verify with the embedded signer certificate');
    }
    if (!cms.signingTime) {
      reasons.push('the signed attributes carry no signing time');
    } else if (cms.signingTime < new Date(certificate.validFrom) || cms.signingTime > new Date(certificate.validTo)) {
      reasons.push(`the signer certificate was not valid when the PDF was signed (${cms.signingTime.toISOString()}; valid ${new Date(certificate.validFrom).toISOString()} to ${new Date(certificate.validTo).toISOString()})`);
    }
    if (trusted && !trusted.some((der) => certificate.raw.equals(der))) {
      reasons.push('the signer certificate is not one of the trusted certificates');
    }
  }
  const signer = certificate && /^CN=(.*)$/m.exec(certificate.subject)?.[1];
  return { valid: reasons.length === 0, reasons, ...(signer ? { signer } : {}) };
}

interface SignedCms {
  readonly signerCount: number;
  readonly digestAlgorithm: string;
  readonly contentType?: string;
  readonly messageDigest?: Buffer;
  readonly signingTime?: Date;
  /** The signed attributes re-tagged as the SET OF they are signed as (RFC 5652 §5.4), else undefined. */
  readonly signedAttributes?: Buffer;
  readonly signature: Buffer;
  readonly certificate?: X509Certificate;
}

/** Reads ContentInfo → SignedData → the first SignerInfo, its signed attributes and its certificate. */
function readSignedCms(der: Buffer): SignedCms {
  const contentInfo = derChildren(der, expect(readDer(der), derTag.sequence, 'ContentInfo'));
  if (!contentInfo[0] || derOid(der, expect(contentInfo[0], derTag.oid, 'content type')) !== oids.signedData) throw new Error('not SignedData');
  const [signedData] = derChildren(der, expect(contentInfo[1], derTag.context(0), 'content'));
  const parts = derChildren(der, expect(signedData, derTag.sequence, 'SignedData'));
  const certificates = parts.filter((part) => part.tag === derTag.context(0)).flatMap((set) => derChildren(der, set))
    .map((element) => new X509Certificate(der.subarray(element.start, element.end)));
  const signerInfos = derChildren(der, expect(parts[parts.length - 1], derTag.set, 'signerInfos'));
  const [version, sid, digestAlgorithm, ...rest] = derChildren(der, expect(signerInfos[0], derTag.sequence, 'SignerInfo'));
  expect(version, derTag.integer, 'SignerInfo version');
  // [0] signedAttrs is optional; then come signatureAlgorithm and signature.
  const attributes = rest[0]?.tag === derTag.context(0) ? rest[0] : undefined;
  const [, signature] = attributes ? rest.slice(1) : rest;
  const [digestOid] = derChildren(der, expect(digestAlgorithm, derTag.sequence, 'digestAlgorithm'));
  const found = attributes ? readAttributes(der, attributes) : {};
  return {
    signerCount: signerInfos.length,
    digestAlgorithm: derOid(der, expect(digestOid, derTag.oid, 'digest algorithm')),
    ...found,
    ...(attributes ? { signedAttributes: Buffer.concat([Buffer.of(derTag.set), der.subarray(attributes.start + 1, attributes.end)]) } : {}),
    signature: Buffer.from(derContent(der, expect(signature, derTag.octetString, 'signature'))),
    ...(sid ? certificateOf(der, sid, certificates) : {}),
  };
}

function readAttributes(der: Buffer, attributes: DerElement): { contentType?: string; messageDigest?: Buffer; signingTime?: Date } {
  const found: { contentType?: string; messageDigest?: Buffer; signingTime?: Date } = {};
  for (const attribute of derChildren(der, attributes)) {
    const [type, values] = derChildren(der, expect(attribute, derTag.sequence, 'attribute'));
    const [value] = derChildren(der, expect(values, derTag.set, 'attribute values'));
    const oid = derOid(der, expect(type, derTag.oid, 'attribute type'));
    if (oid === oids.contentType) found.contentType = derOid(der, expect(value, derTag.oid, 'content type'));
    if (oid === oids.messageDigest) found.messageDigest = Buffer.from(derContent(der, expect(value, derTag.octetString, 'message digest')));
    if (oid === oids.signingTime && value) found.signingTime = derTime(der, value);
  }
  return found;
}

/** UTCTime (YYMMDDHHMMSSZ, years 1950–2049 per RFC 5280) or GeneralizedTime (YYYYMMDDHHMMSSZ). */
function derTime(der: Buffer, element: DerElement): Date {
  const text = Buffer.from(derContent(der, element)).toString('latin1');
  const m = element.tag === derTag.utcTime ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text) : element.tag === derTag.generalizedTime ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text) : null;
  if (!m) throw new Error('signing time malformed');
  const year = m[1]!.length === 2 ? (Number(m[1]) < 50 ? 2000 : 1900) + Number(m[1]) : Number(m[1]);
  return new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

/** The certificate the SignerInfo names by issuer and serial number (or the only one, for other identifiers). */
function certificateOf(der: Buffer, sid: DerElement, certificates: readonly X509Certificate[]): { certificate?: X509Certificate } {
  if (sid.tag !== derTag.sequence) return certificates.length === 1 && certificates[0] ? { certificate: certificates[0] } : {};
  const serial = derChildren(der, sid)[1];
  const wanted = BigInt(`0x${Buffer.from(derContent(der, expect(serial, derTag.integer, 'serial number'))).toString('hex') || '0'}`);
  const certificate = certificates.find((cert) => BigInt(`0x${cert.serialNumber}`) === wanted);
  return certificate ? { certificate } : {};
}

function verifies(signedAttributes: Buffer, certificate: X509Certificate, signature: Buffer): boolean {
  try {
    return verify('sha256', signedAttributes, certificate.publicKey, signature);
  } catch {
    return false;
  }
}

function expect(element: DerElement | undefined, tag: number, what: string): DerElement {
  if (!element || element.tag !== tag) throw new Error(`${what} missing or malformed`);
  return element;
}
