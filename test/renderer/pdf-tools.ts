import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { it } from 'vitest';

/** The command-line tools these tests use as independent oracles, and the Debian package of each. */
const PACKAGE = { pdfsig: 'poppler-utils', pdftotext: 'poppler-utils', pdftoppm: 'poppler-utils', pdfimages: 'poppler-utils', pdffonts: 'poppler-utils', zbarimg: 'zbar-tools' } as const;
type Tool = keyof typeof PACKAGE;

const installed = (tool: Tool) => spawnSync(tool, ['-v'], { stdio: 'ignore' }).error === undefined;

/**
 * `it`, skipped when a tool is missing, with the test name saying what to install (`.ci/run` installs them all).
 */
export function itWith(...tools: Tool[]) {
  const missing = [...new Set(tools.filter((tool) => !installed(tool)).map((tool) => PACKAGE[tool]))];
  return (name: string, test: () => Promise<void>) =>
    it.skipIf(missing.length > 0)(missing.length > 0 ? `${name} [skipped: apt-get install ${missing.join(' ')}]` : name, test);
}

const run = promisify(execFile);

/** Writes `pdf` to a fresh temporary directory, runs `use` on the file, then removes the directory. */
async function onFile<T>(pdf: Uint8Array, use: (file: string, dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'shikaku-pdf-'));
  try {
    const file = join(dir, 'certificate.pdf');
    await writeFile(file, pdf);
    return await use(file, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** pdfsig's report. Its exit code is 0 even for a broken signature, so callers read the text. */
export function pdfsig(pdf: Uint8Array): Promise<string> {
  return onFile(pdf, async (file) => {
    const result = await run('pdfsig', [file]).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
    return result.stdout;
  });
}

/** Whether pdfsig says both "Signature is Valid." and "Total document signed" (the CI rule). */
export const pdfsigAccepts = (report: string) => /^\s*- Signature Validation: Signature is Valid\.$/m.test(report) && /^\s*- Total document signed$/m.test(report);

export function pdftotext(pdf: Uint8Array, page?: number): Promise<string> {
  const pages = page === undefined ? [] : ['-f', String(page), '-l', String(page)];
  return onFile(pdf, async (file) => (await run('pdftotext', [...pages, file, '-'])).stdout);
}

export function pdffonts(pdf: Uint8Array): Promise<string> {
  return onFile(pdf, async (file) => (await run('pdffonts', [file])).stdout);
}

/** `pdfimages -list` rows: one per image XObject drawn. */
export function pdfImages(pdf: Uint8Array): Promise<string[]> {
  return onFile(pdf, async (file) => (await run('pdfimages', ['-list', file])).stdout.split('\n').slice(2).filter((line) => line.trim() !== ''));
}

/** What zbarimg reads from the page rendered by `pdftoppm -r 150 -png`. */
export function decodeQr(pdf: Uint8Array, page = 1): Promise<string[]> {
  return onFile(pdf, async (file, dir) => {
    await run('pdftoppm', ['-r', '150', '-png', '-f', String(page), '-l', String(page), '-singlefile', file, join(dir, 'page')]);
    const { stdout } = await run('zbarimg', ['-q', '--raw', join(dir, 'page.png')]).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
    return stdout.split('\n').filter((line) => line !== '');
  });
}

/** A page rendered in grey (`pdftoppm -gray`), one byte per pixel, 0 = black. */
export interface GreyPage {
  readonly width: number;
  readonly height: number;
  readonly pixels: Uint8Array;
  readonly dpi: number;
}

export function renderGrey(pdf: Uint8Array, dpi = 150): Promise<GreyPage[]> {
  return onFile(pdf, async (file, dir) => {
    await run('pdftoppm', ['-r', String(dpi), '-gray', file, join(dir, 'page')]);
    const names = (await readdir(dir)).filter((name) => name.endsWith('.pgm')).sort();
    return Promise.all(names.map(async (name) => parsePgm(await readFile(join(dir, name)), dpi)));
  });
}

/** A word and its box in points from the top-left corner, from `pdftotext -bbox`. */
export interface WordBox {
  readonly page: number;
  readonly text: string;
  readonly xMin: number;
  readonly yMin: number;
  readonly xMax: number;
  readonly yMax: number;
}

export function wordBoxes(pdf: Uint8Array): Promise<WordBox[]> {
  return onFile(pdf, async (file) => {
    const { stdout } = await run('pdftotext', ['-bbox', file, '-']);
    const words: WordBox[] = [];
    for (const [index, page] of stdout.split('<page ').slice(1).entries()) {
      for (const match of page.matchAll(/<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<\/word>/g)) {
        words.push({ page: index + 1, xMin: Number(match[1]), yMin: Number(match[2]), xMax: Number(match[3]), yMax: Number(match[4]), text: unescapeXml(match[5] ?? '') });
      }
    }
    return words;
  });
}

/** How many pixels inside `box` (points from the top-left corner) are darker than mid-grey. */
export function inkIn(page: GreyPage, box: Pick<WordBox, 'xMin' | 'yMin' | 'xMax' | 'yMax'>): number {
  const scale = page.dpi / 72;
  let dark = 0;
  for (let y = Math.floor(box.yMin * scale); y < Math.min(page.height, Math.ceil(box.yMax * scale)); y++) {
    for (let x = Math.floor(box.xMin * scale); x < Math.min(page.width, Math.ceil(box.xMax * scale)); x++) {
      if ((page.pixels[y * page.width + x] ?? 255) < 160) dark++;
    }
  }
  return dark;
}

function parsePgm(bytes: Buffer, dpi: number): GreyPage {
  const header = /^P5\s+(\d+)\s+(\d+)\s+255\s/.exec(bytes.subarray(0, 64).toString('latin1'));
  if (!header) throw new Error('pdftoppm -gray did not write a binary PGM');
  const width = Number(header[1]);
  const height = Number(header[2]);
  return { width, height, dpi, pixels: bytes.subarray(header[0].length, header[0].length + width * height) };
}

function unescapeXml(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}
