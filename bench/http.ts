// The same event cycle driven over real HTTP against `shikaku serve` in its own process, as a portal
// would use it (docs/api.md): read the application once, then POST each event with If-Match set to the
// ETag of the previous response.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDevIssuer } from '../api/dev-issuer.ts';
import { actorFor, REVIEWER, stepFor } from './workload.ts';

export interface HttpTarget {
  readonly url: string;
  /** The server's process id (the `shikaku serve` process itself: the CLI runs TypeScript in-process). */
  readonly pid: number;
  /** Milliseconds from spawning the process until /readyz answered. */
  readonly readyAfterMs: number;
  transition(applicationId: string): Promise<void>;
  close(): Promise<void>;
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });

/**
 * Starts `shikaku serve --no-worker` on `databaseUrl` with the bench's synthetic definitions, a fresh
 * development issuer and rate limits lifted, and waits until /readyz answers.
 */
export async function startHttpTarget(root: string, databaseUrl: string, definitionsDir: string): Promise<HttpTarget> {
  const dataDir = mkdtempSync(join(tmpdir(), 'shikaku-bench-serve-'));
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [join(root, 'cli/shikaku.js'), 'serve', '--no-worker', '--port', String(port)], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      SHIKAKU_DATA_DIR: dataDir,
      SHIKAKU_DEFINITIONS: definitionsDir,
      SHIKAKU_RATE_LIMIT_PER_IP: '100000000',
      SHIKAKU_RATE_LIMIT_PER_CALLER: '100000000',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const spawnedAt = Date.now();
  const deadline = spawnedAt + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`bench: shikaku serve exited with ${child.exitCode}`);
    const ready = await fetch(`${url}/readyz`).then((r) => r.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) throw new Error('bench: shikaku serve did not become ready in 60 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  const readyAfterMs = Date.now() - spawnedAt;
  // The server created the development issuer key in its data directory; mint with the same key.
  const issuer = await loadDevIssuer(join(dataDir, 'dev-issuer.jwk.json'));
  const tokens = new Map<string, string>();
  const bearer = async (actor: ReturnType<typeof actorFor>) => {
    const key = `${actor.role}:${actor.id}`;
    let token = tokens.get(key);
    if (!token) tokens.set(key, (token = `Bearer ${await issuer.mint({ sub: actor.id, role: actor.role, registrar: actor.registrar })}`));
    return token;
  };
  // node:http with a keep-alive agent: fetch costs several times more CPU per request on Node 20, and
  // the client shares this machine's two cores with the server and PostgreSQL.
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  const call = (method: string, path: string, headers: Record<string, string>, body?: string) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(`${url}${path}`, { method, agent, headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  type Seen = { state: string; version: number; applicant: string };
  const seen = new Map<string, Seen>();
  return {
    url,
    pid: child.pid!,
    readyAfterMs,
    async transition(applicationId) {
      let application = seen.get(applicationId);
      if (!application) {
        const read = await call('GET', `/v1/applications/${applicationId}`, { authorization: await bearer(REVIEWER) });
        if (read.status !== 200) throw new Error(`bench: GET answered ${read.status}: ${read.text}`);
        application = JSON.parse(read.text) as Seen;
      }
      const step = stepFor(application.state);
      const body = JSON.stringify({ type: step.type, ...(step.comment ? { comment: step.comment } : {}) });
      const response = await call('POST', `/v1/applications/${applicationId}/events`, {
        authorization: await bearer(actorFor(step, application.applicant)),
        'content-type': 'application/json',
        'if-match': `"${application.version}"`,
      }, body);
      if (response.status !== 200) throw new Error(`bench: POST ${step.type} answered ${response.status}: ${response.text}`);
      seen.set(applicationId, JSON.parse(response.text) as Seen);
    },
    async close() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      agent.destroy();
      child.kill('SIGTERM');
      await exited;
    },
  };
}
