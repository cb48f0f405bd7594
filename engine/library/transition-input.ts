import type { Role } from '../definitions/definition-schema.ts';
import type { ProcedureSpec } from '../definitions/procedure-spec.ts';
import type { DeficiencyNotice } from '../runtime/deficiency-notice.ts';
import type { RegistryEntry } from '../runtime/registry-entry.ts';

/** Facts a guard may need from the database, loaded only when the procedure uses them. */
export interface TransitionFacts {
  /** The applicant's active entry in this qualification's registry, if any. */
  readonly holderEntry?: RegistryEntry | null;
  /** The entry named by the application data (registration number + basic information), if it matches. */
  readonly targetEntry?: RegistryEntry | null;
}
export type FactName = keyof TransitionFacts;

/** What guards see: the XState event carries it as `input`. Pure data; guards never do I/O. */
export interface TransitionInput {
  readonly actor: { readonly id: string; readonly role: Role };
  readonly applicantId: string;
  readonly data: Readonly<Record<string, unknown>>;
  /** The open deficiency notice, if any. */
  readonly notice: DeficiencyNotice | null;
  readonly spec: ProcedureSpec;
  readonly facts: TransitionFacts;
  /** The business date in Japan (YYYY-MM-DD) when the event is applied. */
  readonly today: string;
}
