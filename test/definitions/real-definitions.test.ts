import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getAdjacencyMap, getShortestPaths, type AdjacencyMap } from '@xstate/graph';
import { getInitialSnapshot, type AnyMachineSnapshot } from 'xstate';
import { describe, expect, it } from 'vitest';
import { splitRef, transitionsOf } from '../../engine/definitions/check-procedure.ts';
import { actionLibrary, type ActionName } from '../../engine/library/actions.ts';
import { guardLibrary, type GuardName } from '../../engine/library/guards.ts';
import type { FieldConfig, Transition } from '../../engine/definitions/definition-schema.ts';
import { applicationDataSchema, compileProcedure, formatProblem, loadDefinitions, validateApplicationData, type CompiledProcedure, type ProcedureSpec, type RegistryEntry, type Role } from '../../engine/index.ts';
import type { FactName, TransitionFacts, TransitionInput } from '../../engine/library/transition-input.ts';
import { shiftDate } from '../../engine/iso-duration.ts';
import { chooseTransition } from '../../engine/runtime/choose-transition.ts';

const root = join(import.meta.dirname, '../..');
/** CI checks out shared/ beside the repository. */
const tsvPath = join(root, '../shared/data/qualifications.tsv');

const loaded = await loadDefinitions(join(root, 'definitions'));

/** The seed's list (CI checks out shared/ beside the repository). */
const seedRows = existsSync(tsvPath) ? readTsv(tsvPath) : [];

function readTsv(path: string): Record<string, string>[] {
  const [header, ...lines] = readFileSync(path, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  const columns = header!.split('\t');
  return lines.map((l) => Object.fromEntries(l.split('\t').map((v, i) => [columns[i], v.trim()])) as Record<string, string>);
}

describe('the real definitions folder', () => {
  it('loads with zero problems', () => {
    expect(loaded.problems.map(formatProblem)).toEqual([]);
  });

  it.skipIf(seedRows.length === 0)('holds exactly the 84 qualifications of the seed, one file each', () => {
    expect(seedRows).toHaveLength(84);
    expect([...loaded.qualifications.keys()].sort()).toEqual(seedRows.map((r) => r.slug!).sort());
  });

  it.skipIf(seedRows.length === 0)('has a file for every qualification the seed lists as online, with its start date', () => {
    for (const row of seedRows.filter((r) => r.online_from)) {
      const q = loaded.qualifications.get(row.slug!)?.definition;
      expect(q, row.slug).toBeDefined();
      expect({ id: row.slug, from: q!.online.from }).toEqual({ id: row.slug, from: row.online_from });
    }
  });

  it.skipIf(seedRows.length === 0)('names every qualification as the seed does, and says "FY2025 or later" where the seed gives no date', () => {
    const bySlug = new Map(seedRows.map((r) => [r.slug!, r]));
    for (const [id, { definition: q }] of loaded.qualifications) {
      const row = bySlug.get(id);
      expect(row, `${id} is not in the seed's list`).toBeDefined();
      expect({ id, ja: q.name.ja, en: q.name.en }).toEqual({ id, ja: row!.name_ja, en: row!.name_en });
      if (!row!.online_from) expect({ id, from: q.online.from, planned: q.online.planned }).toEqual({ id, from: null, planned: { fiscalYear: 2025, orLater: true } });
    }
  });
});

// ---- Exploring each compiled machine with every input its guards can distinguish ----

type GraphEvent = { type: string; input: TransitionInput; variant: string };

const APPLICANT = 'applicant-1';

/** A value of the field's type that its schema accepts. */
function sampleValue(field: FieldConfig): unknown {
  switch (field.type) {
    case 'string':
    case 'text':
      return 'テスト'.slice(0, field.maxLength ?? 200);
    case 'date':
      return '2000-01-01';
    case 'integer':
      return 1;
    case 'boolean':
      return true;
    case 'enum':
      return field.values![0]!.value;
    case 'email':
      return 'someone@example.jp';
    case 'phone':
      return '03-1234-5678';
    case 'postalCode':
      return '100-0001';
    case 'registrationNumber':
      return '1';
  }
}

/** Data variants: complete (every field and attachment; the printed photo as an upload), each other enum value, no attachments, empty. */
function dataVariants(spec: ProcedureSpec): { label: string; data: Record<string, unknown> }[] {
  const { fields, attachments } = spec.procedure;
  const base = Object.fromEntries(fields.map((f) => [f.key, sampleValue(f)]));
  const complete = { ...base, ...(attachments.length > 0 ? { attachments: Object.fromEntries(attachments.map((a) => [a.key, a.key === 'photo' && spec.qualification.certificatePhoto ? 'upload:00000000-0000-4000-8000-000000000000' : `doc-${a.key}`])) } : {}) };
  return [
    { label: 'complete', data: complete },
    ...fields.filter((f) => f.type === 'enum').flatMap((f) => f.values!.slice(1).map((v) => ({ label: `${f.key}=${v.value}`, data: { ...complete, [f.key]: v.value } }))),
    ...(attachments.length > 0 ? [{ label: 'no-attachments', data: base }] : []),
    { label: 'empty', data: {} },
  ];
}

/** The business date the exploration runs on; `LATER` is past every window and expiry. */
const TODAY = '2026-12-04';
const LATER = '2099-12-31';

/** An entry whose expiry (where the rule has one) puts TODAY on the last day of the renewal window. */
const entry = (spec: ProcedureSpec, holderId: string | null): RegistryEntry => {
  const renewal = spec.qualification.renewal;
  return {
    id: '00000000-0000-4000-8000-000000000001', qualificationId: 'q', registrationNumber: 1, holderId,
    familyName: 'テスト', givenName: 'テスト', birthDate: '2000-01-01', honseki: null, status: 'active', registeredOn: '2020-04-01',
    variant: null, expiresOn: renewal ? shiftDate(TODAY, renewal.window?.closesBefore ?? 'P0D') : null,
  };
};

/**
 * Dates to try when some guard reads the date: inside the windows, and after them. A procedure whose
 * window is not announced yet is explored as if it were announced around TODAY (guards read input.spec).
 */
function dateVariants(spec: ProcedureSpec): { label: string; today: string; spec: ProcedureSpec }[] {
  const reads = candidates(spec).some(({ transition }) => (transition.guards ?? []).some((g) => ['withinWindow', 'renewalWindowOpen'].includes(splitRef(g)[0])));
  if (!reads) return [{ label: '', today: TODAY, spec }];
  const announced = spec.procedure.window === undefined ? spec : { ...spec, procedure: { ...spec.procedure, window: { opens: TODAY, closes: TODAY } } };
  return [
    { label: 'in-window', today: TODAY, spec: announced },
    { label: 'after-window', today: LATER, spec: announced },
  ];
}

/** The registry facts some guard or action of the procedure reads, from the closed libraries' declarations. */
function factsRead(spec: ProcedureSpec): Set<FactName> {
  const read = new Set<FactName>();
  const note = (definition: object | undefined) => {
    for (const fact of (definition as { facts?: readonly FactName[] } | undefined)?.facts ?? []) read.add(fact);
  };
  for (const { transition } of candidates(spec)) {
    for (const ref of transition.guards ?? []) note(guardLibrary[splitRef(ref)[0] as GuardName]);
    for (const ref of transition.actions ?? []) note(actionLibrary[splitRef(ref)[0] as ActionName]);
  }
  for (const state of Object.values(spec.procedure.states)) for (const ref of state.entry ?? []) note(actionLibrary[splitRef(ref)[0] as ActionName]);
  return read;
}

/**
 * Facts variants for the facts the procedure reads (others stay undefined, as the runtime leaves facts
 * nobody reads). A guard only reads its own declared facts, so offering them everywhere changes nothing else.
 */
function factsVariants(compiled: CompiledProcedure): { label: string; facts: TransitionFacts }[] {
  const read = factsRead(compiled.spec);
  const holder = read.has('holderEntry') ? [{ label: 'holder', value: entry(compiled.spec, APPLICANT) }, { label: 'no-holder', value: null }] : [{ label: '', value: undefined }];
  const target = read.has('targetEntry')
    ? [{ label: 'target-unlinked', value: entry(compiled.spec, null) }, { label: 'target-linked-elsewhere', value: entry(compiled.spec, 'someone-else') }, { label: 'no-target', value: null }]
    : [{ label: '', value: undefined }];
  return holder.flatMap((h) =>
    target.map((t) => ({
      label: [h.label, t.label].filter(Boolean).join('+') || 'none',
      facts: { ...(h.value !== undefined ? { holderEntry: h.value } : {}), ...(t.value !== undefined ? { targetEntry: t.value } : {}) },
    })),
  );
}

/** Every state's transitions for `event`, with where they are. */
function candidates(spec: ProcedureSpec): { state: string; event: string; transition: Transition }[] {
  return Object.entries(spec.procedure.states).flatMap(([state, config]) =>
    Object.entries(config.on ?? {}).flatMap(([event, on]) => transitionsOf(on).map((transition) => ({ state, event, transition }))),
  );
}

/** One event per (event name, role that may send it somewhere, data variant, facts variant). */
function graphEvents(compiled: CompiledProcedure): GraphEvent[] {
  const rolesByEvent = new Map<string, Set<Role>>();
  for (const c of candidates(compiled.spec)) {
    const roles = rolesByEvent.get(c.event) ?? new Set<Role>();
    for (const role of c.transition.roles) roles.add(role);
    rolesByEvent.set(c.event, roles);
  }
  const data = dataVariants(compiled.spec);
  const facts = factsVariants(compiled);
  const dates = dateVariants(compiled.spec);
  return [...rolesByEvent].flatMap(([type, roles]) =>
    [...roles].flatMap((role) =>
      data.flatMap((d) =>
        facts.flatMap((f) =>
          dates.map((t) => ({
            type,
            variant: `${role}|${d.label}|${f.label}|${t.label}`,
            input: { actor: { id: role === 'applicant' ? APPLICANT : `${role}-1`, role }, applicantId: APPLICANT, data: d.data, notice: null, spec: t.spec, facts: f.facts, today: t.today },
          })),
        ),
      ),
    ),
  );
}

type Edge = { event: GraphEvent; state: AnyMachineSnapshot };
const edgesOf = (value: { transitions: object }) => Object.values(value.transitions) as Edge[];

const cases = [...loaded.qualifications.values()].flatMap((q) => [...q.procedures.keys()].map((procedure) => [q.definition.id, procedure] as const));

describe.each(cases)('%s / %s', (qualificationId, procedureKind) => {
  const compiled = loaded.qualifications.get(qualificationId)!.procedures.get(procedureKind)!;
  const { spec } = compiled;
  const stateNames = Object.keys(spec.procedure.states).sort();
  const finals = new Set(stateNames.filter((s) => spec.procedure.states[s]!.final));
  const events = graphEvents(compiled);
  const traversal = {
    events,
    serializeState: (s: AnyMachineSnapshot) => JSON.stringify(s.value),
    serializeEvent: (e: GraphEvent) => `${e.type}|${e.variant}`,
    limit: 100_000,
  };
  // Computed lazily, once, inside the first test that needs it (collection stays fast).
  let adjacency: AdjacencyMap<AnyMachineSnapshot, GraphEvent> | undefined;
  const adjacencyMap = () => (adjacency ??= getAdjacencyMap(compiled.machine, traversal as never) as unknown as AdjacencyMap<AnyMachineSnapshot, GraphEvent>);

  it('compiles to the same machine hash again, starting in the initial state', () => {
    const again = compileProcedure(spec);
    expect(again.hash).toBe(compiled.hash);
    expect(again.events).toEqual(compiled.events);
    expect(getInitialSnapshot(compiled.machine, undefined as never).value).toBe(spec.procedure.initial);
  });

  it('gives every transition of every event at least one role', () => {
    const list = candidates(spec);
    expect(list.length).toBeGreaterThan(0);
    for (const c of list) expect(c.transition.roles.length, `${c.state}.${c.event}`).toBeGreaterThan(0);
    expect(new Set(list.map((c) => c.event))).toEqual(compiled.events);
  });

  it('generates a form schema a portal can render: every field with a label, the required ones required', () => {
    const form = applicationDataSchema(spec) as { type: string; properties: Record<string, { title?: string }>; required?: string[] };
    expect(form.type).toBe('object');
    for (const field of spec.procedure.fields) expect(form.properties[field.key]?.title, field.key).toBe(field.label.ja);
    expect([...(form.required ?? [])].sort()).toEqual(spec.procedure.fields.filter((f) => f.required).map((f) => f.key).sort());
    if (spec.qualification.variants) expect(form.required).toContain('variant');
  });

  it('accepts the generated complete data as valid application data', () => {
    for (const variant of dataVariants(spec).filter((d) => d.label !== 'empty')) {
      expect(validateApplicationData(compiled, variant.data), variant.label).toEqual([]);
    }
  });

  it('reaches every state, including a final one, from the initial state', () => {
    const paths = getShortestPaths(compiled.machine, traversal as never);
    const reached = [...new Set(paths.map((p) => String(p.state.value)))].sort();
    expect(reached).toEqual(stateNames);
    expect(reached.some((s) => finals.has(s))).toBe(true);
    expect(finals.size).toBeGreaterThan(0);
  });

  it('can still reach a final state from every state (no dead ends), and final states accept nothing', () => {
    const adj = adjacencyMap();
    const successors = new Map<string, Set<string>>();
    for (const value of Object.values(adj)) {
      const from = String(value.state.value);
      const next = successors.get(from) ?? new Set<string>();
      for (const t of edgesOf(value)) next.add(String(t.state.value));
      successors.set(from, next);
    }
    const canFinish = new Set(finals);
    for (let changed = true; changed; ) {
      changed = false;
      for (const [from, next] of successors) {
        if (!canFinish.has(from) && [...next].some((n) => canFinish.has(n))) {
          canFinish.add(from);
          changed = true;
        }
      }
    }
    expect(stateNames.filter((s) => !canFinish.has(s))).toEqual([]);
    for (const f of finals) expect([...(successors.get(f) ?? [])].filter((n) => n !== f), f).toEqual([]);
  });

  it("takes the transition the engine's chooseTransition picks, for every state and generated input", () => {
    const adj = adjacencyMap();
    const mismatches: string[] = [];
    for (const value of Object.values(adj)) {
      const from = String(value.state.value);
      for (const t of edgesOf(value)) {
        const event = t.event;
        const choice = chooseTransition(event.input.spec, from, event.type, event.input);
        const expected = choice.chosen ? choice.chosen.to : from;
        if (String(t.state.value) !== expected) mismatches.push(`${from} --${event.type} [${event.variant}]--> ${String(t.state.value)}, chooseTransition: ${expected}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('can take every transition candidate, except fee alternatives this procedure cannot use', () => {
    const adj = adjacencyMap();
    const taken = new Set<Transition>();
    for (const value of Object.values(adj)) {
      const from = String(value.state.value);
      for (const t of edgesOf(value)) {
        const event = t.event;
        const chosen = chooseTransition(event.input.spec, from, event.type, event.input).chosen;
        if (chosen) taken.add(chosen);
      }
    }
    const hasFees = spec.procedure.fees.length > 0;
    const feeAlternative = (t: Transition) => (t.guards ?? []).some((g) => (hasFees ? g === 'noFeesDue' : g === 'feesDue'));
    const neverTaken = candidates(spec).filter((c) => !taken.has(c.transition) && !feeAlternative(c.transition));
    expect(neverTaken.map((c) => `${c.state}.${c.event} → ${c.transition.to}`)).toEqual([]);
  });
});
