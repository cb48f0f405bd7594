import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPdfSignature, createCertificateRenderer, createPdfSigner, loadDevSigningIdentity, readSigningCertificate } from '../../renderer/index.ts';
import { certificateView, otherIdentity } from './certificate-fixtures.ts';
import { itWith, pdfsig, pdfsigAccepts, pdftotext } from './pdf-tools.ts';
import { appendIncrementalUpdate, corruptSignatureValue, flipByteInSignedRange } from './pdf-tamper.ts';

let dataDir: string;
let unsigned: Uint8Array;
let signed: Uint8Array;
let trusted: Uint8Array[];
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'shikaku-tamper-'));
  const identity = await loadDevSigningIdentity(dataDir);
  trusted = [readSigningCertificate(identity)];
  unsigned = await (await createCertificateRenderer()).render(certificateView());
  signed = await createPdfSigner(identity).sign(unsigned);
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('the PDF signature check', () => {
  it('accepts the certificate as signed', () => {
    expect(checkPdfSignature(signed, trusted)).toMatchObject({ valid: true, reasons: [] });
  });

  it('rejects an unsigned PDF', () => {
    expect(checkPdfSignature(unsigned)).toEqual({ valid: false, reasons: ['the PDF carries no signature (no /ByteRange)'] });
  });

  it('rejects a signature made when the signer certificate was not valid yet', async () => {
    const identity = otherIdentity('Shikaku PDF signing');
    const early = await createPdfSigner(identity, { clock: { now: () => new Date('2020-01-01T00:00:00Z') } }).sign(unsigned);
    expect(checkPdfSignature(early, [readSigningCertificate(identity)]).reasons).toEqual([
      expect.stringMatching(/^the signer certificate was not valid when the PDF was signed \(2020-01-01T00:00:00\.000Z; valid 20\d\d-/),
    ]);
  });

  it('rejects a file that is not a PDF at all without throwing', () => {
    expect(checkPdfSignature(Buffer.from('/ByteRange [0 5 9 1] /Contents <zz>')).valid).toBe(false);
  });
});

// Each case: our check rejects it and says why; pdfsig does not report it as valid over the total document.
describe('the tamper corpus', () => {
  itWith('pdfsig', 'pdftotext')('an incremental update appended after signing', async () => {
    const tampered = await appendIncrementalUpdate(signed);
    expect(await pdftotext(tampered)).toContain('山田 花子'); // still a readable PDF
    const check = checkPdfSignature(tampered, trusted);
    expect(check.valid).toBe(false);
    expect(check.reasons).toEqual([expect.stringMatching(/changed after signing \(e\.g\. an incremental update\)/)]);
    const report = await pdfsig(tampered);
    expect(report).toContain('Not total document signed');
    expect(pdfsigAccepts(report)).toBe(false);
  });

  itWith('pdfsig')('a flipped byte inside the signed range', async () => {
    const check = checkPdfSignature(flipByteInSignedRange(signed), trusted);
    expect(check.valid).toBe(false);
    expect(check.reasons).toEqual(['the message digest does not match the signed bytes: the file was changed after signing']);
    const report = await pdfsig(flipByteInSignedRange(signed));
    expect(report).not.toContain('Signature is Valid.');
    expect(pdfsigAccepts(report)).toBe(false);
  });

  itWith('pdfsig')('a changed signature value', async () => {
    const check = checkPdfSignature(corruptSignatureValue(signed), trusted);
    expect(check.valid).toBe(false);
    expect(check.reasons).toEqual(['the CMS signature does not verify with the embedded signer certificate']);
    expect(await pdfsig(corruptSignatureValue(signed))).not.toContain('Signature is Valid.');
  });

  itWith('pdfsig')('the certificate re-signed with somebody else\'s key', async () => {
    const forged = await createPdfSigner(otherIdentity('Shikaku PDF signing')).sign(unsigned);
    const check = checkPdfSignature(forged, trusted);
    expect(check).toEqual({ valid: false, reasons: ['the signer certificate is not one of the trusted certificates'], signer: 'Shikaku PDF signing' });
    // Cryptographically the forgery is sound; only trust tells it apart. Without trust anchors our check and pdfsig
    // accept it, and pdfsig names the stranger as signer and finds no issuer it knows.
    expect(checkPdfSignature(forged).valid).toBe(true);
    const report = await pdfsig(forged);
    expect(report).toContain('Signer Certificate Common Name: Shikaku PDF signing');
    expect(report).toContain('Certificate issuer is unknown');
  });
});
