import { actionLibrary, actionNames, isActionName, notificationTemplates } from '../library/actions.ts';
import { guardLibrary, guardNames, isGuardName } from '../library/guards.ts';
import { parseIsoDuration } from '../iso-duration.ts';
import type { LibraryRef, Transition } from './definition-schema.ts';
import type { DefinitionProblem, DefinitionProblemCode } from './definition-problem.ts';
import { didYouMean } from './did-you-mean.ts';
import type { ProcedureSpec } from './procedure-spec.ts';
import type { ProcedureLocator } from './resolve-procedure.ts';
import type { YamlPath, YamlSource } from './yaml-source.ts';

type Place = [YamlSource, YamlPath];

/** `{ name: parameter }` or `name` → [name, parameter]. */
export function splitRef(ref: LibraryRef): [string, string | undefined] {
  if (typeof ref === 'string') return [ref, undefined];
  const [entry] = Object.entries(ref);
  return entry ? [entry[0], entry[1]] : ['', undefined];
}

/** The transitions of one `on` entry, always as a list. */
export const transitionsOf = (entry: Transition | Transition[]): Transition[] => (Array.isArray(entry) ? entry : [entry]);

const forbiddenKey = /my_?number|individual_?number|kojin_?bango|mynumber/i;

/**
 * Semantic checks of one procedure (a template alone, or a qualification's resolved procedure):
 * names from the closed library, targets, reachability, dead ends, timers, fields. Pure; never throws.
 */
export function checkProcedure(procedure: ProcedureSpec['procedure'], locate: ProcedureLocator): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  const report = ([source, path]: Place, code: DefinitionProblemCode, message: string, hint?: string, atKey = false) =>
    problems.push(source.problem(path, code, message, hint, atKey));
  const stateNames = Object.keys(procedure.states);
  const fieldKeys = new Set(procedure.fields.map((f) => f.key));
  const attachmentKeys = new Set(procedure.attachments.map((a) => a.key));

  const seen = new Set<string>();
  for (const [index, field] of procedure.fields.entries()) {
    if (seen.has(field.key)) report(locate.field(index), 'DEFINITION_DUPLICATE_ITEM', `field \`${field.key}\` is declared twice`, 'give each field its own key');
    seen.add(field.key);
    if (forbiddenKey.test(field.key)) {
      report(locate.field(index), 'DEFINITION_FORBIDDEN_FIELD', `field \`${field.key}\` would collect the individual number`, 'identity comes from the portal\'s opaque person id (番号法 第20条)');
    }
    if (field.type === 'enum' && !field.values) report(locate.field(index), 'DEFINITION_INVALID_VALUE', `enum field \`${field.key}\` has no values`, 'add `values:`');
    if (field.requiredWhen && !fieldKeys.has(field.requiredWhen.field)) {
      report(locate.field(index), 'DEFINITION_UNKNOWN_FIELD', `requiredWhen names unknown field \`${field.requiredWhen.field}\``, didYouMean(field.requiredWhen.field, [...fieldKeys]));
    }
  }

  const checkParameter = (where: Place, name: string, kind: string | undefined, parameter: string | undefined) => {
    if (!kind) {
      if (parameter !== undefined) report(where, 'DEFINITION_BAD_PARAMETER', `\`${name}\` takes no parameter`, `write \`${name}\` alone`);
      return;
    }
    if (parameter === undefined) {
      report(where, 'DEFINITION_BAD_PARAMETER', `\`${name}\` needs a parameter (${kind})`, `write \`{ ${name}: ... }\``);
      return;
    }
    const keys =
      kind === 'attachment' ? [parameter]
      : kind === 'fields' ? parameter.split(/\s+/)
      : kind === 'field=value' ? [parameter.split('=')[0]?.trim() ?? '']
      : kind === 'field' ? [parameter]
      : [];
    const known = kind === 'attachment' ? attachmentKeys : fieldKeys;
    for (const key of keys) {
      if (!known.has(key)) report(where, 'DEFINITION_UNKNOWN_FIELD', `\`${name}\` names unknown ${kind === 'attachment' ? 'attachment' : 'field'} \`${key}\``, didYouMean(key, [...known]));
    }
    if (kind === 'notification' && !(notificationTemplates as readonly string[]).includes(parameter)) {
      report(where, 'DEFINITION_BAD_PARAMETER', `unknown notification \`${parameter}\``, didYouMean(parameter, notificationTemplates));
    }
  };

  const checkActions = (refs: readonly LibraryRef[] | undefined, where: (i: number) => Place) => {
    for (const [i, ref] of (refs ?? []).entries()) {
      const [name, parameter] = splitRef(ref);
      if (!isActionName(name)) {
        report(where(i), 'DEFINITION_UNKNOWN_ACTION', `unknown action \`${name}\``, didYouMean(name, actionNames));
        continue;
      }
      const action = actionLibrary[name];
      checkParameter(where(i), name, 'parameter' in action ? action.parameter : undefined, parameter);
      for (const key of 'requiresFields' in action ? action.requiresFields : []) {
        if (!fieldKeys.has(key)) report(where(i), 'DEFINITION_UNKNOWN_FIELD', `\`${name}\` needs field \`${key}\`, which the procedure does not declare`, `add a field with key \`${key}\``);
      }
    }
  };

  if (!procedure.states[procedure.initial]) {
    report([locate.root()[0], ['initial']], 'DEFINITION_UNKNOWN_STATE', `initial state \`${procedure.initial}\` does not exist`, didYouMean(procedure.initial, stateNames));
  }

  const edges = new Map<string, Set<string>>();
  for (const [name, state] of Object.entries(procedure.states)) {
    const targets = new Set<string>();
    edges.set(name, targets);
    const on = state.on ?? {};
    const statePlace = locate.state(name);
    if (state.final && Object.keys(on).length > 0) report(statePlace, 'DEFINITION_FINAL_WITH_EXITS', `final state \`${name}\` accepts events`, 'remove `on:` or `final: true`');
    if (!state.final && Object.keys(on).length === 0) report(statePlace, 'DEFINITION_DEAD_END_STATE', `state \`${name}\` is not final and has no way out`, 'add `on:` events or mark it `final: true`');
    checkActions(state.entry, (i) => [statePlace[0], [...statePlace[1], 'entry', i]]);
    for (const [i, timer] of (state.timers ?? []).entries()) {
      const where: Place = [statePlace[0], [...statePlace[1], 'timers', i]];
      if (!parseIsoDuration(timer.after)) report([where[0], [...where[1], 'after']], 'DEFINITION_BAD_DURATION', `\`${timer.after}\` is not an ISO 8601 duration`, 'write e.g. P30D, P3M or PT12H');
      const accepts = transitionsOf(on[timer.event] ?? []).some((t) => t.roles.includes('system'));
      if (!accepts) report([where[0], [...where[1], 'event']], 'DEFINITION_TIMER_EVENT', `state \`${name}\` does not accept \`${timer.event}\` from role system`, `add \`on: { ${timer.event}: { to: ..., roles: [system] } }\``);
    }
    for (const [event, entry] of Object.entries(on)) {
      const eventPlace = locate.event(name, event);
      for (const [j, transition] of transitionsOf(entry).entries()) {
        const at = (...rest: (string | number)[]): Place =>
          [eventPlace[0], [...eventPlace[1], ...(Array.isArray(entry) ? [j] : []), ...rest]];
        if (!procedure.states[transition.to]) {
          report(at('to'), 'DEFINITION_UNKNOWN_STATE', `\`${event}\` goes to unknown state \`${transition.to}\``, didYouMean(transition.to, stateNames));
        } else targets.add(transition.to);
        for (const [k, ref] of (transition.guards ?? []).entries()) {
          const [guard, parameter] = splitRef(ref);
          if (!isGuardName(guard)) {
            report(at('guards', k), 'DEFINITION_UNKNOWN_GUARD', `unknown guard \`${guard}\``, didYouMean(guard, guardNames));
            continue;
          }
          const definition = guardLibrary[guard];
          checkParameter(at('guards', k), guard, 'parameter' in definition ? definition.parameter : undefined, parameter);
        }
        checkActions(transition.actions, (k) => at('actions', k));
      }
    }
  }

  const reachable = new Set<string>();
  const queue = procedure.states[procedure.initial] ? [procedure.initial] : [];
  while (queue.length > 0) {
    const s = queue.pop()!;
    if (reachable.has(s)) continue;
    reachable.add(s);
    for (const t of edges.get(s) ?? []) queue.push(t);
  }
  for (const name of stateNames) {
    if (!reachable.has(name)) report(locate.state(name), 'DEFINITION_UNREACHABLE_STATE', `state \`${name}\` cannot be reached from \`${procedure.initial}\``, 'add a transition to it or remove it', true);
  }
  if (reachable.size > 0 && ![...reachable].some((s) => procedure.states[s]?.final)) {
    report(locate.root(), 'DEFINITION_NO_FINAL_STATE', 'no final state can be reached', 'every application must be able to end: add a state with `final: true`');
  }
  return problems;
}
