import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPdfSignature, createCertificateRenderer, createPdfSigner, loadDevSigningIdentity, readSigningCertificate, type CertificateRenderer, type SigningIdentity } from '../../renderer/index.ts';
import { certificateView } from './certificate-fixtures.ts';
import { decodeQr, itWith, pdfsig, pdfsigAccepts, pdftotext } from './pdf-tools.ts';

let dataDir: string;
let identity: SigningIdentity;
let renderer: CertificateRenderer;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'shikaku-signing-'));
  identity = await loadDevSigningIdentity(join(dataDir, '.shikaku'));
  renderer = await createCertificateRenderer();
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('the PDF signer', () => {
  itWith('pdfsig')('signs so that pdfsig reports a valid signature over the total document', async () => {
    const report = await pdfsig(await createPdfSigner(identity).sign(await renderer.render(certificateView())));
    expect(report).toContain('Signature is Valid.');
    expect(report).toMatch(/^\s*- Total document signed$/m);
    expect(report).toContain('Signature Type: adbe.pkcs7.detached');
    expect(report).toContain('Signing Hash Algorithm: SHA-256');
    // Self-signed development certificate: untrusted, as expected.
    expect(report).toContain('Certificate issuer is unknown');
  });

  it('passes its own check, against the identity as trusted certificate, naming the signer', async () => {
    const signed = await createPdfSigner(identity).sign(await renderer.render(certificateView()));
    expect(checkPdfSignature(signed, [readSigningCertificate(identity)])).toEqual({
      valid: true,
      reasons: [],
      signer: 'Shikaku development PDF signing (untrusted)',
    });
  });

  itWith('pdfsig')('signs any number of documents with one signer', async () => {
    const signer = createPdfSigner(identity);
    const signed = await Promise.all([1, 2, 3].map(async () => signer.sign(await renderer.render(certificateView()))));
    for (const pdf of signed) {
      expect(checkPdfSignature(pdf).reasons).toEqual([]);
      expect(pdfsigAccepts(await pdfsig(pdf))).toBe(true);
    }
  });

  itWith('pdftotext', 'pdftoppm', 'zbarimg')('keeps the text and the QR code of the certificate', async () => {
    const view = certificateView();
    const signed = await createPdfSigner(identity).sign(await renderer.render(view));
    expect(await pdftotext(signed)).toContain('山田 花子');
    expect(await decodeQr(signed)).toEqual([view.qrUrl]);
  });

  it('records the signing time from its clock', async () => {
    const clock = { now: () => new Date('2026-04-01T00:00:00Z') };
    const signed = await createPdfSigner(identity, { clock }).sign(await renderer.render(certificateView()));
    expect(Buffer.from(signed).toString('latin1')).toContain('/M (D:20260401000000Z)');
  });

  it('refuses a PKCS#12 with the wrong passphrase as a configuration error', () => {
    expect(() => createPdfSigner({ ...identity, passphrase: 'wrong' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});

describe('the development signing identity', () => {
  it('is created once, readable by its owner only, and reused after', async () => {
    const dir = join(dataDir, 'fresh');
    const [first, concurrent] = await Promise.all([loadDevSigningIdentity(dir), loadDevSigningIdentity(dir)]);
    expect(Buffer.from(concurrent.p12).equals(Buffer.from(first.p12))).toBe(true);
    const files = await readdir(dir);
    expect(files).toEqual(['dev-pdf-signing.p12']);
    expect((await stat(join(dir, files[0]!))).mode & 0o777).toBe(0o600);
    const again = await loadDevSigningIdentity(dir);
    expect(Buffer.from(again.p12).equals(Buffer.from(first.p12))).toBe(true);
    expect(Buffer.from(readSigningCertificate(again)).equals(Buffer.from(readSigningCertificate(first)))).toBe(true);
  });
});
