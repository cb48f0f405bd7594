import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureDefinitionsDir } from '../support/fixture-definitions.ts';
import { approve, issuingServer, myCertificate, type IssuingServer } from '../support/issuing-server.ts';
import { databaseKinds } from '../support/test-database.ts';
import { inkIn, itWith, pdfImages, renderGrey } from '../renderer/pdf-tools.ts';

const person = { familyName: '渡辺', givenName: '健', familyNameKana: 'ワタナベ', givenNameKana: 'ケン', birthDate: '1985-02-11', honseki: '東京都' };

/** A phone-like JPEG: 1200 × 1600, a dark disc on a light ground, stored sideways with EXIF orientation 6 and a GPS position. */
async function phoneJpeg(): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1600" height="1200"><rect width="1600" height="1200" fill="#dde"/><circle cx="800" cy="600" r="420" fill="#223"/></svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 90 }).withMetadata({ orientation: 6 }).withExif({ IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '35/1 41/1 0/1' } }).toBuffer();
}
const png = (width: number, height: number) => sharp({ create: { width, height, channels: 3, background: '#8899aa' } }).png().toBuffer();
const minimalPdf = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');

describe.each(databaseKinds)('attachments and the certificate photo on %s', (kind) => {
  let s: IssuingServer;
  let owner: string;
  let photo: Buffer;
  beforeAll(async () => {
    s = await issuingServer(kind, fixtureDefinitionsDir());
    owner = await s.bearer('photo-holder', 'applicant');
    photo = await phoneJpeg();
  });
  afterAll(async () => s?.close());

  const draft = async (authorization = owner) => {
    const res = await s.app.inject({ method: 'POST', url: '/v1/qualifications/photo-qual/procedures/registration/applications', headers: { authorization }, payload: { data: person } });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; version: number; state: string; data: Record<string, any> };
  };
  const put = (id: string, key: string, body: Buffer | string, type: string | undefined, version: number | undefined, authorization = owner) =>
    s.app.inject({
      method: 'PUT', url: `/v1/applications/${id}/attachments/${key}`, payload: body,
      headers: { authorization, ...(type ? { 'content-type': type } : {}), ...(version !== undefined ? { 'if-match': `"${version}"` } : {}) },
    });
  const get = (id: string, key: string, authorization = owner) => s.app.inject({ method: 'GET', url: `/v1/applications/${id}/attachments/${key}`, headers: { authorization } });
  const rows = async (id: string) => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM attachments WHERE application_id = ${id}`.execute(s.engine.db)).rows[0]!.n;

  it('describes the photo in the form as an upload of JPEG or PNG', async () => {
    const form = (await s.app.inject({ method: 'GET', url: '/v1/qualifications/photo-qual/procedures/registration/form' })).json();
    const attachments = form.schema.properties.attachments.properties;
    expect(attachments.photo).toMatchObject({ pattern: expect.stringContaining('upload:'), 'x-mediaTypes': ['image/jpeg', 'image/png'], 'x-required': true });
    expect(attachments.passCertificate['x-mediaTypes']).toEqual(['image/jpeg', 'image/png', 'application/pdf']);
    expect(attachments.passCertificate.pattern).toBeUndefined();
  });

  it('stores an upload, refers to it from the data and records its hash in the history', async () => {
    const app = await draft();
    const res = await put(app.id, 'photo', photo, 'image/jpeg', app.version);
    expect(res.statusCode, res.body).toBe(200);
    const { attachment, application } = res.json();
    expect(attachment).toMatchObject({ key: 'photo', mediaType: 'image/jpeg', byteSize: photo.length, href: `/v1/applications/${app.id}/attachments/photo` });
    expect(attachment.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(application.data.attachments.photo).toBe(`upload:${attachment.id}`);
    expect(application.version).toBe(app.version + 1);
    expect(res.headers.etag).toBe(`"${app.version + 1}"`);
    const history = (await s.app.inject({ method: 'GET', url: `/v1/applications/${app.id}/events`, headers: { authorization: owner } })).json().items;
    expect(history.at(-1)).toMatchObject({ type: 'edited', payload: { changed: ['attachments'], uploaded: { key: 'photo', sha256: attachment.sha256, byteSize: photo.length } } });

    const read = await get(app.id, 'photo');
    expect(read.statusCode).toBe(200);
    expect(read.headers['content-type']).toBe('image/jpeg');
    expect(read.headers['content-disposition']).toBe('attachment; filename="photo.jpg"');
    expect(read.headers['content-security-policy']).toBe("sandbox; default-src 'none'");
    expect(Buffer.from(read.rawPayload).equals(photo)).toBe(true);
    expect((await get(app.id, 'photo', await s.bearer('photo-staff', 'reviewer', 'photo-body'))).statusCode).toBe(200);
  });

  it('replaces an earlier upload of the same key and accepts a PDF where the key allows one', async () => {
    const app = await draft();
    const first = (await put(app.id, 'passCertificate', minimalPdf, 'application/pdf', app.version)).json();
    const second = await put(app.id, 'passCertificate', await png(300, 300), 'image/png', first.application.version);
    expect(second.statusCode, second.body).toBe(200);
    expect(second.json().attachment.id).not.toBe(first.attachment.id);
    expect(await rows(app.id)).toBe(1);
    expect((await get(app.id, 'passCertificate')).headers['content-type']).toBe('image/png');
  });

  it('refuses bad uploads with a coded problem and changes nothing', async () => {
    const app = await draft();
    const truncated = photo.subarray(0, Math.floor(photo.length / 2));
    const cases: [string, Parameters<typeof put>, number, string][] = [
      ['no If-Match', [app.id, 'photo', photo, 'image/jpeg', undefined], 428, 'PRECONDITION_REQUIRED'],
      ['a stale version', [app.id, 'photo', photo, 'image/jpeg', app.version + 5], 409, 'APPLICATION_VERSION_CONFLICT'],
      ['an attachment the procedure does not have', [app.id, 'phot', photo, 'image/jpeg', app.version], 404, 'ATTACHMENT_NOT_FOUND'],
      ['a media type no attachment takes', [app.id, 'photo', photo, 'image/gif', app.version], 415, 'ATTACHMENT_TYPE_UNSUPPORTED'],
      ['a PDF as the printed photo', [app.id, 'photo', minimalPdf, 'application/pdf', app.version], 415, 'ATTACHMENT_TYPE_UNSUPPORTED'],
      ['JSON instead of a file', [app.id, 'photo', '{"a":1}', 'application/json', app.version], 415, 'ATTACHMENT_TYPE_UNSUPPORTED'],
      ['no Content-Type', [app.id, 'photo', photo, undefined, app.version], 415, 'ATTACHMENT_TYPE_UNSUPPORTED'],
      ['an empty file', [app.id, 'photo', Buffer.alloc(0), 'image/jpeg', app.version], 422, 'ATTACHMENT_INVALID'],
      ['a JPEG sent as PNG', [app.id, 'photo', photo, 'image/png', app.version], 422, 'ATTACHMENT_INVALID'],
      ['a truncated JPEG', [app.id, 'photo', truncated, 'image/jpeg', app.version], 422, 'ATTACHMENT_INVALID'],
      ['a photo too small to print', [app.id, 'photo', await png(90, 120), 'image/png', app.version], 422, 'ATTACHMENT_INVALID'],
      ['a file over 10 MiB', [app.id, 'passCertificate', Buffer.concat([minimalPdf, Buffer.alloc(10 * 1024 * 1024)]), 'application/pdf', app.version], 413, 'REQUEST_TOO_LARGE'],
      ['someone else', [app.id, 'photo', photo, 'image/jpeg', app.version, await s.bearer('intruder', 'applicant')], 404, 'APPLICATION_NOT_FOUND'],
      ['a reviewer', [app.id, 'photo', photo, 'image/jpeg', app.version, await s.bearer('photo-staff', 'reviewer', 'photo-body')], 403, 'AUTH_FORBIDDEN'],
    ];
    for (const [name, args, status, code] of cases) {
      const res = await put(...args);
      expect([name, res.statusCode, res.headers['content-type'], res.json().code]).toEqual([name, status, 'application/problem+json; charset=utf-8', code]);
    }
    const unknownKey = (await put(app.id, 'phot', photo, 'image/jpeg', app.version)).json();
    expect(unknownKey.hint).toBe('did you mean `photo`?');
    expect((await put(app.id, 'photo', truncated, 'image/jpeg', app.version)).json().detail).toMatch(/premature end/i);
    const after = (await s.app.inject({ method: 'GET', url: `/v1/applications/${app.id}`, headers: { authorization: owner } })).json();
    expect([after.version, after.data.attachments, await rows(app.id)]).toEqual([app.version, undefined, 0]);
    expect((await get(app.id, 'photo')).json().code).toBe('ATTACHMENT_NOT_FOUND');
    expect((await get(app.id, 'photo', await s.bearer('intruder', 'applicant'))).json().code).toBe('APPLICATION_NOT_FOUND');
    expect((await get(app.id, 'photo', await s.bearer('staff-elsewhere', 'reviewer', 'other-body'))).json().code).toBe('APPLICATION_NOT_FOUND');
  });

  it('lets only an upload set an upload reference, and needs the printed photo uploaded', async () => {
    const app = await draft();
    const otherApp = await draft(await s.bearer('someone-else', 'applicant'));
    const foreign = (await put(otherApp.id, 'photo', photo, 'image/jpeg', otherApp.version, await s.bearer('someone-else', 'applicant'))).json().application.data.attachments.photo;
    const patch = (attachments: Record<string, unknown>) => s.app.inject({ method: 'PATCH', url: `/v1/applications/${app.id}`, headers: { authorization: owner, 'if-match': `"${app.version}"` }, payload: { data: { attachments } } });
    const forged = await patch({ passCertificate: foreign });
    expect([forged.statusCode, forged.json().errors]).toEqual([422, [{ path: '/attachments/passCertificate', message: 'upload references are set by PUT /v1/applications/{id}/attachments/passCertificate' }]]);
    const external = await patch({ photo: 'portal-document-17' });
    expect([external.statusCode, external.json().errors]).toEqual([422, [{ path: '/attachments/photo', message: 'must be uploaded: PUT /v1/applications/{id}/attachments/photo' }]]);
    // Other attachments may still name a portal's own document.
    expect((await patch({ passCertificate: 'portal-document-17' })).statusCode).toBe(200);
    const created = await s.app.inject({ method: 'POST', url: '/v1/qualifications/photo-qual/procedures/registration/applications', headers: { authorization: owner }, payload: { data: { ...person, attachments: { photo: foreign } } } });
    expect([created.statusCode, created.json().errors[0].path]).toEqual([422, '/attachments/photo']);
  });

  it('queues concurrent uploads of one version: one wins, the other conflicts', async () => {
    const app = await draft();
    const results = await Promise.all([put(app.id, 'photo', photo, 'image/jpeg', app.version), put(app.id, 'photo', await png(400, 500), 'image/png', app.version)]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    expect(await rows(app.id)).toBe(1);
  });

  it('refuses uploads once the application is no longer editable', async () => {
    const app = await draft();
    const uploaded = (await put(app.id, 'photo', photo, 'image/jpeg', app.version)).json().application;
    const submitted = (await s.app.inject({ method: 'POST', url: `/v1/applications/${app.id}/events`, headers: { authorization: owner, 'if-match': `"${uploaded.version}"` }, payload: { type: 'submit' } })).json();
    expect(submitted.state).toBe('underReview');
    const res = await put(app.id, 'photo', await png(400, 500), 'image/png', submitted.version);
    expect([res.statusCode, res.json().code]).toEqual([409, 'APPLICATION_NOT_EDITABLE']);
  });

  itWith('pdfimages', 'pdftoppm')('prints the uploaded photo upright, small and without its metadata, and keeps it on a reissue', async () => {
    const uploadedMetadata = await sharp(photo).metadata();
    expect([uploadedMetadata.orientation, uploadedMetadata.exif !== undefined]).toEqual([6, true]);
    const holder = await s.bearer('photo-card-holder', 'applicant');
    const app = await draft(holder);
    const uploaded = (await put(app.id, 'photo', photo, 'image/jpeg', app.version, holder)).json().application;
    const submitted = (await s.app.inject({ method: 'POST', url: `/v1/applications/${app.id}/events`, headers: { authorization: holder, 'if-match': `"${uploaded.version}"` }, payload: { type: 'submit' } })).json();
    await approve(s, submitted, 'photo-body');
    await s.work();
    const { pdf } = await myCertificate(s, holder, 'photo-qual');
    // Turned upright (EXIF orientation 6): 1600 × 1200 stored, 1200 × 1600 shown, scaled into 236 × 315.
    expect(await pdfImages(pdf)).toEqual([expect.stringMatching(/^\s*1\s+0\s+image\s+236\s+315\s+(rgb|gray)\s.*jpeg/)]);
    const dir = mkdtempSync(join(tmpdir(), 'shikaku-photo-'));
    writeFileSync(join(dir, 'c.pdf'), pdf);
    await promisify(execFile)('pdfimages', ['-j', join(dir, 'c.pdf'), join(dir, 'img')]);
    const embedded = readFileSync(join(dir, readdirSync(dir).find((f) => f.startsWith('img'))!));
    const metadata = await sharp(embedded).metadata();
    expect([metadata.exif, metadata.orientation, embedded.includes('Exif')]).toEqual([undefined, undefined, false]);
    expect(pdf.length).toBeLessThan(60 * 1024);
    const [page] = await renderGrey(pdf);
    expect(inkIn(page!, { xMin: 460, xMax: 520, yMin: 160, yMax: 250 })).toBeGreaterThan(2000);

    // A reissue without a new photo prints the same one.
    const reissue = await s.app.inject({ method: 'POST', url: '/v1/qualifications/photo-qual/procedures/reissue/applications', headers: { authorization: holder }, payload: { data: { reason: 'lost' }, submit: true } });
    expect(reissue.statusCode, reissue.body).toBeLessThan(300);
    await approve(s, reissue.json(), 'photo-body');
    await s.work();
    const certificates = (await sql<{ status: string; photo_attachment_id: string | null }>`SELECT c.status, c.photo_attachment_id FROM certificates c JOIN registry_entries e ON e.id = c.registry_entry_id WHERE e.holder_id = 'photo-card-holder' ORDER BY c.status = 'active', c.issued_at`.execute(s.engine.db)).rows;
    expect(certificates.map((c) => c.status)).toEqual(['superseded', 'active']);
    expect(certificates[1]!.photo_attachment_id).toBe(certificates[0]!.photo_attachment_id);
    expect(await pdfImages((await myCertificate(s, holder, 'photo-qual')).pdf)).toHaveLength(1);

    // A reissue with a new photo prints the new one.
    const second = (await s.app.inject({ method: 'POST', url: '/v1/qualifications/photo-qual/procedures/reissue/applications', headers: { authorization: holder }, payload: { data: { reason: 'lost' } } })).json();
    const withPhoto = (await put(second.id, 'photo', await png(480, 640), 'image/png', second.version, holder)).json();
    const resubmitted = (await s.app.inject({ method: 'POST', url: `/v1/applications/${second.id}/events`, headers: { authorization: holder, 'if-match': `"${withPhoto.application.version}"` }, payload: { type: 'submit' } })).json();
    await approve(s, resubmitted, 'photo-body');
    await s.work();
    const current = (await sql<{ photo_attachment_id: string }>`SELECT c.photo_attachment_id FROM certificates c JOIN registry_entries e ON e.id = c.registry_entry_id WHERE e.holder_id = 'photo-card-holder' AND c.status = 'active'`.execute(s.engine.db)).rows;
    expect(current).toEqual([{ photo_attachment_id: withPhoto.attachment.id }]);
    expect(await pdfImages((await myCertificate(s, holder, 'photo-qual')).pdf)).toEqual([expect.stringMatching(/^\s*1\s+0\s+image\s+236\s+315\s/)]);
  });
});
