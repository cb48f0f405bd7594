import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { FieldConfig } from '../definitions/definition-schema.ts';
import type { ProcedureSpec } from '../definitions/procedure-spec.ts';
import type { CompiledProcedure } from '../compile/compile-procedure.ts';
import { acceptedMediaTypes, isCertificatePhoto, uploadReferencePattern } from './attachments.ts';

const addFormats = addFormatsModule.default;
const ajv = addFormats(new Ajv2020({ allErrors: true, strict: false }), ['date', 'email']);
const validators = new WeakMap<CompiledProcedure, ValidateFunction>();

function fieldSchema(field: FieldConfig, spec: ProcedureSpec): Record<string, unknown> {
  const text = { title: field.label.ja, 'x-label': field.label, ...(field.help ? { description: field.help.ja, 'x-help': field.help } : {}) };
  const maxLength = field.maxLength ?? 200;
  switch (field.type) {
    case 'string':
    case 'text':
      return { ...text, type: 'string', minLength: 1, maxLength, ...(field.type === 'text' ? { 'x-multiline': true } : {}) };
    case 'date':
      return { ...text, type: 'string', format: 'date' };
    case 'integer':
      return { ...text, type: 'integer' };
    case 'boolean':
      return { ...text, type: 'boolean' };
    case 'enum':
      return { ...text, type: 'string', enum: (field.values ?? []).map((v) => v.value), 'x-enumLabels': Object.fromEntries((field.values ?? []).map((v) => [v.value, v.label])) };
    case 'email':
      return { ...text, type: 'string', format: 'email', maxLength: 254 };
    case 'phone':
      return { ...text, type: 'string', pattern: '^[0-9+() -]{6,20}$' };
    case 'postalCode':
      return { ...text, type: 'string', pattern: '^[0-9]{3}-?[0-9]{4}$' };
    case 'registrationNumber': {
      // Built from the declared digit count; definitions never carry their own regular expressions.
      const digits = spec.qualification.registrationNumber.digits ?? 12;
      return { ...text, type: 'string', pattern: `^[0-9]{1,${digits}}$` };
    }
  }
}

/**
 * JSON Schema 2020-12 of a procedure's application data, for portals to render and for validation.
 * `required` lists always-required keys; conditional ones carry `x-requiredWhen`.
 */
export function applicationDataSchema(spec: ProcedureSpec): Record<string, unknown> {
  const { fields, attachments } = spec.procedure;
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: `${spec.qualification.name.ja} ${spec.procedure.title.ja}`,
    type: 'object',
    additionalProperties: false,
    properties: {
      ...Object.fromEntries(
        fields.map((f) => [f.key, { ...fieldSchema(f, spec), ...(f.requiredWhen ? { 'x-requiredWhen': f.requiredWhen } : {}) }]),
      ),
      attachments: {
        type: 'object',
        additionalProperties: false,
        title: '添付書類',
        properties: Object.fromEntries(
          attachments.map((a) => [
            a.key,
            {
              type: 'string',
              minLength: 1,
              maxLength: 200,
              title: a.label.ja,
              'x-label': a.label,
              ...(isCertificatePhoto(spec, a.key)
                ? { pattern: uploadReferencePattern, description: 'The photo printed on the certificate: upload it with PUT /v1/applications/{id}/attachments/photo (JPEG or PNG).' }
                : { description: 'Reference of the document: set by PUT /v1/applications/{id}/attachments/{key}, or the portal\'s own reference.' }),
              'x-mediaTypes': acceptedMediaTypes(spec, a.key),
              ...(a.omittedBy ? { 'x-omittedBy': a.omittedBy } : {}),
              ...(a.required && !a.omittedBy ? { 'x-required': true } : {}),
            },
          ]),
        ),
      },
    },
    required: fields.filter((f) => f.required).map((f) => f.key),
  };
}

/**
 * Checks data against the procedure's schema. Drafts may be incomplete, so `required` is not enforced
 * here: completeness is the `fieldsComplete` guard's job at submission.
 * @returns `{path, message}` problems; empty when valid.
 */
export function validateApplicationData(procedure: CompiledProcedure, data: unknown): { path: string; message: string }[] {
  let validate = validators.get(procedure);
  if (!validate) {
    validate = ajv.compile({ ...applicationDataSchema(procedure.spec), required: [] });
    validators.set(procedure, validate);
  }
  if (validate(data)) return [];
  return (validate.errors ?? []).map((e) => ({
    path: e.keyword === 'additionalProperties' ? `${e.instancePath}/${String(e.params.additionalProperty)}` : e.instancePath || '/',
    message: e.keyword === 'additionalProperties' ? 'unknown field'
      : e.keyword === 'pattern' && e.params.pattern === uploadReferencePattern ? `must be uploaded: PUT /v1/applications/{id}${e.instancePath}`
      : (e.message ?? 'invalid'),
  }));
}

const escapePointer = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1');

/**
 * The keys a merge patch removes (`null`) that the form does not have. The merged data is validated
 * anyway, but a removed key leaves no trace in it, so without this a patch could name any field.
 * Pure. @returns `{path, message}` problems; empty when every removed key is a field.
 */
export function unknownRemovals(procedure: CompiledProcedure, patch: Readonly<Record<string, unknown>>): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const walk = (schema: Record<string, unknown>, value: Readonly<Record<string, unknown>>, path: string) => {
    const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
    for (const [key, v] of Object.entries(value)) {
      const field = Object.hasOwn(properties, key) ? properties[key] : undefined;
      if (!field && v === null) problems.push({ path: `${path}/${escapePointer(key)}`, message: 'unknown field' });
      else if (field?.type === 'object' && typeof v === 'object' && v !== null && !Array.isArray(v)) walk(field, v as Record<string, unknown>, `${path}/${escapePointer(key)}`);
    }
  };
  walk(applicationDataSchema(procedure.spec), patch, '');
  return problems;
}
