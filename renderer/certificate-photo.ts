import type Sharp from 'sharp';
import { ShikakuError } from '../engine/index.ts';

let loading: Promise<typeof Sharp> | undefined;
// libvips loads with the first image, not at start: a server that is never sent one stays about 15 MiB smaller.
const loadSharp = () => (loading ??= import('sharp').then((module) => module.default));

// A photo 30 × 40 mm on the card, printed at 200 dpi: sharper than office printers resolve a face at that size.
const PRINT = { width: 236, height: 315 } as const;
// mozjpeg at 75 shows no artefacts at that size; even a photo as noisy as the bench's is 9 KB, so a certificate
// with a photo stays within the 45 KB a certificate may weigh (at 85 it was 16 KB and the PDF 48.6 KB).
const QUALITY = 75;
// Below 100 dpi at 30 × 40 mm a printed face is not recognisable.
const MIN_SIDE = 118;
// A decompression bomb guard: a 40-megapixel image is larger than any phone camera's, far larger than a photo needs.
const MAX_PIXELS = 40_000_000;

/**
 * Decodes an uploaded image completely, so a truncated or disguised file is refused at upload rather than
 * failing issuance later. @throws ShikakuError ATTACHMENT_INVALID
 */
export async function checkImage(content: Uint8Array, options: { photo: boolean }): Promise<{ width: number; height: number }> {
  const sharp = await loadSharp();
  let size: { width: number; height: number };
  try {
    const image = sharp(content, { limitInputPixels: MAX_PIXELS, failOn: 'error' });
    const { width, height } = await image.metadata();
    size = { width, height };
    // Decoding to a thumbnail reads every byte (libjpeg and libpng still see a truncated file) at a fraction of the memory.
    await image.resize({ width: 64, height: 64, fit: 'inside' }).raw().toBuffer();
  } catch (error) {
    throw new ShikakuError('ATTACHMENT_INVALID', `the image cannot be read: ${imageError(error)}`);
  }
  if (options.photo && Math.min(size.width, size.height) < MIN_SIDE) {
    throw new ShikakuError('ATTACHMENT_INVALID', `the photo is ${size.width} × ${size.height} pixels; a printed photo needs at least ${MIN_SIDE} on its shorter side`);
  }
  return size;
}

/**
 * The photo as the certificate prints it: turned upright (EXIF orientation), scaled to fit the print box,
 * re-encoded as JPEG without metadata — a phone's photo carries its GPS position, which must not end up in
 * a document the holder e-mails around.
 */
export async function printablePhoto(content: Uint8Array): Promise<{ bytes: Uint8Array; type: 'jpeg' }> {
  const sharp = await loadSharp();
  const bytes = await sharp(content, { limitInputPixels: MAX_PIXELS })
    .rotate()
    .resize({ ...PRINT, fit: 'inside', withoutEnlargement: true })
    .flatten({ background: '#ffffff' })
    .jpeg({ quality: QUALITY, mozjpeg: true })
    .toBuffer();
  return { bytes: new Uint8Array(bytes), type: 'jpeg' };
}

/** libvips' message without its internal prefixes, e.g. "VipsJpeg: premature end of JPEG image". */
const imageError = (error: unknown) => (error instanceof Error ? error.message.split('\n')[0]!.trim() : 'unknown error');
