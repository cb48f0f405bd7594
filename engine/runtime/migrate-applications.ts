import { randomUUID } from 'node:crypto';
import type { CompiledProcedure } from '../compile/compile-procedure.ts';
import { ShikakuError } from '../errors.ts';
import { addIsoDuration, parseIsoDuration } from '../iso-duration.ts';
import type { Actor } from './actor.ts';
import { inTransaction, type EngineDeps } from './engine-deps.ts';
import { hashEvent } from './event-hash.ts';

export interface MigrationPlanItem {
  readonly applicationId: string;
  readonly procedure: string;
  readonly fromState: string;
  readonly toState: string;
}

export interface MigrationRefusal {
  readonly applicationId: string;
  readonly procedure: string;
  readonly state: string;
  readonly reason: string;
}

export interface MigrationResult {
  /** Applications moved (or, in a dry run, that would move), with their state mapping. */
  readonly moved: readonly MigrationPlanItem[];
  /** Applications whose state has no place in the target version; when any exist nothing moves. */
  readonly refused: readonly MigrationRefusal[];
  readonly dryRun: boolean;
}

export interface MigrateCommand {
  readonly qualificationId: string;
  readonly from: number;
  readonly to: number;
  /** Old state → new state, for states the target version renamed or removed. */
  readonly stateMap: Readonly<Record<string, string>>;
  readonly dryRun: boolean;
  /** Who runs the migration; recorded on every history event. */
  readonly actor: Actor;
}

/**
 * Moves in-flight applications pinned to version `from` of a qualification onto version `to`, with an
 * explicit state mapping: a state kept by name needs no entry; any other unmapped state refuses the
 * whole migration (nothing moves). Each move is its own transaction: version-checked row update to the
 * new definition hash, a `definitionMigrated` history event (hash-chained), and — when the state
 * changes — the old state's timers cancelled and the new state's armed.
 * @throws ShikakuError REQUEST_INVALID for unknown versions or a mapping onto a state the target lacks.
 */
export async function migrateApplications(deps: EngineDeps, command: MigrateCommand): Promise<MigrationResult> {
  const { qualificationId, from, to } = command;
  const versions = await deps.db.selectFrom('definition_versions').select(['version', 'procedures']).where('qualification_id', '=', qualificationId).where('version', 'in', [from, to]).execute();
  for (const v of [from, to]) {
    if (!versions.some((r) => r.version === v)) throw new ShikakuError('REQUEST_INVALID', `\`${qualificationId}\` has no stored version ${v}`);
  }
  const hashes = await deps.db.selectFrom('definition_version_hashes').select(['version', 'procedure', 'hash']).where('qualification_id', '=', qualificationId).where('version', 'in', [from, to]).execute();
  // The target's current compiled procedures (a template change may have given it newer hashes).
  const targetHashOf = new Map(Object.entries(versions.find((r) => r.version === to)!.procedures));
  const targetHashes = new Set(hashes.filter((h) => h.version === to).map((h) => h.hash));
  // Hashes shared by both versions behave identically: their applications need not move.
  const sourceHashes = [...new Set(hashes.filter((h) => h.version === from && !targetHashes.has(h.hash)).map((h) => h.hash))];

  const targets = new Map<string, CompiledProcedure>();
  for (const [procedure, hash] of targetHashOf) targets.set(procedure, await deps.definitions.pinned(deps.db, hash));
  for (const [old, next] of Object.entries(command.stateMap)) {
    if (![...targets.values()].some((p) => p.spec.procedure.states[next])) throw new ShikakuError('REQUEST_INVALID', `--map ${old}=${next}: version ${to} has no state \`${next}\``);
  }

  const rows = sourceHashes.length === 0 ? [] : await deps.db.selectFrom('applications').selectAll().where('definition_hash', 'in', sourceHashes).orderBy('created_at').orderBy('id').execute();
  const moved: MigrationPlanItem[] = [];
  const refused: MigrationRefusal[] = [];
  const plan: { row: (typeof rows)[number]; item: MigrationPlanItem; procedure: CompiledProcedure }[] = [];
  for (const row of rows) {
    const source = await deps.definitions.pinned(deps.db, row.definition_hash);
    if (source.spec.procedure.states[row.state]?.final) continue;
    const procedure = targets.get(row.procedure);
    if (!procedure) {
      refused.push({ applicationId: row.id, procedure: row.procedure, state: row.state, reason: `version ${to} does not offer \`${row.procedure}\`` });
      continue;
    }
    const toState = command.stateMap[row.state] ?? row.state;
    if (!procedure.spec.procedure.states[toState]) {
      refused.push({ applicationId: row.id, procedure: row.procedure, state: row.state, reason: `version ${to} has no state \`${row.state}\`: map it with --map ${row.state}=<state>` });
      continue;
    }
    const item = { applicationId: row.id, procedure: row.procedure, fromState: row.state, toState };
    moved.push(item);
    plan.push({ row, item, procedure });
  }
  if (refused.length > 0 || command.dryRun) return { moved, refused, dryRun: command.dryRun || refused.length > 0 };

  for (const { row, item, procedure } of plan) {
    const now = deps.clock.now();
    await inTransaction(deps.db, async (trx) => {
      const locked = await trx.selectFrom('applications').select(['version', 'last_event_hash', 'definition_hash', 'state']).where('id', '=', row.id).forUpdate().executeTakeFirst();
      if (!locked || locked.version !== row.version || locked.definition_hash !== row.definition_hash) {
        throw new ShikakuError('APPLICATION_VERSION_CONFLICT', `application ${row.id} changed during the migration; run it again`);
      }
      const payload = { fromVersion: from, toVersion: to, fromHash: row.definition_hash, toHash: procedure.hash };
      const seq = row.version + 1;
      const hash = hashEvent(locked.last_event_hash, {
        applicationId: row.id, seq, type: 'definitionMigrated', actorId: command.actor.id, actorRole: command.actor.role,
        fromState: item.fromState, toState: item.toState, payload, occurredAt: now,
      });
      const snapshot = { ...(row.snapshot as Record<string, unknown>), value: item.toState };
      await trx
        .updateTable('applications')
        .set({ definition_hash: procedure.hash, state: item.toState, snapshot: JSON.stringify(snapshot), version: seq, last_event_hash: hash, updated_at: now })
        .where('id', '=', row.id)
        .execute();
      await trx
        .insertInto('application_events')
        .values({
          application_id: row.id, seq, type: 'definitionMigrated', actor_id: command.actor.id, actor_role: command.actor.role,
          from_state: item.fromState, to_state: item.toState, payload: JSON.stringify(payload), occurred_at: now, prev_hash: locked.last_event_hash, hash,
        })
        .execute();
      if (item.toState !== item.fromState) {
        await trx.deleteFrom('timers').where('application_id', '=', row.id).execute();
        const timers = procedure.spec.procedure.states[item.toState]?.timers ?? [];
        if (timers.length > 0) {
          await trx
            .insertInto('timers')
            .values(timers.map((t) => ({ id: randomUUID(), application_id: row.id, state: item.toState, event: t.event, due_at: addIsoDuration(now, parseIsoDuration(t.after)!), locked_until: null, created_at: now })))
            .execute();
        }
      }
    });
  }
  return { moved, refused, dryRun: false };
}
