import Type, { type Static, type TSchema } from 'typebox';

/**
 * The definition format, v1: the one source of truth for qualification files and procedure templates.
 * `definitions/schema/*.schema.json` are generated from here (`npm run schema:write`); a test fails on drift.
 */

const camelKey = '^[a-z][A-Za-z0-9]*$';
const kebabKey = '^[a-z][a-z0-9]*(-[a-z0-9]+)*$';
const isoDate = '^[0-9]{4}-[0-9]{2}-[0-9]{2}$';
const isoDuration = '^P(?!$)([0-9]+Y)?([0-9]+M)?([0-9]+W)?([0-9]+D)?(T(?!$)([0-9]+H)?([0-9]+M)?([0-9]+S)?)?$';

const strict = { additionalProperties: false } as const;

export const LocalizedText = Type.Object(
  {
    ja: Type.String({ minLength: 1, description: 'Japanese text (authoritative).' }),
    en: Type.Optional(Type.String({ minLength: 1, description: 'English text.' })),
  },
  { ...strict, description: 'Text in Japanese, optionally English.' },
);

/** A guard or action reference: a bare name, or a one-key map `{ name: parameter }`. */
export const LibraryRef = Type.Union(
  [
    Type.String({ pattern: camelKey }),
    Type.Record(Type.String({ pattern: camelKey }), Type.String({ minLength: 1 }), {
      minProperties: 1,
      maxProperties: 1,
    }),
  ],
  { description: 'Name from the closed library in engine/library, e.g. `fieldsComplete` or `{ notify: deficiency }`.' },
);

export const Role = Type.Union(
  [
    Type.Literal('applicant'),
    Type.Literal('reviewer'),
    Type.Literal('registrar-admin'),
    Type.Literal('linkage'),
    Type.Literal('payment'),
    Type.Literal('admin'),
    Type.Literal('system'),
  ],
  { description: '`system` events are sent only by the worker (timers).' },
);

export const Transition = Type.Object(
  {
    to: Type.String({ pattern: camelKey, description: 'Target state.' }),
    roles: Type.Array(Role, { minItems: 1, uniqueItems: true, description: 'Who may send this event.' }),
    guards: Type.Optional(Type.Array(LibraryRef, { description: 'All must hold for the transition to be taken.' })),
    actions: Type.Optional(Type.Array(LibraryRef, { description: 'Effects of taking the transition.' })),
    comment: Type.Optional(
      Type.Union([Type.Literal('required'), Type.Literal('optional')], { description: 'Whether the sender must give a comment.' }),
    ),
  },
  { ...strict, description: 'One way out of a state.' },
);

export const Timer = Type.Object(
  {
    after: Type.String({ pattern: '^P', description: 'ISO 8601 duration, e.g. P30D; counted from entering the state.' }),
    event: Type.String({ pattern: camelKey, description: 'Event the worker sends when the timer fires.' }),
  },
  { ...strict, description: 'A durable timer, stored in the database, never in memory.' },
);

const stateProperties = {
  title: Type.Optional(LocalizedText),
  editable: Type.Optional(Type.Boolean({ description: 'The applicant may edit data in this state.' })),
  final: Type.Optional(Type.Boolean({ description: 'The application ends here.' })),
  outcome: Type.Optional(
    Type.Union([Type.Literal('completed'), Type.Literal('rejected'), Type.Literal('withdrawn')], {
      description: 'How a final state ends the application.',
    }),
  ),
  entry: Type.Optional(Type.Array(LibraryRef, { description: 'Actions run on entering the state.' })),
  timers: Type.Optional(Type.Array(Timer, { description: 'Durable timers armed on entering the state.' })),
  on: Type.Optional(
    Type.Record(Type.String({ pattern: camelKey }), Type.Union([Transition, Type.Array(Transition, { minItems: 1 })]), {
      description: 'Events accepted in this state; a list is tried in order, the first whose guards hold wins.',
    }),
  ),
};

export const State = Type.Object(stateProperties, { ...strict, description: 'A state of the application lifecycle.' });

export const Field = Type.Object(
  {
    key: Type.String({ pattern: camelKey, description: 'Name in the application data (camelCase).' }),
    type: Type.Union([
      Type.Literal('string'),
      Type.Literal('text'),
      Type.Literal('date'),
      Type.Literal('integer'),
      Type.Literal('boolean'),
      Type.Literal('enum'),
      Type.Literal('email'),
      Type.Literal('phone'),
      Type.Literal('postalCode'),
      Type.Literal('registrationNumber'),
    ], { description: 'Value type; the form schema a portal renders follows it.' }),
    label: LocalizedText,
    help: Type.Optional(LocalizedText),
    required: Type.Optional(Type.Boolean({ description: 'Must be given before submitting.' })),
    requiredWhen: Type.Optional(
      Type.Object({ field: Type.String({ pattern: camelKey }), equals: Type.String() }, { ...strict, description: 'Required only when another field has this value.' }),
    ),
    maxLength: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000, description: 'Longest accepted text, in characters.' })),
    values: Type.Optional(
      Type.Array(Type.Object({ value: Type.String({ minLength: 1 }), label: LocalizedText }, strict), {
        minItems: 1,
        description: 'Choices of an enum field.',
      }),
    ),
  },
  { ...strict, description: 'One item of application data.' },
);

export const Attachment = Type.Object(
  {
    key: Type.String({ pattern: camelKey, description: 'Name under `attachments` in the application data.' }),
    label: LocalizedText,
    required: Type.Optional(Type.Boolean({ description: 'Must be attached before submitting (unless omittedBy applies).' })),
    omittedBy: Type.Optional(
      Type.Union([Type.Literal('juki'), Type.Literal('koseki')], {
        description: 'Not uploaded when the resident registry (juki) or family registry (koseki) linkage supplies it.',
      }),
    ),
  },
  { ...strict, description: 'A document the applicant attaches.' },
);

export const FeeLine = Type.Object(
  {
    kind: Type.String({ pattern: kebabKey, description: 'e.g. registration-fee (登録手数料), registration-license-tax (登録免許税).' }),
    label: Type.Optional(LocalizedText),
    amount: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: 'Yen; null when the amount is not known.' }),
  },
  { ...strict, description: 'One fee line; taxes and fees are separate lines.' },
);

export const ProcedureTemplate = Type.Object(
  {
    kind: Type.String({ pattern: kebabKey }),
    title: LocalizedText,
    description: Type.Optional(Type.String()),
    fields: Type.Optional(Type.Array(Field)),
    attachments: Type.Optional(Type.Array(Attachment)),
    initial: Type.String({ pattern: camelKey }),
    states: Type.Record(Type.String({ pattern: camelKey }), State, { minProperties: 1 }),
  },
  { ...strict, $id: 'https://shikaku.dev/schema/procedure.schema.json', title: 'Shikaku procedure template' },
);

const PartialState = Type.Object(stateProperties, { ...strict, description: 'Overrides a template state; `on` entries replace the template\'s per event.' });

export const ProcedureOffer = Type.Object(
  {
    template: Type.String({ pattern: kebabKey, description: 'A file in definitions/procedures.' }),
    title: Type.Optional(LocalizedText),
    from: Type.Optional(
      Type.Union([Type.String({ pattern: isoDate }), Type.Null()], {
        description: 'Date (Japan time) the procedure opens online; null = planned, not scheduled; omitted = the qualification\'s online.from.',
      }),
    ),
    fields: Type.Optional(Type.Array(Field, { description: 'Added to the template\'s fields.' })),
    attachments: Type.Optional(Type.Array(Attachment, { description: 'Added to the template\'s attachments.' })),
    fees: Type.Optional(Type.Array(FeeLine, { description: 'Fee lines; 手数料 and 登録免許税 are separate lines.' })),
    window: Type.Optional(
      Type.Union(
        [
          Type.Object(
            {
              opens: Type.String({ pattern: isoDate, description: 'First day applications are accepted (Japan time).' }),
              closes: Type.String({ pattern: isoDate, description: 'Last day applications are accepted (Japan time).' }),
            },
            strict,
          ),
          Type.Null(),
        ],
        { description: 'Application window (e.g. of an exam); null = not announced, so nothing can be submitted.' },
      ),
    ),
    states: Type.Optional(Type.Record(Type.String({ pattern: camelKey }), PartialState, { description: 'Overrides or extra states (e.g. a second review stage).' })),
  },
  { ...strict, description: 'A procedure this qualification offers.' },
);

export const Renewal = Type.Object(
  {
    of: Type.Union([Type.Literal('registration'), Type.Literal('card')], {
      description: '`registration`: the registration itself expires (and lapses unless renewed); `card`: only the card (e.g. 介護支援専門員証) does.',
    }),
    every: Type.String({ pattern: isoDuration, description: 'Validity from registration or the last renewal, e.g. P5Y.' }),
    window: Type.Optional(
      Type.Object(
        {
          opensBefore: Type.String({ pattern: isoDuration, description: 'How long before expiry renewal opens, e.g. P90D.' }),
          closesBefore: Type.String({ pattern: isoDuration, description: 'How long before expiry renewal closes, e.g. P30D (P0D = on the expiry date).' }),
        },
        { ...strict, description: 'When a renewal may be applied for; omitted = any time before expiry.' },
      ),
    ),
    note: Type.Optional(LocalizedText),
  },
  { ...strict, description: 'A law\'s renewal rule (更新制).' },
);

export const Variants = Type.Object(
  {
    label: LocalizedText,
    total: Type.Optional(Type.Integer({ minimum: 1, description: 'How many kinds the law or the seed counts (e.g. 技能士 131), listed or not.' })),
    items: Type.Array(
      Type.Object(
        { id: Type.String({ pattern: kebabKey }), name: LocalizedText },
        { ...strict, description: 'One kind; applications choose it as `variant`.' },
      ),
      { minItems: 1 },
    ),
    note: Type.Optional(LocalizedText),
  },
  { ...strict, description: 'Kinds of a family qualification (技能士の職種, 免許の種類, ...); one register per kind.' },
);

export const PlannedOnline = Type.Object(
  {
    fiscalYear: Type.Integer({ minimum: 2024, maximum: 2100, description: 'Japanese fiscal year (April to March), e.g. 2025 for 令和7年度.' }),
    orLater: Type.Optional(Type.Boolean({ description: 'The seed only says "from this fiscal year on" (以降).' })),
  },
  { ...strict, description: 'Announced online start when no date is set.' },
);

export const CertificateItem = Type.Union([
  Type.Literal('qualificationName'),
  Type.Literal('name'),
  Type.Literal('birthDate'),
  Type.Literal('registrationNumber'),
  Type.Literal('registeredOn'),
  Type.Literal('issuedOn'),
  Type.Literal('qrCode'),
  Type.Literal('issuer'),
  Type.Literal('honseki'),
  Type.Literal('expiresOn'),
  Type.Literal('variant'),
]);

export const Qualification = Type.Object(
  {
    id: Type.String({ pattern: kebabKey, description: 'Equals the file name without .yaml.' }),
    version: Type.Optional(Type.Integer({ minimum: 1, description: 'Raise it when the rules change; every version loaded is kept (default 1).' })),
    effectiveFrom: Type.Optional(
      Type.String({ pattern: isoDate, description: 'Date (Japan time) from which new applications use this version; until then the previous version stays in force.' }),
    ),
    name: LocalizedText,
    law: Type.String({ minLength: 1, description: 'Governing law.' }),
    registrar: Type.Object(
      { id: Type.String({ pattern: kebabKey, description: 'Stable id; staff tokens carry it as `registrar`.' }), name: LocalizedText },
      { ...strict, description: 'The body that keeps the register (資格管理者).' },
    ),
    registrationNumber: Type.Object(
      {
        digits: Type.Union([Type.Integer({ minimum: 1, maximum: 12 }), Type.Null()], { description: 'Zero-padded width; null when unknown.' }),
        prefix: Type.Optional(Type.String({ maxLength: 8, description: 'Printed before the digits, e.g. a letter.' })),
        display: Type.String({ minLength: 1, description: 'Printed form; must contain {number} once, e.g. 第{number}号.' }),
      },
      { ...strict, description: 'Declared format of registration numbers; never a regular expression.' },
    ),
    online: Type.Object(
      {
        from: Type.Union([Type.String({ pattern: isoDate }), Type.Null()], { description: 'Date online procedures open (Japan time); null = not yet scheduled.' }),
        planned: Type.Optional(PlannedOnline),
        note: Type.Optional(LocalizedText),
      },
      { ...strict, description: 'When procedures open online (マイナポータル).' },
    ),
    procedures: Type.Record(Type.String({ pattern: kebabKey }), ProcedureOffer, { minProperties: 1, description: 'The procedures offered, by name (registration, change, reissue, ...).' }),
    certificate: Type.Object(
      {
        title: Type.String({ minLength: 1, description: 'Printed title, e.g. 介護福祉士登録証.' }),
        front: Type.Array(CertificateItem, { uniqueItems: true, description: 'Items on the front page, in order.' }),
        photo: Type.Boolean({ description: 'Whether the holder\'s photo is printed (item ⑧). It is the attachment `photo`, which some procedure must collect; applicants then upload it as JPEG or PNG.' }),
        back: Type.Array(CertificateItem, { uniqueItems: true, description: 'Other items, on the back page (item ⑨).' }),
      },
      { ...strict, description: 'Items printed on the デジタル資格者証 (seed items ①–⑨).' },
    ),
    renewal: Type.Optional(Type.Union([Renewal, Type.Null()], { description: 'null = the law has no renewal.' })),
    variants: Type.Optional(Type.Union([Variants, Type.Null()])),
  },
  { ...strict, $id: 'https://shikaku.dev/schema/qualification.schema.json', title: 'Shikaku qualification definition' },
);

export type LocalizedText = Static<typeof LocalizedText>;
export type LibraryRef = Static<typeof LibraryRef>;
export type Role = Static<typeof Role>;
export type Transition = Static<typeof Transition>;
export type StateConfig = Static<typeof State>;
export type FieldConfig = Static<typeof Field>;
export type AttachmentConfig = Static<typeof Attachment>;
export type FeeLine = Static<typeof FeeLine>;
export type ProcedureTemplate = Static<typeof ProcedureTemplate>;
export type ProcedureOffer = Static<typeof ProcedureOffer>;
export type Qualification = Static<typeof Qualification>;
export type RenewalRule = Static<typeof Renewal>;
export type VariantsConfig = Static<typeof Variants>;

/** Schemas written to definitions/schema/, by file name. */
export const editorSchemas: Record<string, TSchema> = {
  'qualification.schema.json': Qualification,
  'procedure.schema.json': ProcedureTemplate,
};

/** The JSON text of a schema file, as written for editors. */
export function schemaFileText(schema: TSchema): string {
  return `${JSON.stringify({ $schema: 'https://json-schema.org/draft/2020-12/schema', ...schema }, null, 2)}\n`;
}
