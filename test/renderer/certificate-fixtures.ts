import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { deflateSync, crc32 } from 'node:zlib';
import forge from 'node-forge';
import type { CertificateView, SigningIdentity } from '../../renderer/index.ts';

/** A 介護福祉士 certificate as the seed's field table describes it; `overrides` replace whole fields. */
export function certificateView(overrides: Partial<CertificateView> = {}): CertificateView {
  return {
    certificateId: '0b9e6a52-7c1e-4c57-9c7a-2f3d1e0a4b11',
    title: '介護福祉士登録証',
    front: [
      { item: 'name', label: { ja: '氏名', en: 'Name' }, value: '山田 花子' },
      { item: 'birthDate', label: { ja: '生年月日', en: 'Date of birth' }, value: '1988/04/01' },
      { item: 'registrationNumber', label: { ja: '登録番号', en: 'Registration No.' }, value: '第000123456号' },
      { item: 'registeredOn', label: { ja: '登録日', en: 'Registered on' }, value: '2024/05/20' },
      { item: 'issuer', label: { ja: '交付機関', en: 'Issued by' }, value: '公益財団法人社会福祉振興・試験センター' },
    ],
    back: [],
    // Like the real token: base64url, about 200 characters.
    qrUrl: `https://shikaku.example.jp/verify#${randomBytes(150).toString('base64url')}`,
    photo: null,
    ...overrides,
  };
}

/** The fixture with `name` as the holder's name. */
export function certificateNamed(name: string): CertificateView {
  const view = certificateView();
  return { ...view, front: view.front.map((item) => (item.item === 'name' ? { ...item, value: name } : item)) };
}

/** A 300 × 400 RGB PNG, a dark disc on a light background: enough of a "photo" to find on the page. */
export function photoPng(): Uint8Array {
  const [width, height] = [300, 400];
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inside = (x - 150) ** 2 + (y - 170) ** 2 < 100 ** 2;
      rows.fill(inside ? 40 : 225, y * (width * 3 + 1) + 1 + x * 3, y * (width * 3 + 1) + 4 + x * 3);
    }
  }
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, no interlace
  return Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), chunk('IHDR', header), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

/** Somebody else's self-signed RSA identity, named `commonName`: a forger's key. */
export function otherIdentity(commonName: string): SigningIdentity {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString());
  const certificate = forge.pki.createCertificate();
  certificate.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  certificate.serialNumber = '02';
  certificate.validity.notAfter = new Date(Date.now() + 365 * 24 * 3600 * 1000);
  certificate.setSubject([{ shortName: 'CN', value: commonName }]);
  certificate.setIssuer([{ shortName: 'CN', value: commonName }]);
  certificate.sign(key, forge.md.sha256.create());
  const p12 = forge.pkcs12.toPkcs12Asn1(key, [certificate], 'secret', { algorithm: '3des' });
  return { p12: Buffer.from(forge.asn1.toDer(p12).getBytes(), 'binary'), passphrase: 'secret' };
}
