import { createHash } from 'node:crypto';
import { and, createActor, setup, type AnyActorScope, type AnyStateMachine } from 'xstate';
import type { LibraryRef, Role } from '../definitions/definition-schema.ts';
import type { ProcedureSpec } from '../definitions/procedure-spec.ts';
import { splitRef, transitionsOf } from '../definitions/check-procedure.ts';
import { actionLibrary, actionNames, type ActionName } from '../library/actions.ts';
import { guardLibrary, guardNames } from '../library/guards.ts';
import type { FactName, TransitionInput } from '../library/transition-input.ts';

/** Bumped whenever compiled behaviour changes for the same spec; part of every definition hash. */
export const COMPILER_VERSION = '1';

/** The event XState sees: the YAML event name plus the guard input. */
export interface MachineEvent {
  readonly type: string;
  readonly input: TransitionInput;
}

/** One executable (qualification, procedure): the spec, its content hash, the machine and what it needs loaded. */
export interface CompiledProcedure {
  readonly hash: string;
  readonly compilerVersion: string;
  readonly spec: ProcedureSpec;
  readonly machine: AnyStateMachine;
  /** Facts the guards and actions of `event` in `state` read; the runtime loads only these. */
  factsFor(state: string, event: string): ReadonlySet<FactName>;
  /**
   * The pure XState transition from a persisted `{value, context}`: the next snapshot and the named
   * actions it asks for, none executed.
   */
  step(persisted: { value: unknown; context: unknown }, event: MachineEvent): [next: { value: unknown; context: unknown }, actions: { type: string; params?: { value?: string } }[]];
  /** Every event name the machine accepts somewhere. */
  readonly events: ReadonlySet<string>;
}

/** JSON with keys sorted at every level, so equal specs hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i > 0 ? ',' : '') + (canonicalJson(value[i]) ?? 'null');
    return `${out}]`;
  }
  if (value && typeof value === 'object') {
    // Written as loops: every compiled spec and every event payload goes through here.
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    let out = '{';
    for (const key of keys) {
      const v = record[key];
      if (v === undefined) continue;
      out += `${out.length > 1 ? ',' : ''}${JSON.stringify(key)}:${canonicalJson(v)}`;
    }
    return `${out}}`;
  }
  return JSON.stringify(value);
}

export function hashSpec(spec: ProcedureSpec): string {
  return createHash('sha256').update(`shikaku-compiler:${COMPILER_VERSION}\n`).update(canonicalJson(spec)).digest('hex');
}

const guardImplementations = Object.fromEntries([
  ['role', ({ event }: { event: MachineEvent }, params: { roles: readonly Role[] }) => params.roles.includes(event.input.actor.role)],
  ...guardNames.map((name) => [
    name,
    ({ event }: { event: MachineEvent }, params: { value?: string }) => guardLibrary[name].check(event.input, params?.value),
  ]),
]);

// Actions never run inside the machine: the pure transition returns them and the runtime performs them.
const actionImplementations = Object.fromEntries(actionNames.map((name) => [name, () => undefined]));

const machineSetup = setup({
  types: {} as { context: Record<string, never>; events: MachineEvent },
  guards: guardImplementations as never,
  actions: actionImplementations as never,
});

const toAction = (ref: LibraryRef) => {
  const [type, value] = splitRef(ref);
  return { type, params: { value } };
};

/** Compiles a checked spec into an XState v5 machine with guards and actions from the closed library. Pure. */
export function compileProcedure(spec: ProcedureSpec): CompiledProcedure {
  const factsByEvent = new Map<string, Set<FactName>>();
  const events = new Set<string>();
  let facts = new Set<FactName>();
  const noteActions = (refs: readonly LibraryRef[] | undefined) => {
    for (const ref of refs ?? []) {
      const action = actionLibrary[splitRef(ref)[0] as ActionName];
      for (const fact of 'facts' in action ? action.facts : []) facts.add(fact);
    }
  };
  // Entry actions run on entering a state, so every event leading into it needs their facts.
  const entryFacts = new Map<string, Set<FactName>>();
  for (const [name, state] of Object.entries(spec.procedure.states)) {
    facts = new Set();
    noteActions(state.entry);
    entryFacts.set(name, facts);
  }
  const states = Object.fromEntries(
    Object.entries(spec.procedure.states).map(([name, state]) => {
      const on = Object.fromEntries(
        Object.entries(state.on ?? {}).map(([event, entry]) => {
          events.add(event);
          facts = new Set();
          factsByEvent.set(`${name}\u0000${event}`, facts);
          return [
            event,
            transitionsOf(entry).map((t) => {
              noteActions(t.actions);
              for (const fact of entryFacts.get(t.to) ?? []) facts.add(fact);
              const guards = (t.guards ?? []).map((ref) => {
                const [type, value] = splitRef(ref);
                const definition = guardLibrary[type as keyof typeof guardLibrary];
                for (const fact of 'facts' in definition ? definition.facts : []) facts.add(fact);
                return { type, params: { value } };
              });
              return {
                target: t.to,
                guard: and([{ type: 'role', params: { roles: t.roles } }, ...guards] as never),
                actions: (t.actions ?? []).map(toAction),
              };
            }),
          ];
        }),
      );
      return [name, { ...(state.final ? { type: 'final' as const } : {}), entry: (state.entry ?? []).map(toAction), on }];
    }),
  );
  const hash = hashSpec(spec);
  const machine: AnyStateMachine = machineSetup.createMachine({
    id: `${spec.qualification.id}.${spec.procedure.kind}`,
    initial: spec.procedure.initial,
    context: {},
    states: states as never,
  }) as unknown as AnyStateMachine;
  const none = new Set<FactName>();
  // One inert scope per machine: xstate's `transition()` builds (and initialises) a throwaway actor
  // on every call, which costs more than the transition itself.
  const self = createActor(machine);
  let collect: (action: unknown) => void = () => undefined;
  const scope = {
    self, defer: () => undefined, id: '', logger: () => undefined, sessionId: '', stopChild: () => undefined,
    system: self.system, emit: () => undefined, actionExecutor: (action: unknown) => collect(action),
  } as unknown as AnyActorScope;
  return {
    hash,
    compilerVersion: COMPILER_VERSION,
    spec,
    machine,
    events,
    factsFor: (state, event) => factsByEvent.get(`${state}\u0000${event}`) ?? none,
    step(persisted, event) {
      const actions: { type: string; params?: { value?: string } }[] = [];
      collect = (action) => actions.push(action as (typeof actions)[number]);
      try {
        const next = machine.transition(machine.resolveState(persisted as never), event as never, scope);
        return [{ value: next.value, context: next.context }, actions];
      } finally {
        collect = () => undefined;
      }
    },
  };
}
