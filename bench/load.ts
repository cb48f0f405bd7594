// Closed-loop load: N concurrent callers, each repeating an operation over its own rows.
import { performance } from 'node:perf_hooks';

export interface LoadResult {
  /** Operations that completed inside the measured window. */
  readonly ops: number;
  readonly seconds: number;
  readonly txPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** The q-quantile (0..1) of already sorted values, nearest-rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index]!;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Runs `op` in `rowsPerCaller.length` concurrent callers for `warmupMs` + `durationMs`; counts and times
 * only operations that finish inside the measured window. The clock is polled, never a setTimeout:
 * in-process PGlite resolves queries as microtasks and would starve a timer.
 */
export async function runLoad(
  rowsPerCaller: readonly (readonly string[])[],
  op: (id: string) => Promise<void>,
  warmupMs: number,
  durationMs: number,
): Promise<LoadResult> {
  const measureFrom = performance.now() + warmupMs;
  const end = measureFrom + durationMs;
  const latencies: number[] = [];
  await Promise.all(
    rowsPerCaller.map(async (ids) => {
      let i = 0;
      for (;;) {
        const t0 = performance.now();
        if (t0 >= end) return;
        await op(ids[i++ % ids.length]!);
        const t1 = performance.now();
        if (t1 >= measureFrom && t1 <= end) latencies.push(t1 - t0);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const seconds = durationMs / 1000;
  return { ops: latencies.length, seconds, txPerSec: latencies.length / seconds, p50Ms: quantile(latencies, 0.5), p99Ms: quantile(latencies, 0.99) };
}
