import * as fontkit from 'fontkit';
import type { Font } from 'fontkit';
import type { PDFDocument } from 'pdf-lib';

/** The fontkit interface pdf-lib declares (its own typings of fontkit 1); fontkit 2 fonts satisfy it at run time. */
type PdfLibFontkit = Parameters<PDFDocument['registerFontkit']>[0];

/**
 * Upstream fontkit 2 behind the interface pdf-lib 1.17 expects. pdf-lib's own `@pdf-lib/fontkit` writes corrupt
 * Japanese subsets (short loca without padding, a CFF offSize bug: Hopding/pdf-lib#1232), which `pdftotext` cannot
 * see; fontkit 2 subsets correctly but needs two repairs, done here once per parsed font.
 */

/** fontkit's private cmap-14 records; fontkit has no public API for variation sequences. */
interface VariationSelectorRecord {
  readonly varSelector: number;
  readonly defaultUVS?: readonly { readonly startUnicodeValue: number; readonly additionalCount: number }[];
  readonly nonDefaultUVS?: readonly { readonly unicodeValue: number; readonly glyphID: number }[];
}
interface CmapProcessor {
  uvs?: { varSelectors: { toArray(): VariationSelectorRecord[] } };
  getVariationSelector(codePoint: number, selector: number): number;
}
interface VariationTable {
  readonly glyphs: ReadonlyMap<number, number>;
  readonly defaults: readonly { readonly start: number; readonly end: number }[];
}

const variationTables = new WeakMap<Font, ReadonlyMap<number, VariationTable>>();
const parsedFonts = new WeakMap<Uint8Array, Font>();

/**
 * Parses a TrueType/OpenType font once and repairs it for pdf-lib. Embed it with `pdfDoc.embedFont(bytes)` after
 * `pdfDoc.registerFontkit(pdfFontkit)`: the same `bytes` object then resolves to this parsed font, so no document
 * parses a font again. Throws on font collections (TTC), which pdf-lib cannot subset.
 */
export function openFont(bytes: Uint8Array): Font {
  const font = fontkit.create(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  if (!('createSubset' in font)) throw new Error('font collections (.ttc) cannot be embedded; use a .ttf or .otf file');
  const table = readVariationTable(font);
  variationTables.set(font, table);
  // fontkit (1.x and 2.0.4) never searches nonDefaultUVS when the selector also has a defaultUVS table, so most
  // IVS in Noto and IPAex resolve to the unified glyph. Look the sequence up ourselves.
  const cmap = (font as unknown as { _cmapProcessor?: CmapProcessor })._cmapProcessor;
  if (cmap) cmap.getVariationSelector = (codePoint, selector) => table.get(selector)?.glyphs.get(codePoint) ?? 0;
  // fontkit 2 removed Subset#encodeStream(), which pdf-lib 1.17 calls when it saves; give it a one-shot stream.
  const createSubset = font.createSubset.bind(font);
  font.createSubset = () => {
    const subset = createSubset() as ReturnType<typeof createSubset> & { encodeStream?: () => unknown };
    subset.encodeStream = () => oneShotStream(subset.encode());
    return subset;
  };
  parsedFonts.set(bytes, font);
  return font;
}

/** Whether `font` draws the variation sequence `codePoint` + `selector` (a mapped glyph or the default one). */
export function hasVariationSequence(font: Font, codePoint: number, selector: number): boolean {
  const table = variationTables.get(font)?.get(selector);
  if (!table) return false;
  if (table.glyphs.has(codePoint)) return true;
  return table.defaults.some((range) => codePoint >= range.start && codePoint <= range.end) && font.hasGlyphForCodePoint(codePoint);
}

/** The fontkit pdf-lib registers: it hands back fonts already parsed by `openFont`. */
export const pdfFontkit: PdfLibFontkit = {
  create(bytes) {
    const font = bytes instanceof Uint8Array ? parsedFonts.get(bytes) : undefined;
    if (!font) throw new Error('embed only font bytes passed to openFont()');
    return font as unknown as ReturnType<PdfLibFontkit['create']>;
  },
};

function readVariationTable(font: Font): ReadonlyMap<number, VariationTable> {
  const records = (font as unknown as { _cmapProcessor?: CmapProcessor })._cmapProcessor?.uvs?.varSelectors.toArray() ?? [];
  return new Map(records.map((record) => [record.varSelector, {
    glyphs: new Map((record.nonDefaultUVS ?? []).map((entry) => [entry.unicodeValue, entry.glyphID])),
    defaults: (record.defaultUVS ?? []).map((range) => ({ start: range.startUnicodeValue, end: range.startUnicodeValue + range.additionalCount })),
  }]));
}

function oneShotStream(data: Uint8Array) {
  const handlers: Record<string, (chunk?: Uint8Array) => void> = {};
  const stream = {
    on(event: string, handler: (chunk?: Uint8Array) => void) {
      handlers[event] = handler;
      if (event === 'end') queueMicrotask(() => { handlers.data?.(data); handlers.end?.(); });
      return stream;
    },
  };
  return stream;
}
