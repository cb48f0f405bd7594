import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, RegistryEntriesTable } from './database-schema.ts';
import type { RegistryEntry } from './registry-entry.ts';

type Executor = Kysely<Database>;

const toEntry = (row: Selectable<RegistryEntriesTable>): RegistryEntry => ({
  id: row.id,
  qualificationId: row.qualification_id,
  registrationNumber: Number(row.registration_number),
  holderId: row.holder_id,
  familyName: row.family_name,
  givenName: row.given_name,
  birthDate: row.birth_date,
  honseki: row.honseki,
  status: row.status,
  registeredOn: row.registered_on,
  variant: row.variant,
  expiresOn: row.expires_on,
});

/** The person's active entry in a qualification's register (of one kind, for family qualifications), if any. */
export async function findActiveEntryOfHolder(db: Executor, qualificationId: string, holderId: string, variant: string | null = null): Promise<RegistryEntry | undefined> {
  const row = await db
    .selectFrom('registry_entries')
    .selectAll()
    .where('qualification_id', '=', qualificationId)
    .where('holder_id', '=', holderId)
    .where('status', '=', 'active')
    .$if(variant !== null, (q) => q.where('variant', '=', variant))
    .executeTakeFirst();
  return row && toEntry(row);
}

/** The entry with this id, if any. */
export async function findRegistryEntryById(db: Executor, id: string): Promise<RegistryEntry | undefined> {
  const row = await db.selectFrom('registry_entries').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toEntry(row);
}

/** Every entry linked to a holder (active or not), by qualification and number. */
export async function listEntriesOfHolder(db: Executor, holderId: string): Promise<RegistryEntry[]> {
  const rows = await db.selectFrom('registry_entries').selectAll().where('holder_id', '=', holderId).orderBy('qualification_id').orderBy('registration_number').execute();
  return rows.map(toEntry);
}

/** The entry with this number whose name and birth date match exactly, if any. */
export async function findMatchingEntry(
  db: Executor,
  qualificationId: string,
  match: { registrationNumber: number; familyName: string; givenName: string; birthDate: string },
): Promise<RegistryEntry | undefined> {
  const row = await db
    .selectFrom('registry_entries')
    .selectAll()
    .where('qualification_id', '=', qualificationId)
    .where('registration_number', '=', match.registrationNumber)
    .where('family_name', '=', match.familyName)
    .where('given_name', '=', match.givenName)
    .where('birth_date', '=', match.birthDate)
    .executeTakeFirst();
  return row && toEntry(row);
}

/**
 * The next registration number of a qualification. Call inside the transition's transaction: the
 * counter row stays locked until commit and a rollback returns the number, so numbers have no gaps.
 */
export async function allocateRegistrationNumber(trx: Executor, qualificationId: string): Promise<number> {
  const { rows } = await sql<{ last_number: number }>`
    INSERT INTO registry_counters (qualification_id, last_number) VALUES (${qualificationId}, 1)
    ON CONFLICT (qualification_id) DO UPDATE SET last_number = registry_counters.last_number + 1
    RETURNING last_number`.execute(trx);
  return Number(rows[0]!.last_number);
}

export interface NewRegistryEntry {
  readonly qualificationId: string;
  readonly registrationNumber: number;
  readonly holderId: string | null;
  readonly familyName: string;
  readonly givenName: string;
  readonly birthDate: string;
  readonly honseki: string | null;
  readonly registeredOn: string;
  readonly sourceApplicationId: string | null;
  readonly variant?: string | null;
  readonly expiresOn?: string | null;
}

/** Writes an entry; for an imported entry, also raises the counter so new numbers follow it. */
export async function insertRegistryEntry(trx: Executor, entry: NewRegistryEntry, now: Date): Promise<RegistryEntry> {
  const row = await trx
    .insertInto('registry_entries')
    .values({
      id: randomUUID(),
      qualification_id: entry.qualificationId,
      registration_number: entry.registrationNumber,
      holder_id: entry.holderId,
      family_name: entry.familyName,
      given_name: entry.givenName,
      birth_date: entry.birthDate,
      honseki: entry.honseki,
      address: null,
      status: 'active',
      registered_on: entry.registeredOn,
      deregistered_on: null,
      deregistration_reason: null,
      source_application_id: entry.sourceApplicationId,
      variant: entry.variant ?? null,
      expires_on: entry.expiresOn ?? null,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toEntry(row);
}

/** Registers an existing (e.g. paper-era) holder, keeping the counter ahead of imported numbers. */
export async function importRegistryEntry(db: Executor, entry: Omit<NewRegistryEntry, 'sourceApplicationId'>, now: Date): Promise<RegistryEntry> {
  return db.transaction().execute(async (trx) => {
    await sql`
      INSERT INTO registry_counters (qualification_id, last_number) VALUES (${entry.qualificationId}, ${entry.registrationNumber})
      ON CONFLICT (qualification_id) DO UPDATE SET last_number = GREATEST(registry_counters.last_number, EXCLUDED.last_number)`.execute(trx);
    return insertRegistryEntry(trx, { ...entry, sourceApplicationId: null }, now);
  });
}

export async function updateRegistryEntry(
  trx: Executor,
  id: string,
  changes: {
    holderId?: string;
    familyName?: string;
    givenName?: string;
    honseki?: string;
    address?: string;
    status?: 'deregistered';
    deregisteredOn?: string;
    deregistrationReason?: string;
    expiresOn?: string;
  },
  now: Date,
): Promise<void> {
  await trx
    .updateTable('registry_entries')
    .set({
      ...(changes.holderId !== undefined ? { holder_id: changes.holderId } : {}),
      ...(changes.familyName !== undefined ? { family_name: changes.familyName } : {}),
      ...(changes.givenName !== undefined ? { given_name: changes.givenName } : {}),
      ...(changes.honseki !== undefined ? { honseki: changes.honseki } : {}),
      ...(changes.address !== undefined ? { address: changes.address } : {}),
      ...(changes.status !== undefined ? { status: changes.status } : {}),
      ...(changes.deregisteredOn !== undefined ? { deregistered_on: changes.deregisteredOn } : {}),
      ...(changes.deregistrationReason !== undefined ? { deregistration_reason: changes.deregistrationReason } : {}),
      ...(changes.expiresOn !== undefined ? { expires_on: changes.expiresOn } : {}),
      updated_at: now,
    })
    .where('id', '=', id)
    .execute();
}
