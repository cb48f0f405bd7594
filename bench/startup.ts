// Start-up costs of the real definitions: loading, validating and compiling all of them in one process,
// and the resident memory of `shikaku serve` once it is ready.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadDefinitions } from '../engine/index.ts';
import { median } from './load.ts';

export interface DefinitionLoad {
  readonly qualifications: number;
  readonly procedures: number;
  readonly problems: number;
  /** The first load in a process: schema compilation included. */
  readonly coldMs: number;
  /** Median of three loads after it. */
  readonly warmMs: number;
}

/** Times `loadDefinitions` on the real definitions folder; call before anything else loads definitions. */
export async function measureDefinitionLoad(root: string): Promise<DefinitionLoad> {
  const dir = join(root, 'definitions');
  const t0 = performance.now();
  const first = await loadDefinitions(dir);
  const coldMs = performance.now() - t0;
  const warm: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    await loadDefinitions(dir);
    warm.push(performance.now() - t);
  }
  const procedures = [...first.qualifications.values()].reduce((n, q) => n + q.procedures.size, 0);
  return { qualifications: first.qualifications.size, procedures, problems: first.problems.length, coldMs, warmMs: median(warm) };
}

/** Resident set size of a process in MiB, from /proc (Linux). */
export function residentMiB(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (!kb) throw new Error(`bench: no VmRSS for process ${pid}`);
  return Number(kb) / 1024;
}
