import type { LoadedQualification } from '../definitions/load-definitions.ts';

/** Whether a procedure can be started online on a Japan-time business date, and from when. */
export interface Availability {
  readonly available: boolean;
  /** The opening date, or null when online availability is planned but not scheduled. */
  readonly from: string | null;
}

export function procedureAvailability(q: LoadedQualification, procedure: string, today: string): Availability {
  const offer = q.definition.procedures[procedure];
  const from = offer?.from !== undefined ? offer.from : q.definition.online.from;
  return { available: from !== null && from <= today, from };
}
