import { Qualification } from './definition-schema.ts';

type Schema = {
  type?: string;
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  additionalProperties?: boolean | Schema;
  patternProperties?: Record<string, Schema>;
  const?: unknown;
  enum?: unknown[];
  pattern?: string;
  minimum?: number;
};

/** A short type for a table cell: `string`, `date`, `integer ≥ 0`, `"a" | "b"`, `list of …`, `map of …`. */
const isText = (s: Schema) => s.type === 'object' && Object.keys(s.properties ?? {}).sort().join() === 'en,ja';

function typeOf(s: Schema): string {
  if (isText(s)) return 'text `{ ja, en }`';
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.anyOf) return s.anyOf.map(typeOf).join(' \\| ');
  if (s.type === 'string' && s.pattern === '^[0-9]{4}-[0-9]{2}-[0-9]{2}$') return 'date (YYYY-MM-DD)';
  if (s.type === 'string' && s.pattern?.startsWith('^P')) return 'ISO 8601 duration';
  if (s.type === 'integer' && s.minimum !== undefined) return `integer ≥ ${s.minimum}`;
  if (s.type === 'array') return `list of ${s.items ? typeOf(s.items) : 'any'}`;
  if (s.type === 'object' && s.patternProperties) return 'map';
  return s.type ?? 'any';
}

function rows(s: Schema, path: string, out: string[]): void {
  const props = s.properties ?? {};
  for (const [key, child] of Object.entries(props)) {
    const here = path ? `${path}.${key}` : key;
    const objectChild = child.anyOf?.find((a) => a.type === 'object' && a.properties) ?? child;
    const required = s.required?.includes(key) ? 'yes' : '';
    const description = (isText(child) ? '' : (child.description ?? objectChild.description ?? '')).replaceAll('|', '\\|').replaceAll('\n', ' ');
    out.push(`| \`${here}\` | ${typeOf(child)} | ${required} | ${description} |`);
    if (isText(objectChild)) continue;
    if (objectChild.type === 'object' && objectChild.properties) rows(objectChild, here, out);
    if (objectChild.type === 'array' && objectChild.items?.properties) rows(objectChild.items, `${here}[]`, out);
    if (objectChild.patternProperties) {
      const value = Object.values(objectChild.patternProperties)[0];
      if (value?.properties) rows(value, `${here}.<name>`, out);
    }
  }
}

/**
 * The field reference of qualification files as Markdown, generated from the schema so the guide can
 * never drift from what the loader accepts (docs/definition-format.md; a test regenerates it).
 */
export function qualificationFieldReference(): string {
  const out = [
    '# Qualification file reference',
    '',
    '<!-- Generated from engine/definitions/definition-schema.ts by `npm run schema:write`; do not edit. -->',
    '',
    'Every key a qualification file (`definitions/qualifications/<id>.yaml`) may hold. Unknown keys are',
    'refused. Procedure templates (`definitions/procedures/*.yaml`) follow `definitions/schema/procedure.schema.json`.',
    '',
    '| key | type | required | meaning |',
    '|---|---|---|---|',
  ];
  rows(Qualification as unknown as Schema, '', out);
  return `${out.join('\n')}\n`;
}
