import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { certificateTokens } from '../../cli/certificate-keys.ts';
import { loadConfig } from '../../cli/config.ts';
import { ringKey } from '../support/verification-fixtures.ts';

const claims = { certificateId: crypto.randomUUID(), qualificationId: 'test-qual', registrationNumber: '第1号', name: '山田 花子', birthDate: '1990/04/01', issuedOn: '2026/12/04' };

describe('certificate keys and the public URL from the configuration', () => {
  it('creates a development key on first use (mode 0600) and reuses it after', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'shikaku-certkeys-'));
    const first = await certificateTokens(loadConfig({ SHIKAKU_DATA_DIR: dataDir }));
    expect(statSync(join(dataDir, 'certificate-key.dev.jwk.json')).mode & 0o777).toBe(0o600);
    const again = await certificateTokens(loadConfig({ SHIKAKU_DATA_DIR: dataDir }));
    expect(again.currentKid).toBe(first.currentKid);
    expect((await again.verify(await first.sign(claims))).valid).toBe(true);
  });

  it('uses the ring in SHIKAKU_CERTIFICATE_KEYS_FILE, in production too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shikaku-certkeys-'));
    const file = join(dir, 'ring.json');
    const [current, previous] = [await ringKey('2026'), await ringKey('2025')];
    writeFileSync(file, JSON.stringify({ currentKid: '2026', keys: [current, { kid: previous.kid, publicJwk: previous.publicJwk }] }));
    const tokens = await certificateTokens(loadConfig({ SHIKAKU_CERTIFICATE_KEYS_FILE: file, NODE_ENV: 'production', SHIKAKU_DATA_DIR: dir }));
    expect(tokens.currentKid).toBe('2026');
    expect(tokens.jwks().keys.map((k) => k.kid)).toEqual(['2026', '2025']);
  });

  it('refuses production without a ring, and a ring it cannot read or use, as CONFIG_INVALID', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shikaku-certkeys-'));
    await expect(certificateTokens(loadConfig({ NODE_ENV: 'production', SHIKAKU_DATA_DIR: dir }))).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('SHIKAKU_CERTIFICATE_KEYS_FILE') });
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{');
    await expect(certificateTokens(loadConfig({ SHIKAKU_CERTIFICATE_KEYS_FILE: broken }))).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    const unusable = join(dir, 'unusable.json');
    writeFileSync(unusable, JSON.stringify({ currentKid: 'missing', keys: [] }));
    await expect(certificateTokens(loadConfig({ SHIKAKU_CERTIFICATE_KEYS_FILE: unusable }))).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('currentKid "missing" is not in the ring') });
  });

  it('defaults the public URL to this server and refuses one with a query or fragment', () => {
    expect(loadConfig({ PORT: '8080' }).publicUrl).toBe('http://127.0.0.1:8080');
    expect(loadConfig({ SHIKAKU_PUBLIC_URL: 'https://shikaku.example.jp/' }).publicUrl).toBe('https://shikaku.example.jp');
    expect(() => loadConfig({ SHIKAKU_PUBLIC_URL: 'https://shikaku.example.jp/?a=1' })).toThrow(/SHIKAKU_PUBLIC_URL/);
    expect(() => loadConfig({ SHIKAKU_PUBLIC_URL: 'ftp://shikaku.example.jp' })).toThrow(/SHIKAKU_PUBLIC_URL/);
  });
});
