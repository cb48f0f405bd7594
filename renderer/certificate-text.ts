import Handlebars from 'handlebars';
import type { CertificateView } from './certificate-view.ts';

// A private instance: nothing registered globally, nothing shared with other templates in the process.
const handlebars = Handlebars.create();

/**
 * Compiles a line of certificate text. Strict: a field missing from the view model throws instead of printing
 * nothing. No HTML escaping: the result is drawn as glyphs, never parsed as markup.
 */
function line(source: string): (view: CertificateView) => string {
  return handlebars.compile<CertificateView>(source, { strict: true, noEscape: true });
}

/** The fixed wording of the certificate; templates see only the view model. */
export const certificateText = {
  footer: line('証明書番号 / Certificate ID  {{certificateId}}'),
  signatureNoticeJa: line('この資格者証には電子署名が付されています。改変すると署名は無効になります。'),
  signatureNoticeEn: line('This certificate is electronically signed; any change invalidates the signature.'),
  qrCaption: line('真正性確認用コード / Scan to verify'),
  backHeading: line('{{title}}（裏面） / Reverse'),
  continuedHeading: line('{{title}}（続き） / Continued'),
} as const;
