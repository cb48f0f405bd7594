/**
 * Values reused for `ttlMs` per key, with when each was read: concurrent callers of one key share one
 * load, a failed load is not remembered, and the oldest key goes once `maxEntries` are held.
 */
export interface TtlCache<T> {
  get(key: string, load: () => Promise<T>): Promise<{ value: T; asOf: Date }>;
}

export function createTtlCache<T>(ttlMs: number, now: () => Date, maxEntries = 10_000): TtlCache<T> {
  const entries = new Map<string, { value: Promise<{ value: T; asOf: Date }>; expires: number }>();
  return {
    get(key, load) {
      const at = now();
      const hit = entries.get(key);
      if (hit && hit.expires > at.getTime()) return hit.value;
      entries.delete(key);
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
      const value = load().then((loaded) => ({ value: loaded, asOf: at }));
      entries.set(key, { value, expires: at.getTime() + ttlMs });
      // Only this load's own entry goes: a newer one may have replaced it meanwhile.
      value.catch(() => entries.get(key)?.value === value && entries.delete(key));
      return value;
    },
  };
}
