import type { CompiledProcedure } from '../compile/compile-procedure.ts';
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
  const facts = await loadFacts(deps.db, procedure.factsFor(row.state), row);
  const input = transitionInput(procedure, row, actor, facts);
  return Object.keys(on).flatMap((type) => {
    const { chosen } = chooseTransition(procedure.spec, row.state, type, input);
    return chosen ? [{ type, to: chosen.to, comment: chosen.comment ?? 'none' }] : [];
  });
}
