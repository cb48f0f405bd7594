import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { editorSchemas, schemaFileText } from '../../../engine/definitions/definition-schema.ts';
import { qualificationFieldReference } from '../../../engine/definitions/field-reference.ts';

const schemaDir = new URL('../../../definitions/schema/', import.meta.url);

describe('definitions/schema editor files', () => {
  it('covers the qualification and procedure schemas', () => {
    expect(Object.keys(editorSchemas).sort()).toEqual(['procedure.schema.json', 'qualification.schema.json']);
  });

  it.each(Object.entries(editorSchemas).map(([name, schema]) => ({ name, schema })))(
    '$name matches the schema generated from definition-schema.ts',
    async ({ name, schema }) => {
      const path = fileURLToPath(new URL(name, schemaDir));
      const onDisk = await readFile(path, 'utf8').catch(() => undefined);
      expect(onDisk, `definitions/schema/${name} is missing: run \`npm run schema:write\``).toBeDefined();
      expect(onDisk, `definitions/schema/${name} is out of date with engine/definitions/definition-schema.ts: run \`npm run schema:write\``).toBe(schemaFileText(schema));
    },
  );

  it('docs/definition-format.md matches the field reference generated from the schema', async () => {
    const onDisk = await readFile(fileURLToPath(new URL('../../../docs/definition-format.md', import.meta.url)), 'utf8').catch(() => undefined);
    expect(onDisk, 'docs/definition-format.md is out of date: run `npm run schema:write`').toBe(qualificationFieldReference());
    // Every top-level key of the format is documented.
    for (const key of ['id', 'version', 'effectiveFrom', 'online.planned', 'renewal.every', 'variants.items[].id', 'procedures.<name>.window']) expect(onDisk).toContain(`| \`${key}\` |`);
  });
});
