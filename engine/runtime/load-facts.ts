import type { Kysely, Selectable } from 'kysely';
import type { FactName, TransitionFacts } from '../library/transition-input.ts';
import type { ApplicationsTable, Database } from './database-schema.ts';
import { findActiveEntryOfHolder, findMatchingEntry } from './registry.repository.ts';

/** Loads the registry facts named in `needed` (what the guards and actions at hand read), and no others. */
export async function loadFacts(db: Kysely<Database>, needed: ReadonlySet<FactName>, row: Selectable<ApplicationsTable>): Promise<TransitionFacts> {
  const facts: { holderEntry?: TransitionFacts['holderEntry']; targetEntry?: TransitionFacts['targetEntry'] } = {};
  if (needed.has('holderEntry')) {
    // A family qualification has one register per kind: the application's `variant` picks it.
    const variant = typeof row.data.variant === 'string' ? row.data.variant : null;
    facts.holderEntry = (await findActiveEntryOfHolder(db, row.qualification_id, row.applicant_id, variant)) ?? null;
  }
  if (needed.has('targetEntry')) {
    const d = row.data;
    const number = typeof d.registrationNumber === 'string' && /^[0-9]{1,15}$/.test(d.registrationNumber) ? Number(d.registrationNumber) : undefined;
    const complete = number !== undefined && [d.familyName, d.givenName, d.birthDate].every((v) => typeof v === 'string');
    facts.targetEntry = complete
      ? ((await findMatchingEntry(db, row.qualification_id, {
          registrationNumber: number,
          familyName: d.familyName as string,
          givenName: d.givenName as string,
          birthDate: d.birthDate as string,
        })) ?? null)
      : null;
  }
  return facts;
}
