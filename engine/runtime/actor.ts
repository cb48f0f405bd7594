import type { Role } from '../definitions/definition-schema.ts';

/** Who is acting: the opaque person or service id from the identity assertion, never an individual number. */
export interface Actor {
  readonly id: string;
  readonly role: Role;
  /** The registrar staff belong to; staff see and act only on its qualifications. */
  readonly registrar?: string | undefined;
}

export const timerActor: Actor = { id: 'system:timer', role: 'system' };

/** Whether `actor` may see an application; others get a not-found, so existence never leaks. */
export function canSeeApplication(actor: Actor, application: { applicant_id: string; registrar_id: string }): boolean {
  switch (actor.role) {
    case 'applicant':
      return application.applicant_id === actor.id;
    case 'reviewer':
    case 'registrar-admin':
      return actor.registrar === application.registrar_id;
    case 'admin':
    case 'payment':
    case 'system':
      return true;
    case 'linkage':
      return false;
  }
}
