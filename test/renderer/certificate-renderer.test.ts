import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { PDFDocument } from 'pdf-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  checkPdfSignature,
  createCertificateRenderer,
  createPdfSigner,
  readSigningCertificate,
  type CertificateRenderer,
  type CertificateView,
} from '../../renderer/index.ts';
import { certificateNamed, certificateView, otherIdentity, photoPng } from './certificate-fixtures.ts';
import { appendIncrementalUpdate } from './pdf-tamper.ts';
import { decodeQr, inkIn, itWith, pdffonts, pdfImages, pdfsig, pdfsigAccepts, pdftotext, renderGrey, wordBoxes } from './pdf-tools.ts';

const IPAMJ = '/usr/share/fonts/truetype/ipamj/ipamjm.ttf';
const NOTO = createRequire(import.meta.url).resolve('@expo-google-fonts/noto-sans-jp/400Regular/NotoSansJP_400Regular.ttf');
const itWithIpamj = (name: string, test: () => Promise<void>) =>
  it.skipIf(!existsSync(IPAMJ))(existsSync(IPAMJ) ? name : `${name} [skipped: apt-get install fonts-ipamj-mincho]`, test);

let renderer: CertificateRenderer;
beforeAll(async () => {
  renderer = await createCertificateRenderer();
});

const pageSizes = async (pdf: Uint8Array) => (await PDFDocument.load(pdf)).getPages().map((page) => page.getSize());
const printed = (view: CertificateView) => [view.title, ...[...view.front, ...view.back].flatMap((item) => [item.label.ja, item.label.en ?? '', item.value])];

/**
 * Every word pdftotext finds has ink under it. The fontkit subset corruption leaves glyphs blank while pdftotext
 * still extracts their text, so this is the check that catches it; words are split at spaces, so a view whose
 * values are single characters separated by spaces checks glyph by glyph.
 */
async function expectNoBlankWord(pdf: Uint8Array): Promise<number> {
  const pages = await renderGrey(pdf);
  const words = await wordBoxes(pdf);
  const blank = words.filter((word) => {
    const page = pages[word.page - 1];
    return !page || inkIn(page, word) < 3;
  });
  expect(blank.map((word) => `${word.text} (page ${word.page})`)).toEqual([]);
  return words.length;
}

describe('the certificate renderer', () => {
  itWith('pdftotext')('prints the title and every item label and value on one A4 portrait page', async () => {
    const view = certificateView();
    const pdf = await renderer.render(view);
    expect(await pageSizes(pdf)).toEqual([{ width: 595.28, height: 841.89 }]);
    const text = (await pdftotext(pdf)).replace(/\s+/g, ' ');
    for (const expected of printed(view)) expect(text).toContain(expected);
    expect(text).toContain(view.certificateId);
  });

  itWith('pdftotext', 'pdftoppm')('leaves no word blank on the page', async () => {
    expect(await expectNoBlankWord(await renderer.render(certificateView()))).toBeGreaterThan(20);
  });

  itWith('pdftotext', 'pdftoppm')('draws every character it prints, one by one', async () => {
    const view = certificateView({ back: [{ item: 'conditions', label: { ja: '条件', en: 'Conditions' }, value: '喀痰吸引等行為を行う場合を除く。' }] });
    const characters = new Set([...(await pdftotext(await renderer.render(view))).replace(/\s/g, '')]);
    const sheet = certificateView({ qrUrl: null, front: [], back: [{ item: 'glyphs', label: { ja: '字' }, value: [...characters].join(' ') }] });
    const pdf = await renderer.render(sheet);
    const words = new Set((await wordBoxes(pdf)).map((word) => word.text));
    expect([...characters].filter((character) => !words.has(character))).toEqual([]);
    await expectNoBlankWord(pdf);
  });

  itWith('pdftoppm', 'zbarimg')('draws a QR code that zbarimg reads back as the same URL', async () => {
    const view = certificateView();
    expect(await decodeQr(await renderer.render(view))).toEqual([view.qrUrl]);
  });

  itWith('pdftoppm', 'zbarimg')('keeps a 300-byte URL readable at 150 dpi', async () => {
    const qrUrl = `https://shikaku.example.jp/verify#${'x'.repeat(300 - 'https://shikaku.example.jp/verify#'.length)}`;
    expect(Buffer.byteLength(qrUrl)).toBe(300);
    expect(await decodeQr(await renderer.render(certificateView({ qrUrl })))).toEqual([qrUrl]);
  });

  it('refuses a QR URL over 300 bytes', async () => {
    await expect(renderer.render(certificateView({ qrUrl: `https://x.example/${'a'.repeat(290)}` }))).rejects.toThrow(/at most 300/);
  });

  itWith('pdfimages', 'pdftoppm', 'zbarimg')('draws the QR code as vectors and embeds no image without a photo', async () => {
    const pdf = await renderer.render(certificateView());
    expect(await pdfImages(pdf)).toEqual([]);
    expect(await decodeQr(pdf)).toHaveLength(1);
  });

  itWith('pdfimages', 'pdftoppm')('places the photo in its box when the view has one, and only then', async () => {
    const withPhoto = await renderer.render(certificateView({ photo: { bytes: photoPng(), type: 'png' } }));
    const without = await renderer.render(certificateView());
    expect(await pdfImages(withPhoto)).toEqual([expect.stringMatching(/^\s*1\s+0\s+image\s+300\s+400\s+rgb/)]);
    // The box sits at the top right, beside the first items (30 × 40 mm).
    const box = { xMin: 460, xMax: 520, yMin: 160, yMax: 250 };
    const [photoPage] = await renderGrey(withPhoto);
    const [plainPage] = await renderGrey(without);
    expect(inkIn(photoPage!, box)).toBeGreaterThan(2000);
    expect(inkIn(plainPage!, box)).toBe(0);
  });

  itWith('pdftotext')('prints back items on a second page only when there are some', async () => {
    const back = [
      { item: 'conditions', label: { ja: '条件', en: 'Conditions' }, value: '喀痰吸引等行為を行う場合を除く。' },
      { item: 'formerRegistration', label: { ja: '旧登録番号' }, value: '第000000001号' },
    ];
    const pdf = await renderer.render(certificateView({ back }));
    expect(await pageSizes(pdf)).toHaveLength(2);
    const backText = (await pdftotext(pdf, 2)).replace(/\s+/g, ' ');
    for (const item of back) expect(backText).toContain(item.value);
    expect(backText).toContain('介護福祉士登録証（裏面）');
    expect(await pdftotext(pdf, 1)).not.toContain('喀痰吸引');
    expect(await pageSizes(await renderer.render(certificateView()))).toHaveLength(1);
  });

  itWith('pdftotext', 'pdftoppm')('wraps a long value and continues items on another page', async () => {
    const long = 'この資格者は、社会福祉士及び介護福祉士法に基づき登録されています。'.repeat(6);
    const back = Array.from({ length: 14 }, (_, index) => ({ item: `note${index}`, label: { ja: `備考${index + 1}` }, value: long }));
    const pdf = await renderer.render(certificateView({ back }));
    expect((await pageSizes(pdf)).length).toBeGreaterThan(2);
    const text = (await pdftotext(pdf)).replace(/\s+/g, '');
    for (const item of back) expect(text).toContain(item.label.ja);
    await expectNoBlankWord(pdf);
  });

  it('gives the same bytes for the same view, with fixed metadata', async () => {
    const view = certificateView({ photo: { bytes: photoPng(), type: 'png' } });
    const first = await renderer.render(view);
    expect(Buffer.from(await renderer.render(view)).equals(Buffer.from(first))).toBe(true);
    const doc = await PDFDocument.load(first, { updateMetadata: false });
    expect(doc.getProducer()).toBe('Shikaku certificate renderer');
    expect(doc.getTitle()).toBe('介護福祉士登録証');
    expect(doc.getCreationDate()).toBeUndefined();
  });

  itWithIpamj('renders 𠮷, 髙, 﨑, extension-A kanji and IVS variants, falling back to IPAmj明朝', async () => {
    // 邉 + VS33 (U+E0110) is an MJ variant only IPAmj has; 㐀 (U+3400) is CJK extension A, which Noto Sans JP lacks.
    const name = '𠮷田 髙﨑 邉\u{E0110} 㐀';
    const pdf = await renderer.render(certificateNamed(name));
    expect((await pdftotext(pdf)).replace(/\s+/g, ' ')).toContain(name);
    expect(await pdffonts(pdf)).toMatch(/\+IPAmjMincho\s+CID TrueType\s+Identity-H\s+yes yes yes/);
    await expectNoBlankWord(pdf);
  });

  it('fails with CERTIFICATE_GLYPH_MISSING naming a character no font has', async () => {
    await expect(renderer.render(certificateNamed('山田 \u{10FFFD}子'))).rejects.toMatchObject({
      code: 'CERTIFICATE_GLYPH_MISSING',
      status: 422,
      details: { character: '\u{10FFFD}', codePoint: 'U+10FFFD', item: 'name' },
    });
  });

  it('fails on a variation sequence no font has, naming both code points', async () => {
    await expect(renderer.render(certificateNamed('山\u{E01EF}田'))).rejects.toMatchObject({
      code: 'CERTIFICATE_GLYPH_MISSING',
      details: { character: '山\u{E01EF}', codePoint: 'U+5C71 U+E01EF' },
    });
  });

  it('fails on a control character instead of drawing .notdef', async () => {
    await expect(renderer.render(certificateNamed('山田\u0007'))).rejects.toMatchObject({ code: 'CERTIFICATE_GLYPH_MISSING', details: { codePoint: 'U+0007' } });
  });

  itWith('pdftotext', 'pdftoppm')('draws a variation sequence with its own glyph, not the unified one', async () => {
    // Noto Sans JP maps 侮 + VS1 to a distinct glyph in a selector that also has default entries: the case
    // fontkit's own cmap-14 lookup gets wrong.
    const notoOnly = await createCertificateRenderer({ fontFiles: [NOTO] });
    const glyphOf = async (name: string) => {
      const pdf = await notoOnly.render(certificateNamed(name));
      const word = (await wordBoxes(pdf)).find((box) => box.text === name);
      const [page] = await renderGrey(pdf);
      if (!word || !page) throw new Error(`${name} is not on the page`);
      const scale = page.dpi / 72;
      return Array.from({ length: Math.round((word.yMax - word.yMin) * scale) }, (_, row) => {
        const start = (Math.round(word.yMin * scale) + row) * page.width + Math.round(word.xMin * scale);
        return Buffer.from(page.pixels.subarray(start, start + Math.round((word.xMax - word.xMin) * scale))).toString('hex');
      }).join('');
    };
    expect(await glyphOf('侮\uFE00')).not.toBe(await glyphOf('侮'));
  });

  it('without the fallback font, names what only IPAmj明朝 could draw', async () => {
    const notoOnly = await createCertificateRenderer({ fontFiles: [NOTO] });
    await expect(notoOnly.render(certificateNamed('㐀田'))).rejects.toMatchObject({ code: 'CERTIFICATE_GLYPH_MISSING', details: { character: '㐀', codePoint: 'U+3400' } });
  });
});

describe('the certificate renderer with a signer', () => {
  const identity = otherIdentity('Shikaku PDF signing');
  const trusted = [readSigningCertificate(identity)];
  // A fixed signing time within the identity's validity, which starts now.
  const signingTime = new Date(Date.now() + 60_000);
  const signer = createPdfSigner(identity, { clock: { now: () => signingTime } });

  itWith('pdfsig', 'pdftoppm', 'zbarimg')('signs in its one save: pdfsig and our check accept the signature over the total document', async () => {
    const view = certificateView({ photo: { bytes: photoPng(), type: 'png' } });
    const pdf = await renderer.render(view, { signer });
    expect(pdfsigAccepts(await pdfsig(pdf))).toBe(true);
    expect(checkPdfSignature(pdf, trusted)).toEqual({ valid: true, reasons: [], signer: 'Shikaku PDF signing' });
    expect(await decodeQr(pdf)).toEqual([view.qrUrl]);
  });

  it('gives the same bytes for the same view and signing time, and leaves the unsigned render unsigned', async () => {
    const view = certificateView();
    const signed = await renderer.render(view, { signer });
    expect(Buffer.from(await renderer.render(view, { signer })).equals(Buffer.from(signed))).toBe(true);
    const doc = await PDFDocument.load(signed, { updateMetadata: false });
    expect([doc.getProducer(), doc.getModificationDate()]).toEqual(['Shikaku certificate renderer', undefined]);
    expect(checkPdfSignature(await renderer.render(view)).reasons).toEqual(['the PDF carries no signature (no /ByteRange)']);
  });

  itWith('pdfsig', 'pdftotext')('writes a file whose appended incremental update both checks reject', async () => {
    const tampered = await appendIncrementalUpdate(await renderer.render(certificateView(), { signer }));
    expect(checkPdfSignature(tampered, trusted).reasons).toEqual([expect.stringMatching(/changed after signing \(e\.g\. an incremental update\)/)]);
    expect(pdfsigAccepts(await pdfsig(tampered))).toBe(false);
  });
});
