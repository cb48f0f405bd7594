import { sql, type Kysely } from 'kysely';

const statements = [
  `CREATE TABLE definitions (
    hash text PRIMARY KEY,
    qualification_id text NOT NULL,
    procedure text NOT NULL,
    compiler_version text NOT NULL,
    spec jsonb NOT NULL,
    created_at timestamptz NOT NULL
  )`,
  `CREATE TABLE applications (
    id uuid PRIMARY KEY,
    qualification_id text NOT NULL,
    procedure text NOT NULL,
    definition_hash text NOT NULL REFERENCES definitions (hash),
    registrar_id text NOT NULL,
    applicant_id text NOT NULL,
    state text NOT NULL,
    snapshot jsonb NOT NULL,
    data jsonb NOT NULL,
    version integer NOT NULL CHECK (version > 0),
    last_event_hash text NOT NULL,
    registry_entry_id uuid,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
  )`,
  `CREATE INDEX applications_applicant ON applications (applicant_id, created_at DESC, id)`,
  `CREATE INDEX applications_review ON applications (registrar_id, qualification_id, state, created_at, id)`,
  `CREATE TABLE application_events (
    application_id uuid NOT NULL REFERENCES applications (id),
    seq integer NOT NULL,
    type text NOT NULL,
    actor_id text NOT NULL,
    actor_role text NOT NULL,
    from_state text,
    to_state text NOT NULL,
    payload jsonb NOT NULL,
    occurred_at timestamptz NOT NULL,
    prev_hash text NOT NULL,
    hash text NOT NULL,
    PRIMARY KEY (application_id, seq)
  )`,
  `CREATE TABLE registry_counters (
    qualification_id text PRIMARY KEY,
    last_number bigint NOT NULL
  )`,
  `CREATE TABLE registry_entries (
    id uuid PRIMARY KEY,
    qualification_id text NOT NULL,
    registration_number bigint NOT NULL,
    holder_id text,
    family_name text NOT NULL,
    given_name text NOT NULL,
    birth_date text NOT NULL,
    honseki text,
    address text,
    status text NOT NULL CHECK (status IN ('active', 'deregistered')),
    registered_on text NOT NULL,
    deregistered_on text,
    deregistration_reason text,
    source_application_id uuid,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    UNIQUE (qualification_id, registration_number)
  )`,
  `CREATE UNIQUE INDEX registry_entries_active_holder ON registry_entries (qualification_id, holder_id)
    WHERE holder_id IS NOT NULL AND status = 'active'`,
  `CREATE TABLE timers (
    id uuid PRIMARY KEY,
    application_id uuid NOT NULL REFERENCES applications (id),
    state text NOT NULL,
    event text NOT NULL,
    due_at timestamptz NOT NULL,
    locked_until timestamptz,
    created_at timestamptz NOT NULL
  )`,
  `CREATE INDEX timers_due ON timers (due_at)`,
  `CREATE INDEX timers_application ON timers (application_id)`,
  `CREATE TABLE outbox (
    id bigserial PRIMARY KEY,
    kind text NOT NULL,
    application_id uuid,
    payload jsonb NOT NULL,
    created_at timestamptz NOT NULL,
    available_at timestamptz NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    locked_until timestamptz,
    done_at timestamptz,
    last_error text
  )`,
  `CREATE INDEX outbox_pending ON outbox (kind, available_at) WHERE done_at IS NULL`,
  `CREATE TABLE notifications (
    id bigserial PRIMARY KEY,
    outbox_id bigint NOT NULL UNIQUE,
    recipient_id text NOT NULL,
    application_id uuid,
    template text NOT NULL,
    created_at timestamptz NOT NULL,
    read_at timestamptz
  )`,
  `CREATE INDEX notifications_recipient ON notifications (recipient_id, created_at DESC)`,
];

// Frozen in time: never edit a migration that has shipped; add a new one.
export async function up(db: Kysely<any>): Promise<void> {
  // One statement per call: PGlite's extended protocol takes a single statement.
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE notifications, outbox, timers, registry_entries, registry_counters, application_events, applications, definitions`.execute(db);
}
