import type { Role } from '../definitions/definition-schema.ts';

/** Who is acting: the opaque person or service id from the identity assertion, never an individual number. */
export interface Actor {
  readonly id: string;
  readonly role: Role;
  /** The registrar staff belong to; staff see and act only on its qualifications. */
  readonly registrar?: string | undefined;
}

export const timerActor: Actor = { id: 'system:timer', role: 'system' };

/**
 * Which applications each role reaches (`own`: the applicant's; `registrar`: the staff member's
 * registrar's; `all`; `none`) and whether it may read them. Which events a role sends is the
 * procedure's business (its transitions' `roles`); this table only bounds the applications.
 */
export const applicationAccess = {
  applicant: { reach: 'own', read: true },
  reviewer: { reach: 'registrar', read: true },
  'registrar-admin': { reach: 'registrar', read: true },
  // The payment provider confirms fees on any registrar's application, but never reads applicants' data.
  payment: { reach: 'all', read: false },
  // Nothing until the resident-registry linkage issue defines its own routes.
  linkage: { reach: 'none', read: false },
  // Operators run the platform; they are no party to an application, so they do not read one (least privilege, APPI).
  admin: { reach: 'none', read: false },
  system: { reach: 'all', read: true },
} as const satisfies Record<Role, { reach: 'own' | 'registrar' | 'all' | 'none'; read: boolean }>;

/**
 * Whether `actor` may act on (and, with `applicationAccess[role].read`, read) this application.
 * Callers answer not-found when false, so existence never leaks. Pure.
 */
export function canReachApplication(actor: Actor, application: { applicant_id: string; registrar_id: string }): boolean {
  const { reach } = applicationAccess[actor.role];
  switch (reach) {
    case 'own':
      return application.applicant_id === actor.id;
    case 'registrar':
      return actor.registrar !== undefined && actor.registrar === application.registrar_id;
    case 'all':
      return true;
    case 'none':
      return false;
  }
}
