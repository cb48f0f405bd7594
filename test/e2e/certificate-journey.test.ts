import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDevIssuer } from '../../api/dev-issuer.ts';
import type { Role } from '../../engine/index.ts';
import { decodeQr } from '../renderer/pdf-tools.ts';
import { fixtureDefinitionsDir } from '../support/fixture-definitions.ts';

// The whole journey as people meet it: `shikaku serve` in its own process, a registration approved over
// HTTP, the worker issuing the certificate, a phone camera (zbarimg) reading the QR code, the page it
// opens in Chromium, `shikaku verify` on the PDF, and a reissue that makes the old paper invalid.
const root = join(import.meta.dirname, '../..');
const executablePath = '/usr/bin/chromium';
const tools = existsSync(executablePath) && ['zbarimg', 'pdftoppm'].every((t) => existsSync(`/usr/bin/${t}`));
if (!tools) console.warn('test/e2e/certificate-journey.test.ts skipped: apt-get install chromium zbar-tools poppler-utils (.ci/run does)');
const run = promisify(execFile);
const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-dev-shm-usage', '--disable-quic', '--disable-sync'];

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });

describe.skipIf(!tools)('a certificate from approval to a verifier\'s phone', () => {
  let server: ChildProcess;
  let base: string;
  let dataDir: string;
  let browser: Browser;
  let bearer: (sub: string, role: Role, registrar?: string) => Promise<string>;
  const env = () => ({ ...process.env, DATABASE_URL: '', SHIKAKU_DATA_DIR: dataDir, SHIKAKU_DEFINITIONS: definitionsDir, LOG_LEVEL: 'warn' });
  const definitionsDir = fixtureDefinitionsDir();

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'shikaku-journey-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    server = spawn(process.execPath, [join(root, 'cli/shikaku.js'), 'serve', '--port', String(port)], {
      env: { ...env(), SHIKAKU_PUBLIC_URL: base, SHIKAKU_WORKER_INTERVAL_MS: '100' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    for (let i = 0; ; i++) {
      if (await fetch(`${base}/readyz`).then((r) => r.ok, () => false)) break;
      if (i > 300 || server.exitCode !== null) throw new Error('shikaku serve did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    const issuer = await loadDevIssuer(join(dataDir, 'dev-issuer.jwk.json'));
    bearer = async (sub, role, registrar) => `Bearer ${await issuer.mint({ sub, role, ...(registrar ? { registrar } : {}) })}`;
    browser = await chromium.launch({ executablePath, args: chromiumArgs });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    server?.kill('SIGTERM');
  });

  async function call(method: string, path: string, authorization: string, body?: unknown, version?: number) {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization, ...(body ? { 'content-type': 'application/json' } : {}), ...(version ? { 'if-match': `"${version}"` } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    expect(res.status, `${method} ${path}`).toBeLessThan(300);
    return res.json() as Promise<{ id: string; state: string; version: number }>;
  }

  async function approved(procedure: string, data: Record<string, unknown>, holder: string) {
    const created = await call('POST', `/v1/qualifications/test-qual/procedures/${procedure}/applications`, holder, { data, submit: true });
    let current = created;
    if (current.state === 'awaitingPayment') current = await call('POST', `/v1/applications/${current.id}/events`, await bearer('payment-provider', 'payment'), { type: 'confirmPayment' }, current.version);
    return call('POST', `/v1/applications/${current.id}/events`, await bearer('staff-1', 'reviewer', 'test-body'), { type: 'approve' }, current.version);
  }

  /** Waits for the worker to issue the holder's next certificate; returns its PDF. */
  async function nextCertificate(holder: string, previousId?: string): Promise<{ id: string; pdf: Uint8Array }> {
    for (let i = 0; i < 100; i++) {
      const list = (await (await fetch(`${base}/v1/me/qualifications`, { headers: { authorization: holder } })).json()) as { items: { certificate: { id: string; href: string } | null }[] };
      const certificate = list.items[0]?.certificate;
      if (certificate && certificate.id !== previousId) {
        const pdf = await fetch(`${base}${certificate.href}`, { headers: { authorization: holder } });
        expect(pdf.headers.get('content-type')).toBe('application/pdf');
        return { id: certificate.id, pdf: new Uint8Array(await pdf.arrayBuffer()) };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('no certificate was issued');
  }

  /** What the page the QR code opens says. */
  async function verdictOf(url: string, screenshot: string): Promise<string | null> {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, locale: 'ja-JP' });
    await page.goto(url);
    await page.locator('#verdict:not([data-verdict="checking"])').waitFor({ timeout: 15_000 });
    await page.screenshot({ path: join(root, 'test-results', screenshot), fullPage: true });
    const text = await page.locator('#verdict-ja').textContent();
    await page.close();
    return text;
  }

  async function shikakuVerify(pdf: Uint8Array): Promise<{ code: number; stdout: string }> {
    const file = join(mkdtempSync(join(tmpdir(), 'shikaku-verify-')), 'certificate.pdf');
    writeFileSync(file, pdf);
    return run(process.execPath, [join(root, 'cli/shikaku.js'), 'verify', file], { env: env() }).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
    );
  }

  it('issues a certificate whose QR opens 有効です, which shikaku verify accepts; a reissue makes the old one 無効です', async () => {
    const holder = await bearer('journey-holder', 'applicant');
    await approved('registration', { familyName: '吉田', givenName: '花子', familyNameKana: 'ヨシダ', givenNameKana: 'ハナコ', birthDate: '1991-02-03', honseki: '京都府', examPassNumber: 'J-1' }, holder);
    const first = await nextCertificate(holder);
    const [firstUrl] = await decodeQr(first.pdf);
    expect(firstUrl).toMatch(new RegExp(`^${base}/verify#`));
    expect(await verdictOf(firstUrl!, 'journey-valid.png')).toBe('有効です');
    const accepted = await shikakuVerify(first.pdf);
    expect(accepted, accepted.stdout).toMatchObject({ code: 0 });
    expect(accepted.stdout).toContain('有効です');

    const tampered = new Uint8Array(first.pdf);
    tampered[Math.floor(tampered.length / 3)]! ^= 0x01;
    expect((await shikakuVerify(tampered)).code).toBe(1);
    const appended = new Uint8Array([...first.pdf, ...Buffer.from('\n% appended after signing\n')]);
    expect((await shikakuVerify(appended)).code).toBe(1);

    await approved('reissue', { reason: 'lost' }, holder);
    const second = await nextCertificate(holder, first.id);
    const [secondUrl] = await decodeQr(second.pdf);
    expect(await verdictOf(secondUrl!, 'journey-reissued.png')).toBe('有効です');
    // The status cache answers for at most 2 s.
    await new Promise((r) => setTimeout(r, 2100));
    expect(await verdictOf(firstUrl!, 'journey-superseded.png')).toBe('無効です');
    const refused = await shikakuVerify(first.pdf);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('FAIL status: superseded');
  });
});
