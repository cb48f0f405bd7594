import type { ProcedureSpec } from '../definitions/procedure-spec.ts';

export interface FeePreview {
  readonly lines: readonly { kind: string; label?: { ja: string; en?: string | undefined } | undefined; amount: number | null }[];
  /** Sum in yen, or null when any line's amount is unknown. */
  readonly total: number | null;
  readonly currency: 'JPY';
}

export function feePreview(spec: ProcedureSpec): FeePreview {
  const lines = spec.procedure.fees.map((f) => ({ kind: f.kind, label: f.label, amount: f.amount }));
  const total = lines.every((l) => l.amount !== null) ? lines.reduce((sum, l) => sum + (l.amount ?? 0), 0) : null;
  return { lines, total, currency: 'JPY' };
}
