/**
 * A minimal DER reader for the signature check: it keeps every element's byte offsets, because a CMS signature
 * covers the signed attributes exactly as encoded; re-encoding a parsed structure could hide a difference.
 * Strict: indefinite (BER) lengths and multi-byte tags throw.
 */

/** One element: its tag byte and where its header, content and end are in the input. */
export interface DerElement {
  readonly tag: number;
  readonly start: number;
  readonly contentStart: number;
  readonly end: number;
}

export const derTag = {
  integer: 0x02,
  octetString: 0x04,
  oid: 0x06,
  sequence: 0x30,
  set: 0x31,
  utcTime: 0x17,
  generalizedTime: 0x18,
  /** [n] constructed, context-specific. */
  context: (n: number) => 0xa0 + n,
} as const;

/** Reads the element at `offset`; it must end by `limit`. */
export function readDer(bytes: Uint8Array, offset = 0, limit = bytes.length): DerElement {
  const tag = byteAt(bytes, offset, limit);
  if ((tag & 0x1f) === 0x1f) throw new Error(`multi-byte DER tag at byte ${offset}`);
  let length = byteAt(bytes, offset + 1, limit);
  let contentStart = offset + 2;
  if (length === 0x80) throw new Error(`indefinite length at byte ${offset}: not DER`);
  if (length > 0x80) {
    const count = length - 0x80;
    if (count > 4) throw new Error(`DER length of ${count} bytes at byte ${offset}`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + byteAt(bytes, contentStart + i, limit);
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > limit) throw new Error(`DER element at byte ${offset} runs past its container`);
  return { tag, start: offset, contentStart, end };
}

/** The elements inside a constructed element. */
export function derChildren(bytes: Uint8Array, parent: DerElement): DerElement[] {
  const children: DerElement[] = [];
  for (let offset = parent.contentStart; offset < parent.end; offset = children[children.length - 1]?.end ?? parent.end) {
    children.push(readDer(bytes, offset, parent.end));
  }
  return children;
}

/** The content bytes of an element. */
export function derContent(bytes: Uint8Array, element: DerElement): Uint8Array {
  return bytes.subarray(element.contentStart, element.end);
}

/** An OBJECT IDENTIFIER in dotted form. */
export function derOid(bytes: Uint8Array, element: DerElement): string {
  const parts: number[] = [];
  let value = 0;
  for (const byte of derContent(bytes, element)) {
    value = value * 128 + (byte & 0x7f);
    if (byte & 0x80) continue;
    if (parts.length === 0) parts.push(Math.min(2, Math.floor(value / 40)), value - 40 * Math.min(2, Math.floor(value / 40)));
    else parts.push(value);
    value = 0;
  }
  return parts.join('.');
}

function byteAt(bytes: Uint8Array, offset: number, limit: number): number {
  const byte = offset < limit ? bytes[offset] : undefined;
  if (byte === undefined) throw new Error(`DER truncated at byte ${offset}`);
  return byte;
}
