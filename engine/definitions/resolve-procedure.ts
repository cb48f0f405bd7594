import type { ProcedureOffer, ProcedureTemplate, StateConfig } from './definition-schema.ts';
import type { ProcedureSpec } from './procedure-spec.ts';
import type { YamlPath, YamlSource } from './yaml-source.ts';

/** Where a piece of a resolved procedure was written, so problems point into the right file. */
export interface ProcedureLocator {
  state(name: string): [YamlSource, YamlPath];
  event(state: string, event: string): [YamlSource, YamlPath];
  /** The field at `index` of the procedure's (merged) field list. */
  field(index: number): [YamlSource, YamlPath];
  root(): [YamlSource, YamlPath];
}

export interface TemplateFile {
  readonly source: YamlSource;
  readonly template: ProcedureTemplate;
}

/** A template checked on its own: everything is located in the template file. */
export function templateProcedure(t: TemplateFile): { procedure: ProcedureSpec['procedure']; locate: ProcedureLocator } {
  const fields = t.template.fields ?? [];
  return {
    procedure: {
      kind: t.template.kind,
      template: t.template.kind,
      title: t.template.title,
      fields,
      attachments: t.template.attachments ?? [],
      fees: [],
      initial: t.template.initial,
      states: t.template.states,
    },
    locate: {
      state: (s) => [t.source, ['states', s]],
      event: (s, e) => [t.source, ['states', s, 'on', e]],
      field: (i) => [t.source, ['fields', i]],
      root: () => [t.source, []],
    },
  };
}

function mergeState(base: StateConfig | undefined, override: StateConfig): StateConfig {
  if (!base) return override;
  const on = base.on || override.on ? { ...base.on, ...override.on } : undefined;
  return { ...base, ...override, ...(on ? { on } : {}) };
}

/**
 * A qualification's procedure: the template with the offer's fields, attachments and fees added
 * and its state overrides applied (a state's `on` entries replace the template's event by event).
 */
export function resolveProcedure(
  t: TemplateFile,
  kind: string,
  offer: ProcedureOffer,
  qualification: YamlSource,
): { procedure: ProcedureSpec['procedure']; locate: ProcedureLocator } {
  const base = templateProcedure(t);
  const offerPath: YamlPath = ['procedures', kind];
  const states: Record<string, StateConfig> = { ...t.template.states };
  for (const [name, override] of Object.entries(offer.states ?? {})) states[name] = mergeState(states[name], override);
  const ownFields = offer.fields ?? [];
  const templateFieldCount = t.template.fields?.length ?? 0;
  const overridden = (s: string) => offer.states?.[s] !== undefined;
  return {
    procedure: {
      kind,
      template: t.template.kind,
      title: offer.title ?? t.template.title,
      fields: [...(t.template.fields ?? []), ...ownFields],
      attachments: [...(t.template.attachments ?? []), ...(offer.attachments ?? [])],
      fees: offer.fees ?? [],
      ...(offer.window !== undefined ? { window: offer.window } : {}),
      initial: t.template.initial,
      states,
    },
    locate: {
      state: (s) => (overridden(s) ? [qualification, [...offerPath, 'states', s]] : base.locate.state(s)),
      event: (s, e) => (offer.states?.[s]?.on?.[e] !== undefined ? [qualification, [...offerPath, 'states', s, 'on', e]] : base.locate.event(s, e)),
      field: (i) => (i >= templateFieldCount ? [qualification, [...offerPath, 'fields', i - templateFieldCount]] : base.locate.field(i)),
      root: () => [qualification, offerPath],
    },
  };
}
