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
  // The canonical JSON of the event with its keys in sorted order, written out: this runs on every
  // transition, and only the payload needs the general canonicaliser.
  const e = event;
  const canonical =
    `{"actorId":${JSON.stringify(e.actorId)},"actorRole":${JSON.stringify(e.actorRole)},"applicationId":${JSON.stringify(e.applicationId)},` +
    `"fromState":${JSON.stringify(e.fromState)},"occurredAt":${JSON.stringify(e.occurredAt.toISOString())},"payload":${canonicalJson(e.payload)},` +
    `"seq":${JSON.stringify(e.seq)},"toState":${JSON.stringify(e.toState)},"type":${JSON.stringify(e.type)}}`;
  return createHash('sha256').update(prevHash).update('\n').update(canonical).digest('hex');
}
