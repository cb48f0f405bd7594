import { existsSync, readFileSync } from 'node:fs';
import { Command } from 'commander';
import { compactVerify, createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet } from 'jose';
import { PDFDocument } from 'pdf-lib';
import { CERTIFICATE_TOKEN_TYPE, checkPdfSignature, devSigningIdentityFile, readSigningCertificate } from '../renderer/index.ts';
import { pdfSigningIdentity } from './certificate-issuing.ts';
import type { Config } from './config.ts';

interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** The signer certificate to trust: the configured identity's, or the development one when it exists. */
async function trustedSigner(config: Config): Promise<Uint8Array | undefined> {
  if (!config.pdfSigning && !existsSync(devSigningIdentityFile(config.dataDir))) return undefined;
  return readSigningCertificate(await pdfSigningIdentity(config));
}

async function fetchJson(url: string, init?: RequestInit): Promise<unknown> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return res.json();
}

/**
 * `shikaku verify <file.pdf>`: the PDF signature (byte range over the whole file, CMS digest, signer
 * trusted), the QR token (ES256 against the server's JWKS) and the certificate's status now. Prints
 * one line per check; exit 0 only when all hold.
 */
export function verifyCommand(config: () => Config): Command {
  return new Command('verify')
    .description('check a certificate PDF: its signature, its QR token and its status now; exit 0 only when all hold')
    .argument('<file>', 'the certificate PDF')
    .option('--server <url>', 'the Shikaku server to ask (default: the one the certificate names)')
    .action(async (file: string, o: { server?: string }) => {
      const checks: Check[] = [];
      const pdf = new Uint8Array(readFileSync(file));
      const trusted = await trustedSigner(config());
      const signature = checkPdfSignature(pdf, trusted ? [trusted] : undefined);
      checks.push({ name: 'signature', ok: signature.valid, detail: signature.valid ? `valid, covers the whole file${signature.signer ? `, signed by ${signature.signer}` : ''}` : signature.reasons.join('; ') });
      checks.push({ name: 'signer', ok: trusted !== undefined && signature.valid, detail: trusted ? 'the configured signing certificate' : 'no trusted signing certificate is configured here (SHIKAKU_PDF_SIGNING_P12)' });

      const url = await PDFDocument.load(pdf, { updateMetadata: false }).then((d) => d.getSubject(), () => undefined);
      const at = url?.indexOf('/verify#') ?? -1;
      if (!url || at < 0) {
        checks.push({ name: 'token', ok: false, detail: 'the PDF names no verification URL' });
      } else {
        const token = url.slice(at + '/verify#'.length);
        const server = (o.server ?? url.slice(0, at)).replace(/\/+$/, '');
        try {
          const jwks = (await fetchJson(`${server}/.well-known/jwks.json`)) as JSONWebKeySet;
          const header = decodeProtectedHeader(token);
          if (header.typ !== CERTIFICATE_TOKEN_TYPE) throw new Error(`typ is not ${CERTIFICATE_TOKEN_TYPE}`);
          await compactVerify(token, createLocalJWKSet(jwks), { algorithms: ['ES256'] });
          checks.push({ name: 'token', ok: true, detail: `ES256 signature valid (key ${String(header.kid)})` });
        } catch (error) {
          checks.push({ name: 'token', ok: false, detail: (error as Error).message });
        }
        try {
          const answer = (await fetchJson(`${server}/v1/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) })) as { valid: boolean; status: string | null; reason: string | null };
          checks.push({ name: 'status', ok: answer.valid && answer.status === 'active', detail: answer.status ? `${answer.status}${answer.reason ? ` (${answer.reason})` : ''}` : (answer.reason ?? 'unknown') });
        } catch (error) {
          checks.push({ name: 'status', ok: false, detail: `cannot ask ${server}: ${(error as Error).message}` });
        }
      }
      for (const c of checks) process.stdout.write(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}\n`);
      const ok = checks.every((c) => c.ok);
      process.stdout.write(ok ? '有効です (valid)\n' : '無効です (not valid)\n');
      process.exitCode = ok ? 0 : 1;
    });
}
