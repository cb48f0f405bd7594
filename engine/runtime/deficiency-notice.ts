/** One field note of a deficiency notice, with the value the field had when the reviewer wrote it. */
export interface NoticeField {
  /** JSON Pointer into the application data, e.g. `/attachments/photo`. */
  readonly path: string;
  readonly message: string;
  /** The value at `path` when the notice was sent; absent when the field was empty. */
  readonly value?: unknown;
}

/** An open deficiency notice (申請不備通知): what the reviewer asked to fix, kept until the state is left. */
export interface DeficiencyNotice {
  /** History sequence number of the event that sent it. */
  readonly seq: number;
  readonly event: string;
  readonly comment?: string;
  readonly sentAt: string;
  readonly fields: readonly NoticeField[];
}

/** The value at a JSON Pointer (RFC 6901) in `data`, or undefined when the path does not exist. */
export function valueAt(data: unknown, pointer: string): unknown {
  if (pointer === '') return data;
  let current: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    if (current === null || typeof current !== 'object') return undefined;
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (!Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

// Values in application data are JSON, so equal JSON means unchanged.
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Whether the applicant has changed the field a note points at since the notice was sent. */
export const isAddressed = (field: NoticeField, data: Readonly<Record<string, unknown>>): boolean => !same(valueAt(data, field.path), field.value);

/** The notice an event with field notes opens, recording each noted field's current value. */
export function openNotice(
  data: Readonly<Record<string, unknown>>,
  event: { seq: number; type: string; comment?: string | undefined; notes: readonly { path: string; message: string }[]; at: Date },
): DeficiencyNotice {
  return {
    seq: event.seq,
    event: event.type,
    ...(event.comment ? { comment: event.comment } : {}),
    sentAt: event.at.toISOString(),
    fields: event.notes.map((n) => {
      const value = valueAt(data, n.path);
      return value === undefined ? { path: n.path, message: n.message } : { path: n.path, message: n.message, value };
    }),
  };
}
