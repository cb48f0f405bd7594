import type { FieldConfig } from '../definitions/definition-schema.ts';
import type { ProcedureSpec } from '../definitions/procedure-spec.ts';
import { shiftDate } from '../iso-duration.ts';
import { isAddressed } from '../runtime/deficiency-notice.ts';
import type { FactName, TransitionInput } from './transition-input.ts';

/** A named guard of the closed library. `check` is pure; `explain` says why it failed, for 422 reasons. */
export interface GuardDefinition {
  readonly description: string;
  /** What the parameter names, when the guard takes one. */
  readonly parameter?: 'field' | 'fields' | 'field=value' | 'attachment';
  readonly facts?: readonly FactName[];
  check(input: TransitionInput, parameter: string | undefined): boolean;
  explain(input: TransitionInput, parameter: string | undefined): string;
}

const isPresent = (value: unknown): boolean =>
  value !== undefined && value !== null && !(typeof value === 'string' && value.trim() === '');

function isRequired(field: FieldConfig, data: Readonly<Record<string, unknown>>): boolean {
  if (field.required) return true;
  return field.requiredWhen !== undefined && data[field.requiredWhen.field] === field.requiredWhen.equals;
}

/** Keys of required fields and attachments not yet given; omitted attachments are supplied by linkage. */
export function missingItems(spec: ProcedureSpec, data: Readonly<Record<string, unknown>>): string[] {
  const attachments = (data.attachments ?? {}) as Record<string, unknown>;
  return [
    ...spec.procedure.fields.filter((f) => isRequired(f, data) && !isPresent(data[f.key])).map((f) => f.key),
    ...spec.procedure.attachments
      .filter((a) => a.required && !a.omittedBy && !isPresent(attachments[a.key]))
      .map((a) => `attachments.${a.key}`),
  ];
}

const feeTotalKnown = (spec: ProcedureSpec): boolean => spec.procedure.fees.length > 0;

function splitEquals(parameter: string | undefined): [string, string] {
  const [field = '', value = ''] = (parameter ?? '').split('=', 2);
  return [field.trim(), value.trim()];
}

/** The first and last day a renewal may be applied for, or undefined when there is nothing to renew. */
export function renewalWindow(input: TransitionInput): { opens: string; closes: string } | undefined {
  const rule = input.spec.qualification.renewal;
  const expiresOn = input.facts.holderEntry?.expiresOn;
  if (!rule || !expiresOn) return undefined;
  const opens = rule.window ? shiftDate(expiresOn, rule.window.opensBefore, -1) : input.facts.holderEntry!.registeredOn;
  const closes = rule.window ? shiftDate(expiresOn, rule.window.closesBefore, -1) : expiresOn;
  return { opens, closes };
}

export const guardLibrary = {
  fieldsComplete: {
    description: 'Every required field and attachment is given.',
    check: (i) => missingItems(i.spec, i.data).length === 0,
    explain: (i) => `missing: ${missingItems(i.spec, i.data).join(', ')}`,
  },
  noticeAddressed: {
    description: 'Every field noted in the open deficiency notice has been changed since it was sent.',
    check: (i) => (i.notice?.fields ?? []).every((f) => isAddressed(f, i.data)),
    explain: (i) =>
      `change what the deficiency notice points at: ${(i.notice?.fields ?? []).filter((f) => !isAddressed(f, i.data)).map((f) => `${f.path} (${f.message})`).join('; ')}`,
  },
  feesDue: {
    description: 'The procedure has fee lines to pay.',
    check: (i) => feeTotalKnown(i.spec),
    explain: () => 'this procedure has no fees',
  },
  noFeesDue: {
    description: 'The procedure has no fee lines.',
    check: (i) => !feeTotalKnown(i.spec),
    explain: () => 'fees must be paid first',
  },
  attachmentProvided: {
    description: 'The named attachment is given.',
    parameter: 'attachment',
    check: (i, key) => isPresent(((i.data.attachments ?? {}) as Record<string, unknown>)[key ?? '']),
    explain: (_, key) => `attach ${key}`,
  },
  anyFieldProvided: {
    description: 'At least one of the named fields (space-separated) is given.',
    parameter: 'fields',
    check: (i, keys) => (keys ?? '').split(/\s+/).some((k) => isPresent(i.data[k])),
    explain: (_, keys) => `give at least one of: ${keys}`,
  },
  fieldEquals: {
    description: 'A field has the given value (`field=value`).',
    parameter: 'field=value',
    check: (i, p) => {
      const [field, value] = splitEquals(p);
      return i.data[field] === value;
    },
    explain: (_, p) => `requires ${p}`,
  },
  isHolder: {
    description: 'The applicant holds an active registration in this qualification.',
    facts: ['holderEntry'],
    check: (i) => i.facts.holderEntry?.status === 'active',
    explain: () => 'the applicant holds no active registration in this qualification',
  },
  notRegistered: {
    description: 'The applicant does not hold an active registration in this qualification yet.',
    facts: ['holderEntry'],
    check: (i) => !i.facts.holderEntry,
    explain: () => 'the applicant is already registered in this qualification',
  },
  withinWindow: {
    description: "Today (Japan time) is inside the procedure's announced application window.",
    check: (i) => {
      const w = i.spec.procedure.window;
      return w === undefined || (w !== null && w.opens <= i.today && i.today <= w.closes);
    },
    explain: (i) => {
      const w = i.spec.procedure.window;
      if (!w) return 'the application window has not been announced';
      return i.today < w.opens ? `applications open on ${w.opens}` : `applications closed on ${w.closes}`;
    },
  },
  renewalWindowOpen: {
    description: "Today (Japan time) is inside the renewal window the qualification's rule sets relative to the expiry.",
    facts: ['holderEntry'],
    check: (i) => {
      const w = renewalWindow(i);
      return w !== undefined && w.opens <= i.today && i.today <= w.closes;
    },
    explain: (i) => {
      const w = renewalWindow(i);
      if (!w) return 'the registration has no expiry to renew';
      return i.today < w.opens ? `renewal opens on ${w.opens}` : `renewal closed on ${w.closes} (expiry ${i.facts.holderEntry?.expiresOn})`;
    },
  },
  registryMatch: {
    description: 'The registration number and basic information match an active registry entry.',
    facts: ['targetEntry'],
    check: (i) => i.facts.targetEntry?.status === 'active',
    explain: () => 'no active registry entry matches the registration number, name and birth date',
  },
  registryUnlinked: {
    description: 'The matched registry entry is not yet linked to another person.',
    facts: ['targetEntry'],
    check: (i) => !i.facts.targetEntry?.holderId || i.facts.targetEntry.holderId === i.applicantId,
    explain: () => 'the registry entry is already linked to another person',
  },
} satisfies Record<string, GuardDefinition>;

export type GuardName = keyof typeof guardLibrary;
export const guardNames = Object.keys(guardLibrary) as GuardName[];
export const isGuardName = (name: string): name is GuardName => Object.hasOwn(guardLibrary, name);
