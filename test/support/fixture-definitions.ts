import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DefinitionStore, loadDefinitions } from '../../engine/index.ts';

const root = join(import.meta.dirname, '../..');

/** A temporary folder with the real procedure templates and the synthetic qualifications of test/fixtures/engine. */
export function fixtureDefinitionsDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'shikaku-defs-'));
  cpSync(join(root, 'definitions/procedures'), join(dir, 'procedures'), { recursive: true });
  cpSync(join(root, 'test/fixtures/engine/qualifications'), join(dir, 'qualifications'), { recursive: true });
  return dir;
}

/**
 * The real procedure templates with the synthetic qualifications of test/fixtures/engine, so editing
 * a real qualification never breaks engine tests.
 */
export async function fixtureDefinitions(dir = fixtureDefinitionsDir()): Promise<DefinitionStore> {
  const loaded = await loadDefinitions(dir);
  if (loaded.problems.length > 0) throw new Error(`fixture definitions have problems: ${JSON.stringify(loaded.problems, null, 2)}`);
  return new DefinitionStore(loaded.qualifications);
}
