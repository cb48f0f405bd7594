import type { Kysely } from 'kysely';
import { compileProcedure, type CompiledProcedure } from '../compile/compile-procedure.ts';
import type { LoadedQualification } from '../definitions/load-definitions.ts';
import type { ProcedureSpec } from '../definitions/procedure-spec.ts';
import type { Database } from './database-schema.ts';

/**
 * The definitions in force plus every version applications are pinned to. Current ones come from the
 * loaded files; a pinned hash no longer in the files is recompiled from the spec stored with it.
 */
export class DefinitionStore {
  readonly #byHash = new Map<string, CompiledProcedure>();

  constructor(readonly qualifications: ReadonlyMap<string, LoadedQualification>) {
    for (const q of qualifications.values()) for (const p of q.procedures.values()) this.#byHash.set(p.hash, p);
  }

  /** The procedure new applications use, if the qualification offers it. */
  current(qualificationId: string, procedure: string): CompiledProcedure | undefined {
    return this.qualifications.get(qualificationId)?.procedures.get(procedure);
  }

  /** Stores every current spec under its hash (idempotent), so pinned applications outlive file edits. */
  async persist(db: Kysely<Database>, now: Date): Promise<void> {
    const rows = [...this.#byHash.values()].map((p) => ({
      hash: p.hash,
      qualification_id: p.spec.qualification.id,
      procedure: p.spec.procedure.kind,
      compiler_version: p.compilerVersion,
      spec: JSON.stringify(p.spec),
      created_at: now,
    }));
    if (rows.length === 0) return;
    await db.insertInto('definitions').values(rows).onConflict((oc) => oc.column('hash').doNothing()).execute();
  }

  /** The compiled procedure an application is pinned to. */
  async pinned(db: Kysely<Database>, hash: string): Promise<CompiledProcedure> {
    const known = this.#byHash.get(hash);
    if (known) return known;
    const row = await db.selectFrom('definitions').select(['spec']).where('hash', '=', hash).executeTakeFirstOrThrow();
    const compiled = compileProcedure(row.spec as ProcedureSpec);
    // The stored hash stays authoritative even if this compiler would hash the spec differently.
    const pinned = { ...compiled, hash };
    this.#byHash.set(hash, pinned);
    return pinned;
  }
}
