import type { FactName } from './transition-input.ts';

/** Notification templates actions may name; the texts live with the notification worker. */
export const notificationTemplates = [
  'received',
  'payment-requested',
  'deficiency',
  'koseki-required',
  'approved',
  'rejected',
  'withdrawn',
  'deadline-withdrawn',
  'linked',
  'deregistered',
  'admitted',
  'exam-passed',
  'exam-failed',
  'renewed',
] as const;
export type NotificationTemplate = (typeof notificationTemplates)[number];

/**
 * A named action of the closed library. The machine only names it; the runtime performs it:
 * `transactional` ones inside the transition's transaction, the rest through the outbox after commit.
 */
export interface ActionDefinition {
  readonly description: string;
  readonly transactional: boolean;
  readonly parameter?: 'notification';
  /** Data fields the action reads; a procedure using it must declare them. */
  readonly requiresFields?: readonly string[];
  readonly facts?: readonly FactName[];
}

export const actionLibrary = {
  registerHolder: {
    description: 'Allocate the next registration number (gap-free) and write the registry entry.',
    transactional: true,
    requiresFields: ['familyName', 'givenName', 'birthDate'],
  },
  linkHolder: {
    description: 'Link the matched registry entry to the applicant (初期設定).',
    transactional: true,
    facts: ['targetEntry'],
  },
  updateRegistryEntry: {
    description: 'Apply the changed name, 本籍 or address to the applicant\'s registry entry.',
    transactional: true,
    facts: ['holderEntry'],
  },
  deregisterEntry: {
    description: 'Mark the registry entry deregistered (by the holder, or on death).',
    transactional: true,
    facts: ['holderEntry', 'targetEntry'],
  },
  renewRegistration: {
    description: "Extend the holder's expiry by one period of the qualification's renewal rule.",
    transactional: true,
    facts: ['holderEntry'],
  },
  issueCertificate: {
    description: 'Enqueue issuance of the digital certificate (デジタル資格者証).',
    transactional: false,
  },
  notify: {
    description: 'Enqueue a notice (お知らせ) to the applicant.',
    transactional: false,
    parameter: 'notification',
  },
} satisfies Record<string, ActionDefinition>;

export type ActionName = keyof typeof actionLibrary;
export const actionNames = Object.keys(actionLibrary) as ActionName[];
export const isActionName = (name: string): name is ActionName => Object.hasOwn(actionLibrary, name);
