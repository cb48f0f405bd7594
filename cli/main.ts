import { Command, InvalidArgumentError, Option } from 'commander';
import { loadDevIssuer } from '../api/dev-issuer.ts';
import { formatProblem, loadDefinitions, migrateToLatest, openDatabase, ShikakuError, type Role } from '../engine/index.ts';
import { loadConfig, type Config } from './config.ts';
import { definitionsCommand } from './definitions-commands.ts';
import { verifyCommand } from './verify-command.ts';
import { mermaidDiagram } from './mermaid-diagram.ts';
import { loadDefinitionStore, serve, work } from './start.ts';
import { devIssuerKeyFile } from './trusted-issuers.ts';

const roles: Role[] = ['applicant', 'reviewer', 'registrar-admin', 'linkage', 'payment', 'admin'];

const port = (text: string) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port is an integer from 0 to 65535');
  return String(n);
};

function config(overrides: Record<string, string | undefined> = {}): Config {
  const env = { ...process.env };
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) env[k] = v;
  return loadConfig(env);
}

const program = new Command('shikaku')
  .description('Workflow engine for Japan\'s national qualifications (国家資格)')
  .showHelpAfterError();

program
  .command('serve')
  .description('serve the API (and run the worker) on PGlite in ./.shikaku, or PostgreSQL with DATABASE_URL')
  .option('--port <port>', 'port (env PORT, default 3000)', port)
  .option('--host <host>', 'interface (env HOST, default 127.0.0.1)')
  .option('--definitions <dir>', 'definitions folder (env SHIKAKU_DEFINITIONS)')
  .option('--no-worker', 'do not run timers and the outbox in this process')
  .action(async (o: { port?: string; host?: string; definitions?: string; worker: boolean }) => {
    await serve(config({ PORT: o.port, HOST: o.host, SHIKAKU_DEFINITIONS: o.definitions }), { worker: o.worker });
  });

program
  .command('worker')
  .description('run timers and the outbox only (scale out against PostgreSQL)')
  .action(async () => work(config()));

program
  .command('validate')
  .description('check definitions; prints `file:line:column: CODE message` per problem, exit 1 if any')
  .argument('[dir]', 'definitions folder (default: the configured one)')
  .action(async (dir?: string) => {
    const loaded = await loadDefinitions(dir ?? config().definitionsDir);
    for (const p of loaded.problems) process.stdout.write(`${formatProblem(p)}\n`);
    const procedures = [...loaded.qualifications.values()].reduce((n, q) => n + q.procedures.size, 0);
    process.stderr.write(`${loaded.problems.length} problem(s); ${loaded.qualifications.size} qualification(s), ${procedures} procedure(s) valid\n`);
    process.exitCode = loaded.problems.length > 0 ? 1 : 0;
  });

program
  .command('migrate')
  .description('apply database migrations')
  .action(async () => {
    const database = await openDatabase({ databaseUrl: config().databaseUrl, dataDir: config().dataDir });
    try {
      const results = await migrateToLatest(database.db);
      for (const r of results) process.stdout.write(`${r.status.toLowerCase()} ${r.migrationName}\n`);
      if (results.length === 0) process.stderr.write('database is up to date\n');
    } finally {
      await database.close();
    }
  });

program
  .command('token')
  .description('mint a development token (never in production); prints the token alone')
  .addOption(new Option('--role <role>', 'role').choices(roles).makeOptionMandatory())
  .option('--sub <id>', 'opaque person or service id', 'dev-user')
  .option('--registrar <id>', 'registrar id, for reviewer and registrar-admin')
  .option('--ttl <seconds>', 'lifetime in seconds', '28800')
  .action(async (o: { role: Role; sub: string; registrar?: string; ttl: string }) => {
    const c = config();
    if (c.production) throw new ShikakuError('CONFIG_INVALID', 'development tokens are refused in production');
    if ((o.role === 'reviewer' || o.role === 'registrar-admin') && !o.registrar) throw new ShikakuError('CONFIG_INVALID', `--registrar is required for ${o.role}`);
    const ttl = Number(o.ttl);
    if (!Number.isInteger(ttl) || ttl < 1) throw new ShikakuError('CONFIG_INVALID', '--ttl must be a positive integer');
    const issuer = await loadDevIssuer(devIssuerKeyFile(c));
    process.stdout.write(`${await issuer.mint({ sub: o.sub, role: o.role, registrar: o.registrar }, ttl)}\n`);
  });

program
  .command('diagram')
  .description('print a Mermaid state diagram of a procedure')
  .argument('<qualification>')
  .argument('<procedure>')
  .action(async (q: string, p: string) => {
    const store = await loadDefinitionStore(config());
    const procedure = store.current(q, p);
    if (!procedure) throw new ShikakuError('PROCEDURE_NOT_FOUND', `no procedure ${q}/${p}`);
    process.stdout.write(mermaidDiagram(procedure));
  });

program.addCommand(definitionsCommand(() => config()));
program.addCommand(verifyCommand(() => config()));

try {
  await program.parseAsync();
} catch (error) {
  if (error instanceof ShikakuError) {
    process.stderr.write(`shikaku: ${error.code}: ${error.message}\n`);
    process.exitCode = 1;
  } else throw error;
}
