import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { migrateToLatest, openDatabase, ShikakuError } from '../../../engine/index.ts';
import { acquireLockFile } from '../../../engine/runtime/lock-file.ts';

const run = promisify(execFile);
const root = join(import.meta.dirname, '../../..');
const openerScript = join(root, 'test/fixtures/runtime/open-embedded.ts');
const postgresUrl = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;

const tempDirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'shikaku-embedded-'));
  tempDirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** A pid no process has right now (999999 unless that one happens to exist). */
function deadPid(): number {
  for (let pid = 999_999; pid > 900_000; pid--) if (!isAlive(pid)) return pid;
  throw new Error('no free pid found');
}

/** Another process tries to open `dataDir`; returns what it printed. */
async function openFromAnotherProcess(dataDir: string): Promise<{ opened: boolean; pid: number; code?: string; message?: string }> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', openerScript, dataDir], { cwd: root, timeout: 60_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}

const thrown = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
};

describe('the lock file guarding the embedded database', () => {
  it('writes our pid into a new lock file and removes it on release, once', () => {
    const path = join(tempDir(), 'shikaku.lock');
    const release = acquireLockFile(path);
    expect(readFileSync(path, 'utf8')).toBe(String(process.pid));
    release();
    expect(existsSync(path)).toBe(false);
    writeFileSync(path, String(deadPid()));
    release(); // a second release is a no-op and leaves others' locks alone
    expect(existsSync(path)).toBe(true);
  });

  it('refuses a lock held by another live process with DATABASE_LOCKED naming the lock file and the pid', () => {
    const path = join(tempDir(), 'shikaku.lock');
    const other = process.ppid;
    expect(isAlive(other)).toBe(true);
    writeFileSync(path, String(other));
    const error = thrown(() => acquireLockFile(path));
    expect(error).toBeInstanceOf(ShikakuError);
    expect((error as ShikakuError).code).toBe('DATABASE_LOCKED');
    expect((error as ShikakuError).message).toContain(path);
    expect((error as ShikakuError).message).toContain(`process ${other}`);
    expect(readFileSync(path, 'utf8')).toBe(String(other));
  });

  it('refuses a second lock in the same process, but takes over one an earlier process with our pid left', () => {
    const path = join(tempDir(), 'shikaku.lock');
    const release = acquireLockFile(path);
    expect((thrown(() => acquireLockFile(path)) as ShikakuError).code).toBe('DATABASE_LOCKED');
    release();
    writeFileSync(path, String(process.pid));
    const again = acquireLockFile(path);
    expect(readFileSync(path, 'utf8')).toBe(String(process.pid));
    again();
  });

  it('takes over a stale lock left by a dead process, or one with garbage in it', () => {
    for (const content of [String(deadPid()), 'not a pid', '']) {
      const path = join(tempDir(), 'shikaku.lock');
      writeFileSync(path, content);
      const release = acquireLockFile(path);
      expect(readFileSync(path, 'utf8')).toBe(String(process.pid));
      release();
      expect(existsSync(path)).toBe(false);
    }
  });

  it('does not delete the lock on release when another process has taken it over meanwhile', () => {
    const path = join(tempDir(), 'shikaku.lock');
    const release = acquireLockFile(path);
    writeFileSync(path, String(process.ppid));
    release();
    expect(readFileSync(path, 'utf8')).toBe(String(process.ppid));
  });
});

describe('openDatabase on an embedded data directory', () => {
  // Creating a PGlite data directory takes seconds: this one directory serves the whole scenario.
  it('creates PGlite, refuses another process while open, and reopens with the data after close', async () => {
    const dataDir = join(tempDir(), 'data');
    const lock = join(dataDir, 'shikaku.lock');
    const first = await openDatabase({ dataDir });
    try {
      expect(first.kind).toBe('pglite');
      expect(readFileSync(lock, 'utf8')).toBe(String(process.pid));
      expect(existsSync(join(dataDir, 'pgdata'))).toBe(true);
      const applied = (await migrateToLatest(first.db)).map((r) => r.status);
      expect(applied.length).toBeGreaterThan(0);
      expect(new Set(applied)).toEqual(new Set(['Success']));
      await first.db.insertInto('registry_counters').values({ qualification_id: 'persisted-qual', last_number: 42 }).execute();

      const refused = await openFromAnotherProcess(dataDir);
      expect(refused).toMatchObject({ opened: false, code: 'DATABASE_LOCKED' });
      expect(refused.message).toContain(lock);
      expect(refused.message).toContain(`process ${process.pid}`);
      // The refused process left our lock alone.
      expect(readFileSync(lock, 'utf8')).toBe(String(process.pid));
    } finally {
      await first.close();
    }
    expect(existsSync(lock)).toBe(false);

    // A crash left a lock naming a process that no longer exists: the next open takes it over.
    writeFileSync(lock, String(deadPid()));
    const second = await openDatabase({ dataDir });
    try {
      expect(readFileSync(lock, 'utf8')).toBe(String(process.pid));
      expect(await migrateToLatest(second.db)).toEqual([]);
      const counter = await second.db.selectFrom('registry_counters').selectAll().execute();
      expect(counter).toEqual([{ qualification_id: 'persisted-qual', last_number: 42 }]);
      const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM applications`.execute(second.db);
      expect(rows[0]!.n).toBe(0);
    } finally {
      await second.close();
    }
    expect(existsSync(lock)).toBe(false);
  });

  it.skipIf(!postgresUrl)('uses PostgreSQL when a database URL is given, without touching the data directory', async () => {
    const dataDir = join(tempDir(), 'unused');
    const database = await openDatabase({ databaseUrl: postgresUrl, dataDir, poolSize: 1 });
    try {
      expect(database.kind).toBe('postgres');
      const { rows } = await sql<{ one: number }>`SELECT 1 AS one`.execute(database.db);
      expect(rows).toEqual([{ one: 1 }]);
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      await database.close();
    }
  });
});
