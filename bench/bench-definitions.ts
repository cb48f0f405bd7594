import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DefinitionStore, formatProblem, loadDefinitions } from '../engine/index.ts';

/**
 * The real procedure templates with the synthetic qualifications of test/fixtures/engine (read as data),
 * in a temporary folder that a `shikaku serve` child can load too.
 */
export async function benchDefinitions(root: string): Promise<{ store: DefinitionStore; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'shikaku-bench-defs-'));
  cpSync(join(root, 'definitions/procedures'), join(dir, 'procedures'), { recursive: true });
  cpSync(join(root, 'test/fixtures/engine/qualifications'), join(dir, 'qualifications'), { recursive: true });
  const loaded = await loadDefinitions(dir);
  if (loaded.problems.length > 0) throw new Error(`bench definitions have problems:\n${loaded.problems.map(formatProblem).join('\n')}`);
  return { store: new DefinitionStore(loaded.qualifications), dir };
}
