import { createHash } from 'node:crypto';
import { PDFDocument, rgb, type PDFFont, type PDFImage, type PDFPage } from 'pdf-lib';
import { A4, layoutCertificate, type PageLayout } from './certificate-layout.ts';
import type { CertificateView } from './certificate-view.ts';
import { defaultFontFiles, loadFontSet, type FontSet, type LoadedFont } from './font-set.ts';
import { pdfFontkit } from './fontkit-adapter.ts';
import type { PdfSigner } from './pdf-signer.ts';
import { drawQrCode } from './qr-code.ts';

/** Renders certificates; fonts are parsed once, when the renderer is created. */
export interface CertificateRenderer {
  /**
   * An A4-portrait PDF; the same view (and, signed, the same signing time) gives the same bytes. With `signer`,
   * signed by it in the one save: the objects of `signer.sign(await render(view))`, without parsing and saving
   * the file a second time. Throws `CERTIFICATE_GLYPH_MISSING`.
   */
  render(view: CertificateView, options?: { signer?: PdfSigner }): Promise<Uint8Array>;
}

const PRODUCER = 'Shikaku certificate renderer';
const TONE = { ink: rgb(0.08, 0.09, 0.12), muted: rgb(0.36, 0.38, 0.43) } as const;
const FRAME = rgb(0.13, 0.23, 0.42);
const RULE = rgb(0.8, 0.82, 0.86);

/**
 * Creates a renderer. `fontFiles` (TTF/OTF, in priority order) defaults to Noto Sans JP from npm, then IPAmj明朝
 * when `fonts-ipamj-mincho` is installed.
 */
export async function createCertificateRenderer(options: { fontFiles?: readonly string[] } = {}): Promise<CertificateRenderer> {
  const fonts = await loadFontSet(options.fontFiles ?? defaultFontFiles());
  return {
    async render(view, { signer } = {}) {
      const doc = await buildCertificate(view, fonts);
      return signer ? signer.signDocument(doc) : doc.save();
    },
  };
}

async function buildCertificate(view: CertificateView, fonts: FontSet): Promise<PDFDocument> {
  const pages = layoutCertificate(view, fonts);
  // No creation or modification date: the output depends on the view alone (the signature carries the time).
  const doc = await PDFDocument.create({ updateMetadata: false });
  doc.registerFontkit(pdfFontkit);
  doc.setTitle(view.title);
  // The verification URL in the document information too, so tools (shikaku verify) need not decode the QR.
  if (view.qrUrl) doc.setSubject(view.qrUrl);
  doc.setLanguage('ja-JP');
  doc.setProducer(PRODUCER);
  doc.setCreator(PRODUCER);
  const embedded = await embedFonts(doc, pages);
  const photo = view.photo && (view.photo.type === 'png' ? await doc.embedPng(view.photo.bytes) : await doc.embedJpg(view.photo.bytes));
  for (const layout of pages) drawPage(doc.addPage([A4.width, A4.height]), layout, embedded, photo);
  return doc;
}

/**
 * Embeds, as subsets, only the fonts the pages use. Each gets the PDF subset tag (six letters + '+') derived from
 * the text it draws, so names stay deterministic and tools report the font as a subset.
 */
async function embedFonts(doc: PDFDocument, pages: readonly PageLayout[]): Promise<Map<LoadedFont, PDFFont>> {
  const textByFont = new Map<LoadedFont, string>();
  for (const run of pages.flatMap((page) => page.texts.flatMap((text) => text.runs))) {
    textByFont.set(run.font, (textByFont.get(run.font) ?? '') + run.text);
  }
  const embedded = new Map<LoadedFont, PDFFont>();
  for (const [font, text] of textByFont) {
    const tag = [...createHash('sha256').update(text).digest().subarray(0, 6)].map((byte) => String.fromCharCode(65 + (byte % 26))).join('');
    embedded.set(font, await doc.embedFont(font.bytes, { subset: true, customName: `${tag}+${font.font.postscriptName}` }));
  }
  return embedded;
}

function drawPage(page: PDFPage, layout: PageLayout, fonts: ReadonlyMap<LoadedFont, PDFFont>, photo: PDFImage | null): void {
  page.drawRectangle({ x: 28, y: 28, width: A4.width - 56, height: A4.height - 56, borderColor: FRAME, borderWidth: 1.6 });
  page.drawRectangle({ x: 33, y: 33, width: A4.width - 66, height: A4.height - 66, borderColor: FRAME, borderWidth: 0.4 });
  let current: PDFFont | undefined;
  for (const text of layout.texts) {
    let x = text.x;
    for (const run of text.runs) {
      const font = fonts.get(run.font);
      if (!font) throw new Error('a text run uses a font that was not embedded');
      // drawText({ font }) adds a font resource on every call; switch the page's font only when it changes.
      if (font !== current) page.setFont((current = font));
      page.drawText(run.text, { x, y: text.y, size: text.size, color: TONE[text.tone] });
      x += font.widthOfTextAtSize(run.text, text.size);
    }
  }
  for (const rule of layout.rules) {
    page.drawLine({ start: { x: rule.x, y: rule.y }, end: { x: rule.x + rule.width, y: rule.y }, thickness: 0.5, color: RULE });
  }
  if (layout.qr) drawQrCode(page, layout.qr.url, layout.qr.x, layout.qr.y, layout.qr.size);
  if (layout.photo) {
    const box = layout.photo;
    if (photo) {
      const { width, height } = photo.scaleToFit(box.width, box.height);
      page.drawImage(photo, { x: box.x + (box.width - width) / 2, y: box.y + (box.height - height) / 2, width, height });
    }
    page.drawRectangle({ ...box, borderColor: RULE, borderWidth: 0.5 });
  }
}
