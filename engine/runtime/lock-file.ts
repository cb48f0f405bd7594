import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { ShikakuError } from '../errors.ts';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// Locks this process holds: a lock file with our own pid is ours only if it is in here; otherwise it
// was left by an earlier process that had the same pid (e.g. PID 1 in a restarted container).
const held = new Set<string>();

/**
 * Takes an exclusive lock file holding our pid, so a second process cannot open the same embedded
 * database (PGlite has no lock of its own and two writers corrupt it). A lock left by a dead process
 * is taken over. Returns the release function.
 * @throws ShikakuError DATABASE_LOCKED when a live process holds it.
 */
export function acquireLockFile(path: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      let released = false;
      held.add(path);
      return () => {
        if (released) return;
        released = true;
        held.delete(path);
        try {
          if (readFileSync(path, 'utf8') === String(process.pid)) unlinkSync(path);
        } catch {
          // Already gone: nothing to release.
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number.parseInt(readFileSync(path, 'utf8'), 10);
      const ours = holder === process.pid;
      if ((ours && held.has(path)) || (Number.isInteger(holder) && !ours && isAlive(holder))) {
        throw new ShikakuError('DATABASE_LOCKED', `the embedded database is in use by process ${holder} (lock file ${path}); stop it, or set DATABASE_URL to use PostgreSQL`);
      }
      unlinkSync(path);
    }
  }
  throw new ShikakuError('DATABASE_LOCKED', `could not take the lock file ${path}`);
}
