import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { editorSchemas, schemaFileText } from './definition-schema.ts';

/** Writes the editor copies of the definition schemas into definitions/schema/. */
const dir = join(import.meta.dirname, '../../definitions/schema');
for (const [name, schema] of Object.entries(editorSchemas)) await writeFile(join(dir, name), schemaFileText(schema));
