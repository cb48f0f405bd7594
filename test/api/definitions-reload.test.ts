import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseKinds } from '../support/test-database.ts';
import { createTestServer, type TestServer } from '../support/test-server.ts';

// A qualification body's new file: nothing else changes, and the server keeps running.
const newQualification = `# yaml-language-server: $schema=../schema/qualification.schema.json
id: new-qual
name: { ja: 新資格, en: New Qualification }
law: 新資格法
registrar: { id: new-body, name: { ja: 新登録機関 } }
registrationNumber: { digits: 6, display: "第{number}号" }
online: { from: "2026-11-01" }
procedures:
  registration:
    template: registration
    fields:
      - { key: examPassNumber, type: string, required: true, maxLength: 20, label: { ja: 合格証書番号 } }
certificate:
  title: 新資格登録証
  front: [qualificationName, name, registrationNumber]
  photo: false
  back: []
`;

const person = { familyName: '佐藤', givenName: '一郎', familyNameKana: 'サトウ', givenNameKana: 'イチロウ', birthDate: '1980-01-01', honseki: '北海道', examPassNumber: 'N-1' };

describe.each(databaseKinds)('onboarding a qualification without a restart on %s', (kind) => {
  let s: TestServer;
  let admin: string;
  let applicant: string;
  beforeAll(async () => {
    s = await createTestServer(kind);
    admin = `Bearer ${await s.token({ sub: 'ops-1', role: 'admin' })}`;
    applicant = `Bearer ${await s.token({ sub: 'newcomer', role: 'applicant' })}`;
  });
  afterAll(async () => s?.close());

  const reload = () => s.app.inject({ method: 'POST', url: '/v1/admin/definitions/reload', headers: { authorization: admin } });
  const listed = async () => ((await s.app.inject({ method: 'GET', url: '/v1/qualifications' })).json().items as { id: string }[]).map((q) => q.id);
  const file = (name: string) => join(s.definitionsDir, 'qualifications', name);

  it('lets only admins reload', async () => {
    const reviewer = `Bearer ${await s.token({ sub: 'r', role: 'reviewer', registrar: 'test-body' })}`;
    for (const authorization of [applicant, reviewer]) {
      const res = await s.app.inject({ method: 'POST', url: '/v1/admin/definitions/reload', headers: { authorization } });
      expect({ status: res.statusCode, code: res.json().code }).toEqual({ status: 403, code: 'AUTH_FORBIDDEN' });
    }
    expect((await s.app.inject({ method: 'POST', url: '/v1/admin/definitions/reload' })).statusCode).toBe(401);
  });

  it('makes a new file listable and usable through the API after a reload', async () => {
    expect(await listed()).not.toContain('new-qual');
    await writeFile(file('new-qual.yaml'), newQualification);
    const res = await reload();
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ applied: ['new-qual'], problems: [] });
    expect(await listed()).toContain('new-qual');

    const form = await s.app.inject({ method: 'GET', url: '/v1/qualifications/new-qual/procedures/registration/form' });
    expect(form.statusCode).toBe(200);
    expect(form.json().schema.required).toContain('examPassNumber');
    const created = await s.app.inject({ method: 'POST', url: '/v1/qualifications/new-qual/procedures/registration/applications', headers: { authorization: applicant }, payload: { data: person, submit: true } });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ qualification: 'new-qual', state: 'underReview' });
    // A reload with nothing changed applies nothing.
    expect((await reload()).json()).toMatchObject({ applied: [], problems: [] });
  });

  it('refuses a broken file with located problems while everything else keeps serving, the broken one at its previous version', async () => {
    const before = await readFile(file('test-qual.yaml'), 'utf8');
    await writeFile(file('test-qual.yaml'), before.replace('registrationNumber: { digits: 6, display: "第{number}号" }', 'registrationNumber: { digits: 6, display: "第号" }'));
    await writeFile(file('broken-qual.yaml'), newQualification.replace('id: new-qual', 'id: broken-qual').replace('template: registration', 'template: registraton'));
    try {
      const res = await reload();
      expect(res.statusCode).toBe(200);
      const problems = res.json().problems as { file: string; line: number; column: number; code: string }[];
      expect(problems.map((p) => [p.file.split('/').at(-1), p.code]).sort()).toEqual([
        ['broken-qual.yaml', 'DEFINITION_UNKNOWN_TEMPLATE'],
        ['test-qual.yaml', 'DEFINITION_BAD_NUMBER_FORMAT'],
      ]);
      expect(problems.every((p) => p.line > 0 && p.column > 0)).toBe(true);
      const last = await s.app.inject({ method: 'GET', url: '/v1/admin/definitions/reload', headers: { authorization: admin } });
      expect(last.json().problems).toHaveLength(2);

      expect(await listed()).not.toContain('broken-qual');
      expect(await listed()).toEqual(expect.arrayContaining(['test-qual', 'other-qual', 'new-qual']));
      // test-qual keeps serving its running version: applications can still be created.
      const created = await s.app.inject({ method: 'POST', url: '/v1/qualifications/test-qual/procedures/registration/applications', headers: { authorization: applicant }, payload: { data: { ...person, examPassNumber: 'T-1' } } });
      expect(created.statusCode).toBe(201);
    } finally {
      await writeFile(file('test-qual.yaml'), before);
      await rm(file('broken-qual.yaml'));
    }
  });

  it('refuses a changed file that keeps its version number, and takes it once the version is raised', async () => {
    const before = await readFile(file('new-qual.yaml'), 'utf8');
    const changed = before.replace('label: { ja: 合格証書番号 } }', 'label: { ja: 合格証書番号 } }\n      - { key: licenseNumber, type: string, required: true, maxLength: 20, label: { ja: 免許番号 } }');
    await writeFile(file('new-qual.yaml'), changed);
    const refused = (await reload()).json();
    expect(refused.applied).toEqual([]);
    expect(refused.problems).toEqual([expect.objectContaining({ code: 'DEFINITION_VERSION_REUSED', path: 'version' })]);
    const form = async () => (await s.app.inject({ method: 'GET', url: '/v1/qualifications/new-qual/procedures/registration/form' })).json().schema.required as string[];
    expect(await form()).not.toContain('licenseNumber');

    await writeFile(file('new-qual.yaml'), changed.replace('id: new-qual\n', 'id: new-qual\nversion: 2\n'));
    expect((await reload()).json()).toMatchObject({ applied: ['new-qual'], problems: [] });
    expect(await form()).toContain('licenseNumber');
    const summary = (await s.app.inject({ method: 'GET', url: '/v1/qualifications/new-qual' })).json();
    expect(summary).toMatchObject({ version: 2, effectiveFrom: null });
  });
});
