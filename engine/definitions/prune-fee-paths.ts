import type { StateConfig, Transition } from './definition-schema.ts';
import type { ProcedureSpec } from './procedure-spec.ts';
import { splitRef, transitionsOf } from './check-procedure.ts';

/**
 * A qualification's procedure without the fee alternative it can never take: with fee lines the
 * `noFeesDue` transitions go, without them the `feesDue` ones, and then every state no remaining path
 * reaches (the payment states of a free procedure). The compiled machine and its diagram then show
 * exactly the lifecycle applicants meet. Pure.
 */
export function pruneFeePaths(procedure: ProcedureSpec['procedure']): ProcedureSpec['procedure'] {
  const impossible = procedure.fees.length > 0 ? 'noFeesDue' : 'feesDue';
  const possible = (t: Transition) => !(t.guards ?? []).some((g) => splitRef(g)[0] === impossible);
  const pruned: Record<string, StateConfig> = {};
  for (const [name, state] of Object.entries(procedure.states)) {
    if (!state.on) {
      pruned[name] = state;
      continue;
    }
    const on: NonNullable<StateConfig['on']> = {};
    for (const [event, entry] of Object.entries(state.on)) {
      const kept = transitionsOf(entry).filter(possible);
      if (kept.length > 0) on[event] = Array.isArray(entry) ? kept : kept[0]!;
    }
    pruned[name] = { ...state, on };
  }
  const before = reachable(procedure.initial, procedure.states);
  const after = reachable(procedure.initial, pruned);
  // Only states the fee pruning cut off go; a state unreachable anyway stays, so the checks report it.
  const states = Object.fromEntries(Object.entries(pruned).filter(([name]) => after.has(name) || !before.has(name)));
  return { ...procedure, states };
}

function reachable(initial: string, states: Readonly<Record<string, StateConfig>>): Set<string> {
  const reached = new Set<string>([initial]);
  for (const queue = [initial]; queue.length > 0; ) {
    for (const entry of Object.values(states[queue.pop()!]?.on ?? {})) {
      for (const t of transitionsOf(entry)) if (!reached.has(t.to)) (reached.add(t.to), queue.push(t.to));
    }
  }
  return reached;
}
