import { transitionsOf, type CompiledProcedure } from '../engine/index.ts';

/** A Mermaid `stateDiagram-v2` of a compiled procedure: events, roles and timers on the arrows. */
export function mermaidDiagram(procedure: CompiledProcedure): string {
  const { states, initial } = procedure.spec.procedure;
  const lines = ['stateDiagram-v2', `  [*] --> ${initial}`];
  for (const [name, state] of Object.entries(states)) {
    if (state.title) lines.push(`  ${name} : ${state.title.ja}${state.title.en ? ` / ${state.title.en}` : ''}`);
    for (const [event, entry] of Object.entries(state.on ?? {})) {
      for (const t of transitionsOf(entry)) {
        const timer = state.timers?.find((x) => x.event === event);
        const guards = (t.guards ?? []).map((g) => (typeof g === 'string' ? g : Object.keys(g)[0])).join(', ');
        const label = `${event} (${t.roles.join('/')})${timer ? ` after ${timer.after}` : ''}${guards ? ` [${guards}]` : ''}`;
        lines.push(`  ${name} --> ${t.to} : ${label}`);
      }
    }
    if (state.final) lines.push(`  ${name} --> [*]`);
  }
  return `${lines.join('\n')}\n`;
}
