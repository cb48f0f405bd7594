import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { canonicalJson, compileProcedure, type CompiledProcedure } from '../compile/compile-procedure.ts';
import type { Qualification } from '../definitions/definition-schema.ts';
import type { DefinitionProblem } from '../definitions/definition-problem.ts';
import type { LoadedQualification } from '../definitions/load-definitions.ts';
import type { ProcedureSpec } from '../definitions/procedure-spec.ts';
import type { Database } from './database-schema.ts';

/** One version of a qualification file, with the procedures compiled for it. */
export interface QualificationVersion {
  readonly version: number;
  /** Japan-time date new applications start using it; null = from the start. */
  readonly effectiveFrom: string | null;
  /** SHA-256 of the file's canonical JSON: a version never changes content once seen. */
  readonly contentHash: string;
  readonly loaded: LoadedQualification;
}

/** The content hash of a qualification file as loaded (comments and layout do not count). */
export const definitionContentHash = (definition: Qualification): string => createHash('sha256').update(canonicalJson(definition)).digest('hex');

const versionOf = (loaded: LoadedQualification): QualificationVersion => ({
  version: loaded.definition.version ?? 1,
  effectiveFrom: loaded.definition.effectiveFrom ?? null,
  contentHash: definitionContentHash(loaded.definition),
  loaded,
});

/**
 * The definitions: the files as loaded now, every version of every qualification seen before (kept in
 * the database), and every compiled procedure applications are pinned to. New applications use the
 * version in force on their creation date; a pinned hash no longer in the files is recompiled from the
 * spec stored with it.
 */
export class DefinitionStore {
  #files: Map<string, LoadedQualification>;
  readonly #versions = new Map<string, QualificationVersion[]>();
  readonly #byHash = new Map<string, CompiledProcedure>();

  constructor(qualifications: ReadonlyMap<string, LoadedQualification>) {
    this.#files = new Map(qualifications);
    for (const q of qualifications.values()) this.#remember(versionOf(q));
  }

  /** The qualification files as loaded now (the newest version of each). */
  get qualifications(): ReadonlyMap<string, LoadedQualification> {
    return this.#files;
  }

  /** The procedure of the newest loaded file, if the qualification offers it. */
  current(qualificationId: string, procedure: string): CompiledProcedure | undefined {
    return this.#files.get(qualificationId)?.procedures.get(procedure);
  }

  /** Every known version of a qualification, oldest first. */
  versionsOf(qualificationId: string): readonly QualificationVersion[] {
    return this.#versions.get(qualificationId) ?? [];
  }

  /** The version new applications use on `today` (YYYY-MM-DD, Japan time), if one is in force yet. */
  inForce(qualificationId: string, today: string): QualificationVersion | undefined {
    const versions = this.#versions.get(qualificationId) ?? [];
    for (let i = versions.length - 1; i >= 0; i--) {
      const v = versions[i]!;
      if (v.effectiveFrom === null || v.effectiveFrom <= today) return v;
    }
    return undefined;
  }

  /** The first version that takes effect after `today`, if one is scheduled. */
  upcoming(qualificationId: string, today: string): QualificationVersion | undefined {
    return (this.#versions.get(qualificationId) ?? []).find((v) => v.effectiveFrom !== null && v.effectiveFrom > today);
  }

  /**
   * Stores every loaded spec under its hash and every file version (idempotent), then loads all versions
   * ever stored, so an older version stays in force until a newer one's `effectiveFrom`.
   * @returns a problem per file whose `version` was stored before with other content (that file is not stored).
   */
  async persist(db: Kysely<Database>, now: Date): Promise<DefinitionProblem[]> {
    const files = [...this.#files.values()];
    const problems = await this.#store(db, files, now);
    for (const p of problems) this.#files.delete(this.#idOfFile(p.file, files) ?? '');
    await this.#loadVersions(db);
    return problems;
  }

  /**
   * Applies a new load of the definitions folder while serving: each valid file goes live; files with
   * problems (`rejectedIds`) and files whose version was reused keep their previous version running.
   */
  async reload(db: Kysely<Database>, loaded: ReadonlyMap<string, LoadedQualification>, rejectedIds: ReadonlySet<string>, now: Date): Promise<{ applied: string[]; problems: DefinitionProblem[] }> {
    const candidates = [...loaded.values()].filter((q) => !rejectedIds.has(q.definition.id));
    const problems = await this.#store(db, candidates, now);
    const refused = new Set(problems.map((p) => this.#idOfFile(p.file, candidates)));
    const applied: string[] = [];
    const next = new Map(this.#files);
    for (const q of candidates) {
      if (refused.has(q.definition.id)) continue;
      const before = this.#files.get(q.definition.id);
      if (!before || definitionContentHash(before.definition) !== definitionContentHash(q.definition) || [...q.procedures].some(([p, c]) => before.procedures.get(p)?.hash !== c.hash)) applied.push(q.definition.id);
      next.set(q.definition.id, q);
    }
    this.#files = next;
    await this.#loadVersions(db);
    return { applied: applied.sort(), problems };
  }

  /** The compiled procedure an application is pinned to. */
  async pinned(db: Kysely<Database>, hash: string): Promise<CompiledProcedure> {
    const known = this.#byHash.get(hash);
    if (known) return known;
    const row = await db.selectFrom('definitions').select(['spec']).where('hash', '=', hash).executeTakeFirstOrThrow();
    return this.#compileStored(hash, row.spec as ProcedureSpec);
  }

  #compileStored(hash: string, spec: ProcedureSpec): CompiledProcedure {
    const compiled = compileProcedure(spec);
    // The stored hash stays authoritative even if this compiler would hash the spec differently.
    const pinned = { ...compiled, hash };
    this.#byHash.set(hash, pinned);
    return pinned;
  }

  #idOfFile(file: string, among: readonly LoadedQualification[]): string | undefined {
    return among.find((q) => q.file === file)?.definition.id;
  }

  #remember(v: QualificationVersion): void {
    for (const p of v.loaded.procedures.values()) this.#byHash.set(p.hash, p);
    const id = v.loaded.definition.id;
    const list = (this.#versions.get(id) ?? []).filter((x) => x.version !== v.version);
    list.push(v);
    list.sort((a, b) => a.version - b.version);
    this.#versions.set(id, list);
  }

  /** Writes specs and version rows for `files`; a version stored before with other content is a problem. */
  async #store(db: Kysely<Database>, files: readonly LoadedQualification[], now: Date): Promise<DefinitionProblem[]> {
    const specs = files.flatMap((q) => [...q.procedures.values()]);
    if (specs.length > 0) {
      await db
        .insertInto('definitions')
        .values(specs.map((p) => ({ hash: p.hash, qualification_id: p.spec.qualification.id, procedure: p.spec.procedure.kind, compiler_version: p.compilerVersion, spec: JSON.stringify(p.spec), created_at: now })))
        .onConflict((oc) => oc.column('hash').doNothing())
        .execute();
    }
    const problems: DefinitionProblem[] = [];
    for (const q of files) {
      const v = versionOf(q);
      const procedures = JSON.stringify(Object.fromEntries([...q.procedures].map(([name, c]) => [name, c.hash])));
      const stored = await db.selectFrom('definition_versions').select(['content_hash', 'first_loaded_at']).where('qualification_id', '=', q.definition.id).where('version', '=', v.version).executeTakeFirst();
      if (stored && stored.content_hash !== v.contentHash) {
        problems.push({
          file: q.file,
          line: 1,
          column: 1,
          path: 'version',
          code: 'DEFINITION_VERSION_REUSED',
          message: `version ${v.version} of \`${q.definition.id}\` was loaded on ${new Date(stored.first_loaded_at).toISOString().slice(0, 10)} with other content`,
          hint: `raise version to ${v.version + 1} (and set effectiveFrom when the change should wait), or restore version ${v.version}`,
        });
        continue;
      }
      // Same content: only the procedures' hashes may move (a template changed); applications stay pinned.
      await db
        .insertInto('definition_versions')
        .values({ qualification_id: q.definition.id, version: v.version, effective_from: v.effectiveFrom, content_hash: v.contentHash, definition: JSON.stringify(q.definition), procedures, first_loaded_at: now })
        .onConflict((oc) => oc.columns(['qualification_id', 'version']).doUpdateSet({ procedures }))
        .execute();
      if (q.procedures.size > 0) {
        await db
          .insertInto('definition_version_hashes')
          .values([...q.procedures].map(([procedure, c]) => ({ qualification_id: q.definition.id, version: v.version, procedure, hash: c.hash })))
          .onConflict((oc) => oc.doNothing())
          .execute();
      }
    }
    return problems;
  }

  /** Rebuilds the version lists from the database: stored versions plus the files loaded now. */
  async #loadVersions(db: Kysely<Database>): Promise<void> {
    const rows = await db.selectFrom('definition_versions').selectAll().orderBy('qualification_id').orderBy('version').execute();
    const hashes = [...new Set(rows.flatMap((r) => Object.values(r.procedures)))].filter((h) => !this.#byHash.has(h));
    if (hashes.length > 0) {
      const specs = await db.selectFrom('definitions').select(['hash', 'spec']).where('hash', 'in', hashes).execute();
      for (const s of specs) this.#compileStored(s.hash, s.spec as ProcedureSpec);
    }
    this.#versions.clear();
    for (const r of rows) {
      const file = this.#files.get(r.qualification_id);
      const sameAsFile = file !== undefined && definitionContentHash(file.definition) === r.content_hash;
      const loaded: LoadedQualification = sameAsFile
        ? file
        : {
            definition: r.definition as unknown as Qualification,
            file: `(version ${r.version} of ${r.qualification_id}, from the database)`,
            procedures: new Map(Object.entries(r.procedures).flatMap(([name, hash]) => (this.#byHash.has(hash) ? [[name, this.#byHash.get(hash)!] as const] : []))),
          };
      this.#remember({ version: r.version, effectiveFrom: r.effective_from, contentHash: r.content_hash, loaded });
    }
    for (const q of this.#files.values()) if (!this.#versions.get(q.definition.id)?.some((v) => v.version === (q.definition.version ?? 1))) this.#remember(versionOf(q));
  }
}
