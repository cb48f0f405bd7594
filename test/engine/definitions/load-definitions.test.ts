import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { formatProblem, type DefinitionProblem, type DefinitionProblemCode } from '../../../engine/definitions/definition-problem.ts';
import { loadDefinitions } from '../../../engine/definitions/load-definitions.ts';

const validFixture = fileURLToPath(new URL('../../fixtures/definitions/valid/', import.meta.url));

const SIMPLE = 'procedures/simple.yaml';
const SAMPLE = 'qualifications/sample-qual.yaml';
const TWO_STAGE = 'qualifications/two-stage.yaml';

/** One change applied to a fresh copy of the valid fixture. */
type Edit = (dir: string) => Promise<void>;

/** Replaces the one occurrence of `from` in `file`; fails loudly if the fixture no longer contains it exactly once. */
const replace = (file: string, from: string, to: string): Edit => async (dir) => {
  const path = join(dir, file);
  const text = await readFile(path, 'utf8');
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + 1) >= 0) throw new Error(`fixture drift: ${file} must contain ${JSON.stringify(from)} exactly once`);
  await writeFile(path, text.slice(0, at) + to + text.slice(at + from.length));
};

const write = (file: string, text: string): Edit => async (dir) => writeFile(join(dir, file), text);

/** Writes `to` with the text of `from` after replacing `search` by `replacement`. */
const copyAs = (from: string, to: string, search: string, replacement: string): Edit => async (dir) => {
  const text = await readFile(join(dir, from), 'utf8');
  if (!text.includes(search)) throw new Error(`fixture drift: ${from} must contain ${JSON.stringify(search)}`);
  await writeFile(join(dir, to), text.replace(search, replacement));
};

const remove = (file: string): Edit => async (dir) => rm(join(dir, file));

const tempDirs: string[] = [];
afterAll(async () => {
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A fresh temporary definitions folder: the valid fixture with `edits` applied. */
async function definitionsWith(...edits: Edit[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'shikaku-definitions-'));
  tempDirs.push(dir);
  await cp(validFixture, dir, { recursive: true });
  for (const edit of edits) await edit(dir);
  return dir;
}

/** The `file` a problem in `<dir>/<file>` carries: relative to the working directory. */
const reported = (dir: string, file: string) => relative(process.cwd(), join(dir, file));

const listing = (problems: readonly DefinitionProblem[]) => `problems:\n${problems.map(formatProblem).join('\n') || '(none)'}`;

/** The one problem with this code at this place; fails with the full problem list otherwise. */
function problemAt(problems: readonly DefinitionProblem[], where: Pick<DefinitionProblem, 'code' | 'file' | 'line' | 'column'>): DefinitionProblem {
  expect(problems, listing(problems)).toContainEqual(expect.objectContaining(where));
  return problems.find((p) => p.code === where.code && p.file === where.file && p.line === where.line && p.column === where.column)!;
}

const endlessTemplate = `# yaml-language-server: $schema=../schema/procedure.schema.json
kind: endless
title: { ja: 終わらない申請, en: Endless }
initial: draft
states:
  draft:
    on:
      submit: { to: underReview, roles: [applicant] }
  underReview:
    on:
      sendBack: { to: draft, roles: [reviewer] }
`;

/** Billion laughs: eight levels of ten aliases each; under 1 KB on disk, 10^9 strings if expanded. */
const aliasBomb = [
  'lol0: &lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]',
  ...Array.from({ length: 8 }, (_, i) => `lol${i + 1}: &lol${i + 1} [${Array.from({ length: 10 }, () => `*lol${i}`).join(', ')}]`),
  '',
].join('\n');

describe('loadDefinitions on the valid fixture', () => {
  it('loads the synthetic template and both qualifications with zero problems', async () => {
    const { qualifications, problems } = await loadDefinitions(validFixture);
    expect(problems, listing(problems)).toEqual([]);
    expect([...qualifications.keys()].sort()).toEqual(['sample-qual', 'two-stage']);
    const sample = qualifications.get('sample-qual')!;
    expect(sample.file).toBe(relative(process.cwd(), join(validFixture, SAMPLE)));
    expect([...sample.procedures.keys()]).toEqual(['registration']);
  });

  it('compiles the two-stage override into a machine with a secondReview state between the two approvals', async () => {
    const { qualifications } = await loadDefinitions(validFixture);
    const twoStage = qualifications.get('two-stage')!.procedures.get('registration')!;
    const states = twoStage.machine.config.states ?? {};
    expect(Object.keys(states)).toContain('secondReview');
    expect(twoStage.spec.procedure.states.underReview?.on?.approve).toMatchObject({ to: 'secondReview' });
    expect(twoStage.spec.procedure.states.secondReview?.on?.approve).toMatchObject({ to: 'approved', roles: ['registrar-admin'] });
    // The template's other underReview events survive the override.
    expect(Object.keys(twoStage.spec.procedure.states.underReview?.on ?? {}).sort()).toEqual(['approve', 'reject', 'withdraw']);
  });

  it('leaves the template untouched for a qualification that does not override it', async () => {
    const { qualifications } = await loadDefinitions(validFixture);
    const sample = qualifications.get('sample-qual')!.procedures.get('registration')!;
    expect(Object.keys(sample.machine.config.states ?? {})).not.toContain('secondReview');
    expect(sample.spec.procedure.states.underReview?.on?.approve).toMatchObject({ to: 'approved' });
  });

  it('returns no qualifications and no problems for a folder without definitions', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shikaku-definitions-empty-'));
    tempDirs.push(dir);
    const result = await loadDefinitions(dir);
    expect(result.problems).toEqual([]);
    expect(result.qualifications.size).toBe(0);
  });
});

interface RuleCase {
  /** The behaviour, as the test name. */
  readonly name: string;
  readonly edits: readonly Edit[];
  readonly code: DefinitionProblemCode;
  /** Relative to the definitions folder. */
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** Matched against the `formatProblem` line: message, path and hint must tell the author what to do. */
  readonly says: RegExp;
  /** Codes expected besides `code` (e.g. a renamed key is also a missing key). */
  readonly alsoCodes?: readonly DefinitionProblemCode[];
}

// Line and column numbers are counted in the fixture files by hand (columns are 1-based, in characters).
const ruleCases: RuleCase[] = [
  {
    name: 'reports a renewal window that opens after it closes',
    edits: [replace(SAMPLE, 'back: [issuer]\n', 'back: [issuer]\nrenewal:\n  of: registration\n  every: P5Y\n  window: { opensBefore: P30D, closesBefore: P90D }\n')],
    code: 'DEFINITION_INVALID_VALUE', file: SAMPLE, line: 27, column: 11,
    says: /renewal opens P30D before expiry but closes P90D before it at renewal\.window — opensBefore must be longer/,
  },
  {
    name: 'reports a renewal period that is not an ISO 8601 duration',
    edits: [replace(SAMPLE, 'back: [issuer]\n', 'back: [issuer]\nrenewal: { of: card, every: 5 years }\n')],
    code: 'DEFINITION_BAD_DURATION', file: SAMPLE, line: 24, column: 29,
    says: /`5 years` is not an ISO 8601 duration at renewal\.every — write e\.g\. P5Y/,
  },
  {
    name: 'reports online.planned next to an online.from date',
    edits: [replace(SAMPLE, '  from: 2024-04-01\n', '  from: 2024-04-01\n  planned: { fiscalYear: 2025 }\n')],
    code: 'DEFINITION_INVALID_VALUE', file: SAMPLE, line: 13, column: 12,
    says: /online\.planned is for qualifications without a date/,
  },
  {
    name: 'reports a variant id listed twice at the second one',
    edits: [replace(SAMPLE, 'back: [issuer]\n', 'back: [issuer]\nvariants:\n  label: { ja: 種類 }\n  items:\n    - { id: a, name: { ja: 甲 } }\n    - { id: a, name: { ja: 乙 } }\n')],
    code: 'DEFINITION_DUPLICATE_ITEM', file: SAMPLE, line: 28, column: 13,
    says: /variant `a` appears twice at variants\.items\[1\]\.id/,
  },
  {
    name: 'reports more variants listed than the declared total',
    edits: [replace(SAMPLE, 'back: [issuer]\n', 'back: [issuer]\nvariants:\n  label: { ja: 種類 }\n  total: 1\n  items:\n    - { id: a, name: { ja: 甲 } }\n    - { id: b, name: { ja: 乙 } }\n')],
    code: 'DEFINITION_INVALID_VALUE', file: SAMPLE, line: 26, column: 10,
    says: /2 variants are listed but total says 1/,
  },
  {
    name: 'reports an application window that closes before it opens',
    edits: [replace(SAMPLE, '    template: simple\n', '    template: simple\n    window: { opens: "2025-05-01", closes: "2025-04-01" }\n')],
    code: 'DEFINITION_BAD_DATE', file: SAMPLE, line: 16, column: 13,
    says: /the window closes \(2025-04-01\) before it opens \(2025-05-01\) at procedures\.registration\.window — swap/,
  },
  {
    name: 'reports an impossible effectiveFrom date',
    edits: [replace(SAMPLE, 'id: sample-qual\n', 'id: sample-qual\neffectiveFrom: "2025-02-30"\n')],
    code: 'DEFINITION_BAD_DATE', file: SAMPLE, line: 3, column: 16,
    says: /`2025-02-30` is not a calendar date at effectiveFrom/,
  },
  {
    name: 'reports a certificate photo that no procedure collects at certificate.photo',
    edits: [replace(SAMPLE, '  photo: false', '  photo: true')],
    code: 'DEFINITION_PHOTO_SOURCE_MISSING', file: SAMPLE, line: 22, column: 10,
    says: /the certificate prints a photo but no procedure has a `photo` attachment at certificate\.photo/,
  },
  {
    name: 'reports a YAML syntax error at the offending value (nested mapping on one line)',
    edits: [replace(SAMPLE, 'law: 見本資格法', 'law: 見本資格法: 第一条')],
    code: 'DEFINITION_YAML_SYNTAX', file: SAMPLE, line: 4, column: 6,
    says: /Nested mappings are not allowed/,
  },
  {
    name: 'reports a key written twice in the same map at the second occurrence',
    edits: [replace(SAMPLE, 'law: 見本資格法\n', 'law: 見本資格法\nlaw: 別の法律\n')],
    code: 'DEFINITION_DUPLICATE_KEY', file: SAMPLE, line: 5, column: 1,
    says: /keys must be unique/,
  },
  {
    name: 'refuses a file larger than 256 KB before parsing it',
    edits: [replace(SAMPLE, 'id: sample-qual\n', `# ${'x'.repeat(300 * 1024)}\nid: sample-qual\n`)],
    code: 'DEFINITION_TOO_LARGE', file: SAMPLE, line: 1, column: 1,
    says: /larger than 262144 bytes — split it/,
  },
  {
    name: 'refuses a !!js/function tag at the tag',
    edits: [replace(SAMPLE, 'law: 見本資格法', "law: !!js/function 'function () { return 1 }'")],
    code: 'DEFINITION_UNKNOWN_TAG', file: SAMPLE, line: 4, column: 6,
    says: /Unresolved tag: tag:yaml\.org,2002:js\/function/,
  },
  {
    name: 'reports a file whose first line is not the yaml-language-server modeline',
    edits: [replace(SAMPLE, '# yaml-language-server: $schema=../schema/qualification.schema.json\n', '')],
    code: 'DEFINITION_MODELINE_MISSING', file: SAMPLE, line: 1, column: 1,
    says: /start the file with `# yaml-language-server: \$schema=/,
  },
  {
    name: 'reports an unknown key (titel) at the key',
    edits: [replace(SIMPLE, 'title: { ja: 簡易申請', 'titel: { ja: 簡易申請')],
    code: 'DEFINITION_UNKNOWN_KEY', file: SIMPLE, line: 4, column: 1,
    says: /unknown key `titel` at titel/,
    alsoCodes: ['DEFINITION_MISSING_KEY'],
  },
  {
    name: 'reports a missing required key at the map that lacks it, saying which key to add',
    edits: [replace(SAMPLE, '  display: 第{number}号\n', '')],
    code: 'DEFINITION_MISSING_KEY', file: SAMPLE, line: 9, column: 3,
    says: /missing key `display` at registrationNumber — add `display:`/,
  },
  {
    name: 'reports an impossible calendar date (2024-02-30) in online.from',
    edits: [replace(SAMPLE, 'from: 2024-04-01', 'from: 2024-02-30')],
    code: 'DEFINITION_BAD_DATE', file: SAMPLE, line: 12, column: 9,
    says: /`2024-02-30` is not a calendar date at online\.from — write YYYY-MM-DD/,
  },
  {
    name: 'reports a non-date string in online.from as a bad date',
    edits: [replace(SAMPLE, 'from: 2024-04-01', 'from: next spring')],
    code: 'DEFINITION_BAD_DATE', file: SAMPLE, line: 12, column: 9,
    says: /pattern.*at online\.from/,
  },
  {
    name: 'reports an impossible date in a procedure\'s own from',
    edits: [replace(SAMPLE, '    template: simple\n', '    template: simple\n    from: 2024-13-01\n')],
    code: 'DEFINITION_BAD_DATE', file: SAMPLE, line: 16, column: 11,
    says: /`2024-13-01` is not a calendar date at procedures\.registration\.from/,
  },
  {
    name: 'reports a negative fee amount',
    edits: [replace(SAMPLE, 'amount: 3000', 'amount: -3000')],
    code: 'DEFINITION_BAD_FEE', file: SAMPLE, line: 17, column: 43,
    says: /fee amount `-3000` is not a whole number of yen, 0 or more at procedures\.registration\.fees\[0\]\.amount — write the amount in yen, or null/,
  },
  {
    name: 'reports a fee amount that is not whole yen (12.5)',
    edits: [replace(SAMPLE, 'amount: 9000', 'amount: 12.5')],
    code: 'DEFINITION_BAD_FEE', file: SAMPLE, line: 18, column: 51,
    says: /fee amount `12\.5` is not a whole number of yen, 0 or more at procedures\.registration\.fees\[1\]\.amount/,
  },
  {
    name: 'reports a timer duration that is not ISO 8601 (P30X) at the duration',
    edits: [replace(SIMPLE, 'after: P30D', 'after: P30X')],
    code: 'DEFINITION_BAD_DURATION', file: SIMPLE, line: 14, column: 23,
    says: /`P30X` is not an ISO 8601 duration at states\.draft\.timers\[0\]\.after — write e\.g\. P30D/,
  },
  {
    name: 'reports a registration number display without {number}',
    edits: [replace(SAMPLE, 'display: 第{number}号', 'display: 第号')],
    code: 'DEFINITION_BAD_NUMBER_FORMAT', file: SAMPLE, line: 10, column: 12,
    says: /must contain \{number\} exactly once at registrationNumber\.display — e\.g\. 第\{number\}号/,
  },
  {
    name: 'reports a qualification id that differs from its file name',
    edits: [replace(SAMPLE, 'id: sample-qual', 'id: sample-quall')],
    code: 'DEFINITION_ID_MISMATCH', file: SAMPLE, line: 2, column: 5,
    says: /id `sample-quall` differs from the file name `sample-qual` at id — rename the file to sample-quall\.yaml or set id: sample-qual/,
  },
  {
    name: 'reports a template kind that differs from its file name',
    edits: [replace(SIMPLE, 'kind: simple', 'kind: simpel')],
    code: 'DEFINITION_ID_MISMATCH', file: SIMPLE, line: 3, column: 7,
    says: /kind `simpel` differs from the file name `simple` at kind — rename the file to simpel\.yaml or set kind: simple/,
  },
  {
    name: 'reports the second of two files (x.yaml, x.yml) that declare the same id',
    edits: [
      copyAs(SAMPLE, 'qualifications/x.yaml', 'id: sample-qual', 'id: x'),
      copyAs(SAMPLE, 'qualifications/x.yml', 'id: sample-qual', 'id: x'),
    ],
    code: 'DEFINITION_DUPLICATE_ID', file: 'qualifications/x.yml', line: 2, column: 5,
    says: /id `x` is already declared in .*qualifications\/x\.yaml at id/,
  },
  {
    name: 'reports a fee kind listed twice at the second line',
    edits: [replace(SAMPLE, 'kind: registration-license-tax', 'kind: registration-fee')],
    code: 'DEFINITION_DUPLICATE_ITEM', file: SAMPLE, line: 18, column: 17,
    says: /fee kind `registration-fee` appears twice at procedures\.registration\.fees\[1\]\.kind/,
  },
  {
    name: 'reports an unknown template with a did-you-mean hint',
    edits: [replace(SAMPLE, 'template: simple', 'template: simpel')],
    code: 'DEFINITION_UNKNOWN_TEMPLATE', file: SAMPLE, line: 15, column: 15,
    says: /unknown template `simpel` at procedures\.registration\.template — did you mean `simple`\?/,
  },
  {
    name: 'reports an unknown guard with the closest library guard (fieldComplete → fieldsComplete)',
    edits: [replace(SIMPLE, 'guards: [fieldsComplete]', 'guards: [fieldComplete]')],
    code: 'DEFINITION_UNKNOWN_GUARD', file: SIMPLE, line: 16, column: 61,
    says: /unknown guard `fieldComplete` at states\.draft\.on\.submit\.guards\[0\] — did you mean `fieldsComplete`\?/,
  },
  {
    name: 'reports an unknown guard with no close match (feePaid) by listing the library guards',
    edits: [replace(SIMPLE, 'guards: [fieldsComplete]', 'guards: [feePaid]')],
    code: 'DEFINITION_UNKNOWN_GUARD', file: SIMPLE, line: 16, column: 61,
    says: /unknown guard `feePaid` .*— known: .*feesDue.*fieldsComplete/,
  },
  {
    name: 'reports an unknown action with a did-you-mean hint',
    edits: [replace(SIMPLE, 'actions: [registerHolder,', 'actions: [registerHoldr,')],
    code: 'DEFINITION_UNKNOWN_ACTION', file: SIMPLE, line: 27, column: 61,
    says: /unknown action `registerHoldr` at states\.underReview\.on\.approve\.actions\[0\] — did you mean `registerHolder`\?/,
  },
  {
    name: 'reports a notification parameter that names no notification template',
    edits: [replace(SIMPLE, '{ notify: approved }', '{ notify: nonsense }')],
    code: 'DEFINITION_BAD_PARAMETER', file: SIMPLE, line: 27, column: 77,
    says: /unknown notification `nonsense` at states\.underReview\.on\.approve\.actions\[1\] — known: .*approved/,
  },
  {
    name: 'reports a parameter given to a guard that takes none',
    edits: [replace(SIMPLE, 'guards: [fieldsComplete]', 'guards: [{ fieldsComplete: yes }]')],
    code: 'DEFINITION_BAD_PARAMETER', file: SIMPLE, line: 16, column: 61,
    says: /`fieldsComplete` takes no parameter .* — write `fieldsComplete` alone/,
  },
  {
    name: 'reports a transition to an unknown state at its target with a did-you-mean hint',
    edits: [replace(SIMPLE, 'withdraw: { to: withdrawn, roles: [applicant] }\n      draftExpired:', 'withdraw: { to: withdrawm, roles: [applicant] }\n      draftExpired:')],
    code: 'DEFINITION_UNKNOWN_STATE', file: SIMPLE, line: 17, column: 23,
    says: /`withdraw` goes to unknown state `withdrawm` at states\.draft\.on\.withdraw\.to — did you mean `withdrawn`\?/,
  },
  {
    name: 'reports an unknown initial state',
    edits: [replace(SIMPLE, 'initial: draft', 'initial: drafts')],
    code: 'DEFINITION_UNKNOWN_STATE', file: SIMPLE, line: 9, column: 10,
    says: /initial state `drafts` does not exist at initial — did you mean `draft`\?/,
    // With no initial state nothing is reachable.
    alsoCodes: ['DEFINITION_UNREACHABLE_STATE'],
  },
  {
    name: 'reports a state no transition leads to at its key',
    edits: [replace(SIMPLE, 'outcome: withdrawn }\n', 'outcome: withdrawn }\n  archived: { final: true, outcome: completed }\n')],
    code: 'DEFINITION_UNREACHABLE_STATE', file: SIMPLE, line: 33, column: 3,
    says: /state `archived` cannot be reached from `draft` at states\.archived — add a transition to it or remove it/,
  },
  {
    name: 'reports a non-final state without events as a dead end',
    edits: [replace(SIMPLE, 'en: Approved }, final: true, outcome: completed', 'en: Approved }, outcome: completed')],
    code: 'DEFINITION_DEAD_END_STATE', file: SIMPLE, line: 30, column: 13,
    says: /state `approved` is not final and has no way out at states\.approved — add `on:` events or mark it `final: true`/,
  },
  {
    name: 'reports a template from which no final state can be reached',
    edits: [write('procedures/endless.yaml', endlessTemplate)],
    code: 'DEFINITION_NO_FINAL_STATE', file: 'procedures/endless.yaml', line: 2, column: 1,
    says: /no final state can be reached — every application must be able to end/,
  },
  {
    name: 'reports a final state that accepts events',
    edits: [replace(SIMPLE, 'final: true, outcome: completed }', 'final: true, outcome: completed, on: { reopen: { to: underReview, roles: [admin] } } }')],
    code: 'DEFINITION_FINAL_WITH_EXITS', file: SIMPLE, line: 30, column: 13,
    says: /final state `approved` accepts events at states\.approved — remove `on:` or `final: true`/,
  },
  {
    name: 'reports an event with an empty roles list as sendable by no one',
    edits: [replace(SIMPLE, 'withdraw: { to: withdrawn, roles: [applicant] }\n      draftExpired:', 'withdraw: { to: withdrawn, roles: [] }\n      draftExpired:')],
    code: 'DEFINITION_EVENT_NO_ROLE', file: SIMPLE, line: 17, column: 41,
    says: /must NOT have fewer than 1 items at states\.draft\.on\.withdraw\.roles/,
  },
  {
    name: 'reports an event without roles as sendable by no one',
    edits: [replace(SIMPLE, 'withdraw: { to: withdrawn, roles: [applicant] }\n      draftExpired:', 'withdraw: { to: withdrawn }\n      draftExpired:')],
    code: 'DEFINITION_EVENT_NO_ROLE', file: SIMPLE, line: 17, column: 17,
    says: /missing key `roles` at states\.draft\.on\.withdraw — add `roles:`/,
  },
  {
    name: 'reports a timer whose event its state does not accept from system',
    edits: [replace(SIMPLE, 'event: draftExpired', 'event: draftExpires')],
    code: 'DEFINITION_TIMER_EVENT', file: SIMPLE, line: 14, column: 36,
    says: /state `draft` does not accept `draftExpires` from role system at states\.draft\.timers\[0\]\.event — add `on: \{ draftExpires: \{ to: \.\.\., roles: \[system\] \} \}`/,
  },
  {
    name: 'reports a timer whose event only a person may send',
    edits: [replace(SIMPLE, 'draftExpired: { to: withdrawn, roles: [system]', 'draftExpired: { to: withdrawn, roles: [admin]')],
    code: 'DEFINITION_TIMER_EVENT', file: SIMPLE, line: 14, column: 36,
    says: /does not accept `draftExpired` from role system/,
  },
  {
    name: 'refuses a field that would collect the individual number (myNumber)',
    edits: [replace(SAMPLE, '    template: simple\n', '    template: simple\n    fields:\n      - { key: myNumber, type: string, label: { ja: 個人番号 } }\n')],
    code: 'DEFINITION_FORBIDDEN_FIELD', file: SAMPLE, line: 17, column: 9,
    says: /field `myNumber` would collect the individual number at procedures\.registration\.fields\[0\] — identity comes from the portal's opaque person id/,
  },
  {
    name: 'reports requiredWhen naming a field that does not exist',
    edits: [replace(SIMPLE, 'en: Date of birth } }\n', 'en: Date of birth } }\n  - { key: maidenName, type: string, requiredWhen: { field: maritalStatus, equals: married }, label: { ja: 旧姓 } }\n')],
    code: 'DEFINITION_UNKNOWN_FIELD', file: SIMPLE, line: 9, column: 5,
    says: /requiredWhen names unknown field `maritalStatus` at fields\[3\]/,
  },
  {
    name: 'reports registerHolder in a procedure that lacks the birthDate field it needs',
    edits: [replace(SIMPLE, '  - { key: birthDate, type: date, required: true, label: { ja: 生年月日, en: Date of birth } }\n', '')],
    code: 'DEFINITION_UNKNOWN_FIELD', file: SIMPLE, line: 26, column: 61,
    says: /`registerHolder` needs field `birthDate`, which the procedure does not declare at states\.underReview\.on\.approve\.actions\[0\] — add a field with key `birthDate`/,
  },
  {
    name: 'reports a role outside the role list as an invalid value',
    edits: [replace(SIMPLE, 'roles: [reviewer] }', 'roles: [superuser] }')],
    code: 'DEFINITION_INVALID_VALUE', file: SIMPLE, line: 22, column: 47,
    says: /at states\.submitted\.on\.startReview\.roles\[0\]/,
  },
];

describe('loadDefinitions reports one located problem per rule', () => {
  it.each(ruleCases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const dir = await definitionsWith(...c.edits);
    const { problems } = await loadDefinitions(dir);
    const problem = problemAt(problems, { code: c.code, file: reported(dir, c.file), line: c.line, column: c.column });
    expect(formatProblem(problem)).toMatch(c.says);
    expect(new Set(problems.map((p) => p.code)), listing(problems)).toEqual(new Set([c.code, ...(c.alsoCodes ?? [])]));
  });

  it('refuses an alias bomb in well under a second', async () => {
    const dir = await definitionsWith(replace(SAMPLE, 'certificate:\n', `${aliasBomb}certificate:\n`));
    const started = performance.now();
    const { problems, qualifications } = await loadDefinitions(dir);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeLessThan(1000);
    const problem = problemAt(problems, { code: 'DEFINITION_ALIAS_LIMIT', file: reported(dir, SAMPLE), line: 1, column: 1 });
    expect(formatProblem(problem)).toMatch(/definitions do not need aliases; write values out/);
    expect(problems.map((p) => p.code)).toEqual(['DEFINITION_ALIAS_LIMIT']);
    expect(qualifications.has('sample-qual')).toBe(false);
  });

  it('hints the closest known key for an unknown key (titel → did you mean `title`)', async () => {
    const dir = await definitionsWith(replace(SIMPLE, 'title: { ja: 簡易申請', 'titel: { ja: 簡易申請'));
    const { problems } = await loadDefinitions(dir);
    const problem = problemAt(problems, { code: 'DEFINITION_UNKNOWN_KEY', file: reported(dir, SIMPLE), line: 4, column: 1 });
    expect(problem.hint).toBe('did you mean `title`?');
  });

  it('names the allowed roles (or the bad one) when a role is not in the list', async () => {
    const dir = await definitionsWith(replace(SIMPLE, 'roles: [reviewer] }', 'roles: [superuser] }'));
    const { problems } = await loadDefinitions(dir);
    const problem = problemAt(problems, { code: 'DEFINITION_INVALID_VALUE', file: reported(dir, SIMPLE), line: 22, column: 47 });
    expect(formatProblem(problem)).toMatch(/applicant.*reviewer|reviewer.*applicant|superuser/);
  });
});

describe('loadDefinitions locates problems in the file that caused them', () => {
  it('locates an error in a qualification\'s override in the qualification file, not the template', async () => {
    const dir = await definitionsWith(replace(TWO_STAGE, 'roles: [registrar-admin], actions: [registerHolder,', 'roles: [registrar-admin], actions: [registerHoldr,'));
    const { problems, qualifications } = await loadDefinitions(dir);
    expect(problems.map((p) => [p.code, p.file, p.line, p.column, p.path]), listing(problems)).toEqual([
      ['DEFINITION_UNKNOWN_ACTION', reported(dir, TWO_STAGE), 27, 72, 'procedures.registration.states.secondReview.on.approve.actions[0]'],
    ]);
    expect(qualifications.has('two-stage')).toBe(false);
    expect(qualifications.has('sample-qual')).toBe(true);
  });

  it('locates an error in a template in the template file and does not echo it in the qualifications using it', async () => {
    const dir = await definitionsWith(replace(SIMPLE, 'actions: [registerHolder,', 'actions: [registerHoldr,'));
    const { problems, qualifications } = await loadDefinitions(dir);
    expect(problems.map((p) => [p.code, p.file, p.line, p.column]), listing(problems)).toEqual([
      ['DEFINITION_UNKNOWN_ACTION', reported(dir, SIMPLE), 27, 61],
    ]);
    for (const q of qualifications.values()) expect(q.procedures.has('registration')).toBe(false);
  });

  it('reports a field redefined by a qualification at the qualification\'s field', async () => {
    const dir = await definitionsWith(replace(SAMPLE, '    template: simple\n', '    template: simple\n    fields:\n      - { key: birthDate, type: date, label: { ja: 生年月日 } }\n'));
    const { problems } = await loadDefinitions(dir);
    expect(problems.map((p) => [p.code, p.file, p.line, p.column]), listing(problems)).toEqual([
      ['DEFINITION_DUPLICATE_ITEM', reported(dir, SAMPLE), 17, 9],
    ]);
  });

  it('reports a template state made unreachable by a qualification\'s override', async () => {
    const dir = await definitionsWith(replace(SAMPLE, '    template: simple\n', '    template: simple\n    states:\n      underReview:\n        on:\n          approve: { to: rejected, roles: [reviewer] }\n'));
    const { problems } = await loadDefinitions(dir);
    expect(problems.map((p) => p.code), listing(problems)).toContain('DEFINITION_UNREACHABLE_STATE');
  });

  it('reports a field declared twice in a template at the second declaration', async () => {
    const dir = await definitionsWith(replace(SIMPLE, 'en: Date of birth } }\n', 'en: Date of birth } }\n  - { key: familyName, type: string, label: { ja: 氏 } }\n'));
    const { problems } = await loadDefinitions(dir);
    problemAt(problems, { code: 'DEFINITION_DUPLICATE_ITEM', file: reported(dir, SIMPLE), line: 9, column: 5 });
  });

  it('locates a known explicit tag (!!str) at the tag', async () => {
    const dir = await definitionsWith(replace(SAMPLE, 'law: 見本資格法', 'law: !!str 見本資格法'));
    const { problems } = await loadDefinitions(dir);
    problemAt(problems, { code: 'DEFINITION_UNKNOWN_TAG', file: reported(dir, SAMPLE), line: 4, column: 6 });
  });
});

describe('loadDefinitions returns all problems at once', () => {
  it('reports three different mistakes in one template as three problems, sorted by line', async () => {
    const dir = await definitionsWith(
      replace(SIMPLE, 'guards: [fieldsComplete]', 'guards: [fieldComplete]'),
      replace(SIMPLE, 'withdraw: { to: withdrawn, roles: [applicant] }\n      draftExpired:', 'withdraw: { to: withdrawm, roles: [applicant] }\n      draftExpired:'),
      replace(SIMPLE, 'actions: [registerHolder,', 'actions: [registerHoldr,'),
    );
    const { problems } = await loadDefinitions(dir);
    const file = reported(dir, SIMPLE);
    expect(problems.map((p) => [p.code, p.file, p.line, p.column]), listing(problems)).toEqual([
      ['DEFINITION_UNKNOWN_GUARD', file, 16, 61],
      ['DEFINITION_UNKNOWN_STATE', file, 17, 23],
      ['DEFINITION_UNKNOWN_ACTION', file, 27, 61],
    ]);
  });

  it('reports three schema mistakes in one qualification as three problems', async () => {
    const dir = await definitionsWith(
      replace(SAMPLE, 'from: 2024-04-01', 'from: soon'),
      replace(SAMPLE, 'amount: 3000', 'amount: -1'),
      replace(SAMPLE, 'photo: false', 'photo: maybe'),
    );
    const { problems } = await loadDefinitions(dir);
    const file = reported(dir, SAMPLE);
    expect(problems.map((p) => [p.code, p.file, p.line, p.column]), listing(problems)).toEqual([
      ['DEFINITION_BAD_DATE', file, 12, 9],
      ['DEFINITION_BAD_FEE', file, 17, 43],
      ['DEFINITION_INVALID_VALUE', file, 22, 10],
    ]);
  });

  it('reports date, number-format and override mistakes in one qualification together, and problems of other files too', async () => {
    const dir = await definitionsWith(
      replace(TWO_STAGE, 'from: 2025-04-01', 'from: 2025-02-30'),
      replace(TWO_STAGE, 'display: TS第{number}号', 'display: TS第号'),
      replace(TWO_STAGE, 'roles: [registrar-admin], actions: [registerHolder,', 'roles: [registrar-admin], actions: [registerHoldr,'),
      replace(SAMPLE, 'id: sample-qual', 'id: sample'),
    );
    const { problems, qualifications } = await loadDefinitions(dir);
    expect(problems.map((p) => [p.code, p.file, p.line, p.column]), listing(problems)).toEqual([
      ['DEFINITION_ID_MISMATCH', reported(dir, SAMPLE), 2, 5],
      ['DEFINITION_BAD_NUMBER_FORMAT', reported(dir, TWO_STAGE), 12, 12],
      ['DEFINITION_BAD_DATE', reported(dir, TWO_STAGE), 14, 9],
      ['DEFINITION_UNKNOWN_ACTION', reported(dir, TWO_STAGE), 27, 72],
    ]);
    expect(qualifications.size).toBe(0);
  });
});

describe('formatProblem', () => {
  it('prints file:line:column, the code, the message, the path and the hint on one line', async () => {
    const dir = await definitionsWith(replace(SAMPLE, 'template: simple', 'template: simpel'));
    const { problems } = await loadDefinitions(dir);
    expect(problems.map(formatProblem)).toEqual([
      `${reported(dir, SAMPLE)}:15:15: DEFINITION_UNKNOWN_TEMPLATE unknown template \`simpel\` at procedures.registration.template — did you mean \`simple\`?`,
    ]);
  });
});
