import type { ColumnType, Generated, JSONColumnType } from 'kysely';
import type { DeficiencyNotice } from './deficiency-notice.ts';

/**
 * The tables as kysely sees them. No table holds an individual number (マイナンバー): people are the
 * opaque, pseudonymous ids of the identity assertion.
 */
export interface DefinitionsTable {
  hash: string;
  qualification_id: string;
  procedure: string;
  compiler_version: string;
  spec: JSONColumnType<object>;
  created_at: ColumnType<Date, Date, never>;
}

export interface ApplicationsTable {
  id: string;
  qualification_id: string;
  procedure: string;
  definition_hash: string;
  registrar_id: string;
  applicant_id: string;
  state: string;
  snapshot: JSONColumnType<{ value: unknown; context: Record<string, unknown> }>;
  data: JSONColumnType<Record<string, unknown>>;
  version: number;
  last_event_hash: string;
  registry_entry_id: string | null;
  /** Opened and closed only by transitions (writeTransition); a new application has none. */
  notice: ColumnType<DeficiencyNotice | null, null | undefined, never>;
  created_at: ColumnType<Date, Date, never>;
  updated_at: Date;
}

export interface ApplicationEventsTable {
  application_id: string;
  seq: number;
  type: string;
  actor_id: string;
  actor_role: string;
  from_state: string | null;
  to_state: string;
  payload: JSONColumnType<Record<string, unknown>>;
  occurred_at: Date;
  prev_hash: string;
  hash: string;
}

export interface RegistryCountersTable {
  qualification_id: string;
  last_number: ColumnType<number, number, number>;
}

export interface RegistryEntriesTable {
  id: string;
  qualification_id: string;
  registration_number: ColumnType<number, number, number>;
  holder_id: string | null;
  family_name: string;
  given_name: string;
  birth_date: string;
  honseki: string | null;
  address: string | null;
  status: 'active' | 'deregistered';
  registered_on: string;
  deregistered_on: string | null;
  deregistration_reason: string | null;
  source_application_id: string | null;
  variant: string | null;
  expires_on: string | null;
  created_at: ColumnType<Date, Date, never>;
  updated_at: Date;
}

export interface DefinitionVersionsTable {
  qualification_id: string;
  version: number;
  effective_from: string | null;
  content_hash: string;
  /** The qualification file as loaded (JSON). */
  definition: JSONColumnType<Record<string, unknown>>;
  /** Procedure name → definition hash of this version. */
  procedures: JSONColumnType<Record<string, string>>;
  first_loaded_at: ColumnType<Date, Date, never>;
}

export type CertificateStatus = 'active' | 'superseded' | 'deregistered' | 'revoked';

export interface CertificatesTable {
  id: string;
  registry_entry_id: string;
  qualification_id: string;
  holder_id: string | null;
  source_application_id: string | null;
  status: CertificateStatus;
  status_reason: string | null;
  token_key_id: string;
  /** The items as printed (label and value per item, front and back), to tell whether a change alters them. */
  printed: JSONColumnType<Record<string, unknown>>;
  pdf: Uint8Array;
  pdf_sha256: string;
  /** The uploaded photo printed as item ⑧; null when the certificate shows none. */
  photo_attachment_id: ColumnType<string | null, string | null | undefined, never>;
  issued_at: ColumnType<Date, Date, never>;
  status_changed_at: Date;
}

export interface AttachmentsTable {
  id: string;
  application_id: string;
  key: string;
  media_type: AttachmentMediaType;
  byte_size: number;
  sha256: string;
  content: Uint8Array;
  uploaded_by: string;
  uploaded_at: ColumnType<Date, Date, never>;
}

export type AttachmentMediaType = 'image/jpeg' | 'image/png' | 'application/pdf';

export interface DefinitionVersionHashesTable {
  qualification_id: string;
  version: number;
  procedure: string;
  hash: string;
}

export interface TimersTable {
  id: string;
  application_id: string;
  state: string;
  event: string;
  due_at: Date;
  locked_until: Date | null;
  created_at: ColumnType<Date, Date, never>;
}

export interface OutboxTable {
  id: Generated<string>;
  kind: string;
  application_id: string | null;
  payload: JSONColumnType<Record<string, unknown>>;
  created_at: ColumnType<Date, Date, never>;
  available_at: Date;
  attempts: ColumnType<number, number | undefined, number>;
  locked_until: Date | null;
  done_at: Date | null;
  last_error: string | null;
}

export interface NotificationsTable {
  id: Generated<string>;
  outbox_id: string;
  recipient_id: string;
  application_id: string | null;
  template: string;
  created_at: Date;
  read_at: Date | null;
}

export interface IdempotencyKeysTable {
  caller_id: string;
  key: string;
  request_hash: string;
  status_code: number | null;
  response_headers: JSONColumnType<Record<string, string>> | null;
  response_body: string | null;
  created_at: Date;
  expires_at: Date;
}

export interface Database {
  idempotency_keys: IdempotencyKeysTable;
  definitions: DefinitionsTable;
  applications: ApplicationsTable;
  application_events: ApplicationEventsTable;
  registry_counters: RegistryCountersTable;
  registry_entries: RegistryEntriesTable;
  definition_versions: DefinitionVersionsTable;
  definition_version_hashes: DefinitionVersionHashesTable;
  certificates: CertificatesTable;
  attachments: AttachmentsTable;
  timers: TimersTable;
  outbox: OutboxTable;
  notifications: NotificationsTable;
}
