import Type from 'typebox';

const Text = Type.Object({ ja: Type.String(), en: Type.Optional(Type.String()) });

export const Problem = Type.Object(
  { type: Type.String(), title: Type.String(), status: Type.Integer(), detail: Type.String(), instance: Type.String(), code: Type.String() },
  { additionalProperties: true, description: 'RFC 9457 problem details; `code` is the stable error code.' },
);

export const problemResponses = {
  400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 413: Problem, 415: Problem, 422: Problem, 428: Problem,
};

export const ProcedureSummary = Type.Object({
  name: Type.String(),
  title: Text,
  available: Type.Boolean({ description: 'Open online today (Japan time).' }),
  from: Type.Union([Type.String(), Type.Null()], { description: 'Opening date; null when not yet scheduled.' }),
});

export const QualificationSummary = Type.Object({
  id: Type.String(),
  name: Text,
  registrar: Type.Object({ id: Type.String(), name: Text }),
  online: Type.Object({ from: Type.Union([Type.String(), Type.Null()]), note: Type.Optional(Text) }),
  procedures: Type.Array(ProcedureSummary),
});

export const FeeLines = Type.Object({
  lines: Type.Array(Type.Object({ kind: Type.String(), label: Type.Optional(Text), amount: Type.Union([Type.Integer(), Type.Null()]) })),
  total: Type.Union([Type.Integer(), Type.Null()]),
  currency: Type.Literal('JPY'),
});

export const AllowedEvent = Type.Object({
  type: Type.String(),
  to: Type.String(),
  comment: Type.Union([Type.Literal('required'), Type.Literal('optional'), Type.Literal('none')]),
});

export const ApplicationView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  qualification: Type.String(),
  procedure: Type.String(),
  state: Type.String(),
  stateTitle: Type.Optional(Text),
  final: Type.Boolean(),
  version: Type.Integer({ description: 'Send it back as If-Match.' }),
  applicant: Type.String(),
  data: Type.Record(Type.String(), Type.Unknown()),
  fees: FeeLines,
  allowedEvents: Type.Array(AllowedEvent),
  registrationNumber: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  notice: Type.Optional(
    Type.Object(
      {
        event: Type.String(),
        comment: Type.Optional(Type.String()),
        sentAt: Type.String({ format: 'date-time' }),
        fields: Type.Array(Type.Object({ path: Type.String(), message: Type.String(), addressed: Type.Boolean() })),
      },
      { description: 'The open deficiency notice (申請不備通知): change every noted field before resubmitting.' },
    ),
  ),
  definitionHash: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

export const HistoryEvent = Type.Object({
  seq: Type.Integer(),
  type: Type.String(),
  actor: Type.Object({ id: Type.String(), role: Type.String() }),
  from: Type.Union([Type.String(), Type.Null()]),
  to: Type.String(),
  payload: Type.Record(Type.String(), Type.Unknown()),
  occurredAt: Type.String({ format: 'date-time' }),
  hash: Type.String(),
  prevHash: Type.String(),
});

export const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
export const ProcedureParams = Type.Object({ q: Type.String({ maxLength: 64 }), p: Type.String({ maxLength: 64 }) });

export const CreateApplicationBody = Type.Object(
  {
    data: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Application data; see the form schema.' })),
    submit: Type.Optional(Type.Boolean({ description: 'Submit at once; if refused, nothing is created.' })),
  },
  { additionalProperties: false },
);

export const EventBody = Type.Object(
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
  { additionalProperties: false },
);

export const ApplicationSummary = Type.Object({
  id: Type.String({ format: 'uuid' }),
  qualification: Type.String(),
  procedure: Type.String(),
  state: Type.String(),
  version: Type.Integer(),
  applicant: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

export const PageQuery = {
  cursor: Type.Optional(Type.String({ maxLength: 200, description: 'nextCursor of the previous page.' })),
  // Query strings are not coerced (bodies must not be), so the page size is validated as text.
  limit: Type.Optional(Type.String({ pattern: '^(100|[1-9][0-9]?)$', description: 'Page size, 1 to 100 (default 20).' })),
};

export const EditApplicationBody = Type.Object(
  { data: Type.Record(Type.String(), Type.Unknown(), { description: 'JSON merge patch of the application data; null removes a field.' }) },
  { additionalProperties: false },
);
