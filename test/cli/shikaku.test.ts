import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const run = promisify(execFile);

/** Runs the CLI as a user would; never throws, returns exit code and output. */
async function shikaku(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(root, 'cli/shikaku.js'), ...args], { cwd: root, env: { ...process.env, DATABASE_URL: '', ...env }, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('the shikaku command', () => {
  let broken: string;
  let fixtures: string;
  let dataDir: string;
  beforeAll(() => {
    fixtures = mkdtempSync(join(tmpdir(), 'shikaku-cli-'));
    cpSync(join(root, 'definitions/procedures'), join(fixtures, 'procedures'), { recursive: true });
    cpSync(join(root, 'test/fixtures/engine/qualifications'), join(fixtures, 'qualifications'), { recursive: true });
    broken = mkdtempSync(join(tmpdir(), 'shikaku-cli-broken-'));
    cpSync(fixtures, broken, { recursive: true });
    writeFileSync(
      join(broken, 'qualifications/bad-qual.yaml'),
      '# yaml-language-server: $schema=../schema/qualification.schema.json\nid: bad-qual\nname: { ja: 壊れた資格 }\nlaw: 法\nregistrar: { id: x, name: { ja: x } }\nregistrationNumber: { digits: 6, display: "第号" }\nonline: { from: "2024-02-30" }\nprocedures:\n  registration: { template: registraton }\ncertificate: { title: t, front: [], photo: false, back: [] }\n',
    );
    dataDir = mkdtempSync(join(tmpdir(), 'shikaku-cli-data-'));
  });

  it('validate prints nothing on stdout and exits 0 for valid definitions', async () => {
    const r = await shikaku(['validate', fixtures]);
    expect(r).toMatchObject({ code: 0, stdout: '' });
    expect(r.stderr).toContain('0 problem(s); 5 qualification(s)');
  });

  it('validate prints one file:line:column line per problem and exits 1', async () => {
    const r = await shikaku(['validate', broken]);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/bad-qual\.yaml:6:43: DEFINITION_BAD_NUMBER_FORMAT /);
    expect(lines[1]).toMatch(/bad-qual\.yaml:7:17: DEFINITION_BAD_DATE `2024-02-30` is not a calendar date/);
    expect(lines[2]).toMatch(/bad-qual\.yaml:9:29: DEFINITION_UNKNOWN_TEMPLATE unknown template `registraton` .* did you mean `registration`\?/);
  });

  it('serve refuses to start on invalid definitions, printing the same problems as validate', async () => {
    const validate = await shikaku(['validate', broken]);
    const serve = await shikaku(['serve', '--port', '0'], { SHIKAKU_DEFINITIONS: broken, SHIKAKU_DATA_DIR: dataDir });
    expect(serve.code).toBe(1);
    expect(serve.stderr).toContain('DEFINITIONS_INVALID');
    for (const line of validate.stdout.trim().split('\n')) expect(serve.stderr).toContain(line);
  });

  it('token prints a development token alone, with the claims asked for', async () => {
    const r = await shikaku(['token', '--role', 'reviewer', '--sub', 'staff-7', '--registrar', 'sssc'], { SHIKAKU_DATA_DIR: dataDir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    expect(decodeProtectedHeader(r.stdout.trim())).toMatchObject({ alg: 'ES256', typ: 'JWT' });
    expect(decodeJwt(r.stdout.trim())).toMatchObject({ sub: 'staff-7', role: 'reviewer', registrar: 'sssc', iss: 'urn:shikaku:development', aud: 'shikaku' });
  });

  it('token refuses a staff role without a registrar, an unknown role, and production', async () => {
    expect((await shikaku(['token', '--role', 'reviewer'], { SHIKAKU_DATA_DIR: dataDir })).stderr).toContain('--registrar is required for reviewer');
    const unknown = await shikaku(['token', '--role', 'king'], { SHIKAKU_DATA_DIR: dataDir });
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('Allowed choices are applicant');
    const production = await shikaku(['token', '--role', 'applicant'], { SHIKAKU_DATA_DIR: dataDir, NODE_ENV: 'production' });
    expect(production).toMatchObject({ code: 1, stdout: '' });
    expect(production.stderr).toContain('refused in production');
  });

  it('serve refuses to start in production without a configured token issuer', async () => {
    const r = await shikaku(['serve', '--port', '0'], { SHIKAKU_DEFINITIONS: fixtures, SHIKAKU_DATA_DIR: dataDir, NODE_ENV: 'production' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('CONFIG_INVALID: in production set SHIKAKU_TOKEN_ISSUER and SHIKAKU_JWKS_FILE');
  });

  it('diagram prints a Mermaid state diagram with roles and timers', async () => {
    const r = await shikaku(['diagram', 'test-qual', 'registration'], { SHIKAKU_DEFINITIONS: fixtures });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^stateDiagram-v2\n {2}\[\*\] --> draft\n/);
    expect(r.stdout).toContain('underReview --> registered : approve (reviewer) [notRegistered]');
    expect(r.stdout).toContain('correctionRequested --> withdrawn : correctionDeadlinePassed (system) after P30D');
    expect((await shikaku(['diagram', 'test-qual', 'exam'], { SHIKAKU_DEFINITIONS: fixtures })).stderr).toContain('PROCEDURE_NOT_FOUND');
  });

  it('definitions diff shows what changed between stored versions, and migrate --dry-run lists what would move', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shikaku-cli-versions-'));
    cpSync(fixtures, dir, { recursive: true });
    const data = mkdtempSync(join(tmpdir(), 'shikaku-cli-versions-data-'));
    const env = { SHIKAKU_DEFINITIONS: dir, SHIKAKU_DATA_DIR: data };
    // The first run stores version 1; a diff of one version has nothing to show.
    const first = await shikaku(['definitions', 'diff', 'test-qual'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe('--- test-qual version 1\n+++ test-qual version 1\n');

    const file = join(dir, 'qualifications/test-qual.yaml');
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace('id: test-qual\n', 'id: test-qual\nversion: 2\neffectiveFrom: "2027-04-01"\n').replace('amount: 3000', 'amount: 3500'));
    const diff = await shikaku(['definitions', 'diff', 'test-qual'], env);
    expect(diff.code, diff.stderr).toBe(0);
    expect(diff.stdout).toContain('--- test-qual version 1\n+++ test-qual version 2 (from 2027-04-01)\n');
    expect(diff.stdout).toContain('~ procedures.registration.fees[0].amount: 3000 → 3500');
    expect(diff.stdout).toContain('+ effectiveFrom: "2027-04-01"');
    expect(diff.stdout).toMatch(/# procedure registration: [0-9a-f]{12} → [0-9a-f]{12}/);

    const dry = await shikaku(['definitions', 'migrate', 'test-qual', '--from', '1', '--to', '2', '--map', 'kosekiRequired=correctionRequested', '--dry-run'], env);
    expect(dry, dry.stderr).toMatchObject({ code: 0, stdout: '' });
    expect(dry.stderr).toContain('0 application(s) would move (dry run)');
    const unknown = await shikaku(['definitions', 'migrate', 'test-qual', '--from', '1', '--to', '9'], env);
    expect(unknown).toMatchObject({ code: 1 });
    expect(unknown.stderr).toContain('REQUEST_INVALID: `test-qual` has no stored version 9');
    expect((await shikaku(['definitions', 'migrate', 'test-qual', '--from', '1', '--to', '2', '--map', 'bad'], env)).stderr).toContain('write --map oldState=newState');
  });
});
