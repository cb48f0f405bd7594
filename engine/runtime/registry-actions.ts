import type { Kysely, Selectable } from 'kysely';
import { japanDate } from '../clock.ts';
import { ShikakuError } from '../errors.ts';
import type { ProcedureSpec } from '../definitions/procedure-spec.ts';
import { shiftDate } from '../iso-duration.ts';
import type { TransitionFacts } from '../library/transition-input.ts';
import type { ApplicationsTable, Database } from './database-schema.ts';
import { markEntryCertificates } from './certificates.repository.ts';
import { allocateRegistrationNumber, insertRegistryEntry, updateRegistryEntry } from './registry.repository.ts';

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);

const isUniqueViolation = (error: unknown) => (error as { code?: string }).code === '23505';

/**
 * Performs the transactional actions of one transition on the register, inside its transaction.
 * @returns what they did, recorded in the history event, and the entry the application now refers to.
 * @throws ShikakuError APPLICATION_EVENT_NOT_ALLOWED when the register changed under the guards.
 */
export async function performRegistryActions(
  trx: Kysely<Database>,
  actions: readonly string[],
  row: Selectable<ApplicationsTable>,
  spec: ProcedureSpec,
  facts: TransitionFacts,
  now: Date,
): Promise<{ effects: Record<string, unknown>; registryEntryId: string | null }> {
  const effects: Record<string, unknown> = {};
  let registryEntryId: string | null = null;
  const d = row.data;
  const renewal = spec.qualification.renewal;
  for (const action of actions) {
    switch (action) {
      case 'registerHolder': {
        const number = await allocateRegistrationNumber(trx, row.qualification_id);
        const registeredOn = japanDate(now);
        const variant = spec.qualification.variants ? (text(d.variant) ?? null) : null;
        const expiresOn = renewal ? shiftDate(registeredOn, renewal.every) : null;
        try {
          const entry = await insertRegistryEntry(
            trx,
            {
              qualificationId: row.qualification_id,
              registrationNumber: number,
              holderId: row.applicant_id,
              familyName: String(d.familyName),
              givenName: String(d.givenName),
              birthDate: String(d.birthDate),
              honseki: text(d.honseki) ?? null,
              registeredOn,
              sourceApplicationId: row.id,
              variant,
              expiresOn,
            },
            now,
          );
          registryEntryId = entry.id;
          Object.assign(effects, { registrationNumber: number, registryEntryId: entry.id, ...(variant ? { variant } : {}), ...(expiresOn ? { expiresOn } : {}) });
        } catch (error) {
          if (isUniqueViolation(error)) throw new ShikakuError('APPLICATION_EVENT_NOT_ALLOWED', 'the applicant is already registered', { reasons: ['notRegistered: the applicant is already registered in this qualification'] });
          throw error;
        }
        break;
      }
      case 'linkHolder': {
        const entry = facts.targetEntry;
        if (!entry) throw new ShikakuError('APPLICATION_EVENT_NOT_ALLOWED', 'no matching registry entry', { reasons: ['registryMatch: no matching entry'] });
        const linked = await trx
          .updateTable('registry_entries')
          .set({ holder_id: row.applicant_id, updated_at: now })
          .where('id', '=', entry.id)
          .where((eb) => eb.or([eb('holder_id', 'is', null), eb('holder_id', '=', row.applicant_id)]))
          .executeTakeFirst();
        if (Number(linked.numUpdatedRows) !== 1) throw new ShikakuError('APPLICATION_EVENT_NOT_ALLOWED', 'the entry was linked by someone else', { reasons: ['registryUnlinked: already linked to another person'] });
        registryEntryId = entry.id;
        Object.assign(effects, { registrationNumber: entry.registrationNumber, registryEntryId: entry.id });
        break;
      }
      case 'updateRegistryEntry': {
        const entry = facts.holderEntry;
        if (!entry) throw new ShikakuError('APPLICATION_EVENT_NOT_ALLOWED', 'the applicant holds no active registration', { reasons: ['isHolder: no active registration'] });
        const changes = {
          ...(text(d.newFamilyName) ? { familyName: text(d.newFamilyName) } : {}),
          ...(text(d.newGivenName) ? { givenName: text(d.newGivenName) } : {}),
          ...(text(d.newHonseki) ? { honseki: text(d.newHonseki) } : {}),
          ...(text(d.newAddress) ? { address: text(d.newAddress) } : {}),
        };
        await updateRegistryEntry(trx, entry.id, changes, now);
        registryEntryId = entry.id;
        Object.assign(effects, { registryEntryId: entry.id, changed: Object.keys(changes) });
        break;
      }
      case 'deregisterEntry': {
        // A death report names the deceased's entry; otherwise the holder deregisters their own.
        const entry = d.reason === 'death' ? facts.targetEntry : facts.holderEntry;
        if (!entry || entry.status !== 'active') throw new ShikakuError('APPLICATION_EVENT_NOT_ALLOWED', 'no active registry entry to deregister', { reasons: ['registryMatch: no active entry'] });
        const reason = d.reason === 'death' ? 'death' : 'request';
        await updateRegistryEntry(trx, entry.id, { status: 'deregistered', deregisteredOn: japanDate(now), deregistrationReason: reason }, now);
        // Its certificates stop verifying in the same transaction (a death report included).
        await markEntryCertificates(trx, entry.id, 'deregistered', reason === 'death' ? 'the holder died (登録抹消: 死亡)' : 'deregistered at the holder\'s request', now);
        registryEntryId = entry.id;
        Object.assign(effects, { registryEntryId: entry.id, registrationNumber: entry.registrationNumber, deregistered: reason });
        break;
      }
      case 'renewRegistration': {
        const entry = facts.holderEntry;
        if (!entry || !renewal || !entry.expiresOn) throw new ShikakuError('APPLICATION_EVENT_NOT_ALLOWED', 'nothing to renew', { reasons: ['renewalWindowOpen: the registration has no expiry to renew'] });
        // The new period runs on from the old expiry, not from the approval date.
        const expiresOn = shiftDate(entry.expiresOn, renewal.every);
        await updateRegistryEntry(trx, entry.id, { expiresOn }, now);
        registryEntryId = entry.id;
        Object.assign(effects, { registryEntryId: entry.id, registrationNumber: entry.registrationNumber, previousExpiry: entry.expiresOn, expiresOn });
        break;
      }
      default:
        break;
    }
  }
  return { effects, registryEntryId };
}

