import type { AttachmentConfig, FeeLine, FieldConfig, LocalizedText, RenewalRule, StateConfig, VariantsConfig } from './definition-schema.ts';

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
    /** Present for family qualifications: applications choose one kind as `variant`. */
    readonly variants?: VariantsConfig;
    /** Present when the law renews registrations or cards. */
    readonly renewal?: RenewalRule;
    /** Present when the certificate prints the holder's photo (item ⑧): the `photo` attachment must then be uploaded. */
    readonly certificatePhoto?: true;
  };
  readonly procedure: {
    readonly kind: string;
    readonly template: string;
    readonly title: LocalizedText;
    readonly fields: readonly FieldConfig[];
    readonly attachments: readonly AttachmentConfig[];
    readonly fees: readonly FeeLine[];
    /** Application window; null = not announced; absent = always open. */
    readonly window?: { readonly opens: string; readonly closes: string } | null;
    readonly initial: string;
    readonly states: Readonly<Record<string, StateConfig>>;
  };
}
