import { it } from 'vitest';
import { PGlite } from '@electric-sql/pglite';
import { createTestDatabase } from '../../support/test-database.ts';
it('probe', async () => {
  const out: string[] = [];
  for (let i = 0; i < 3; i++) {
    let t = Date.now();
    const d = await createTestDatabase('pglite');
    out.push(`ctd ${Date.now() - t}`); t = Date.now();
    await d.drop();
    const p = await PGlite.create('memory://');
    out.push(`raw ${Date.now() - t}`);
    await p.close();
  }
  process.stderr.write(out.join('\n') + '\n');
});
