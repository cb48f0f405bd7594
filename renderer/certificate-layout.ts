import { ShikakuError } from '../engine/index.ts';
import { certificateText } from './certificate-text.ts';
import type { CertificateItemView, CertificateView } from './certificate-view.ts';
import { graphemeUnits, type FontSet, type TextRun } from './font-set.ts';

/** A4 portrait in PDF points (1/72 inch). */
export const A4 = { width: 595.28, height: 841.89 } as const;

/** A line of text; `y` is its baseline. */
export interface PlacedText {
  readonly x: number;
  readonly y: number;
  readonly size: number;
  readonly runs: readonly TextRun[];
  readonly tone: 'ink' | 'muted';
}

/** One page, in points from the lower-left corner. */
export interface PageLayout {
  readonly texts: readonly PlacedText[];
  /** Hairlines under the items. */
  readonly rules: readonly { readonly x: number; readonly y: number; readonly width: number }[];
  readonly qr?: { readonly x: number; readonly y: number; readonly size: number; readonly url: string };
  /** The box the photo is fitted into. */
  readonly photo?: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
}

const LEFT = 64;
const RIGHT = A4.width - 64;
const LABEL_WIDTH = 118;
const VALUE_X = LEFT + LABEL_WIDTH + 12;
const HEADING_Y = 752;
/** Where item rows start on the front page (below the title) and on the other pages (below the heading). */
const FRONT_TOP = 690;
const PAGE_TOP = 712;
/** Rows stay above the footer. */
const PAGE_BOTTOM = 120;
const SIZE = { title: 24, heading: 15, label: 10, labelEn: 7, value: 14, footer: 8, notice: 6.5, caption: 7 } as const;
const VALUE_LINE_HEIGHT = 20;
/** 30 × 40 mm, the usual ID-photo size, at the top right beside the first rows. */
const PHOTO = { width: 85.04, height: 113.39 } as const;
/** 45 mm with quiet zone, bottom right: a 300-byte URL (version 15 at level Q) still gets 0.5 mm modules. */
const QR = { size: 128, x: RIGHT - 128, y: 76 } as const;
const MAX_QR_URL_BYTES = 300;

/**
 * Places every line of the certificate: the front page (title, items, QR code, photo box, footer), the back page
 * when `view.back` is non-empty, and continuation pages when items overflow. Pure; it checks every string against
 * the fonts first, so it throws `CERTIFICATE_GLYPH_MISSING` (with `item`) before anything is drawn, and a
 * RangeError for a QR URL over 300 bytes.
 */
export function layoutCertificate(view: CertificateView, fonts: FontSet): PageLayout[] {
  if (view.qrUrl !== null && Buffer.byteLength(view.qrUrl) > MAX_QR_URL_BYTES) {
    throw new RangeError(`the QR URL is ${Buffer.byteLength(view.qrUrl)} bytes; at most ${MAX_QR_URL_BYTES} stay readable from paper`);
  }
  const text = (item: string, source: string, size: number, x: number, y: number, tone: PlacedText['tone'] = 'ink'): PlacedText =>
    ({ x, y, size, tone, runs: inItem(item, () => fonts.runs(source)) });
  const centred = (placed: PlacedText, centre: number): PlacedText => ({ ...placed, x: centre - fonts.widthOf(placed.runs, placed.size) / 2 });
  const heading = (source: string, size: number): PlacedText => {
    const placed = text('title', source, size, 0, HEADING_Y);
    // A long title shrinks to the width between the margins.
    return centred({ ...placed, size: Math.min(size, (size * (RIGHT - LEFT)) / fonts.widthOf(placed.runs, size)) }, A4.width / 2);
  };
  const footer = [
    text('certificateId', certificateText.footer(view), SIZE.footer, LEFT, 96, 'muted'),
    text('notice', certificateText.signatureNoticeJa(view), SIZE.notice, LEFT, 82, 'muted'),
    text('notice', certificateText.signatureNoticeEn(view), SIZE.notice, LEFT, 72, 'muted'),
  ];
  const continuation = (): Area => ({ page: { texts: [heading(certificateText.continuedHeading(view), SIZE.heading), ...footer], rules: [] }, top: PAGE_TOP, bottom: PAGE_BOTTOM, valueRight: () => RIGHT });

  const photo = view.photo ? { x: RIGHT - PHOTO.width, y: FRONT_TOP - PHOTO.height, ...PHOTO } : undefined;
  const qr = view.qrUrl === null ? undefined : { ...QR, url: view.qrUrl };
  const caption = qr ? [centred(text('qrCaption', certificateText.qrCaption(view), SIZE.caption, 0, qr.y - 6, 'muted'), qr.x + qr.size / 2)] : [];
  const front: PageLayout = { texts: [heading(view.title, SIZE.title), ...footer, ...caption], rules: [], ...(qr ? { qr } : {}), ...(photo ? { photo } : {}) };
  // Rows that start beside the photo end before it; the ones below it use the full width.
  const valueRight = (y: number) => (photo && y > photo.y ? photo.x - 14 : RIGHT);
  const pages = placeItems(view.front, { page: front, top: FRONT_TOP, bottom: qr ? qr.y + qr.size + 12 : PAGE_BOTTOM, valueRight }, fonts, continuation);
  if (view.back.length > 0) {
    const back: PageLayout = { texts: [heading(certificateText.backHeading(view), SIZE.heading), ...footer], rules: [] };
    pages.push(...placeItems(view.back, { page: back, top: PAGE_TOP, bottom: PAGE_BOTTOM, valueRight: () => RIGHT }, fonts, continuation));
  }
  return pages;
}

/** Where item rows go on a page: from `top` down to `bottom`; a row starting at `y` ends at `valueRight(y)`. */
interface Area {
  readonly page: PageLayout;
  readonly top: number;
  readonly bottom: number;
  readonly valueRight: (y: number) => number;
}

/** Lays items out as rows (label left, value right), opening a `continuation` page when a row does not fit. */
function placeItems(items: readonly CertificateItemView[], first: Area, fonts: FontSet, continuation: () => Area): PageLayout[] {
  const pages: PageLayout[] = [];
  let area = first;
  let texts = [...area.page.texts];
  let rules = [...area.page.rules];
  let y = area.top;
  for (const item of items) {
    const row = inItem(item.item, () => rowOf(item, fonts, area.valueRight(y) - VALUE_X));
    // A row taller than a whole page stays where it is rather than opening empty pages forever.
    if (y - row.height < area.bottom && y < area.top) {
      pages.push({ ...area.page, texts, rules });
      area = continuation();
      texts = [...area.page.texts];
      rules = [...area.page.rules];
      y = area.top;
    }
    texts.push(
      { ...row.label, x: LEFT, y: y - 12 },
      ...(row.labelEn ? [{ ...row.labelEn, x: LEFT, y: y - 23 }] : []),
      ...row.lines.map((runs, index): PlacedText => ({ x: VALUE_X, y: y - 14 - index * VALUE_LINE_HEIGHT, size: row.size, runs, tone: 'ink' })),
    );
    rules.push({ x: LEFT, y: y - row.height + 8, width: area.valueRight(y) - LEFT });
    y -= row.height;
  }
  pages.push({ ...area.page, texts, rules });
  return pages;
}

function rowOf(item: CertificateItemView, fonts: FontSet, valueWidth: number) {
  const label = fitted(fonts, item.label.ja, SIZE.label, 'muted');
  const labelEn = item.label.en === undefined ? undefined : fitted(fonts, item.label.en, SIZE.labelEn, 'muted');
  // A value a little too long for one line shrinks (to 80 % at most) rather than wrap, e.g. a long issuer name.
  const width = Math.max(...item.value.split('\n').map((line) => fonts.widthOf(fonts.runs(line), SIZE.value)));
  const size = Math.max(SIZE.value * 0.8, Math.min(SIZE.value, (SIZE.value * valueWidth) / width));
  const lines = wrap(fonts, item.value, size, valueWidth);
  return { label, labelEn, lines, size, height: Math.max(labelEn ? 24 : 14, lines.length * VALUE_LINE_HEIGHT) + 16 };
}

/** A label shrunk to the label column when it is too wide. */
function fitted(fonts: FontSet, source: string, size: number, tone: PlacedText['tone']): Omit<PlacedText, 'x' | 'y'> {
  const runs = fonts.runs(source);
  const width = fonts.widthOf(runs, size);
  return { runs, tone, size: width > LABEL_WIDTH ? (size * LABEL_WIDTH) / width : size };
}

/** Breaks `text` at newlines and wherever a line would pass `width` (Japanese breaks between any characters). */
function wrap(fonts: FontSet, text: string, size: number, width: number): TextRun[][] {
  const lines: TextRun[][] = [];
  for (const paragraph of text.split('\n')) {
    const whole = fonts.runs(paragraph);
    if (fonts.widthOf(whole, size) <= width) {
      lines.push(whole);
      continue;
    }
    let line = '';
    for (const unit of graphemeUnits(paragraph)) {
      if (line !== '' && fonts.widthOf(fonts.runs(line + unit), size) > width) {
        lines.push(fonts.runs(line));
        line = unit.trim() === '' ? '' : unit;
      } else {
        line += unit;
      }
    }
    lines.push(fonts.runs(line));
  }
  return lines;
}

/** Names the item in a missing-glyph error, so the message says which printed field to correct. */
function inItem<T>(item: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof ShikakuError && error.code === 'CERTIFICATE_GLYPH_MISSING') {
      throw new ShikakuError(error.code, `${error.message} (item ${item})`, { ...error.details, item });
    }
    throw error;
  }
}
