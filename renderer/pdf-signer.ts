import { pdflibAddPlaceholder } from '@signpdf/placeholder-pdf-lib';
import { SignPdf } from '@signpdf/signpdf';
import { SUBFILTER_ADOBE_PKCS7_DETACHED } from '@signpdf/utils';
import { PDFDocument } from 'pdf-lib';
import { systemClock, type Clock } from '../engine/index.ts';
import { CmsSigner } from './cms-signer.ts';
import { openSigningIdentity, type SigningIdentity } from './signing-identity.ts';

/**
 * Signs PDFs with one invisible PKCS#7 detached signature (SHA-256, RSA) covering the whole file; safe to reuse
 * for any number of documents.
 */
export interface PdfSigner {
  /** The finished PDF `pdf`, signed. Parses and saves it again: prefer `signDocument` where the document is built. */
  sign(pdf: Uint8Array): Promise<Uint8Array>;
  /**
   * Saves `doc`, signed: its one save, with the signature field added just before. Changes `doc`, which is done
   * with afterwards.
   */
  signDocument(doc: PDFDocument): Promise<Uint8Array>;
}

/** Room for the CMS besides certificates and the RSA signature: attributes, identifiers, DER headers. */
const CMS_OVERHEAD_BYTES = 1024;

/**
 * Parses `identity` once (throws `CONFIG_INVALID` when it cannot be used). `clock` (default: the system clock)
 * gives the signing time recorded in the signature.
 */
export function createPdfSigner(identity: SigningIdentity, options: { clock?: Clock } = {}): PdfSigner {
  const opened = openSigningIdentity(identity);
  const signer = new CmsSigner(opened);
  const signPdf = new SignPdf();
  const clock = options.clock ?? systemClock;
  // Placeholder length in hex digits: what this identity's CMS needs, instead of @signpdf's fixed 8 KiB hole.
  const signatureLength = 2 * (opened.certificateBytes + opened.signatureBytes + CMS_OVERHEAD_BYTES);
  const commonName = opened.certificates[0].subject.getField('CN')?.value;
  // /Name is a PDF literal string written byte per character, so only printable ASCII survives it.
  const name = typeof commonName === 'string' && /^[\x20-\x7e]+$/.test(commonName) ? commonName : 'Shikaku';

  async function signDocument(doc: PDFDocument): Promise<Uint8Array> {
    const signingTime = clock.now();
    pdflibAddPlaceholder({
      pdfDoc: doc, reason: 'Digital qualification certificate', contactInfo: '', location: 'Japan', name,
      signingTime, signatureLength, subFilter: SUBFILTER_ADOBE_PKCS7_DETACHED,
    });
    // No object streams: a classic xref table and plain objects, which byte-range scanners read as text; the
    // save is also faster for not compressing them.
    const prepared = await doc.save({ useObjectStreams: false });
    // @signpdf copies its input anyway; the result is a plain Uint8Array view of its Buffer, not another copy.
    const signed = await signPdf.sign(prepared, signer, signingTime);
    return new Uint8Array(signed.buffer, signed.byteOffset, signed.byteLength);
  }

  return {
    signDocument,
    // updateMetadata: false keeps the renderer's producer and adds no modification date.
    sign: async (pdf) => signDocument(await PDFDocument.load(pdf, { updateMetadata: false })),
  };
}
