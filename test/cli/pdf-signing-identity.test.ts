import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { pdfSigningIdentity } from '../../cli/certificate-issuing.ts';
import { loadConfig } from '../../cli/config.ts';
import { createCertificateRenderer, readSigningCertificate } from '../../renderer/index.ts';
import { certificateView } from '../renderer/certificate-fixtures.ts';

const root = join(import.meta.dirname, '../..');
const run = promisify(execFile);
const tempDir = () => mkdtempSync(join(tmpdir(), 'shikaku-pdf-identity-'));

describe('the PDF signing identity from the configuration', () => {
  it('refuses a PKCS#12 without its passphrase file, and production without an identity', async () => {
    expect(() => loadConfig({ SHIKAKU_PDF_SIGNING_P12: '/x.p12' })).toThrow(/set SHIKAKU_PDF_SIGNING_P12 and SHIKAKU_PDF_SIGNING_PASSPHRASE_FILE together/);
    await expect(pdfSigningIdentity(loadConfig({ NODE_ENV: 'production', SHIKAKU_DATA_DIR: tempDir() }))).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(pdfSigningIdentity(loadConfig({ SHIKAKU_PDF_SIGNING_P12: '/no/such.p12', SHIKAKU_PDF_SIGNING_PASSPHRASE_FILE: '/no/such.txt' }))).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });

  it('uses the configured PKCS#12 with the passphrase from its file, in production too', async () => {
    const dev = await pdfSigningIdentity(loadConfig({ SHIKAKU_DATA_DIR: tempDir() }));
    const dir = tempDir();
    writeFileSync(join(dir, 'signing.p12'), dev.p12);
    writeFileSync(join(dir, 'passphrase.txt'), `${dev.passphrase}\n`);
    const configured = await pdfSigningIdentity(loadConfig({ NODE_ENV: 'production', SHIKAKU_PDF_SIGNING_P12: join(dir, 'signing.p12'), SHIKAKU_PDF_SIGNING_PASSPHRASE_FILE: join(dir, 'passphrase.txt') }));
    expect(configured.passphrase).toBe(dev.passphrase);
    expect(readSigningCertificate(configured)).toEqual(readSigningCertificate(dev));
  });
});

describe('shikaku verify', () => {
  it('refuses an unsigned PDF that names no verification URL, saying why, with exit code 1', async () => {
    const file = join(tempDir(), 'unsigned.pdf');
    const view = certificateView();
    writeFileSync(file, await (await createCertificateRenderer()).render({ ...view, qrUrl: null }));
    const result = await run(process.execPath, [join(root, 'cli/shikaku.js'), 'verify', file], { env: { ...process.env, SHIKAKU_DATA_DIR: tempDir() } }).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^FAIL signature: /m);
    expect(result.stdout).toContain('FAIL signer: no trusted signing certificate is configured here');
    expect(result.stdout).toContain('FAIL token: the PDF names no verification URL');
    expect(result.stdout).toContain('無効です (not valid)');
  });
});
