import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importRegistryEntry } from '../../engine/index.ts';
import type { FieldConfig } from '../../engine/definitions/definition-schema.ts';
import { checkPdfSignature, readSigningCertificate } from '../../renderer/index.ts';
import { decodeQr, itWith, pdfsig, pdfsigAccepts, pdftotext } from '../renderer/pdf-tools.ts';
import { fixtureDefinitionsDir } from '../support/fixture-definitions.ts';
import { approve, issuingServer, myCertificate, post, type IssuingServer } from '../support/issuing-server.ts';
import { databaseKinds } from '../support/test-database.ts';

const root = join(import.meta.dirname, '../..');
const LIVE = ['kaigo-fukushishi', 'shakai-fukushishi', 'seishin-hoken-fukushishi', 'konin-shinrishi', 'shakai-hoken-romushi', 'hokeni', 'hoken-yakuzaishi'];
const holder = { familyName: '髙橋', givenName: '美咲', familyNameKana: 'タカハシ', givenNameKana: 'ミサキ', birthDate: '1988-07-15', honseki: '神奈川県' };

/** Data a form accepts: the holder's details where asked, a sample value for every other field, every attachment. */
function completeData(fields: readonly FieldConfig[], attachments: readonly { key: string }[]): Record<string, unknown> {
  const sample = (f: FieldConfig): unknown => {
    if (f.key in holder) return holder[f.key as keyof typeof holder];
    switch (f.type) {
      case 'date': return '2024-03-01';
      case 'integer': return 1;
      case 'boolean': return true;
      case 'enum': return f.values![0]!.value;
      case 'email': return 'holder@example.jp';
      case 'phone': return '03-1234-5678';
      case 'postalCode': return '100-0001';
      default: return 'テスト'.slice(0, f.maxLength ?? 10);
    }
  };
  const data: Record<string, unknown> = Object.fromEntries(fields.filter((f) => f.required).map((f) => [f.key, sample(f)]));
  if (attachments.length > 0) data.attachments = Object.fromEntries(attachments.map((a) => [a.key, `upload-${a.key}`]));
  return data;
}

const tokenOf = (url: string) => url.slice(url.indexOf('#') + 1);
const verify = async (s: IssuingServer, token: string) => (await s.app.inject({ method: 'POST', url: '/v1/verify', payload: { token } })).json();

describe.each(databaseKinds)('certificates of the 7 live qualifications on %s', (kind) => {
  let s: IssuingServer;
  beforeAll(async () => {
    s = await issuingServer(kind, join(root, 'definitions'));
  });
  afterAll(async () => s?.close());

  itWith('pdfsig', 'pdftotext', 'zbarimg', 'pdftoppm')('lets a holder download a signed certificate of each, whose QR verifies as valid', async () => {
    for (const [i, qualification] of LIVE.entries()) {
      const person = await s.bearer(`holder-${qualification}`, 'applicant');
      const definition = s.engine.definitions.qualifications.get(qualification)!;
      const registrar = definition.definition.registrar.id;
      if (definition.procedures.has('link')) {
        // An existing holder (paper-era register) does 初期設定 and gets the certificate.
        await importRegistryEntry(s.engine.db, { qualificationId: qualification, registrationNumber: 1000 + i, holderId: null, familyName: holder.familyName, givenName: holder.givenName, birthDate: holder.birthDate, honseki: holder.honseki, registeredOn: '2010-04-01' }, s.engine.clock.now());
        const linked = await post(s, `/v1/qualifications/${qualification}/procedures/link/applications`, person, { data: { registrationNumber: String(1000 + i), familyName: holder.familyName, givenName: holder.givenName, birthDate: holder.birthDate }, submit: true });
        expect(linked.state).toBe('linked');
      } else {
        const spec = definition.procedures.get('registration')!.spec.procedure;
        const created = await post(s, `/v1/qualifications/${qualification}/procedures/registration/applications`, person, { data: completeData(spec.fields, spec.attachments.filter((a) => !a.omittedBy)), submit: true });
        expect((await approve(s, created, registrar)).state).toBe('registered');
      }
      const before = await s.app.inject({ method: 'GET', url: `/v1/me/qualifications/${qualification}/certificate.pdf`, headers: { authorization: person } });
      expect(before.json().code, `${qualification}: the certificate is rendered by the worker, not in the request`).toBe('CERTIFICATE_NOT_FOUND');
      expect(await s.work()).toMatchObject({ failed: 0 });

      const { pdf } = await myCertificate(s, person, qualification);
      expect(pdfsigAccepts(await pdfsig(pdf)), qualification).toBe(true);
      expect(checkPdfSignature(pdf, [readSigningCertificate(s.identity)])).toMatchObject({ valid: true });
      const text = await pdftotext(pdf);
      for (const printed of [definition.definition.certificate.title, definition.definition.name.ja, '髙橋 美咲', '1988/07/15', definition.definition.registrar.name.ja]) expect(text, qualification).toContain(printed);
      const [url] = await decodeQr(pdf);
      expect(url, qualification).toMatch(/^https:\/\/shikaku\.example\.jp\/verify#/);
      expect(Buffer.byteLength(url!)).toBeLessThanOrEqual(300);
      expect(await verify(s, tokenOf(url!)), qualification).toMatchObject({ valid: true, status: 'active' });
    }
  });
});

describe.each(databaseKinds)('reissue, deregistration and revocation on %s', (kind) => {
  let s: IssuingServer;
  let person: string;
  beforeAll(async () => {
    s = await issuingServer(kind, fixtureDefinitionsDir());
    person = await s.bearer('holder-fixture', 'applicant');
  });
  afterAll(async () => s?.close());

  const register = async () => {
    const spec = s.engine.definitions.current('test-qual', 'registration')!.spec.procedure;
    const created = await post(s, '/v1/qualifications/test-qual/procedures/registration/applications', person, { data: completeData(spec.fields, []), submit: true });
    await approve(s, created, 'test-body');
    await s.work();
  };

  it('supersedes the old certificate on reissue, and lets only an admin revoke one', async () => {
    await register();
    const first = await myCertificate(s, person, 'test-qual');
    const firstToken = tokenOf(await verificationUrlOf(first.pdf));
    expect(await verify(s, firstToken)).toMatchObject({ valid: true, status: 'active' });

    const reissue = await post(s, '/v1/qualifications/test-qual/procedures/reissue/applications', person, { data: { reason: 'lost' }, submit: true });
    await approve(s, reissue, 'test-body');
    await s.work();
    const second = await myCertificate(s, person, 'test-qual');
    expect(second.item.certificate.id).not.toBe(first.item.certificate.id);
    const secondToken = tokenOf(await verificationUrlOf(second.pdf));
    // The status cache keeps answers for at most 2 s.
    s.clock.advance(3000);
    expect(await verify(s, firstToken)).toMatchObject({ valid: false, status: 'superseded' });
    expect(await verify(s, secondToken)).toMatchObject({ valid: true, status: 'active' });

    const admin = await s.bearer('ops', 'admin');
    const revoked = await s.app.inject({ method: 'POST', url: `/v1/admin/certificates/${second.item.certificate.id}/revoke`, headers: { authorization: admin }, payload: { reason: '誤送信による漏えい' } });
    expect(revoked.json()).toMatchObject({ status: 'revoked', previousStatus: 'active' });
    const refused = await s.app.inject({ method: 'POST', url: `/v1/admin/certificates/${second.item.certificate.id}/revoke`, headers: { authorization: person }, payload: { reason: 'x' } });
    expect(refused.statusCode).toBe(403);
    expect((await s.app.inject({ method: 'POST', url: '/v1/admin/certificates/00000000-0000-4000-8000-000000000000/revoke', headers: { authorization: admin }, payload: { reason: 'x' } })).json().code).toBe('CERTIFICATE_NOT_FOUND');
    s.clock.advance(3000);
    expect(await verify(s, secondToken)).toMatchObject({ valid: false, status: 'revoked' });
  });

  it('reissues on a change of a printed item only: a new address keeps the certificate, a new name replaces it', async () => {
    const mover = await s.bearer('holder-moving', 'applicant');
    const spec = s.engine.definitions.current('test-qual', 'registration')!.spec.procedure;
    await approve(s, await post(s, '/v1/qualifications/test-qual/procedures/registration/applications', mover, { data: { ...completeData(spec.fields, []), givenName: '転居' }, submit: true }), 'test-body');
    await s.work();
    const before = await myCertificate(s, mover, 'test-qual');

    await approve(s, await post(s, '/v1/qualifications/test-qual/procedures/change/applications', mover, { data: { newAddress: '東京都千代田区霞が関1-1', changedOn: '2026-11-30' }, submit: true }), 'test-body');
    expect(await s.work()).toMatchObject({ failed: 0 });
    expect((await myCertificate(s, mover, 'test-qual')).item.certificate.id).toBe(before.item.certificate.id);

    await approve(s, await post(s, '/v1/qualifications/test-qual/procedures/change/applications', mover, { data: { newFamilyName: '佐々木', changedOn: '2026-12-01' }, submit: true }), 'test-body');
    await s.work();
    const after = await myCertificate(s, mover, 'test-qual');
    expect(after.item.certificate.id).not.toBe(before.item.certificate.id);
    expect(await (await import('pdf-lib')).PDFDocument.load(after.pdf).then((d) => d.getTitle())).toBe('試験資格登録証');
    s.clock.advance(3000);
    expect(await verify(s, tokenOf(await verificationUrlOf(before.pdf)))).toMatchObject({ valid: false, status: 'superseded' });
    const current = await verify(s, tokenOf(await verificationUrlOf(after.pdf)));
    expect(current).toMatchObject({ valid: true, status: 'active', certificate: { name: '佐々木 転居' } });
  });

  it('marks the current certificate deregistered when the holder deregisters', async () => {
    const other = await s.bearer('holder-leaving', 'applicant');
    const spec = s.engine.definitions.current('test-qual', 'registration')!.spec.procedure;
    const created = await post(s, '/v1/qualifications/test-qual/procedures/registration/applications', other, { data: { ...completeData(spec.fields, []), givenName: '去人' }, submit: true });
    await approve(s, created, 'test-body');
    await s.work();
    const { pdf } = await myCertificate(s, other, 'test-qual');
    const token = tokenOf(await verificationUrlOf(pdf));
    const leaving = await post(s, '/v1/qualifications/test-qual/procedures/deregistration/applications', other, { data: { reason: 'request' }, submit: true });
    await approve(s, leaving, 'test-body');
    s.clock.advance(3000);
    expect(await verify(s, token)).toMatchObject({ valid: false, status: 'deregistered' });
    const list = (await s.app.inject({ method: 'GET', url: '/v1/me/qualifications', headers: { authorization: other } })).json();
    expect(list.items).toEqual([expect.objectContaining({ qualification: 'test-qual', status: 'deregistered', certificate: null })]);
  });
});

/** The verification URL a certificate names in its document information (the QR code holds the same; zbarimg checks that above). */
async function verificationUrlOf(pdf: Uint8Array): Promise<string> {
  const { PDFDocument } = await import('pdf-lib');
  const subject = (await PDFDocument.load(pdf)).getSubject();
  expect(subject).toMatch(/\/verify#/);
  return subject!;
}
