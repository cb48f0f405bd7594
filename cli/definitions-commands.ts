import { Command, InvalidArgumentError } from 'commander';
import { diffDefinitions, formatChange, migrateApplications, ShikakuError } from '../engine/index.ts';
import type { Config } from './config.ts';
import { loadDefinitionStore, openEngine } from './start.ts';

const version = (text: string) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a version is a positive integer');
  return n;
};

const mapping = (text: string, previous: Record<string, string> = {}) => {
  const m = /^([a-z][A-Za-z0-9]*)=([a-z][A-Za-z0-9]*)$/.exec(text);
  if (!m) throw new InvalidArgumentError('write --map oldState=newState');
  return { ...previous, [m[1]!]: m[2]! };
};

/** Opens the engine (storing the files' versions), runs `fn`, closes. */
async function withEngine<T>(config: Config, fn: (engine: Awaited<ReturnType<typeof openEngine>>['engine']) => Promise<T>): Promise<T> {
  const { engine, database } = await openEngine(config, await loadDefinitionStore(config));
  try {
    return await fn(engine);
  } finally {
    await database.close();
  }
}

/** `shikaku definitions diff|migrate`: versions kept in the database, and moving applications between them. */
export function definitionsCommand(config: () => Config): Command {
  const command = new Command('definitions').description('versions of qualification definitions');

  command
    .command('diff')
    .description('what changed between two stored versions of a qualification (default: the two newest)')
    .argument('<qualification>')
    .option('--from <version>', 'older version', version)
    .option('--to <version>', 'newer version', version)
    .action(async (q: string, o: { from?: number; to?: number }) =>
      withEngine(config(), async (engine) => {
        const versions = engine.definitions.versionsOf(q);
        if (versions.length === 0) throw new ShikakuError('QUALIFICATION_NOT_FOUND', `no qualification \`${q}\``);
        const to = versions.find((v) => v.version === (o.to ?? versions.at(-1)!.version));
        const from = versions.find((v) => v.version === (o.from ?? versions.at(-2)?.version ?? versions[0]!.version));
        if (!from || !to) throw new ShikakuError('REQUEST_INVALID', `\`${q}\` has versions ${versions.map((v) => v.version).join(', ')}`);
        process.stdout.write(`--- ${q} version ${from.version}${from.effectiveFrom ? ` (from ${from.effectiveFrom})` : ''}\n+++ ${q} version ${to.version}${to.effectiveFrom ? ` (from ${to.effectiveFrom})` : ''}\n`);
        for (const c of diffDefinitions(from.loaded.definition, to.loaded.definition)) process.stdout.write(`${formatChange(c)}\n`);
        for (const [name, p] of to.loaded.procedures) {
          const before = from.loaded.procedures.get(name);
          if (before?.hash !== p.hash) process.stdout.write(`# procedure ${name}: ${before ? `${before.hash.slice(0, 12)} → ` : 'new, '}${p.hash.slice(0, 12)}\n`);
        }
      }),
    );

  command
    .command('migrate')
    .description('move in-flight applications from one version to another with an explicit state mapping')
    .argument('<qualification>')
    .requiredOption('--from <version>', 'version the applications are pinned to', version)
    .requiredOption('--to <version>', 'version to move them to', version)
    .option('--map <old=new>', 'state mapping for states the target renamed or removed (repeatable)', mapping, {})
    .option('--dry-run', 'list what would move and change nothing', false)
    .action(async (q: string, o: { from: number; to: number; map: Record<string, string>; dryRun: boolean }) =>
      withEngine(config(), async (engine) => {
        const result = await migrateApplications(engine, { qualificationId: q, from: o.from, to: o.to, stateMap: o.map, dryRun: o.dryRun, actor: { id: 'shikaku-cli', role: 'admin' } });
        for (const m of result.moved) process.stdout.write(`${result.dryRun ? 'would move' : 'moved'} ${m.applicationId} ${m.procedure} ${m.fromState} → ${m.toState}\n`);
        for (const r of result.refused) process.stdout.write(`refused ${r.applicationId} ${r.procedure} ${r.state}: ${r.reason}\n`);
        process.stderr.write(
          result.refused.length > 0
            ? `${result.refused.length} application(s) cannot move; nothing was changed\n`
            : `${result.moved.length} application(s) ${result.dryRun ? 'would move (dry run)' : 'moved'}\n`,
        );
        if (result.refused.length > 0) process.exitCode = 1;
      }),
    );
  return command;
}
