import { PDFArray, PDFDocument, PDFName, PDFRef } from 'pdf-lib';

/**
 * The tamper corpus: each function returns a changed copy of a signed certificate, changed the way an attacker
 * would (reliability notes §3a: incremental saving attack, byte flip, signature value swap).
 */

/**
 * Appends an incremental update after the signature that paints a black bar over the holder's name: a valid PDF
 * whose viewers show the change, while the signed bytes are untouched.
 */
export async function appendIncrementalUpdate(signed: Uint8Array): Promise<Uint8Array> {
  const text = Buffer.from(signed).toString('latin1');
  const previousXref = Number(/startxref\s+(\d+)\s+%%EOF\s*$/.exec(text)?.[1]);
  const trailer = /trailer\s*<<([\s\S]*?)>>\s*startxref/.exec(text)?.[1] ?? '';
  const size = Number(/\/Size (\d+)/.exec(trailer)?.[1]);
  const root = /\/Root (\d+ \d+ R)/.exec(trailer)?.[1];
  if (!previousXref || !size || !root) throw new Error('expected a classic xref table and trailer');

  const doc = await PDFDocument.load(signed, { updateMetadata: false });
  const page = doc.getPage(0);
  const pageRef = page.ref;
  const overlay = PDFRef.of(size);
  const contents = page.node.get(PDFName.of('Contents'));
  const previous = contents instanceof PDFArray ? contents.asArray() : contents ? [contents] : [];
  page.node.set(PDFName.of('Contents'), doc.context.obj([...previous, overlay]));
  const bar = 'q 0 g 190 665 220 24 re f Q';

  let update = '\n';
  const offsets: [number, number][] = [];
  const add = (ref: PDFRef, body: string) => {
    offsets.push([ref.objectNumber, signed.length + Buffer.byteLength(update, 'latin1')]);
    update += `${ref.objectNumber} 0 obj\n${body}\nendobj\n`;
  };
  add(overlay, `<< /Length ${bar.length} >>\nstream\n${bar}\nendstream`);
  add(pageRef, page.node.toString());
  const xref = signed.length + Buffer.byteLength(update, 'latin1');
  update += 'xref\n' + offsets.map(([number, offset]) => `${number} 1\n${String(offset).padStart(10, '0')} 00000 n \n`).join('');
  update += `trailer\n<< /Size ${size + 1} /Root ${root} /Prev ${previousXref} >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.concat([signed, Buffer.from(update, 'latin1')]);
}

/** Changes one hex digit of the document title: a byte inside the signed range, the file still well-formed. */
export function flipByteInSignedRange(signed: Uint8Array): Uint8Array {
  const copy = Buffer.from(signed);
  const title = /\/Title <FEFF([0-9A-F]+)>/.exec(copy.toString('latin1'));
  if (!title) throw new Error('expected a hex /Title');
  const at = title.index + '/Title <FEFF'.length + 2;
  copy[at] = copy[at] === 0x30 ? 0x31 : 0x30;
  return copy;
}

/** Changes a byte of the RSA signature value in /Contents, which the byte range leaves out by design. */
export function corruptSignatureValue(signed: Uint8Array): Uint8Array {
  const copy = Buffer.from(signed);
  const hole = /\/Contents <(3082([0-9a-fA-F]{4}))/.exec(copy.toString('latin1'));
  if (!hole?.[2]) throw new Error('expected a DER CMS in /Contents');
  // The signature is the last element of the CMS: change a digit a few bytes before its end.
  const end = hole.index + '/Contents <'.length + 2 * (4 + parseInt(hole[2], 16));
  copy[end - 20] = copy[end - 20] === 0x30 ? 0x31 : 0x30;
  return copy;
}
