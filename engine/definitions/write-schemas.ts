import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { editorSchemas, schemaFileText } from './definition-schema.ts';
import { qualificationFieldReference } from './field-reference.ts';

/** Writes the editor copies of the definition schemas into definitions/schema/, and the field reference. */
const root = join(import.meta.dirname, '../..');
for (const [name, schema] of Object.entries(editorSchemas)) await writeFile(join(root, 'definitions/schema', name), schemaFileText(schema));
await writeFile(join(root, 'docs/definition-format.md'), qualificationFieldReference());
