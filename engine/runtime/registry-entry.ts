/** One entry of a qualification's register (資格名簿), as the engine sees it. */
export interface RegistryEntry {
  readonly id: string;
  readonly qualificationId: string;
  readonly registrationNumber: number;
  readonly holderId: string | null;
  readonly familyName: string;
  readonly givenName: string;
  readonly birthDate: string;
  readonly honseki: string | null;
  readonly status: 'active' | 'deregistered';
  readonly registeredOn: string;
  /** The kind, for family qualifications (技能士の職種, ...); null otherwise. */
  readonly variant: string | null;
  /** Japan-time date the registration (or card) expires, where the law renews it; null otherwise. */
  readonly expiresOn: string | null;
}
