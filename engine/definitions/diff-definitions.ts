import { canonicalJson } from '../compile/compile-procedure.ts';
import { formatPath } from './definition-problem.ts';

/** One difference between two definitions: added, removed or changed at a YAML path. */
export interface DefinitionChange {
  readonly kind: 'added' | 'removed' | 'changed';
  readonly path: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The differences from `before` to `after` (plain JSON, e.g. two versions of a qualification file),
 * path by path in key order. Lists of items with a `key`, `kind` or `id` are compared item by item
 * under that identity, so inserting a field shows one addition, not a shifted list. Pure.
 */
export function diffDefinitions(before: unknown, after: unknown): DefinitionChange[] {
  const changes: DefinitionChange[] = [];
  walk(before, after, [], changes);
  return changes;
}

function identity(item: unknown): string | undefined {
  if (!isObject(item)) return undefined;
  for (const k of ['key', 'kind', 'id']) if (typeof item[k] === 'string') return `${k}=${item[k]}`;
  return undefined;
}

function walk(a: unknown, b: unknown, path: (string | number)[], out: DefinitionChange[]): void {
  if (canonicalJson(a) === canonicalJson(b)) return;
  if (isObject(a) && isObject(b)) {
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      if (!(key in b)) out.push({ kind: 'removed', path: formatPath([...path, key]), before: a[key] });
      else if (!(key in a)) out.push({ kind: 'added', path: formatPath([...path, key]), after: b[key] });
      else walk(a[key], b[key], [...path, key], out);
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const ids = (list: unknown[]) => list.map(identity);
    const aIds = ids(a);
    const bIds = ids(b);
    const keyed = aIds.every((id) => id !== undefined) && bIds.every((id) => id !== undefined) && new Set(aIds).size === a.length && new Set(bIds).size === b.length;
    if (keyed) {
      for (const [i, id] of aIds.entries()) {
        const j = bIds.indexOf(id);
        if (j === -1) out.push({ kind: 'removed', path: formatPath([...path, i]), before: a[i] });
        else walk(a[i], b[j], [...path, j], out);
      }
      for (const [j, id] of bIds.entries()) if (!aIds.includes(id)) out.push({ kind: 'added', path: formatPath([...path, j]), after: b[j] });
      return;
    }
  }
  out.push({ kind: 'changed', path: formatPath(path), before: a, after: b });
}

/** `+ path: value`, `- path: value`, `~ path: before → after`: one line per change, for the CLI. */
export function formatChange(c: DefinitionChange): string {
  const show = (v: unknown) => JSON.stringify(v);
  if (c.kind === 'added') return `+ ${c.path}: ${show(c.after)}`;
  if (c.kind === 'removed') return `- ${c.path}: ${show(c.before)}`;
  return `~ ${c.path}: ${show(c.before)} → ${show(c.after)}`;
}
