import { concatTransformationMatrix, fill, popGraphicsState, pushGraphicsState, rectangle, setFillingGrayscaleColor, type PDFPage } from 'pdf-lib';
import QRCode from 'qrcode';

/** Modules of white kept around the symbol, as ISO/IEC 18004 requires. */
const QUIET_ZONE = 4;

/**
 * Draws `text` as a QR code (error correction Q: printed certificates get creased and stained) filling the square
 * of `size` points whose lower-left corner is (`x`, `y`), quiet zone included. Vector rectangles, one per
 * horizontal run of dark modules: no PNG to encode or embed, and sharp at any print resolution. The rectangles are
 * in module units under one transformation, so the content stream holds small integers.
 */
export function drawQrCode(page: PDFPage, text: string, x: number, y: number, size: number): void {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'Q' });
  const module = size / (modules.size + 2 * QUIET_ZONE);
  const operators = [
    pushGraphicsState(),
    concatTransformationMatrix(module, 0, 0, module, x + QUIET_ZONE * module, y + QUIET_ZONE * module),
    setFillingGrayscaleColor(0),
  ];
  for (let row = 0; row < modules.size; row++) {
    for (let col = 0; col < modules.size; col++) {
      if (!modules.get(row, col)) continue;
      const start = col;
      while (col + 1 < modules.size && modules.get(row, col + 1)) col++;
      operators.push(rectangle(start, modules.size - 1 - row, col - start + 1, 1));
    }
  }
  operators.push(fill(), popGraphicsState());
  page.pushOperators(...operators);
}
