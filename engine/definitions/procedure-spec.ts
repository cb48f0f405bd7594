import type { AttachmentConfig, FeeLine, FieldConfig, LocalizedText, StateConfig } from './definition-schema.ts';

/**
 * Everything that decides how one (qualification, procedure) behaves, after templates are resolved.
 * Its canonical JSON, with the compiler version, is the content hash applications are pinned to.
 */
export interface ProcedureSpec {
  readonly qualification: {
    readonly id: string;
    readonly name: LocalizedText;
    readonly registrar: { readonly id: string; readonly name: LocalizedText };
    readonly registrationNumber: { readonly digits: number | null; readonly prefix?: string; readonly display: string };
  };
  readonly procedure: {
    readonly kind: string;
    readonly template: string;
    readonly title: LocalizedText;
    readonly fields: readonly FieldConfig[];
    readonly attachments: readonly AttachmentConfig[];
    readonly fees: readonly FeeLine[];
    readonly initial: string;
    readonly states: Readonly<Record<string, StateConfig>>;
  };
}
