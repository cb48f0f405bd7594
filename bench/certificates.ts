// Certificates (issue 5, performance-baselines notes §5 targets 3 and 4): how fast the real renderer renders
// and signs a certificate, against the same certificate unsigned and against a naive pdf-lib render written
// here; and `POST /v1/verify` over real HTTP at 32 connections against a bare JWS + row route and a
// hello-world route, plus proof that the status cache notices a superseded certificate. See bench/README.md.
import { execFileSync, fork } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { PDFDocument, rgb } from 'pdf-lib';
import QRCode from 'qrcode';
import sharp from 'sharp';
import {
  createPostgresPool,
  importRegistryEntry,
  markEntryCertificates,
  migrateToLatest,
  systemClock,
  type Database,
  type DefinitionStore,
} from '../engine/index.ts';
import {
  checkPdfSignature,
  createCertificateRenderer,
  createCertificateTokens,
  createPdfSigner,
  loadDevCertificateKeys,
  loadDevSigningIdentity,
  printablePhoto,
  readSigningCertificate,
  verificationUrl,
  type CertificateClaims,
  type CertificateKeyRing,
  type CertificateRenderer,
  type CertificateTokens,
  type CertificateView,
  type PdfSigner,
} from '../renderer/index.ts';
import { A4 } from '../renderer/certificate-layout.ts';
import { certificateText } from '../renderer/certificate-text.ts';
import { defaultFontFiles } from '../renderer/font-set.ts';
import { openFont, pdfFontkit } from '../renderer/fontkit-adapter.ts';
import { median, runLoad, type LoadResult } from './load.ts';
import type { TargetConfig, TargetReady } from './verify-target.ts';

export interface CertificateBenchConfig {
  readonly rounds: number;
  readonly warmupMs: number;
  /** Measured window per rendering variant and round. */
  readonly renderMs: number;
  /** Measured autocannon run per HTTP target and round, in seconds (a warm-up run of `warmupMs` precedes it). */
  readonly httpSeconds: number;
  readonly connections: number;
  /** PostgreSQL server to create the fresh database on (its admin URL). */
  readonly adminUrl: string;
  readonly definitions: DefinitionStore;
  /** The same definitions as a folder, for the server process. */
  readonly definitionsDir: string;
}

export interface RenderRound {
  readonly signed: LoadResult;
  readonly unsigned: LoadResult;
  readonly naive: LoadResult;
  readonly signedOverUnsigned: number;
  readonly signedOverNaive: number;
}

export interface RenderResult {
  readonly fonts: readonly string[];
  /** Bytes of the QR URL (UTF-8), min and max over the views. */
  readonly qrUrlBytes: { readonly min: number; readonly max: number };
  readonly views: number;
  readonly rounds: readonly RenderRound[];
  readonly signedPerSec: number;
  readonly unsignedPerSec: number;
  readonly naivePerSec: number;
  readonly signedMsPerCertificate: number;
  readonly unsignedMsPerCertificate: number;
  readonly naiveMsPerCertificate: number;
  readonly signedOverUnsigned: number;
  readonly signedOverNaive: number;
  /** Median and largest size over the views. */
  readonly signedBytes: { readonly median: number; readonly max: number };
  readonly unsignedBytes: { readonly median: number; readonly max: number };
  readonly naiveBytes: { readonly median: number; readonly max: number };
  /** Largest signed PDF over the views with a photo: 236 × 315 JPEG, as issuance prints one (`printablePhoto`). */
  readonly signedPhotoBytes: number;
  /** What poppler's pdfsig said about one signed certificate, or why it did not run. */
  readonly pdfsig: string;
}

export interface HttpRun {
  readonly reqPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  readonly seconds: number;
}

export interface VerifyRound {
  readonly verify: HttpRun;
  readonly bare: HttpRun;
  readonly hello: HttpRun;
  readonly verifyOverBare: number;
  readonly verifyOverHello: number;
  readonly bareOverHello: number;
}

export interface StatusCacheCheck {
  /** From the committed UPDATE to the sending of the first request answered `superseded`. */
  readonly visibleAfterMs: number | null;
  /** Requests sent more than 2 s after the commit that still answered `active` (must be 0). */
  readonly staleAfterTtl: number;
  /** Answers of `active` after the first `superseded` (must be 0). */
  readonly flippedBack: number;
  readonly polls: number;
  readonly statusAsOf: string | null;
  readonly ok: boolean;
  readonly problem: string | null;
}

export interface VerifyResult {
  readonly connections: number;
  readonly tokenBytes: number;
  readonly rounds: readonly VerifyRound[];
  readonly verify: Omit<HttpRun, 'requests' | 'seconds'>;
  readonly bare: Omit<HttpRun, 'requests' | 'seconds'>;
  readonly hello: Omit<HttpRun, 'requests' | 'seconds'>;
  readonly verifyOverBare: number;
  readonly verifyOverHello: number;
  readonly bareOverHello: number;
  readonly statusCache: StatusCacheCheck;
}

export interface CertificateBenchResult {
  readonly render: RenderResult;
  readonly verify: VerifyResult;
}

/** Of the status cache (api/certificate-status-cache.ts, published in docs/api.md). */
const STATUS_VISIBLE_WITHIN_MS = 2000;
const POOL_SIZE = 10;
// A realistic length: with it the QR URLs come to about 280 bytes (at most 300 stay readable from paper).
const PUBLIC_BASE_URL = 'https://certificates.shikaku.example.jp';

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const log = (line: string) => console.log(line);
const sizes = (pdfs: readonly Uint8Array[]) => ({ median: median(pdfs.map((p) => p.byteLength)), max: Math.max(...pdfs.map((p) => p.byteLength)) });

/** ABBA over any number of sides: rounds 1 and 4 in the given order, rounds 2 and 3 reversed. */
const orderFor = <T>(round: number, sides: readonly T[]): T[] => (round % 4 === 1 || round % 4 === 0 ? [...sides] : [...sides].reverse());

export async function benchCertificates(config: CertificateBenchConfig): Promise<CertificateBenchResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'shikaku-bench-certificates-'));
  try {
    const t0 = performance.now();
    const fontFiles = defaultFontFiles();
    const renderer = await createCertificateRenderer({ fontFiles });
    // The development identity and key ring, created in a temporary data directory as `shikaku serve` would.
    const identity = await loadDevSigningIdentity(dataDir);
    const signer = createPdfSigner(identity);
    const ring = await loadDevCertificateKeys(dataDir);
    const tokens = createCertificateTokens(ring);
    log(`[certificates] renderer with ${fontFiles.length} font(s), development signing identity and key ring ready in ${fmt((performance.now() - t0) / 1000, 1)} s`);
    const trusted = [readSigningCertificate(identity)];
    const render = await measureRendering(config, { renderer, signer, tokens, trusted, fontFiles, dataDir });
    const verify = await measureVerification(config, { renderer, signer, tokens, ring });
    return { render, verify };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// ---- rendering ----

const names = ['山田 花子', '佐藤 健太郎', '鈴木 美咲', '高橋 翔', '田中 由紀子', '伊藤 大輔', '渡辺 真理子', '中村 陽菜'];

/** The claims and view of a 介護福祉士 certificate as issuance builds them (api/certificate-view.ts): 7 front items. */
export function certificateFor(name: string, qualificationId: string, index: number): { claims: CertificateClaims; view: (qrUrl: string) => CertificateView } {
  const certificateId = randomUUID();
  const registrationNumber = `第${String(123_456 + index * 7919).padStart(9, '0')}号`;
  const birthDate = `${1960 + index * 4}/0${1 + (index % 9)}/1${index % 10}`;
  const claims: CertificateClaims = { certificateId, qualificationId, registrationNumber, name, birthDate, issuedOn: '2026/12/04' };
  return {
    claims,
    view: (qrUrl) => ({
      certificateId,
      title: '介護福祉士登録証',
      front: [
        { item: 'qualificationName', label: { ja: '資格名称', en: 'Qualification' }, value: '介護福祉士' },
        { item: 'name', label: { ja: '氏名', en: 'Name' }, value: name },
        { item: 'birthDate', label: { ja: '生年月日', en: 'Date of birth' }, value: birthDate },
        { item: 'registrationNumber', label: { ja: '登録番号', en: 'Registration number' }, value: registrationNumber },
        { item: 'registeredOn', label: { ja: '登録年月日', en: 'Registered on' }, value: '2024/05/20' },
        { item: 'issuedOn', label: { ja: '発行年月日', en: 'Issued on' }, value: '2026/12/04' },
        { item: 'issuer', label: { ja: '交付機関', en: 'Issued by' }, value: '公益財団法人社会福祉振興・試験センター' },
      ],
      back: [],
      qrUrl,
      photo: null,
    }),
  };
}

/**
 * A photo as issuance prints it: `printablePhoto` of a 236 × 315 portrait. A gradient with ±24 levels of noise
 * per channel from a fixed seed is a worst case (about 9 KB of JPEG where a drawn face is 3 KB and a flat colour
 * under 1 KB), and is the same in every run.
 */
async function benchPhoto(): Promise<{ bytes: Uint8Array; type: 'jpeg' }> {
  const [width, height] = [236, 315];
  const pixels = Buffer.alloc(width * height * 3);
  let seed = 0x9e3779b9;
  const noise = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 48 - 24;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = (y * width + x) * 3;
      pixels[at] = 90 + (120 * y) / height + noise();
      pixels[at + 1] = 110 + (80 * x) / width + noise();
      pixels[at + 2] = 170 - (60 * y) / height + noise();
    }
  }
  return printablePhoto(await sharp(pixels, { raw: { width, height, channels: 3 } }).png().toBuffer());
}

async function benchViews(tokens: CertificateTokens): Promise<CertificateView[]> {
  return Promise.all(names.map(async (name, i) => {
    const { claims, view } = certificateFor(name, 'kaigo-fukushishi', i);
    return view(verificationUrl(PUBLIC_BASE_URL, await tokens.sign(claims)));
  }));
}

const INK = rgb(0.08, 0.09, 0.12);
const MUTED = rgb(0.36, 0.38, 0.43);
const FRAME = rgb(0.13, 0.23, 0.42);

/**
 * The naive baseline: what a first pdf-lib implementation does. The same font bytes through the repo's fontkit
 * adapter, but parsed anew for every certificate (`openFont`) and embedded as a subset; `drawText` with the font
 * on every call; the QR code as a PNG from `qrcode.toBuffer`, embedded with `embedPng`. Same page, same texts
 * at about the same places, no wrapping or fallback fonts (the bench's names need neither).
 */
export async function renderNaive(view: CertificateView, fontBytes: Uint8Array): Promise<Uint8Array> {
  openFont(fontBytes);
  const doc = await PDFDocument.create();
  doc.registerFontkit(pdfFontkit);
  doc.setTitle(view.title);
  const font = await doc.embedFont(fontBytes, { subset: true });
  const page = doc.addPage([A4.width, A4.height]);
  page.drawRectangle({ x: 28, y: 28, width: A4.width - 56, height: A4.height - 56, borderColor: FRAME, borderWidth: 1.6 });
  page.drawRectangle({ x: 33, y: 33, width: A4.width - 66, height: A4.height - 66, borderColor: FRAME, borderWidth: 0.4 });
  const centred = (text: string, size: number, centre: number, y: number, color = INK) =>
    page.drawText(text, { x: centre - font.widthOfTextAtSize(text, size) / 2, y, size, font, color });
  centred(view.title, 24, A4.width / 2, 752);
  let y = 690;
  for (const item of view.front) {
    page.drawText(item.label.ja, { x: 64, y: y - 12, size: 10, font, color: MUTED });
    if (item.label.en) page.drawText(item.label.en, { x: 64, y: y - 23, size: 7, font, color: MUTED });
    page.drawText(item.value, { x: 194, y: y - 14, size: 14, font, color: INK });
    page.drawLine({ start: { x: 64, y: y - 32 }, end: { x: A4.width - 64, y: y - 32 }, thickness: 0.5, color: MUTED });
    y -= 40;
  }
  page.drawText(certificateText.footer(view), { x: 64, y: 96, size: 8, font, color: MUTED });
  page.drawText(certificateText.signatureNoticeJa(view), { x: 64, y: 82, size: 6.5, font, color: MUTED });
  page.drawText(certificateText.signatureNoticeEn(view), { x: 64, y: 72, size: 6.5, font, color: MUTED });
  if (view.qrUrl) {
    const qr = await doc.embedPng(await QRCode.toBuffer(view.qrUrl, { errorCorrectionLevel: 'Q' }));
    page.drawImage(qr, { x: A4.width - 64 - 128, y: 76, width: 128, height: 128 });
    centred(certificateText.qrCaption(view), 7, A4.width - 64 - 64, 70, MUTED);
  }
  return doc.save();
}

/** pdfsig's verdict on `pdf`, or why it could not run; throws when pdfsig runs and does not call it valid. */
function pdfsigVerdict(pdf: Uint8Array, dataDir: string): string {
  const file = join(dataDir, 'bench-signed.pdf');
  writeFileSync(file, pdf);
  let output: string;
  try {
    output = execFileSync('pdfsig', [file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stdout?: string };
    if (e.code === 'ENOENT') return 'not run (install poppler-utils)';
    output = e.stdout ?? '';
  }
  // Read pdfsig's words, not its exit code (reliability notes §3).
  if (!output.includes('Signature is Valid.') || !output.includes('Total document signed')) throw new Error(`bench: pdfsig does not accept the signed certificate:\n${output}`);
  return 'Signature is Valid. / Total document signed';
}

interface RenderSetup {
  readonly renderer: CertificateRenderer;
  readonly signer: PdfSigner;
  readonly tokens: CertificateTokens;
  readonly trusted: readonly Uint8Array[];
  readonly fontFiles: readonly string[];
  readonly dataDir: string;
}

async function measureRendering(config: CertificateBenchConfig, setup: RenderSetup): Promise<RenderResult> {
  const { renderer, signer } = setup;
  const views = await benchViews(setup.tokens);
  const urlBytes = views.map((v) => Buffer.byteLength(v.qrUrl!));
  // The naive render keeps the bytes in memory (no file read per certificate) and parses them each time.
  const fontBytes = new Uint8Array(await readFile(setup.fontFiles[0]!));

  // Self-checks, and the sizes: every view once through each variant.
  const unsignedPdfs: Uint8Array[] = [];
  const signedPdfs: Uint8Array[] = [];
  const naivePdfs: Uint8Array[] = [];
  const photoPdfs: Uint8Array[] = [];
  const photo = await benchPhoto();
  const signed = async (view: CertificateView) => {
    const pdf = await renderer.render(view, { signer });
    const check = checkPdfSignature(pdf, setup.trusted);
    if (!check.valid) throw new Error(`bench: a signed certificate does not verify: ${check.reasons.join('; ')}`);
    return pdf;
  };
  for (const view of views) {
    unsignedPdfs.push(await renderer.render(view));
    signedPdfs.push(await signed(view));
    photoPdfs.push(await signed({ ...view, photo }));
    naivePdfs.push(await renderNaive(view, fontBytes));
  }
  const pdfsig = pdfsigVerdict(signedPdfs[0]!, setup.dataDir);
  log(`[certificates] ${views.length} views (7 front items, QR URL ${Math.min(...urlBytes)}–${Math.max(...urlBytes)} B), each also with a ${fmt(photo.bytes.byteLength)} B photo; every signed PDF verifies (checkPdfSignature); pdfsig: ${pdfsig}`);

  const ids = views.map((_, i) => String(i));
  const viewOf = (id: string) => views[Number(id)]!;
  const variants = {
    signed: async (id: string) => void (await renderer.render(viewOf(id), { signer })),
    unsigned: async (id: string) => void (await renderer.render(viewOf(id))),
    naive: async (id: string) => void (await renderNaive(viewOf(id), fontBytes)),
  } as const;
  type Variant = keyof typeof variants;
  const rounds: RenderRound[] = [];
  for (let r = 1; r <= config.rounds; r++) {
    const results = {} as Record<Variant, LoadResult>;
    for (const variant of orderFor<Variant>(r, ['signed', 'unsigned', 'naive'])) {
      // One caller: rendering is CPU-bound and single-threaded, so this is certificates/s on one core.
      results[variant] = await runLoad([ids], variants[variant], config.warmupMs, config.renderMs);
      const res = results[variant];
      log(`[certificates] round ${r} ${variant.padEnd(8)} ${fmt(res.txPerSec, 1).padStart(6)} certificates/s  p50 ${fmt(res.p50Ms, 1)} ms  p99 ${fmt(res.p99Ms, 1)} ms  (${res.ops})`);
    }
    rounds.push({ ...results, signedOverUnsigned: results.signed.txPerSec / results.unsigned.txPerSec, signedOverNaive: results.signed.txPerSec / results.naive.txPerSec });
  }
  const med = (pick: (r: RenderRound) => number) => median(rounds.map(pick));
  return {
    fonts: setup.fontFiles,
    qrUrlBytes: { min: Math.min(...urlBytes), max: Math.max(...urlBytes) },
    views: views.length,
    rounds,
    signedPerSec: med((r) => r.signed.txPerSec),
    unsignedPerSec: med((r) => r.unsigned.txPerSec),
    naivePerSec: med((r) => r.naive.txPerSec),
    signedMsPerCertificate: med((r) => r.signed.p50Ms),
    unsignedMsPerCertificate: med((r) => r.unsigned.p50Ms),
    naiveMsPerCertificate: med((r) => r.naive.p50Ms),
    signedOverUnsigned: med((r) => r.signedOverUnsigned),
    signedOverNaive: med((r) => r.signedOverNaive),
    signedBytes: sizes(signedPdfs),
    unsignedBytes: sizes(unsignedPdfs),
    naiveBytes: sizes(naivePdfs),
    signedPhotoBytes: sizes(photoPdfs).max,
    pdfsig,
  };
}

// ---- verification over HTTP ----

interface VerifySetup {
  readonly renderer: CertificateRenderer;
  readonly signer: PdfSigner;
  readonly tokens: CertificateTokens;
  readonly ring: CertificateKeyRing;
}

interface Target {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/** A certificate row as issuance writes it; only columns the table has (its schema is young and growing). */
async function insertCertificate(db: Kysely<Database>, values: Record<string, unknown>): Promise<void> {
  const { rows } = await sql<{ column_name: string }>`SELECT column_name FROM information_schema.columns WHERE table_name = 'certificates'`.execute(db);
  const present = new Set(rows.map((r) => r.column_name));
  const entries = Object.entries(values).filter(([column]) => present.has(column));
  await sql`INSERT INTO certificates (${sql.join(entries.map(([c]) => sql.id(c)))}) VALUES (${sql.join(entries.map(([, v]) => v))})`.execute(db);
}

/**
 * Starts bench/verify-target.ts as a child (it inherits tsx's loader from this process's execArgv). With
 * `BENCH_CPU_PROF_DIR` set, the child writes a V8 CPU profile there when it exits.
 */
async function startTargets(config: TargetConfig): Promise<{ ready: TargetReady; close: () => Promise<void> }> {
  const profileDir = process.env.BENCH_CPU_PROF_DIR;
  const child = fork(join(import.meta.dirname, 'verify-target.ts'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [...process.execArgv, ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = await new Promise<TargetReady>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('bench: the verification servers did not start in 60 s')), 60_000);
    child.once('message', (message: TargetReady | { error: string }) => {
      clearTimeout(timer);
      if ('error' in message) reject(new Error(`bench: the verification servers failed to start: ${message.error}`));
      else resolve(message);
    });
    child.once('exit', (code) => reject(new Error(`bench: the verification server process exited with ${code}`)));
    child.send(config);
  });
  return {
    ready,
    async close() {
      if (child.exitCode === null && child.connected) child.send('close');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function cannon(label: string, target: Target, connections: number, seconds: number): Promise<HttpRun> {
  const result = await autocannon({ ...target, connections, duration: seconds, timeout: 10 });
  if (result.errors > 0 || result.timeouts > 0 || result.non2xx > 0) {
    throw new Error(`bench: ${label}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx responses`);
  }
  return { reqPerSec: result['2xx'] / result.duration, p50Ms: result.latency.p50, p99Ms: result.latency.p99, requests: result['2xx'], seconds: result.duration };
}

/** One JSON request over a keep-alive agent; the answer's status and parsed body. */
function call(agent: Agent, target: Target): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const headers = target.body === undefined ? target.headers : { ...target.headers, 'content-length': String(Buffer.byteLength(target.body)) };
    const req = request(target.url, { method: target.method, agent, ...(headers ? { headers } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> });
        } catch (error) {
          reject(error);
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(target.body);
  });
}

async function measureVerification(config: CertificateBenchConfig, setup: VerifySetup): Promise<VerifyResult> {
  const name = `shikaku_bench_cert_${randomBytes(6).toString('hex')}`;
  const url = new URL(config.adminUrl);
  url.pathname = `/${name}`;
  const admin = new pg.Client({ connectionString: config.adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  log(`[verify] created database ${name} on ${url.host}`);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: createPostgresPool(url.toString(), 2) }) });
  let targets: Awaited<ReturnType<typeof startTargets>> | undefined;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    await migrateToLatest(db);
    const now = systemClock.now();
    await config.definitions.persist(db, now);
    // A holder of the fixture qualification `test-qual` with one active certificate, issued as the worker does.
    const entry = await importRegistryEntry(db, {
      qualificationId: 'test-qual', registrationNumber: 123456, holderId: 'bench-holder', familyName: '山田', givenName: '花子',
      birthDate: '1988-04-01', honseki: '東京都', registeredOn: '2024-05-20',
    }, now);
    const { claims, view } = certificateFor('山田 花子', 'test-qual', 0);
    const token = await setup.tokens.sign(claims);
    const pdf = await setup.renderer.render(view(verificationUrl(PUBLIC_BASE_URL, token)), { signer: setup.signer });
    await insertCertificate(db, {
      id: claims.certificateId, registry_entry_id: entry.id, qualification_id: 'test-qual', holder_id: entry.holderId, source_application_id: null,
      status: 'active', status_reason: null, token_key_id: setup.ring.currentKid, printed: JSON.stringify(claims), pdf,
      pdf_sha256: createHash('sha256').update(pdf).digest('hex'), issued_at: now, status_changed_at: now,
    });

    targets = await startTargets({ databaseUrl: url.toString(), definitionsDir: config.definitionsDir, ring: setup.ring, poolSize: POOL_SIZE });
    const body = JSON.stringify({ token });
    const json = { 'content-type': 'application/json' };
    const sides = {
      verify: { url: `${targets.ready.api}/v1/verify`, method: 'POST', headers: json, body },
      bare: { url: `${targets.ready.bare}/verify`, method: 'POST', headers: json, body },
      hello: { url: `${targets.ready.bare}/hello`, method: 'GET' },
    } as const satisfies Record<string, Target>;
    type Side = keyof typeof sides;

    // Each answers what it should before it is measured.
    const first = await call(agent, sides.verify);
    if (first.status !== 200 || first.body.valid !== true || first.body.status !== 'active') throw new Error(`bench: POST /v1/verify answered ${first.status} ${JSON.stringify(first.body)}`);
    const bareFirst = await call(agent, sides.bare);
    if (bareFirst.status !== 200 || bareFirst.body.status !== 'active') throw new Error(`bench: the bare route answered ${bareFirst.status} ${JSON.stringify(bareFirst.body)}`);
    log(`[verify] API on ${targets.ready.api}, bare fastify on ${targets.ready.bare} (one child process); token ${token.length} B; autocannon ${config.connections} connections, ${config.httpSeconds} s per run after a ${config.warmupMs / 1000} s warm-up`);

    const rounds: VerifyRound[] = [];
    const warmupSeconds = config.warmupMs / 1000;
    for (let r = 1; r <= config.rounds; r++) {
      const results = {} as Record<Side, HttpRun>;
      for (const side of orderFor<Side>(r, ['verify', 'bare', 'hello'])) {
        if (warmupSeconds > 0) await cannon(`${side} warm-up`, sides[side], config.connections, warmupSeconds);
        const run = (results[side] = await cannon(side, sides[side], config.connections, config.httpSeconds));
        log(`[verify] round ${r} ${side.padEnd(6)} ${fmt(run.reqPerSec).padStart(6)} req/s  p50 ${fmt(run.p50Ms)} ms  p99 ${fmt(run.p99Ms)} ms  (${fmt(run.requests)})`);
      }
      rounds.push({
        ...results,
        verifyOverBare: results.verify.reqPerSec / results.bare.reqPerSec,
        verifyOverHello: results.verify.reqPerSec / results.hello.reqPerSec,
        bareOverHello: results.bare.reqPerSec / results.hello.reqPerSec,
      });
    }
    const med = (pick: (r: VerifyRound) => number) => median(rounds.map(pick));
    const summary = (side: Side) => ({ reqPerSec: med((r) => r[side].reqPerSec), p50Ms: med((r) => r[side].p50Ms), p99Ms: med((r) => r[side].p99Ms) });

    const statusCache = await checkStatusCache(config, agent, sides.verify, () => markEntryCertificates(db, entry.id, 'superseded', 'bench: a newer certificate was issued (再交付)', systemClock.now()));
    log(`[verify] status cache: ${statusCache.ok ? 'superseded' : 'NOT superseded'} after ${statusCache.visibleAfterMs === null ? '—' : `${fmt(statusCache.visibleAfterMs)} ms`} (${statusCache.polls} polls under load)${statusCache.problem ? ` — ${statusCache.problem}` : ''}`);
    return {
      connections: config.connections,
      tokenBytes: token.length,
      rounds,
      verify: summary('verify'),
      bare: summary('bare'),
      hello: summary('hello'),
      verifyOverBare: med((r) => r.verifyOverBare),
      verifyOverHello: med((r) => r.verifyOverHello),
      bareOverHello: med((r) => r.bareOverHello),
      statusCache,
    };
  } finally {
    agent.destroy();
    await targets?.close();
    await db.destroy();
    const dropper = new pg.Client({ connectionString: config.adminUrl });
    await dropper.connect();
    await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await dropper.end();
    log(`[verify] dropped database ${name}`);
  }
}

/**
 * While autocannon keeps the certificate's status hot in the cache (32 connections), marks the certificate
 * superseded in the database and polls `POST /v1/verify` one request at a time. Correct means: every request
 * sent more than 2 s after the commit answers superseded, at least one does, and none goes back to active.
 */
async function checkStatusCache(config: CertificateBenchConfig, agent: Agent, verify: Target, supersede: () => Promise<unknown>): Promise<StatusCacheCheck> {
  const loadSeconds = 1 + (STATUS_VISIBLE_WITHIN_MS + 1500) / 1000;
  const load = cannon('verify during the status-cache check', verify, config.connections, loadSeconds);
  load.catch(() => undefined);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const before = await call(agent, verify);
  let problem: string | null = before.body.status === 'active' ? null : `before the change it answered ${JSON.stringify(before.body.status)}`;
  await supersede();
  const committedAt = performance.now();
  let visibleAfterMs: number | null = null;
  let statusAsOf: string | null = null;
  let staleAfterTtl = 0;
  let flippedBack = 0;
  let polls = 0;
  // Poll until superseded shows, then 300 ms more to see that it stays; give up 1.5 s after the TTL.
  for (;;) {
    const sentAt = performance.now();
    const since = sentAt - committedAt;
    if (visibleAfterMs === null ? since > STATUS_VISIBLE_WITHIN_MS + 1500 : since > visibleAfterMs + 300) break;
    const answer = await call(agent, verify);
    polls++;
    if (answer.status !== 200) {
      problem ??= `a poll answered ${answer.status}`;
      continue;
    }
    const status = answer.body.status;
    if (status === 'superseded') {
      if (visibleAfterMs === null) {
        visibleAfterMs = since;
        statusAsOf = typeof answer.body.statusAsOf === 'string' ? answer.body.statusAsOf : null;
        if (answer.body.valid !== false || answer.body.reason !== 'superseded') problem ??= `superseded but valid ${JSON.stringify(answer.body.valid)}, reason ${JSON.stringify(answer.body.reason)}`;
      }
    } else {
      if (visibleAfterMs !== null) flippedBack++;
      if (since > STATUS_VISIBLE_WITHIN_MS) staleAfterTtl++;
      if (status !== 'active') problem ??= `a poll answered status ${JSON.stringify(status)}`;
    }
  }
  await load;
  if (visibleAfterMs === null) problem ??= `still not superseded ${fmt(STATUS_VISIBLE_WITHIN_MS + 1500)} ms after the change`;
  else if (staleAfterTtl > 0) problem ??= `${staleAfterTtl} request(s) sent more than ${STATUS_VISIBLE_WITHIN_MS} ms after the change still answered active`;
  else if (flippedBack > 0) problem ??= `${flippedBack} answer(s) went back to active after superseded`;
  return { visibleAfterMs, staleAfterTtl, flippedBack, polls, statusAsOf, ok: problem === null, problem };
}
