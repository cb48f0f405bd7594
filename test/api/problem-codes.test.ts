import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorCatalogue } from '../../engine/index.ts';

// The error table of docs/api.md: `| status | `CODE` | when |`, one code per row.
const documented = new Map(
  [...readFileSync(join(import.meta.dirname, '../../docs/api.md'), 'utf8').matchAll(/^\| (\d{3}) \| `([A-Z_]+)` \| (.+) \|$/gm)].map((m) => [m[2]!, { status: Number(m[1]), when: m[3]!.trim() }]),
);

describe('the problem code catalogue', () => {
  it.each(Object.entries(errorCatalogue))('%s is documented in docs/api.md with its status and an explanation', (code, { status, title }) => {
    expect(title.length).toBeGreaterThan(0);
    expect(status).toBeGreaterThanOrEqual(400);
    expect(documented.get(code)?.status).toBe(status);
    expect(documented.get(code)!.when.length).toBeGreaterThan(5);
  });

  it('documents no code the server does not have', () => {
    expect([...documented.keys()].filter((code) => !(code in errorCatalogue))).toEqual([]);
  });
});
