import { generateKeyPair, randomBytes, randomUUID } from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import forge from 'node-forge';
import type { SigningIdentity } from './signing-identity.ts';

/** The file under the data directory, and its passphrase: the file's 0600 mode is what protects it. */
const FILE = 'dev-pdf-signing.p12';
const PASSPHRASE = 'shikaku-development';
const COMMON_NAME = 'Shikaku development PDF signing (untrusted)';

/** Where the development identity lives under `dataDir` (it may not exist yet). */
export const devSigningIdentityFile = (dataDir: string) => join(dataDir, FILE);

/**
 * The development signing identity: a self-signed RSA-2048 certificate in a PKCS#12 under `dataDir`, created on
 * first use (file mode 0600) and reused after. Never for production: nobody trusts it, and pdfsig says so.
 * Safe when two processes start at once: the first file written wins and both use it.
 */
export async function loadDevSigningIdentity(dataDir: string): Promise<SigningIdentity> {
  const file = devSigningIdentityFile(dataDir);
  const existing = await readFile(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (existing) return { p12: new Uint8Array(existing), passphrase: PASSPHRASE };
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const temporary = join(dataDir, `.${FILE}.${randomUUID()}`);
  await writeFile(temporary, await createSelfSignedP12(), { mode: 0o600, flag: 'wx' });
  try {
    await link(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await rm(temporary, { force: true });
  }
  return { p12: new Uint8Array(await readFile(file)), passphrase: PASSPHRASE };
}

async function createSelfSignedP12(): Promise<Uint8Array> {
  // node:crypto generates the key (forge's pure-JS generation takes seconds); forge writes certificate and P12.
  const { privateKey: pem } = await promisify(generateKeyPair)('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  const key = forge.pki.privateKeyFromPem(pem);
  const certificate = forge.pki.createCertificate();
  certificate.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  // A positive serial: the leading byte stays below 0x80.
  certificate.serialNumber = `01${randomBytes(15).toString('hex')}`;
  const now = new Date();
  certificate.validity.notBefore = new Date(now.getTime() - 24 * 3600 * 1000);
  certificate.validity.notAfter = new Date(now.getTime() + 10 * 365 * 24 * 3600 * 1000);
  const subject = [{ shortName: 'CN', value: COMMON_NAME }, { shortName: 'O', value: 'Shikaku (development)' }, { shortName: 'C', value: 'JP' }];
  certificate.setSubject(subject);
  certificate.setIssuer(subject);
  certificate.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, nonRepudiation: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  certificate.sign(key, forge.md.sha256.create());
  const p12 = forge.pkcs12.toPkcs12Asn1(key, [certificate], PASSPHRASE, { algorithm: 'aes256', friendlyName: 'shikaku-dev-pdf-signing' });
  return Buffer.from(forge.asn1.toDer(p12).getBytes(), 'binary');
}
