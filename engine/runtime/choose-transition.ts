import type { Transition } from '../definitions/definition-schema.ts';
import type { ProcedureSpec } from '../definitions/procedure-spec.ts';
import { splitRef, transitionsOf } from '../definitions/check-procedure.ts';
import { guardLibrary, type GuardName } from '../library/guards.ts';
import type { TransitionInput } from '../library/transition-input.ts';

/**
 * The transition an event would take in `state`, with XState's semantics (first candidate whose role
 * and guards hold), and otherwise the reasons each candidate failed. Pure.
 */
export function chooseTransition(
  spec: ProcedureSpec,
  state: string,
  type: string,
  input: TransitionInput,
): { chosen: Transition; reasons: [] } | { chosen: undefined; reasons: string[] } {
  const candidates = transitionsOf(spec.procedure.states[state]?.on?.[type] ?? []);
  if (candidates.length === 0) return { chosen: undefined, reasons: [`\`${type}\` is not accepted in state \`${state}\``] };
  const reasons: string[] = [];
  for (const candidate of candidates) {
    if (!candidate.roles.includes(input.actor.role)) {
      reasons.push(`role \`${input.actor.role}\` may not send \`${type}\` (allowed: ${candidate.roles.join(', ')})`);
      continue;
    }
    const failed = (candidate.guards ?? [])
      .map(splitRef)
      .filter(([name, parameter]) => !guardLibrary[name as GuardName].check(input, parameter))
      .map(([name, parameter]) => `${name}: ${guardLibrary[name as GuardName].explain(input, parameter)}`);
    if (failed.length === 0) return { chosen: candidate, reasons: [] };
    reasons.push(...failed);
  }
  return { chosen: undefined, reasons: [...new Set(reasons)] };
}
