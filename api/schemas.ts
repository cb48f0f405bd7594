import Type from 'typebox';
import { errorCatalogue } from '../engine/index.ts';

// Schemas with an `$id` are shared: `buildServer` adds them once (`app.addSchema`), routes and other
// schemas point at them with `Type.Ref(id)`, and OpenAPI names them `#/components/schemas/<id>`.
// The ids are public names clients generate types from: never rename one.

const LocalizedText = Type.Object({ ja: Type.String(), en: Type.Optional(Type.String()) }, { $id: 'LocalizedText' });

const Problem = Type.Object(
  {
    type: Type.String({ format: 'uri' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.String({ description: 'The request path.' }),
    code: Type.Enum(Object.keys(errorCatalogue), { description: 'The stable error code; `type` ends with it in kebab case.' }),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }), { description: 'REQUEST_INVALID, APPLICATION_DATA_INVALID: each failing field as a JSON Pointer.' })),
    reasons: Type.Optional(Type.Array(Type.String(), { description: 'APPLICATION_EVENT_NOT_ALLOWED: why the event is refused now.' })),
    state: Type.Optional(Type.String({ description: 'The state the application is in.' })),
    currentVersion: Type.Optional(Type.Integer({ description: 'APPLICATION_VERSION_CONFLICT: read again at this version.' })),
    events: Type.Optional(Type.Array(Type.String(), { description: 'APPLICATION_EVENT_UNKNOWN: the events the procedure has.' })),
    allowed: Type.Optional(Type.Array(Type.String(), { description: 'METHOD_NOT_ALLOWED: the methods the path has (also in `Allow`).' })),
    opensOn: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'PROCEDURE_NOT_AVAILABLE: the opening date, null when not scheduled.' })),
    planned: Type.Optional(Type.Ref('PlannedStart', { description: 'PROCEDURE_NOT_AVAILABLE: the announced fiscal year when there is no date.' })),
  },
  { $id: 'Problem', additionalProperties: true, description: 'RFC 9457 problem details; `code` is the stable error code.' },
);

const PlannedStart = Type.Object(
  {
    fiscalYear: Type.Integer({ description: 'Japanese fiscal year (April to March).' }),
    orLater: Type.Boolean({ description: 'Only "from this fiscal year on" (以降) is announced.' }),
    label: Type.Ref('LocalizedText', { description: 'e.g. 令和7年度以降 / FY2025 or later.' }),
  },
  { $id: 'PlannedStart', description: 'An announced online start without a date.' },
);

const ProcedureSummary = Type.Object(
  {
    name: Type.String(),
    title: Type.Ref('LocalizedText'),
    available: Type.Boolean({ description: 'Open online today (Japan time).' }),
    from: Type.Union([Type.String(), Type.Null()], { description: 'Opening date; null when not yet scheduled.' }),
    planned: Type.Optional(Type.Ref('PlannedStart')),
    window: Type.Optional(
      Type.Union([Type.Object({ opens: Type.String(), closes: Type.String() }), Type.Null()], { description: 'Application window (exams); null = not announced yet.' }),
    ),
  },
  { $id: 'ProcedureSummary' },
);

const qualificationSummaryProperties = {
  id: Type.String(),
  name: Type.Ref('LocalizedText'),
  registrar: Type.Object({ id: Type.String(), name: Type.Ref('LocalizedText') }),
  version: Type.Integer({ description: 'The definition version in force today; new applications use it.' }),
  effectiveFrom: Type.Union([Type.String(), Type.Null()], { description: 'When that version took (or takes) effect; null = from the start.' }),
  upcoming: Type.Optional(Type.Object({ version: Type.Integer(), effectiveFrom: Type.String() }, { description: 'A newer version scheduled to take effect.' })),
  online: Type.Object({ from: Type.Union([Type.String(), Type.Null()]), planned: Type.Optional(Type.Ref('PlannedStart')), note: Type.Optional(Type.Ref('LocalizedText')) }),
  procedures: Type.Array(Type.Ref('ProcedureSummary')),
};

const QualificationSummary = Type.Object(qualificationSummaryProperties, { $id: 'QualificationSummary' });

const FeeLines = Type.Object(
  {
    lines: Type.Array(Type.Object({ kind: Type.String(), label: Type.Optional(Type.Ref('LocalizedText')), amount: Type.Union([Type.Integer(), Type.Null()]) })),
    total: Type.Union([Type.Integer(), Type.Null()]),
    currency: Type.Literal('JPY'),
  },
  { $id: 'FeeLines' },
);

const Qualification = Type.Object(
  {
    ...qualificationSummaryProperties,
    law: Type.String(),
    registrationNumber: Type.Object({ digits: Type.Union([Type.Integer(), Type.Null()]), prefix: Type.Optional(Type.String()), display: Type.String() }),
    certificate: Type.Object({ title: Type.String(), front: Type.Array(Type.String()), photo: Type.Boolean(), back: Type.Array(Type.String()) }),
    renewal: Type.Union(
      [
        Type.Object({
          of: Type.String({ description: '`registration` or `card`: what expires.' }),
          every: Type.String({ description: 'ISO 8601 validity, e.g. P5Y.' }),
          window: Type.Optional(Type.Object({ opensBefore: Type.String(), closesBefore: Type.String() })),
          note: Type.Optional(Type.Ref('LocalizedText')),
        }),
        Type.Null(),
      ],
      { description: 'The renewal rule (更新制); null when the law has none.' },
    ),
    variants: Type.Union(
      [
        Type.Object({
          label: Type.Ref('LocalizedText'),
          total: Type.Optional(Type.Integer({ description: 'How many kinds the law counts, listed or not.' })),
          items: Type.Array(Type.Object({ id: Type.String(), name: Type.Ref('LocalizedText') })),
          note: Type.Optional(Type.Ref('LocalizedText')),
        }),
        Type.Null(),
      ],
      { description: 'Kinds of a family qualification; applications choose one as `variant`.' },
    ),
    fees: Type.Record(Type.String(), Type.Ref('FeeLines'), { description: 'Fee preview per procedure.' }),
  },
  { $id: 'Qualification' },
);

const ProcedureForm = Type.Object(
  {
    qualification: Type.String(),
    procedure: Type.String(),
    title: Type.Ref('LocalizedText'),
    available: Type.Boolean(),
    from: Type.Union([Type.String(), Type.Null()]),
    planned: Type.Optional(Type.Ref('PlannedStart')),
    schema: Type.Record(Type.String(), Type.Unknown(), { description: 'JSON Schema 2020-12 of the application data, with labels (`x-label`) and attachments.' }),
    fees: Type.Ref('FeeLines'),
  },
  { $id: 'ProcedureForm' },
);

const AllowedEvent = Type.Object(
  {
    type: Type.String(),
    to: Type.String(),
    comment: Type.Union([Type.Literal('required'), Type.Literal('optional'), Type.Literal('none')]),
  },
  { $id: 'AllowedEvent' },
);

const DeficiencyNotice = Type.Object(
  {
    event: Type.String(),
    comment: Type.Optional(Type.String()),
    sentAt: Type.String({ format: 'date-time' }),
    fields: Type.Array(Type.Object({ path: Type.String(), message: Type.String(), addressed: Type.Boolean() })),
  },
  { $id: 'DeficiencyNotice', description: 'The open deficiency notice (申請不備通知): change every noted field before resubmitting.' },
);

const Application = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    qualification: Type.String(),
    procedure: Type.String(),
    state: Type.String(),
    stateTitle: Type.Optional(Type.Ref('LocalizedText')),
    final: Type.Boolean(),
    version: Type.Integer({ description: 'Send it back as If-Match.' }),
    applicant: Type.String(),
    data: Type.Record(Type.String(), Type.Unknown()),
    fees: Type.Ref('FeeLines'),
    allowedEvents: Type.Array(Type.Ref('AllowedEvent'), { description: 'The events the caller may send now.' }),
    registrationNumber: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    notice: Type.Optional(Type.Ref('DeficiencyNotice')),
    definitionHash: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Application' },
);

const Attachment = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    key: Type.String(),
    mediaType: Type.Union([Type.Literal('image/jpeg'), Type.Literal('image/png'), Type.Literal('application/pdf')]),
    byteSize: Type.Integer(),
    sha256: Type.String({ description: 'Hex SHA-256 of the file, also recorded in the history.' }),
    href: Type.String({ description: 'GET it for the file.' }),
  },
  { $id: 'Attachment', description: 'An uploaded file; the application data refers to it as `upload:<id>`.' },
);

const ApplicationSummary = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    qualification: Type.String(),
    procedure: Type.String(),
    state: Type.String(),
    version: Type.Integer(),
    applicant: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'ApplicationSummary' },
);

const HistoryEvent = Type.Object(
  {
    seq: Type.Integer(),
    type: Type.String(),
    actor: Type.Object({ id: Type.String(), role: Type.String() }),
    from: Type.Union([Type.String(), Type.Null()]),
    to: Type.String(),
    payload: Type.Record(Type.String(), Type.Unknown()),
    occurredAt: Type.String({ format: 'date-time' }),
    hash: Type.String(),
    prevHash: Type.String(),
  },
  { $id: 'HistoryEvent' },
);

const CreateApplicationRequest = Type.Object(
  {
    data: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Application data; see the form schema.' })),
    submit: Type.Optional(Type.Boolean({ description: 'Submit at once; if refused, nothing is created.' })),
  },
  { $id: 'CreateApplicationRequest', additionalProperties: false },
);

const EventRequest = Type.Object(
  {
    type: Type.String({ minLength: 1, maxLength: 64 }),
    comment: Type.Optional(Type.String({ maxLength: 4000 })),
    fields: Type.Optional(
      Type.Array(Type.Object({ path: Type.String({ maxLength: 200, pattern: '^(/([^~/]|~[01])*)+$', description: 'JSON Pointer into the application data.' }), message: Type.String({ maxLength: 1000 }) }, { additionalProperties: false }), {
        maxItems: 100,
        description: 'Field-level notes of a deficiency notice (申請不備通知).',
      }),
    ),
  },
  { $id: 'EventRequest', additionalProperties: false },
);

const EditApplicationRequest = Type.Object(
  { data: Type.Record(Type.String(), Type.Unknown(), { description: 'JSON merge patch of the application data; null removes a field.' }) },
  { $id: 'EditApplicationRequest', additionalProperties: false },
);

const DefinitionProblem = Type.Object(
  {
    file: Type.String(),
    line: Type.Integer(),
    column: Type.Integer(),
    path: Type.String({ description: 'YAML path, e.g. procedures.registration.fees[0].amount.' }),
    code: Type.String({ description: 'Stable DEFINITION_* code.' }),
    message: Type.String(),
    hint: Type.Optional(Type.String()),
  },
  { $id: 'DefinitionProblem', description: 'One located definition problem, as `shikaku validate` prints it.' },
);

const DefinitionsReload = Type.Object(
  {
    applied: Type.Array(Type.String(), { description: 'Qualifications whose new or changed file went live.' }),
    problems: Type.Array(Type.Ref('DefinitionProblem'), { description: 'The files these are in were refused; what ran before keeps running.' }),
    at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'When the reload ran; null when none has run yet.' }),
  },
  { $id: 'DefinitionsReload' },
);

/** Why `POST /v1/verify` says invalid: the token's problems first, then the certificate's status. Stable codes. */
export const verificationReasons = [
  'malformed', 'header-not-allowed', 'algorithm-not-allowed', 'wrong-type', 'unknown-key', 'retired-key', 'signature-invalid',
  'not-found', 'superseded', 'deregistered', 'revoked',
] as const;
export type VerificationReason = (typeof verificationReasons)[number];

const VerificationRequest = Type.Object(
  { token: Type.String({ maxLength: 1024, description: 'The compact JWS after `#` in the QR code\'s URL.' }) },
  { $id: 'VerificationRequest', additionalProperties: false },
);

const PrintedCertificate = Type.Object(
  {
    id: Type.String({ format: 'uuid', description: 'The certificate id.' }),
    qualificationId: Type.String(),
    qualificationName: Type.Union([Type.Ref('LocalizedText'), Type.Null()], { description: 'From the definition (item ①); null when this server does not know the qualification.' }),
    issuer: Type.Union([Type.Ref('LocalizedText'), Type.Null()], { description: 'The issuing body from the definition (item ⑦).' }),
    registrationNumber: Type.String({ description: 'As printed (item ④), e.g. 第123456789号.' }),
    name: Type.String({ description: 'As printed (item ②).' }),
    birthDate: Type.String({ description: 'As printed, yyyy/mm/dd (item ③).' }),
    issuedOn: Type.String({ description: 'As printed, yyyy/mm/dd (item ⑤).' }),
  },
  { $id: 'PrintedCertificate', description: 'The items the signed token carries: compare them with the paper or screen.' },
);

const Verification = Type.Object(
  {
    valid: Type.Boolean({ description: 'The verdict (有効です): the signature verifies AND the certificate is active now.' }),
    signatureValid: Type.Boolean({ description: 'The token is one of ours, unaltered, signed by a key that is not retired.' }),
    status: Type.Union([Type.Literal('active'), Type.Literal('superseded'), Type.Literal('deregistered'), Type.Literal('revoked'), Type.Null()], {
      description: 'The certificate\'s status in the register; null when the token is refused or there is no such certificate.',
    }),
    reason: Type.Union([Type.Enum([...verificationReasons]), Type.Null()], { description: 'Why it is invalid (a stable code); null when valid.' }),
    detail: Type.Union([Type.String(), Type.Null()], { description: 'The reason in words (English).' }),
    certificate: Type.Union([Type.Ref('PrintedCertificate'), Type.Null()], { description: 'The printed items; null unless the signature verifies and the certificate exists.' }),
    statusAsOf: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'When the status was read from the register: statuses are reused for at most 2 s.' }),
  },
  { $id: 'Verification' },
);

const JsonWebKeySet = Type.Object(
  {
    keys: Type.Array(
      Type.Object({
        kty: Type.Literal('EC'),
        crv: Type.Literal('P-256'),
        x: Type.String(),
        y: Type.String(),
        kid: Type.String(),
        alg: Type.Literal('ES256'),
        use: Type.Literal('sig'),
      }),
    ),
  },
  { $id: 'JsonWebKeySet', description: 'RFC 7517 key set: the public keys that sign certificate tokens (current and previous, not retired).' },
);

/** Every shared schema, for `app.addSchema`. */
export const sharedSchemas = [
  LocalizedText, PlannedStart, Problem, ProcedureSummary, QualificationSummary, FeeLines, Qualification, ProcedureForm,
  AllowedEvent, DeficiencyNotice, Application, Attachment, ApplicationSummary, HistoryEvent,
  CreateApplicationRequest, EventRequest, EditApplicationRequest, DefinitionProblem, DefinitionsReload,
  VerificationRequest, PrintedCertificate, Verification, JsonWebKeySet,
];

export const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
export const ProcedureParams = Type.Object({ q: Type.String({ maxLength: 64 }), p: Type.String({ maxLength: 64 }) });

/** If-Match on state-changing requests: a missing one answers 428, a stale one 409. */
export const IfMatchHeader = { 'if-match': Type.Optional(Type.String({ maxLength: 20, description: 'The ETag you read, e.g. "3". Required.' })) };

/** Idempotency-Key on POSTs; its format is checked by the idempotency hook (IDEMPOTENCY_KEY_INVALID). */
export const IdempotencyKeyHeader = {
  'idempotency-key': Type.Optional(Type.String({ description: 'Makes a retry return the first response; keys are per caller and expire after 24 h.' })),
};

export const PageQuery = {
  cursor: Type.Optional(Type.String({ maxLength: 200, description: 'nextCursor of the previous page.' })),
  // Query strings are not coerced (bodies must not be), so the page size is validated as text.
  limit: Type.Optional(Type.String({ pattern: '^(100|[1-9][0-9]?)$', description: 'Page size, 1 to 100 (default 20).' })),
};

export const ApplicationPage = Type.Object({ items: Type.Array(Type.Ref('ApplicationSummary')), nextCursor: Type.Union([Type.String(), Type.Null()]) });
