import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import type { TSchema } from 'typebox';
import { didYouMean } from './did-you-mean.ts';
import type { DefinitionProblem, DefinitionProblemCode } from './definition-problem.ts';
import type { YamlPath, YamlSource } from './yaml-source.ts';

const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true });
const compiled = new WeakMap<TSchema, ValidateFunction>();

const priority: Record<string, number> = { anyOf: 0, type: 1, const: 1, oneOf: 1 };

function pathOf(instancePath: string): (string | number)[] {
  if (!instancePath) return [];
  return instancePath.slice(1).split('/').map((s) => {
    const key = s.replace(/~1/g, '/').replace(/~0/g, '~');
    return /^\d+$/.test(key) ? Number(key) : key;
  });
}

function codeFor(error: ErrorObject, path: YamlPath): DefinitionProblemCode {
  const last = path.at(-1);
  if (error.keyword === 'additionalProperties') return 'DEFINITION_UNKNOWN_KEY';
  if (error.keyword === 'required') return error.params.missingProperty === 'roles' ? 'DEFINITION_EVENT_NO_ROLE' : 'DEFINITION_MISSING_KEY';
  if (last === 'roles' && error.keyword === 'minItems') return 'DEFINITION_EVENT_NO_ROLE';
  if (last === 'amount' && path.includes('fees')) return 'DEFINITION_BAD_FEE';
  if ((last === 'from' || last === 'effectiveFrom' || last === 'opens' || last === 'closes') && error.keyword !== 'additionalProperties') return 'DEFINITION_BAD_DATE';
  if (path.includes('renewal') && (last === 'every' || last === 'opensBefore' || last === 'closesBefore') && error.keyword === 'pattern') return 'DEFINITION_BAD_DURATION';
  return 'DEFINITION_INVALID_VALUE';
}

/**
 * Validates `source.value` against `schema` and returns located problems, one per place:
 * union branches that failed only on type are dropped in favour of the more specific error.
 */
export function checkSchema(source: YamlSource, schema: TSchema): DefinitionProblem[] {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  if (validate(source.value)) return [];
  const best = new Map<string, { error: ErrorObject; path: (string | number)[] }>();
  for (const error of validate.errors ?? []) {
    const path = pathOf(error.instancePath);
    if (error.keyword === 'additionalProperties') path.push(String(error.params.additionalProperty));
    const key = JSON.stringify(path);
    const current = best.get(key);
    if (!current || (priority[error.keyword] ?? 2) > (priority[current.error.keyword] ?? 2)) best.set(key, { error, path });
  }
  const keys = [...best.keys()];
  const problems: DefinitionProblem[] = [];
  for (const [key, { error, path }] of best) {
    const generic = (priority[error.keyword] ?? 2) < 2;
    // A type/anyOf failure at a path with a more specific error below it is noise from a union.
    if (generic && keys.some((k) => k !== key && k.startsWith(key.slice(0, -1)))) continue;
    const code = codeFor(error, path);
    if (error.keyword === 'additionalProperties') {
      const allowed = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const name = String(error.params.additionalProperty);
      problems.push(source.problem(path, code, `unknown key \`${name}\``, didYouMean(name, allowed), true));
    } else if (error.keyword === 'required') {
      const name = String(error.params.missingProperty);
      problems.push(source.problem(path, code, `missing key \`${name}\``, `add \`${name}:\``));
    } else if (error.keyword === 'const') {
      // A union of literals (roles, item names): name the choices instead of "must be equal to constant".
      const allowed = (validate.errors ?? []).filter((e) => e.keyword === 'const' && e.instancePath === error.instancePath).map((e) => String(e.params.allowedValue));
      problems.push(source.problem(path, code, `\`${String(error.data)}\` is not allowed`, didYouMean(String(error.data), allowed)));
    } else if (code === 'DEFINITION_BAD_FEE') {
      problems.push(source.problem(path, code, `fee amount \`${JSON.stringify(error.data)}\` is not a whole number of yen, 0 or more`, 'write the amount in yen, or null when it is not known'));
    } else if (code === 'DEFINITION_BAD_DURATION') {
      problems.push(source.problem(path, code, `\`${String(error.data)}\` is not an ISO 8601 duration`, 'write e.g. P5Y, P90D or P6M'));
    } else {
      const hint = (error.parentSchema as { description?: string } | undefined)?.description;
      problems.push(source.problem(path, code, error.message ?? 'invalid value', hint));
    }
  }
  return problems;
}
