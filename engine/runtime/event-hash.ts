import { createHash } from 'node:crypto';
import { canonicalJson } from '../compile/compile-procedure.ts';

/** The hash of the first event's predecessor: every chain starts here. */
export const GENESIS_HASH = '0'.repeat(64);

export interface HashedEventFields {
  readonly applicationId: string;
  readonly seq: number;
  readonly type: string;
  readonly actorId: string;
  readonly actorRole: string;
  readonly fromState: string | null;
  readonly toState: string;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly occurredAt: Date;
}

/** sha256 over the previous hash and the event's canonical JSON: editing any row breaks the chain after it. */
export function hashEvent(prevHash: string, event: HashedEventFields): string {
  return createHash('sha256')
    .update(prevHash)
    .update('\n')
    .update(canonicalJson({ ...event, occurredAt: event.occurredAt.toISOString() }))
    .digest('hex');
}
