import type { LocalizedText } from '../definitions/definition-schema.ts';
import type { LoadedQualification } from '../definitions/load-definitions.ts';

/** An announced start that has no date yet, e.g. 令和7年度以降 (FY2025 or later). */
export interface PlannedStart {
  readonly fiscalYear: number;
  readonly orLater: boolean;
  readonly label: LocalizedText;
}

/** Whether a procedure can be started online on a Japan-time business date, and from when. */
export interface Availability {
  readonly available: boolean;
  /** The opening date, or null when online availability is planned but not scheduled. */
  readonly from: string | null;
  /** Present when there is no date but the qualification announces a fiscal year. */
  readonly planned?: PlannedStart;
}

// 令和 1 began in 2019, so FY2019 is 令和元年度.
const reiwaYear = (fiscalYear: number) => (fiscalYear - 2018 === 1 ? '元' : String(fiscalYear - 2018));

/** The label of a planned fiscal year in both languages. Pure. */
export function plannedStart(planned: { fiscalYear: number; orLater?: boolean | undefined }): PlannedStart {
  const orLater = planned.orLater === true;
  return {
    fiscalYear: planned.fiscalYear,
    orLater,
    label: { ja: `令和${reiwaYear(planned.fiscalYear)}年度${orLater ? '以降' : ''}`, en: `FY${planned.fiscalYear}${orLater ? ' or later' : ''}` },
  };
}

export function procedureAvailability(q: LoadedQualification, procedure: string, today: string): Availability {
  const offer = q.definition.procedures[procedure];
  const from = offer?.from !== undefined ? offer.from : q.definition.online.from;
  const planned = from === null && offer?.from === undefined && q.definition.online.planned ? plannedStart(q.definition.online.planned) : undefined;
  return { available: from !== null && from <= today, from, ...(planned ? { planned } : {}) };
}

/** Why a procedure cannot be started yet, for the problem detail. */
export function availabilityMessage(a: Availability): string {
  if (a.from) return `this procedure opens online on ${a.from} (Japan time)`;
  if (a.planned) return `this procedure is planned online from ${a.planned.label.en} (${a.planned.label.ja}); no date is set yet`;
  return 'this procedure is planned online but not yet scheduled';
}
