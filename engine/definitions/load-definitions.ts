import { readdir, readFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { isCalendarDate } from '../clock.ts';
import { addIsoDuration, parseIsoDuration } from '../iso-duration.ts';
import { compileProcedure, type CompiledProcedure } from '../compile/compile-procedure.ts';
import { checkProcedure } from './check-procedure.ts';
import { checkSchema } from './check-schema.ts';
import { ProcedureTemplate, Qualification, type FieldConfig, type Qualification as QualificationType, type VariantsConfig } from './definition-schema.ts';
import type { DefinitionProblem } from './definition-problem.ts';
import { didYouMean } from './did-you-mean.ts';
import type { ProcedureSpec } from './procedure-spec.ts';
import { pruneFeePaths } from './prune-fee-paths.ts';
import { resolveProcedure, templateProcedure, type TemplateFile } from './resolve-procedure.ts';
import { parseYamlSource, type YamlSource } from './yaml-source.ts';

/** A qualification as loaded, with its compiled procedures keyed by procedure name. */
export interface LoadedQualification {
  readonly definition: QualificationType;
  readonly file: string;
  readonly procedures: ReadonlyMap<string, CompiledProcedure>;
}

export interface LoadResult {
  readonly qualifications: ReadonlyMap<string, LoadedQualification>;
  /** Every problem in every file; empty when the set is valid. Sorted by file, line, column. */
  readonly problems: readonly DefinitionProblem[];
}

async function yamlFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => join(dir, f));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

async function parseFile(path: string, problems: DefinitionProblem[]): Promise<YamlSource | undefined> {
  const parsed = parseYamlSource(relative(process.cwd(), path) || path, await readFile(path, 'utf8'));
  problems.push(...parsed.problems);
  return parsed.source;
}

/**
 * Loads `<dir>/procedures/*.yaml` and `<dir>/qualifications/*.yaml`: parses with positions, validates
 * against the schema, resolves templates, runs semantic checks and compiles. Never throws for bad
 * definitions: every problem is returned, and only qualifications without problems are compiled.
 */
export async function loadDefinitions(dir: string): Promise<LoadResult> {
  const problems: DefinitionProblem[] = [];
  const templates = new Map<string, TemplateFile>();
  const brokenTemplates = new Set<string>();
  for (const path of await yamlFiles(join(dir, 'procedures'))) {
    const name = basename(path).replace(/\.ya?ml$/, '');
    const template = await loadTemplate(path, name, problems);
    if (template) templates.set(name, template);
    else brokenTemplates.add(name);
  }

  const qualifications = new Map<string, LoadedQualification>();
  const seenIds = new Map<string, string>();
  for (const path of await yamlFiles(join(dir, 'qualifications'))) {
    const source = await parseFile(path, problems);
    if (!source) continue;
    const before = problems.length;
    problems.push(...checkSchema(source, Qualification));
    if (problems.length > before) continue;
    const q = source.value as QualificationType;
    const name = basename(path).replace(/\.ya?ml$/, '');
    if (q.id !== name) problems.push(source.problem(['id'], 'DEFINITION_ID_MISMATCH', `id \`${q.id}\` differs from the file name \`${name}\``, `rename the file to ${q.id}.yaml or set id: ${name}`));
    const firstFile = seenIds.get(q.id);
    if (firstFile) problems.push(source.problem(['id'], 'DEFINITION_DUPLICATE_ID', `id \`${q.id}\` is already declared in ${firstFile}`, 'each qualification has one file'));
    seenIds.set(q.id, source.file);
    problems.push(...checkQualificationFacts(source, q));
    const compiled = new Map<string, CompiledProcedure>();
    const pending: ProcedureSpec[] = [];
    let usesBrokenTemplate = false;
    for (const [kind, offer] of Object.entries(q.procedures)) {
      const t = templates.get(offer.template);
      if (!t) {
        // A template that failed its own checks is reported there; the qualification is not compiled.
        if (brokenTemplates.has(offer.template)) usesBrokenTemplate = true;
        else problems.push(source.problem(['procedures', kind, 'template'], 'DEFINITION_UNKNOWN_TEMPLATE', `unknown template \`${offer.template}\``, didYouMean(offer.template, [...templates.keys()])));
        continue;
      }
      const raw = withVariantField(resolveProcedure(t, kind, offer, source), q.variants);
      const resolved = { ...raw, procedure: pruneFeePaths(raw.procedure) };
      // Only valid templates get here, so a problem located in the template was caused by this file's overrides.
      for (const p of checkProcedure(resolved.procedure, resolved.locate)) {
        problems.push(p.file === source.file ? p : source.problem(['procedures', kind, 'states'], p.code, `${p.message} after this qualification's overrides`, p.hint));
      }
      pending.push({
        qualification: {
          id: q.id,
          name: q.name,
          registrar: q.registrar,
          registrationNumber: q.registrationNumber,
          ...(q.variants ? { variants: q.variants } : {}),
          ...(q.renewal ? { renewal: q.renewal } : {}),
          ...(q.certificate.photo ? { certificatePhoto: true as const } : {}),
        },
        procedure: resolved.procedure,
      });
    }
    // Judged only when every procedure resolved: a broken template is reported on its own.
    const resolvedAll = pending.length === Object.keys(q.procedures).length;
    if (q.certificate.photo && resolvedAll && !pending.some((spec) => spec.procedure.attachments.some((a) => a.key === 'photo'))) {
      problems.push(source.problem(['certificate', 'photo'], 'DEFINITION_PHOTO_SOURCE_MISSING', 'the certificate prints a photo but no procedure has a `photo` attachment', 'add `{ key: photo, label: { ja: 写真 }, required: true }` to the attachments of the registration procedure'));
    }
    if (problems.length > before || usesBrokenTemplate) continue;
    for (const spec of pending) compiled.set(spec.procedure.kind, compileProcedure(spec));
    qualifications.set(q.id, { definition: q, file: source.file, procedures: compiled });
  }
  problems.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
  return { qualifications, problems: dedupe(problems) };
}

/** A template that passes its schema and semantic checks, or undefined (its problems pushed). */
async function loadTemplate(path: string, name: string, problems: DefinitionProblem[]): Promise<TemplateFile | undefined> {
  const source = await parseFile(path, problems);
  if (!source) return undefined;
  const schemaProblems = checkSchema(source, ProcedureTemplate);
  problems.push(...schemaProblems);
  if (schemaProblems.length > 0) return undefined;
  const template = source.value as ProcedureTemplate;
  if (template.kind !== name) {
    problems.push(source.problem(['kind'], 'DEFINITION_ID_MISMATCH', `kind \`${template.kind}\` differs from the file name \`${name}\``, `rename the file to ${template.kind}.yaml or set kind: ${name}`));
    return undefined;
  }
  const t = { source, template };
  const own = templateProcedure(t);
  const templateProblems = checkProcedure(own.procedure, own.locate);
  problems.push(...templateProblems);
  return templateProblems.length === 0 ? t : undefined;
}

/**
 * A family qualification's applications say which kind they concern: a required `variant` field
 * listing the kinds, appended after the others (so problems in declared fields keep their places).
 */
function withVariantField<T extends { procedure: ProcedureSpec['procedure'] }>(resolved: T, variants: VariantsConfig | null | undefined): T {
  if (!variants || resolved.procedure.fields.some((f) => f.key === 'variant')) return resolved;
  const field: FieldConfig = {
    key: 'variant',
    type: 'enum',
    required: true,
    label: variants.label,
    values: variants.items.map((v) => ({ value: v.id, label: v.name })),
  };
  return { ...resolved, procedure: { ...resolved.procedure, fields: [...resolved.procedure.fields, field] } };
}

function dedupe(problems: DefinitionProblem[]): DefinitionProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.file}:${p.line}:${p.column}:${p.code}:${p.message}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

/** Dates and number formats the schema cannot check. */
function checkQualificationFacts(source: YamlSource, q: QualificationType): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  const badDate = (path: (string | number)[], value: string) =>
    problems.push(source.problem(path, 'DEFINITION_BAD_DATE', `\`${value}\` is not a calendar date`, 'write YYYY-MM-DD, Japan time'));
  if (q.online.from !== null && !isCalendarDate(q.online.from)) badDate(['online', 'from'], q.online.from);
  if (q.online.from !== null && q.online.planned) {
    problems.push(source.problem(['online', 'planned'], 'DEFINITION_INVALID_VALUE', 'online.planned is for qualifications without a date, but online.from is set', 'remove online.planned, or set online.from: null'));
  }
  if (q.effectiveFrom !== undefined && !isCalendarDate(q.effectiveFrom)) badDate(['effectiveFrom'], q.effectiveFrom);
  if (q.renewal?.window) {
    const { opensBefore, closesBefore } = q.renewal.window;
    const probe = new Date('2000-01-01T00:00:00Z');
    const opens = addIsoDuration(probe, parseIsoDuration(opensBefore)!).getTime();
    const closes = addIsoDuration(probe, parseIsoDuration(closesBefore)!).getTime();
    if (opens <= closes) {
      problems.push(source.problem(['renewal', 'window'], 'DEFINITION_INVALID_VALUE', `renewal opens ${opensBefore} before expiry but closes ${closesBefore} before it`, 'opensBefore must be longer than closesBefore, e.g. P90D and P30D'));
    }
  }
  const variantIds = new Set<string>();
  for (const [i, v] of (q.variants?.items ?? []).entries()) {
    if (variantIds.has(v.id)) problems.push(source.problem(['variants', 'items', i, 'id'], 'DEFINITION_DUPLICATE_ITEM', `variant \`${v.id}\` appears twice`, 'one item per kind'));
    variantIds.add(v.id);
  }
  if (q.variants?.total !== undefined && q.variants.items.length > q.variants.total) {
    problems.push(source.problem(['variants', 'total'], 'DEFINITION_INVALID_VALUE', `${q.variants.items.length} variants are listed but total says ${q.variants.total}`, 'raise total or remove items'));
  }
  for (const [kind, offer] of Object.entries(q.procedures)) {
    if (typeof offer.from === 'string' && !isCalendarDate(offer.from)) badDate(['procedures', kind, 'from'], offer.from);
    if (offer.window) {
      const { opens, closes } = offer.window;
      if (!isCalendarDate(opens)) badDate(['procedures', kind, 'window', 'opens'], opens);
      else if (!isCalendarDate(closes)) badDate(['procedures', kind, 'window', 'closes'], closes);
      else if (closes < opens) problems.push(source.problem(['procedures', kind, 'window'], 'DEFINITION_BAD_DATE', `the window closes (${closes}) before it opens (${opens})`, 'swap opens and closes'));
    }
    const feeKinds = new Set<string>();
    for (const [i, fee] of (offer.fees ?? []).entries()) {
      if (feeKinds.has(fee.kind)) problems.push(source.problem(['procedures', kind, 'fees', i, 'kind'], 'DEFINITION_DUPLICATE_ITEM', `fee kind \`${fee.kind}\` appears twice`, 'one line per fee kind'));
      feeKinds.add(fee.kind);
    }
  }
  if (q.registrationNumber.display.split('{number}').length !== 2) {
    problems.push(source.problem(['registrationNumber', 'display'], 'DEFINITION_BAD_NUMBER_FORMAT', `display \`${q.registrationNumber.display}\` must contain {number} exactly once`, 'e.g. 第{number}号'));
  }
  return problems;
}
