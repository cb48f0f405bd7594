import { basename } from 'node:path';
import type { DefinitionProblem } from '../definitions/definition-problem.ts';
import { loadDefinitions } from '../definitions/load-definitions.ts';
import type { EngineDeps } from './engine-deps.ts';

export interface ReloadResult {
  /** Qualifications whose new or changed file went live, by id. */
  readonly applied: readonly string[];
  /** Every problem found; the files they are in keep their previous version (or stay absent). */
  readonly problems: readonly DefinitionProblem[];
  readonly at: Date;
}

/**
 * Reads the definitions folder again while serving: each valid qualification file goes live at once
 * (its version stored), while a file with problems — or one using a template with problems — is
 * refused and whatever ran before keeps running. Applications stay pinned either way. Never throws for
 * bad definitions.
 */
export async function reloadDefinitions(deps: EngineDeps, dir: string): Promise<ReloadResult> {
  const loaded = await loadDefinitions(dir);
  // A qualification file is named after its id, so a problem's file names the qualification it refuses.
  const rejected = new Set(loaded.problems.filter((p) => /qualifications[\\/][^\\/]+\.ya?ml$/.test(p.file)).map((p) => basename(p.file).replace(/\.ya?ml$/, '')));
  const { applied, problems } = await deps.definitions.reload(deps.db, loaded.qualifications, rejected, deps.clock.now());
  return { applied, problems: [...loaded.problems, ...problems], at: deps.clock.now() };
}

/** Serialises reloads (a signal and an admin request may race) and remembers the last result. */
export interface DefinitionsReloader {
  reload(): Promise<ReloadResult>;
  last(): ReloadResult | undefined;
}

export function createDefinitionsReloader(deps: EngineDeps, dir: string): DefinitionsReloader {
  let running: Promise<ReloadResult> = Promise.resolve(undefined as never);
  let last: ReloadResult | undefined;
  return {
    reload() {
      running = running.catch(() => undefined).then(async () => (last = await reloadDefinitions(deps, dir)));
      return running;
    },
    last: () => last,
  };
}
