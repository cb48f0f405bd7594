import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateTokens, verificationUrl, type CertificateTokens } from '../../renderer/index.ts';
import { claimsOf, createVerificationServer, insertCertificate, registryEntry, ringKey, type VerificationServer } from '../support/verification-fixtures.ts';

// The page the QR code opens, in headless Debian Chromium against a server on a real port.
const executablePath = '/usr/bin/chromium';
const haveChromium = existsSync(executablePath);
if (!haveChromium) console.warn(`test/web/verify-page.test.ts skipped: no ${executablePath}; install it with \`apt-get install chromium\` (.ci/run does)`);

// CI installs it (.ci/run), so there a missing browser is a failure, not a skip.
it.runIf(!haveChromium && process.env.CI === 'true')('has Chromium in CI', () => {
  throw new Error(`no ${executablePath}: .ci/run must \`apt-get install chromium\``);
});

const screenshots = join(import.meta.dirname, '../../test-results');
// Debian's chromium would otherwise try to reach Google hosts, use a GPU or a sandbox it cannot have here.
const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-dev-shm-usage', '--disable-quic', '--disable-sync'];

describe.skipIf(!haveChromium)('the verification page in Chromium', () => {
  let s: VerificationServer;
  let tokens: CertificateTokens;
  let base: string;
  let browser: Browser;
  const logs: string[] = [];
  const signed: Record<'valid' | 'superseded' | 'forged', string> = { valid: '', superseded: '', forged: '' };

  beforeAll(async () => {
    const key = await ringKey('2026');
    tokens = createCertificateTokens({ currentKid: key.kid, keys: [key] });
    s = await createVerificationServer('pglite', tokens, { logSink: logs });
    const holder = await registryEntry(s.db, 123456789, { familyName: '髙橋', givenName: '美智子' });
    const old = await insertCertificate(s.db, holder, 'superseded');
    const current = await insertCertificate(s.db, holder, 'active');
    signed.valid = await tokens.sign(claimsOf(current, holder));
    signed.superseded = await tokens.sign(claimsOf(old, holder));
    // The valid token with the name changed and the signature kept.
    const [h, p, sig] = signed.valid.split('.');
    const altered = Buffer.from(p!, 'base64url');
    altered[altered.length - 2]! ^= 1;
    signed.forged = `${h}.${altered.toString('base64url')}.${sig}`;
    await s.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(s.app.server.address() as AddressInfo).port}`;
    mkdirSync(screenshots, { recursive: true });
    browser = await chromium.launch({ executablePath, args: chromiumArgs });
  });
  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  /** Opens the QR code's URL on a phone-sized page and waits for the verdict; fails on any script or CSP error. */
  async function open(token: string, screenshot: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, locale: 'ja-JP' });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
    page.on('response', (response) => response.status() >= 400 && errors.push(`${response.status()} ${response.url()}`));
    await page.goto(verificationUrl(base, token));
    await page.locator('#verdict:not([data-verdict="checking"])').waitFor({ timeout: 15_000 });
    await page.screenshot({ path: join(screenshots, screenshot), fullPage: true });
    expect(errors).toEqual([]);
    return page;
  }

  it('shows 有効です and the printed items for a valid certificate', async () => {
    const page = await open(signed.valid, 'verify-valid.png');
    expect(await page.locator('#verdict').getAttribute('data-verdict')).toBe('valid');
    expect(await page.locator('#verdict-ja').textContent()).toBe('有効です');
    expect(await page.locator('#verdict-en').textContent()).toBe('Valid');
    expect(await page.locator('#reason-ja').isHidden()).toBe(true);
    expect(await page.locator('dd[data-item="name"]').textContent()).toBe('髙橋 美智子');
    expect(await page.locator('dd[data-item="registrationNumber"]').textContent()).toBe('第123456789号');
    expect(await page.locator('dd[data-item="birthDate"]').textContent()).toBe('1990/04/01');
    expect(await page.locator('dd[data-item="qualificationName"]').textContent()).toBe('試験資格');
    expect(await page.locator('#as-of').textContent()).toContain('時点の資格名簿による確認');
    await page.close();
  });

  it('shows 無効です with the reissue as the reason for a superseded certificate', async () => {
    const page = await open(signed.superseded, 'verify-superseded.png');
    expect(await page.locator('#verdict').getAttribute('data-verdict')).toBe('invalid');
    expect(await page.locator('#verdict-ja').textContent()).toBe('無効です');
    expect(await page.locator('#reason-ja').textContent()).toContain('再交付');
    expect(await page.locator('#reason-en').textContent()).toContain('Superseded');
    // The items stay visible, so the verifier can see which certificate it was.
    expect(await page.locator('dd[data-item="name"]').textContent()).toBe('髙橋 美智子');
    await page.close();
  });

  it('shows 無効です and no items for a forged token', async () => {
    const page = await open(signed.forged, 'verify-forged.png');
    expect(await page.locator('#verdict').getAttribute('data-verdict')).toBe('invalid');
    expect(await page.locator('#verdict-ja').textContent()).toBe('無効です');
    expect(await page.locator('#reason-ja').textContent()).toContain('改ざん');
    expect(await page.locator('#items').isHidden()).toBe(true);
    await page.close();
  });

  it('asks for a QR code when the URL has no token', async () => {
    const page = await open('', 'verify-missing.png');
    expect(await page.locator('#verdict').getAttribute('data-verdict')).toBe('missing');
    expect(await page.locator('#verdict-ja').textContent()).toBe('QRコードを読み取ってください');
    await page.close();
  });

  it('never lets the token reach the server logs (it travels in the fragment and the POST body)', () => {
    expect(logs.length).toBeGreaterThan(0);
    for (const token of Object.values(signed)) expect(logs.join('\n')).not.toContain(token.split('.')[2]);
  });
});
