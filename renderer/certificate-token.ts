import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CompactSign, compactVerify, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JSONWebKeySet, type JWK } from 'jose';

// The QR token of a certificate (デジタル資格者証): a compact JWS, ES256, whose protected header is
// exactly {alg, kid, typ} and whose payload is the printed items in a compact binary layout (below).
// A verifier can check it offline against /.well-known/jwks.json, then ask /v1/verify for the status.
//
// Why not JSON claims: the verification URL must stay ≤ 300 bytes so the QR code stays small enough
// for a phone to read from paper (version ≤ 15 at ECC Q). The signature alone is 86 characters; JSON
// with one-letter claim names came to 375-450 bytes for a ten-character name, the longest qualification
// id (32 characters) and a 9-digit number. The layout below carries the same items in about 75 bytes.
//
// Payload layout, version 1 (typ `shikaku-qr+jws`; a new layout gets a new typ):
//   16 bytes   certificate id (a UUID, as its 16 bytes; printed in lower case)
//    3 bytes   issue date, then 3 bytes birth date: year·512 + month·32 + day, big-endian (yyyy/mm/dd)
//   1 + n      qualification id: its length in characters, then 3 characters of [-0-9a-z] per 2 bytes
//              (base 40, big-endian), a last 1 or 2 characters in 1 or 2 bytes
//   1 + n      registration number as printed: the top 2 bits of the first byte say the form and the
//              low 6 bits a count: 01 = digits only, 10 = 第<digits>号 (count = digits, then packed BCD,
//              two digits a byte, an odd last digit padded with 0xF); 00 = any other text (count = UTF-8 bytes)
//   1 + n      the name as printed: the top bit says UTF-16LE (1) or UTF-8 (0), the low 7 bits the byte
//              count; the signer picks the shorter, so kanji take 2 bytes, not 3
// Nothing else: no address, no individual number (マイナンバー), no honseki.

/** What the QR token carries: the items a verifier compares with the paper, as printed. */
export interface CertificateClaims {
  /** The certificate's UUID (lower case): `/v1/verify` looks its status up by it. */
  readonly certificateId: string;
  readonly qualificationId: string;
  /** As printed, e.g. 第123456789号. */
  readonly registrationNumber: string;
  /** As printed (family name, space, given name). */
  readonly name: string;
  /** yyyy/mm/dd, as printed. */
  readonly birthDate: string;
  /** yyyy/mm/dd, as printed. */
  readonly issuedOn: string;
}

/**
 * The signing keys: `currentKid` signs, every non-retired key verifies and is published. Rotation is
 * a configuration change: add a key, make it current, keep the old one until its certificates are
 * reissued, then mark it `retired` (its tokens stop verifying) or drop it.
 */
export interface CertificateKeyRing {
  readonly currentKid: string;
  readonly keys: readonly { readonly kid: string; readonly privateJwk?: JWK; readonly publicJwk: JWK; readonly retired?: boolean }[];
}

/** Why a token was refused; stable codes (the verification page words them). */
export type TokenRejection = 'malformed' | 'header-not-allowed' | 'algorithm-not-allowed' | 'wrong-type' | 'unknown-key' | 'retired-key' | 'signature-invalid';

export type TokenCheck = { valid: true; claims: CertificateClaims; kid: string } | { valid: false; reason: TokenRejection; detail: string };

export interface CertificateTokens {
  /** Signs with the current key. @throws RangeError when a claim cannot be carried (see the layout). */
  sign(claims: CertificateClaims): Promise<string>;
  /** Checks signature, header and layout; never throws, whatever the input. */
  verify(token: string): Promise<TokenCheck>;
  /** The public keys that verify: every key not retired, without private parts. */
  jwks(): JSONWebKeySet;
  readonly currentKid: string;
}

/** The token's `typ` (RFC 8725 §3.11): short, because every header byte is in the QR code. */
export const CERTIFICATE_TOKEN_TYPE = 'shikaku-qr+jws';
/** Tokens we sign are under 300 characters; anything much longer is refused before parsing. */
export const MAX_CERTIFICATE_TOKEN_LENGTH = 1024;

const kidPattern = /^[A-Za-z0-9._-]{1,16}$/;
const compactPattern = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const allowedHeaders = new Set(['alg', 'kid', 'typ']);
// Header parameters that would let a token name its own key or extensions: never honoured.
const keyHeaders = new Set(['jku', 'x5u', 'jwk', 'x5c', 'x5t', 'x5t#S256', 'crit']);
const VERIFIED_CACHE_SIZE = 10_000;

/**
 * Signs and verifies certificate tokens with `ring`. Checks the ring at once.
 * @throws Error naming the key when the ring is unusable (no current private key, a duplicate kid, a
 * key that is not P-256, private parts in a public key).
 */
export function createCertificateTokens(ring: CertificateKeyRing): CertificateTokens {
  const entries = checkRing(ring);
  const current = entries.get(ring.currentKid)!;
  const signingKey = importJWK(current.privateJwk!, 'ES256') as Promise<CryptoKey>;
  // A key that does not import fails `sign`, not the process (an unhandled rejection would end it).
  signingKey.catch(() => undefined);
  const publicKeys = new Map<string, Promise<CryptoKey>>();
  const publicKey = (kid: string, jwk: JWK) => {
    let key = publicKeys.get(kid);
    if (!key) publicKeys.set(kid, (key = importJWK(jwk, 'ES256') as Promise<CryptoKey>));
    return key;
  };
  // A verifier scans the same paper many times; an ES256 check costs more than the rest of a request.
  const verified = new Map<string, TokenCheck & { valid: true }>();
  const published: JSONWebKeySet = {
    keys: [...entries.values()].filter((e) => !e.retired).map((e) => ({ kty: 'EC', crv: 'P-256', x: e.publicJwk.x!, y: e.publicJwk.y!, kid: e.kid, alg: 'ES256', use: 'sig' })),
  };
  const refuse = (reason: TokenRejection, detail: string): TokenCheck => ({ valid: false, reason, detail });

  return {
    currentKid: ring.currentKid,
    jwks: () => structuredClone(published),
    async sign(claims) {
      const payload = encodeClaims(claims);
      return new CompactSign(payload).setProtectedHeader({ alg: 'ES256', kid: ring.currentKid, typ: CERTIFICATE_TOKEN_TYPE }).sign(await signingKey);
    },
    async verify(token) {
      try {
        if (typeof token !== 'string' || token.length > MAX_CERTIFICATE_TOKEN_LENGTH || !compactPattern.test(token)) {
          return refuse('malformed', 'not a compact JWS (three base64url parts) of at most 1024 characters');
        }
        const known = verified.get(token);
        if (known) return known;
        let header: Record<string, unknown>;
        try {
          header = decodeProtectedHeader(token) as Record<string, unknown>;
        } catch {
          return refuse('malformed', 'the token header cannot be read');
        }
        for (const name of Object.keys(header)) {
          if (keyHeaders.has(name)) return refuse('header-not-allowed', `the header carries \`${name}\`: keys and extensions are never taken from a token`);
          if (!allowedHeaders.has(name)) return refuse('header-not-allowed', `the header carries \`${name}\`; only alg, kid and typ are allowed`);
        }
        if (header.alg !== 'ES256') return refuse('algorithm-not-allowed', `alg must be ES256, not ${JSON.stringify(header.alg)}`);
        if (header.typ !== CERTIFICATE_TOKEN_TYPE) return refuse('wrong-type', `typ must be ${CERTIFICATE_TOKEN_TYPE}`);
        const kid = header.kid;
        if (typeof kid !== 'string') return refuse('unknown-key', 'the header names no key (kid)');
        const entry = entries.get(kid);
        if (!entry) return refuse('unknown-key', 'no published key has this kid');
        if (entry.retired) return refuse('retired-key', 'the key that signed this token has been retired');
        let payload: Uint8Array;
        try {
          ({ payload } = await compactVerify(token, await publicKey(kid, entry.publicJwk), { algorithms: ['ES256'] }));
        } catch {
          return refuse('signature-invalid', 'the signature does not match the content: the token was altered or not signed by this key');
        }
        let claims: CertificateClaims;
        try {
          claims = decodeClaims(payload);
        } catch (error) {
          return refuse('malformed', `the signed content is not a certificate token: ${(error as Error).message}`);
        }
        const check = { valid: true as const, claims, kid };
        if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value!);
        verified.set(token, check);
        return check;
      } catch {
        // Nothing above should throw; a token is refused rather than ever answered with an error.
        return refuse('malformed', 'the token cannot be read');
      }
    },
  };
}

type RingEntry = CertificateKeyRing['keys'][number];

function checkRing(ring: CertificateKeyRing): Map<string, RingEntry> {
  const entries = new Map<string, RingEntry>();
  if (!ring || !Array.isArray(ring.keys)) throw new Error('the certificate key ring needs `currentKid` and `keys`');
  for (const [i, key] of ring.keys.entries()) {
    const where = `certificate key ${i + 1} (kid ${JSON.stringify(key?.kid)})`;
    if (typeof key?.kid !== 'string' || !kidPattern.test(key.kid)) throw new Error(`${where}: kid must be 1 to 16 characters of A-Z a-z 0-9 . _ - (it is in every QR code)`);
    if (entries.has(key.kid)) throw new Error(`${where}: the kid is used twice`);
    const pub = key.publicJwk;
    if (!pub || pub.kty !== 'EC' || pub.crv !== 'P-256' || typeof pub.x !== 'string' || typeof pub.y !== 'string') throw new Error(`${where}: publicJwk must be an EC P-256 key (ES256)`);
    if ('d' in pub) throw new Error(`${where}: publicJwk contains the private part \`d\`; put it in privateJwk`);
    const priv = key.privateJwk;
    if (priv && (typeof priv.d !== 'string' || priv.x !== pub.x || priv.y !== pub.y)) throw new Error(`${where}: privateJwk must be the private half of publicJwk`);
    entries.set(key.kid, key);
  }
  const current = entries.get(ring.currentKid);
  if (!current) throw new Error(`currentKid ${JSON.stringify(ring.currentKid)} is not in the ring; kids: ${[...entries.keys()].join(', ') || 'none'}`);
  if (!current.privateJwk) throw new Error(`the current key ${ring.currentKid} has no privateJwk to sign with`);
  if (current.retired) throw new Error(`the current key ${ring.currentKid} is retired; make another key current`);
  return entries;
}

/** The URL the QR code holds. The token is in the fragment, which browsers never send to a server or proxy. */
export function verificationUrl(publicBaseUrl: string, token: string): string {
  return `${publicBaseUrl.replace(/\/+$/, '')}/verify#${token}`;
}

/**
 * The development key ring: one ES256 key, created on first use as `dataDir/certificate-key.dev.jwk.json`
 * (mode 0600) and reused after. Never for production, where a configured ring is required.
 */
export async function loadDevCertificateKeys(dataDir: string): Promise<CertificateKeyRing> {
  const file = join(dataDir, 'certificate-key.dev.jwk.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), kid: `dev-${randomBytes(3).toString('hex')}` };
    mkdirSync(dataDir, { recursive: true });
    try {
      writeFileSync(file, JSON.stringify(jwk), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      // Another process created it first: use theirs.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    text = readFileSync(file, 'utf8');
  }
  const { kid, ...privateJwk } = JSON.parse(text) as JWK & { kid: string };
  const { d: _private, ...publicJwk } = privateJwk;
  return { currentKid: kid, keys: [{ kid, privateJwk, publicJwk }] };
}

// ---- the payload layout (see the top of this file) ----

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const datePattern = /^(\d{4})\/(\d{2})\/(\d{2})$/;
const idAlphabet = '-0123456789abcdefghijklmnopqrstuvwxyz';
const idPattern = /^[-0-9a-z]{1,64}$/;
// Printed text: no control characters and no lone surrogates (UTF-8 could not carry them).
// U+FFFD is what a broken byte sequence decodes to, so a signer refuses it too.
const unprintable = /[\p{Cc}\p{Cs}\uFFFD]/u;

function encodeClaims(c: CertificateClaims): Uint8Array {
  if (!uuidPattern.test(c.certificateId)) throw new RangeError(`certificateId must be a lower-case UUID, not ${JSON.stringify(c.certificateId)}`);
  if (!idPattern.test(c.qualificationId)) throw new RangeError(`qualificationId must be 1 to 64 characters of a-z 0-9 -, not ${JSON.stringify(c.qualificationId)}`);
  const bytes: number[] = [...Buffer.from(c.certificateId.replaceAll('-', ''), 'hex')];
  bytes.push(...packDate('issuedOn', c.issuedOn), ...packDate('birthDate', c.birthDate));
  bytes.push(c.qualificationId.length, ...packId(c.qualificationId));
  bytes.push(...packNumber(c.registrationNumber), ...packName(c.name));
  return Uint8Array.from(bytes);
}

function decodeClaims(payload: Uint8Array): CertificateClaims {
  const r = new Reader(payload);
  const hex = Buffer.from(r.take(16)).toString('hex');
  const certificateId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  const issuedOn = unpackDate(r.take(3));
  const birthDate = unpackDate(r.take(3));
  const qualificationId = unpackId(r);
  const registrationNumber = unpackNumber(r);
  const name = unpackName(r);
  if (!r.done()) throw new Error('bytes after the last item');
  return { certificateId, qualificationId, registrationNumber, name, birthDate, issuedOn };
}

class Reader {
  #at = 0;
  readonly #bytes: Uint8Array;
  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }
  take(n: number): Uint8Array {
    if (this.#at + n > this.#bytes.length) throw new Error('the content ends early');
    const out = this.#bytes.subarray(this.#at, this.#at + n);
    this.#at += n;
    return out;
  }
  byte(): number {
    return this.take(1)[0]!;
  }
  done(): boolean {
    return this.#at === this.#bytes.length;
  }
}

function packDate(field: string, text: string): number[] {
  const m = datePattern.exec(text);
  const [y, mo, d] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
  if (!m || mo < 1 || mo > 12 || d < 1 || d > 31) throw new RangeError(`${field} must be printed as yyyy/mm/dd, not ${JSON.stringify(text)}`);
  const v = y * 512 + mo * 32 + d;
  return [v >> 16, (v >> 8) & 0xff, v & 0xff];
}

function unpackDate(b: Uint8Array): string {
  const v = (b[0]! << 16) | (b[1]! << 8) | b[2]!;
  const [y, mo, d] = [Math.floor(v / 512), (v >> 5) & 15, v & 31];
  if (mo < 1 || mo > 12 || d < 1) throw new Error('a date is out of range');
  return `${String(y).padStart(4, '0')}/${String(mo).padStart(2, '0')}/${String(d).padStart(2, '0')}`;
}

function packId(id: string): number[] {
  const out: number[] = [];
  const sym = (i: number) => idAlphabet.indexOf(id[i]!);
  let i = 0;
  for (; i + 3 <= id.length; i += 3) {
    const v = sym(i) * 1600 + sym(i + 1) * 40 + sym(i + 2);
    out.push(v >> 8, v & 0xff);
  }
  if (id.length - i === 2) out.push(sym(i), sym(i + 1));
  if (id.length - i === 1) out.push(sym(i));
  return out;
}

function unpackId(r: Reader): string {
  const length = r.byte();
  if (length < 1 || length > 64) throw new Error('the qualification id length is out of range');
  const sym = (v: number) => {
    if (v >= idAlphabet.length) throw new Error('the qualification id has a character outside a-z 0-9 -');
    return idAlphabet[v]!;
  };
  let id = '';
  for (let n = length; n > 0; ) {
    if (n >= 3) {
      const [hi, lo] = r.take(2);
      const v = (hi! << 8) | lo!;
      if (v >= 40 * 40 * 40) throw new Error('the qualification id is not packed in base 40');
      id += sym(Math.floor(v / 1600)) + sym(Math.floor(v / 40) % 40) + sym(v % 40);
      n -= 3;
    } else {
      id += sym(r.byte());
      n -= 1;
    }
  }
  return id;
}

const FORM_TEXT = 0b00;
const FORM_DIGITS = 0b01;
const FORM_DAI_GO = 0b10; // 第…号

function packNumber(text: string): number[] {
  const dai = /^第(\d{1,63})号$/.exec(text);
  const digits = dai?.[1] ?? (/^\d{1,63}$/.test(text) ? text : undefined);
  if (digits !== undefined) {
    const out = [((dai ? FORM_DAI_GO : FORM_DIGITS) << 6) | digits.length];
    for (let i = 0; i < digits.length; i += 2) out.push((Number(digits[i]) << 4) | (i + 1 < digits.length ? Number(digits[i + 1]) : 0xf));
    return out;
  }
  const utf8 = Buffer.from(text, 'utf8');
  if (text === '' || utf8.length > 63 || unprintable.test(text)) throw new RangeError(`registrationNumber must be 1 to 63 bytes of printable text, not ${JSON.stringify(text)}`);
  return [(FORM_TEXT << 6) | utf8.length, ...utf8];
}

function unpackNumber(r: Reader): string {
  const head = r.byte();
  const form = head >> 6;
  const count = head & 63;
  if (count === 0) throw new Error('the registration number is empty');
  if (form === FORM_TEXT) return printable(Buffer.from(r.take(count)).toString('utf8'), 'registration number');
  if (form !== FORM_DIGITS && form !== FORM_DAI_GO) throw new Error('the registration number has an unknown form');
  let digits = '';
  for (const b of r.take(Math.ceil(count / 2))) {
    const [hi, lo] = [b >> 4, b & 15];
    if (hi > 9) throw new Error('the registration number is not packed decimal');
    digits += String(hi);
    if (digits.length < count) {
      if (lo > 9) throw new Error('the registration number is not packed decimal');
      digits += String(lo);
    } else if (lo !== 0xf) throw new Error('the registration number has a bad pad digit');
  }
  return form === FORM_DAI_GO ? `第${digits}号` : digits;
}

function packName(name: string): number[] {
  if (name === '' || unprintable.test(name)) throw new RangeError(`name must be printable text, not ${JSON.stringify(name)}`);
  const utf8 = Buffer.from(name, 'utf8');
  const utf16 = Buffer.from(name, 'utf16le');
  const [flag, bytes] = utf16.length < utf8.length ? [0x80, utf16] : [0, utf8];
  if (bytes.length > 127) throw new RangeError(`name is too long for the QR code (${bytes.length} bytes; at most 127)`);
  return [flag | bytes.length, ...bytes];
}

function unpackName(r: Reader): string {
  const head = r.byte();
  const bytes = Buffer.from(r.take(head & 127));
  if (bytes.length === 0) throw new Error('the name is empty');
  if (head & 0x80 && bytes.length % 2 !== 0) throw new Error('the name is not UTF-16');
  return printable(bytes.toString(head & 0x80 ? 'utf16le' : 'utf8'), 'name');
}

function printable(text: string, what: string): string {
  if (unprintable.test(text)) throw new Error(`the ${what} is not printable text`);
  return text;
}
