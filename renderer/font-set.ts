import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Font } from 'fontkit';
import { ShikakuError } from '../engine/index.ts';
import { hasVariationSequence, openFont } from './fontkit-adapter.ts';

/** Where Debian's `fonts-ipamj-mincho` puts IPAmj明朝, the font that covers the resident registry's characters. */
const IPAMJ_MINCHO = '/usr/share/fonts/truetype/ipamj/ipamjm.ttf';

/** One parsed font and the bytes pdf-lib embeds it from. */
export interface LoadedFont {
  readonly bytes: Uint8Array;
  readonly font: Font;
}

/** A stretch of text drawn with one font. */
export interface TextRun {
  readonly font: LoadedFont;
  readonly text: string;
}

/** Fonts in priority order: each character is drawn by the first one that has it. */
export interface FontSet {
  /**
   * Splits `text` into runs of one font each; a character with a variation selector (IVS) stays one unit.
   * Throws `CERTIFICATE_GLYPH_MISSING` (details `character`, `codePoint`) for the first unit no font can draw.
   */
  runs(text: string): TextRun[];
  /** Advance width of `runs` at `size`, in points. */
  widthOf(runs: readonly TextRun[], size: number): number;
}

/**
 * The default fonts: Noto Sans JP from npm (so a plain `npm install` renders), then IPAmj明朝 when installed, as
 * fallback for what Noto lacks (CJK extension A, most IVS sequences, MJ characters).
 */
export function defaultFontFiles(): string[] {
  const noto = createRequire(import.meta.url).resolve('@expo-google-fonts/noto-sans-jp/400Regular/NotoSansJP_400Regular.ttf');
  return existsSync(IPAMJ_MINCHO) ? [noto, IPAMJ_MINCHO] : [noto];
}

/** Reads and parses `files` once (TTF or OTF, in priority order). */
export async function loadFontSet(files: readonly string[]): Promise<FontSet> {
  if (files.length === 0) throw new Error('a certificate renderer needs at least one font file');
  const fonts = await Promise.all(files.map(async (file): Promise<LoadedFont> => {
    const bytes: Uint8Array = await readFile(file);
    try {
      return { bytes, font: openFont(bytes) };
    } catch (error) {
      throw new Error(`cannot use font ${file}: ${(error as Error).message}`);
    }
  }));
  return {
    runs: (text) => splitIntoRuns(fonts, text),
    widthOf: (runs, size) => runs.reduce((sum, { font: { font }, text }) => sum + (font.layout(text).advanceWidth * size) / font.unitsPerEm, 0),
  };
}

/** Code points with their variation selector, if any: the units a font must draw as one. */
export function graphemeUnits(text: string): string[] {
  const units: string[] = [];
  for (const char of text) {
    const last = units.length - 1;
    if (last >= 0 && isVariationSelector(codePointOf(char))) units[last] += char;
    else units.push(char);
  }
  return units;
}

function splitIntoRuns(fonts: readonly LoadedFont[], text: string): TextRun[] {
  const runs: { font: LoadedFont; text: string }[] = [];
  for (const unit of graphemeUnits(text)) {
    const font = fonts.find(({ font }) => canDraw(font, unit));
    if (!font) throw glyphMissing(unit);
    const last = runs.at(-1);
    if (last?.font === font) last.text += unit;
    else runs.push({ font, text: unit });
  }
  return runs;
}

function canDraw(font: Font, unit: string): boolean {
  const [base, selector] = [...unit].map(codePointOf);
  if (base === undefined) return false;
  // Controls (newlines, tabs) have no glyph of their own: pdf-lib would draw .notdef, so they count as missing.
  if (base < 0x20 || (base >= 0x7f && base < 0xa0)) return false;
  return selector === undefined ? font.hasGlyphForCodePoint(base) : hasVariationSequence(font, base, selector);
}

function glyphMissing(unit: string): ShikakuError {
  const codePoint = [...unit].map((char) => `U+${codePointOf(char).toString(16).toUpperCase().padStart(4, '0')}`).join(' ');
  return new ShikakuError('CERTIFICATE_GLYPH_MISSING', `No certificate font can draw ${JSON.stringify(unit)} (${codePoint}); install IPAmj明朝 (Debian fonts-ipamj-mincho) or correct the printed data`, { character: unit, codePoint });
}

function codePointOf(char: string): number {
  return char.codePointAt(0) ?? 0;
}

function isVariationSelector(codePoint: number): boolean {
  return (codePoint >= 0xfe00 && codePoint <= 0xfe0f) || (codePoint >= 0xe0100 && codePoint <= 0xe01ef);
}
