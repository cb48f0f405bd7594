/**
 * Per-state counts of a review queue, remembered for a few seconds per filter: counting a large
 * registrar's applications reads every index entry (about 0.1 s at 700,000 rows), while a queue page
 * costs under a millisecond. The answer says how old the counts are.
 */
export interface CountsCache {
  get(key: string, count: () => Promise<Record<string, number>>): Promise<{ counts: Record<string, number>; asOf: Date }>;
}

export function createCountsCache(ttlMs: number, now: () => Date, maxEntries = 1000): CountsCache {
  const entries = new Map<string, { value: Promise<{ counts: Record<string, number>; asOf: Date }>; expires: number }>();
  return {
    get(key, count) {
      const at = now();
      const hit = entries.get(key);
      if (hit && hit.expires > at.getTime()) return hit.value;
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
      // Concurrent callers share one count; a failed count is not remembered.
      const value = count().then((counts) => ({ counts, asOf: at }));
      entries.set(key, { value, expires: at.getTime() + ttlMs });
      value.catch(() => entries.delete(key));
      return value;
    },
  };
}
