import type { CompiledProcedure } from '../compile/compile-procedure.ts';
import { transitionsOf } from '../definitions/check-procedure.ts';
import type { Role } from '../definitions/definition-schema.ts';
import type { FactName } from '../library/transition-input.ts';
import type { Actor } from './actor.ts';
import { chooseTransition } from './choose-transition.ts';
import type { EngineDeps } from './engine-deps.ts';
import { loadFacts } from './load-facts.ts';
import type { ApplicationRow } from './applications.repository.ts';
import { transitionInput } from './send-event.ts';

export interface AllowedEvent {
  readonly type: string;
  readonly to: string;
  readonly comment: 'required' | 'optional' | 'none';
}

/** The events `actor` could send now, each with the state it would lead to. */
export async function allowedEvents(deps: EngineDeps, procedure: CompiledProcedure, row: ApplicationRow, actor: Actor): Promise<AllowedEvent[]> {
  const on = procedure.spec.procedure.states[row.state]?.on ?? {};
  // Only events some transition lets this role send can be allowed, so only their facts are read.
  const candidates = Object.entries(on)
    .filter(([, transitions]) => transitionsOf(transitions).some((t) => t.roles.includes(actor.role)))
    .map(([type]) => type);
  if (candidates.length === 0) return [];
  const needed = new Set<FactName>(candidates.flatMap((type) => [...procedure.factsFor(row.state, type)]));
  const facts = await loadFacts(deps.db, needed, row);
  const input = transitionInput(procedure, row, actor, facts, deps.clock.now());
  return candidates.flatMap((type) => {
    const { chosen } = chooseTransition(procedure.spec, row.state, type, input);
    return chosen ? [{ type, to: chosen.to, comment: chosen.comment ?? 'none' }] : [];
  });
}

/**
 * Whether some transition of `type`, in any state of the procedure, lets `role` send it: the
 * function-level check, before state and guards. False for an event the procedure does not have. Pure.
 */
export function roleMaySend(procedure: CompiledProcedure, type: string, role: Role): boolean {
  return Object.values(procedure.spec.procedure.states).some((state) => {
    // `type` comes from the request: own keys only, so `constructor` and the like are no events.
    const transitions = state.on && Object.hasOwn(state.on, type) ? state.on[type] : undefined;
    return transitions !== undefined && transitionsOf(transitions).some((t) => t.roles.includes(role));
  });
}
