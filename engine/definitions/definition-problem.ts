/** Stable codes of definition problems. Never reuse or rename one: tools and docs depend on them. */
export const definitionProblemCodes = {
  DEFINITION_TOO_LARGE: 'File exceeds the size limit.',
  DEFINITION_YAML_SYNTAX: 'YAML syntax error.',
  DEFINITION_DUPLICATE_KEY: 'A key appears twice in the same map.',
  DEFINITION_ALIAS_LIMIT: 'Too many YAML aliases (alias bomb guard).',
  DEFINITION_UNKNOWN_TAG: 'YAML tags are not allowed.',
  DEFINITION_MODELINE_MISSING: 'The first line must be the yaml-language-server $schema modeline.',
  DEFINITION_UNKNOWN_KEY: 'A key the format does not know.',
  DEFINITION_MISSING_KEY: 'A required key is missing.',
  DEFINITION_INVALID_VALUE: 'A value has the wrong type or form.',
  DEFINITION_BAD_DATE: 'Not a calendar date (YYYY-MM-DD).',
  DEFINITION_BAD_FEE: 'Fee amounts are non-negative whole yen, or null when unknown.',
  DEFINITION_BAD_DURATION: 'Not an ISO 8601 duration such as P30D.',
  DEFINITION_BAD_NUMBER_FORMAT: 'Registration number display must contain {number} exactly once.',
  DEFINITION_ID_MISMATCH: 'The id differs from the file name.',
  DEFINITION_DUPLICATE_ID: 'Two files declare the same id.',
  DEFINITION_DUPLICATE_ITEM: 'Two fields, attachments or fee lines share a key.',
  DEFINITION_UNKNOWN_TEMPLATE: 'No procedure template of that name.',
  DEFINITION_UNKNOWN_GUARD: 'No guard of that name in the library.',
  DEFINITION_UNKNOWN_ACTION: 'No action of that name in the library.',
  DEFINITION_BAD_PARAMETER: 'A guard or action parameter names something that does not exist.',
  DEFINITION_UNKNOWN_STATE: 'A transition targets a state that does not exist.',
  DEFINITION_UNREACHABLE_STATE: 'No path from the initial state reaches this state.',
  DEFINITION_DEAD_END_STATE: 'A non-final state with no way out.',
  DEFINITION_NO_FINAL_STATE: 'No final state can be reached.',
  DEFINITION_FINAL_WITH_EXITS: 'A final state accepts events.',
  DEFINITION_EVENT_NO_ROLE: 'An event no role may send.',
  DEFINITION_TIMER_EVENT: 'A timer sends an event its state does not accept from `system`.',
  DEFINITION_FORBIDDEN_FIELD: 'The individual number (マイナンバー) may never be collected.',
  DEFINITION_UNKNOWN_FIELD: 'A reference to a field that does not exist.',
  DEFINITION_PHOTO_SOURCE_MISSING: 'The certificate prints a photo that no procedure collects.',
  DEFINITION_VERSION_REUSED: 'A version number was loaded before with other content.',
} as const;
export type DefinitionProblemCode = keyof typeof definitionProblemCodes;

/** One located, actionable problem in a definition file. */
export interface DefinitionProblem {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** YAML path, e.g. `procedures.registration.fees[0].amount`. */
  readonly path: string;
  readonly code: DefinitionProblemCode;
  readonly message: string;
  readonly hint?: string;
}

/** `file:line:column: CODE message (hint)` — the line `shikaku validate` prints. */
export function formatProblem(p: DefinitionProblem): string {
  const where = p.path ? ` at ${p.path}` : '';
  return `${p.file}:${p.line}:${p.column}: ${p.code} ${p.message}${where}${p.hint ? ` — ${p.hint}` : ''}`;
}

/** Formats a YAML path from segments: `a.b[0].c`. */
export function formatPath(segments: readonly (string | number)[]): string {
  return segments.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}
